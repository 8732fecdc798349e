import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SecurityEvent } from '../../src/core/security-event.js';
import { signalsOf } from '../../src/ssf/outbox-sink.js';

/**
 * RFC 7009 token revocation on Shared Signals streams (docs/push-revocation.md): a revoked grant
 * tied to a browser session is a CAEP session-revoked naming that session; one without a session
 * (the password grant) has no session to name and sends nothing, since the user's other sessions
 * were not ended.
 */
const event = (sids: (string | null)[]): SecurityEvent => ({
  id: 7,
  tenantId: 't',
  type: 'token-revoked',
  userId: 'u',
  userPrincipalName: 'u@x',
  occurredAt: 1_767_225_600_000,
  initiatingEntity: 'user',
  initiatedBy: { app: { appId: 'a', displayName: 'A' } },
  correlationId: 'c',
  sessions: sids.map((sid) => ({ sid, clientIds: ['a'] })),
});

test('token-revoked: session-revoked for the grant session only', () => {
  const [signal, ...rest] = signalsOf(event(['sid-1']));
  assert.deepEqual(rest, []);
  assert.equal(signal?.type, 'session-revoked');
  assert.equal(signal?.sessionId, 'sid-1');
  assert.equal(signal?.initiatingEntity, 'user');
  assert.deepEqual(signalsOf(event([null])), []);
});
