/**
 * portcullis/testing's signInBrowser: one call puts a signed-in SSO session into a real Chromium
 * context (Playwright), so the browser reaches the app without seeing the sign-in form; over
 * http and over https (the __Host- cookies of src/web/cookies.ts).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { TEST_APPS, TEST_USERS, startPortcullis, type RunningPortcullis } from '../../src/testing/index.js';
import { chromiumAvailable, launchChromium } from '../helpers/chromium.js';

let browser: Browser;
before(async () => {
  if (chromiumAvailable) browser = await launchChromium();
});
after(() => browser?.close());

async function landsSignedIn(kit: RunningPortcullis, signIn: boolean): Promise<URL> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  try {
    if (signIn) await kit.signInBrowser(context, { username: TEST_USERS.alice.userPrincipalName });
    const page = await context.newPage();
    const q = new URLSearchParams({
      client_id: TEST_APPS.webApp.appId,
      response_type: 'code',
      redirect_uri: TEST_APPS.webApp.redirectUri,
      scope: 'openid User.Read',
      state: 's1',
      prompt: 'none',
    });
    // The web app's redirect URI is not running: the browser's request to it says where it landed
    // (Playwright does not route a redirect's target, so the navigation itself fails).
    const landed = page.waitForRequest((r) => r.url().startsWith(TEST_APPS.webApp.redirectUri), { timeout: 10_000 });
    await page.goto(`${kit.authority}/oauth2/v2.0/authorize?${q}`).catch(() => undefined);
    return new URL((await landed).url());
  } finally {
    await context.close();
  }
}

for (const tls of [false, true]) {
  test(`signInBrowser gives a Playwright context a live session (${tls ? 'https' : 'http'})`, {
    skip: !chromiumAvailable && 'no Chromium',
  }, async () => {
    const kit = await startPortcullis({ tls });
    try {
      const without = await landsSignedIn(kit, false);
      assert.equal(without.searchParams.get('error'), 'login_required');
      const withSession = await landsSignedIn(kit, true);
      assert.equal(withSession.searchParams.get('error'), null, withSession.searchParams.get('error_description') ?? '');
      assert.ok(withSession.searchParams.get('code'));
    } finally {
      await kit.stop();
    }
  });
}
