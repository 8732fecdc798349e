/**
 * Signing-key rotation against verifiers that cache the JWKS, across the whole schedule of
 * src/core/key-rotation.ts: the next key is published at the rotation, signs from activatesAt,
 * and the retired key leaves the JWKS only after the longest lifetime of what it signed. The
 * server's clock is a ManualClock (time is advanced, never slept); the rotation is the CLI's own
 * function (rotateSigningKeys) with the server's lead time; everything else is real: SQLite file,
 * HTTP through a loopback proxy that counts JWKS fetches, jose's remote key set, and
 * portcullis/resource-server. One PostgreSQL test checks that two instances switch together.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { createApp, type PortcullisApp } from '../../src/app.js';
import { DEFAULT_TOKEN_LIFETIMES, makeAppConfig, type AppConfigOverrides } from '../../src/config.js';
import { CLOCK_SKEW_SECONDS, keyRetentionMs, rotateSigningKeys } from '../../src/core/key-rotation.js';
import { GRAPH_RESOURCE_APP_ID } from '../../src/core/permissions.js';
import { PgNotifyFeed } from '../../src/cluster/pg-listener.js';
import { ResourceServer } from '../../src/resource-server/index.js';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import type { Store } from '../../src/store/store.js';
import { CountingProxy } from '../helpers/counting-proxy.js';
import {
  APP,
  ManualClock,
  PUBLIC_URL,
  application,
  TENANT_ID,
  delegatedToken,
  makeHarness,
  seedDirectory,
  type Harness,
} from '../helpers/harness.js';
import { freshDatabase, requirePostgres } from '../helpers/postgres.js';
import { freePort } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const MIN_MS = 60_000;
const HOUR_MS = 60 * MIN_MS;
const DAY_MS = 24 * HOUR_MS;
const JWKS_PATH = '/discovery/v2.0/keys';
const kidOf = (jwt: string): string => JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()).kid as string;
const jwksKids = async (app: PortcullisApp): Promise<string[]> =>
  (await app.http.inject({ method: 'GET', url: `/${TENANT_ID}${JWKS_PATH}` })).json().keys.map((k: { kid: string }) => k.kid);

/** A harness on a ManualClock, reached only through a counting proxy (its public URL). */
async function behindProxy(
  clock: ManualClock,
  config: AppConfigOverrides = {},
): Promise<{ h: Harness; proxy: CountingProxy; base: string; close(): Promise<void> }> {
  const appPort = await freePort();
  const proxy = await CountingProxy.start(appPort);
  const base = `http://127.0.0.1:${proxy.port}`;
  const h = await makeHarness({ clock, config: { ...config, publicUrl: base, keyReloadSeconds: 0.1 } });
  await h.app.http.listen({ host: '127.0.0.1', port: appPort });
  return {
    h,
    proxy,
    base,
    close: async () => {
      await h.close();
      await proxy.close();
    },
  };
}

/** What `portcullis keys rotate` does, at the server's clock, with the server's lead time. */
async function rotate(h: Harness): Promise<{ kid: string; activatesAt: number }> {
  const config = h.app.services.config;
  const { key } = await rotateSigningKeys(h.store.keys, {
    now: h.clock.now(),
    leadMs: config.keyLeadSeconds * 1000,
    retentionMs: keyRetentionMs(config),
  });
  // The server learns of it by its periodic reload (SQLite has no other channel).
  await waitFor('the server to publish the next key', async () => (await jwksKids(h.app)).includes(key.kid), 5_000);
  return { kid: key.kid, activatesAt: key.activatesAt };
}

describe('key rotation with cached JWKS (SQLite, ManualClock)', () => {
  test('jose remote key set: tokens of the lead time carry the old kid; after activation the same cached set verifies new-key tokens without refetch', async () => {
    const clock = new ManualClock(Date.now());
    const s = await behindProxy(clock);
    try {
      const { h, proxy, base } = s;
      const issuer = `${base}/${TENANT_ID}/v2.0`;
      // Long cache and cooldown: jose never refetches for an unknown kid within the test.
      const jwks = createRemoteJWKSet(new URL(`${base}/${TENANT_ID}${JWKS_PATH}`), {
        cooldownDuration: 30 * DAY_MS,
        cacheMaxAge: 30 * DAY_MS,
      });
      const verify = (token: string) =>
        jwtVerify(token, jwks, { issuer, audience: GRAPH_RESOURCE_APP_ID, algorithms: ['RS256'], currentDate: new Date(clock.now()) });

      const oldKid = h.app.services.keys.signingKid;
      await verify(delegatedToken(h, 'alice', ['User.Read']));
      assert.equal(proxy.count(JWKS_PATH), 1);

      const next = await rotate(h);
      assert.equal(next.activatesAt, clock.now() + 25 * HOUR_MS, 'default lead time: 25 h');
      const during = delegatedToken(h, 'alice', ['User.Read']);
      assert.equal(kidOf(during), oldKid, 'the old key signs until activation');
      await verify(during);
      assert.equal(proxy.count(JWKS_PATH), 1, 'the JWKS cached before the rotation verifies tokens of the lead time');

      // The JWKS says how long it may be cached; that fits in the lead time with the reload
      // interval and clock skew to spare, so a verifier honouring it refreshes before activation.
      const res = await h.app.http.inject({ method: 'GET', url: `/${TENANT_ID}${JWKS_PATH}` });
      const maxAge = Number(/max-age=(\d+)/.exec(String(res.headers['cache-control']))?.[1]);
      assert.equal(maxAge, 86_400);
      assert.ok((maxAge + 0.1 + CLOCK_SKEW_SECONDS) * 1000 <= next.activatesAt - clock.now());
      clock.advance(maxAge * 1000);
      await jwks.reload(); // the verifier's own refresh as its cached copy reaches max-age
      assert.equal(proxy.count(JWKS_PATH), 2);

      clock.set(next.activatesAt - 1);
      const lastOld = delegatedToken(h, 'alice', ['User.Read']);
      assert.equal(kidOf(lastOld), oldKid);
      clock.set(next.activatesAt);
      const first = delegatedToken(h, 'alice', ['User.Read']);
      assert.equal(kidOf(first), next.kid, 'the new key signs from activatesAt, with no reload or message');
      assert.equal((await verify(first)).protectedHeader.kid, next.kid);
      clock.advance(55 * MIN_MS);
      await verify(lastOld); // old-key tokens verify until they expire (60-90 min after issue)
      await verify(delegatedToken(h, 'alice', ['User.Read']));
      assert.equal(proxy.count(JWKS_PATH), 2, 'no refetch across the activation');
    } finally {
      await s.close();
    }
  });

  test('portcullis/resource-server: cached before the rotation it accepts the lead time; cached during the lead it accepts both keys after activation; no refetch', async () => {
    const clock = new ManualClock(Date.now());
    const s = await behindProxy(clock);
    const servers: ResourceServer[] = [];
    try {
      const { h, proxy, base } = s;
      const issuer = `${base}/${TENANT_ID}/v2.0`;
      // Refetches only when the tests' days have passed: any fetch the proxy sees is a refetch.
      const resourceServer = async () => {
        const rs = await ResourceServer.create({
          issuer,
          audience: GRAPH_RESOURCE_APP_ID,
          allowGraphTokens: true,
          now: () => clock.now(),
          jwks: { minRefetchIntervalMs: 30 * DAY_MS, maxAgeMs: 30 * DAY_MS },
        });
        servers.push(rs);
        return rs;
      };
      const accepts = async (rs: ResourceServer, token: string) => {
        const outcome = await rs.authenticate(`Bearer ${token}`);
        assert.ok(outcome.ok, JSON.stringify(outcome));
      };
      const oldKid = h.app.services.keys.signingKid;
      const cachedBefore = await resourceServer();
      await accepts(cachedBefore, delegatedToken(h, 'alice', ['User.Read']));
      assert.equal(proxy.count(JWKS_PATH), 1);

      const next = await rotate(h);
      await accepts(cachedBefore, delegatedToken(h, 'alice', ['User.Read']));
      assert.equal(proxy.count(JWKS_PATH), 1, 'no refetch during the lead time');

      // A resource server that (re)loaded the JWKS during the lead time, as any cache of at most 24 h does.
      clock.advance(12 * HOUR_MS);
      const cachedDuring = await resourceServer();
      assert.equal(proxy.count(JWKS_PATH), 2);
      clock.set(next.activatesAt - 1);
      const lastOld = delegatedToken(h, 'alice', ['User.Read']);
      assert.equal(kidOf(lastOld), oldKid);
      clock.set(next.activatesAt);
      const first = delegatedToken(h, 'alice', ['User.Read']);
      assert.equal(kidOf(first), next.kid);
      await accepts(cachedDuring, first);
      clock.advance(55 * MIN_MS);
      await accepts(cachedDuring, lastOld);
      assert.equal(proxy.count(JWKS_PATH), 2, 'the new key was in the cached set: no refetch');
    } finally {
      await Promise.all(servers.map((rs) => rs.close()));
      await s.close();
    }
  });

  test('a retired key leaves the JWKS only after the longest lifetime it signed (28 h CAE tokens) + reload + skew', async () => {
    const clock = new ManualClock(Date.now());
    // CAE long-lived tokens on: a cp1 client's access token lives up to 28 h.
    const s = await behindProxy(clock, {
      tokens: { ...DEFAULT_TOKEN_LIFETIMES, caeAccessTokenMinSeconds: 28 * 3600, caeAccessTokenMaxSeconds: 28 * 3600 },
    });
    try {
      const { h, base } = s;
      const issuer = `${base}/${TENANT_ID}/v2.0`;
      const oldKid = h.app.services.keys.signingKid;
      const next = await rotate(h);
      clock.set(next.activatesAt - 1);
      const user = h.users.alice!;
      const longLived = h.app.services.tokens.issueDelegated({
        user,
        app: application({ appId: APP.publicClient }),
        graphScopes: ['User.Read'],
        oidcScopes: [],
        sessionId: null,
        authTime: clock.now(),
        nonce: null,
        clientAuthenticated: false,
        clientCapabilities: ['cp1'],
      });
      assert.equal(longLived.longLived, true);
      assert.equal(longLived.expiresIn, 28 * 3600);
      assert.equal(kidOf(longLived.accessToken), oldKid);

      const retention = keyRetentionMs(h.app.services.config);
      assert.equal(retention, (28 * 3600 + 0.1 + 300) * 1000);
      // Almost 28 h after activation, a verifier that fetches the JWKS only now still finds the old key.
      clock.set(next.activatesAt + 28 * HOUR_MS - MIN_MS);
      const fresh = createRemoteJWKSet(new URL(`${base}/${TENANT_ID}${JWKS_PATH}`));
      await jwtVerify(longLived.accessToken, fresh, { issuer, audience: GRAPH_RESOURCE_APP_ID, currentDate: new Date(clock.now()) });

      clock.set(next.activatesAt + retention - 1);
      assert.deepEqual(await jwksKids(h.app), [oldKid, next.kid]);
      assert.ok(h.app.services.keys.byId(oldKid), 'still accepted by the Graph API');
      clock.set(next.activatesAt + retention);
      assert.deepEqual(await jwksKids(h.app), [next.kid], 'removed by the clock, with no rotation or reload');
      assert.equal(h.app.services.keys.byId(oldKid), undefined);
    } finally {
      await s.close();
    }
  });
});

if (await requirePostgres('key rotation across two instances (PostgreSQL)')) {
  describe('key rotation across two instances on one PostgreSQL database', () => {
    let db: { url: string; drop(): Promise<void> };
    const stores: Store[] = [];
    const apps: PortcullisApp[] = [];
    const clock = new ManualClock(Date.now());
    let users: Harness['users'];

    before(async () => {
      db = await freshDatabase('portcullis_keylead');
      const open = async () => {
        const s = await openPostgresStore({ url: db.url });
        stores.push(s);
        return s;
      };
      users = await seedDirectory(await open(), clock.now());
      // One instance hears NOTIFY; the other only its periodic reload. Neither is told anything at activation.
      const config = makeAppConfig({ publicUrl: PUBLIC_URL, logLevel: 'silent', keyReloadSeconds: 0.2 });
      apps.push(await createApp({ config, store: await open(), clock, invalidation: new PgNotifyFeed(db.url) }));
      apps.push(await createApp({ config, store: await open(), clock }));
    });
    after(async () => {
      for (const app of apps) await app.close();
      for (const s of stores) await s.close();
      await db?.drop();
    });

    test('both instances publish the next key, then switch to it at the same stored activatesAt', async () => {
      const [a, b] = apps as [PortcullisApp, PortcullisApp];
      const old = a.services.keys.signingKid;
      assert.equal(b.services.keys.signingKid, old, 'one first key for both');
      const config = a.services.config;
      const { key } = await rotateSigningKeys(stores[0]!.keys, {
        now: clock.now(),
        leadMs: config.keyLeadSeconds * 1000,
        retentionMs: keyRetentionMs(config),
      });
      for (const app of apps)
        await waitFor('each instance to publish the next key', async () => (await jwksKids(app)).includes(key.kid), 5_000);
      assert.deepEqual(await jwksKids(a), await jwksKids(b));

      clock.set(key.activatesAt - 1);
      assert.deepEqual([a.services.keys.signingKid, b.services.keys.signingKid], [old, old]);
      clock.set(key.activatesAt);
      assert.deepEqual([a.services.keys.signingKid, b.services.keys.signingKid], [key.kid, key.kid]);
      // A token from one instance is accepted by the other's Graph API.
      const h: Pick<Harness, 'app' | 'clock' | 'users'> = { app: a, clock, users };
      const token = delegatedToken(h as Harness, 'alice', ['User.Read']);
      assert.equal(kidOf(token), key.kid);
      const me = await b.http.inject({ method: 'GET', url: '/v1.0/me', headers: { authorization: `Bearer ${token}` } });
      assert.equal(me.statusCode, 200, me.body);
    });
  });
}
