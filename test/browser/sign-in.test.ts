import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { chromiumAvailable, launchChromium } from '../helpers/chromium.js';
import { createApp, type PortcullisApp } from '../../src/app.js';
import { makeAppConfig } from '../../src/config.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import type { Store } from '../../src/store/store.js';
import { authorizeUrl, pkcePair } from '../helpers/browser-flow.js';
import { APP, PASSWORD, TENANT_ID, WEB_SECRET, seedDirectory } from '../helpers/harness.js';
import { freePort } from '../helpers/processes.js';

/**
 * The sign-in page in a real browser (Debian's Chromium driven by playwright-core): type the
 * credentials, submit, land on the app with a code; SSO on the next visit; the form again after
 * the user's sessions are revoked.
 */
const available = chromiumAvailable;

let browser: Browser;
let app: PortcullisApp;
let store: Store;
let base: string;
let dir: string;

before(async () => {
  if (!available) return;
  dir = mkdtempSync(join(tmpdir(), 'portcullis-browser-'));
  store = openSqliteStore(join(dir, 'portcullis.db'));
  await seedDirectory(store, Date.now());
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  app = await createApp({ config: makeAppConfig({ publicUrl: base, logLevel: 'silent' }), store });
  await app.http.listen({ host: '127.0.0.1', port });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await app?.close();
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('sign in through the form in Chromium, SSO on return, form again after a revoke', {
  skip: !available && 'Debian chromium is not installed',
}, async () => {
  // The app behind the redirect URI: a real local server on a loopback port (RFC 8252 §7.3).
  const landed: string[] = [];
  const appServer = createServer((req, res) => {
    if (req.url?.includes('code=')) landed.push(`${redirectBase}${req.url.slice(1)}`);
    res.writeHead(200, { 'content-type': 'text/html' }).end('<title>app</title><p>app</p>');
  });
  const appPort = await freePort();
  await new Promise<void>((r) => appServer.listen(appPort, '127.0.0.1', r));
  const redirectBase = `http://localhost:${appPort}/`;
  const atApp = (u: URL) => u.href.startsWith(redirectBase);
  const context = await browser.newContext();
  const page = await context.newPage();
  const pkce = pkcePair();
  const url = `${base}${authorizeUrl({ redirectUri: redirectBase }, pkce)}`;

  await page.goto(url);
  assert.equal(await page.title(), 'Sign in to your account');
  if (process.env.PORTCULLIS_SCREENSHOT) await page.screenshot({ path: process.env.PORTCULLIS_SCREENSHOT });
  await page.fill('#username', 'alice@contoso.test');
  await page.fill('#password', 'wrong password');
  await page.click('button[type=submit]');
  assert.match((await page.textContent('.error')) ?? '', /incorrect/);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(atApp, { timeout: 10_000 }), page.click('button[type=submit]')]);
  const first = new URL(landed.at(-1)!);
  const code = first.searchParams.get('code');
  assert.ok(code);
  const token = await fetch(`${base}/${TENANT_ID}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: APP.publicClient,
      code,
      redirect_uri: redirectBase,
      code_verifier: pkce.verifier,
    }),
  });
  assert.equal(token.status, 200);

  // SSO: the session cookie signs the user in without the form.
  await page.goto(url);
  await page.waitForURL(atApp, { timeout: 10_000 });
  assert.equal(landed.length, 2);

  // Revoke through the Graph API with an app-only token, then the browser must sign in again.
  const admin = (await (
    await fetch(`${base}/${TENANT_ID}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: APP.webApp,
        client_secret: WEB_SECRET,
        scope: 'https://graph.microsoft.com/.default',
      }),
    })
  ).json()) as { access_token: string };
  const revoked = await fetch(`${base}/v1.0/users/alice@contoso.test/revokeSignInSessions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin.access_token}` },
  });
  assert.equal(revoked.status, 200);
  await page.goto(url);
  assert.equal(await page.title(), 'Sign in to your account');
  assert.equal(landed.length, 2);
  await context.close();
  appServer.close();
});
