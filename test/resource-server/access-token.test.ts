/**
 * portcullis/resource-server, access-token validation against the real Portcullis app on a real
 * socket (discovery, JWKS over HTTP, tokens signed by its key ring): RS256 signature, iss, aud,
 * tid, exp/nbf with skew, explicit typing, and key rotation through a rate-limited JWKS refetch.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GRAPH_RESOURCE_APP_ID } from '../../src/core/permissions.js';
import { generateSigningKey } from '../../src/crypto/jwt.js';
import { ResourceServer, type ResourceServerOptions } from '../../src/resource-server/index.js';
import { APP, TENANT_ID, delegatedToken, type Harness } from '../helpers/harness.js';
import { listeningHarness } from '../helpers/listening.js';
import { respelledSignatures, signUntilRespellable } from '../helpers/respelled-jws.js';
import { newKey, signJws } from './test-transmitter.js';

describe('resource server: access tokens', () => {
  let h: Harness & { url: string };
  let issuer: string;
  const jwksFetches: string[] = [];
  /** The real global fetch, with the JWKS requests counted (nothing is answered by the test). */
  const countingFetch: typeof fetch = (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if (url.endsWith('/discovery/v2.0/keys')) jwksFetches.push(url);
    return fetch(input, init);
  };
  const servers: ResourceServer[] = [];
  const rsWith = async (options: Partial<ResourceServerOptions> = {}) => {
    const rs = await ResourceServer.create({
      issuer,
      audience: GRAPH_RESOURCE_APP_ID,
      allowGraphTokens: true,
      fetch: countingFetch,
      ...options,
    });
    servers.push(rs);
    return rs;
  };

  before(async () => {
    h = await listeningHarness();
    issuer = `${h.url}/${TENANT_ID}/v2.0`;
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await h.close();
  });

  /** A delegated token's claims for alice, signed by Portcullis's current key, with overrides. */
  const claims = (overrides: Record<string, unknown> = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return {
      aud: GRAPH_RESOURCE_APP_ID,
      iss: issuer,
      iat: now,
      nbf: now,
      exp: now + 3600,
      tid: TENANT_ID,
      oid: h.users.alice!.id,
      azp: APP.publicClient,
      scp: 'User.Read',
      ver: '2.0',
      ...overrides,
    };
  };
  const signed = (overrides: Record<string, unknown> = {}, typ?: string) => h.app.services.keys.sign(claims(overrides), typ);
  const bearer = (token: string) => `Bearer ${token}`;

  test('a token Portcullis issued is accepted and its claims are handed over', async () => {
    const rs = await rsWith();
    const outcome = await rs.authenticate(bearer(delegatedToken(h, 'alice', ['User.Read'])));
    assert.ok(outcome.ok, JSON.stringify(outcome));
    assert.equal(outcome.claims.oid, h.users.alice!.id);
    assert.equal(outcome.claims.tid, TENANT_ID);
    assert.equal(rs.metadata.authorizationEndpoint, `${h.url}/${TENANT_ID}/oauth2/v2.0/authorize`);
  });

  test('no token: 401 with realm and authorization_uri and no error code (RFC 6750 §3.1)', async () => {
    const rs = await rsWith();
    const outcome = await rs.authenticate(undefined);
    assert.equal(outcome.ok, false);
    assert.ok(!outcome.ok);
    assert.equal(outcome.status, 401);
    assert.equal(outcome.wwwAuthenticate, `Bearer realm="", authorization_uri="${h.url}/${TENANT_ID}/oauth2/v2.0/authorize"`);
    for (const header of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer a b']) {
      const o = await rs.authenticate(header);
      assert.ok(!o.ok && o.wwwAuthenticate.startsWith('Bearer error="invalid_token"'), header);
    }
  });

  const refused = async (rs: ResourceServer, token: string, description: RegExp) => {
    const outcome = await rs.authenticate(bearer(token));
    assert.ok(!outcome.ok, 'must be refused');
    assert.equal(outcome.status, 401);
    assert.match(outcome.wwwAuthenticate, /^Bearer error="invalid_token", error_description="/);
    assert.match(outcome.body.error_description, description);
  };

  test('signature: tampered payload, a foreign key under Portcullis kid, alg none or HS256', async () => {
    const rs = await rsWith();
    const good = signed();
    const [hd, , sig] = good.split('.');
    const otherPayload = Buffer.from(JSON.stringify(claims({ oid: h.users.bob!.id }))).toString('base64url');
    await refused(rs, `${hd}.${otherPayload}.${sig}`, /signature is invalid/);
    const foreign = newKey();
    await refused(rs, signJws({ ...foreign, kid: h.app.services.keys.signingKid }, { typ: 'JWT' }, claims()), /signature is invalid/);
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', kid: h.app.services.keys.signingKid })).toString('base64url')}.${good.split('.')[1]}.`;
    await refused(rs, none, /RS256/);
    const hs = `${Buffer.from(JSON.stringify({ alg: 'HS256', kid: h.app.services.keys.signingKid })).toString('base64url')}.${good.split('.')[1]}.${sig}`;
    await refused(rs, hs, /RS256/);
    await refused(rs, 'not.a.jwt', /not a JWT/);
  });

  test('a signature in a non-canonical base64url spelling (padding, + or /, trailing bits) is not a JWT', async () => {
    const rs = await rsWith();
    const token = signUntilRespellable((c) => h.app.services.keys.sign(c), claims());
    assert.ok((await rs.authenticate(bearer(token))).ok, 'the canonical spelling is accepted');
    for (const [name, respelled] of Object.entries(respelledSignatures(token))) await refused(rs, respelled, /not a JWT/);
    const [hd, p, s] = token.split('.') as [string, string, string];
    // Padding inside the token is no b64token (RFC 6750 §2.1): refused at the header already.
    await refused(rs, `${hd}=.${p}.${s}`, /not a bearer token/);
    await refused(rs, `${hd}.${p}==.${s}`, /not a bearer token/);
  });

  test('keys older than maxAgeMs are refetched in the background; an unreachable issuer leaves the held keys in use', async () => {
    let down = false;
    const fetches: string[] = [];
    const flaky: typeof fetch = (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      if (url.endsWith('/discovery/v2.0/keys')) {
        fetches.push(url);
        if (down) return Promise.reject(new TypeError('fetch failed'));
      }
      return fetch(input, init);
    };
    const rs = await rsWith({ fetch: flaky, jwks: { maxAgeMs: 50, minRefetchIntervalMs: 60_000 } });
    const token = delegatedToken(h, 'alice', ['User.Read']);
    assert.equal(fetches.length, 1, 'one fetch at start');
    await new Promise((r) => setTimeout(r, 60));
    down = true;
    assert.ok((await rs.authenticate(bearer(token))).ok, 'a stale set still verifies while the issuer is down');
    assert.equal(fetches.length, 2, 'a background refetch was started');
    await new Promise((r) => setTimeout(r, 60));
    assert.ok((await rs.authenticate(bearer(token))).ok);
    assert.ok(fetches.length <= 3, `at most one refetch per maxAgeMs (${fetches.length})`);
  });

  test('iss, aud and tid must match', async () => {
    const rs = await rsWith();
    await refused(rs, signed({ iss: `${h.url}/other/v2.0` }), /another issuer/);
    await refused(rs, signed({ aud: 'api://someone-else' }), /another audience/);
    await refused(rs, signed({ tid: '00000000-0000-0000-0000-000000000000' }), /another tenant/);
    const apiAudience = await rsWith({ audience: ['api://contoso-api', 'api://other'], allowGraphTokens: false });
    assert.ok(
      (await apiAudience.authenticate(bearer(signed({ aud: ['x', 'api://contoso-api'] })))).ok,
      'an aud array naming us is accepted',
    );
    await refused(apiAudience, signed(), /another audience/);
  });

  test("your API's audience: Graph tokens refused unless allowGraphTokens, v1.0 issuer accepted, 403 without the required scope or role", async () => {
    await assert.rejects(rsWith({ allowGraphTokens: false }), /audience names Microsoft Graph: set allowGraphTokens/);
    const api = await rsWith({ audience: ['api://contoso-api', 'b1b2c3d4-0000-4000-8000-0000000000a1'], allowGraphTokens: false });
    await refused(api, signed(), /another audience/);
    await refused(api, signed({ aud: 'https://graph.microsoft.com' }), /another audience/);
    const v1 = signed({ aud: 'api://contoso-api', iss: issuer.replace(/v2\.0$/, ''), ver: '1.0', scp: 'access_as_user' });
    assert.ok((await api.authenticate(bearer(v1))).ok, 'a v1.0 token (issuer without v2.0) for the identifier URI');
    const v2 = signed({ aud: 'b1b2c3d4-0000-4000-8000-0000000000a1', scp: 'access_as_user' });
    assert.ok((await api.authenticate(bearer(v2), { scopes: ['access_as_user'] })).ok, 'a v2.0 token for the appId with the scope');
    const other = await api.authenticate(bearer(v2), { scopes: ['Todo.Write'] });
    assert.equal(other.ok, false);
    if (!other.ok) {
      assert.equal(other.status, 403);
      assert.match(other.wwwAuthenticate, /^Bearer error="insufficient_scope", .*scope="Todo.Write"$/);
    }
    const appOnly = signed({ aud: 'api://contoso-api', scp: undefined, roles: ['Todo.Read.All'], idtyp: 'app' });
    assert.ok((await api.authenticate(bearer(appOnly), { roles: ['Todo.Read.All'] })).ok, 'an app-only token with the role');
    assert.equal((await api.authenticate(bearer(appOnly), { scopes: ['access_as_user'] })).ok, false, 'no role required: app-only refused');
    assert.equal((await api.authenticate(bearer(v2), { roles: ['Todo.Read.All'] })).ok, false, 'no scope required: user tokens refused');
  });

  test('exp and nbf with the clock skew; iat is required', async () => {
    const now = Math.floor(Date.now() / 1000);
    const rs = await rsWith({ clockSkewSeconds: 60 });
    assert.ok((await rs.authenticate(bearer(signed({ exp: now - 30 })))).ok, 'expired 30 s ago is within the 60 s skew');
    await refused(rs, signed({ exp: now - 90 }), /expired/);
    assert.ok((await rs.authenticate(bearer(signed({ nbf: now + 30, iat: now + 30 })))).ok, 'nbf 30 s ahead is within the skew');
    await refused(rs, signed({ nbf: now + 120 }), /not valid yet/);
    await refused(rs, signed({ iat: undefined }), /no issue time/);
    await refused(rs, signed({ exp: undefined }), /expired/);
  });

  test('other JWT types signed by the same keys are not access tokens (RFC 8725 §3.11)', async () => {
    const rs = await rsWith();
    await refused(rs, signed({}, 'secevent+jwt'), /not an access token/);
    await refused(rs, signed({}, 'logout+jwt'), /not an access token/);
    assert.ok((await rs.authenticate(bearer(signed({}, 'at+jwt')))).ok);
  });

  test('key rotation: a token under a new kid makes one JWKS refetch, and made-up kids are rate-limited', async () => {
    const rs = await rsWith({ jwks: { minRefetchIntervalMs: 60_000 } });
    const oldToken = delegatedToken(h, 'alice', ['User.Read']);
    const before = jwksFetches.length;

    // Rotate as `portcullis keys rotate --now` does: a new signing key, the old one still published.
    const key = generateSigningKey(Date.now());
    await h.store.keys.rotate(key, [], Date.now());
    assert.equal(await h.app.services.keys.reload(), true);
    const newToken = delegatedToken(h, 'alice', ['User.Read']);
    assert.equal(JSON.parse(Buffer.from(newToken.split('.')[0]!, 'base64url').toString()).kid, key.kid);

    assert.ok((await rs.authenticate(bearer(newToken))).ok, 'the new key is fetched on first sight');
    assert.equal(jwksFetches.length, before + 1);
    assert.ok((await rs.authenticate(bearer(oldToken))).ok, 'tokens of the superseded key still pass');

    // Unknown kids within the interval: refused without another fetch.
    const stranger = newKey();
    for (let i = 0; i < 5; i++) await refused(rs, signJws(stranger, { typ: 'JWT' }, claims()), /unknown key/);
    assert.equal(jwksFetches.length, before + 1, 'no refetch inside the rate-limit interval');
  });
});
