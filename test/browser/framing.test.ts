import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
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
import { seedDirectory } from '../helpers/harness.js';
import { freePort } from '../helpers/processes.js';

/**
 * What a hostile page can do to Portcullis's pages in a real browser (Debian's Chromium):
 * frame them (clickjacking: refused by CSP frame-ancestors / X-Frame-Options), and post a
 * forged form to them (refused: no CSRF token, and the SameSite=Strict cookie is not sent).
 * A control frame from the attacker's own origin shows the frame check can see content.
 */
const available = chromiumAvailable;

let browser: Browser;
let app: PortcullisApp;
let store: Store;
let attacker: Server;
let base: string;
let evil: string;
let dir: string;

before(async () => {
  if (!available) return;
  dir = mkdtempSync(join(tmpdir(), 'portcullis-framing-'));
  store = openSqliteStore(join(dir, 'portcullis.db'));
  await seedDirectory(store, Date.now());
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  app = await createApp({ config: makeAppConfig({ publicUrl: base, logLevel: 'silent' }), store });
  await app.http.listen({ host: '127.0.0.1', port });
  // The attacker's site: another origin (localhost vs 127.0.0.1, another port).
  const evilPort = await freePort();
  evil = `http://localhost:${evilPort}`;
  const signIn = `${base}${authorizeUrl({}, pkcePair())}`;
  attacker = createServer((req, res) => {
    const html: Record<string, string> = {
      '/frames': `<title>evil</title>
<iframe id="device" src="${base}/devicelogin"></iframe>
<iframe id="signin" src="${signIn.replace(/&/g, '&amp;')}"></iframe>
<iframe id="control" src="${evil}/framable"></iframe>`,
      '/framable': '<title>framable</title><form><input id="user_code"></form>',
      '/forge': `<title>forge</title><form id="f" method="post" action="${base}/devicelogin">
<input name="csrf" value="guessed-token-value-000000"><input name="user_code" value="BCDFGHJKL"></form>
<script>document.getElementById('f').submit()</script>`,
    };
    const body = html[req.url ?? ''];
    res.writeHead(body ? 200 : 404, { 'content-type': 'text/html' }).end(body ?? 'no');
  });
  await new Promise<void>((r) => attacker.listen(evilPort, '127.0.0.1', r));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await new Promise((r) => (attacker ? attacker.close(r) : r(undefined)));
  await app?.close();
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a hostile page cannot frame the sign-in or device pages (frame-ancestors none)', {
  skip: !available && 'Debian chromium is not installed',
}, async () => {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${evil}/frames`, { waitUntil: 'load', timeout: 15_000 });
    const frameOf = async (id: string) => (await (await page.$(`#${id}`))!.contentFrame())!;
    const control = await frameOf('control');
    assert.equal(await control.locator('#user_code').count(), 1, 'control: content of a framable page is visible to the check');
    for (const id of ['device', 'signin']) {
      const frame = await frameOf(id);
      assert.equal(
        await frame.locator('form, input, #user_code, #password').count(),
        0,
        `${id}: Portcullis content rendered inside a foreign frame (${frame.url()})`,
      );
    }
  } finally {
    await context.close();
  }
});

test('a forged cross-site form post to the device page is refused with 403', {
  skip: !available && 'Debian chromium is not installed',
}, async () => {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    // The victim has used the device page before: the browser holds a CSRF cookie for it.
    await page.goto(`${base}/devicelogin`, { timeout: 15_000 });
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${base}/devicelogin` && r.request().method() === 'POST', { timeout: 15_000 }),
      page.goto(`${evil}/forge`, { timeout: 15_000 }),
    ]);
    assert.equal(response.status(), 403);
  } finally {
    await context.close();
  }
});
