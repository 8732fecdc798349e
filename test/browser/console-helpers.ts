/**
 * What the console's browser tests share: signing in through the console in a Chromium page,
 * axe-core injected from the npm package (never a CDN), and screenshots at desktop and 360 px
 * into test-output/screenshots/ (gitignored).
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { PASSWORD } from '../helpers/harness.js';

export const SCREENSHOTS = new URL('../../test-output/screenshots/', import.meta.url).pathname;

/** Opens a console path; signs in on the form if the browser has no SSO session; lands on `path`. */
export async function openConsole(page: Page, base: string, path: string, username: string): Promise<void> {
  await page.goto(`${base}${path}`, { timeout: 15_000 });
  if (await page.locator('#password').count()) {
    await page.fill('#username', username);
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL((u) => u.pathname === path.split('?')[0], { timeout: 15_000 }), page.click('button[type=submit]')]);
  }
  assert.equal(new URL(page.url()).pathname, path.split('?')[0]);
}

/** Whether the page is Portcullis's sign-in form. */
export async function onSignInForm(page: Page): Promise<boolean> {
  return new URL(page.url()).pathname.endsWith('/oauth2/v2.0/authorize') && (await page.locator('#password').count()) === 1;
}

declare const window: {
  axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> };
};

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical violations on the page (WCAG 2.1 A and AA rules and best practices). */
export async function seriousViolations(page: Page): Promise<string[]> {
  // Through the DevTools protocol: the console's CSP (rightly) refuses an injected <script>.
  await page.evaluate(AXE);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}
declare const document: unknown;

/** Full-page screenshots at 1280 px and 360 px wide. */
export async function screenshots(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const desktop = page.viewportSize() ?? { width: 1280, height: 800 };
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.screenshot({ path: `${SCREENSHOTS}${name}-desktop.png`, fullPage: true });
  await page.setViewportSize({ width: 360, height: 740 });
  await page.screenshot({ path: `${SCREENSHOTS}${name}-360.png`, fullPage: true });
  // A page wider than the screen at 360 px scrolls sideways: that is broken on a phone.
  const overflow = await page.evaluate(
    () => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth,
  );
  assert.ok(overflow <= 360, `${name} is ${overflow} px wide at 360 px`);
  await page.setViewportSize(desktop);
}
