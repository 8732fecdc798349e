import type { SeedEntryRecord, SeedStateStore } from '../store.js';
import type { SqliteDb } from './database.js';

/** Row mapper shared with the PostgreSQL adapter (same columns, digests as JSON text). */
export function toSeedEntryRecord(r: Record<string, unknown>): SeedEntryRecord {
  return {
    kind: r.kind as SeedEntryRecord['kind'],
    key: r.entry_key as string,
    subjectId: r.subject_id as string,
    digests: JSON.parse(r.digests as string) as Record<string, string>,
    appliedAt: Number(r.applied_at),
  };
}

export class SqliteSeedStateStore implements SeedStateStore {
  constructor(private readonly s: SqliteDb) {}

  async digestKey(candidate: string, now: number): Promise<string> {
    return this.s.tx(() => {
      this.s.stmt('INSERT INTO seed_digest_key (id, key, created_at) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING').run(candidate, now);
      return (this.s.stmt('SELECT key FROM seed_digest_key WHERE id = 1').get() as { key: string }).key;
    });
  }

  async list(): Promise<SeedEntryRecord[]> {
    return (this.s.stmt('SELECT * FROM seed_entries ORDER BY kind, entry_key').all() as Record<string, unknown>[]).map(toSeedEntryRecord);
  }

  async put(r: SeedEntryRecord): Promise<void> {
    this.s
      .stmt(
        `INSERT INTO seed_entries (kind, entry_key, subject_id, digests, applied_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (kind, entry_key) DO UPDATE SET subject_id = excluded.subject_id, digests = excluded.digests, applied_at = excluded.applied_at`,
      )
      .run(r.kind, r.key, r.subjectId, JSON.stringify(r.digests), r.appliedAt);
  }

  async remove(kind: SeedEntryRecord['kind'], keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    this.s.tx(() => {
      for (const key of keys) this.s.stmt('DELETE FROM seed_entries WHERE kind = ? AND entry_key = ?').run(kind, key);
    });
  }
}
