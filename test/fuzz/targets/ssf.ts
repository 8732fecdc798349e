import { CAEP_EVENT, DELIVERY, EVENTS_SUPPORTED, SSF_VERIFICATION_EVENT } from '../../../src/ssf/model.js';
import { contentType, damageRequest, tenantSegment, wireHeaderValue, wirePath, type FuzzRequest } from '../lib/http-input.js';
import type { Rng } from '../lib/rng.js';
import type { FuzzContext, HttpTarget } from '../lib/target.js';
import { damageText, jsonValue, mutateJson, nastyString, pct, randomString } from '../lib/values.js';

/**
 * The Shared Signals transmitter (src/ssf/): stream management (SSF 1.0 §8.1.1: create, read,
 * update, replace, delete), status (§8.1.2), verification (§8.1.4.2), the metadata (§7) and RFC
 * 8936 poll. Valid JSON bodies of each, then mutated; mostly receiver a's token, sometimes b's (its
 * stream must look missing to a), a token without the permission, a delegated one or junk.
 * Deleting is aimed at the spare stream only, so the others live through the run.
 */

type Json = Record<string, unknown>;

/** The only push endpoints a request may name: loopback port 1, refused at once (no traffic leaves the host). */
const PUSH_ENDPOINTS = ['http://127.0.0.1:1/ssf', 'https://127.0.0.1:1/events?x=1', 'http://[::1]:1/'];
const LOOPBACK = new Set(['127.0.0.1', '[::1]']);

function bearer(rng: Rng, ctx: FuzzContext): string | undefined {
  return rng.weighted<() => string | undefined>([
    [24, () => `Bearer ${ctx.ssf.token}`],
    [1, () => `Bearer ${ctx.ssf.otherToken}`],
    [1, () => `Bearer ${ctx.appToken}`],
    [1, () => `Bearer ${ctx.adminToken}`],
    [1, () => `Bearer ${damageText(rng, ctx.ssf.token)}`],
    [1, () => `bearer ${ctx.ssf.token}`],
    [1, () => undefined],
    [1, () => rng.pick(['Bearer ', 'Basic Zm9vOmJhcg==', randomString(rng, 40)])],
  ])();
}

/**
 * A stream id to act on: a's own (not the spare), b's, or made up. Changes aim at the push stream
 * more, so the poll stream mostly stays one and polls get past the method check.
 */
function streamId(rng: Rng, ctx: FuzzContext, forChange = false): unknown {
  return rng.weighted<() => unknown>([
    [forChange ? 2 : 6, () => ctx.ssf.pollStreamId],
    [forChange ? 6 : 4, () => ctx.ssf.pushStreamId],
    [1, () => ctx.ssf.otherStreamId],
    [1, () => damageText(rng, ctx.ssf.pollStreamId)],
    [2, () => nastyString(rng)],
    [1, () => jsonValue(rng, 1)],
  ])();
}

function delivery(rng: Rng, ctx: FuzzContext, id: unknown): unknown {
  // The poll stream stays a poll stream (mostly: mutation may still change it), so polls reach the queue.
  if (id === ctx.ssf.pollStreamId)
    return rng.chance(0.8) ? { method: DELIVERY.poll } : { method: DELIVERY.poll, endpoint_url: nastyString(rng) };
  return rng.weighted<() => unknown>([
    [4, () => ({ method: DELIVERY.poll })],
    [
      1,
      () => ({
        method: DELIVERY.poll,
        endpoint_url: `https://login.microsoftonline.com/x/ssf/poll/${typeof id === 'string' ? pct(id) : ''}`,
      }),
    ],
    [
      4,
      () => ({
        method: DELIVERY.push,
        endpoint_url: rng.pick(PUSH_ENDPOINTS),
        ...(rng.chance(0.5) ? { authorization_header: rng.chance(0.7) ? `Bearer ${randomString(rng, 30)}` : nastyString(rng) } : {}),
      }),
    ],
    [1, () => ({ method: DELIVERY.push, endpoint_url: rng.pick(PUSH_ENDPOINTS) + pct(nastyString(rng)), authorization_header: null })],
    [
      1,
      () => ({
        method: DELIVERY.push,
        endpoint_url: rng.pick([
          'ftp://127.0.0.1:1/',
          'https://user:pw@127.0.0.1:1/',
          'http://127.0.0.1:1/#f',
          '/relative',
          nastyString(rng),
        ]),
      }),
    ],
    [1, () => ({ method: rng.pick([DELIVERY.push.toUpperCase(), 'urn:ietf:rfc:8936 ', nastyString(rng)]) })],
    [1, () => jsonValue(rng, 2)],
  ])();
}

/** The receiver-supplied members (and sometimes transmitter-supplied ones echoed, right or wrong). */
function streamConfig(rng: Rng, ctx: FuzzContext, id: unknown): Json {
  const body: Json = {};
  if (rng.chance(0.6)) {
    body.events_requested = rng.weighted<() => unknown>([
      [4, () => [...EVENTS_SUPPORTED, SSF_VERIFICATION_EVENT, CAEP_EVENT.sessionRevoked].filter(() => rng.chance(0.6))],
      [1, () => Array.from({ length: rng.int(0, 40) }, () => nastyString(rng))],
      [1, () => jsonValue(rng, 2)],
    ])();
  }
  if (rng.chance(0.6)) body.delivery = delivery(rng, ctx, id);
  if (rng.chance(0.4)) body.description = rng.chance(0.8) ? nastyString(rng) : jsonValue(rng, 1);
  if (rng.chance(0.2))
    body.iss = rng.pick([ctx.ssf.issuer, ctx.ssf.issuer, `https://login.microsoftonline.com/${ctx.tenantId}/v2.0`, nastyString(rng)]);
  if (rng.chance(0.15)) body.aud = rng.pick([ctx.ssf.receiverId, ctx.ssf.receiverId, ctx.apps.webApp, nastyString(rng)]);
  if (rng.chance(0.15)) body.events_supported = rng.chance(0.5) ? [...EVENTS_SUPPORTED] : jsonValue(rng, 1);
  if (rng.chance(0.1)) body.events_delivered = jsonValue(rng, 1);
  if (rng.chance(0.15)) body.min_verification_interval = rng.pick([1, 10, -1, 1e308, '1', null]);
  return body;
}

function pollBody(rng: Rng): Json {
  const body: Json = {};
  if (rng.chance(0.7))
    body.maxEvents = rng.weighted<() => unknown>([
      [6, () => rng.int(0, 120)],
      [1, () => rng.pick([-1, 1.5, 1e308, 2 ** 53 + 1, '10', null])],
    ])();
  // Mostly true: a false with an empty queue holds a pool connection for the server's poll wait (1 s here).
  if (rng.chance(0.8))
    body.returnImmediately = rng.weighted<unknown>([
      [8, true],
      [1, false],
      [1, rng.pick(['true', 1, null])],
    ]);
  if (rng.chance(0.5)) {
    body.ack = rng.weighted<() => unknown>([
      [5, () => Array.from({ length: rng.int(0, 5) }, () => (rng.chance(0.5) ? randomString(rng, 40) : nastyString(rng)))],
      [1, () => Array.from({ length: rng.pick([999, 1000, 1001]) }, (_, i) => `jti-${i}`)],
      [1, () => jsonValue(rng, 2)],
    ])();
  }
  if (rng.chance(0.3)) {
    const errs: Json = {};
    for (let i = rng.int(0, 3); i > 0; i--) {
      errs[rng.chance(0.7) ? randomString(rng, 30) : nastyString(rng)] = rng.chance(0.7)
        ? { err: rng.pick(['invalid_request', 'invalid_key', nastyString(rng)]), description: nastyString(rng) }
        : jsonValue(rng, 1);
    }
    body.setErrs = rng.chance(0.9) ? errs : jsonValue(rng, 2);
  }
  return body;
}

/** One SSF request: the method and path of an operation and, for the ones with a body, its JSON. */
function operation(rng: Rng, ctx: FuzzContext): { method: string; path: string; body?: unknown } {
  const base = `/${rng.chance(0.7) ? ctx.tenantId : tenantSegment(rng, ctx.tenantId, ctx.domain)}/ssf`;
  const query = (id: unknown) =>
    typeof id === 'string'
      ? `?stream_id=${pct(id)}`
      : rng.pick(['', '?stream_id', '?stream_id=', `?stream_id=${pct(nastyString(rng))}&stream_id=x`]);
  return rng.weighted<() => { method: string; path: string; body?: unknown }>([
    [3, () => ({ method: 'POST', path: `${base}/streams`, body: streamConfig(rng, ctx, null) })],
    [3, () => ({ method: 'GET', path: `${base}/streams${rng.chance(0.7) ? query(streamId(rng, ctx)) : ''}` })],
    [
      4,
      () => {
        const id = streamId(rng, ctx, true);
        return { method: rng.pick(['PATCH', 'PUT']), path: `${base}/streams`, body: { stream_id: id, ...streamConfig(rng, ctx, id) } };
      },
    ],
    [
      1,
      () => ({
        method: 'DELETE',
        path: `${base}/streams${query(rng.chance(0.3) ? ctx.ssf.spareStreamId : rng.pick([ctx.ssf.otherStreamId, nastyString(rng)]))}`,
      }),
    ],
    [2, () => ({ method: 'GET', path: `${base}/status${query(streamId(rng, ctx))}` })],
    [
      3,
      () => ({
        method: 'POST',
        path: `${base}/status`,
        body: {
          stream_id: streamId(rng, ctx),
          // 'disabled' drops events, 'paused' holds them: keep both rarer than 'enabled'.
          status: rng.weighted<() => unknown>([
            [5, () => 'enabled'],
            [1, () => 'paused'],
            [1, () => 'disabled'],
            [1, () => rng.pick(['ENABLED', 'enabled ', nastyString(rng)])],
          ])(),
          ...(rng.chance(0.5) ? { reason: rng.chance(0.8) ? nastyString(rng) : jsonValue(rng, 1) } : {}),
        },
      }),
    ],
    [
      2,
      () => ({
        method: 'POST',
        path: `${base}/verify`,
        body: {
          stream_id: streamId(rng, ctx),
          ...(rng.chance(0.7) ? { state: rng.chance(0.8) ? nastyString(rng) : jsonValue(rng, 1) } : {}),
        },
      }),
    ],
    [
      5,
      () => {
        const id = rng.weighted<() => string>([
          [8, () => ctx.ssf.pollStreamId],
          [1, () => ctx.ssf.pushStreamId],
          [1, () => ctx.ssf.otherStreamId],
          [1, () => nastyString(rng)],
        ])();
        return { method: 'POST', path: `${base}/poll/${pct(id)}`, ...(rng.chance(0.95) ? { body: pollBody(rng) } : {}) };
      },
    ],
    [
      1,
      () => ({
        method: 'GET',
        path: rng.pick([
          `/.well-known/ssf-configuration/${pct(nastyString(rng))}/v2.0`,
          `/${pct(nastyString(rng))}/v2.0/.well-known/ssf-configuration`,
          '/.well-known/ssf-configuration',
          `/.well-known/ssf-configuration/${ctx.tenantId}/v2.0`,
        ]),
      }),
    ],
  ])();
}

/**
 * An endpoint_url anywhere in a body (where mutation may have moved one) that is an http(s) URL
 * must point at loopback: a made-up host would mean a DNS lookup and push traffic off this machine.
 */
function keepPushOnLoopback(value: unknown, key = ''): unknown {
  if (typeof value === 'string') {
    if (key !== 'endpoint_url' || !/^\s*https?:/i.test(value)) return value;
    try {
      return LOOPBACK.has(new URL(value).hostname) ? value : PUSH_ENDPOINTS[0];
    } catch {
      return value;
    }
  }
  if (Array.isArray(value)) return value.map((v) => keepPushOnLoopback(v, key));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, keepPushOnLoopback(v, k)]));
  return value;
}

/** Serialised, sometimes damaged as text; damage that still parses is made safe again. */
function serialise(rng: Rng, body: unknown): string {
  const text = JSON.stringify(keepPushOnLoopback(body));
  if (!rng.chance(0.1)) return text;
  const damaged = damageText(rng, text);
  try {
    return JSON.stringify(keepPushOnLoopback(JSON.parse(damaged)));
  } catch {
    return damaged;
  }
}

export const ssfTarget: HttpTarget = {
  name: 'SSF streams + status + verify + poll',
  generate(rng, ctx) {
    const op = operation(rng, ctx);
    const headers: Record<string, string> = {};
    const auth = bearer(rng, ctx);
    if (auth !== undefined) headers.authorization = wireHeaderValue(auth);
    const req: FuzzRequest = { method: op.method, path: wirePath(op.path), headers };
    if (op.body !== undefined) {
      const type = contentType(rng, 'application/json');
      if (type !== undefined) headers['content-type'] = type;
      req.body = serialise(rng, rng.chance(0.3) ? mutateJson(rng, op.body) : op.body);
    }
    if (!rng.chance(0.05)) return req;
    const damaged = damageRequest(rng, req);
    // A method turned into DELETE must not end the streams the rest of the run aims at.
    const kept = [ctx.ssf.pollStreamId, ctx.ssf.pushStreamId].some((id) => damaged.path.includes(encodeURIComponent(id)));
    return damaged.method === 'DELETE' && kept ? { ...damaged, method: req.method } : damaged;
  },
};
