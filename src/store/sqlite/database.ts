import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { migrate } from './migrations.js';

/** An open SQLite database with a statement cache; the adapters share one. */
export class SqliteDb {
  readonly db: Database.Database;
  private readonly cache = new Map<string, Database.Statement>();

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    // WAL lets readers run beside the writer; synchronous=FULL makes every commit durable
    // before it returns, which an acknowledged revoke requires (DESIGN.md I3).
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
  }

  stmt(sql: string): Database.Statement {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.cache.set(sql, s);
    }
    return s;
  }

  /** Runs fn in a BEGIN IMMEDIATE transaction (takes the write lock up front). */
  tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  migrate(now: number): number[] {
    return migrate(this.db, now);
  }

  close(): void {
    this.cache.clear();
    if (this.db.open) this.db.close();
  }
}
