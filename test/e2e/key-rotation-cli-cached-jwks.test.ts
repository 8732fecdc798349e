/**
 * A verifier that cached the JWKS before `portcullis keys rotate` keeps accepting the tokens
 * issued right after it, with no refetch: the rotation publishes the new key and leaves the old
 * one signing until the lead time has passed (src/core/key-rotation.ts). Before that rule the new
 * key signed at once, and jose's remote key set (unknown kid within its cooldown) refused the first
 * new token, while portcullis/resource-server had to refetch the JWKS to accept it.
 * Real CLI process, real SQLite file, real HTTP through a counting loopback proxy, real clock.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { GRAPH_RESOURCE_APP_ID } from '../../src/core/permissions.js';
import { ResourceServer } from '../../src/resource-server/index.js';
import { keysCli } from '../helpers/cli.js';
import { CountingProxy } from '../helpers/counting-proxy.js';
import { TENANT_ID, delegatedToken, makeHarness, type Harness } from '../helpers/harness.js';
import { freePort } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const DAY_MS = 24 * 3_600_000;
const JWKS_PATH = '/discovery/v2.0/keys';
const kidOf = (jwt: string): string => JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()).kid as string;

describe('keys rotate with a verifier holding a cached JWKS', () => {
  let h: Harness;
  let proxy: CountingProxy;
  let issuer: string;
  let rs: ResourceServer;

  before(async () => {
    const appPort = await freePort();
    proxy = await CountingProxy.start(appPort);
    // Clients reach the server only through the proxy: the issuer and jwks_uri point at it.
    h = await makeHarness({ config: { publicUrl: `http://127.0.0.1:${proxy.port}`, keyReloadSeconds: 0.2 } });
    await h.app.http.listen({ host: '127.0.0.1', port: appPort });
    issuer = `http://127.0.0.1:${proxy.port}/${TENANT_ID}/v2.0`;
  });
  after(async () => {
    await rs?.close();
    await h?.close();
    await proxy?.close();
  });

  test('the first token after a rotation verifies against the JWKS cached before it, without a refetch', async () => {
    // jose: the key set is cached for a day and an unknown kid refetches only after a day's cooldown.
    const jwks = createRemoteJWKSet(new URL(`http://127.0.0.1:${proxy.port}/${TENANT_ID}${JWKS_PATH}`), {
      cooldownDuration: DAY_MS,
      cacheMaxAge: DAY_MS,
    });
    const verify = (token: string) => jwtVerify(token, jwks, { issuer, audience: GRAPH_RESOURCE_APP_ID, algorithms: ['RS256'] });
    await verify(delegatedToken(h, 'alice', ['User.Read']));
    rs = await ResourceServer.create({
      issuer,
      audience: GRAPH_RESOURCE_APP_ID,
      allowGraphTokens: true,
      jwks: { minRefetchIntervalMs: DAY_MS, maxAgeMs: DAY_MS },
    });
    assert.ok((await rs.authenticate(`Bearer ${delegatedToken(h, 'alice', ['User.Read'])}`)).ok);
    const fetched = proxy.count(JWKS_PATH);
    assert.equal(fetched, 2, 'one JWKS fetch by each verifier');

    const before = h.app.services.keys.jwks().keys.length;
    const r = await keysCli(['rotate', '--data-dir', h.dir]);
    assert.equal(r.code, 0, r.err);
    await waitFor('the server to publish the rotated key', () => h.app.services.keys.jwks().keys.length === before + 1, 5_000);

    const first = delegatedToken(h, 'alice', ['User.Read']);
    const { protectedHeader } = await verify(first).catch((e: Error) =>
      assert.fail(`jose refused the first token after the rotation (kid ${kidOf(first)}): ${e.message}`),
    );
    assert.equal(protectedHeader.kid, kidOf(first));
    const outcome = await rs.authenticate(`Bearer ${first}`);
    assert.ok(outcome.ok, JSON.stringify(outcome));
    assert.equal(proxy.count(JWKS_PATH), fetched, 'no verifier had to refetch the JWKS');
  });
});
