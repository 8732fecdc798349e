import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services.js';
import { deliveryFailureRecord } from '../delivery-audit.js';
import { SSF_ERRORS } from '../errors.js';
import { checkTenant, jsonObject, ownStream } from '../http.js';
import { isTransmitterId } from '../receiver-input.js';
import { DELIVERY, type SsfStream } from '../model.js';
import { authenticateReceiver, type Receiver } from '../receiver-auth.js';

/** Most SETs one response carries, whatever maxEvents asks (RFC 8936 §2.4: the transmitter may send fewer). */
const MAX_EVENTS_PER_RESPONSE = 100;
const MAX_ACKS = 1000;

interface PollRequest {
  maxEvents: number;
  returnImmediately: boolean;
  ack: string[];
  setErrs: Record<string, { err: string; description: string }>;
}

function parsePollRequest(raw: unknown): PollRequest {
  const body = jsonObject(raw ?? {});
  const maxEvents = body.maxEvents ?? MAX_EVENTS_PER_RESPONSE;
  if (typeof maxEvents !== 'number' || !Number.isInteger(maxEvents) || maxEvents < 0)
    throw SSF_ERRORS.invalidRequest('maxEvents must be a non-negative integer.');
  const returnImmediately = body.returnImmediately ?? false;
  if (typeof returnImmediately !== 'boolean') throw SSF_ERRORS.invalidRequest('returnImmediately must be a boolean.');
  const ack = body.ack ?? [];
  if (!Array.isArray(ack) || ack.length > MAX_ACKS || !ack.every((j) => typeof j === 'string' && j.length <= 256)) {
    throw SSF_ERRORS.invalidRequest(`ack must be an array of at most ${MAX_ACKS} jti strings.`);
  }
  const errs = body.setErrs ?? {};
  if (typeof errs !== 'object' || errs === null || Array.isArray(errs) || Object.keys(errs).length > MAX_ACKS) {
    throw SSF_ERRORS.invalidRequest('setErrs must be an object keyed by jti.');
  }
  // A jti we never issued names no SET of ours: acknowledging or reporting it settles nothing
  // (and must not reach the store, see isTransmitterId). The receiver's text, read as leniently as
  // the rest of an entry, loses any NUL, which the audit log's text cannot hold.
  const setErrs: PollRequest['setErrs'] = {};
  const text = (v: string, max: number) => v.replace(/\u0000/g, '').slice(0, max);
  for (const [jti, e] of Object.entries(errs as Record<string, unknown>)) {
    if (!isTransmitterId(jti)) continue;
    const o = (typeof e === 'object' && e !== null ? e : {}) as { err?: unknown; description?: unknown };
    setErrs[jti] = {
      err: typeof o.err === 'string' ? text(o.err, 64) : 'invalid_request',
      description: typeof o.description === 'string' ? text(o.description, 256) : '',
    };
  }
  return {
    maxEvents: Math.min(maxEvents, MAX_EVENTS_PER_RESPONSE),
    returnImmediately,
    ack: (ack as string[]).filter(isTransmitterId),
    setErrs,
  };
}

/** A receiver's setErrs (RFC 8936 §2.4.2) end the SET's delivery like an ack, and are audited as failures. */
async function recordSetErrors(stream: SsfStream, errs: PollRequest['setErrs'], services: Services): Promise<void> {
  const at = services.clock.now();
  for (const [jti, e] of Object.entries(errs)) {
    const reason = `The receiver reported an error for the SET: ${e.err}${e.description ? ` (${e.description})` : ''}`;
    await services.store.audit.insert(deliveryFailureRecord({ ...stream, endpointUrl: null, jti, at, reason }));
  }
}

/**
 * RFC 8936 poll delivery. The receiver POSTs {maxEvents, returnImmediately, ack, setErrs} to the
 * stream's endpoint_url; acknowledged SETs are settled first and never returned again, and the
 * response holds the oldest unacknowledged ones, {"sets": {jti: SET}, "moreAvailable": bool}. With
 * returnImmediately false and nothing waiting, the request is held open (long polling) for at most
 * ssf.pollWaitSeconds. A paused or disabled stream returns nothing (SSF 1.0 §8.1.2).
 */
export function registerPollEndpoint(http: FastifyInstance, services: Services): void {
  http.post<{ Params: { tenant: string; streamId: string } }>('/:tenant/ssf/poll/:streamId', async (req, reply) => {
    checkTenant(req.params.tenant, services);
    const receiver: Receiver = await authenticateReceiver(req, services);
    const stream = await ownStream(receiver, req.params.streamId, services);
    if (stream.method !== DELIVERY.poll) throw SSF_ERRORS.invalidRequest('This stream uses push delivery.');
    const poll = parsePollRequest(req.body);
    const now = services.clock.now();
    await services.store.ssf.settle(stream.streamId, [...poll.ack, ...Object.keys(poll.setErrs)], now);
    await recordSetErrors(stream, poll.setErrs, services);

    reply.header('cache-control', 'no-store');
    if (stream.status !== 'enabled' || poll.maxEvents === 0) return reply.send({ sets: {}, moreAvailable: false });
    let page = await services.store.ssf.pending(stream.streamId, poll.maxEvents);
    if (page.sets.length === 0 && !poll.returnImmediately) {
      // The response's 'close' before it was sent means the receiver hung up: stop waiting for it.
      const gone = new AbortController();
      const onClose = () => gone.abort();
      reply.raw.once('close', onClose);
      try {
        await services.ssf.waitForSets(
          stream.streamId,
          services.config.ssf.pollWaitSeconds * 1000,
          async () => (await services.store.ssf.pending(stream.streamId, 1)).sets.length > 0,
          gone.signal,
        );
      } finally {
        reply.raw.off('close', onClose);
      }
      page = await services.store.ssf.pending(stream.streamId, poll.maxEvents);
    }
    return reply.send({ sets: Object.fromEntries(page.sets.map((s) => [s.jti, s.set])), moreAvailable: page.more });
  });
}
