import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SeedEntryRecord, Store } from '../../src/store/store.js';

/**
 * The seed-state part of the Store contract (test/store/contract.ts calls it inside its describe,
 * so every adapter runs it unchanged): one digest key per store, records by (kind, key).
 */
export function seedStateContract(store: () => Store, now: number): void {
  test('seed state: one digest key per store, even when asked concurrently', async () => {
    const s = store();
    const keys = await Promise.all(['k1', 'k2', 'k3', 'k4'].map((candidate) => s.seedState.digestKey(candidate, now)));
    assert.equal(new Set(keys).size, 1);
    assert.ok(['k1', 'k2', 'k3', 'k4'].includes(keys[0] ?? ''));
    assert.equal(await s.seedState.digestKey('k5', now + 1), keys[0]);
  });

  test('seed state: put inserts or replaces by (kind, key); remove forgets only the keys given', async () => {
    const s = store();
    const record = (kind: SeedEntryRecord['kind'], key: string, digest: string): SeedEntryRecord => ({
      kind,
      key,
      subjectId: `subject-${key}`,
      digests: { displayName: digest, password: `p-${digest}` },
      appliedAt: now,
    });
    await s.seedState.put(record('user', 'upn:a@contract.test', 'd1'));
    await s.seedState.put(record('user', 'upn:b@contract.test', 'd1'));
    await s.seedState.put(record('application', 'upn:a@contract.test', 'd1'));
    await s.seedState.put({ ...record('user', 'upn:a@contract.test', 'd2'), subjectId: 'other', appliedAt: now + 5 });
    assert.deepEqual(await s.seedState.list(), [
      record('application', 'upn:a@contract.test', 'd1'),
      { ...record('user', 'upn:a@contract.test', 'd2'), subjectId: 'other', appliedAt: now + 5 },
      record('user', 'upn:b@contract.test', 'd1'),
    ]);
    await s.seedState.remove('user', ['upn:a@contract.test', 'upn:never@contract.test']);
    await s.seedState.remove('user', []);
    assert.deepEqual(
      (await s.seedState.list()).map((r) => [r.kind, r.key]),
      [
        ['application', 'upn:a@contract.test'],
        ['user', 'upn:b@contract.test'],
      ],
    );
  });
}
