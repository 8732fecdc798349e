/**
 * End to end with openid-client v6 (a strict, certified OIDC relying party) against Portcullis on
 * a real HTTPS socket: discovery (issuer equality), authorization code + PKCE + nonce + state
 * through the real sign-in form, ID token validation (signature against the JWKS, iss, aud, exp,
 * iat, nonce), refresh-token rotation, and reuse detection revoking the whole family
 * (I4, docs/revocation-model.md; RFC 9700 §4.14.2).
 */
import assert from 'node:assert/strict';
import { createPublicKey, verify, type JsonWebKey } from 'node:crypto';
import { after, before, test } from 'node:test';
import * as client from 'openid-client';
import { APP, PASSWORD, REDIRECT, TENANT_ID, WEB_SECRET } from '../helpers/harness.js';
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

/** Verifies an RS256 JWS against the server's published JWKS with node:crypto (independent of openid-client). */
async function verifyAgainstJwks(jwt: string, jwksUri: string): Promise<Record<string, unknown>> {
  const [h, p, s] = jwt.split('.');
  assert.ok(h && p && s, 'a compact JWS');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as { alg: string; kid: string };
  assert.equal(header.alg, 'RS256');
  const res = await fetch(jwksUri, { signal: AbortSignal.timeout(10_000) });
  assert.equal(res.status, 200);
  const jwks = (await res.json()) as { keys: (JsonWebKey & { kid: string })[] };
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  assert.ok(jwk, `kid ${header.kid} is published in the JWKS`);
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  assert.ok(verify('RSA-SHA256', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url')), 'ID token signature verifies');
  return JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** The error openid-client raises for a token-endpoint error response. */
async function refreshError(config: client.Configuration, refreshToken: string): Promise<client.ResponseBodyError> {
  try {
    await client.refreshTokenGrant(config, refreshToken);
  } catch (e) {
    assert.ok(e instanceof client.ResponseBodyError, `expected a ResponseBodyError, got ${String(e)}`);
    return e;
  }
  assert.fail('the refresh token was accepted');
}

test('openid-client: discovery, code + PKCE + nonce, ID token, rotation and reuse detection', { timeout: TEST_TIMEOUT_MS }, async () => {
  const alice = server.users.alice!;

  // Discovery: openid-client requires the document's issuer to equal the URL it was given.
  const config = await client.discovery(new URL(server.issuer), APP.webApp, WEB_SECRET, undefined, { timeout: 10 });
  client.enableNonRepudiationChecks(config); // also verify ID token signatures against jwks_uri
  const metadata = config.serverMetadata();
  assert.equal(metadata.issuer, server.issuer);
  assert.equal(metadata.authorization_endpoint, `${server.publicUrl}/${TENANT_ID}/oauth2/v2.0/authorize`);
  assert.equal(metadata.token_endpoint, `${server.publicUrl}/${TENANT_ID}/oauth2/v2.0/token`);
  assert.equal(metadata.jwks_uri, `${server.publicUrl}/${TENANT_ID}/discovery/v2.0/keys`);

  // Authorization request with PKCE (S256), nonce and state.
  const codeVerifier = client.randomPKCECodeVerifier();
  const codeChallenge = await client.calculatePKCECodeChallenge(codeVerifier);
  const nonce = client.randomNonce();
  const state = client.randomState();
  const authorizationUrl = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT.web,
    scope: 'openid profile offline_access User.Read',
    code_challenge: codeChallenge,
    code_challenge_method: 'S256',
    nonce,
    state,
  });
  assert.equal(authorizationUrl.origin, server.publicUrl);

  const browser = new Browser();
  const { location, formShown } = await browser.signIn(authorizationUrl, alice.userPrincipalName, PASSWORD);
  assert.ok(formShown, 'a new browser sees the sign-in form');
  assert.equal(`${location.origin}${location.pathname}`, REDIRECT.web);
  assert.equal(location.searchParams.get('error'), null, location.searchParams.get('error_description') ?? '');
  assert.equal(location.searchParams.get('state'), state);
  assert.ok(location.searchParams.get('code'));

  // Code redemption: openid-client checks state, PKCE, and the ID token (signature, iss, aud, exp, iat, nonce).
  const tokens = await client.authorizationCodeGrant(config, location, {
    pkceCodeVerifier: codeVerifier,
    expectedNonce: nonce,
    expectedState: state,
    idTokenExpected: true,
  });
  assert.equal(tokens.token_type.toLowerCase(), 'bearer');
  assert.ok(tokens.access_token);
  assert.ok(tokens.refresh_token, 'offline_access gives a refresh token');
  assert.ok(tokens.id_token);
  const claims = tokens.claims();
  assert.ok(claims);
  assert.equal(claims.iss, server.issuer);
  assert.equal(claims.aud, APP.webApp);
  assert.equal(claims.nonce, nonce);
  assert.equal(claims.tid, TENANT_ID);
  assert.equal(claims.oid, alice.id);
  assert.equal(claims.preferred_username, alice.userPrincipalName);
  assert.equal(typeof claims.sub, 'string');
  assert.ok(claims.sub.length > 0);
  assert.notEqual(claims.sub, alice.id, 'sub is pairwise, not the object id');
  assert.equal(typeof claims.sid, 'string');
  assert.ok((claims.sid as string).length > 0);
  assert.equal(claims.ver, '2.0');
  const now = Math.floor(Date.now() / 1000);
  assert.ok(claims.exp > now && claims.iat <= now + 5, 'exp in the future, iat not in the future');
  // The same signature check done independently with node:crypto.
  const verified = await verifyAgainstJwks(tokens.id_token, metadata.jwks_uri!);
  assert.equal(verified.oid, alice.id);

  // Refresh: a new access token and a new (rotated) refresh token.
  const first = tokens.refresh_token;
  const refreshed = await client.refreshTokenGrant(config, first);
  assert.ok(refreshed.access_token);
  assert.notEqual(refreshed.access_token, tokens.access_token);
  assert.ok(refreshed.refresh_token, 'the refresh response carries a refresh token');
  assert.notEqual(refreshed.refresh_token, first, 'the refresh token is rotated');
  if (refreshed.id_token) {
    const refreshedClaims = refreshed.claims();
    assert.equal(refreshedClaims?.sub, claims.sub);
    assert.equal(refreshedClaims?.oid, alice.id);
  }
  const rotated = refreshed.refresh_token;

  // Replay of the already-rotated token: refused...
  const replay = await refreshError(config, first);
  assert.equal(replay.status, 400);
  assert.equal(replay.error, 'invalid_grant');
  assert.ok(Array.isArray(replay.cause.error_codes), 'Entra-shaped error body with error_codes');
  // ...and the reuse revokes the family, so the rotated successor is dead too.
  const successor = await refreshError(config, rotated);
  assert.equal(successor.status, 400);
  assert.equal(successor.error, 'invalid_grant');
  assert.ok(Array.isArray(successor.cause.error_codes), 'Entra-shaped error body with error_codes');

  // A new sign-in starts a new family, which the reuse above does not touch.
  const verifier2 = client.randomPKCECodeVerifier();
  const nonce2 = client.randomNonce();
  const state2 = client.randomState();
  const url2 = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT.web,
    scope: 'openid profile offline_access User.Read',
    code_challenge: await client.calculatePKCECodeChallenge(verifier2),
    code_challenge_method: 'S256',
    nonce: nonce2,
    state: state2,
  });
  const second = await browser.signIn(url2, alice.userPrincipalName, PASSWORD);
  const tokens2 = await client.authorizationCodeGrant(config, second.location, {
    pkceCodeVerifier: verifier2,
    expectedNonce: nonce2,
    expectedState: state2,
    idTokenExpected: true,
  });
  assert.ok(tokens2.refresh_token);
  const refreshed2 = await client.refreshTokenGrant(config, tokens2.refresh_token);
  assert.ok(refreshed2.refresh_token);
});
