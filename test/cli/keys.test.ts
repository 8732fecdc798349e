import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createApp, type PortcullisApp } from '../../src/app.js';
import { makeAppConfig } from '../../src/config.js';
import { generateSigningKey } from '../../src/crypto/jwt.js';
import { PgNotifyFeed } from '../../src/cluster/pg-listener.js';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import type { Store } from '../../src/store/store.js';
import { keysCli } from '../helpers/cli.js';
import { PUBLIC_URL, delegatedToken, makeHarness, seedDirectory, type Harness } from '../helpers/harness.js';
import { freshDatabase, requirePostgres } from '../helpers/postgres.js';
import { waitFor } from '../helpers/wait.js';

/** The kid in a JWT's header. */
const kidOf = (jwt: string): string => JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()).kid as string;
const jwksKids = async (app: PortcullisApp): Promise<string[]> =>
  (await app.http.inject({ method: 'GET', url: `/${app.tenant.id}/discovery/v2.0/keys` })).json().keys.map((k: { kid: string }) => k.kid);
const me = (app: PortcullisApp, token: string) =>
  app.http.inject({ method: 'GET', url: '/v1.0/me', headers: { authorization: `Bearer ${token}` } });

describe('portcullis keys (SQLite): a running server picks up a CLI rotation by its periodic check', () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness({ config: { keyReloadSeconds: 0.2 } });
  });
  after(async () => h?.close());

  test('rotate publishes a next key at once (signing unchanged); --now makes a key sign at once and replaces the pending one', async () => {
    const first = h.app.services.keys.signingKid;
    const before = delegatedToken(h, 'alice', ['User.Read']);
    const listed = await keysCli(['list', '--data-dir', h.dir]);
    assert.equal(listed.code, 0, listed.err);
    assert.match(listed.out, new RegExp(`${first}\\s+\\S+\\s+\\S+\\s+active$`, 'm'));

    const t0 = Date.now();
    const rotated = await keysCli(['rotate', '--data-dir', h.dir]);
    assert.equal(rotated.code, 0, rotated.err);
    assert.equal(rotated.err, '', 'the default lead time needs no warning');
    const next = /^(\S+)\s+\S+\s+(\S+)\s+next$/m.exec(rotated.out);
    assert.ok(next && next[1] !== first, rotated.out);
    const activatesAt = Date.parse(next[2]!);
    assert.ok(Math.abs(activatesAt - (t0 + 25 * 3_600_000)) < 60_000, `signs 25 h after the rotation: ${next[2]}`);
    assert.match(rotated.out, new RegExp(`${first}\\s+\\S+\\s+\\S+\\s+active$`, 'm'));

    await waitFor('the periodic check to publish the next key', async () => (await jwksKids(h.app)).includes(next[1]!), 5_000);
    assert.equal(h.app.services.keys.signingKid, first, 'published, not signing');
    assert.equal(kidOf(delegatedToken(h, 'alice', ['User.Read'])), first);

    const now = await keysCli(['rotate', '--now', '--data-dir', h.dir]);
    assert.equal(now.code, 0, now.err);
    assert.match(now.err, /warning: lead time 0 s/);
    const urgent = /^(\S+)\s+\S+\s+\S+\s+active$/m.exec(now.out)?.[1];
    assert.ok(urgent && urgent !== first && urgent !== next[1], now.out);
    assert.match(now.out, new RegExp(`${next[1]}\\s+\\S+\\s+\\S+\\s+removed `), 'the pending next key never signed: withdrawn');
    assert.match(now.out, new RegExp(`${first}\\s+\\S+\\s+\\S+\\s+retired, published until `));

    await waitFor('the periodic check to load the urgent key', async () => h.app.services.keys.signingKid === urgent, 5_000);
    assert.deepEqual(await jwksKids(h.app), [first, urgent]);
    assert.equal(kidOf(delegatedToken(h, 'alice', ['User.Read'])), urgent);
    assert.equal((await me(h.app, before)).statusCode, 200, 'a token signed by the retired key still verifies');
  });

  test('PORTCULLIS_KEY_LEAD_SECONDS sets the lead time; the server switches at activatesAt by itself', async () => {
    const old = h.app.services.keys.signingKid;
    // 8 s: the CLI must print the key as `next` before it activates, also on a busy machine where
    // starting the CLI process alone can take a few seconds.
    const r = await keysCli(['rotate', '--data-dir', h.dir], { PORTCULLIS_KEY_LEAD_SECONDS: '8' });
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /warning: lead time 8 s/);
    const next = /^(\S+)\s+\S+\s+(\S+)\s+next$/m.exec(r.out);
    assert.ok(next, r.out);
    await waitFor('the next key to be published', async () => (await jwksKids(h.app)).includes(next[1]!), 5_000);
    if (Date.now() < Date.parse(next[2]!)) assert.equal(h.app.services.keys.signingKid, old);
    await waitFor('the activation time', async () => h.app.services.keys.signingKid === next[1], 15_000);
    assert.ok(Date.now() >= Date.parse(next[2]!), 'not before activatesAt');
  });

  test('withdraw: a leaked, no longer active key is dropped at once (its tokens refused); the active key cannot be withdrawn', async () => {
    const active = h.app.services.keys.signingKid;
    const refused = await keysCli(['withdraw', active, '--data-dir', h.dir]);
    assert.equal(refused.code, 2, refused.out);
    assert.match(refused.err, /is the active signing key: run 'keys rotate --now' first/);

    const leaked = active;
    const signedByLeaked = delegatedToken(h, 'alice', ['User.Read']);
    const r = await keysCli(['rotate', '--now', '--data-dir', h.dir]);
    assert.equal(r.code, 0, r.err);
    await waitFor('the new key to sign', () => h.app.services.keys.signingKid !== leaked, 5_000);
    assert.equal((await me(h.app, signedByLeaked)).statusCode, 200, 'retired, still accepted');

    const w = await keysCli(['withdraw', leaked, '--data-dir', h.dir]);
    assert.equal(w.code, 0, w.err);
    assert.match(w.out, new RegExp(`^Withdrew ${leaked}`, 'm'));
    assert.match(w.out, new RegExp(`${leaked}\\s+\\S+\\s+\\S+\\s+removed `));
    await waitFor('the periodic check to drop the withdrawn key', async () => !(await jwksKids(h.app)).includes(leaked), 5_000);
    assert.equal((await me(h.app, signedByLeaked)).statusCode, 401, 'tokens of a withdrawn key are refused');

    const again = await keysCli(['withdraw', leaked, '--data-dir', h.dir]);
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /already withdrawn/);
  });

  test('usage errors are one line and exit 2; a missing database is not created', async () => {
    for (const args of [
      [],
      ['spin'],
      ['list', 'extra'],
      ['list', '--data-dir', `${h.dir}/nope`],
      ['rotate', '--data-dir', h.dir, '--redis-url', 'http://x'],
      ['rotate', '--data-dir', h.dir, '--now', '--lead-seconds', '5'],
      ['rotate', '--data-dir', h.dir, '--lead-seconds', '-1'],
      ['withdraw', '--data-dir', h.dir],
      ['withdraw', 'no-such-kid', '--data-dir', h.dir],
      ['list', 'x', '--data-dir', h.dir],
    ]) {
      const r = await keysCli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.out}${r.err}`);
      assert.match(r.err, /^portcullis: .+\n$/);
    }
  });
});

if (await requirePostgres('portcullis keys (PostgreSQL)')) {
  describe('portcullis keys (PostgreSQL): NOTIFY pick-up, retirement, catch-up on an unknown kid', () => {
    let db: { url: string; drop(): Promise<void> };
    const stores: Store[] = [];
    let notified: PortcullisApp;
    let deaf: PortcullisApp;
    let h: Pick<Harness, 'app' | 'users' | 'clock'>;

    before(async () => {
      db = await freshDatabase('portcullis_keys');
      const open = async () => {
        const s = await openPostgresStore({ url: db.url });
        stores.push(s);
        return s;
      };
      const seeded = await open();
      const users = await seedDirectory(seeded, Date.now());
      // Two instances on one database: one hears NOTIFY, the other has no feed and a periodic
      // check far longer than the test, so only NOTIFY or a catch-up can bring it a new key.
      const config = makeAppConfig({ publicUrl: PUBLIC_URL, logLevel: 'silent', keyReloadSeconds: 600 });
      notified = await createApp({ config, store: await open(), invalidation: new PgNotifyFeed(db.url) });
      deaf = await createApp({ config, store: await open() });
      h = { app: notified, users, clock: { now: () => Date.now() } };
    });
    after(async () => {
      await notified?.close();
      await deaf?.close();
      for (const s of stores) await s.close();
      await db?.drop();
    });

    test('a rotation reaches a listening instance through NOTIFY; the other catches up when it meets the new kid', async () => {
      const old = notified.services.keys.signingKid;
      // Give the listener its first connection before rotating.
      await new Promise((r) => setTimeout(r, 300));
      const r = await keysCli(['rotate', '--now', '--database-url', db.url]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /PostgreSQL NOTIFY/);
      await waitFor('NOTIFY to bring the new key', () => notified.services.keys.signingKid !== old, 5_000);
      const newKid = notified.services.keys.signingKid;
      assert.equal(deaf.services.keys.signingKid, old, 'no feed, no periodic check yet');

      // A token from the instance that already signs with the new key, on the one that does not know it.
      const token = delegatedToken(h as Harness, 'alice', ['User.Read']);
      assert.equal(kidOf(token), newKid);
      const res = await me(deaf, token);
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(deaf.services.keys.signingKid, newKid, 'the catch-up reload swapped the whole snapshot');
    });

    test('rotate withdraws keys whose publication ended (superseded more than the retention ago), and only those', async () => {
      const day = 24 * 3_600_000;
      const now = Date.now();
      const store = stores[0]!;
      // Backdated keys, as rotations days ago would have left them.
      const a = generateSigningKey(now - 4 * day);
      const b = generateSigningKey(now - 3 * day);
      const c = generateSigningKey(now - 2 * day);
      for (const k of [a, b, c]) await store.keys.insert(k);
      const before = (await store.keys.list()).map((k) => k.kid);
      const r = await keysCli(['rotate', '--database-url', db.url]);
      assert.equal(r.code, 0, r.err);
      const after = await store.keys.list();
      const retired = after.filter((k) => k.retiredAt !== null).map((k) => k.kid);
      // a was superseded (by b) 3 days ago and b (by c) 2 days ago, more than the 28.1 h retention:
      // withdrawn. c was superseded just now by the first key of the database: kept.
      assert.deepEqual(retired.sort(), [a.kid, b.kid].sort(), r.out);
      assert.equal(after.length, before.length + 1);
      const listed = await keysCli(['list', '--database-url', db.url]);
      assert.equal((listed.out.match(/ {2}removed \d/g) ?? []).length, 2, listed.out);
      assert.equal((listed.out.match(/ active$/gm) ?? []).length, 1, listed.out);
      assert.equal((listed.out.match(/ next$/gm) ?? []).length, 1, listed.out);
    });
  });
}
