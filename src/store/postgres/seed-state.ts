import { toSeedEntryRecord } from '../sqlite/seed-state.js';
import type { SeedEntryRecord, SeedStateStore } from '../store.js';
import type { PgDb } from './database.js';

export class PgSeedStateStore implements SeedStateStore {
  constructor(private readonly db: PgDb) {}

  async digestKey(candidate: string, now: number): Promise<string> {
    // ON CONFLICT DO NOTHING waits for a concurrent first insert and then keeps it: one key.
    await this.db.query('INSERT INTO seed_digest_key (id, key, created_at) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING', [
      candidate,
      now,
    ]);
    const { rows } = await this.db.query('SELECT key FROM seed_digest_key WHERE id = 1');
    return rows[0]?.key as string;
  }

  async list(): Promise<SeedEntryRecord[]> {
    const { rows } = await this.db.query('SELECT * FROM seed_entries ORDER BY kind, entry_key');
    return rows.map(toSeedEntryRecord);
  }

  async put(r: SeedEntryRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO seed_entries (kind, entry_key, subject_id, digests, applied_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (kind, entry_key) DO UPDATE SET subject_id = excluded.subject_id, digests = excluded.digests, applied_at = excluded.applied_at`,
      [r.kind, r.key, r.subjectId, JSON.stringify(r.digests), r.appliedAt],
    );
  }

  async remove(kind: SeedEntryRecord['kind'], keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.db.query('DELETE FROM seed_entries WHERE kind = $1 AND entry_key = ANY($2::text[])', [kind, [...keys]]);
  }
}
