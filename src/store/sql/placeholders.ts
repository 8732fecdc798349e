/**
 * The shared SQL text of store/sql/ is written with SQLite's `?` placeholders; PostgreSQL numbers
 * them (`$1`, `$2`, …, in the order they appear). The statements hold no `?` inside string
 * literals, so a plain left-to-right replacement is exact. Converted once, at module load.
 */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** Every statement of a shared set, numbered for PostgreSQL. */
export function numberedAll<T extends Record<string, string>>(statements: T): { readonly [K in keyof T]: string } {
  return Object.fromEntries(Object.entries(statements).map(([k, v]) => [k, numbered(v)])) as { [K in keyof T]: string };
}

/**
 * `column = ?` for every pair whose value is defined, with the values in the same order: the SET
 * list of a partial update or the equality filters of a list query.
 */
export function columnsEqual(pairs: readonly (readonly [column: string, value: unknown])[]): { parts: string[]; args: unknown[] } {
  const present = pairs.filter(([, v]) => v !== undefined);
  return { parts: present.map(([c]) => `${c} = ?`), args: present.map(([, v]) => v) };
}
