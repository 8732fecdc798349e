import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import { SHARED_SIGNALS_PERMISSION } from '../../src/core/permissions.js';
import { CAEP_EVENT, DELIVERY } from '../../src/ssf/model.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import type { User } from '../../src/core/model.js';
import { APP, TENANT_ID, WEB_SECRET, application, seedDirectory } from '../helpers/harness.js';
import { freePort, killHard, spawnUntil } from '../helpers/processes.js';
import { PushReceiver, RX, eventTypeOf, verifySet } from './ssf-helpers.js';

/**
 * kill -9 between a revoke's commit and the SET's delivery (docs/push-revocation.md): the SET arrives after the
 * restart, and is accepted once. Real server processes on a real SQLite file, a real push
 * receiver on loopback.
 */
describe('SSF across kill -9', () => {
  let dir: string;
  let file: string;
  let users: Record<string, User>;
  let child: ChildProcess | null = null;
  let rx: PushReceiver;
  let port: number;

  const start = async (outbox: 'on' | 'off') => {
    child = await spawnUntil('test/fixtures/ssf-serve-child.ts', [file, String(port), outbox], 'READY');
  };
  const revoke = async (userKey: string) => {
    const base = `http://127.0.0.1:${port}`;
    const tokenRes = await fetch(`${base}/${TENANT_ID}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: APP.webApp,
        client_secret: WEB_SECRET,
        scope: 'https://graph.microsoft.com/.default',
      }),
    });
    const { access_token } = (await tokenRes.json()) as { access_token: string };
    const res = await fetch(`${base}/v1.0/users/${users[userKey]!.id}/revokeSignInSessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(res.status, 200);
  };
  const jwks = async () => (await (await fetch(`http://127.0.0.1:${port}/${TENANT_ID}/discovery/v2.0/keys`)).json()) as { keys: any[] };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-ssf-crash-'));
    file = join(dir, 'portcullis.db');
    port = await freePort();
    rx = await PushReceiver.start();
    const store = openSqliteStore(file);
    users = await seedDirectory(store, Date.now());
    await store.applications.upsert(application({ appId: RX.a, applicationPermissions: [SHARED_SIGNALS_PERMISSION] }));
    const now = Date.now();
    await store.ssf.insertStream(
      {
        streamId: 'crash-stream',
        tenantId: TENANT_ID,
        clientId: RX.a,
        aud: RX.a,
        eventsRequested: [CAEP_EVENT.sessionRevoked],
        method: DELIVERY.push,
        endpointUrl: rx.url,
        authorizationHeader: null,
        description: null,
        status: 'enabled',
        statusReason: null,
        createdAt: now,
        updatedAt: now,
        lastVerificationAt: null,
      },
      10,
    );
    await store.close();
  });
  after(async () => {
    if (child) await killHard(child);
    await rx.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('killed after the commit, before the outbox ran: the SET arrives after restart, once', async () => {
    await start('off'); // no dispatcher: the event stays in the outbox, committed with the revoke
    await revoke('alice');
    await sleep(300);
    assert.equal(rx.received.length, 0);
    await killHard(child!);
    await start('on');
    await rx.waitForCount(1, 20_000);
    await sleep(1_000);
    assert.equal(rx.received.length, 1, 'once');
    const set = verifySet(rx.received[0]!.body, await jwks(), { iss: `http://127.0.0.1:${port}/${TENANT_ID}/v2.0`, aud: RX.a });
    assert.equal(eventTypeOf(set), CAEP_EVENT.sessionRevoked);
    assert.equal(set.payload.sub_id.user.id, users.alice!.id);
  });

  test('killed while the push was in flight: sent again after restart with the same jti, accepted once', async () => {
    const before = rx.received.length;
    let answered = 0;
    // The receiver takes the first request and never answers it: the process dies meanwhile.
    rx.respond = (r) => (rx.received.indexOf(r) === before ? { status: 0 } : (answered++, { status: 202 }));
    await revoke('bob');
    await rx.waitForCount(before + 1, 20_000);
    await killHard(child!);
    await start('on');
    await rx.waitForCount(before + 2, 30_000); // after the 6 s lease of the killed process
    await sleep(1_000);
    const attempts = rx.received
      .slice(before)
      .map((r) => JSON.parse(Buffer.from(r.body.split('.')[1]!, 'base64url').toString('utf8')).jti as string);
    assert.equal(attempts.length, 2);
    assert.equal(new Set(attempts).size, 1, 'the same SET (jti) both times');
    assert.equal(answered, 1, 'accepted once');
  });
});
