/**
 * Continuous Access Evaluation end to end with the real Microsoft client libraries over HTTPS
 * (https://learn.microsoft.com/entra/identity-platform/claims-challenge; I6 in docs/revocation-model.md): @azure/msal-node with
 * `clientCapabilities: ['CP1']` signs alice in through the real sign-in form; the Graph JS client
 * calls /me; an admin revokes her sessions; the very next Graph call (same, unexpired access
 * token) gets 401 with the insufficient_claims challenge; MSAL, given the challenge's claims,
 * goes to the token endpoint with them and throws InteractionRequiredAuthError. A client without
 * CP1 gets a plain 401 InvalidAuthenticationToken on the same revoke.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  ConfidentialClientApplication,
  CryptoProvider,
  InteractionRequiredAuthError,
  LogLevel,
  PublicClientApplication,
  type Configuration,
} from '@azure/msal-node';
import { Client, GraphError } from '@microsoft/microsoft-graph-client';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_TOKEN_LIFETIMES } from '../../src/config.js';
import { APP, PASSWORD, REDIRECT, WEB_SECRET } from '../helpers/harness.js';
import { Browser } from './helpers/browser.js';
import { startHttpsServer, type RunningServer } from './helpers/https-server.js';
import { trustForGlobalFetch, type TrustHandle } from './helpers/trust.js';

const TEST_TIMEOUT_MS = 90_000;
const HOOK_TIMEOUT_MS = 30_000;
const SCOPES = ['User.Read'];

let server: RunningServer;
let trust: TrustHandle;
/** The `claims` parameter of every token-endpoint request, by grant type, as the server parsed it. */
const sentClaims: { grant: string; claims: string | undefined }[] = [];

function recordClaims(http: FastifyInstance): void {
  http.addHook('preHandler', async (req) => {
    if (req.method !== 'POST' || !/\/oauth2\/v2\.0\/token$/.test(req.url.split('?')[0] ?? '')) return;
    const body = req.body as Record<string, unknown> | undefined;
    sentClaims.push({ grant: String(body?.grant_type), claims: typeof body?.claims === 'string' ? body.claims : undefined });
  });
}

before(
  async () => {
    server = await startHttpsServer({ beforeListen: recordClaims });
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

function msalConfig(auth: { clientId: string; clientSecret?: string; clientCapabilities?: string[] }): Configuration {
  return {
    auth: { ...auth, authority: server.authority, knownAuthorities: [`localhost:${server.port}`] },
    system: {
      customAgentOptions: { ca: server.certPem },
      loggerOptions: { logLevel: LogLevel.Error, piiLoggingEnabled: false, loggerCallback: () => undefined },
    },
  };
}

function graphClient(getToken: () => string): Client {
  return Client.initWithMiddleware({
    authProvider: { getAccessToken: async () => getToken() },
    baseUrl: `${server.publicUrl}/`,
    customHosts: new Set(['localhost']),
  });
}

async function signIn(pca: PublicClientApplication, username: string) {
  const crypto = new CryptoProvider();
  const { verifier, challenge } = await crypto.generatePkceCodes();
  const url = await pca.getAuthCodeUrl({
    scopes: SCOPES,
    redirectUri: REDIRECT.publicClient,
    codeChallenge: challenge,
    codeChallengeMethod: 'S256',
  });
  const { location } = await new Browser().signIn(url, username, PASSWORD);
  const code = location.searchParams.get('code');
  assert.ok(code, `no code in ${location}`);
  return {
    url: new URL(url),
    result: await pca.acquireTokenByCode({ code, scopes: SCOPES, redirectUri: REDIRECT.publicClient, codeVerifier: verifier }),
  };
}

async function adminGraph(): Promise<Client> {
  const cca = new ConfidentialClientApplication(msalConfig({ clientId: APP.webApp, clientSecret: WEB_SECRET }));
  const admin = await cca.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] });
  assert.ok(admin?.accessToken);
  return graphClient(() => admin.accessToken);
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

const decodeJwt = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;

test('MSAL with CP1: revoke, the next Graph call gets the claims challenge, acquireTokenSilent({ claims }) needs interaction', {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const alice = server.users.alice!;
  const pca = new PublicClientApplication(msalConfig({ clientId: APP.publicClient, clientCapabilities: ['CP1'] }));

  // 1. MSAL declares CP1 on /authorize and /token; the access token carries xms_cc.
  const { url, result } = await signIn(pca, alice.userPrincipalName);
  assert.deepEqual(JSON.parse(url.searchParams.get('claims') ?? 'null'), { access_token: { xms_cc: { values: ['CP1'] } } });
  assert.deepEqual(JSON.parse(sentClaims.at(-1)?.claims ?? 'null'), { access_token: { xms_cc: { values: ['CP1'] } } });
  assert.deepEqual(decodeJwt(result.accessToken).xms_cc, ['cp1']);
  const account = result.account!;

  // 2. Graph works with that token.
  const asAlice = graphClient(() => result.accessToken);
  assert.equal(((await asAlice.api('/me').get()) as { id: string }).id, alice.id);

  // 3. An admin revokes alice's sessions through Graph.
  const admin = await adminGraph();
  const revoked = (await admin.api(`/users/${alice.id}`).select('id').get()) as { id: string };
  assert.equal(revoked.id, alice.id);
  assert.equal(((await admin.api(`/users/${alice.id}/revokeSignInSessions`).post({})) as { value: boolean }).value, true);
  const validFrom = Date.parse(
    ((await admin.api(`/users/${alice.id}`).select('signInSessionsValidFromDateTime').get()) as { signInSessionsValidFromDateTime: string })
      .signInSessionsValidFromDateTime,
  );

  // 4. The same unexpired access token: 401 with the CAE claims challenge (https://learn.microsoft.com/entra/identity-platform/claims-challenge).
  const refused = await expectGraphError(asAlice.api('/me').get());
  assert.equal(refused.statusCode, 401);
  assert.equal(refused.code, 'InvalidAuthenticationToken');
  const header = refused.headers?.get('www-authenticate') ?? '';
  const m = /^Bearer realm="", authorization_uri="([^"]+)", error="insufficient_claims", claims="([A-Za-z0-9+/=]+)"$/.exec(header);
  assert.ok(m, `not a CAE claims challenge: ${header}`);
  assert.equal(m[1], `${server.authority}/oauth2/v2.0/authorize`);
  const challenge = Buffer.from(m[2]!, 'base64').toString('utf8');
  assert.deepEqual(JSON.parse(challenge), { access_token: { nbf: { essential: true, value: String(Math.floor(validFrom / 1000)) } } });

  // 5. MSAL answers the challenge: it bypasses its cache, sends the refresh token with the
  //    challenge claims merged with CP1, and gets interaction_required (50173, bad_token).
  const before = sentClaims.length;
  let error: unknown;
  try {
    await pca.acquireTokenSilent({ account, scopes: SCOPES, claims: challenge });
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof InteractionRequiredAuthError, `expected InteractionRequiredAuthError, got ${String(error)}`);
  assert.equal(error.errorCode, 'invalid_grant');
  assert.equal(error.subError, 'bad_token');
  assert.equal(String(error.errorNo), '50173');
  const refreshCall = sentClaims.slice(before).find((c) => c.grant === 'refresh_token');
  assert.ok(refreshCall, 'MSAL went to the token endpoint instead of its cache');
  assert.deepEqual(JSON.parse(refreshCall.claims ?? 'null'), {
    access_token: { nbf: { essential: true, value: String(Math.floor(validFrom / 1000)) }, xms_cc: { values: ['CP1'] } },
  });

  // 6. Interaction works again and yields a cp1 token Graph accepts (I2).
  const again = await signIn(pca, alice.userPrincipalName);
  assert.deepEqual(decodeJwt(again.result.accessToken).xms_cc, ['cp1']);
  assert.equal(
    (
      (await graphClient(() => again.result.accessToken)
        .api('/me')
        .get()) as { id: string }
    ).id,
    alice.id,
  );
});

test('MSAL without CP1: the revoked token gets 401 InvalidAuthenticationToken without a claims challenge', {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const bob = server.users.bob!;
  const pca = new PublicClientApplication(msalConfig({ clientId: APP.publicClient }));
  const { url, result } = await signIn(pca, bob.userPrincipalName);
  assert.equal(url.searchParams.get('claims'), null);
  assert.equal(decodeJwt(result.accessToken).xms_cc, undefined);
  const asBob = graphClient(() => result.accessToken);
  assert.equal(((await asBob.api('/me').get()) as { id: string }).id, bob.id);

  await (await adminGraph()).api(`/users/${bob.id}/revokeSignInSessions`).post({});

  const refused = await expectGraphError(asBob.api('/me').get());
  assert.equal(refused.statusCode, 401);
  assert.equal(refused.code, 'InvalidAuthenticationToken');
  const header = refused.headers?.get('www-authenticate') ?? '';
  assert.equal(
    header,
    `Bearer realm="", authorization_uri="${server.authority}/oauth2/v2.0/authorize", client_id="00000003-0000-0000-c000-000000000000"`,
  );
  assert.doesNotMatch(header, /insufficient_claims/);
});

test('long-lived CAE tokens (configured): MSAL with CP1 gets a 20–28 h token and schedules its renewal from refresh_in', {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const longLived = await startHttpsServer({
    config: { tokens: { ...DEFAULT_TOKEN_LIFETIMES, caeAccessTokenMinSeconds: 20 * 3600, caeAccessTokenMaxSeconds: 28 * 3600 } },
  });
  const local = trustForGlobalFetch(longLived.certPem);
  try {
    const config = (clientCapabilities?: string[]): Configuration => ({
      auth: {
        clientId: APP.publicClient,
        authority: longLived.authority,
        knownAuthorities: [`localhost:${longLived.port}`],
        ...(clientCapabilities ? { clientCapabilities } : {}),
      },
      system: {
        customAgentOptions: { ca: longLived.certPem },
        loggerOptions: { logLevel: LogLevel.Error, loggerCallback: () => undefined },
      },
    });
    const acquire = async (pca: PublicClientApplication) => {
      const crypto = new CryptoProvider();
      const { verifier, challenge } = await crypto.generatePkceCodes();
      const url = await pca.getAuthCodeUrl({
        scopes: SCOPES,
        redirectUri: REDIRECT.publicClient,
        codeChallenge: challenge,
        codeChallengeMethod: 'S256',
      });
      const { location } = await new Browser().signIn(url, longLived.users.alice!.userPrincipalName, PASSWORD);
      return pca.acquireTokenByCode({
        code: location.searchParams.get('code')!,
        scopes: SCOPES,
        redirectUri: REDIRECT.publicClient,
        codeVerifier: verifier,
      });
    };
    const hours = (d: Date | null | undefined, from: number) => ((d?.getTime() ?? NaN) - from) / 3_600_000;

    const started = Date.now();
    const cae = await acquire(new PublicClientApplication(config(['CP1'])));
    const lifetime = hours(cae.expiresOn, started);
    assert.ok(lifetime >= 19.9 && lifetime <= 28.1, `CP1 token lives ${lifetime} h`);
    // refresh_in = half the lifetime: MSAL renews the token in the background from then on.
    const renewAfter = hours(cae.refreshOn, started);
    assert.ok(Math.abs(renewAfter - lifetime / 2) < 0.1, `refreshOn after ${renewAfter} h for a ${lifetime} h token`);
    assert.deepEqual(decodeJwt(cae.accessToken).xms_cc, ['cp1']);

    const plain = await acquire(new PublicClientApplication(config()));
    const plainLifetime = hours(plain.expiresOn, Date.now());
    assert.ok(plainLifetime > 0.9 && plainLifetime <= 1.5, `a client without CP1 keeps 60–90 min: ${plainLifetime} h`);
    assert.equal(plain.refreshOn, undefined);
  } finally {
    // Puts the suite's own trust back as the global dispatcher.
    await local.restore();
    await longLived.close();
  }
});
