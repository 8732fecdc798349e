/**
 * The "laptop stolen" incident in Debian's Chromium: Alice is signed in to My Account and to an
 * MSAL Browser SPA (examples/spa-msal-browser) in one browser; an administrator, in another,
 * finds her, confirms "Revoke sessions" with the dry-run count and reads the receipt. Alice's next
 * navigation lands on the sign-in form, her SPA gets InteractionRequiredAuthError, and the receipt
 * on the admin's screen is the one the store recorded.
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
import { onSignInForm, openConsole } from './console-helpers.js';

const available = chromiumAvailable;
declare const window: { app: Record<string, (...x: unknown[]) => Promise<unknown>>; started: Promise<unknown> };
const MSAL_BUNDLE = join(dirname(createRequire(import.meta.url).resolve('@azure/msal-browser/package.json')), 'lib', 'msal-browser.min.js');
const APP_JS = new URL('../../examples/spa-msal-browser/app.js', import.meta.url);

let server: RunningServer;
let spa: Server;
let spaOrigin: string;
let browser: Browser;

before(async () => {
  if (!available) return;
  server = await startHttpsServer();
  const tls = await makeLocalhostCertificate();
  const port = await freePort();
  const settings = JSON.stringify({ authority: server.authority, clientId: APP.spa, graph: server.publicUrl });
  const files: Record<string, [string, string | Buffer]> = {
    '/': [
      'text/html',
      `<!doctype html><title>SPA</title><script src="/msal-browser.min.js"></script><script>window.PORTCULLIS = ${settings};</script>
<script type="module">import * as app from '/app.js'; window.app = app; window.started = app.start();</script>`,
    ],
    '/blank.html': ['text/html', '<!doctype html><title>blank</title>'],
    '/msal-browser.min.js': ['text/javascript', readFileSync(MSAL_BUNDLE)],
    '/app.js': ['text/javascript', readFileSync(APP_JS)],
  };
  spa = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    const file = files[(req.url ?? '/').split(/[?#]/)[0]!];
    if (!file) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': file[0], 'cache-control': 'no-store' }).end(file[1]);
  });
  await new Promise<void>((r) => spa.listen(port, '127.0.0.1', r));
  spaOrigin = `https://localhost:${port}`;
  const app = await server.store.applications.findByAppId(TENANT_ID, APP.spa);
  await server.store.applications.upsert({ ...app!, spaRedirectUris: [`${spaOrigin}/`, `${spaOrigin}/blank.html`] });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await new Promise((r) => (spa ? spa.close(r) : r(undefined)));
  await server?.close();
});

async function spaToken(page: Page): Promise<{ ok: boolean; interactionRequired?: boolean }> {
  return page.evaluate(async () => {
    try {
      await window.app.token!({ forceRefresh: true });
      return { ok: true };
    } catch (e) {
      const d = (window.app.describeError as unknown as (x: unknown) => { interactionRequired: boolean })(e);
      return { ok: false, interactionRequired: d.interactionRequired };
    }
  });
}

test('an admin revokes Alice from the console: her My Account and her SPA are signed out, and the receipt matches', {
  skip: !available && 'Debian chromium is not installed',
  timeout: 180_000,
}, async () => {
  const base = server.publicUrl;
  const alice = server.users.alice!;
  const aliceContext = await browser.newContext({ ignoreHTTPSErrors: true });
  const adminContext = await browser.newContext({ ignoreHTTPSErrors: true });
  try {
    // Alice: the SPA signs in on the form, then My Account by single sign-on.
    const spaPage = await aliceContext.newPage();
    await spaPage.goto(`${spaOrigin}/`);
    await spaPage.waitForFunction(() => 'started' in window);
    await Promise.all([
      spaPage.waitForURL((u) => u.pathname.endsWith('/oauth2/v2.0/authorize')),
      spaPage.evaluate(() => {
        void window.app.signIn!();
      }),
    ]);
    await spaPage.fill('#username', 'alice@contoso.test');
    await spaPage.fill('#password', PASSWORD);
    await Promise.all([spaPage.waitForURL((u) => u.href.startsWith(spaOrigin), { timeout: 15_000 }), spaPage.click('button[type=submit]')]);
    await spaPage.waitForFunction(() => 'started' in window && 'app' in window);
    assert.equal(await spaPage.evaluate(() => window.started), 'alice@contoso.test');
    assert.deepEqual(await spaToken(spaPage), { ok: true });
    const account = await aliceContext.newPage();
    await openConsole(account, base, '/myaccount', 'alice@contoso.test');
    assert.equal(await account.locator('.tag.here').count(), 1, 'this browser is marked');

    // The administrator: find Alice, open her page, Revoke sessions, confirm.
    const admin = await adminContext.newPage();
    await openConsole(admin, base, '/admin/users', 'globaladmin@contoso.test');
    await admin.fill('#q', 'ali');
    await Promise.all([admin.waitForURL((u) => u.searchParams.get('q') === 'ali'), admin.click('form[role=search] button')]);
    await Promise.all([admin.waitForURL(`${base}/admin/users/${alice.id}`), admin.click('a:text("alice")')]);
    await Promise.all([admin.waitForURL(`${base}/admin/users/${alice.id}/revoke`), admin.click('#revoke')]);
    assert.match((await admin.textContent('#confirm-user')) ?? '', /alice@contoso\.test/);
    const live = await server.store.inventory.list({ tenantId: TENANT_ID, userId: alice.id, live: true, limit: 100, now: Date.now() });
    const liveSessions = live.filter((r) => r.kind === 'session').length;
    const liveGrants = live.length - liveSessions;
    const dryRun = (await admin.textContent('#dry-run')) ?? '';
    assert.match(dryRun, new RegExp(`ends ${liveSessions} browser sessions and ${liveGrants} app sign-ins`));
    assert.ok(liveSessions >= 1 && liveGrants >= 2, `the SPA's and My Account's sign-ins are live: ${dryRun}`);
    await Promise.all([admin.waitForURL((u) => u.pathname.startsWith('/admin/receipts/')), admin.click('#confirm')]);

    // The receipt on screen is the one recorded.
    const correlationId = (await admin.textContent('#correlation-id')) ?? '';
    const stored = await server.store.receipts.findByCorrelationId(TENANT_ID, correlationId);
    assert.ok(stored, 'the receipt exists');
    assert.equal(stored.userId, alice.id);
    assert.equal(Number(await admin.textContent('#sessions-revoked')), stored.cut.sessionIds.length);
    assert.equal(Number(await admin.textContent('#sessions-revoked')), liveSessions);
    assert.equal(Number(await admin.textContent('#grants-revoked')), liveGrants);
    assert.deepEqual(
      [...stored.cut.sessionIds].sort(),
      live
        .filter((r) => r.kind === 'session')
        .map((r) => r.id)
        .sort(),
    );

    // Alice's next navigation: the sign-in form. Her SPA: interaction required.
    await account.goto(`${base}/myaccount`);
    assert.ok(await onSignInForm(account), `My Account asks to sign in again: ${account.url()}`);
    assert.deepEqual(await spaToken(spaPage), { ok: false, interactionRequired: true });
    assert.equal(
      (await server.store.inventory.list({ tenantId: TENANT_ID, userId: alice.id, live: true, limit: 100, now: Date.now() })).length,
      0,
    );
  } finally {
    await aliceContext.close();
    await adminContext.close();
  }
});
