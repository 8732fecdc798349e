import assert from 'node:assert/strict';
import { test } from 'node:test';
import { revokeManyUsersSessions } from '../../src/core/revocation.js';
import { newTimeOrderedGuid } from '../../src/crypto/random.js';
import { TENANT_ID, makeHarness } from '../helpers/harness.js';

/**
 * Time-ordered ids (src/crypto/random.ts): version 7 UUIDs (RFC 9562 §5.7) for the rows written in
 * bulk and indexed by id, so that bulk revocation appends to those indexes instead of dirtying a
 * random page per row (BENCHMARKS.md, B3).
 */
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('newTimeOrderedGuid: a version 7 UUID whose first 48 bits are the time in milliseconds', () => {
  const at = Date.parse('2026-12-07T04:00:00.123Z');
  const id = newTimeOrderedGuid(at);
  assert.match(id, UUID_V7);
  assert.equal(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16), at);
  assert.notEqual(newTimeOrderedGuid(at), id, 'random after the time');
  assert.match(newTimeOrderedGuid(), UUID_V7);
});

test('newTimeOrderedGuid: ids of later milliseconds sort after earlier ones, as strings', () => {
  const base = Date.parse('2026-12-07T04:00:00Z');
  const ids = [0, 1, 2, 15, 16, 255, 256, 4096, 86_400_000].map((d) => newTimeOrderedGuid(base + d));
  assert.deepEqual([...ids].sort(), ids);
});

test('a bulk revocation writes audit records and receipts with time-ordered ids, keyed by time-ordered request ids', async () => {
  const h = await makeHarness();
  try {
    const before = newTimeOrderedGuid(Date.now() - 1);
    const targets = ['alice', 'bob'].map((k) => h.users[k]!);
    const correlationIds = targets.map(() => newTimeOrderedGuid());
    await revokeManyUsersSessions(
      h.store,
      h.clock,
      targets.map((target, i) => ({ target, actor: { app: { appId: 'a', displayName: 'A' } }, correlationId: correlationIds[i]! })),
    );
    const receipts = await h.store.receipts.findByCorrelationIds(TENANT_ID, correlationIds);
    assert.equal(receipts.length, 2);
    for (const r of receipts) {
      assert.match(r.id, UUID_V7);
      assert.ok(r.id > before, 'a receipt id made now sorts after one made earlier');
    }
    const audit = await h.store.audit.list({ tenantId: TENANT_ID, limit: 10 });
    const revokes = audit.filter((a) => correlationIds.includes(a.correlationId));
    assert.equal(revokes.length, 2);
    for (const a of revokes) assert.match(a.id, UUID_V7);
  } finally {
    await h.close();
  }
});
