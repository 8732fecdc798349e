import type { UserCondition, UserListQuery, UserQueryColumn, UserTextColumn } from '../store.js';

/**
 * The WHERE and ORDER BY of a user list query (UserListQuery), built from a UserCondition tree:
 * the SQL text comes only from the fixed fragments below, and every value is a `?` parameter,
 * so no input ever becomes SQL text. The tree is bounded by graph/odata-filter.ts.
 *
 * Text is compared case-insensitively through the database's own lower() on both sides, so the
 * column and the parameter fold alike; the indexes of migration 120 cover these expressions
 * (PostgreSQL in the "C" collation, so that ranges and order are by code point on both
 * dialects). `startsWith` is a range, `x >= p AND x < p || U+10FFFF`, which an index answers.
 */
export interface UserQueryDialect {
  /** Appended to text expressions: '' (SQLite is binary) or ' COLLATE "C"'. */
  collate: string;
  /** The function that makes a character from a code point: char (SQLite) or chr (PostgreSQL). */
  chr: 'char' | 'chr';
  flag: (b: boolean) => unknown;
}

interface ColumnSql {
  /** The expression compared (already case-folded for text). */
  expr: (d: UserQueryDialect) => string;
  /** How a parameter compared with it is folded. */
  param: (d: UserQueryDialect) => string;
  nullable: boolean;
}

const text = (sql: string, nullable: boolean): ColumnSql => ({
  expr: (d) => `(lower(${sql})${d.collate})`,
  param: (d) => `(lower(?)${d.collate})`,
  nullable,
});

const COLUMNS: Record<UserQueryColumn, ColumnSql> = {
  // Ids are lower-case GUIDs (the graph layer lower-cases the value).
  id: { expr: () => 'u.id', param: () => '?', nullable: false },
  // upn_lower holds the UPN lower-cased as stored (store/sql/directory.ts userArgs); the value is
  // lower-cased the same way by the caller of the compiler below.
  userPrincipalName: { expr: (d) => `(u.upn_lower${d.collate})`, param: (d) => `(?${d.collate})`, nullable: false },
  displayName: text('u.display_name', false),
  mail: text('u.mail', true),
  // Not stored by Portcullis: null for every user (docs/graph-api.md).
  givenName: text('NULL', true),
  surname: text('NULL', true),
  accountEnabled: { expr: () => 'u.account_enabled', param: () => '?', nullable: false },
  createdDateTime: { expr: () => 'u.created_at', param: () => '?', nullable: false },
};

const SQL_OP = { eq: '=', ne: '<>', gt: '>', ge: '>=', lt: '<', le: '<=' } as const;

/** `\`, `%` and `_` are literal in a LIKE pattern after this (ESCAPE '\'). */
const likeEscaped = (v: string): string => v.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Word separators of $search's tokenized prefix match. */
const WORD_SEPARATORS = [' ', '.', '-', '_', '@'];

function boundValue(column: UserQueryColumn, value: unknown, d: UserQueryDialect): unknown {
  if (typeof value === 'boolean') return d.flag(value);
  if (typeof value === 'string' && (column === 'userPrincipalName' || column === 'id')) return value.toLowerCase();
  return value;
}

export interface SqlPart {
  sql: string;
  args: unknown[];
}

export function conditionSql(c: UserCondition, d: UserQueryDialect): SqlPart {
  switch (c.kind) {
    case 'and':
    case 'or': {
      const parts = c.items.map((i) => conditionSql(i, d));
      return { sql: `(${parts.map((p) => p.sql).join(c.kind === 'and' ? ' AND ' : ' OR ')})`, args: parts.flatMap((p) => p.args) };
    }
    case 'not': {
      const inner = conditionSql(c.item, d);
      return { sql: `(NOT ${inner.sql})`, args: inner.args };
    }
    case 'compare':
      return compareSql(c.column, c.op, c.value, d);
    case 'startsWith':
    case 'endsWith':
    case 'wordPrefix':
      return textMatchSql(c.kind, c.column, c.value, d);
  }
}

function compareSql(column: UserQueryColumn, op: keyof typeof SQL_OP, value: unknown, d: UserQueryDialect): SqlPart {
  const col = COLUMNS[column];
  const expr = col.expr(d);
  if (value === null) {
    // Only eq / ne mean anything with null; the graph layer refuses the others.
    return { sql: op === 'ne' ? `(${expr} IS NOT NULL)` : `(${expr} IS NULL)`, args: [] };
  }
  const compared = `${expr} ${SQL_OP[op]} ${col.param(d)}`;
  const args = [boundValue(column, value, d)];
  if (!col.nullable) return { sql: `(${compared})`, args };
  // Two-valued logic for a missing value: null ne 'x' holds, null eq 'x' does not, and NOT of
  // either is its opposite (SQL's NULL would drop the row both ways).
  return { sql: op === 'ne' ? `(${expr} IS NULL OR ${compared})` : `(${expr} IS NOT NULL AND ${compared})`, args };
}

function textMatchSql(kind: 'startsWith' | 'endsWith' | 'wordPrefix', column: UserTextColumn, value: string, d: UserQueryDialect): SqlPart {
  const col = COLUMNS[column];
  const expr = col.expr(d);
  const param = col.param(d);
  const v = boundValue(column, value, d) as string;
  const guard = col.nullable ? `${expr} IS NOT NULL AND ` : '';
  // A range the column's index answers: every value that starts with v sorts in [v, v || U+10FFFF).
  const prefix = `${expr} >= ${param} AND ${expr} < (${param} || ${d.chr}(1114111))`;
  if (kind === 'startsWith') return { sql: `(${guard}${prefix})`, args: [v, v] };
  if (kind === 'endsWith') return { sql: `(${guard}${expr} LIKE ('%' || ${param}) ESCAPE '\\')`, args: [likeEscaped(v)] };
  const inner = WORD_SEPARATORS.map(() => `${expr} LIKE ('%' || ${param} || '%') ESCAPE '\\'`);
  return {
    sql: `(${guard}((${prefix}) OR ${inner.join(' OR ')}))`,
    args: [v, v, ...WORD_SEPARATORS.map((s) => `${likeEscaped(s)}${likeEscaped(v)}`)],
  };
}

/** The count of users matching a condition: this, then ` AND ` and conditionSql's text. */
export const COUNT_MATCHING_USERS = 'SELECT count(*) AS n FROM users u WHERE u.tenant_id = ?';

/** WHERE (after `u.tenant_id = ?`), ORDER BY and their arguments for UserStore.list. */
export function listSql(q: UserListQuery, d: UserQueryDialect): { where: string[]; args: unknown[]; orderBy: string } {
  const where: string[] = [];
  const args: unknown[] = [];
  if (q.userPrincipalName !== undefined) {
    where.push('u.upn_lower = ?');
    args.push(q.userPrincipalName.toLowerCase());
  }
  if (q.where) {
    const c = conditionSql(q.where, d);
    where.push(c.sql);
    args.push(...c.args);
  }
  if (!q.orderBy) {
    if (q.afterId !== undefined) {
      where.push('u.id > ?');
      args.push(q.afterId);
    }
    return { where, args, orderBy: 'u.id' };
  }
  const col = COLUMNS[q.orderBy.column];
  const expr = col.expr(d);
  if (q.after) {
    // Keyset: after (key, id) in the order (expr asc|desc, id asc).
    const cmp = q.orderBy.descending ? '<' : '>';
    where.push(`(${expr} ${cmp} ${col.param(d)} OR (${expr} = ${col.param(d)} AND u.id > ?))`);
    const key = boundValue(q.orderBy.column, q.after.key, d);
    args.push(key, key, q.after.id);
  }
  return { where, args, orderBy: `${expr}${q.orderBy.descending ? ' DESC' : ''}, u.id` };
}
