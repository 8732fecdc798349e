import assert from 'node:assert/strict';
import { test } from 'node:test';
import { heapAfterLastMarkCompactMiB, quantile } from './process-stats.js';

test('heap after the latest full GC: the busiest isolate only (a worker thread traces its own GCs), reduce variant too', () => {
  const trace = [
    '[7:0x5aa0]       31 ms: Scavenge 4.3 (4.5) -> 3.9 (5.5) MB, 1.04 / 0.00 ms  (average mu = 1.000, current mu = 1.000) allocation failure;',
    '[7:0x5aa0]       40 ms: Mark-Compact 41.2 (60.0) -> 33.9 (58.1) MB, 12.1 / 0.00 ms  (average mu = 0.9) finalize incremental marking',
    '[7:0x7bb0]       41 ms: Mark-Compact 5.2 (6.0) -> 3.4 (5.1) MB, 1.0 / 0.00 ms  (average mu = 0.9) allocation failure;',
    '[7:0x5aa0]       50 ms: Scavenge 44.3 (60.5) -> 40.9 (60.5) MB, 1.04 / 0.00 ms  (average mu = 1.000) allocation failure;',
    '[7:0x5aa0]       60 ms: Mark-Compact (reduce) 40.2 (60.0) -> 30.5 (58.1) MB, 9.0 / 0.00 ms  (average mu = 0.9) idle notification',
    '[7:0x7bb0]       61 ms: Mark-Compact 5.2 (6.0) -> 3.1 (5.1) MB, 1.0 / 0.00 ms  (average mu = 0.9) allocation failure;',
    'Portcullis ready',
  ].join('\n');
  assert.equal(heapAfterLastMarkCompactMiB(trace), 30.5);
  assert.ok(Number.isNaN(heapAfterLastMarkCompactMiB('[7:0x5aa0]  1 ms: Scavenge 1.0 (2.0) -> 0.9 (2.0) MB, 0.1 / 0.00 ms')));
  assert.ok(Number.isNaN(heapAfterLastMarkCompactMiB('')));
});

test('quantile by nearest rank', () => {
  assert.equal(quantile([5, 1, 3, 2, 4], 0.5), 3);
  assert.equal(quantile([5, 1, 3, 2, 4], 0.99), 5);
  assert.ok(Number.isNaN(quantile([], 0.5)));
});
