/**
 * The console opened on another name of the server than its public URL's (src/console/public-host.ts):
 * the public URL is http://localhost:PORT, as `portcullis serve` names a loopback server, and the
 * browser opens http://127.0.0.1:PORT. Over real HTTP with a cookie jar per host, as a browser
 * keeps them (RFC 6265 §5.4): the first answer must send it to the same path on the public URL
 * without setting a cookie, and the sign-in must then complete there.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CookieJar, hiddenField } from '../helpers/browser-flow.js';
import { type ConsoleServer, startConsoleServer } from '../helpers/console-server.js';
import { PASSWORD, TENANT_ID } from '../helpers/harness.js';

interface Hop {
  status: number;
  url: string;
  headers: Headers;
  body: string;
}

/** A browser without JavaScript whose cookies are kept per host:port. */
class HostBrowser {
  private readonly jars = new Map<string, CookieJar>();
  readonly hops: Hop[] = [];

  jar(host: string): CookieJar {
    let jar = this.jars.get(host);
    if (!jar) {
      jar = new CookieJar();
      this.jars.set(host, jar);
    }
    return jar;
  }

  async request(method: string, url: string, form?: Record<string, string>): Promise<Hop> {
    const jar = this.jar(new URL(url).host);
    const res = await fetch(url, {
      method,
      redirect: 'manual',
      headers: {
        cookie: jar.header(),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(url).origin } : {}),
      },
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    });
    jar.absorb(res.headers.getSetCookie());
    const hop = { status: res.status, url, headers: res.headers, body: await res.text() };
    this.hops.push(hop);
    return hop;
  }

  async follow(method: string, url: string, form?: Record<string, string>): Promise<Hop> {
    let hop = await this.request(method, url, form);
    for (let i = 0; i < 10 && hop.status >= 300 && hop.status < 400; i++) {
      hop = await this.request('GET', new URL(hop.headers.get('location') ?? '/', hop.url).toString());
    }
    return hop;
  }

  /** Opens `url`; on the sign-in form, signs in as `username` and follows on. */
  async signIn(url: string, username: string): Promise<Hop> {
    const page = await this.follow('GET', url);
    if (!page.body.includes('name="password"')) return page;
    return this.follow('POST', page.url.split('?')[0]!, {
      csrf: hiddenField(page.body, 'csrf'),
      authorize_request: hiddenField(page.body, 'authorize_request'),
      username,
      password: PASSWORD,
    });
  }
}

describe('console opened on a host other than the public URL', () => {
  let server: ConsoleServer;
  let port: string;
  before(async () => {
    server = await startConsoleServer({ publicHost: 'localhost' });
    port = new URL(server.base).port;
  });
  after(() => server?.close());

  test('the first answer is a 302 to the same path on the public URL, with no cookie; the sign-in then completes there', async () => {
    const b = new HostBrowser();
    const other = `http://127.0.0.1:${port}`;
    const first = await b.request('GET', `${other}/myaccount/activity?x=1`);
    assert.equal(first.status, 302);
    assert.equal(first.headers.get('location'), `http://localhost:${port}/myaccount/activity?x=1`);
    assert.deepEqual(first.headers.getSetCookie(), [], 'no cookie on the other host');

    const page = await b.signIn(`${other}/myaccount`, 'alice@contoso.test');
    assert.equal(page.status, 200, page.body.slice(0, 300));
    assert.equal(page.url, `http://localhost:${port}/myaccount`);
    assert.match(page.body, /This browser/);
    // Every cookie went to the public host: the state cookie where the callback reads it, then the session.
    assert.equal(b.jar(`127.0.0.1:${port}`).header(), '');
    assert.ok(b.jar(`localhost:${port}`).get('portcullis_console_account'));
    const callback = b.hops.find((h) => new URL(h.url).pathname === '/console/callback');
    assert.ok(callback, 'the flow reached the callback');
    assert.equal(new URL(callback.url).host, `localhost:${port}`);
    assert.equal(callback.status, 302, callback.body.slice(0, 300));
    const authorize = b.hops.find((h) => new URL(h.url).pathname === `/${TENANT_ID}/oauth2/v2.0/authorize`);
    assert.equal(new URL(authorize!.url).host, `localhost:${port}`, 'the sign-in started on the public host');
  });

  test('the admin console too; on the public host itself nothing is redirected', async () => {
    const b = new HostBrowser();
    const first = await b.request('GET', `http://127.0.0.1:${port}/admin/users`);
    assert.equal(first.status, 302);
    assert.equal(first.headers.get('location'), `http://localhost:${port}/admin/users`);
    const there = await b.request('GET', `http://localhost:${port}/admin/users`);
    assert.equal(there.status, 302);
    assert.match(there.headers.get('location') ?? '', new RegExp(`^/${TENANT_ID}/oauth2/v2\\.0/authorize\\?`));
    assert.ok(b.jar(`localhost:${port}`).get('portcullis_console_state'));
  });
});

describe('console behind a trusted proxy', () => {
  let server: ConsoleServer;
  before(async () => {
    server = await startConsoleServer({ publicHost: 'localhost', trustProxy: true });
  });
  after(() => server?.close());

  const get = (headers: Record<string, string>) => server.app.http.inject({ method: 'GET', url: '/myaccount', headers: { ...headers } });

  test('X-Forwarded-Host decides; a proxied request without it is not redirected (its Host may be the upstream)', async () => {
    const publicHost = new URL(server.base).host;
    const elsewhere = await get({ host: publicHost, 'x-forwarded-for': '203.0.113.9', 'x-forwarded-host': 'idp-alias.example' });
    assert.equal(elsewhere.statusCode, 302);
    assert.equal(elsewhere.headers.location, `${server.base}/myaccount`);
    const right = await get({ host: '10.0.0.5:5050', 'x-forwarded-for': '203.0.113.9', 'x-forwarded-host': publicHost });
    assert.equal(right.statusCode, 302);
    assert.match(String(right.headers.location), /\/oauth2\/v2\.0\/authorize\?/);
    const unknown = await get({ host: '10.0.0.5:5050', 'x-forwarded-for': '203.0.113.9' });
    assert.match(String(unknown.headers.location), /\/oauth2\/v2\.0\/authorize\?/, 'no loop through the public URL');
    const direct = await get({ host: `127.0.0.1:${new URL(server.base).port}` });
    assert.equal(direct.headers.location, `${server.base}/myaccount`);
  });
});
