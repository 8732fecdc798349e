/**
 * src/ssf/outbox-sink.ts signalsOf for targeted revocations (docs/push-revocation.md): a cut of
 * sessions is one CAEP session-revoked per ended session, its subject naming the session, never a
 * user-wide one; a cut of one application's grants ends no browser session and sends none.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SecurityEvent } from '../../src/core/security-event.js';
import { subjectOf } from '../../src/ssf/set-builder.js';
import { signalsOf } from '../../src/ssf/outbox-sink.js';

const event = (type: SecurityEvent['type'], sessions: SecurityEvent['sessions']): SecurityEvent => ({
  id: 7,
  tenantId: 't',
  type,
  userId: 'u',
  userPrincipalName: 'u@x',
  occurredAt: Date.UTC(2026, 6, 1),
  initiatingEntity: 'user',
  initiatedBy: {},
  correlationId: 'c',
  sessions,
});

test('sessions-cut: one session-revoked per ended session, naming it; grants without a session add none', () => {
  const signals = signalsOf(
    event('sessions-cut', [
      { sid: null, clientIds: ['device-app'] },
      { sid: 's-1', clientIds: ['app-a'] },
      { sid: 's-2', clientIds: [] },
    ]),
  );
  assert.deepEqual(
    signals.map((s) => [s.type, s.sessionId]),
    [
      ['session-revoked', 's-1'],
      ['session-revoked', 's-2'],
    ],
  );
  assert.deepEqual(subjectOf(signals[0]!).session, { format: 'opaque', id: 's-1' });
  assert.equal(new Set(signals.map((s) => s.txn)).size, 1, 'one txn for the SETs of one event');
});

test('app-access-cut: no session-revoked (the browser sessions live on)', () => {
  assert.deepEqual(signalsOf(event('app-access-cut', [{ sid: 's-1', clientIds: ['app-a'] }])), []);
});
