import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { openSqliteStore } from '../../src/store/sqlite/open.js';

/**
 * For a file of query-plan tests: a SQLite database migrated as the server leaves it (opened and
 * closed by the store, never ANALYZEd, as in production), opened read-only in the file's before()
 * and removed in its after(). `explain(sql, args)` answers EXPLAIN QUERY PLAN's detail lines.
 */
export function migratedDatabaseForPlans(prefix: string, now: number): { explain(sql: string, args: readonly unknown[]): string[] } {
  let dir = '';
  let db: Database.Database | undefined;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), `portcullis-${prefix}-`));
    const file = join(dir, 'portcullis.db');
    await openSqliteStore(file, now).close();
    db = new Database(file, { readonly: true });
  });
  after(() => {
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    explain(sql, args) {
      if (!db) throw new Error('the database is opened in before()');
      return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((r) => r.detail);
    },
  };
}
