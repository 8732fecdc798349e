import { DELIVERY, type ClaimedSet, type QueuedSet, type SsfStream, type StreamStatus } from '../../core/ssf-stream.js';
import { SSF_STREAM_COLUMNS, ssfStreamValues, toClaimedSet, toQueuedSet, toSsfStream } from '../ssf-rows.js';
import type { SsfStore } from '../store.js';
import type { SqliteDb } from './database.js';

type Row = Record<string, unknown>;

export class SqliteSsfStore implements SsfStore {
  constructor(private readonly s: SqliteDb) {}

  async insertStream(stream: SsfStream, maxPerReceiver: number): Promise<boolean> {
    return this.s.tx(() => {
      const { n } = this.s.stmt('SELECT COUNT(*) AS n FROM ssf_streams WHERE tenant_id = ? AND client_id = ?').get(stream.tenantId, stream.clientId) as {
        n: number;
      };
      if (n >= maxPerReceiver) return false;
      this.s
        .stmt(`INSERT INTO ssf_streams (${SSF_STREAM_COLUMNS.join(', ')}) VALUES (${SSF_STREAM_COLUMNS.map(() => '?').join(', ')})`)
        .run(...ssfStreamValues(stream));
      return true;
    });
  }

  async findStream(tenantId: string, streamId: string): Promise<SsfStream | null> {
    const r = this.s.stmt('SELECT * FROM ssf_streams WHERE tenant_id = ? AND stream_id = ?').get(tenantId, streamId) as Row | undefined;
    return r ? toSsfStream(r) : null;
  }

  async listStreams(tenantId: string, clientId: string): Promise<SsfStream[]> {
    const rows = this.s
      .stmt('SELECT * FROM ssf_streams WHERE tenant_id = ? AND client_id = ? ORDER BY created_at, stream_id')
      .all(tenantId, clientId) as Row[];
    return rows.map(toSsfStream);
  }

  async listActiveStreams(tenantId: string): Promise<SsfStream[]> {
    const rows = this.s
      .stmt("SELECT * FROM ssf_streams WHERE tenant_id = ? AND status <> 'disabled' ORDER BY created_at, stream_id")
      .all(tenantId) as Row[];
    return rows.map(toSsfStream);
  }

  async updateStream(st: SsfStream): Promise<boolean> {
    const r = this.s
      .stmt(
        `UPDATE ssf_streams SET aud = ?, events_requested = ?, method = ?, endpoint_url = ?, authorization_header = ?,
           description = ?, updated_at = ? WHERE tenant_id = ? AND stream_id = ?`,
      )
      .run(st.aud, JSON.stringify(st.eventsRequested), st.method, st.endpointUrl, st.authorizationHeader, st.description, st.updatedAt, st.tenantId, st.streamId);
    return r.changes === 1;
  }

  async setStatus(tenantId: string, streamId: string, status: StreamStatus, reason: string | null, now: number): Promise<SsfStream | null> {
    return this.s.tx(() => {
      const r = this.s
        .stmt('UPDATE ssf_streams SET status = ?, status_reason = ?, updated_at = ? WHERE tenant_id = ? AND stream_id = ?')
        .run(status, reason, now, tenantId, streamId);
      if (r.changes !== 1) return null;
      if (status === 'disabled') this.s.stmt('DELETE FROM ssf_stream_sets WHERE stream_id = ? AND delivered_at IS NULL').run(streamId);
      const row = this.s.stmt('SELECT * FROM ssf_streams WHERE stream_id = ?').get(streamId) as Row;
      return toSsfStream(row);
    });
  }

  async deleteStream(tenantId: string, streamId: string): Promise<boolean> {
    return this.s.stmt('DELETE FROM ssf_streams WHERE tenant_id = ? AND stream_id = ?').run(tenantId, streamId).changes === 1;
  }

  async recordVerification(tenantId: string, streamId: string, now: number, minIntervalMs: number): Promise<boolean> {
    const r = this.s
      .stmt(
        `UPDATE ssf_streams SET last_verification_at = ? WHERE tenant_id = ? AND stream_id = ?
           AND (last_verification_at IS NULL OR last_verification_at <= ?)`,
      )
      .run(now, tenantId, streamId, now - minIntervalMs);
    return r.changes === 1;
  }

  async enqueue(sets: readonly QueuedSet[]): Promise<number> {
    if (sets.length === 0) return 0;
    // Durable as before (synchronous=FULL), but in the group commit: the SETs a revoke queues on
    // its N streams arrive from N outbox deliveries at once, and share one fsync instead of N.
    return this.s.groupCommit.run(() => {
      let queued = 0;
      const insert = this.s.stmt(
        `INSERT OR IGNORE INTO ssf_stream_sets (stream_id, jti, set_jwt, created_at, attempts, next_attempt_at)
         SELECT ?, ?, ?, ?, 0, ? WHERE EXISTS (SELECT 1 FROM ssf_streams WHERE stream_id = ? AND status <> 'disabled')`,
      );
      for (const q of sets) queued += insert.run(q.streamId, q.jti, q.set, q.createdAt, q.createdAt, q.streamId).changes;
      return queued;
    });
  }

  async pending(streamId: string, max: number): Promise<{ sets: QueuedSet[]; more: boolean }> {
    const rows = this.s
      .stmt('SELECT * FROM ssf_stream_sets WHERE stream_id = ? AND delivered_at IS NULL ORDER BY created_at, jti LIMIT ?')
      .all(streamId, max + 1) as Row[];
    return { sets: rows.slice(0, max).map(toQueuedSet), more: rows.length > max };
  }

  async settle(streamId: string, jtis: readonly string[], now: number): Promise<void> {
    if (jtis.length === 0) return;
    const update = this.s.stmt('UPDATE ssf_stream_sets SET delivered_at = ? WHERE stream_id = ? AND jti = ? AND delivered_at IS NULL');
    this.s.tx(() => {
      for (const jti of jtis) update.run(now, streamId, jti);
    });
  }

  async settleMany(sets: readonly { streamId: string; jti: string }[], now: number): Promise<void> {
    if (sets.length === 0) return;
    const update = this.s.stmt('UPDATE ssf_stream_sets SET delivered_at = ? WHERE stream_id = ? AND jti = ? AND delivered_at IS NULL');
    // Relaxed (no fsync, like the outbox's own bookkeeping): see SsfStore.settleMany.
    this.s.txRelaxed(() => {
      for (const x of sets) update.run(now, x.streamId, x.jti);
    });
  }

  async claimDuePush(now: number, leaseMs: number, limit: number): Promise<ClaimedSet[]> {
    const due = `SELECT q.*, s.tenant_id, s.client_id, s.endpoint_url, s.authorization_header FROM ssf_stream_sets q
         JOIN ssf_streams s ON s.stream_id = q.stream_id
       WHERE q.delivered_at IS NULL AND q.next_attempt_at <= ? AND s.status = 'enabled' AND s.method = ?
       ORDER BY q.next_attempt_at, q.created_at LIMIT ?`;
    // The idle scan (every pushScanIntervalMs) only reads: no write lock unless there is work.
    if (!this.s.stmt(due).get(now, DELIVERY.push, 1)) return [];
    // Relaxed: a claim lost in an OS crash only means the SET is claimed (and sent) again, with
    // its jti, and one attempt fewer counted.
    return this.s.txRelaxed(() => {
      const rows = this.s.stmt(due).all(now, DELIVERY.push, limit) as Row[];
      const lease = this.s.stmt('UPDATE ssf_stream_sets SET attempts = attempts + 1, next_attempt_at = ? WHERE stream_id = ? AND jti = ?');
      return rows.map((r) => {
        lease.run(now + leaseMs, r.stream_id, r.jti);
        return toClaimedSet({ ...r, attempts: Number(r.attempts) + 1 });
      });
    });
  }

  async retryAt(streamId: string, jti: string, at: number): Promise<void> {
    this.s.stmt('UPDATE ssf_stream_sets SET next_attempt_at = ? WHERE stream_id = ? AND jti = ? AND delivered_at IS NULL').run(at, streamId, jti);
  }

  async purgeDelivered(before: number): Promise<number> {
    return this.s.stmt('DELETE FROM ssf_stream_sets WHERE delivered_at IS NOT NULL AND delivered_at < ?').run(before).changes;
  }
}
