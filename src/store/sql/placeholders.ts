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
