import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { existsSync, mkdtempSync, statSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { TENANT, USERS, call, daemonToken, passwordSignIn, refresh, seedJson } from '../scale/cluster.js';
import { FaultLoad, describeVerdict, judge } from './fault-load.js';
import { killCount, seededRandom } from './seeded-random.js';
import { ServerProcess, runCli, runCliKilledAfter } from './server-process.js';
import { dbFile, readState, schemaOf } from './sqlite-state.js';
import { MIGRATIONS, migrate } from '../../src/store/sqlite/migrations.js';

/**
 * docs/fault-injection.md, "`kill -9` at random points": `kill -9` at random points while the SQLite store is being migrated, seeded, its
 * signing keys rotated and users revoked — real processes of the compiled CLI, killed by SIGKILL
 * after a delay drawn from a seeded RNG (the seed is printed; PORTCULLIS_FAULT_SEED replays a
 * run, PORTCULLIS_FAULT_KILLS sets the number of kills per scenario). After every kill the next
 * run must find a consistent store: the schema complete and identical to a clean one, the seed
 * re-runnable to completion, exactly one signing key, and every revoke that answered in effect.
 */
const rng = seededRandom();
const KILLS = killCount(6);
const SEED_KILLS = killCount(4);
const SEED_USERS = 30;
console.log(
  `kill -9 faults: seed ${rng.seed} (PORTCULLIS_FAULT_SEED=${rng.seed} replays it), ${KILLS} kills per scenario, ${SEED_KILLS} for seeding`,
);

/** The schema of a clean database on which exactly the given migrations were applied. */
function schemaAfter(versions: readonly number[]): string[] {
  const file = join(mkdtempSync(join(tmpdir(), 'portcullis-schema-')), 'portcullis.db');
  const db = new Database(file);
  try {
    migrate(
      db,
      Date.now(),
      MIGRATIONS.filter((m) => versions.includes(m.version)),
    );
  } finally {
    db.close();
  }
  const schema = schemaOf(file);
  rmSync(file, { force: true });
  return schema;
}

/** Counts the users a running seed has committed so far (a reader beside the writer, WAL mode). */
function userCounter(file: string): { count(): number; close(): void } {
  let db: Database.Database | null = null;
  return {
    count() {
      try {
        db ??= existsSync(file) ? new Database(file, { fileMustExist: true, timeout: 0 }) : null;
        return db ? (db.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n : 0;
      } catch {
        return 0; // no table yet, or busy: ask again
      }
    },
    close() {
      db?.close();
    },
  };
}

describe('kill -9 at random points (SQLite)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-kill9-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('during migration: the schema is complete and identical to a clean one after the next run', { timeout: 240_000 }, async () => {
    const refDir = join(dir, 'migrate-ref');
    // How long the work takes once the database file exists (the rest is Node starting up).
    let appeared = 0;
    const ref = await runCliKilledAfter(['migrate', '--data-dir', refDir], 60_000, {
      once: () => existsSync(dbFile(refDir)) && (appeared = performance.now()) > 0,
    });
    const windowMs = Math.max(1, performance.now() - appeared);
    assert.equal(ref.code, 0, ref.out);
    const reference = schemaOf(dbFile(refDir));
    const versions = readState(dbFile(refDir)).versions;
    const at = { beforeTheCommit: 0, afterTheCommit: 0, finishedFirst: 0 };
    for (let i = 0; i < KILLS; i++) {
      const dataDir = join(dir, `migrate-${i}`);
      const r = await runCliKilledAfter(['migrate', '--data-dir', dataDir], rng.between(0, windowMs), {
        once: () => existsSync(dbFile(dataDir)),
      });
      if (!r.killed) {
        assert.equal(r.code, 0, r.out);
        at.finishedFirst++;
      } else {
        const state = readState(dbFile(dataDir));
        assert.equal(state.integrity, 'ok');
        // Each migration commits with its schema_migrations row: all of it or none of it.
        if (state.versions.length === 0) at.beforeTheCommit++;
        else {
          // Migrations apply in ascending version order, each in its own transaction: the recorded
          // ones are a prefix, and the schema is exactly what those (and no others) produce.
          assert.deepEqual(state.versions, versions.slice(0, state.versions.length), 'recorded versions are a prefix');
          assert.deepEqual(schemaOf(dbFile(dataDir)), schemaAfter(state.versions), 'every recorded migration is complete');
          at.afterTheCommit++;
        }
      }
      const again = await runCli(['migrate', '--data-dir', dataDir]);
      assert.equal(again.code, 0, again.err);
      assert.deepEqual(schemaOf(dbFile(dataDir)), reference);
      assert.deepEqual(readState(dbFile(dataDir)).versions, versions);
    }
    console.log(
      `kill -9 during migrate: ${KILLS} kills in [0, ${windowMs.toFixed(1)}) ms after the database file appeared — ${JSON.stringify(at)}; violations=0`,
    );
  });

  test(`during seeding (${SEED_USERS} users): the seed re-runs to completion, nothing half-made`, { timeout: 300_000 }, async () => {
    const seedFile = join(dir, 'big-seed.json');
    const upns = Array.from({ length: SEED_USERS }, (_, i) => `user${String(i).padStart(3, '0')}@seed.test`);
    writeFileSync(
      seedFile,
      JSON.stringify({
        tenant: { id: '5d0c2f4e-2b1a-4c3d-8e9f-0a1b2c3d4e5f', domain: 'seed.test', displayName: 'Seeded' },
        users: upns.map((upn, i) => ({
          userPrincipalName: upn,
          displayName: `User ${i}`,
          password: `Seed-Pass-${i}!`,
          roles: i === 0 ? ['Global Administrator'] : [],
        })),
        applications: [
          {
            appId: '7e1d3c5b-9a8f-4e6d-b2c1-a0b9c8d7e6f5',
            displayName: 'Seeded app',
            publicClient: { redirectUris: ['http://localhost'] },
            allowPublicClientFlows: true,
            delegatedPermissions: ['User.Read'],
          },
        ],
      }),
    );
    const started = performance.now();
    const clean = await ServerProcess.start({ dataDir: join(dir, 'seed-ref'), seedFile, startTimeoutMs: 120_000 });
    const cleanMs = performance.now() - started;
    await clean.stop();
    // One data directory, killed again and again: each run resumes what the last one left.
    const dataDir = join(dir, 'seed');
    const args = ['serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--seed', seedFile, '--log-level', 'silent'];
    const usersAtKill: number[] = [];
    let present = 0;
    for (let i = 0; i < SEED_KILLS; i++) {
      // Aim at the seeding itself: kill 0-60 ms after the users table reaches a random count above
      // what the last run left (so also in the middle of hashing or inserting the next user), but
      // below the whole seed, so the final run below still has users to create. A target already
      // reached kills the run while it re-verifies the users that exist.
      const target = Math.min(SEED_USERS - 1, present + 1 + Math.floor(rng.next() * (SEED_USERS - 1 - present)));
      const counter = userCounter(dbFile(dataDir));
      try {
        await runCliKilledAfter(args, rng.between(0, 60), { once: () => counter.count() >= target });
      } finally {
        counter.close();
      }
      if (!existsSync(dbFile(dataDir))) {
        usersAtKill.push(0);
        continue;
      }
      const db = new Database(dbFile(dataDir), { readonly: true });
      try {
        assert.equal((db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check, 'ok');
        const rows = db.prepare('SELECT user_principal_name AS upn, password_hash AS hash FROM users').all() as {
          upn: string;
          hash: string | null;
        }[];
        // A user is there whole or not at all (row, hash, roles in one transaction).
        assert.ok(
          rows.every((r) => upns.includes(r.upn) && r.hash?.startsWith('$argon2id$')),
          'no half-made user',
        );
        const admin = rows.some((r) => r.upn === upns[0]);
        assert.equal((db.prepare('SELECT count(*) AS n FROM role_assignments').get() as { n: number }).n, admin ? 1 : 0);
        usersAtKill.push(rows.length);
        present = rows.length;
      } finally {
        db.close();
      }
    }
    const server = await ServerProcess.start({ dataDir, seedFile, startTimeoutMs: 120_000 });
    try {
      const summary = /Seed '.*': (\d+) created, (\d+) updated, (\d+) unchanged/.exec(server.output);
      assert.ok(summary, server.output);
      // Only what was missing is created; nothing that existed had to be repaired.
      assert.equal(Number(summary[2]), 0, `nothing half-made to update: ${summary[0]}`);
      const db = new Database(dbFile(dataDir), { readonly: true });
      try {
        const rows = db.prepare('SELECT user_principal_name AS upn FROM users ORDER BY upn').all() as { upn: string }[];
        assert.deepEqual(
          rows.map((r) => r.upn),
          upns,
          'the seed is complete',
        );
      } finally {
        db.close();
      }
      const k = Math.floor(rng.between(0, SEED_USERS));
      const signIn = await call(server.base, `/5d0c2f4e-2b1a-4c3d-8e9f-0a1b2c3d4e5f/oauth2/v2.0/token`, {
        form: {
          grant_type: 'password',
          client_id: '7e1d3c5b-9a8f-4e6d-b2c1-a0b9c8d7e6f5',
          username: upns[k]!,
          password: `Seed-Pass-${k}!`,
          scope: 'openid User.Read',
        },
      });
      assert.equal(signIn.status, 200, JSON.stringify(signIn.body));
      console.log(
        `kill -9 during seeding: ${SEED_KILLS} kills on one data dir (a clean seeding run takes ${Math.round(cleanMs)} ms), each 0-60 ms after a random user count was reached; users present after each kill: ${usersAtKill.join(',')} of ${SEED_USERS}; the next run: ${summary[0].replace(/^Seed '.*': /, '')}; violations=0`,
      );
    } finally {
      await server.stop();
    }
  });

  test('during key rotation: always exactly one signing key, every key usable, tokens verify', { timeout: 240_000 }, async () => {
    const dataDir = join(dir, 'keys');
    const seedFile = join(dir, 'cluster-seed.json');
    writeFileSync(seedFile, seedJson());
    const first = await ServerProcess.start({ dataDir, seedFile });
    await first.stop();
    // --now: each rotation's key signs at once, so the server at the end must sign with the newest.
    const clean = await runCli(['keys', 'rotate', '--now', '--data-dir', dataDir]);
    assert.equal(clean.code, 0, clean.err);
    const keyRows = () => {
      const db = new Database(dbFile(dataDir));
      try {
        return db
          .prepare('SELECT kid, private_key_pem AS pem, public_jwk AS jwk, retired_at AS retired FROM signing_keys ORDER BY created_at')
          .all() as { kid: string; pem: string; jwk: string; retired: number | null }[];
      } finally {
        db.close();
      }
    };
    let rotated = 0;
    for (let i = 0; i < KILLS; i++) {
      const before = keyRows().length;
      // Half the kills anywhere in the run; half just as the commit reaches the WAL (the RSA key
      // generation before it would otherwise take most of them).
      const wal = `${dbFile(dataDir)}-wal`;
      const aimed = i % 2 === 1;
      await runCliKilledAfter(['keys', 'rotate', '--now', '--data-dir', dataDir], aimed ? rng.between(0, 15) : rng.between(0, clean.ms), {
        ...(aimed ? { once: () => existsSync(wal) && statSync(wal).size > 0 } : {}),
      });
      const rows = keyRows();
      assert.ok(rows.length === before || rows.length === before + 1, `a rotation adds one key or none: ${before} -> ${rows.length}`);
      rotated += rows.length - before;
      for (const r of rows) {
        createPrivateKey(r.pem);
        assert.equal((JSON.parse(r.jwk) as { kid?: string }).kid, r.kid);
      }
      const list = await runCli(['keys', 'list', '--data-dir', dataDir]);
      assert.equal(list.code, 0, list.err);
      assert.equal(list.out.split('\n').filter((l) => /\sactive$/.test(l)).length, 1, list.out);
    }
    const server = await ServerProcess.start({ dataDir });
    try {
      const signingKid = keyRows()
        .filter((r) => r.retired === null)
        .at(-1)!.kid;
      const jwks = await call(server.base, `/${TENANT}/discovery/v2.0/keys`, { method: 'GET' });
      assert.ok((jwks.body.keys as { kid: string }[]).some((k) => k.kid === signingKid));
      const signIn = await passwordSignIn(server.base, 'alice');
      assert.equal(signIn.status, 200);
      const me = await call(server.base, '/v1.0/me', { method: 'GET', bearer: signIn.body.access_token as string });
      assert.equal(me.status, 200, JSON.stringify(me.body));
      assert.equal(JSON.parse(Buffer.from((signIn.body.access_token as string).split('.')[0]!, 'base64url').toString()).kid, signingKid);
    } finally {
      await server.stop();
    }
    console.log(
      `kill -9 during keys rotate: ${KILLS} kills (half in [0, ${Math.round(clean.ms)}) ms, half 0-15 ms after the first WAL write); ${rotated} rotations committed, ${KILLS - rotated} did not; always one signing key; violations=0`,
    );
  });

  test('during revokes under load: every revoke that answered is in effect after the restart (I3)', { timeout: 300_000 }, async () => {
    const dataDir = join(dir, 'revoke');
    const seedFile = join(dir, 'revoke-seed.json');
    writeFileSync(seedFile, seedJson());
    let server = await ServerProcess.start({ dataDir, seedFile });
    let answered = 0;
    let inFlightAtKill = 0;
    let refusedAfterRestart = 0;
    const verdicts: string[] = [];
    try {
      for (let i = 0; i < KILLS; i++) {
        const current = server;
        // Refresh tokens issued before any revoke of this round started.
        const old = new Map<string, string>();
        for (const u of USERS) {
          const r = await passwordSignIn(current.base, u);
          assert.equal(r.status, 200);
          old.set(u, r.body.refresh_token as string);
        }
        const admin = await daemonToken(current.base);
        const epochsBefore = readState(dbFile(dataDir)).epochs;
        const load = new FaultLoad({
          bases: () => [current.base],
          users: USERS,
          adminToken: admin,
          maxMs: 30_000,
          maxRequests: 20_000,
          paceMs: 5,
          retryPauseMs: 50,
          revokeEveryMs: 5,
        });
        await sleep(rng.between(200, 1_200));
        await current.kill();
        await load.stop();
        const sent = [...load.revokesSent.values()].reduce((a, b) => a + b, 0);
        if (sent > load.revokes.length) inFlightAtKill++;
        answered += load.revokes.length;

        // Straight from the file the killed process left: nothing answered is missing, nothing unsent is there.
        const state = readState(dbFile(dataDir));
        assert.equal(state.integrity, 'ok');
        for (const u of USERS) {
          const grew = state.epochs.get(u)! - epochsBefore.get(u)!;
          assert.ok(
            grew >= load.answeredRevokes(u),
            `${u}: ${load.answeredRevokes(u)} revokes answered, epoch grew by ${grew} (round ${i})`,
          );
          assert.ok(grew <= (load.revokesSent.get(u) ?? 0), `${u}: epoch grew by ${grew}, only ${load.revokesSent.get(u) ?? 0} sent`);
        }
        const verdict = judge(load.samples, { allowNoAnswer: true });
        assert.deepEqual(verdict.unexpected.slice(0, 3), [], describeVerdict(verdict));
        assert.deepEqual(load.violations(), []);
        verdicts.push(describeVerdict(verdict));

        server = await ServerProcess.start({ dataDir, port: current.port });
        for (const u of USERS) {
          if (load.answeredRevokes(u) === 0) continue;
          const r = await refresh(server.base, old.get(u)!);
          assert.equal(r.status, 400, `${u}: a token from before an answered revoke works after the crash`);
          assert.deepEqual(r.body.error_codes, [50173]);
          refusedAfterRestart++;
        }
      }
    } finally {
      await server.kill();
    }
    console.log(
      `kill -9 during revokes: ${KILLS} kills; revokes answered=${answered}, kills with a revoke in flight=${inFlightAtKill}; ` +
        `old tokens refused after restart=${refusedAfterRestart}; lost=0 phantom=0 violations=0 | last round: ${verdicts.at(-1)}`,
    );
    assert.ok(answered >= KILLS, 'revokes answered');
    assert.ok(inFlightAtKill > 0, 'at least one kill landed while a revoke was in flight');
  });
});
