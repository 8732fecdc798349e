import { DELIVERY, type ClaimedSet, type QueuedSet, type SsfStream, type StreamStatus } from '../../core/ssf-stream.js';
import { ssfStreamValues, toClaimedSet, toQueuedSet, toSsfStream } from '../ssf-rows.js';
import { SSF_SQL as SQL, updateStreamArgs } from '../sql/ssf.js';
import type { SsfStore } from '../store.js';
import type { SqliteDb } from './database.js';

type Row = Record<string, unknown>;

export class SqliteSsfStore implements SsfStore {
  constructor(private readonly s: SqliteDb) {}

  async insertStream(stream: SsfStream, maxPerReceiver: number): Promise<boolean> {
    return this.s.tx(() => {
      const { n } = this.s.stmt(SQL.countReceiverStreams).get(stream.tenantId, stream.clientId) as { n: number };
      if (n >= maxPerReceiver) return false;
      this.s.stmt(SQL.insertStream).run(...ssfStreamValues(stream));
      return true;
    });
  }

  async findStream(tenantId: string, streamId: string): Promise<SsfStream | null> {
    const r = this.s.stmt(SQL.selectStream).get(tenantId, streamId) as Row | undefined;
    return r ? toSsfStream(r) : null;
  }

  async listStreams(tenantId: string, clientId: string): Promise<SsfStream[]> {
    const rows = this.s.stmt(SQL.listStreams).all(tenantId, clientId) as Row[];
    return rows.map(toSsfStream);
  }

  async listActiveStreams(tenantId: string): Promise<SsfStream[]> {
    const rows = this.s.stmt(SQL.listActiveStreams).all(tenantId) as Row[];
    return rows.map(toSsfStream);
  }

  async updateStream(st: SsfStream): Promise<boolean> {
    return this.s.stmt(SQL.updateStream).run(...updateStreamArgs(st)).changes === 1;
  }

  async setStatus(tenantId: string, streamId: string, status: StreamStatus, reason: string | null, now: number): Promise<SsfStream | null> {
    return this.s.tx(() => {
      if (this.s.stmt(SQL.setStatus).run(status, reason, now, tenantId, streamId).changes !== 1) return null;
      if (status === 'disabled') this.s.stmt(SQL.dropUndelivered).run(streamId);
      const row = this.s.stmt(SQL.selectStream).get(tenantId, streamId) as Row;
      return toSsfStream(row);
    });
  }

  async deleteStream(tenantId: string, streamId: string): Promise<boolean> {
    return this.s.stmt(SQL.deleteStream).run(tenantId, streamId).changes === 1;
  }

  async recordVerification(tenantId: string, streamId: string, now: number, minIntervalMs: number): Promise<boolean> {
    return this.s.stmt(SQL.recordVerification).run(now, tenantId, streamId, now - minIntervalMs).changes === 1;
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
    const rows = this.s.stmt(SQL.pending).all(streamId, max + 1) as Row[];
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
    this.s.stmt(SQL.retryAt).run(at, streamId, jti);
  }

  async purgeDelivered(before: number): Promise<number> {
    return this.s.stmt(SQL.purgeDelivered).run(before).changes;
  }
}
