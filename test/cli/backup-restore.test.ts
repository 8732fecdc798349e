import assert from 'node:assert/strict';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { USERS, daemonToken, passwordSignIn, refresh, revokeSessions, seedJson } from '../scale/cluster.js';
import { FaultLoad, judge } from '../faults/fault-load.js';
import { ServerProcess, runCli } from '../faults/server-process.js';
import { dbFile, readState } from '../faults/sqlite-state.js';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';

/** Every schema version this build applies, as backup and restore print them. */
const VERSIONS = MIGRATIONS.map((m) => m.version)
  .sort((a, b) => a - b)
  .join(',');

/**
 * `portcullis backup` / `restore` (docs/fault-injection.md, "Backup and restore") with real processes: a `serve` on SQLite, the CLI
 * run as an operator runs it, and a server started on the restored directory.
 */
describe('portcullis backup and restore (SQLite)', () => {
  let dir: string;
  let seedFile: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-backup-'));
    seedFile = join(dir, 'seed.json');
    writeFileSync(seedFile, seedJson());
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a restore keeps every revocation: revoked users are refused, the others work', { timeout: 180_000 }, async () => {
    const source = join(dir, 'source');
    const server = await ServerProcess.start({ dataDir: source, seedFile });
    let restored: ServerProcess | null = null;
    try {
      const tokens = new Map<string, string>();
      for (const u of USERS) {
        const r = await passwordSignIn(server.base, u);
        assert.equal(r.status, 200);
        tokens.set(u, r.body.refresh_token as string);
      }
      const admin = await daemonToken(server.base);
      const revoked = USERS.slice(0, 3);
      for (const u of revoked) assert.equal((await revokeSessions(server.base, admin, u)).status, 200);

      const file = join(dir, 'keeps.db');
      const b = await runCli(['backup', '--data-dir', source, '--out', file]);
      assert.equal(b.code, 0, b.err);
      assert.match(
        b.out,
        new RegExp(
          `^Backed up .* \\(\\d+ bytes, schema versions ${VERSIONS}, 6 users\\) in [\\d.]+ s\\.\\nManifest: .*keeps\\.db\\.manifest\\.json \\(sha256 [0-9a-f]{64}\\)\\.\\n$`,
        ),
      );
      assert.match(b.err, /integrity_check ok/);
      assert.equal(statSync(file).mode & 0o777, 0o600, 'the backup holds private keys');
      console.log(`backup: ${statSync(file).size} bytes in ${Math.round(b.ms)} ms (CLI process included)`);

      const target = join(dir, 'restored');
      const r = await runCli(['restore', '--data-dir', target, '--from', file]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, new RegExp(`Restored .* \\(schema versions ${VERSIONS}, 6 users, tenant cluster\\.test\\)`));
      restored = await ServerProcess.start({ dataDir: target });
      for (const u of USERS) {
        const answer = await refresh(restored.base, tokens.get(u)!);
        if (revoked.includes(u)) {
          assert.equal(answer.status, 400, `${u}: revoked before the backup, refused after the restore`);
          assert.deepEqual(answer.body.error_codes, [50173]);
        } else {
          assert.equal(answer.status, 200, `${u}: not revoked, still works after the restore`);
        }
      }
      assert.equal((await passwordSignIn(restored.base, revoked[0]!)).status, 200, 'revoked users sign in again');
    } finally {
      await server.stop();
      await restored?.stop();
    }
  });

  test('backups taken during refreshes and revokes are consistent and hold every revoke answered before they began', {
    timeout: 180_000,
  }, async () => {
    const dataDir = join(dir, 'busy');
    const server = await ServerProcess.start({ dataDir, seedFile });
    const admin = await daemonToken(server.base);
    const load = new FaultLoad({
      bases: () => [server.base],
      users: USERS,
      adminToken: admin,
      maxMs: 60_000,
      maxRequests: 30_000,
      paceMs: 2,
      retryPauseMs: 100,
      revokeEveryMs: 60,
    });
    const backups: { file: string; answeredBefore: Map<string, number>; ms: number }[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        await sleep(700);
        // Every revoke that has answered by now must be in the snapshot.
        const answeredBefore = new Map(USERS.map((u) => [u, load.answeredRevokes(u)]));
        const file = join(dir, `busy-${i}.db`);
        const b = await runCli(['backup', '--data-dir', dataDir, '--out', file]);
        assert.equal(b.code, 0, b.err);
        backups.push({ file, answeredBefore, ms: b.ms });
      }
    } finally {
      await load.stop();
      await server.stop();
    }
    const verdict = judge(load.samples);
    assert.deepEqual(verdict.unexpected.slice(0, 3), []);
    for (const { file, answeredBefore, ms } of backups) {
      const state = readState(file);
      assert.equal(state.integrity, 'ok');
      const missing = USERS.filter((u) => (state.epochs.get(u) ?? -1) < answeredBefore.get(u)!);
      const total = [...answeredBefore.values()].reduce((a, b) => a + b, 0);
      console.log(
        `backup under load: ${statSync(file).size} bytes in ${Math.round(ms)} ms; revokes answered before it began=${total}, missing from it=${missing.length}; load so far ok=${verdict.ok}`,
      );
      assert.deepEqual(missing, [], `revokes answered before the backup began are missing from ${file}`);
      const manifest = JSON.parse(readFileSync(`${file}.manifest.json`, 'utf8')) as { bytes: number; sha256: string };
      assert.equal(manifest.bytes, statSync(file).size);
    }
    assert.ok(load.revokes.length >= 10, `revokes answered: ${load.revokes.length}`);
  });

  describe('restore refuses', () => {
    let good: string;
    before(async () => {
      const dataDir = join(dir, 'refusals');
      const server = await ServerProcess.start({ dataDir, seedFile });
      await server.stop();
      good = join(dir, 'good.db');
      const b = await runCli(['backup', '--data-dir', dataDir, '--out', good]);
      assert.equal(b.code, 0, b.err);
    });

    test('to replace a data directory a running server uses, and leaves it untouched', { timeout: 120_000 }, async () => {
      const dataDir = join(dir, 'in-use');
      const server = await ServerProcess.start({ dataDir, seedFile });
      try {
        // (Its bytes may change meanwhile: the server's own checkpointer writes to it.)
        const before = { ino: statSync(dbFile(dataDir)).ino, files: readdirSync(dataDir).sort() };
        const r = await runCli(['restore', '--data-dir', dataDir, '--from', good]);
        assert.equal(r.code, 1);
        assert.match(
          r.err,
          /^portcullis: refusing to restore: a running server uses '.*in-use' \(it holds .*portcullis\.lock\); stop it first\n$/m,
        );
        assert.deepEqual({ ino: statSync(dbFile(dataDir)).ino, files: readdirSync(dataDir).sort() }, before, 'same file, nothing added');
        assert.equal((await passwordSignIn(server.base, 'alice')).status, 200);
      } finally {
        await server.kill();
      }
      // kill -9 leaves no stale lock: the kernel released it with the process.
      const r = await runCli(['restore', '--data-dir', dataDir, '--from', good]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /The previous database is kept as .*portcullis\.db\.before-restore-/);
    });

    test('restores over a damaged database, keeping its files aside unmerged', async () => {
      const dataDir = join(dir, 'damaged-dir');
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(dbFile(dataDir), 'this used to be a database\n'.repeat(100));
      writeFileSync(`${dbFile(dataDir)}-wal`, 'and its write-ahead log\n');
      const r = await runCli(['restore', '--data-dir', dataDir, '--from', good]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.err, /could not merge the current database's WAL/);
      const kept = /kept as (\S+)\.\n/.exec(r.out)?.[1];
      assert.ok(kept && readFileSync(kept, 'utf8').startsWith('this used to be'), r.out);
      assert.equal(readFileSync(`${kept}-wal`, 'utf8'), 'and its write-ahead log\n');
      assert.equal(existsSync(`${dbFile(dataDir)}-wal`), false, 'the old WAL can never be replayed into the new database');
      assert.equal(readState(dbFile(dataDir)).integrity, 'ok');
    });

    test('a file that does not match its manifest', async () => {
      const damaged = join(dir, 'damaged.db');
      copyFileSync(good, damaged);
      copyFileSync(`${good}.manifest.json`, `${damaged}.manifest.json`);
      const fd = openSync(damaged, 'r+');
      writeSync(fd, Buffer.from('corrupt'), 0, 7, Math.floor(statSync(damaged).size / 2));
      closeSync(fd);
      const r = await runCli(['restore', '--data-dir', join(dir, 'never-1'), '--from', damaged]);
      assert.equal(r.code, 1);
      assert.match(r.err, /does not match its manifest: the file is damaged/);
      assert.equal(existsSync(dbFile(join(dir, 'never-1'))), false);
    });

    test('a file that is not a Portcullis database, or not SQLite at all', async () => {
      const other = join(dir, 'other.db');
      new Database(other).exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
      const text = join(dir, 'text.db');
      writeFileSync(text, 'hello, this is not a database\n'.repeat(200));
      for (const [file, why] of [
        [other, /not a Portcullis database \(no table schema_migrations/],
        [text, /not a SQLite database|cannot open it/],
      ] as const) {
        const r = await runCli(['restore', '--data-dir', join(dir, 'never-2'), '--from', file]);
        assert.equal(r.code, 1, r.err);
        assert.match(r.err, why);
      }
      assert.equal(existsSync(dbFile(join(dir, 'never-2'))), false);
    });

    test('a schema version this build does not know', async () => {
      const newer = join(dir, 'newer.db');
      copyFileSync(good, newer);
      new Database(newer).prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, ?, 0)').run('from the future');
      const r = await runCli(['restore', '--data-dir', join(dir, 'never-3'), '--from', newer]);
      assert.equal(r.code, 1);
      assert.match(r.err, /schema version 999, which this Portcullis does not know/);
    });

    test('a PostgreSQL configuration: backup and restore point to pg_dump / pg_restore and exit 2', async () => {
      const env = { PATH: process.env.PATH, PORTCULLIS_DATABASE_URL: 'postgres://portcullis:s3cret@db.invalid/portcullis' };
      const b = await runCli(['backup', '--out', join(dir, 'pg.dump')], 30_000, env);
      assert.equal(b.code, 2);
      assert.match(
        b.err,
        /this configuration uses PostgreSQL \(PORTCULLIS_DATABASE_URL\); use PostgreSQL's own tools: pg_dump --format=custom/,
      );
      assert.doesNotMatch(b.err, /s3cret/);
      const r = await runCli(['restore', '--from', good, '--database-url', 'postgres://x@db.invalid/p'], 30_000);
      assert.equal(r.code, 2);
      assert.match(r.err, /pg_restore --dbname=URL/);
    });
  });
});
