/**
 * Tests of the MSAL app with portcullis/testing: the identity provider runs inside the test
 * process (no spawned server, no seed file, no browser). Run with `node --import tsx --test`
 * after `npm run build` (the package's exports point at dist/); the repository's suite runs it
 * from test/examples/msal-testing-kit.test.ts.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';
import { InteractionRequiredAuthError, ServerError } from '@azure/msal-node';
import { TEST_APPS, TEST_USERS, startPortcullis, type RunningPortcullis } from 'portcullis/testing';
import { MsalApp } from './msal-app.js';

const suiteStarted = performance.now();
let idp: RunningPortcullis;

before(async () => {
  // MSAL requires an https authority: the kit serves TLS with a certificate the app is told to trust.
  idp = await startPortcullis({ tls: true });
});
afterEach(() => idp.reset());
after(async () => {
  await idp?.stop();
  console.log(`msal example: ${(performance.now() - suiteStarted).toFixed(0)} ms`);
});

function makeApp(): MsalApp {
  return new MsalApp({
    authority: idp.authority,
    knownAuthority: idp.knownAuthority,
    clientId: TEST_APPS.publicClient.appId,
    redirectUri: TEST_APPS.publicClient.redirectUri,
    caCertificate: idp.caCertificate,
  });
}

async function signIn(app: MsalApp, username: string) {
  const { url, finish } = await app.beginSignIn();
  // The kit plays the user's browser: it signs in through the real form and hands back the redirect.
  return finish(await idp.completeAuthorization(url, { username }));
}

test('sign-in, silent refresh, admin revoke, then InteractionRequiredAuthError', async () => {
  const app = makeApp();
  const account = await signIn(app, TEST_USERS.alice.userPrincipalName);
  assert.equal(account.username, TEST_USERS.alice.userPrincipalName);
  const first = await app.accessToken();
  const refreshed = await app.accessToken({ forceRefresh: true });
  assert.notEqual(refreshed, first);

  await idp.users.revokeSessions(TEST_USERS.alice.userPrincipalName);
  await assert.rejects(
    app.accessToken({ forceRefresh: true }),
    (e) => e instanceof InteractionRequiredAuthError && e.errorCode === 'invalid_grant',
  );
  // Signing in again works.
  await signIn(app, TEST_USERS.alice.userPrincipalName);
  assert.ok(await app.accessToken({ forceRefresh: true }));
});

test('disabled account: the next refresh fails with invalid_grant AADSTS50057 (a ServerError in MSAL, not interaction)', async () => {
  const app = makeApp();
  await signIn(app, TEST_USERS.bob.userPrincipalName);
  await idp.users.disable(TEST_USERS.bob.userPrincipalName);
  await assert.rejects(
    app.accessToken({ forceRefresh: true }),
    (e) =>
      e instanceof ServerError &&
      !(e instanceof InteractionRequiredAuthError) &&
      e.errorCode === 'invalid_grant' &&
      /AADSTS50057/.test(e.message),
  );
});

test("with Entra's revocation delay emulated, the app keeps refreshing for a few minutes", async () => {
  const delayed = await startPortcullis({ tls: true, entraRevocationDelay: true });
  try {
    const app = new MsalApp({
      authority: delayed.authority,
      knownAuthority: delayed.knownAuthority,
      clientId: TEST_APPS.publicClient.appId,
      redirectUri: TEST_APPS.publicClient.redirectUri,
      caCertificate: delayed.caCertificate,
    });
    const { url, finish } = await app.beginSignIn();
    await finish(await delayed.completeAuthorization(url, { username: TEST_USERS.alice.userPrincipalName }));
    await delayed.users.revokeSessions(TEST_USERS.alice.userPrincipalName);
    assert.ok(await app.accessToken({ forceRefresh: true }), 'still refreshes right after the revoke');
    await delayed.clock.advance(5 * 60_000);
    await assert.rejects(app.accessToken({ forceRefresh: true }), InteractionRequiredAuthError);
  } finally {
    await delayed.stop();
  }
});
