import type Database from 'better-sqlite3';

interface TableRows {
  name: string;
  columns: string[];
  rows: unknown[][];
}

/** The schema's bookkeeping: never copied (the migrations are the same on both sides). */
const SKIPPED = new Set(['schema_migrations']);

const quote = (identifier: string): string => `"${identifier.replace(/"/g, '""')}"`;

/**
 * Every row of every table of a SQLite database, held in memory, and put back in one
 * transaction: what reset() returns the store to (the seed, the signing keys, the server
 * secrets), and how a second server with the same seed skips argon2 and key generation.
 * A few dozen rows: restoring takes well under a millisecond per table.
 */
export class TableSnapshot {
  private constructor(private readonly tables: TableRows[]) {}

  static take(db: Database.Database): TableSnapshot {
    const names = db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND (name NOT LIKE 'sqlite_%' OR name = 'sqlite_sequence') ORDER BY name",
      )
      .pluck()
      .all() as string[];
    const tables = names
      .filter((name) => !SKIPPED.has(name))
      .map((name) => {
        const stmt = db.prepare(`SELECT * FROM ${quote(name)}`).raw(true);
        return { name, columns: stmt.columns().map((c) => c.name), rows: stmt.all() as unknown[][] };
      });
    return new TableSnapshot(tables);
  }

  /**
   * Deletes every row and inserts the snapshot's, in one transaction. Foreign keys are switched
   * off around it (a pragma that cannot change inside a transaction): the rows are a consistent
   * copy, only the order of the deletes and inserts would trip them.
   */
  restore(db: Database.Database): void {
    const fk = db.pragma('foreign_keys', { simple: true }) as number;
    db.pragma('foreign_keys = OFF');
    try {
      db.transaction(() => {
        for (const t of this.tables) db.prepare(`DELETE FROM ${quote(t.name)}`).run();
        for (const t of this.tables) {
          if (t.rows.length === 0) continue;
          const insert = db.prepare(
            `INSERT INTO ${quote(t.name)} (${t.columns.map(quote).join(', ')}) VALUES (${t.columns.map(() => '?').join(', ')})`,
          );
          for (const row of t.rows) insert.run(row);
        }
      })();
    } finally {
      db.pragma(`foreign_keys = ${fk ? 'ON' : 'OFF'}`);
    }
  }
}
