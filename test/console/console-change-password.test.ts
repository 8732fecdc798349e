/**
 * My Account's "Change password" over real HTTP on a SQLite file: "This wasn't me" signs the browser
 * out and, after signing in again, lands on the change page; the form is CSRF-bound and goes through
 * Graph's POST /me/changePassword.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { verifySecret } from '../../src/crypto/passwords.js';
import type { Store } from '../../src/store/store.js';
import { ConsoleBrowser } from '../helpers/console-browser.js';
import { PASSWORD, TENANT_ID } from '../helpers/harness.js';
import { type ConsoleServer, startConsoleServer } from '../helpers/console-server.js';

const NEW_PASSWORD = 'Fresh-Battery-42';
const ALICE = 'alice@contoso.test';

let store: Store;
let base: string;

let server: ConsoleServer;

before(async () => {
  server = await startConsoleServer();
  ({ store, base } = server);
});

after(() => server?.close());

async function aliceHas(password: string): Promise<boolean> {
  const alice = await store.users.findByUserPrincipalName(TENANT_ID, ALICE);
  return verifySecret(alice?.passwordHash ?? '', password);
}

test("This wasn't me, sign in again, change the password on the page it leads to; the form is CSRF-bound", async () => {
  const b = new ConsoleBrowser(base);
  const sessions = await b.signIn('/myaccount', ALICE);
  assert.match(sessions.body, /href="\/myaccount\/change-password"/, 'linked from the account nav');
  const notMe = await b.request('POST', '/myaccount/not-me', { csrf: ConsoleBrowser.csrf(sessions.body) });
  assert.equal(notMe.status, 303);
  const target = notMe.headers.get('location')!;
  assert.equal(target, '/myaccount/change-password?from=not-me');
  // This browser was signed out too: the page asks to sign in first, then comes back to it.
  const page = await b.signIn(target, ALICE);
  assert.equal(page.status, 200, page.body.slice(0, 300));
  assert.equal(new URL(page.url).pathname + new URL(page.url).search, target);
  assert.match(page.body, /has been signed out/);
  assert.match(page.body, /<label for="currentPassword">[^<]+<\/label><input id="currentPassword"[^>]*autocomplete="current-password"/);
  assert.match(page.body, /<label for="newPassword">[^<]+<\/label><input id="newPassword"[^>]*autocomplete="new-password"/);
  assert.match(page.body, /<label for="confirmPassword">[^<]+<\/label><input id="confirmPassword"[^>]*autocomplete="new-password"/);
  const csrf = ConsoleBrowser.csrf(page.body);
  const change = { currentPassword: PASSWORD, newPassword: NEW_PASSWORD, confirmPassword: NEW_PASSWORD };

  for (const form of [change, { ...change, csrf: 'x'.repeat(43) }]) {
    const refused = await b.request('POST', '/myaccount/change-password', form);
    assert.equal(refused.status, 403);
    assert.match(refused.body, /This request was blocked/);
  }
  const foreign = await b.request('POST', '/myaccount/change-password', { ...change, csrf }, { origin: 'http://evil.example' });
  assert.equal(foreign.status, 403);
  assert.ok(await aliceHas(PASSWORD), 'refused posts changed nothing');

  const mismatch = await b.request('POST', '/myaccount/change-password', { ...change, confirmPassword: `${NEW_PASSWORD}x`, csrf });
  assert.equal(mismatch.status, 400);
  assert.match(mismatch.body, /role="alert"[^>]*>The new password and its confirmation differ/);
  const wrong = await b.request('POST', '/myaccount/change-password', { ...change, currentPassword: 'not-it', csrf });
  assert.equal(wrong.status, 400);
  assert.match(wrong.body, /Invalid currentPassword\./);
  const weak = await b.request('POST', '/myaccount/change-password', {
    ...change,
    newPassword: 'weakweak',
    confirmPassword: 'weakweak',
    csrf,
  });
  assert.equal(weak.status, 400);
  assert.match(weak.body, /password complexity requirements/);
  assert.ok(await aliceHas(PASSWORD), 'unchanged so far');

  const ok = await b.request('POST', '/myaccount/change-password', { ...change, csrf });
  assert.equal(ok.status, 303, ok.body.slice(0, 300));
  assert.equal(ok.headers.get('location'), '/myaccount/change-password?done=1');
  const done = await b.follow('GET', ok.headers.get('location')!);
  assert.match(done.body, /Your password was changed/);
  assert.ok(await aliceHas(NEW_PASSWORD), 'the new password is stored');
  assert.ok(!(await aliceHas(PASSWORD)), 'the old one no longer matches');
});
