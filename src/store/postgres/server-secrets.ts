import type { ServerSecretStore } from '../store.js';
import type { PgDb } from './database.js';

export class PgServerSecretStore implements ServerSecretStore {
  constructor(private readonly db: PgDb) {}
  async getOrCreate(name: string, candidate: string, now: number): Promise<string> {
    // Instances racing on a first start: the primary key lets exactly one insert win; the
    // others' inserts wait for it to commit, do nothing, and read the winner's value.
    await this.db.query('INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING', [
      name,
      candidate,
      now,
    ]);
    const { rows } = await this.db.query('SELECT value FROM server_secrets WHERE name = $1', [name]);
    return String(rows[0]!.value);
  }
}
