import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createApp } from '../../src/app.js';
import { selfSignedTls } from '../../src/cli/tls.js';
import { DEFAULT_TOKEN_LIFETIMES, makeAppConfig } from '../../src/config.js';
import { CookieJar, authorizeUrl, hiddenField, pkcePair, signIn } from '../helpers/browser-flow.js';
import { APP, PASSWORD, PUBLIC_URL, REDIRECT, TENANT_ID, makeHarness, type Harness } from '../helpers/harness.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';

/**
 * Browser-facing security: CSP and framing, HSTS only under TLS, CSRF on every form, exact
 * post_logout_redirect_uri matching, cookie flags.
 */
type Inject = Awaited<ReturnType<Harness['app']['http']['inject']>>;
const setCookies = (res: Inject) => ([] as string[]).concat((res.headers['set-cookie'] as string | string[] | undefined) ?? []);
const form = { 'content-type': 'application/x-www-form-urlencoded' };

/** Every server-rendered page a browser can reach, by the request that shows it. */
async function everyPage(h: Harness): Promise<{ name: string; res: Inject }[]> {
  const jar = new CookieJar();
  const pages: { name: string; res: Inject }[] = [];
  const get = (url: string) => h.app.http.inject({ method: 'GET', url, headers: { cookie: jar.header() } });
  const signInForm = await get(authorizeUrl({}, pkcePair()));
  jar.absorb(signInForm.headers['set-cookie']);
  pages.push({ name: 'sign-in form', res: signInForm });
  pages.push({
    name: 'authorize error page',
    res: await get(authorizeUrl({ clientId: '00000000-0000-4000-8000-00000000dead' }, pkcePair())),
  });
  const device = await get('/devicelogin');
  jar.absorb(device.headers['set-cookie']);
  pages.push({ name: 'device code form', res: device });
  const start = await h.app.http.inject({
    method: 'POST',
    url: `/${TENANT_ID}/oauth2/v2.0/devicecode`,
    headers: form,
    payload: new URLSearchParams({ client_id: APP.publicClient, scope: 'User.Read' }).toString(),
  });
  const approve = await h.app.http.inject({
    method: 'POST',
    url: '/devicelogin',
    headers: { ...form, cookie: jar.header() },
    payload: new URLSearchParams({ csrf: hiddenField(device.body, 'csrf'), user_code: String(start.json().user_code) }).toString(),
  });
  pages.push({ name: 'device approve form', res: approve });
  pages.push({ name: 'logout page', res: await get(`/${TENANT_ID}/oauth2/v2.0/logout`) });
  // form_post response mode: the page that posts the code to the client.
  const { jar: signedIn } = await signIn(h, 'bob@contoso.test');
  const formPost = await h.app.http.inject({
    method: 'GET',
    url: authorizeUrl({ responseMode: 'form_post' }, pkcePair()),
    headers: { cookie: signedIn.header() },
  });
  pages.push({ name: 'form_post response', res: formPost });
  return pages;
}

describe('pages: CSP, framing, caching', () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness();
  });
  after(async () => h.close());

  test('every page sends a CSP with default-src none, frame-ancestors none, base-uri none, and X-Frame-Options DENY', async () => {
    const pages = await everyPage(h);
    assert.equal(pages.length, 6);
    for (const { name, res } of pages) {
      assert.match(String(res.headers['content-type']), /^text\/html/, name);
      const csp = String(res.headers['content-security-policy']);
      const directives = new Map(
        csp
          .split(';')
          .map((d) => d.trim().split(/\s+/))
          .map(([k, ...v]) => [k!, v]),
      );
      assert.deepEqual(directives.get('default-src'), ["'none'"], `${name}: ${csp}`);
      assert.deepEqual(directives.get('frame-ancestors'), ["'none'"], name);
      assert.deepEqual(directives.get('base-uri'), ["'none'"], name);
      assert.ok(directives.get('form-action')?.includes("'self'"), name);
      assert.ok(
        !directives.get('script-src')?.some((s) => s === "'unsafe-inline'" || s === "'unsafe-eval'" || s === '*'),
        `${name}: no inline script allowed`,
      );
      assert.equal(res.headers['x-frame-options'], 'DENY', name);
      assert.equal(res.headers['x-content-type-options'], 'nosniff', name);
      assert.equal(res.headers['referrer-policy'], 'same-origin', name);
      assert.match(String(res.headers['cache-control']), /no-store/, name);
      // Inline scripts only with the per-response nonce.
      const nonce = directives.get('script-src')?.[0]?.match(/^'nonce-(.+)'$/)?.[1];
      for (const m of res.body.matchAll(/<script([^>]*)>/g))
        assert.equal(m[1]!.match(/nonce="([^"]+)"/)?.[1], nonce, `${name}: script without the CSP nonce`);
    }
  });

  test('the form_post page may post only to the client it answers; the sign-in form to itself and the redirect URI origin', async () => {
    const pages = Object.fromEntries((await everyPage(h)).map((p) => [p.name, p.res]));
    const formAction = (res: Inject) => /form-action ([^;]+)/.exec(String(res.headers['content-security-policy']))![1]!.split(' ');
    assert.deepEqual(formAction(pages['form_post response']!), ["'self'", 'http://localhost']);
    assert.deepEqual(formAction(pages['sign-in form']!), ["'self'", 'http://localhost']);
    assert.deepEqual(formAction(pages['device code form']!), ["'self'"]);
  });
});

describe('HSTS only under TLS', () => {
  test('plain HTTP: no Strict-Transport-Security on any surface; cookies without Secure', async () => {
    const h = await makeHarness({ config: { publicUrl: 'http://localhost:5050' } });
    try {
      for (const url of [`/${TENANT_ID}/v2.0/.well-known/openid-configuration`, '/devicelogin', '/v1.0/me', authorizeUrl({}, pkcePair())]) {
        const res = await h.app.http.inject({ method: 'GET', url });
        assert.equal(res.headers['strict-transport-security'], undefined, url);
        for (const c of setCookies(res)) {
          assert.doesNotMatch(c, /;\s*Secure/i, `${url}: ${c}`);
          // Browsers refuse __Host- without Secure: plain names over http://localhost.
          assert.match(c, /^portcullis_csrf=/, `${url}: ${c}`);
        }
      }
    } finally {
      await h.close();
    }
  });

  test('a real TLS listener: HSTS with a max-age of a year on every response, including errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-tls-'));
    const h = await makeHarness({ config: { publicUrl: 'https://localhost' } });
    const tls = await selfSignedTls(dir);
    const app = await createApp({
      config: makeAppConfig({ publicUrl: 'https://localhost', logLevel: 'silent' }),
      store: h.store,
      https: { cert: tls.cert, key: tls.key },
    });
    try {
      await app.http.listen({ host: '127.0.0.1', port: 0 });
      const port = (app.http.server.address() as { port: number }).port;
      const fetchTls = (path: string) =>
        new Promise<{ status: number; headers: Record<string, unknown> }>((resolve, reject) => {
          const req = httpsRequest({ host: '127.0.0.1', port, path, servername: 'localhost', ca: tls.cert, timeout: 10_000 }, (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
          });
          req.on('error', reject);
          req.on('timeout', () => req.destroy(new Error('timed out')));
          req.end();
        });
      for (const path of [`/${TENANT_ID}/v2.0/.well-known/openid-configuration`, '/devicelogin', '/v1.0/me', '/no/such/path']) {
        const res = await fetchTls(path);
        assert.equal(res.headers['strict-transport-security'], 'max-age=31536000', `${path} (${res.status})`);
      }
      const page = await fetchTls('/devicelogin');
      for (const c of ([] as string[]).concat((page.headers['set-cookie'] as string[]) ?? [])) {
        assert.match(c, /;\s*Secure(;|$)/, c);
        assert.match(c, /^__Host-portcullis_csrf=/, c);
      }
    } finally {
      await app.close();
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('cookies', () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness();
  });
  after(async () => h.close());

  test('session and CSRF cookies are __Host- under TLS: HttpOnly, Secure, SameSite (Lax for SSO, Strict for CSRF), Path=/, no Domain', async () => {
    const { jar } = await signIn(h, 'alice@contoso.test');
    assert.ok(jar.get('__Host-portcullis_sso'));
    assert.equal(jar.get('portcullis_sso'), undefined);
    const page = await h.app.http.inject({ method: 'GET', url: authorizeUrl({ prompt: 'login' }, pkcePair()) });
    const csrf = setCookies(page).find((c) => c.startsWith('__Host-portcullis_csrf='))!;
    assert.match(csrf, /^__Host-portcullis_csrf=[A-Za-z0-9_-]{32}; Path=\/; HttpOnly; SameSite=Strict; Secure$/);
    // Fresh sign-in, to see the SSO cookie's Set-Cookie header.
    const fresh = new CookieJar();
    fresh.absorb(page.headers['set-cookie']);
    const posted = await h.app.http.inject({
      method: 'POST',
      url: `/${TENANT_ID}/oauth2/v2.0/authorize`,
      headers: { ...form, cookie: fresh.header() },
      payload: new URLSearchParams({
        csrf: hiddenField(page.body, 'csrf'),
        authorize_request: hiddenField(page.body, 'authorize_request'),
        username: 'alice@contoso.test',
        password: PASSWORD,
      }).toString(),
    });
    assert.equal(posted.statusCode, 302);
    const sso = setCookies(posted).find((c) => c.startsWith('__Host-portcullis_sso='))!;
    assert.match(sso, /; Path=\/; HttpOnly; SameSite=Lax; Secure/);
    assert.doesNotMatch(sso, /Domain=/i);
    assert.doesNotMatch(sso, /Max-Age|Expires/i, 'a browser-session cookie');
    const logout = await h.app.http.inject({ method: 'GET', url: `/${TENANT_ID}/oauth2/v2.0/logout`, headers: { cookie: fresh.header() } });
    const cleared = setCookies(logout).find((c) => c.startsWith('__Host-portcullis_sso='))!;
    assert.match(cleared, /^__Host-portcullis_sso=; Path=\/; HttpOnly; SameSite=Lax; Secure; Max-Age=0$/);
  });

  test('under TLS the bare cookie names, which another host or port could have planted, are ignored', async () => {
    const { jar } = await signIn(h, 'bob@contoso.test');
    const session = jar.get('__Host-portcullis_sso')!;
    // The same session value under the bare name: no SSO, the sign-in form is shown.
    const bare = await h.app.http.inject({
      method: 'GET',
      url: authorizeUrl({}, pkcePair()),
      headers: { cookie: `portcullis_sso=${session}` },
    });
    assert.equal(bare.statusCode, 200);
    assert.match(bare.body, /name="password"/);
    const prefixed = await h.app.http.inject({
      method: 'GET',
      url: authorizeUrl({}, pkcePair()),
      headers: { cookie: `__Host-portcullis_sso=${session}` },
    });
    assert.equal(prefixed.statusCode, 302, 'the __Host- cookie is the session');
  });
});

describe('CSRF on every form', () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness();
  });
  after(async () => h.close());

  test('every POST form Portcullis renders for itself carries a csrf field', async () => {
    let forms = 0;
    for (const { name, res } of await everyPage(h)) {
      for (const m of res.body.matchAll(/<form method="post" action="([^"]*)">([\s\S]*?)<\/form>/g)) {
        const action = m[1]!;
        if (name === 'form_post response') {
          assert.equal(action, REDIRECT.publicClient, 'the form_post page posts to the client, which has its own state check');
          continue;
        }
        forms++;
        assert.match(m[2]!, /<input type="hidden" name="csrf" value="[A-Za-z0-9_-]{20,}">/, `${name}: form to ${action}`);
      }
    }
    assert.equal(forms, 4, 'sign-in, enter code, device sign-in, cancel');
  });

  /** A browser with its own cookies that has loaded `url`; returns its CSRF value and a poster. */
  async function browser(url: string) {
    const jar = new CookieJar();
    const page = await h.app.http.inject({ method: 'GET', url });
    jar.absorb(page.headers['set-cookie']);
    return {
      page,
      csrf: hiddenField(page.body, 'csrf'),
      post: (path: string, fields: Record<string, string>, cookie = jar.header()) =>
        h.app.http.inject({
          method: 'POST',
          url: path,
          headers: { ...form, ...(cookie ? { cookie } : {}) },
          payload: new URLSearchParams(fields).toString(),
        }),
    };
  }

  test('sign-in form: missing token, another browser’s token, or no cookie → 403, no session, no code', async () => {
    const victim = await browser(authorizeUrl({}, pkcePair()));
    const attacker = await browser(authorizeUrl({}, pkcePair()));
    const fields = {
      authorize_request: hiddenField(victim.page.body, 'authorize_request'),
      username: 'alice@contoso.test',
      password: PASSWORD,
    };
    const path = `/${TENANT_ID}/oauth2/v2.0/authorize`;
    for (const [why, res] of [
      ['missing', await victim.post(path, fields)],
      ['mismatched', await victim.post(path, { ...fields, csrf: attacker.csrf })],
      ['no cookie', await victim.post(path, { ...fields, csrf: victim.csrf }, '')],
      ['empty', await victim.post(path, { ...fields, csrf: '' })],
    ] as const) {
      assert.equal(res.statusCode, 403, why);
      assert.equal(res.headers.location, undefined, why);
      assert.ok(!setCookies(res).some((c) => c.startsWith('portcullis_sso=')), `${why}: no session started`);
    }
    assert.equal((await victim.post(path, { ...fields, csrf: victim.csrf })).statusCode, 302, 'the real token works');
  });

  test('device code forms: entering a code and approving/declining need the browser’s own token', async () => {
    const start = await h.app.http.inject({
      method: 'POST',
      url: `/${TENANT_ID}/oauth2/v2.0/devicecode`,
      headers: form,
      payload: new URLSearchParams({ client_id: APP.publicClient, scope: 'User.Read' }).toString(),
    });
    const { user_code: userCode, device_code: deviceCode } = start.json() as Record<string, string>;
    const victim = await browser('/devicelogin');
    const attacker = await browser('/devicelogin');
    for (const [path, extra] of [
      ['/devicelogin', {}],
      ['/devicelogin/approve', { action: 'sign-in', username: 'alice@contoso.test', password: PASSWORD }],
      ['/devicelogin/approve', { action: 'decline' }],
      ['/devicelogin/approve', { action: 'confirm' }],
    ] as const) {
      const fields = { user_code: userCode!, ...extra };
      assert.equal((await victim.post(path, fields)).statusCode, 403, `${path} ${JSON.stringify(extra)}: missing`);
      assert.equal((await victim.post(path, { ...fields, csrf: attacker.csrf })).statusCode, 403, `${path}: mismatched`);
      assert.equal((await victim.post(path, { ...fields, csrf: victim.csrf }, '')).statusCode, 403, `${path}: no cookie`);
    }
    const poll = await h.app.http.inject({
      method: 'POST',
      url: `/${TENANT_ID}/oauth2/v2.0/token`,
      headers: form,
      payload: new URLSearchParams({ grant_type: 'device_code', client_id: APP.publicClient, device_code: deviceCode! }).toString(),
    });
    assert.equal(poll.json().error, 'authorization_pending', 'no forged approval or decline took effect');
  });
});

describe('CSRF tokens bound to the session or the pre-session cookie; foreign form posts refused', () => {
  let h: Harness;
  before(async () => {
    // A 1 s poll interval, so the checks' polls are not answered slow_down.
    h = await makeHarness({ config: { tokens: { ...DEFAULT_TOKEN_LIFETIMES, deviceCodeIntervalSeconds: 1 } } });
  });
  after(async () => h.close());

  const startDevice = async () =>
    (
      await h.app.http.inject({
        method: 'POST',
        url: `/${TENANT_ID}/oauth2/v2.0/devicecode`,
        headers: form,
        payload: new URLSearchParams({ client_id: APP.publicClient, scope: 'User.Read' }).toString(),
      })
    ).json() as Record<string, string>;
  const pollDevice = async (deviceCode: string) =>
    (
      await h.app.http.inject({
        method: 'POST',
        url: `/${TENANT_ID}/oauth2/v2.0/token`,
        headers: form,
        payload: new URLSearchParams({ grant_type: 'device_code', client_id: APP.publicClient, device_code: deviceCode }).toString(),
      })
    ).json().error as string | undefined;
  const post = (url: string, fields: Record<string, string>, cookie: string, headers: Record<string, string> = {}) =>
    h.app.http.inject({ method: 'POST', url, headers: { ...form, cookie, ...headers }, payload: new URLSearchParams(fields).toString() });

  test('a planted cookie equal to the posted field (the old double-submit) validates nowhere', async () => {
    const { user_code: userCode, device_code: deviceCode } = await startDevice();
    const { jar } = await signIn(h, 'alice@contoso.test');
    const sso = `__Host-portcullis_sso=${jar.get('__Host-portcullis_sso')}`;
    const planted = 'planted-by-another-site-0000000000';
    const cookie = `__Host-portcullis_csrf=${planted}; portcullis_csrf=${planted}; ${sso}`;
    const request = new URL(`https://x${authorizeUrl({}, pkcePair())}`).searchParams.toString();
    for (const [url, fields] of [
      ['/devicelogin', { user_code: userCode! }],
      ['/devicelogin/approve', { user_code: userCode!, action: 'confirm' }],
      ['/devicelogin/approve', { user_code: userCode!, action: 'continue' }],
      ['/devicelogin/approve', { user_code: userCode!, action: 'decline' }],
      [`/${TENANT_ID}/oauth2/v2.0/authorize`, { authorize_request: request, username: 'bob@contoso.test', password: PASSWORD }],
    ] as const) {
      const res = await post(url, { csrf: planted, ...fields }, cookie);
      assert.equal(res.statusCode, 403, `${url} ${JSON.stringify(fields)}`);
    }
    assert.equal(await pollDevice(deviceCode!), 'authorization_pending');
  });

  test('approval needs the token bound to the signed-in session: a pre-session token or another session’s is refused', async () => {
    const { user_code: userCode, device_code: deviceCode } = await startDevice();
    /** A browser signed in through the device page, on the confirmation page. */
    async function atConfirmation(user: string) {
      const jar = new CookieJar();
      const page = await h.app.http.inject({ method: 'GET', url: '/devicelogin' });
      jar.absorb(page.headers['set-cookie']);
      const preSession = hiddenField(page.body, 'csrf');
      const signedIn = await post(
        '/devicelogin/approve',
        { csrf: preSession, user_code: userCode!, action: 'sign-in', username: user, password: PASSWORD },
        jar.header(),
      );
      jar.absorb(signedIn.headers['set-cookie']);
      assert.match(signedIn.body, /Are you trying to sign in to Public Client\?/);
      assert.equal(await pollDevice(deviceCode!), 'authorization_pending', 'signing in alone approves nothing');
      return { jar, preSession, confirm: hiddenField(signedIn.body, 'csrf') };
    }
    const victim = await atConfirmation('alice@contoso.test');
    const attacker = await atConfirmation('bob@contoso.test');
    assert.notEqual(victim.confirm, victim.preSession);
    for (const [why, csrf] of [
      ['the pre-session token', victim.preSession],
      ['another session’s token', attacker.confirm],
      ['none', ''],
    ] as const) {
      const res = await post('/devicelogin/approve', { csrf, user_code: userCode!, action: 'confirm' }, victim.jar.header());
      assert.equal(res.statusCode, 403, why);
    }
    assert.equal(await pollDevice(deviceCode!), 'authorization_pending');
    const ok = await post('/devicelogin/approve', { csrf: victim.confirm, user_code: userCode!, action: 'confirm' }, victim.jar.header());
    assert.match(ok.body, /You have signed in to Public Client/);
  });

  test('Sec-Fetch-Site cross-site or same-site, or an Origin not ours (null included), is refused with a plain 403 page', async () => {
    const device = await h.app.http.inject({ method: 'GET', url: '/devicelogin' });
    const jar = new CookieJar();
    jar.absorb(device.headers['set-cookie']);
    const csrf = hiddenField(device.body, 'csrf');
    const routes = ['/devicelogin', '/devicelogin/approve', `/${TENANT_ID}/oauth2/v2.0/authorize`];
    const refused: Record<string, string>[] = [
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { origin: 'http://localhost:5555' },
      { origin: 'https://evil.login.portcullis.test' },
      { origin: 'http://login.portcullis.test' },
      { origin: 'null' },
      { 'sec-fetch-site': 'same-origin', origin: 'https://login.portcullis.test:8443' },
    ];
    for (const url of routes) {
      for (const headers of refused) {
        const res = await post(url, { csrf, user_code: 'BCDFGHJKL' }, jar.header(), headers);
        assert.equal(res.statusCode, 403, `${url} ${JSON.stringify(headers)}`);
        assert.match(res.body, /This request was blocked/);
        assert.doesNotMatch(res.body, /at \w+ \(|node_modules|Error:/);
      }
    }
    // Our own page's post, a user-initiated one, and a non-browser client pass on to the token check.
    for (const headers of [
      { 'sec-fetch-site': 'same-origin', origin: 'https://login.portcullis.test' },
      { 'sec-fetch-site': 'none' },
      {},
    ] as Record<string, string>[]) {
      const res = await post('/devicelogin', { csrf, user_code: 'BCDFGHJKL' }, jar.header(), headers);
      assert.equal(res.statusCode, 400, `${JSON.stringify(headers)}: the code was looked up (${res.body.slice(0, 100)})`);
    }
  });

  test('the token key lives in the store: a form from one instance posts to another on the same database', async () => {
    const other = await createApp({
      config: makeAppConfig({ publicUrl: PUBLIC_URL, logLevel: 'silent' }),
      store: openSqliteStore(h.dbFile),
    });
    try {
      const page = await h.app.http.inject({ method: 'GET', url: '/devicelogin' });
      const jar = new CookieJar();
      jar.absorb(page.headers['set-cookie']);
      const res = await other.http.inject({
        method: 'POST',
        url: '/devicelogin',
        headers: { ...form, cookie: jar.header() },
        payload: new URLSearchParams({ csrf: hiddenField(page.body, 'csrf'), user_code: 'BCDFGHJKL' }).toString(),
      });
      assert.equal(res.statusCode, 400, 'accepted by the other instance: the unknown code was looked up');
    } finally {
      await other.close();
      await other.services.store.close();
    }
  });
});

describe('post_logout_redirect_uri: exact match only (no open redirect)', () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness();
  });
  after(async () => h.close());

  const logout = (uri: string, clientId: string = APP.webApp) =>
    h.app.http.inject({
      method: 'GET',
      url: `/${TENANT_ID}/oauth2/v2.0/logout?${new URLSearchParams({ client_id: clientId, post_logout_redirect_uri: uri, state: 's1' })}`,
    });

  test('the registered URI, exactly, redirects (with state)', async () => {
    const res = await logout(REDIRECT.web);
    assert.equal(res.statusCode, 302);
    assert.equal(res.headers.location, `${REDIRECT.web}?state=s1`);
  });

  const registered = REDIRECT.web; // https://app.contoso.test/auth/callback
  const tricks: [string, string][] = [
    ['prefix', 'https://app.contoso.test/auth'],
    ['extra path segment', `${registered}/evil`],
    ['dot segments', 'https://app.contoso.test/auth/callback/../../evil'],
    ['query', `${registered}?next=https://evil.test`],
    ['fragment', `${registered}#evil`],
    ['trailing slash', `${registered}/`],
    ['userinfo (good@evil)', 'https://app.contoso.test@evil.test/auth/callback'],
    ['userinfo (evil@good)', 'https://evil.test@app.contoso.test/auth/callback'],
    ['host suffix', 'https://app.contoso.test.evil.test/auth/callback'],
    ['case of the host', 'https://APP.contoso.test/auth/callback'],
    ['case of the path', 'https://app.contoso.test/Auth/Callback'],
    ['case of the scheme', 'HTTPS://app.contoso.test/auth/callback'],
    ['encoded slash', 'https://app.contoso.test/auth%2Fcallback'],
    ['encoded characters', 'https://app.contoso.test/auth/%63allback'],
    ['encoded host', 'https://app%2Econtoso.test/auth/callback'],
    ['explicit default port', 'https://app.contoso.test:443/auth/callback'],
    ['other port', 'https://app.contoso.test:8443/auth/callback'],
    ['scheme downgrade', 'http://app.contoso.test/auth/callback'],
    ['protocol-relative', '//evil.test/auth/callback'],
    ['backslashes', 'https:\\\\evil.test\\auth\\callback'],
    ['leading space', ` ${registered}`],
    ['trailing space', `${registered} `],
    ['javascript:', 'javascript:alert(1)//https://app.contoso.test/auth/callback'],
    ['data:', 'data:text/html,<script>alert(1)</script>'],
    ['another app’s URI', REDIRECT.spa],
  ];
  for (const [name, uri] of tricks) {
    test(`refused: ${name}`, async () => {
      const res = await logout(uri);
      assert.equal(res.statusCode, 200, `${uri} → ${res.headers.location}`);
      assert.equal(res.headers.location, undefined);
      assert.match(res.body, /You signed out/);
      assert.ok(!res.body.includes('evil.test') || !/href|http-equiv/i.test(res.body), 'no link to the target either');
    });
  }

  test('an unknown client, or none, never redirects', async () => {
    assert.equal((await logout(REDIRECT.web, '00000000-0000-4000-8000-00000000dead')).headers.location, undefined);
    const noClient = await h.app.http.inject({
      method: 'GET',
      url: `/${TENANT_ID}/oauth2/v2.0/logout?post_logout_redirect_uri=${encodeURIComponent(REDIRECT.web)}`,
    });
    assert.equal(noClient.headers.location, undefined);
  });
});
