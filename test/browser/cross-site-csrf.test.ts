import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromiumAvailable, launchChromium } from '../helpers/chromium.js';
import { createApp, type PortcullisApp } from '../../src/app.js';
import { DEFAULT_TOKEN_LIFETIMES, makeAppConfig } from '../../src/config.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import type { Store } from '../../src/store/store.js';
import { authorizeUrl, pkcePair } from '../helpers/browser-flow.js';
import { APP, PASSWORD, TENANT_ID, seedDirectory } from '../helpers/harness.js';
import { freePort } from '../helpers/processes.js';

/**
 * CSRF from a page on another port of the same host, in a real browser (Debian's Chromium).
 * Cookies are not isolated by port and SameSite counts 127.0.0.1:B as the same site as
 * 127.0.0.1:A, so the attacker's page can write Portcullis's cookies with document.cookie and
 * its form posts carry the victim's SSO and CSRF cookies. It plants a `portcullis_csrf` cookie
 * equal to the form's `csrf` field (which satisfied the old double-submit check) and posts:
 * - to /devicelogin/approve with the victim's SSO session, to approve the attacker's device
 *   code (the attacker would poll /token for the victim's tokens);
 * - to the sign-in form with the attacker's own credentials (login CSRF).
 * Both must be refused, and the device code must stay pending. Then the honest path: the user
 * enters the code, signs in, and approves only on the confirmation page; Cancel declines.
 */
const available = chromiumAvailable;
// The browser tests' convention (test/helpers/chromium.ts): under CI=true a missing Chromium fails
// at import; only on a developer's machine without it do these tests skip, with this reason.
const skip = !available && 'Debian chromium is not installed';

let browser: Browser;
let app: PortcullisApp;
let store: Store;
let attacker: Server;
let appServer: Server;
let base: string;
let evil: string;
let redirectBase: string;
let dir: string;
/** What the attacker's page posts, set by each test before it sends the victim there. */
let attack: { action: string; fields: Record<string, string>; csrf: string } = { action: '', fields: {}, csrf: '' };

before(async () => {
  if (!available) return;
  dir = mkdtempSync(join(tmpdir(), 'portcullis-csrf-'));
  store = openSqliteStore(join(dir, 'portcullis.db'));
  await seedDirectory(store, Date.now());
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  // A 1 s poll interval: the test polls after each step without being told slow_down.
  const tokens = { ...DEFAULT_TOKEN_LIFETIMES, deviceCodeIntervalSeconds: 1 };
  app = await createApp({ config: makeAppConfig({ publicUrl: base, logLevel: 'silent', tokens }), store });
  await app.http.listen({ host: '127.0.0.1', port });
  // The attacker: same host, another port. document.cookie without Domain or port reaches every
  // port of 127.0.0.1 (RFC 6265 §8.5), then the form auto-submits. The cookie's Path is the
  // form's: script may not overwrite the HttpOnly cookie Portcullis set at Path=/, but may add one
  // at a longer path, which the browser sends first (RFC 6265 §5.4).
  const evilPort = await freePort();
  evil = `http://127.0.0.1:${evilPort}`;
  attacker = createServer((req, res) => {
    if (req.url !== '/attack') return void res.writeHead(404).end();
    const inputs = Object.entries({ csrf: attack.csrf, ...attack.fields })
      .map(([k, v]) => `<input type="hidden" name="${k}" value="${v.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}">`)
      .join('');
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<title>win a prize</title>
<form id="f" method="post" action="${attack.action}">${inputs}</form>
<script>document.cookie = 'portcullis_csrf=${attack.csrf}; path=${new URL(attack.action).pathname}'; document.getElementById('f').submit();</script>`);
  });
  await new Promise<void>((r) => attacker.listen(evilPort, '127.0.0.1', r));
  // The app behind the public client's loopback redirect URI (RFC 8252 §7.3).
  const appPort = await freePort();
  redirectBase = `http://localhost:${appPort}/`;
  appServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<title>app</title>'));
  await new Promise<void>((r) => appServer.listen(appPort, '127.0.0.1', r));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await new Promise((r) => (attacker ? attacker.close(r) : r(undefined)));
  await new Promise((r) => (appServer ? appServer.close(r) : r(undefined)));
  await app?.close();
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const form = { 'content-type': 'application/x-www-form-urlencoded' };

async function startDeviceCode(): Promise<{ userCode: string; deviceCode: string }> {
  const res = await fetch(`${base}/${TENANT_ID}/oauth2/v2.0/devicecode`, {
    method: 'POST',
    headers: form,
    body: new URLSearchParams({ client_id: APP.publicClient, scope: 'openid offline_access User.Read User.ReadWrite' }),
  });
  assert.equal(res.status, 200);
  const body = (await res.json()) as Record<string, string>;
  return { userCode: body.user_code!, deviceCode: body.device_code! };
}

/** The device's poll of /token (RFC 8628 §3.4): the error code, or 'tokens'. */
async function poll(deviceCode: string): Promise<string> {
  const res = await fetch(`${base}/${TENANT_ID}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: form,
    body: new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      client_id: APP.publicClient,
      device_code: deviceCode,
    }),
  });
  const body = (await res.json()) as Record<string, unknown>;
  return typeof body.access_token === 'string' ? 'tokens' : String(body.error);
}

/** The victim signs in through the sign-in form and lands on the app: the browser has SSO. */
async function signInVictim(page: Page): Promise<void> {
  await page.goto(`${base}${authorizeUrl({ redirectUri: redirectBase }, pkcePair())}`, { timeout: 15_000 });
  await page.fill('#username', 'alice@contoso.test');
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL((u) => u.href.startsWith(redirectBase), { timeout: 15_000 }), page.click('button[type=submit]')]);
}

/** Sends the victim's browser to the attacker's page and returns Portcullis's answer to the forged post. */
async function visitAttacker(page: Page, action: string): Promise<{ status: number; body: string }> {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url() === action && r.request().method() === 'POST', { timeout: 15_000 }),
    page.goto(`${evil}/attack`, { timeout: 15_000 }),
  ]);
  return { status: response.status(), body: await response.text().catch(() => '') };
}

const ssoCookie = async (context: BrowserContext) => (await context.cookies(base)).find((c) => c.name === 'portcullis_sso')?.value;

test('a page on another port cannot approve a device code with the victim’s SSO session', { skip }, async () => {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await signInVictim(page);
    assert.ok(await ssoCookie(context), 'the victim has an SSO session');
    const { userCode, deviceCode } = await startDeviceCode();
    assert.equal(await poll(deviceCode), 'authorization_pending');
    // Every action the approve form has had: "continue" (SSO), and "confirm" (the confirmation page).
    for (const action of ['continue', 'confirm', 'approve']) {
      attack = { action: `${base}/devicelogin/approve`, csrf: 'planted-by-the-attacker-000000', fields: { user_code: userCode, action } };
      const answer = await visitAttacker(page, attack.action);
      // The attacker's device is polling all along: no tokens for it.
      assert.equal(await poll(deviceCode), 'authorization_pending', `action=${action}`);
      assert.equal(answer.status, 403, `action=${action}: ${answer.body.slice(0, 200)}`);
      assert.doesNotMatch(answer.body, /You have signed in/);
    }
  } finally {
    await context.close();
  }
});

test('a page on another port cannot sign the victim in to the attacker’s account (login CSRF)', { skip }, async () => {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const request = new URL(`${base}${authorizeUrl({ redirectUri: redirectBase }, pkcePair())}`);
    attack = {
      action: `${base}/${TENANT_ID}/oauth2/v2.0/authorize`,
      csrf: 'planted-by-the-attacker-000000',
      fields: { authorize_request: request.searchParams.toString(), username: 'bob@contoso.test', password: PASSWORD },
    };
    const answer = await visitAttacker(page, attack.action);
    assert.equal(answer.status, 403, answer.body.slice(0, 200));
    assert.equal(await ssoCookie(context), undefined, 'no session was started in the victim’s browser');
  } finally {
    await context.close();
  }
});

test('device sign-in in Chromium: enter the code, sign in, confirm on a page naming the app, the user and the permissions', {
  skip,
}, async () => {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const { userCode, deviceCode } = await startDeviceCode();
    await page.goto(`${base}/devicelogin`, { timeout: 15_000 });
    await page.fill('#user_code', userCode);
    await Promise.all([page.waitForURL(`${base}/devicelogin`), page.click('button[type=submit]')]);
    await page.fill('#username', 'alice@contoso.test');
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL(`${base}/devicelogin/approve`), page.click('form:has(#username) button[type=submit]')]);
    // Signed in, but nothing approved until the user confirms.
    assert.equal(await poll(deviceCode), 'authorization_pending');
    assert.equal(await page.title(), 'Are you trying to sign in to Public Client?');
    assert.equal(await page.textContent('#signed-in-as'), 'alice@contoso.test');
    const permissions = await page.locator('#permissions li').allTextContents();
    assert.deepEqual(permissions, [
      'Sign you in (openid)',
      'Maintain access to data you have given it access to (offline_access)',
      'Sign you in and read your profile (User.Read)',
      'Read and write access to your profile (User.ReadWrite)',
    ]);
    if (process.env.PORTCULLIS_SCREENSHOT) await page.screenshot({ path: process.env.PORTCULLIS_SCREENSHOT, fullPage: true });
    await Promise.all([page.waitForURL(`${base}/devicelogin/approve`), page.click('#continue')]);
    assert.match((await page.textContent('h1')) ?? '', /You have signed in to Public Client/);
    assert.equal(await poll(deviceCode), 'tokens');

    // With the SSO session now in the browser: straight to the confirmation; Cancel declines.
    const second = await startDeviceCode();
    await page.goto(`${base}/devicelogin`, { timeout: 15_000 });
    await page.fill('#user_code', second.userCode);
    await Promise.all([page.waitForURL(`${base}/devicelogin`), page.click('button[type=submit]')]);
    assert.equal(await page.title(), 'Are you trying to sign in to Public Client?');
    await Promise.all([page.waitForURL(`${base}/devicelogin/approve`), page.click('button:text("Cancel")')]);
    assert.match((await page.textContent('h1')) ?? '', /Sign-in cancelled/);
    // RFC 8628 §3.5: the device learns the user declined.
    assert.equal(await poll(second.deviceCode), 'authorization_declined');
  } finally {
    await context.close();
  }
});
