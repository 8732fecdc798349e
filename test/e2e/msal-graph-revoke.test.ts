/**
 * End to end with the real Microsoft client libraries against Portcullis on a real HTTPS socket:
 * @azure/msal-node signs alice in (auth code + PKCE through the real sign-in form) and refreshes
 * silently; an admin revokes her sessions through @microsoft/microsoft-graph-client; MSAL's next
 * refresh must fail with InteractionRequiredAuthError (invalid_grant, suberror bad_token,
 * AADSTS50173), and a new interactive sign-in must work again (I1, I2 in docs/revocation-model.md;
 * https://learn.microsoft.com/graph/api/user-revokesigninsessions, https://learn.microsoft.com/entra/identity-platform/reference-error-codes).
 *
 * Certificates are trusted in-process: MSAL through `system.customAgentOptions.ca` (its
 * HttpClient builds an https.Agent from it), fetch-based clients through undici's global
 * dispatcher (helpers/trust.ts). TLS verification stays on.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  ConfidentialClientApplication,
  CryptoProvider,
  InteractionRequiredAuthError,
  LogLevel,
  PublicClientApplication,
  type AccountInfo,
  type AuthenticationResult,
  type Configuration,
} from '@azure/msal-node';
import { Client, GraphError } from '@microsoft/microsoft-graph-client';
import { APP, PASSWORD, REDIRECT, TENANT_ID, WEB_SECRET } from '../helpers/harness.js';
import { Browser } from './helpers/browser.js';
import { TokenEndpointCounter, startHttpsServer, type RunningServer } from './helpers/https-server.js';
import { trustForGlobalFetch, type TrustHandle } from './helpers/trust.js';

const TEST_TIMEOUT_MS = 90_000;
const HOOK_TIMEOUT_MS = 30_000;
const SCOPES = ['User.Read'];
const GRAPH_DEFAULT = 'https://graph.microsoft.com/.default';

let server: RunningServer;
let trust: TrustHandle;
const tokenCalls = new TokenEndpointCounter();

before(
  async () => {
    server = await startHttpsServer({ beforeListen: (http) => tokenCalls.install(http) });
    trust = trustForGlobalFetch(server.certPem);
  },
  { timeout: HOOK_TIMEOUT_MS },
);

after(
  async () => {
    await trust?.restore();
    await server?.close();
  },
  { timeout: HOOK_TIMEOUT_MS },
);

/** MSAL configuration for this server: host:port as known authority, the test CA for its agent. */
function msalConfig(auth: { clientId: string; clientSecret?: string }): Configuration {
  return {
    auth: { ...auth, authority: server.authority, knownAuthorities: [`localhost:${server.port}`] },
    system: {
      customAgentOptions: { ca: server.certPem },
      loggerOptions: { logLevel: LogLevel.Error, piiLoggingEnabled: false, loggerCallback: () => undefined },
    },
  };
}

/** Graph JS client against this server; `customHosts` keeps the Authorization header on localhost. */
function graphClient(getToken: () => string): Client {
  return Client.initWithMiddleware({
    authProvider: { getAccessToken: async () => getToken() },
    baseUrl: `${server.publicUrl}/`,
    customHosts: new Set(['localhost']),
  });
}

/** Interactive auth code + PKCE with MSAL building the URL and redeeming the code; the test is the browser. */
async function interactiveSignIn(pca: PublicClientApplication, browser: Browser, username: string) {
  const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
  const state = new CryptoProvider().createNewGuid();
  const url = await pca.getAuthCodeUrl({
    scopes: SCOPES,
    redirectUri: REDIRECT.publicClient,
    codeChallenge: challenge,
    codeChallengeMethod: 'S256',
    state,
  });
  assert.ok(url.startsWith(`${server.authority}/oauth2/v2.0/authorize?`), url);
  const { location, formShown } = await browser.signIn(url, username, PASSWORD);
  assert.equal(`${location.origin}${location.pathname}`, REDIRECT.publicClient);
  assert.equal(location.searchParams.get('error'), null, location.searchParams.get('error_description') ?? '');
  assert.equal(location.searchParams.get('state'), state);
  const code = location.searchParams.get('code');
  assert.ok(code, `no code in ${location}`);
  const before = tokenCalls.count('authorization_code');
  const result = await pca.acquireTokenByCode({ code, scopes: SCOPES, redirectUri: REDIRECT.publicClient, codeVerifier: verifier });
  assert.equal(tokenCalls.count('authorization_code'), before + 1);
  return { result, formShown };
}

/** A forced silent refresh that must hit the token endpoint with the refresh_token grant. */
async function forcedRefresh(pca: PublicClientApplication, account: AccountInfo): Promise<AuthenticationResult> {
  const before = tokenCalls.count('refresh_token');
  const result = await pca.acquireTokenSilent({ account, scopes: SCOPES, forceRefresh: true });
  assert.equal(tokenCalls.count('refresh_token'), before + 1, 'the refresh grant was used');
  return result;
}

async function expectInteractionRequired(p: Promise<unknown>): Promise<InteractionRequiredAuthError> {
  try {
    await p;
  } catch (e) {
    assert.ok(
      e instanceof InteractionRequiredAuthError,
      `expected InteractionRequiredAuthError, got ${(e as Error)?.constructor?.name}: ${String(e)}`,
    );
    return e;
  }
  assert.fail('the call succeeded');
}

async function expectGraphError(p: Promise<unknown>): Promise<GraphError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof GraphError, `expected GraphError, got ${String(e)}`);
    return e;
  }
  assert.fail('the Graph call succeeded');
}

test('MSAL sign-in and refresh, Graph revokeSignInSessions, then InteractionRequiredAuthError and a fresh sign-in', {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const alice = server.users.alice!;
  const bob = server.users.bob!;
  const pca = new PublicClientApplication(msalConfig({ clientId: APP.publicClient }));
  const browser = new Browser();

  // 1. Interactive sign-in: client_info honoured, so MSAL's account id is Entra-shaped.
  const { result: signedIn, formShown } = await interactiveSignIn(pca, browser, alice.userPrincipalName);
  assert.ok(formShown);
  const account = signedIn.account;
  assert.ok(account);
  assert.equal(account.homeAccountId, `${alice.id}.${TENANT_ID}`);
  assert.equal(account.localAccountId, alice.id);
  assert.equal(account.tenantId, TENANT_ID);
  assert.equal(account.username, alice.userPrincipalName);
  const idClaims = signedIn.idTokenClaims as { tid?: string; oid?: string };
  assert.equal(idClaims.tid, TENANT_ID);
  assert.equal(idClaims.oid, alice.id);
  assert.ok(signedIn.accessToken);

  // 2. Forced silent refresh: a new access token through the refresh_token grant.
  const refreshed = await forcedRefresh(pca, account);
  assert.ok(refreshed.accessToken);
  assert.notEqual(refreshed.accessToken, signedIn.accessToken);
  assert.equal(refreshed.account?.homeAccountId, account.homeAccountId);
  const aliceToken = refreshed.accessToken;

  // 3. Alice's own token works on Graph (/me) but may not revoke bob: 403 Authorization_RequestDenied.
  const asAlice = graphClient(() => aliceToken);
  const me = (await asAlice.api('/me').get()) as Record<string, unknown>;
  assert.equal(me.id, alice.id);
  assert.equal(me.userPrincipalName, alice.userPrincipalName);
  const denied = await expectGraphError(asAlice.api(`/users/${bob.userPrincipalName}/revokeSignInSessions`).post({}));
  assert.equal(denied.statusCode, 403);
  assert.equal(denied.code, 'Authorization_RequestDenied');

  // 4. An admin token through the real token endpoint (MSAL confidential client, client credentials).
  const cca = new ConfidentialClientApplication(msalConfig({ clientId: APP.webApp, clientSecret: WEB_SECRET }));
  const admin = await cca.acquireTokenByClientCredential({ scopes: [GRAPH_DEFAULT] });
  assert.ok(admin?.accessToken);
  const adminToken = admin.accessToken;
  const asAdmin = graphClient(() => adminToken);

  // 5. Revoke alice through the Graph JS client.
  const revokeStartedAt = Date.now();
  const revoked = (await asAdmin.api(`/users/${alice.userPrincipalName}/revokeSignInSessions`).post({})) as Record<string, unknown>;
  const revokeAnsweredAt = Date.now();
  assert.equal(revoked.value, true);

  const selected = (await asAdmin.api(`/users/${alice.userPrincipalName}`).select('signInSessionsValidFromDateTime').get()) as Record<
    string,
    unknown
  >;
  assert.equal(typeof selected.signInSessionsValidFromDateTime, 'string', JSON.stringify(selected));
  const validFrom = Date.parse(selected.signInSessionsValidFromDateTime as string);
  assert.ok(Number.isFinite(validFrom), `parsable timestamp: ${String(selected.signInSessionsValidFromDateTime)}`);
  assert.ok(
    validFrom >= revokeStartedAt,
    `validFrom ${new Date(validFrom).toISOString()} is before the revoke started (${new Date(revokeStartedAt).toISOString()})`,
  );
  assert.ok(validFrom <= revokeAnsweredAt, 'validFrom is after the revoke answered');

  // 6. MSAL's next refresh: InteractionRequiredAuthError carrying invalid_grant / bad_token / 50173.
  const refusedBefore = tokenCalls.count('refresh_token');
  const err = await expectInteractionRequired(pca.acquireTokenSilent({ account, scopes: SCOPES, forceRefresh: true }));
  assert.equal(tokenCalls.count('refresh_token'), refusedBefore + 1, 'the refusal came from the token endpoint');
  assert.equal(err.errorCode, 'invalid_grant');
  assert.equal(err.subError, 'bad_token');
  // Typed as string, but MSAL copies error_codes[0] through unchanged (a number on the wire).
  assert.equal(String(err.errorNo), '50173');
  assert.match(err.message, /50173/);
  // With suberror bad_token MSAL drops the dead refresh token: the next silent call needs no round trip to fail.
  const afterDrop = await expectInteractionRequired(pca.acquireTokenSilent({ account, scopes: SCOPES, forceRefresh: true }));
  assert.equal(tokenCalls.count('refresh_token'), refusedBefore + 1, 'MSAL removed the refresh token from its cache');
  assert.equal(afterDrop.errorCode, 'no_tokens_found');

  // 7. A fresh interactive sign-in works; the revoked SSO cookie no longer signs in silently.
  const { result: again, formShown: formShownAgain } = await interactiveSignIn(pca, browser, alice.userPrincipalName);
  assert.ok(formShownAgain, 'the revoked SSO session must not answer: the sign-in form is shown again');
  assert.equal(again.account?.homeAccountId, `${alice.id}.${TENANT_ID}`);
  const refreshedAgain = await forcedRefresh(pca, again.account!);
  assert.ok(refreshedAgain.accessToken);
  assert.notEqual(refreshedAgain.accessToken, again.accessToken);
});
