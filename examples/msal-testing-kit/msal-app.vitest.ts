/**
 * The MSAL app's tests under vitest (https://vitest.dev): the same identity provider inside the
 * test process as msal-app.test.ts, with vitest's hooks and expect. Run with
 * `npx vitest run --config examples/msal-testing-kit/vitest.config.ts` after `npm run build`
 * (`portcullis/testing` resolves to dist/); the repository's suite runs it from
 * test/examples/msal-testing-kit-vitest.test.ts.
 */
import { InteractionRequiredAuthError, ServerError } from '@azure/msal-node';
import { TEST_APPS, TEST_USERS, startPortcullis, type RunningPortcullis } from 'portcullis/testing';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { MsalApp } from './msal-app.js';

let idp: RunningPortcullis;
// MSAL requires an https authority: the kit serves TLS with a certificate the app is told to trust.
beforeAll(async () => {
  idp = await startPortcullis({ tls: true });
});
afterEach(() => idp.reset());
afterAll(() => idp?.stop());

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
  expect(account.username).toBe(TEST_USERS.alice.userPrincipalName);
  const first = await app.accessToken();
  expect(await app.accessToken({ forceRefresh: true })).not.toBe(first);

  await idp.users.revokeSessions(TEST_USERS.alice.userPrincipalName);
  await expect(app.accessToken({ forceRefresh: true })).rejects.toBeInstanceOf(InteractionRequiredAuthError);
  // Signing in again works.
  await signIn(app, TEST_USERS.alice.userPrincipalName);
  expect(await app.accessToken({ forceRefresh: true })).toBeTruthy();
});

test('disabled account: the next refresh fails with invalid_grant AADSTS50057 (a ServerError in MSAL, not interaction)', async () => {
  const app = makeApp();
  await signIn(app, TEST_USERS.bob.userPrincipalName);
  await idp.users.disable(TEST_USERS.bob.userPrincipalName);
  const refused = await app.accessToken({ forceRefresh: true }).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(ServerError);
  expect(refused).not.toBeInstanceOf(InteractionRequiredAuthError);
  expect((refused as ServerError).message).toMatch(/AADSTS50057/);
});
