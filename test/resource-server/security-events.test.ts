/**
 * portcullis/resource-server learning revocations from Security Event Tokens: RFC 8935 push
 * through the Express and Fastify adapters on real sockets, RFC 8936 poll with acks, every SSF /
 * RFC 8417 check with its RFC 8935 error code, the CAE claims challenge, and the journal that
 * keeps acknowledged revocations across a restart. Tokens and JWKS come from the real Portcullis
 * app; SETs from TestTransmitter (its own RSA key, real HTTP).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import Fastify from 'fastify';
import { GRAPH_RESOURCE_APP_ID } from '../../src/core/permissions.js';
import {
  ClientCredentials,
  ResourceServer,
  expressAuthenticate,
  expressPushReceiver,
  fastifyAuthenticate,
  fastifyPushReceiver,
  type ResourceServerOptions,
} from '../../src/resource-server/index.js';
import { APP, TENANT_ID, WEB_SECRET, type Harness } from '../helpers/harness.js';
import { listeningHarness } from '../helpers/listening.js';
import { respelledSignatures, signUntilRespellable } from '../helpers/respelled-jws.js';
import { CREDENTIAL_CHANGE, SESSION_REVOKED, TestTransmitter, newKey, userSubject } from './test-transmitter.js';

const PUSH_AUTH = 'Bearer push-secret-for-this-stream-0123456789';

describe('resource server: security events', () => {
  let h: Harness & { url: string };
  let t: TestTransmitter;
  let issuer: string;
  let dir: string;
  const closers: Array<() => Promise<void>> = [];

  before(async () => {
    h = await listeningHarness();
    t = await TestTransmitter.start();
    issuer = `${h.url}/${TENANT_ID}/v2.0`;
    dir = mkdtempSync(join(tmpdir(), 'portcullis-rs-'));
  });
  after(async () => {
    for (const close of closers.reverse()) await close();
    await t.close();
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const rsWith = async (options: Partial<ResourceServerOptions> = {}) => {
    const rs = await ResourceServer.create({
      issuer,
      audience: GRAPH_RESOURCE_APP_ID,
      allowGraphTokens: true,
      events: { audience: t.audience, transmitterConfigurationUrl: t.configurationUrl, pushAuthorization: PUSH_AUTH },
      ...options,
    });
    closers.push(() => rs.close());
    return rs;
  };

  const now = () => Math.floor(Date.now() / 1000);
  /** An access token for `user` issued at `iat` (real Portcullis key), optionally CAE-capable. */
  const token = (user: string, iat: number, extra: Record<string, unknown> = {}) =>
    h.app.services.keys.sign({
      aud: GRAPH_RESOURCE_APP_ID,
      iss: issuer,
      iat,
      nbf: iat,
      exp: iat + 3600,
      tid: TENANT_ID,
      oid: h.users[user]!.id,
      azp: APP.publicClient,
      scp: 'User.Read',
      ver: '2.0',
      ...extra,
    });
  const revokeSet = (user: string, at: number, session?: string) =>
    t.set({ [SESSION_REVOKED]: { event_timestamp: at, initiating_entity: 'admin' } }, userSubject(h.users[user]!.id, TENANT_ID, session));

  /** A real Express API: the push endpoint and one protected route. */
  async function expressApi(rs: ResourceServer): Promise<string> {
    const app = express();
    app.post('/ssf/events', expressPushReceiver(rs));
    app.get('/api/me', expressAuthenticate(rs), (req, res) => {
      res.json({ oid: (req as { auth?: { oid?: string } }).auth?.oid });
    });
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    closers.push(
      () =>
        new Promise((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  const push = (url: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${url}/ssf/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/secevent+jwt', accept: 'application/json', authorization: PUSH_AUTH, ...headers },
      body,
    });
  const get = (url: string, accessToken: string) => fetch(`${url}/api/me`, { headers: { authorization: `Bearer ${accessToken}` } });

  test("Express: a pushed session-revoked SET gets 202 and the user's older tokens get 401 at once", async () => {
    const rs = await rsWith();
    const api = await expressApi(rs);
    const iat = now() - 10;
    const alice = token('alice', iat);
    const aliceCae = token('alice', iat, { xms_cc: ['cp1'] });
    const bob = token('bob', iat);
    assert.equal((await get(api, alice)).status, 200);

    const revokedAt = now() - 5;
    const res = await push(api, revokeSet('alice', revokedAt));
    assert.equal(res.status, 202);
    assert.equal(await res.text(), '');

    const plain = await get(api, alice);
    assert.equal(plain.status, 401);
    assert.equal(
      plain.headers.get('www-authenticate'),
      'Bearer error="invalid_token", error_description="The access token was issued before its session was revoked."',
    );

    const cae = await get(api, aliceCae);
    assert.equal(cae.status, 401);
    const header = cae.headers.get('www-authenticate') ?? '';
    const match = /^Bearer realm="", authorization_uri="([^"]+)", error="insufficient_claims", claims="([^"]+)"$/.exec(header);
    assert.ok(match, header);
    assert.equal(match[1], `${h.url}/${TENANT_ID}/oauth2/v2.0/authorize`);
    assert.equal(Buffer.from(match[2]!, 'base64').toString(), `{"access_token":{"nbf":{"essential":true,"value":"${revokedAt + 1}"}}}`);
    assert.equal(((await cae.json()) as { error: string }).error, 'insufficient_claims');

    assert.equal((await get(api, bob)).status, 200, 'another user is untouched');
    assert.equal((await get(api, token('alice', revokedAt + 1))).status, 200, 'a token issued after the revoke second passes');
    assert.equal((await get(api, token('alice', revokedAt))).status, 401, "a token of the revoke's own second may be older: refused");
  });

  test('push errors: 400 with the RFC 8935 err code for each failed check', async () => {
    const rs = await rsWith();
    const api = await expressApi(rs);
    const subject = userSubject(h.users.bob!.id, TENANT_ID);
    const events = { [SESSION_REVOKED]: { event_timestamp: now() } };
    const cases: Array<[string, string, Record<string, string>, string]> = [
      ['wrong typ', t.set(events, subject, { header: { typ: 'JWT' } }), {}, 'invalid_request'],
      ['unknown key', t.set(events, subject, { key: newKey() }), {}, 'invalid_key'],
      ['known kid, other key', t.set(events, subject, { key: { ...newKey(), kid: t.key.kid } }), {}, 'invalid_key'],
      ['other issuer', t.set(events, subject, { claims: { iss: 'https://evil.test/' } }), {}, 'invalid_issuer'],
      ['other audience', t.set(events, subject, { claims: { aud: 'https://other-api.test/' } }), {}, 'invalid_audience'],
      ['sub present', t.set(events, subject, { claims: { sub: 'x' } }), {}, 'invalid_request'],
      ['exp present', t.set(events, subject, { claims: { exp: now() + 60 } }), {}, 'invalid_request'],
      ['no events', t.set(events, subject, { claims: { events: {} } }), {}, 'invalid_request'],
      ['not a JWS', 'garbage', {}, 'invalid_request'],
      ['wrong content type', t.set(events, subject), { 'content-type': 'application/json' }, 'invalid_request'],
      ['wrong push authorization', t.set(events, subject), { authorization: 'Bearer guessed' }, 'authentication_failed'],
    ];
    const bobToken = token('bob', now() - 30);
    for (const [what, body, headers, err] of cases) {
      const res = await push(api, body, headers);
      assert.equal(res.status, 400, what);
      const answer = (await res.json()) as { err: string; description: string };
      assert.equal(answer.err, err, what);
      assert.equal(typeof answer.description, 'string');
    }
    assert.equal((await get(api, bobToken)).status, 200, 'no refused SET revoked anything');
    assert.equal(rs.revocations.size, 0);
  });

  test('non-canonical base64url signatures: an access token gets 401 from the Express middleware, a pushed SET 400', async () => {
    const rs = await rsWith();
    const api = await expressApi(rs);
    const get = (bearer: string) => fetch(`${api}/api/me`, { headers: { authorization: `Bearer ${bearer}` } });
    const at = signUntilRespellable((c) => h.app.services.keys.sign(c), {
      ...JSON.parse(Buffer.from(token('bob', now() - 30).split('.')[1]!, 'base64url').toString()),
    });
    assert.equal((await get(at)).status, 200, 'the canonical spelling is accepted');
    for (const [name, respelled] of Object.entries(respelledSignatures(at))) {
      const res = await get(respelled);
      assert.equal(res.status, 401, name);
      assert.match(
        String(res.headers.get('www-authenticate')),
        /^Bearer error="invalid_token", error_description="The access token is not a JWT\."/,
        name,
      );
    }
    const subject = userSubject(h.users.bob!.id, TENANT_ID);
    const events = { [SESSION_REVOKED]: { event_timestamp: now() } };
    let n = 0;
    const set = signUntilRespellable(() => t.set(events, subject, { claims: { txn: `respell-${n++}` } }), {});
    for (const [name, respelled] of Object.entries(respelledSignatures(set))) {
      const res = await push(api, respelled);
      assert.equal(res.status, 400, name);
      assert.equal(((await res.json()) as { err: string }).err, 'invalid_request', name);
    }
    assert.equal(rs.revocations.size, 0, 'no re-spelled SET revoked anything');
    assert.equal((await push(api, set)).status, 202, 'the canonical SET is accepted');
    assert.equal(rs.revocations.size, 1);
  });

  test('session subjects, credential-change, other tenants and verification events', async () => {
    const rs = await rsWith();
    const api = await expressApi(rs);
    const iat = now() - 20;
    const at = now() - 10;
    assert.equal((await push(api, revokeSet('bob', at, 'session-1'))).status, 202);
    assert.equal((await get(api, token('bob', iat, { sid: 'session-1' }))).status, 401, 'the revoked session');
    assert.equal((await get(api, token('bob', iat, { sid: 'session-2' }))).status, 200, 'another session of the user');

    const other = t.set(
      { [SESSION_REVOKED]: { event_timestamp: at } },
      userSubject(h.users.helpdesk!.id, '11111111-1111-1111-1111-111111111111'),
    );
    assert.equal((await push(api, other)).status, 202);
    assert.equal((await get(api, token('helpdesk', iat))).status, 200, 'an event about another tenant revokes nothing here');

    const reset = t.set(
      { [CREDENTIAL_CHANGE]: { credential_type: 'password', change_type: 'update', event_timestamp: at } },
      userSubject(h.users.useradmin!.id, TENANT_ID),
    );
    assert.equal((await push(api, reset)).status, 202);
    assert.equal((await get(api, token('useradmin', iat))).status, 401, 'a password change revokes');

    const verification = t.set(
      { 'https://schemas.openid.net/secevent/ssf/event-type/verification': { state: 'abc123' } },
      { format: 'opaque', id: 'stream-1' },
    );
    assert.equal((await push(api, verification)).status, 202);
    assert.equal(rs.lastVerificationState, 'abc123');

    // No event_timestamp: the SET's iat stands in (later than the event, so the safe side).
    const noTimestamp = t.set({ [SESSION_REVOKED]: {} }, userSubject(h.users.dirwriter!.id, TENANT_ID), { claims: { iat: at } });
    assert.equal((await push(api, noTimestamp)).status, 202);
    assert.equal((await get(api, token('dirwriter', iat))).status, 401);
  });

  test('Fastify: preHandler and push plugin', async () => {
    const rs = await rsWith();
    const app = Fastify();
    await app.register(fastifyPushReceiver(rs, '/ssf/events'));
    app.get('/api/me', { preHandler: fastifyAuthenticate(rs) }, async (request) => ({ oid: request.auth?.oid }));
    const api = await app.listen({ host: '127.0.0.1', port: 0 });
    closers.push(() => app.close());

    const alice = token('alice', now() - 10);
    const ok = await get(api, alice);
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { oid: h.users.alice!.id });
    assert.equal((await fetch(`${api}/api/me`)).status, 401);

    const bad = await push(api, revokeSet('alice', now() - 5), { authorization: 'Bearer nope' });
    assert.equal(bad.status, 400);
    assert.deepEqual(Object.keys((await bad.json()) as object).sort(), ['description', 'err']);
    assert.equal((await push(api, revokeSet('alice', now() - 5))).status, 202);
    const refused = await get(api, alice);
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/);
  });

  test('poll (RFC 8936): drains before start resolves, acks what it recorded, reports bad SETs in setErrs', async () => {
    const credentials = new ClientCredentials({
      tokenEndpoint: `${h.url}/${TENANT_ID}/oauth2/v2.0/token`,
      clientId: APP.webApp,
      clientSecret: WEB_SECRET,
    });
    const iat = now() - 30;
    // Queued while no receiver runs: 150 SETs so the drain needs two requests (maxEvents 100).
    for (let i = 0; i < 149; i++)
      t.queue(t.set({ [SESSION_REVOKED]: { event_timestamp: iat - 100 } }, userSubject(`someone-${i}`, TENANT_ID)));
    const aliceJti = t.queue(revokeSet('alice', now() - 20));
    const badJti = t.queue(t.set({ [SESSION_REVOKED]: {} }, userSubject('x', TENANT_ID), { claims: { aud: 'elsewhere' } }));

    const rs = await rsWith({ events: { audience: t.audience, transmitterConfigurationUrl: t.configurationUrl } });
    const receiver = await rs.poll({ endpointUrl: t.pollUrl, credentials, intervalMs: 50 });
    // start() resolved: everything queued before it is in force.
    assert.equal((await rs.authenticate(`Bearer ${token('alice', iat)}`)).ok, false);
    assert.ok(t.polls.length >= 2, 'the drain took more than one request');
    assert.equal(t.polls[0]!.body.returnImmediately, true);
    assert.match(t.polls[0]!.authorization ?? '', /^Bearer ey/, "polls carry the app's client-credentials token");

    // Acks and setErrs go out with the next request.
    const deadline = Date.now() + 5000;
    while ((!t.acked.includes(aliceJti) || !t.errors[badJti]) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(t.acked.includes(aliceJti), "alice's SET was acknowledged");
    assert.equal(t.errors[badJti]?.err, 'invalid_audience');
    assert.equal(t.pending.size, 0);

    // Live: a SET queued now is in force within a second.
    const bobToken = token('bob', iat);
    assert.equal((await rs.authenticate(`Bearer ${bobToken}`)).ok, true);
    const queuedAt = Date.now();
    t.queue(revokeSet('bob', now() - 1));
    while ((await rs.authenticate(`Bearer ${bobToken}`)).ok && Date.now() - queuedAt < 2000) await new Promise((r) => setTimeout(r, 10));
    assert.ok(Date.now() - queuedAt < 1000, `bob refused after ${Date.now() - queuedAt} ms`);
    assert.equal((await rs.authenticate(`Bearer ${bobToken}`)).ok, false);
    await receiver.stop();
  });

  test('transmitter key rotation: a new kid is fetched; when it cannot be fetched yet the SET is deferred (503 / not acked), never refused for good', async () => {
    const rs = await rsWith({ jwks: { minRefetchIntervalMs: 60_000 } });
    const api = await expressApi(rs);
    t.rotate();
    assert.equal((await push(api, revokeSet('globaladmin', now() - 5))).status, 202, 'first unknown kid: refetched, verified');
    assert.equal((await get(api, token('globaladmin', now() - 10))).status, 401);

    t.rotate();
    const res = await push(api, revokeSet('privauthadmin', now() - 5));
    assert.equal(res.status, 503, 'second new kid inside the refetch interval: retry later');
    assert.equal(res.headers.get('retry-after'), '60');
    assert.equal(((await res.json()) as { err: string }).err, 'invalid_key');

    // Poll: the same SET is neither acknowledged nor reported in setErrs; it stays queued.
    const credentials = new ClientCredentials({
      tokenEndpoint: `${h.url}/${TENANT_ID}/oauth2/v2.0/token`,
      clientId: APP.webApp,
      clientSecret: WEB_SECRET,
    });
    const polling = await rsWith({
      jwks: { minRefetchIntervalMs: 60_000 },
      events: { audience: t.audience, transmitterConfigurationUrl: t.configurationUrl },
    });
    const receiver = await polling.poll({ endpointUrl: t.pollUrl, credentials, intervalMs: 50 });
    t.rotate();
    const jti = t.queue(revokeSet('privauthadmin', now() - 5));
    const deadline = Date.now() + 5000;
    while (!t.acked.includes(jti) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(t.acked.includes(jti), 'the SET under the first new key was fetched, verified and acked');
    t.rotate();
    const deferredJti = t.queue(revokeSet('authadmin', now() - 5));
    const polls = t.polls.length;
    await new Promise((r) => setTimeout(r, 300));
    await receiver.stop();
    assert.ok(!t.acked.includes(deferredJti) && !t.errors[deferredJti], 'the deferred SET was neither acked nor refused');
    assert.ok(t.pending.has(deferredJti));
    assert.ok(t.polls.length - polls < 20, `no busy loop on a deferred SET (${t.polls.length - polls} polls in 300 ms)`);
    t.pending.delete(deferredJti);
  });

  test('a restart keeps acknowledged revocations with a journal, and forgets them without one', async () => {
    const journalFile = join(dir, 'revocations.jsonl');
    const first = await rsWith({ revocations: { journalFile } });
    const api = await expressApi(first);
    const alice = token('alice', now() - 30);
    assert.equal((await push(api, revokeSet('alice', now() - 20))).status, 202);
    await first.close();

    const restarted = await rsWith({ revocations: { journalFile } });
    assert.equal((await restarted.authenticate(`Bearer ${alice}`)).ok, false, 'the journal brought the revocation back');
    const amnesiac = await rsWith();
    assert.equal((await amnesiac.authenticate(`Bearer ${alice}`)).ok, true, 'without a journal the revocation is gone (documented)');

    // Entries older than the retention are dropped when the journal is opened.
    const pruned = await rsWith({ revocations: { journalFile, retentionSeconds: 1 }, now: () => Date.now() + 60_000 });
    assert.equal(pruned.revocations.size, 0);
  });
});
