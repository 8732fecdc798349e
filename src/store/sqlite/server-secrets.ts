import type { ServerSecretStore } from '../store.js';
import type { SqliteDb } from './database.js';

export class SqliteServerSecretStore implements ServerSecretStore {
  constructor(private readonly s: SqliteDb) {}
  async getOrCreate(name: string, candidate: string, now: number): Promise<string> {
    // One statement each, on the one connection: the insert loses quietly to an existing row.
    this.s
      .stmt('INSERT INTO server_secrets (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING')
      .run(name, candidate, now);
    const row = this.s.stmt('SELECT value FROM server_secrets WHERE name = ?').get(name) as { value: string };
    return row.value;
  }
}
