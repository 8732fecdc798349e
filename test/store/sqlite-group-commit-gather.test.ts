/**
 * SQLite's group commit gathering rotations (src/store/sqlite/group-commit.ts, schedule()): a few
 * rotations asked right after a commit wait for company and share the next commit; a revoke
 * never waits for that, nor do rotations once enough are queued. Commits are counted as the
 * outer `BEGIN IMMEDIATE` transactions GroupCommit opens on a real database file. The clock is
 * held still so "right after a commit" does not depend on this machine's speed.
 */
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { GroupCommit } from '../../src/store/sqlite/group-commit.js';

let dir: string;
let db: Database.Database;
let commits = 0;

/** The database as GroupCommit sees it, counting the commits it makes (its `.immediate()` transactions). */
function counted(): Database.Database {
  return new Proxy(db, {
    get(target, key) {
      if (key !== 'transaction') return Reflect.get(target, key);
      return (fn: () => unknown) => {
        const tx = target.transaction(fn);
        return Object.assign(() => tx(), {
          immediate: () => {
            commits++;
            return tx.immediate();
          },
        });
      };
    },
  });
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-gather-'));
  db = new Database(join(dir, 'gather.db'));
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (v TEXT)');
});
after(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const insert = (v: string) => () => db.prepare('INSERT INTO t (v) VALUES (?)').run(v);
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

test('rotations asked one turn apart right after a commit share the next commit', async () => {
  const gc = new GroupCommit(counted(), undefined, { gatherMs: 200, now: () => 0 });
  await gc.run(insert('first'));
  const before = commits;
  const a = gc.run(insert('a'));
  await nextTurn();
  const b = gc.run(insert('b'));
  await Promise.all([a, b]);
  assert.equal(commits - before, 1, 'one commit for both');
  // Without gathering each would have had its own.
  const alone = new GroupCommit(counted(), undefined, { gatherMs: 0 });
  const start = commits;
  const c = alone.run(insert('c'));
  await nextTurn();
  await Promise.all([c, alone.run(insert('d'))]);
  assert.equal(commits - start, 2);
});

test('a revoke ends the wait at once: it commits, then the waiting rotations, long before the wait would end', {
  timeout: 5000,
}, async () => {
  const gc = new GroupCommit(counted(), undefined, { gatherMs: 60_000, now: () => 0 });
  await gc.run(insert('first'));
  const order: string[] = [];
  const rotation = gc.run(insert('rotation')).then(() => order.push('rotation'));
  await nextTurn();
  const revoke = gc.run(insert('revoke'), { urgent: true }).then(() => order.push('revoke'));
  await Promise.all([rotation, revoke]);
  assert.deepEqual(order, ['revoke', 'rotation']);
});

test('rotations stop waiting once gatherBelow are queued', { timeout: 5000 }, async () => {
  const gc = new GroupCommit(counted(), undefined, { gatherMs: 60_000, gatherBelow: 3, now: () => 0 });
  await gc.run(insert('first'));
  const before = commits;
  const waiting = [gc.run(insert('r1'))];
  await nextTurn();
  waiting.push(gc.run(insert('r2')));
  await nextTurn();
  waiting.push(gc.run(insert('r3')));
  await Promise.all(waiting);
  assert.equal(commits - before, 1);
});

test('rotations long after the last commit do not wait', { timeout: 5000 }, async () => {
  let clock = 0;
  const gc = new GroupCommit(counted(), undefined, { gatherMs: 60_000, now: () => clock });
  await gc.run(insert('first'));
  clock += 60_000;
  await gc.run(insert('later'));
});
