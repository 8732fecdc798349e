import type { SsfStream } from '../../core/ssf-stream.js';
import { SSF_STREAM_COLUMNS } from '../ssf-rows.js';

/**
 * Shared Signals SQL both dialects read alike. What differs stays in the adapters: claiming due
 * push SETs (PostgreSQL one statement with SKIP LOCKED; SQLite look, then claim), settling many
 * SETs at once (arrays vs one statement per SET), the duplicate-jti insert (INSERT OR IGNORE vs
 * ON CONFLICT DO NOTHING) and PostgreSQL's RETURNING on a status change.
 */
export const SSF_SQL = {
  countReceiverStreams: 'SELECT COUNT(*) AS n FROM ssf_streams WHERE tenant_id = ? AND client_id = ?',
  insertStream: `INSERT INTO ssf_streams (${SSF_STREAM_COLUMNS.join(', ')}) VALUES (${SSF_STREAM_COLUMNS.map(() => '?').join(', ')})`,
  selectStream: 'SELECT * FROM ssf_streams WHERE tenant_id = ? AND stream_id = ?',
  listStreams: 'SELECT * FROM ssf_streams WHERE tenant_id = ? AND client_id = ? ORDER BY created_at, stream_id',
  listActiveStreams: "SELECT * FROM ssf_streams WHERE tenant_id = ? AND status <> 'disabled' ORDER BY created_at, stream_id",
  updateStream: `UPDATE ssf_streams SET aud = ?, events_requested = ?, method = ?, endpoint_url = ?, authorization_header = ?,
      description = ?, updated_at = ? WHERE tenant_id = ? AND stream_id = ?`,
  setStatus: 'UPDATE ssf_streams SET status = ?, status_reason = ?, updated_at = ? WHERE tenant_id = ? AND stream_id = ?',
  /** A disabled stream's undelivered SETs are dropped (SSF 1.0 §8.1.2). */
  dropUndelivered: 'DELETE FROM ssf_stream_sets WHERE stream_id = ? AND delivered_at IS NULL',
  deleteStream: 'DELETE FROM ssf_streams WHERE tenant_id = ? AND stream_id = ?',
  /** Atomic rate limit of verification requests (SSF 1.0 §8.1.4.2). */
  recordVerification: `UPDATE ssf_streams SET last_verification_at = ? WHERE tenant_id = ? AND stream_id = ?
      AND (last_verification_at IS NULL OR last_verification_at <= ?)`,
  pending: 'SELECT * FROM ssf_stream_sets WHERE stream_id = ? AND delivered_at IS NULL ORDER BY created_at, jti LIMIT ?',
  retryAt: 'UPDATE ssf_stream_sets SET next_attempt_at = ? WHERE stream_id = ? AND jti = ? AND delivered_at IS NULL',
  purgeDelivered: 'DELETE FROM ssf_stream_sets WHERE delivered_at IS NOT NULL AND delivered_at < ?',
} as const;

/** The values of `updateStream`: the receiver-supplied part of a stream. */
export const updateStreamArgs = (st: SsfStream): unknown[] => [
  st.aud,
  JSON.stringify(st.eventsRequested),
  st.method,
  st.endpointUrl,
  st.authorizationHeader,
  st.description,
  st.updatedAt,
  st.tenantId,
  st.streamId,
];
