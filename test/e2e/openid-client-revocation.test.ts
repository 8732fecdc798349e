/**
 * RFC 7009 revocation and RFC 7662 introspection with openid-client v6 (`tokenRevocation`,
 * `tokenIntrospection`) against Portcullis on a real HTTPS socket: the endpoints come from
 * discovery; a confidential client signs alice in through the real sign-in form, introspects
 * and revokes; a public client (client authentication `none`) revokes its own refresh token with
 * its client_id alone (RFC 7009 §2.1). Revoking a refresh token kills its family, and the access
 * tokens of that grant are refused by the Graph API (I6).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as client from 'openid-client';
import { APP, PASSWORD, REDIRECT, WEB_SECRET } from '../helpers/harness.js';
import { Browser } from './helpers/browser.js';
import { startHttpsServer, type RunningServer } from './helpers/https-server.js';
import { trustForGlobalFetch, type TrustHandle } from './helpers/trust.js';

const TEST_TIMEOUT_MS = 60_000;
const HOOK_TIMEOUT_MS = 30_000;

let server: RunningServer;
let trust: TrustHandle;

before(
  async () => {
    server = await startHttpsServer();
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

async function graphMe(accessToken: string): Promise<number> {
  const res = await fetch(`${server.publicUrl}/v1.0/me`, {
    headers: { authorization: `Bearer ${accessToken}` },
    signal: AbortSignal.timeout(10_000),
  });
  await res.body?.cancel();
  return res.status;
}

async function expectBodyError(p: Promise<unknown>): Promise<client.ResponseBodyError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof client.ResponseBodyError, `expected a ResponseBodyError, got ${String(e)}`);
    return e;
  }
  assert.fail('the request succeeded');
}

test('openid-client: introspect, revoke a refresh token, its family and access tokens are dead', { timeout: TEST_TIMEOUT_MS }, async () => {
  const config = await client.discovery(new URL(server.issuer), APP.webApp, WEB_SECRET, undefined, { timeout: 10 });
  const metadata = config.serverMetadata();
  assert.equal(metadata.revocation_endpoint, `${server.authority}/oauth2/v2.0/revoke`);
  assert.equal(metadata.introspection_endpoint, `${server.authority}/oauth2/v2.0/introspect`);

  // Sign in through the real form (code + PKCE), then rotate once: a family of two.
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT.web,
    scope: 'openid offline_access User.Read',
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
  });
  const { location } = await new Browser().signIn(url, server.users.alice!.userPrincipalName, PASSWORD);
  const first = await client.authorizationCodeGrant(config, location, { pkceCodeVerifier: codeVerifier, expectedState: state });
  const second = await client.refreshTokenGrant(config, first.refresh_token!);
  assert.equal(await graphMe(first.access_token), 200);
  assert.equal(await graphMe(second.access_token), 200);

  // Introspection of both kinds of token.
  const at = await client.tokenIntrospection(config, second.access_token);
  assert.equal(at.active, true);
  assert.equal(at.client_id, APP.webApp);
  assert.equal(at.username, server.users.alice!.userPrincipalName);
  assert.equal(at.token_type, 'Bearer');
  const rt = await client.tokenIntrospection(config, second.refresh_token!, { token_type_hint: 'refresh_token' });
  assert.equal(rt.active, true);
  assert.equal(rt.client_id, APP.webApp);
  assert.deepEqual(await client.tokenIntrospection(config, first.refresh_token!), { active: false }, 'rotated away');

  // Revoke the current refresh token.
  await client.tokenRevocation(config, second.refresh_token!, { token_type_hint: 'refresh_token' });
  assert.deepEqual(await client.tokenIntrospection(config, second.refresh_token!), { active: false });
  assert.deepEqual(await client.tokenIntrospection(config, second.access_token), { active: false });
  assert.deepEqual(await client.tokenIntrospection(config, first.access_token), { active: false });
  const refused = await expectBodyError(client.refreshTokenGrant(config, second.refresh_token!));
  assert.equal(refused.error, 'invalid_grant');
  assert.equal(await graphMe(first.access_token), 401, 'the whole grant is cut, earlier access tokens too');
  assert.equal(await graphMe(second.access_token), 401);

  // Revoking again, or revoking garbage, is still 200 (RFC 7009 §2.2).
  await client.tokenRevocation(config, second.refresh_token!);
  await client.tokenRevocation(config, 'not-a-token');
});

test('openid-client as a public client (auth none): revokes its own refresh token with client_id; may not introspect', {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const config = await client.discovery(new URL(server.issuer), APP.publicClient, undefined, client.None(), { timeout: 10 });
  const tokens = await client.genericGrantRequest(config, 'password', {
    username: server.users.bob!.userPrincipalName,
    password: PASSWORD,
    scope: 'offline_access User.Read',
  });
  assert.ok(tokens.refresh_token);
  assert.equal(await graphMe(tokens.access_token), 200);

  const denied = await expectBodyError(client.tokenIntrospection(config, tokens.access_token));
  assert.equal(denied.status, 401);
  assert.equal(denied.error, 'invalid_client');

  await client.tokenRevocation(config, tokens.refresh_token);
  assert.equal(await graphMe(tokens.access_token), 401);
  const refused = await expectBodyError(client.refreshTokenGrant(config, tokens.refresh_token));
  assert.equal(refused.error, 'invalid_grant');
});
