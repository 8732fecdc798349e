import type { Queryable } from './database.js';

/**
 * Writes of one transaction sent as ONE statement (one round trip): each write becomes a
 * data-modifying WITH query of it (https://www.postgresql.org/docs/current/queries-with.html#QUERIES-WITH-MODIFYING).
 * A round trip costs little on the server but waits for a turn of Portcullis's event loop, which
 * is long under load (BENCHMARKS.md, "PostgreSQL pinned"): a revoke that wrote its event, receipt,
 * user row and audit rows one statement at a time waited for ten of them.
 *
 * What a caller must know, from the page above: the writes all run on the snapshot the statement
 * started with, so none sees another's rows (each write here only inserts, or updates a row no
 * other write of the statement touches); a later write can use what an earlier one RETURNs (as
 * `returned(write)` among its values); every data-modifying write runs whether or not it is
 * referenced, a plain SELECT (pg_notify) only if it is, so every write with `returning` is.
 */
export interface Write {
  /** One INSERT, UPDATE or SELECT with `?` placeholders (store/sql/placeholders.ts). */
  sql: string;
  /** Its values in placeholder order; `returned(w)` stands for what an earlier write `w` returns. */
  args: readonly unknown[];
  /**
   * The column the write answers (its RETURNING, or a SELECT's output), for later writes or the
   * caller; read as a scalar subquery, so such a write must give at most one row.
   */
  returning?: string;
}

/** A value of a write that an earlier write of the same statement returns. */
export class Returned {
  constructor(readonly write: Write) {}
}

export const returned = (write: Write): Returned => new Returned(write);

/** The statement and its values: `?` numbered, a Returned replaced by a scalar subquery of its write. */
export function oneStatement(writes: readonly Write[]): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const name = (w: Write): string => {
    const i = writes.indexOf(w);
    if (i < 0) throw new Error('a returned value of a write that is not in the statement');
    return `w${i}`;
  };
  const parts = writes.map((w, i) => {
    let k = 0;
    const sql = w.sql.replace(/\?/g, () => {
      const v = w.args[k++];
      if (!(v instanceof Returned)) {
        values.push(v);
        return `$${values.length}`;
      }
      if (writes.indexOf(v.write) >= i || !v.write.returning)
        throw new Error('a returned value of a later write, or of one that returns nothing');
      return `(SELECT ${v.write.returning} FROM ${name(v.write)})`;
    });
    if (k !== w.args.length) throw new Error(`a write with ${k} placeholders and ${w.args.length} values`);
    return `${name(w)} AS (${sql})`;
  });
  const answers = writes.filter((w) => w.returning).map((w) => `(SELECT ${w.returning} FROM ${name(w)}) AS ${name(w)}`);
  return { text: `WITH ${parts.join(', ')} SELECT ${answers.length ? answers.join(', ') : '1'}`, values };
}

/**
 * Runs the writes as one statement inside the caller's transaction. Answers what each write with
 * `returning` returned, in a Map keyed by the write.
 */
export async function runWrites(c: Queryable, writes: readonly Write[]): Promise<Map<Write, unknown>> {
  const out = new Map<Write, unknown>();
  if (writes.length === 0) return out;
  const { text, values } = oneStatement(writes);
  const { rows } = await c.query(text, values);
  const row = rows[0] ?? {};
  writes.forEach((w, i) => {
    if (w.returning) out.set(w, row[`w${i}`]);
  });
  return out;
}
