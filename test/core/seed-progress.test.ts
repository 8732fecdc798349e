import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seedProgressLine } from '../../src/cli/seed-report.js';
import { progressTicker, type SeedProgress } from '../../src/core/seed-progress.js';

/** Drives a ticker through `total` users, `msPerUser` apart on a hand-set clock; returns what it reported. */
function run(total: number, msPerUser: number, every?: { users?: number; ms?: number; minMs?: number }): SeedProgress[] {
  let t = 0;
  const seen: SeedProgress[] = [];
  const tick = progressTicker(total, { onProgress: (p) => seen.push(p), now: () => t, ...(every ? { every } : {}) });
  for (let i = 1; i <= total; i++) {
    t += msPerUser;
    tick(i, i * 2);
  }
  return seen;
}

describe('seed progress', () => {
  it('is silent for seeds under 1,000 users and for a restart that applies 10,000 in under a second', () => {
    assert.deepEqual(run(999, 100), []);
    assert.deepEqual(run(10_000, 0.09), []);
  });

  it('reports a first apply every 5 s when users are slow (argon2), never after the last user', () => {
    const seen = run(1000, 30);
    assert.deepEqual(
      seen.map((p) => [p.users, p.elapsedMs]),
      [167, 334, 501, 668, 835].map((u) => [u, u * 30]),
    );
    assert.deepEqual(seen[0], { users: 167, total: 1000, argon2: 334, elapsedMs: 5010 });
  });

  it('reports every 1,000 users when they are fast, but at most once a second', () => {
    assert.deepEqual(
      run(5000, 1.1).map((p) => p.users),
      [1000, 2000, 3000, 4000],
    );
    // 1,000 users in 0.5 s: the 1 s floor holds the line back to user 2,000.
    assert.deepEqual(
      run(5000, 0.5).map((p) => p.users),
      [2000, 4000],
    );
  });

  it('reads as one line with the counts and the time', () => {
    assert.equal(
      seedProgressLine('big.json', { users: 3000, total: 10_000, argon2: 3001, elapsedMs: 95_430 }),
      "Seed 'big.json': 3,000 of 10,000 users applied (3,001 argon2 computations, 95.4 s)",
    );
  });
});
