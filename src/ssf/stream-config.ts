import type { SsfConfig } from '../config.js';
import { SSF_ERRORS } from './errors.js';
import { hasNul } from './receiver-input.js';
import { DELIVERY, EVENTS_SUPPORTED, type DeliveryMethod, type SsfStream } from './model.js';

/**
 * The stream configuration object of SSF 1.0 §8.1.1: reading it from a receiver's request and
 * writing it back. Receiver-supplied members: events_requested, delivery, description.
 * Transmitter-supplied ones (stream_id, iss, aud, events_supported, events_delivered,
 * min_verification_interval) are ignored on create and, on update/replace, must equal ours
 * (§8.1.1.3–4: a receiver may send back what it read).
 */
export interface StreamUrls {
  issuer: string;
  /** The poll endpoint of a stream (RFC 8936 delivery is transmitter-supplied). */
  pollUrl(streamId: string): string;
}

/** What a request asks for; undefined = not given. */
export interface ReceiverSupplied {
  eventsRequested?: string[];
  delivery?: { method: DeliveryMethod; endpointUrl: string | null; authorizationHeader: string | null | undefined };
  description?: string | null;
}

const MAX_EVENTS = 32;
const MAX_URI = 512;
const MAX_DESCRIPTION = 1024;
const MAX_URL = 2048;
const MAX_AUTHORIZATION = 4096;

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function eventsDelivered(requested: readonly string[]): string[] {
  return EVENTS_SUPPORTED.filter((e) => requested.includes(e));
}

function parseEvents(v: unknown): string[] {
  if (!Array.isArray(v) || v.length > MAX_EVENTS || !v.every((e) => typeof e === 'string' && e.length > 0 && e.length <= MAX_URI)) {
    throw SSF_ERRORS.invalidRequest(`events_requested must be an array of at most ${MAX_EVENTS} event type URIs.`);
  }
  return [...new Set(v as string[])];
}

function parsePushEndpoint(v: unknown, ssf: SsfConfig): string {
  if (typeof v !== 'string' || v.length > MAX_URL) throw SSF_ERRORS.invalidRequest('Push delivery needs an endpoint_url.');
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw SSF_ERRORS.invalidRequest('endpoint_url is not an absolute URL.');
  }
  const httpOk = ssf.allowHttpPushEndpoints && url.protocol === 'http:';
  if (url.protocol !== 'https:' && !httpOk) throw SSF_ERRORS.invalidRequest('endpoint_url must be an https URL.');
  // Credentials belong in authorization_header (kept out of URLs, which end up in logs); a fragment means nothing to a POST.
  if (url.username || url.password || url.hash) throw SSF_ERRORS.invalidRequest('endpoint_url must not carry credentials or a fragment.');
  return url.toString();
}

function parseAuthorizationHeader(v: unknown): string | null | undefined {
  if (v === undefined || v === null) return v;
  // A CR or LF would let the value smuggle extra headers into our request.
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_AUTHORIZATION || /[\r\n\0]/.test(v)) {
    throw SSF_ERRORS.invalidRequest('authorization_header must be a single-line string.');
  }
  return v;
}

function parseDelivery(v: unknown, ssf: SsfConfig, urls: StreamUrls, streamId: string | null): NonNullable<ReceiverSupplied['delivery']> {
  if (!isObject(v)) throw SSF_ERRORS.invalidRequest('delivery must be an object.');
  if (v.method === DELIVERY.push) {
    return {
      method: DELIVERY.push,
      endpointUrl: parsePushEndpoint(v.endpoint_url, ssf),
      authorizationHeader: parseAuthorizationHeader(v.authorization_header),
    };
  }
  if (v.method === DELIVERY.poll) {
    // The poll endpoint is ours to choose (SSF 1.0 §6.1.2): ignored on create, and on update or
    // replace a receiver may only echo back the one it read.
    if (streamId !== null && v.endpoint_url !== undefined && v.endpoint_url !== urls.pollUrl(streamId)) {
      throw SSF_ERRORS.invalidRequest('The poll endpoint_url is transmitter-supplied and cannot be changed.');
    }
    return { method: DELIVERY.poll, endpointUrl: null, authorizationHeader: null };
  }
  throw SSF_ERRORS.invalidRequest(`delivery.method must be ${DELIVERY.push} or ${DELIVERY.poll}.`);
}

function parseDescription(v: unknown): string | null {
  if (v === null) return null;
  if (typeof v !== 'string' || v.length > MAX_DESCRIPTION || hasNul(v))
    throw SSF_ERRORS.invalidRequest(`description must be a string of at most ${MAX_DESCRIPTION} characters, without NUL.`);
  return v;
}

/** Reads the receiver-supplied members; `stream` is the stored stream on update/replace. */
export function parseReceiverSupplied(body: unknown, ssf: SsfConfig, urls: StreamUrls, stream: SsfStream | null): ReceiverSupplied {
  if (!isObject(body)) throw SSF_ERRORS.invalidRequest('The request body must be a JSON object.');
  if (stream) checkTransmitterSupplied(body, stream, ssf, urls);
  const out: ReceiverSupplied = {};
  if (body.events_requested !== undefined) out.eventsRequested = parseEvents(body.events_requested);
  if (body.delivery !== undefined) out.delivery = parseDelivery(body.delivery, ssf, urls, stream?.streamId ?? null);
  if (body.description !== undefined) out.description = parseDescription(body.description);
  return out;
}

/** SSF 1.0 §8.1.1.3–4: transmitter-supplied members may be sent back only unchanged. */
function checkTransmitterSupplied(body: Json, stream: SsfStream, ssf: SsfConfig, urls: StreamUrls): void {
  const ours = renderStream(stream, ssf, urls);
  for (const key of ['iss', 'aud', 'events_supported', 'events_delivered', 'min_verification_interval'] as const) {
    if (body[key] !== undefined && JSON.stringify(body[key]) !== JSON.stringify(ours[key])) {
      throw SSF_ERRORS.invalidRequest(`${key} is transmitter-supplied and cannot be changed.`);
    }
  }
}

/**
 * Applies a request to the stored stream. PATCH changes what was given; PUT replaces every
 * receiver-supplied member (absent = default). An omitted authorization_header is kept while the
 * push endpoint stays the same, because the API never returns it and a receiver that reads,
 * edits and writes back a stream would otherwise lose it; `null` removes it.
 */
export function applyReceiverSupplied(stream: SsfStream, req: ReceiverSupplied, mode: 'patch' | 'replace', now: number): SsfStream {
  const next: SsfStream = { ...stream, updatedAt: now };
  if (req.eventsRequested !== undefined) next.eventsRequested = req.eventsRequested;
  else if (mode === 'replace') next.eventsRequested = [...EVENTS_SUPPORTED];
  if (req.description !== undefined) next.description = req.description;
  else if (mode === 'replace') next.description = null;
  const delivery =
    req.delivery ?? (mode === 'replace' ? { method: DELIVERY.poll, endpointUrl: null, authorizationHeader: null } : undefined);
  if (delivery) {
    const samePush = delivery.method === DELIVERY.push && stream.method === DELIVERY.push && delivery.endpointUrl === stream.endpointUrl;
    next.method = delivery.method;
    next.endpointUrl = delivery.endpointUrl;
    next.authorizationHeader =
      delivery.authorizationHeader === undefined ? (samePush ? stream.authorizationHeader : null) : delivery.authorizationHeader;
  }
  return next;
}

/** The stream as the management API returns it (the authorization header is write-only). */
export function renderStream(stream: SsfStream, ssf: SsfConfig, urls: StreamUrls): Json {
  const out: Json = {
    stream_id: stream.streamId,
    iss: urls.issuer,
    aud: stream.aud,
    events_supported: [...EVENTS_SUPPORTED],
    events_requested: stream.eventsRequested,
    events_delivered: eventsDelivered(stream.eventsRequested),
    delivery: {
      method: stream.method,
      endpoint_url: stream.method === DELIVERY.poll ? urls.pollUrl(stream.streamId) : stream.endpointUrl,
    },
    min_verification_interval: ssf.minVerificationIntervalSeconds,
  };
  if (stream.description !== null) out.description = stream.description;
  return out;
}
