/**
 * A single-page app on MSAL Browser (examples/spa-msal-browser/app.js, the snippet of
 * docs/your-app.md) in Debian's Chromium against Portcullis over HTTPS: loginRedirect, a forced
 * silent refresh (the refresh token redeemed cross-origin), Graph /me from the page; then an
 * administrator's revokeSignInSessions through Graph, after which acquireTokenSilent and ssoSilent
 * raise InteractionRequiredAuthError and the page's old access token is refused by Graph.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { chromiumAvailable, launchChromium } from '../helpers/chromium.js';
import { APP, PASSWORD, TENANT_ID } from '../helpers/harness.js';
import { freePort, makeLocalhostCertificate, startHttpsServer, type RunningServer } from '../e2e/helpers/https-server.js';

const available = chromiumAvailable;
/** The page's globals as app.js and the served page set them (this file is typed without the DOM lib). */
declare const window: { app: Record<string, (...x: unknown[]) => Promise<unknown>>; started: Promise<unknown>; popup?: Promise<unknown> };
// The package's browser bundle (a UMD script defining the global `msal`), beside its package.json.
const MSAL_BUNDLE = join(dirname(createRequire(import.meta.url).resolve('@azure/msal-browser/package.json')), 'lib', 'msal-browser.min.js');
const APP_JS = new URL('../../examples/spa-msal-browser/app.js', import.meta.url);

let server: RunningServer;
let spa: Server;
let spaOrigin: string;
let browser: Browser;

/** The SPA's static files on another loopback port (another origin, the same site as Portcullis). */
async function startSpaServer(idp: RunningServer): Promise<{ server: Server; origin: string }> {
  const tls = await makeLocalhostCertificate();
  const port = await freePort();
  const settings = JSON.stringify({ authority: idp.authority, clientId: APP.spa, graph: idp.publicUrl });
  const page = `<!doctype html><title>SPA</title><script src="/msal-browser.min.js"></script>
<script>window.PORTCULLIS = ${settings};</script>
<script type="module">import * as app from '/app.js'; window.app = app; window.started = app.start();</script>`;
  const files: Record<string, [string, string | Buffer]> = {
    '/': ['text/html', page],
    '/blank.html': ['text/html', '<!doctype html><title>blank</title>'],
    '/msal-browser.min.js': ['text/javascript', readFileSync(MSAL_BUNDLE)],
    '/app.js': ['text/javascript', readFileSync(APP_JS)],
  };
  const s = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    const file = files[(req.url ?? '/').split(/[?#]/)[0]!];
    if (!file) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': file[0], 'cache-control': 'no-store' }).end(file[1]);
  });
  await new Promise<void>((r) => s.listen(port, '127.0.0.1', r));
  return { server: s, origin: `https://localhost:${port}` };
}

before(async () => {
  if (!available) return;
  server = await startHttpsServer();
  ({ server: spa, origin: spaOrigin } = await startSpaServer(server));
  const app = await server.store.applications.findByAppId(TENANT_ID, APP.spa);
  await server.store.applications.upsert({ ...app!, spaRedirectUris: [`${spaOrigin}/`, `${spaOrigin}/blank.html`] });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await new Promise((r) => (spa ? spa.close(r) : r(undefined)));
  await server?.close();
});

/** Runs one of app.js's functions in the page; an error comes back as describeError's object. */
async function call<T>(
  page: Page,
  name: string,
  ...args: unknown[]
): Promise<{ ok: true; value: T } | { ok: false; error: Record<string, unknown> }> {
  return page.evaluate(
    async ([fn, a]) => {
      const app = window.app;
      try {
        return { ok: true as const, value: (await app[fn as string]!(...(a as unknown[]))) as never };
      } catch (e) {
        return { ok: false as const, error: (app.describeError as unknown as (x: unknown) => Record<string, unknown>)(e) };
      }
    },
    [name, args] as const,
  );
}

test('MSAL Browser: loginRedirect, silent refresh cross-origin, Graph from the page; after a revoke, interaction required', {
  skip: !available && 'Debian chromium is not installed',
  timeout: 120_000,
}, async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  // The token requests the page makes, with the Origin header the browser added.
  const tokenCalls: Promise<{ origin: string | undefined; grant: string | null }>[] = [];
  const lastTokenCall = async () => (await Promise.all(tokenCalls)).at(-1);
  page.on('request', (r) => {
    if (!r.url().includes('/oauth2/v2.0/token') || r.method() !== 'POST') return;
    const grant = new URLSearchParams(r.postData() ?? '').get('grant_type');
    tokenCalls.push(r.allHeaders().then((h) => ({ origin: h.origin, grant })));
  });
  await page.goto(`${spaOrigin}/`);
  await page.waitForFunction(() => 'started' in window);
  assert.equal(await page.evaluate(() => window.started), null);

  // loginRedirect: to Portcullis's sign-in form and back with a code in the fragment.
  // loginRedirect never resolves in the page: the page navigates away.
  await Promise.all([
    page.waitForURL((u) => u.pathname.endsWith('/oauth2/v2.0/authorize')),
    page.evaluate(() => {
      void window.app.signIn!();
    }),
  ]);
  await page.fill('#username', 'alice@contoso.test');
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL((u) => u.href.startsWith(spaOrigin), { timeout: 15_000 }), page.click('button[type=submit]')]);
  await page.waitForFunction(() => 'started' in window && 'app' in window);
  assert.equal(await page.evaluate(() => window.started), 'alice@contoso.test');
  assert.deepEqual(await lastTokenCall(), { origin: spaOrigin, grant: 'authorization_code' });

  const refreshed = await call<string>(page, 'token', { forceRefresh: true });
  assert.ok(refreshed.ok, JSON.stringify(refreshed));
  assert.deepEqual(await lastTokenCall(), { origin: spaOrigin, grant: 'refresh_token' }, 'the refresh token was redeemed by the page');
  const me = await call<{ status: number; body: { userPrincipalName: string } }>(page, 'me', refreshed.value);
  assert.ok(me.ok && me.value.status === 200 && me.value.body.userPrincipalName === 'alice@contoso.test', JSON.stringify(me));
  const sso = await call<string>(page, 'sso');
  assert.deepEqual(sso, { ok: true, value: 'alice@contoso.test' }, 'ssoSilent with the session cookie');

  // The administrator revokes Alice's sessions through Graph.
  const admin = server.app.services.tokens.issueDelegated({
    user: server.users.globaladmin!,
    app: (await server.store.applications.findByAppId(TENANT_ID, APP.publicClient))!,
    graphScopes: ['User.RevokeSessions.All'],
    oidcScopes: [],
    sessionId: null,
    authTime: Date.now(),
    nonce: null,
    clientAuthenticated: false,
  }).accessToken;
  const revoke = await server.app.http.inject({
    method: 'POST',
    url: `/v1.0/users/${server.users.alice!.id}/revokeSignInSessions`,
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    payload: '{}',
  });
  assert.equal(revoke.statusCode, 200, revoke.body);

  const silent = await call(page, 'token', { forceRefresh: true });
  assert.ok(!silent.ok && silent.error.interactionRequired === true, `acquireTokenSilent: ${JSON.stringify(silent)}`);
  const ssoAfter = await call(page, 'sso');
  assert.ok(!ssoAfter.ok && ssoAfter.error.interactionRequired === true, `ssoSilent: ${JSON.stringify(ssoAfter)}`);
  assert.equal(ssoAfter.ok ? null : ssoAfter.error.errorCode, 'login_required');
  const meAfter = await call<{ status: number }>(page, 'me', refreshed.value);
  assert.ok(meAfter.ok && meAfter.value.status === 401, `Graph refuses the old token at once: ${JSON.stringify(meAfter)}`);
  await context.close();
});

test('MSAL Browser: loginPopup signs in with the popup and the page redeems the code', {
  skip: !available && 'Debian chromium is not installed',
  timeout: 60_000,
}, async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  await page.goto(`${spaOrigin}/`);
  await page.waitForFunction(() => 'started' in window);
  assert.equal(await page.evaluate(() => window.started), null);
  const [popup] = await Promise.all([
    context.waitForEvent('page'),
    page.evaluate(() => {
      window.popup = window.app.signInPopup!();
    }),
  ]);
  await popup.waitForURL((u) => u.pathname.endsWith('/oauth2/v2.0/authorize'));
  await popup.fill('#username', 'bob@contoso.test');
  await popup.fill('#password', PASSWORD);
  await popup.click('button[type=submit]');
  assert.equal(await page.evaluate(() => window.popup), 'bob@contoso.test');
  const token = await call<string>(page, 'token');
  assert.ok(token.ok, JSON.stringify(token));
  const me = await call<{ status: number; body: { userPrincipalName: string } }>(page, 'me', token.value);
  assert.ok(me.ok && me.value.status === 200 && me.value.body.userPrincipalName === 'bob@contoso.test', JSON.stringify(me));
  await context.close();
});

test('docs/your-app.md shows the page code this test runs, verbatim', () => {
  const doc = readFileSync(new URL('../../docs/your-app.md', import.meta.url), 'utf8');
  assert.ok(
    doc.includes(readFileSync(APP_JS, 'utf8').trimEnd()),
    'update the snippet in docs/your-app.md from examples/spa-msal-browser/app.js',
  );
});
