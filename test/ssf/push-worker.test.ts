import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { CAEP_EVENT, DELIVERY } from '../../src/ssf/model.js';
import type { UserSignal } from '../../src/ssf/set-builder.js';
import { TENANT_ID } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import { PushReceiver, RX, call, receiverToken, ssfHarness, ssfPath } from './ssf-helpers.js';

test('a push that keeps failing is given up after pushMaxAttempts and audited; queueing the same signal again sends nothing twice', async () => {
  const h = await ssfHarness('sqlite', { pushMaxAttempts: 3, pushRetryBaseMs: 20 });
  const down = await PushReceiver.start('/down');
  down.respond = () => ({ status: 503 });
  try {
    const token = receiverToken(h, RX.a);
    const created = await call(h, 'POST', ssfPath('streams'), token, {
      delivery: { method: DELIVERY.push, endpoint_url: down.url },
      events_requested: [CAEP_EVENT.sessionRevoked],
    });
    assert.equal(created.status, 201);
    const stream = (await h.store.ssf.findStream(TENANT_ID, created.body.stream_id))!;
    const signal: UserSignal = {
      txn: 'txn-1',
      type: 'session-revoked',
      tenantId: TENANT_ID,
      userId: h.users.alice!.id,
      sessionId: null,
      occurredAt: Date.now(),
      initiatingEntity: 'admin',
    };
    assert.equal(await h.app.services.ssf.queueSignals(stream, [signal]), 1);
    await down.waitForCount(3);
    await waitFor('the give-up audit record', async () =>
      (await h.store.audit.list({ tenantId: TENANT_ID, activityDisplayName: 'Deliver security event token', limit: 5 })).some((a) =>
        a.resultReason.startsWith('No delivery after 3 attempts'),
      ),
    );
    await sleep(300);
    assert.equal(down.received.length, 3, 'no attempt after the last one');
    // The same signal again (a repeated outbox delivery): the jti is known, nothing is queued or sent.
    assert.equal(await h.app.services.ssf.queueSignals(stream, [signal]), 0);
    await sleep(200);
    assert.equal(down.received.length, 3);
  } finally {
    await down.close();
    await h.close();
  }
});
