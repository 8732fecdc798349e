import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CAEP_EVENT, DELIVERY, SSF_VERIFICATION_EVENT } from '../../src/ssf/model.js';
import { APP, TENANT_ID, DOMAIN, delegatedToken, type Harness } from '../helpers/harness.js';
import { RX, call, receiverToken, ssfHarness, ssfPath, storeKinds, verifySet } from './ssf-helpers.js';

/**
 * The SSF management API (SSF 1.0 §7, §8.1): discovery, receiver authorisation, stream CRUD,
 * status and verification, on SQLite and on PostgreSQL, through the real app.
 */
for (const kind of await storeKinds('SSF management API')) {
  describe(`SSF management API (${kind})`, () => {
    let h: Harness & { url: string };
    let a: string;
    let b: string;
    before(async () => {
      h = await ssfHarness(kind);
      a = receiverToken(h, RX.a);
      b = receiverToken(h, RX.b);
    });
    after(async () => h.close());

    test('transmitter metadata at the path-inserted well-known URL and its aliases', async () => {
      const issuer = `${h.url}/${TENANT_ID}/v2.0`;
      const res = await call(h, 'GET', `/.well-known/ssf-configuration/${TENANT_ID}/v2.0`, null);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, {
        spec_version: '1_0',
        issuer,
        jwks_uri: `${h.url}/${TENANT_ID}/discovery/v2.0/keys`,
        delivery_methods_supported: ['urn:ietf:rfc:8935', 'urn:ietf:rfc:8936'],
        configuration_endpoint: `${h.url}/${TENANT_ID}/ssf/streams`,
        status_endpoint: `${h.url}/${TENANT_ID}/ssf/status`,
        verification_endpoint: `${h.url}/${TENANT_ID}/ssf/verify`,
        default_subjects: 'ALL',
        authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6749' }],
      });
      for (const alias of [
        `/.well-known/ssf-configuration/${DOMAIN}/v2.0`,
        `/${TENANT_ID}/v2.0/.well-known/ssf-configuration`,
        '/.well-known/ssf-configuration',
      ]) {
        assert.deepEqual((await call(h, 'GET', alias, null)).body, res.body, alias);
      }
      const unknown = await call(h, 'GET', '/.well-known/ssf-configuration/common/v2.0', null);
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.err, 'not_found');
    });

    test('401 without a valid bearer token, 403 without the permission or for a user token', async () => {
      const create = (token: string | null) => call(h, 'POST', ssfPath('streams'), token, {});
      const none = await create(null);
      assert.equal(none.status, 401);
      assert.match(String(none.headers['www-authenticate']), /^Bearer error="invalid_token"/);
      assert.equal((await create('not.a.jwt')).status, 401);
      // A token signed by someone else's key: same claims, forged signature.
      const [hd, pl] = a.split('.');
      assert.equal((await create(`${hd}.${pl}.${Buffer.from('forged').toString('base64url')}`)).status, 401);

      const graphOnly = await create(receiverToken(h, RX.noPermission, ['User.Read.All']));
      assert.equal(graphOnly.status, 403);
      assert.match(String(graphOnly.headers['www-authenticate']), /insufficient_scope/);
      // The token claims the role, but the application no longer holds it: refused at once.
      assert.equal((await create(receiverToken(h, RX.noPermission))).status, 403);
      assert.equal((await create(delegatedToken(h, 'globaladmin', ['Directory.ReadWrite.All'], APP.publicClient))).status, 403);
      for (const [method, path] of [
        ['GET', 'streams'],
        ['GET', 'status?stream_id=x'],
        ['POST', 'verify'],
        ['POST', 'poll/x'],
      ] as const) {
        assert.equal((await call(h, method, ssfPath(path), null, method === 'POST' ? {} : undefined)).status, 401, `${method} ${path}`);
      }
    });

    test('create, read, update, replace and delete a stream', async () => {
      const created = await call(h, 'POST', ssfPath('streams'), a, { description: 'poll me' });
      assert.equal(created.status, 201);
      const id = created.body.stream_id as string;
      assert.match(id, /^[\w-]{16,}$/);
      assert.deepEqual(created.body, {
        stream_id: id,
        iss: `${h.url}/${TENANT_ID}/v2.0`,
        aud: RX.a,
        events_supported: [CAEP_EVENT.sessionRevoked, CAEP_EVENT.credentialChange],
        events_requested: [CAEP_EVENT.sessionRevoked, CAEP_EVENT.credentialChange],
        events_delivered: [CAEP_EVENT.sessionRevoked, CAEP_EVENT.credentialChange],
        delivery: { method: DELIVERY.poll, endpoint_url: `${h.url}/${TENANT_ID}/ssf/poll/${id}` },
        min_verification_interval: 0,
        description: 'poll me',
      });
      assert.deepEqual((await call(h, 'GET', ssfPath(`streams?stream_id=${id}`), a)).body, created.body);

      const patched = await call(h, 'PATCH', ssfPath('streams'), a, {
        stream_id: id,
        events_requested: [CAEP_EVENT.sessionRevoked, 'https://example.test/unknown-event'],
      });
      assert.equal(patched.status, 200);
      assert.deepEqual(patched.body.events_requested, [CAEP_EVENT.sessionRevoked, 'https://example.test/unknown-event']);
      assert.deepEqual(patched.body.events_delivered, [CAEP_EVENT.sessionRevoked]);
      assert.equal(patched.body.description, 'poll me', 'PATCH keeps what it does not name');

      // Read-modify-write with the transmitter-supplied members echoed back is allowed (§8.1.1.4) ...
      const replaced = await call(h, 'PUT', ssfPath('streams'), a, {
        ...patched.body,
        delivery: { method: DELIVERY.push, endpoint_url: 'https://receiver.test/ssf', authorization_header: 'Bearer push-secret' },
        description: undefined,
        events_requested: [CAEP_EVENT.credentialChange],
      });
      assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
      assert.deepEqual(replaced.body.delivery, { method: DELIVERY.push, endpoint_url: 'https://receiver.test/ssf' });
      assert.equal(replaced.body.description, undefined, 'PUT replaces every receiver-supplied member');
      assert.equal(JSON.stringify(replaced.body).includes('push-secret'), false, 'the authorization header is write-only');
      // ... changing one of them is not.
      for (const change of [{ aud: 'someone-else' }, { iss: 'https://evil.test' }, { events_delivered: [] }]) {
        const refused = await call(h, 'PATCH', ssfPath('streams'), a, { stream_id: id, ...change });
        assert.equal(refused.status, 400, JSON.stringify(change));
        assert.equal(refused.body.err, 'invalid_request');
      }

      assert.equal((await call(h, 'DELETE', ssfPath(`streams?stream_id=${id}`), a)).status, 204);
      assert.equal((await call(h, 'GET', ssfPath(`streams?stream_id=${id}`), a)).status, 404);
      assert.equal((await call(h, 'DELETE', ssfPath(`streams?stream_id=${id}`), a)).status, 404);
    });

    test('bad stream configurations get 400', async () => {
      const bad = [
        { delivery: { method: 'urn:example:carrier-pigeon' } },
        { delivery: { method: DELIVERY.push } },
        { delivery: { method: DELIVERY.push, endpoint_url: 'not a url' } },
        { delivery: { method: DELIVERY.push, endpoint_url: 'https://user:pw@receiver.test/' } },
        { delivery: { method: DELIVERY.push, endpoint_url: 'https://receiver.test/', authorization_header: 'Bearer x\r\nX-Evil: 1' } },
        { events_requested: 'all' },
        { description: 42 },
      ];
      for (const body of bad) {
        const res = await call(h, 'POST', ssfPath('streams'), a, body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.body.err, 'invalid_request');
      }
      const notJson = await h.app.http.inject({
        method: 'POST',
        url: ssfPath('streams'),
        headers: { authorization: `Bearer ${a}`, 'content-type': 'application/json' },
        payload: '{',
      });
      assert.equal(notJson.statusCode, 400);
      assert.equal(JSON.parse(notJson.body).err, 'invalid_request');
    });

    test('receivers see and manage only their own streams', async () => {
      const mine = (await call(h, 'POST', ssfPath('streams'), a, { description: 'a' })).body.stream_id as string;
      const theirs = (await call(h, 'POST', ssfPath('streams'), b, { description: 'b' })).body.stream_id as string;
      const listA = (await call(h, 'GET', ssfPath('streams'), a)).body as { stream_id: string }[];
      const listB = (await call(h, 'GET', ssfPath('streams'), b)).body as { stream_id: string }[];
      assert.ok(listA.some((s) => s.stream_id === mine));
      assert.ok(!listA.some((s) => s.stream_id === theirs));
      assert.deepEqual(
        listB.map((s) => s.stream_id),
        [theirs],
      );
      const attempts = [
        call(h, 'GET', ssfPath(`streams?stream_id=${mine}`), b),
        call(h, 'PATCH', ssfPath('streams'), b, { stream_id: mine, description: 'mine now' }),
        call(h, 'PUT', ssfPath('streams'), b, { stream_id: mine }),
        call(h, 'DELETE', ssfPath(`streams?stream_id=${mine}`), b),
        call(h, 'GET', ssfPath(`status?stream_id=${mine}`), b),
        call(h, 'POST', ssfPath('status'), b, { stream_id: mine, status: 'disabled' }),
        call(h, 'POST', ssfPath('verify'), b, { stream_id: mine }),
        call(h, 'POST', ssfPath(`poll/${mine}`), b, { returnImmediately: true }),
      ];
      for (const res of await Promise.all(attempts)) assert.equal(res.status, 404, JSON.stringify(res.body));
      const still = await call(h, 'GET', ssfPath(`streams?stream_id=${mine}`), a);
      assert.equal(still.body.description, 'a');
      assert.equal((await call(h, 'GET', ssfPath(`status?stream_id=${mine}`), a)).body.status, 'enabled');
    });

    test('status: read and set enabled | paused | disabled', async () => {
      const id = (await call(h, 'POST', ssfPath('streams'), a, {})).body.stream_id as string;
      assert.deepEqual((await call(h, 'GET', ssfPath(`status?stream_id=${id}`), a)).body, { stream_id: id, status: 'enabled' });
      const paused = await call(h, 'POST', ssfPath('status'), a, { stream_id: id, status: 'paused', reason: 'receiver maintenance' });
      assert.equal(paused.status, 200);
      assert.deepEqual(paused.body, { stream_id: id, status: 'paused', reason: 'receiver maintenance' });
      assert.deepEqual((await call(h, 'GET', ssfPath(`status?stream_id=${id}`), a)).body, paused.body);
      assert.equal((await call(h, 'POST', ssfPath('status'), a, { stream_id: id, status: 'asleep' })).status, 400);
      assert.equal((await call(h, 'POST', ssfPath('status'), a, { stream_id: id, status: 'disabled' })).body.status, 'disabled');
      assert.equal((await call(h, 'GET', ssfPath('status'), a)).status, 400, 'stream_id is required');
    });

    test('verification: 204, then a verification SET carrying the state arrives through the stream', async () => {
      const id = (await call(h, 'POST', ssfPath('streams'), a, {})).body.stream_id as string;
      const res = await call(h, 'POST', ssfPath('verify'), a, { stream_id: id, state: 'state-1234' });
      assert.equal(res.status, 204);
      const poll = await call(h, 'POST', ssfPath(`poll/${id}`), a, { returnImmediately: true });
      assert.equal(poll.status, 200);
      const sets = Object.entries(poll.body.sets as Record<string, string>);
      assert.equal(sets.length, 1);
      const jwks = (await call(h, 'GET', `/${TENANT_ID}/discovery/v2.0/keys`, null)).body;
      const v = verifySet(sets[0]![1], jwks, { iss: `${h.url}/${TENANT_ID}/v2.0`, aud: RX.a });
      assert.equal(v.payload.jti, sets[0]![0]);
      assert.deepEqual(v.payload.events, { [SSF_VERIFICATION_EVENT]: { state: 'state-1234' } });
      assert.deepEqual(v.payload.sub_id, { format: 'opaque', id });
    });

    test('verification requests closer than min_verification_interval get 429', async () => {
      const slow = await ssfHarness(kind, { minVerificationIntervalSeconds: 3600 });
      try {
        const token = receiverToken(slow, RX.a);
        const id = (await call(slow, 'POST', ssfPath('streams'), token, {})).body.stream_id as string;
        assert.equal((await call(slow, 'POST', ssfPath('verify'), token, { stream_id: id })).status, 204);
        const again = await call(slow, 'POST', ssfPath('verify'), token, { stream_id: id });
        assert.equal(again.status, 429);
        assert.equal(again.headers['retry-after'], '3600');
      } finally {
        await slow.close();
      }
    });

    test('a receiver has at most maxStreamsPerReceiver streams (409)', async () => {
      const small = await ssfHarness(kind, { maxStreamsPerReceiver: 2 });
      try {
        const token = receiverToken(small, RX.a);
        for (let i = 0; i < 2; i++) assert.equal((await call(small, 'POST', ssfPath('streams'), token, {})).status, 201);
        assert.equal((await call(small, 'POST', ssfPath('streams'), token, {})).status, 409);
        assert.equal((await call(small, 'POST', ssfPath('streams'), receiverToken(small, RX.b), {})).status, 201);
      } finally {
        await small.close();
      }
    });
  });
}
