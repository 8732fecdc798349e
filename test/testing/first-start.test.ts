/**
 * What spares a process's first startPortcullis() its argon2 and RSA work (docs/testing-kit.md
 * "Start time"): the default seed's hashes ship with the kit, seed secrets are hashed once per
 * process, one signing key serves every server of the process (each still with its own issuer),
 * the HTTPS certificate has an ECDSA key, and no server loads Fastify's JSON-schema compilers.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { createRequire } from 'node:module';
import { after, describe, test } from 'node:test';
import { Agent } from 'undici';
import { verifySecret } from '../../src/crypto/passwords.js';
import { TEST_APPS, TEST_USERS, defaultSeed, startPortcullis, type RunningPortcullis } from '../../src/testing/index.js';
import { DEFAULT_SEED_HASHES } from '../../src/testing/known-hashes.js';

const ALICE = TEST_USERS.alice.userPrincipalName;

async function kids(kit: RunningPortcullis): Promise<string[]> {
  const jwks = (await (await fetch(`${kit.authority}/discovery/v2.0/keys`)).json()) as { keys: Array<{ kid: string }> };
  return jwks.keys.map((k) => k.kid);
}

describe('first start', () => {
  const kits: RunningPortcullis[] = [];
  after(async () => {
    for (const k of kits) await k.stop();
  });

  test('the shipped hashes verify their secrets with argon2, with the parameters serve uses', async () => {
    const secrets = [TEST_USERS.alice.password, TEST_USERS.bob.password, TEST_USERS.admin.password, TEST_APPS.webApp.secret];
    assert.deepEqual(Object.keys(DEFAULT_SEED_HASHES).sort(), [...secrets].sort());
    for (const secret of secrets) {
      const hash = DEFAULT_SEED_HASHES[secret]!;
      assert.match(hash, /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/); // src/crypto/passwords.ts OPTIONS
      assert.equal(await verifySecret(hash, secret), true, secret);
      assert.equal(await verifySecret(hash, `${secret}x`), false);
    }
  });

  test('the default seed is stored with the shipped hashes, and they sign in', async () => {
    const kit = await startPortcullis();
    kits.push(kit);
    const user = await kit.app.services.store.users.findByUserPrincipalName(kit.tenantId, ALICE);
    assert.equal(user?.passwordHash, DEFAULT_SEED_HASHES[TEST_USERS.alice.password]);
    const tokens = await kit.tokens.password({ username: ALICE });
    assert.ok(tokens.access_token);
    const app = await kit.app.services.store.applications.findByAppId(kit.tenantId, TEST_APPS.webApp.appId);
    assert.deepEqual(
      app?.secrets.map((c) => c.hash),
      [DEFAULT_SEED_HASHES[TEST_APPS.webApp.secret]],
    );
    await kit.tokens.clientCredentials({ clientId: TEST_APPS.webApp.appId, clientSecret: TEST_APPS.webApp.secret });
  });

  test('servers of other seeds reuse the process signing key and seed hashes, yet refuse each other’s tokens', async () => {
    const seed = defaultSeed() as { tenant: Record<string, unknown>; users: Array<Record<string, unknown>> };
    seed.tenant = { ...seed.tenant, displayName: 'Another tenant' };
    seed.users = [...seed.users, { userPrincipalName: 'carol@contoso.test', password: 'Carol-Test-Pass-1', displayName: 'Carol' }];
    const a = await startPortcullis();
    kits.push(a);
    const b = await startPortcullis({ seed });
    kits.push(b);
    const c = await startPortcullis({ seed: { ...seed, tenant: { ...seed.tenant, displayName: 'A third' } } });
    kits.push(c);
    assert.deepEqual(await kids(b), await kids(a));
    const carol = async (k: RunningPortcullis) =>
      (await k.app.services.store.users.findByUserPrincipalName(k.tenantId, 'carol@contoso.test'))?.passwordHash;
    assert.equal(await carol(c), await carol(b)); // hashed once in this process
    const fromA = await a.tokens.password({ username: ALICE });
    const atB = await fetch(`${b.graphBaseUrl}/me`, { headers: { authorization: `Bearer ${fromA.access_token}` } });
    await atB.arrayBuffer();
    assert.equal(atB.status, 401); // another issuer (its own port)
  });

  test('the HTTPS certificate has an ECDSA P-256 key (milliseconds to make; RSA takes up to seconds)', async () => {
    const kit = await startPortcullis({ tls: true });
    kits.push(kit);
    const key = new X509Certificate(kit.caCertificate!).publicKey;
    assert.equal(key.asymmetricKeyType, 'ec');
    assert.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    const res = await fetch(`${kit.authority}/v2.0/.well-known/openid-configuration`, {
      dispatcher: new Agent({ connect: { ca: kit.caCertificate! } }),
    } as RequestInit);
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  });

  test("no server loads Fastify's JSON-schema compilers (src/http/no-schema-compilers.ts)", () => {
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    assert.ok(loaded.some((f) => f.includes('/node_modules/fastify/')));
    assert.deepEqual(
      loaded.filter((f) =>
        /\/node_modules\/(ajv\/|@fastify\/ajv-compiler\/|@fastify\/fast-json-stringify-compiler\/|fast-json-stringify\/index\.js)/.test(f),
      ),
      [],
    );
  });
});
