/**
 * PostgreSQL text cannot hold U+0000: a query parameter containing one fails the whole statement
 * (SQLSTATE 22021), which surfaced as a 500 (found by fuzzing). No stored value holds it — the
 * surfaces refuse it on input — so an equality lookup by such a key matches nothing, as it
 * does on SQLite, and is answered without asking the database.
 */
export function unstorableText(value: string): boolean {
  return value.includes('\u0000');
}
