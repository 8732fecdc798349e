/** The kit's clock (src/testing/test-clock.ts): advance() and what reset() rewinds it to. */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { TestClock } from '../../src/testing/test-clock.js';

test('following real time, rewind() is back to real time, not to the instant the kit started', async () => {
  const clock = new TestClock();
  await sleep(60);
  clock.advance(3_600_000);
  assert.ok(clock.now() - Date.now() >= 3_599_000);
  clock.rewind();
  assert.ok(Math.abs(clock.now() - Date.now()) < 20, `${clock.now() - Date.now()} ms from real time`);
});

test('frozen, rewind() is back at the start instant; advance() refuses to go back', () => {
  const clock = new TestClock({ start: 1_000_000, frozen: true });
  clock.advance(5_000);
  assert.equal(clock.now(), 1_005_000);
  clock.rewind();
  assert.equal(clock.now(), 1_000_000);
  assert.throws(() => clock.advance(-1), RangeError);
});
