import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GateFull, KeyedGate } from '../../src/core/keyed-gate.js';

const tick = () => new Promise((r) => setImmediate(r));

test('at most `capacity` run at once per key, in arrival order; other keys are independent', async () => {
  const gate = new KeyedGate();
  const order: string[] = [];
  let active = 0;
  let peak = 0;
  const releases: (() => void)[] = [];
  const job = (name: string, key = 'k') =>
    gate.run(key, 2, async () => {
      active++;
      peak = Math.max(peak, active);
      order.push(name);
      await new Promise<void>((r) => releases.push(r));
      active--;
    });
  const all = ['a', 'b', 'c', 'd', 'e'].map((n) => job(n));
  const other = job('x', 'other');
  await tick();
  assert.deepEqual(order, ['a', 'b', 'x'], 'two on k, and the other key at once');
  for (let i = 0; i < 10 && releases.length > 0; i++) {
    releases.shift()!();
    await tick();
    await tick();
  }
  await Promise.all([...all, other]);
  assert.deepEqual(
    order.filter((n) => n !== 'x'),
    ['a', 'b', 'c', 'd', 'e'],
  );
  assert.equal(peak, 3, 'two on k plus one on other');
});

test('a full queue rejects with GateFull; a failing holder still frees its slot', async () => {
  const gate = new KeyedGate(1);
  let release!: () => void;
  const holder = gate.run('k', 1, () => new Promise<void>((r) => (release = r)));
  const waiter = gate.run('k', 1, async () => 'second');
  await assert.rejects(
    gate.run('k', 1, async () => 'third'),
    GateFull,
  );
  release();
  await holder;
  assert.equal(await waiter, 'second');
  await assert.rejects(
    gate.run('k', 1, async () => {
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.equal(await gate.run('k', 1, async () => 'after'), 'after');
});
