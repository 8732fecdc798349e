/**
 * On-behalf-of with real @azure/msal-node (docs/your-app.md, "On-behalf-of from your API to
 * Graph"): an API that received a user's token for its own identifier URI calls
 * acquireTokenOnBehalfOf for Graph over HTTPS; the Graph token works, and after the user's
 * sessions are revoked the exchange fails with InteractionRequiredAuthError and the Graph token
 * obtained before is refused (I6, docs/revocation-model.md).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ConfidentialClientApplication, InteractionRequiredAuthError, LogLevel } from '@azure/msal-node';
import { systemClock } from '../../src/clock.js';
import { revokeUserSessions } from '../../src/core/revocation.js';
import { API, API_SECRET, registerApis } from '../helpers/api-apps.js';
import { APP, PASSWORD } from '../helpers/harness.js';
import { startHttpsServer, type RunningServer } from './helpers/https-server.js';
import { trustForGlobalFetch, type TrustHandle } from './helpers/trust.js';

const HOOK_TIMEOUT_MS = 30_000;
let server: RunningServer;
let trust: TrustHandle;

before(
  async () => {
    server = await startHttpsServer();
    trust = trustForGlobalFetch(server.certPem);
    await registerApis(server.store);
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

/** The token the API receives from its client: alice's, for api://contoso-todo/access_as_user. */
async function userTokenForApi(): Promise<string> {
  const res = await fetch(`${server.authority}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: APP.publicClient,
      username: 'alice@contoso.test',
      password: PASSWORD,
      scope: `${API.v1Uri}/access_as_user`,
    }),
  });
  const body = (await res.json()) as { access_token: string };
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.access_token;
}

const graphMe = (token: string) => fetch(`${server.publicUrl}/v1.0/me`, { headers: { authorization: `Bearer ${token}` } });

test('MSAL Node acquireTokenOnBehalfOf from the API to Graph works, and dies with revokeSignInSessions', async () => {
  const api = new ConfidentialClientApplication({
    auth: { clientId: API.v1, clientSecret: API_SECRET, authority: server.authority, knownAuthorities: [`localhost:${server.port}`] },
    system: {
      customAgentOptions: { ca: server.certPem },
      loggerOptions: { logLevel: LogLevel.Error, piiLoggingEnabled: false, loggerCallback: () => undefined },
    },
  });
  const oboAssertion = await userTokenForApi();
  const result = await api.acquireTokenOnBehalfOf({ oboAssertion, scopes: ['https://graph.microsoft.com/User.Read'] });
  assert.ok(result?.accessToken);
  const claims = JSON.parse(Buffer.from(result.accessToken.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
  assert.equal(claims.azp, API.v1, 'the middle tier is the token’s client');
  assert.equal(claims.oid, server.users.alice!.id);
  const me = await graphMe(result.accessToken);
  assert.equal(me.status, 200);
  assert.equal(((await me.json()) as { userPrincipalName: string }).userPrincipalName, 'alice@contoso.test');

  await revokeUserSessions(server.store, systemClock, { target: server.users.alice!, actor: {}, correlationId: 'test' });

  await assert.rejects(
    api.acquireTokenOnBehalfOf({ oboAssertion, scopes: ['https://graph.microsoft.com/User.Read'], skipCache: true }),
    (e: unknown) => e instanceof InteractionRequiredAuthError && /AADSTS50173/.test(e.message),
  );
  assert.equal((await graphMe(result.accessToken)).status, 401, 'the Graph token obtained on the user’s behalf is refused');
});
