import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { CAEP_EVENT, DELIVERY } from '../../src/ssf/model.js';
import { APP, TENANT_ID, WEB_SECRET, delegatedToken, type Harness } from '../helpers/harness.js';
import { CookieJar, signIn } from '../helpers/browser-flow.js';
import { waitFor } from '../helpers/wait.js';
import {
  PushReceiver,
  RX,
  RX_SECRET,
  eventTypeOf,
  storeKinds,
  ssfHarness,
  verifySet,
  verifyWithJose,
  type VerifiedSet,
} from './ssf-helpers.js';

/**
 * Revocations reach SSF receivers: real Graph calls on a listening server commit security events
 * to the outbox, the SSF sink queues SETs on the streams, and a push receiver on loopback
 * (RFC 8935) or a polling receiver (RFC 8936) gets them. Every SET is verified with the JWKS
 * fetched over HTTP and against the SSF SET profile. On SQLite and on PostgreSQL.
 */
for (const kind of await storeKinds('SSF delivery')) {
  describe(`SSF delivery of revocations (${kind})`, () => {
    let h: Harness & { url: string };
    let jwks: { keys: any[] };
    let issuer: string;
    let admin: string;
    let receiverA: string;
    let receiverB: string;

    const http = async (method: string, path: string, token: string | null, body?: unknown) => {
      const res = await fetch(`${h.url}${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    };
    /** A real client-credentials token from the token endpoint. */
    const clientToken = async (clientId: string, secret: string) => {
      const res = await fetch(`${h.url}/${TENANT_ID}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: clientId,
          client_secret: secret,
          scope: 'https://graph.microsoft.com/.default',
        }),
      });
      const body = (await res.json()) as { access_token: string };
      assert.equal(res.status, 200, JSON.stringify(body));
      return body.access_token;
    };
    const createStream = async (token: string, config: Record<string, unknown>) => {
      const res = await http('POST', `/${TENANT_ID}/ssf/streams`, token, config);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body as { stream_id: string; delivery: { endpoint_url: string } };
    };
    const setStatus = async (token: string, streamId: string, status: string) =>
      assert.equal((await http('POST', `/${TENANT_ID}/ssf/status`, token, { stream_id: streamId, status })).status, 200);
    const poll = async (token: string, url: string, body: Record<string, unknown>) => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(res.status, 200);
      return (await res.json()) as { sets: Record<string, string>; moreAvailable: boolean };
    };
    const revoke = async (userKey: string) =>
      assert.equal((await http('POST', `/v1.0/users/${h.users[userKey]!.id}/revokeSignInSessions`, admin, {})).status, 200);
    const patchUser = async (userKey: string, body: Record<string, unknown>) =>
      assert.equal((await http('PATCH', `/v1.0/users/${h.users[userKey]!.id}`, admin, body)).status, 204);
    const verified = (set: string, aud: string): VerifiedSet => verifySet(set, jwks, { iss: issuer, aud });
    const subjectOf = (userKey: string) => ({
      format: 'complex',
      user: { format: 'opaque', id: h.users[userKey]!.id },
      tenant: { format: 'opaque', id: TENANT_ID },
    });

    before(async () => {
      h = await ssfHarness(kind);
      issuer = `${h.url}/${TENANT_ID}/v2.0`;
      jwks = (await http('GET', `/${TENANT_ID}/discovery/v2.0/keys`, null)).body;
      admin = await clientToken(APP.webApp, WEB_SECRET);
      receiverA = await clientToken(RX.a, RX_SECRET);
      receiverB = await clientToken(RX.b, RX_SECRET);
    });
    after(async () => h.close());

    test('push: a receiver on loopback gets exactly the expected, verifiable SETs for revoke, disable and password reset', async () => {
      const rx = await PushReceiver.start();
      const onlyCredentials = await PushReceiver.start('/credentials');
      try {
        const all = await createStream(receiverA, {
          delivery: { method: DELIVERY.push, endpoint_url: rx.url, authorization_header: 'Bearer rx-a-inbound' },
        });
        await createStream(receiverB, {
          delivery: { method: DELIVERY.push, endpoint_url: onlyCredentials.url },
          events_requested: [CAEP_EVENT.credentialChange],
        });

        await revoke('alice');
        await rx.waitForCount(1);
        await patchUser('bob', { accountEnabled: false });
        await rx.waitForCount(2);
        await patchUser('alice', { passwordProfile: { password: 'Brand-New-Passw0rd!' } });
        await rx.waitForCount(4);
        await onlyCredentials.waitForCount(1);
        await sleep(300); // nothing more may arrive: a few push scans' worth of quiet

        assert.equal(rx.received.length, 4, 'exactly four SETs');
        for (const r of rx.received) {
          assert.equal(r.headers['content-type'], 'application/secevent+jwt');
          assert.equal(r.headers.accept, 'application/json');
          assert.equal(r.headers.authorization, 'Bearer rx-a-inbound');
        }
        const sets = rx.received.map((r) => verified(r.body, RX.a));
        // And as a receiver would with a JOSE library, the keys taken from the metadata's jwks_uri.
        const metadata = (await http('GET', `/.well-known/ssf-configuration/${TENANT_ID}/v2.0`, null)).body as { jwks_uri: string };
        for (const r of rx.received)
          assert.equal((await verifyWithJose(r.body, metadata.jwks_uri, { iss: issuer, aud: RX.a })).iss, issuer);
        assert.equal(new Set(sets.map((s) => s.payload.jti)).size, 4, 'distinct jti');
        const [revoked, disabled, ...reset] = sets as [VerifiedSet, VerifiedSet, VerifiedSet, VerifiedSet];
        assert.equal(eventTypeOf(revoked), CAEP_EVENT.sessionRevoked);
        assert.deepEqual(revoked.payload.sub_id, subjectOf('alice'));
        assert.equal(revoked.payload.events[CAEP_EVENT.sessionRevoked].initiating_entity, 'admin');
        assert.equal(typeof revoked.payload.events[CAEP_EVENT.sessionRevoked].event_timestamp, 'number');
        assert.equal(eventTypeOf(disabled), CAEP_EVENT.sessionRevoked);
        assert.deepEqual(disabled.payload.sub_id, subjectOf('bob'));
        assert.deepEqual(reset.map(eventTypeOf).sort(), [CAEP_EVENT.credentialChange, CAEP_EVENT.sessionRevoked].sort());
        for (const s of reset) assert.deepEqual(s.payload.sub_id, subjectOf('alice'));
        assert.equal(reset[0]!.payload.txn, reset[1]!.payload.txn, 'one password reset, one txn');
        assert.notEqual(revoked.payload.txn, disabled.payload.txn);
        const change = reset.find((s) => eventTypeOf(s) === CAEP_EVENT.credentialChange)!;
        assert.equal(change.payload.events[CAEP_EVENT.credentialChange].credential_type, 'password');
        assert.equal(change.payload.events[CAEP_EVENT.credentialChange].change_type, 'update');

        assert.equal(onlyCredentials.received.length, 1, 'a stream gets only the event types it requested');
        const credential = verified(onlyCredentials.received[0]!.body, RX.b);
        assert.equal(eventTypeOf(credential), CAEP_EVENT.credentialChange);
        assert.equal(credential.payload.txn, change.payload.txn);
        assert.equal(onlyCredentials.received[0]!.headers.authorization, undefined);
        await http('DELETE', `/${TENANT_ID}/ssf/streams?stream_id=${all.stream_id}`, receiverA);
      } finally {
        await rx.close();
        await onlyCredentials.close();
        await patchUser('bob', { accountEnabled: true });
      }
    });

    test('poll: SETs come back until acknowledged; an acknowledged jti never comes back', async () => {
      const stream = await createStream(receiverB, { description: 'poller' });
      await revoke('alice');
      await revoke('globaladmin');
      let first: Awaited<ReturnType<typeof poll>> = { sets: {}, moreAvailable: false };
      await waitFor(
        'two SETs to poll',
        async () =>
          Object.keys((first = await poll(receiverB, stream.delivery.endpoint_url, { returnImmediately: true }))).length > 0 &&
          Object.keys(first.sets).length === 2,
      );
      const entries = Object.entries(first.sets);
      for (const [jti, set] of entries) assert.equal(verified(set, RX.b).payload.jti, jti);
      const subjects = entries.map(([, set]) => verified(set, RX.b).payload.sub_id.user.id).sort();
      assert.deepEqual(subjects, [h.users.alice!.id, h.users.globaladmin!.id].sort());

      const [acked, kept] = entries.map(([jti]) => jti) as [string, string];
      const second = await poll(receiverB, stream.delivery.endpoint_url, { ack: [acked], returnImmediately: true });
      assert.deepEqual(Object.keys(second.sets), [kept], 'the unacknowledged SET is returned again, the acknowledged one is not');
      assert.equal(second.moreAvailable, false);
      const limited = await poll(receiverB, stream.delivery.endpoint_url, { maxEvents: 0, returnImmediately: true });
      assert.deepEqual(limited.sets, {});
      const third = await poll(receiverB, stream.delivery.endpoint_url, { ack: [kept, acked], returnImmediately: true });
      assert.deepEqual(third.sets, {});
      // Another revoke: only the new SET, never the acknowledged ones.
      await revoke('alice');
      let fourth: Awaited<ReturnType<typeof poll>> = { sets: {}, moreAvailable: false };
      await waitFor(
        'the new SET',
        async () =>
          Object.keys((fourth = await poll(receiverB, stream.delivery.endpoint_url, { returnImmediately: true })).sets).length > 0,
      );
      assert.equal(Object.keys(fourth.sets).length, 1);
      assert.ok(!(acked in fourth.sets) && !(kept in fourth.sets));
      // setErrs (RFC 8936 §2.4.2) ends the SET's delivery like an ack, and the error is audited.
      const [bad] = Object.keys(fourth.sets) as [string];
      const fifth = await poll(receiverB, stream.delivery.endpoint_url, {
        setErrs: { [bad]: { err: 'invalid_key', description: 'unknown kid' } },
        returnImmediately: true,
      });
      assert.deepEqual(fifth.sets, {});
      const audit = await h.store.audit.list({ tenantId: TENANT_ID, activityDisplayName: 'Deliver security event token', limit: 20 });
      const reported = audit.find((a) => a.correlationId === bad);
      assert.ok(reported, 'the receiver-reported error is in the audit log');
      assert.match(reported.resultReason, /invalid_key \(unknown kid\)/);
      assert.equal(reported.targetResources[0]?.id, RX.b);
    });

    test('sign-out revokes the one session it ended (sub_id names it); deleting a user revokes all', async () => {
      const stream = await createStream(receiverB, { events_requested: [CAEP_EVENT.sessionRevoked] });
      const url = stream.delivery.endpoint_url;
      const jar = new CookieJar();
      const { tokens } = await signIn(h, 'dirwriter@contoso.test', jar, { scope: 'openid profile offline_access User.Read' });
      const sid = JSON.parse(Buffer.from(tokens.id_token!.split('.')[1]!, 'base64url').toString('utf8')).sid as string;
      assert.ok(sid, 'the ID token names its session');
      const out = await h.app.http.inject({ method: 'GET', url: `/${TENANT_ID}/oauth2/v2.0/logout`, headers: { cookie: jar.header() } });
      assert.equal(out.statusCode, 200);
      let got: Awaited<ReturnType<typeof poll>> = { sets: {}, moreAvailable: false };
      await waitFor(
        'the sign-out SET',
        async () => Object.keys((got = await poll(receiverB, url, { returnImmediately: true })).sets).length > 0,
      );
      const signedOut = Object.values(got.sets).map((set) => verified(set, RX.b));
      assert.equal(signedOut.length, 1);
      assert.deepEqual(signedOut[0]!.payload.sub_id, { ...subjectOf('dirwriter'), session: { format: 'opaque', id: sid } });
      assert.equal(signedOut[0]!.payload.events[CAEP_EVENT.sessionRevoked].initiating_entity, 'user');
      await poll(receiverB, url, { ack: Object.keys(got.sets), returnImmediately: true });

      const deletedId = h.users.dirwriter!.id;
      // A role holder: an app without a directory role may not delete it (docs/authorization.md).
      const globalAdmin = delegatedToken(h, 'globaladmin', ['User.ReadWrite.All']);
      assert.equal((await http('DELETE', `/v1.0/users/${deletedId}`, globalAdmin)).status, 204);
      await waitFor(
        'the deletion SET',
        async () => Object.keys((got = await poll(receiverB, url, { returnImmediately: true })).sets).length > 0,
      );
      const deleted = Object.values(got.sets).map((set) => verified(set, RX.b));
      assert.equal(deleted.length, 1);
      assert.equal(eventTypeOf(deleted[0]!), CAEP_EVENT.sessionRevoked);
      assert.deepEqual(deleted[0]!.payload.sub_id, {
        format: 'complex',
        user: { format: 'opaque', id: deletedId },
        tenant: { format: 'opaque', id: TENANT_ID },
      });
      await http('DELETE', `/${TENANT_ID}/ssf/streams?stream_id=${stream.stream_id}`, receiverB);
    });

    test('poll: a held-open poll (returnImmediately false) returns as soon as a revoke is delivered', async () => {
      const stream = await createStream(receiverA, {});
      const waiting = poll(receiverA, stream.delivery.endpoint_url, { returnImmediately: false, maxEvents: 10 });
      await sleep(100);
      await revoke('bob');
      const got = await waiting;
      assert.equal(Object.keys(got.sets).length, 1);
      assert.deepEqual(verified(Object.values(got.sets)[0]!, RX.a).payload.sub_id, subjectOf('bob'));
      // With nothing waiting, it answers empty after at most pollWaitSeconds (2 s in these tests).
      const empty = await poll(receiverA, stream.delivery.endpoint_url, { ack: Object.keys(got.sets), returnImmediately: false });
      assert.deepEqual(empty, { sets: {}, moreAvailable: false });
    });

    test('status: paused holds events until enabled; disabled drops them', async () => {
      const stream = await createStream(receiverA, { events_requested: [CAEP_EVENT.sessionRevoked] });
      const url = stream.delivery.endpoint_url;
      await setStatus(receiverA, stream.stream_id, 'paused');
      await revoke('alice');
      await sleep(500);
      assert.deepEqual((await poll(receiverA, url, { returnImmediately: true })).sets, {}, 'nothing while paused');
      await setStatus(receiverA, stream.stream_id, 'enabled');
      const held = await poll(receiverA, url, { returnImmediately: true });
      assert.equal(Object.keys(held.sets).length, 1, 'the held SET once enabled');
      await poll(receiverA, url, { ack: Object.keys(held.sets), returnImmediately: true });

      await setStatus(receiverA, stream.stream_id, 'disabled');
      await revoke('alice');
      await sleep(500);
      await setStatus(receiverA, stream.stream_id, 'enabled');
      assert.deepEqual((await poll(receiverA, url, { returnImmediately: true })).sets, {}, 'what happened while disabled is dropped');
    });

    test('push: a 400 from the receiver is permanent and audited; other failures are retried until 202', async () => {
      const refusing = await PushReceiver.start('/refuse');
      const flaky = await PushReceiver.start('/flaky');
      refusing.respond = () => ({ status: 400, body: { err: 'invalid_audience', description: 'not for us' } });
      flaky.respond = () => (flaky.received.length <= 2 ? { status: 503 } : { status: 202 });
      try {
        await createStream(receiverA, {
          delivery: { method: DELIVERY.push, endpoint_url: refusing.url },
          events_requested: [CAEP_EVENT.sessionRevoked],
        });
        await createStream(receiverB, {
          delivery: { method: DELIVERY.push, endpoint_url: flaky.url },
          events_requested: [CAEP_EVENT.sessionRevoked],
        });
        await revoke('passwordadmin');
        await refusing.waitForCount(1);
        await flaky.waitForCount(3);
        await sleep(500);
        assert.equal(refusing.received.length, 1, 'a refused SET is not sent again');
        assert.equal(flaky.received.length, 3, 'retried until 202, then not again');
        assert.equal(new Set(flaky.received.map((r) => r.body)).size, 1, 'the same SET each time');
        const audit = await h.store.audit.list({ tenantId: TENANT_ID, activityDisplayName: 'Deliver security event token', limit: 10 });
        const refused = audit.filter((a) => a.resultReason.includes('invalid_audience'));
        assert.equal(refused.length, 1);
        assert.equal(refused[0]!.result, 'failure');
        assert.equal(refused[0]!.correlationId, verified(refusing.received[0]!.body, RX.a).payload.jti);
        assert.equal(JSON.stringify(audit).includes(refusing.received[0]!.body), false, 'the SET itself is not in the audit log');
      } finally {
        await refusing.close();
        await flaky.close();
      }
    });
  });
}
