import { DELIVERY, type ClaimedSet, type QueuedSet, type SsfStream, type StreamStatus } from '../../core/ssf-stream.js';
import { ssfStreamValues, toClaimedSet, toQueuedSet, toSsfStream } from '../ssf-rows.js';
import { SSF_SQL, updateStreamArgs } from '../sql/ssf.js';
import { numberedAll } from '../sql/placeholders.js';
import type { SsfStore } from '../store.js';
import type { PgDb } from './database.js';

const SQL = numberedAll(SSF_SQL);

export class PgSsfStore implements SsfStore {
  constructor(private readonly db: PgDb) {}

  /** SERIALIZABLE: two creations racing past the count form a dependency cycle and one is retried. */
  async insertStream(stream: SsfStream, maxPerReceiver: number): Promise<boolean> {
    return this.db.tx(async (c) => {
      const { rows } = await c.query(SQL.countReceiverStreams, [stream.tenantId, stream.clientId]);
      if (Number(rows[0]?.n ?? 0) >= maxPerReceiver) return false;
      await c.query(SQL.insertStream, ssfStreamValues(stream));
      return true;
    }, 'serializable');
  }

  async findStream(tenantId: string, streamId: string): Promise<SsfStream | null> {
    const { rows } = await this.db.query(SQL.selectStream, [tenantId, streamId]);
    return rows[0] ? toSsfStream(rows[0]) : null;
  }

  async listStreams(tenantId: string, clientId: string): Promise<SsfStream[]> {
    const { rows } = await this.db.query(SQL.listStreams, [tenantId, clientId]);
    return rows.map(toSsfStream);
  }

  async listActiveStreams(tenantId: string): Promise<SsfStream[]> {
    const { rows } = await this.db.query(SQL.listActiveStreams, [tenantId]);
    return rows.map(toSsfStream);
  }

  async updateStream(st: SsfStream): Promise<boolean> {
    return (await this.db.query(SQL.updateStream, updateStreamArgs(st))).rowCount === 1;
  }

  async setStatus(tenantId: string, streamId: string, status: StreamStatus, reason: string | null, now: number): Promise<SsfStream | null> {
    return this.db.tx(async (c) => {
      const { rows } = await c.query(`${SQL.setStatus} RETURNING *`, [status, reason, now, tenantId, streamId]);
      if (!rows[0]) return null;
      if (status === 'disabled') await c.query(SQL.dropUndelivered, [streamId]);
      return toSsfStream(rows[0]);
    });
  }

  async deleteStream(tenantId: string, streamId: string): Promise<boolean> {
    return (await this.db.query(SQL.deleteStream, [tenantId, streamId])).rowCount === 1;
  }

  async recordVerification(tenantId: string, streamId: string, now: number, minIntervalMs: number): Promise<boolean> {
    return (await this.db.query(SQL.recordVerification, [now, tenantId, streamId, now - minIntervalMs])).rowCount === 1;
  }

  async enqueue(sets: readonly QueuedSet[]): Promise<number> {
    if (sets.length === 0) return 0;
    return this.db.tx(async (c) => {
      let queued = 0;
      for (const q of sets) {
        const r = await c.query(
          `INSERT INTO ssf_stream_sets (stream_id, jti, set_jwt, created_at, attempts, next_attempt_at)
           SELECT $1, $2, $3, $4, 0, $4 WHERE EXISTS (SELECT 1 FROM ssf_streams WHERE stream_id = $1 AND status <> 'disabled')
           ON CONFLICT (stream_id, jti) DO NOTHING`,
          [q.streamId, q.jti, q.set, q.createdAt],
        );
        queued += r.rowCount ?? 0;
      }
      return queued;
    });
  }

  async pending(streamId: string, max: number): Promise<{ sets: QueuedSet[]; more: boolean }> {
    const { rows } = await this.db.query(SQL.pending, [streamId, max + 1]);
    return { sets: rows.slice(0, max).map(toQueuedSet), more: rows.length > max };
  }

  async settle(streamId: string, jtis: readonly string[], now: number): Promise<void> {
    if (jtis.length === 0) return;
    await this.db.query('UPDATE ssf_stream_sets SET delivered_at = $1 WHERE stream_id = $2 AND jti = ANY($3) AND delivered_at IS NULL', [
      now,
      streamId,
      [...jtis],
    ]);
  }

  async settleMany(sets: readonly { streamId: string; jti: string }[], now: number): Promise<void> {
    if (sets.length === 0) return;
    // One statement over parallel arrays: one round trip and one commit for the whole push round.
    await this.db.query(
      `UPDATE ssf_stream_sets q SET delivered_at = $1
       FROM unnest($2::text[], $3::text[]) AS d(stream_id, jti)
       WHERE q.stream_id = d.stream_id AND q.jti = d.jti AND q.delivered_at IS NULL`,
      [now, sets.map((x) => x.streamId), sets.map((x) => x.jti)],
    );
  }

  /**
   * One statement: the due rows are locked with SKIP LOCKED, so instances claiming at the same
   * moment take disjoint sets, and the lease moves their next attempt past this one's timeout.
   */
  async claimDuePush(now: number, leaseMs: number, limit: number): Promise<ClaimedSet[]> {
    const { rows } = await this.db.query(
      `WITH due AS (
         SELECT q.stream_id, q.jti FROM ssf_stream_sets q JOIN ssf_streams s ON s.stream_id = q.stream_id
         WHERE q.delivered_at IS NULL AND q.next_attempt_at <= $1 AND s.status = 'enabled' AND s.method = $2
         ORDER BY q.next_attempt_at, q.created_at LIMIT $3
         FOR UPDATE OF q SKIP LOCKED)
       UPDATE ssf_stream_sets q SET attempts = q.attempts + 1, next_attempt_at = $4
       FROM due, ssf_streams s
       WHERE q.stream_id = due.stream_id AND q.jti = due.jti AND s.stream_id = q.stream_id
       RETURNING q.*, s.tenant_id, s.client_id, s.endpoint_url, s.authorization_header`,
      [now, DELIVERY.push, limit, now + leaseMs],
    );
    return rows.map(toClaimedSet);
  }

  async retryAt(streamId: string, jti: string, at: number): Promise<void> {
    await this.db.query(SQL.retryAt, [at, streamId, jti]);
  }

  async purgeDelivered(before: number): Promise<number> {
    return (await this.db.query(SQL.purgeDelivered, [before])).rowCount ?? 0;
  }
}
