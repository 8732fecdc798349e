import type { ClaimedSet, DeliveryMethod, QueuedSet, SsfStream, StreamStatus } from '../core/ssf-stream.js';

/**
 * Row mapping of the Shared Signals tables, shared by both adapters: the columns are the same and
 * the PostgreSQL pool parses BIGINT to number, so one mapper serves SQLite and PostgreSQL.
 */
type Row = Record<string, unknown>;

const optStr = (v: unknown): string | null => (v === null || v === undefined ? null : (v as string));
const optNum = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export function toSsfStream(r: Row): SsfStream {
  return {
    streamId: r.stream_id as string,
    tenantId: r.tenant_id as string,
    clientId: r.client_id as string,
    aud: r.aud as string,
    eventsRequested: JSON.parse(r.events_requested as string) as string[],
    method: r.method as DeliveryMethod,
    endpointUrl: optStr(r.endpoint_url),
    authorizationHeader: optStr(r.authorization_header),
    description: optStr(r.description),
    status: r.status as StreamStatus,
    statusReason: optStr(r.status_reason),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    lastVerificationAt: optNum(r.last_verification_at),
  };
}

/** The stream's columns in insert order, and its values in the same order. */
export const SSF_STREAM_COLUMNS = [
  'stream_id',
  'tenant_id',
  'client_id',
  'aud',
  'events_requested',
  'method',
  'endpoint_url',
  'authorization_header',
  'description',
  'status',
  'status_reason',
  'created_at',
  'updated_at',
  'last_verification_at',
] as const;

export function ssfStreamValues(s: SsfStream): unknown[] {
  return [
    s.streamId,
    s.tenantId,
    s.clientId,
    s.aud,
    JSON.stringify(s.eventsRequested),
    s.method,
    s.endpointUrl,
    s.authorizationHeader,
    s.description,
    s.status,
    s.statusReason,
    s.createdAt,
    s.updatedAt,
    s.lastVerificationAt,
  ];
}

export function toQueuedSet(r: Row): QueuedSet {
  return { streamId: r.stream_id as string, jti: r.jti as string, set: r.set_jwt as string, createdAt: Number(r.created_at) };
}

export function toClaimedSet(r: Row): ClaimedSet {
  return {
    ...toQueuedSet(r),
    tenantId: r.tenant_id as string,
    clientId: r.client_id as string,
    attempts: Number(r.attempts),
    endpointUrl: r.endpoint_url as string,
    authorizationHeader: optStr(r.authorization_header),
  };
}
