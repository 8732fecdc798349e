/**
 * The `$filter` of `GET /auditLogs/directoryAudits`: the clauses Graph documents for directoryAudit
 * (https://learn.microsoft.com/graph/api/resources/directoryaudit, "Supports $filter") that the
 * store answers on an index — `activityDisplayName eq '…'`, `targetResources/any(t:t/id eq '…')`
 * (OData lambda, any variable name) and `initiatedBy/user/id eq '…'` — each at most once, joined
 * by `and`, target and initiator not together. Anything else is Graph's 400 Request_UnsupportedQuery.
 */
import { RequestUnsupportedQuery } from './errors.js';

export interface AuditFilter {
  activityDisplayName?: string;
  targetId?: string;
  initiatorUserId?: string;
}

// A string literal with '' as an escaped quote (OData ABNF, SQUOTE-in-string).
const STRING = "'((?:[^']|'')*)'";
const CLAUSES: { key: keyof AuditFilter; pattern: RegExp }[] = [
  { key: 'activityDisplayName', pattern: new RegExp(`\\s*activityDisplayName\\s+eq\\s+${STRING}`, 'iy') },
  {
    key: 'targetId',
    pattern: new RegExp(
      `\\s*targetResources/any\\(\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*:\\s*([A-Za-z_][A-Za-z0-9_]*)/id\\s+eq\\s+${STRING}\\s*\\)`,
      'iy',
    ),
  },
  { key: 'initiatorUserId', pattern: new RegExp(`\\s*initiatedBy/user/id\\s+eq\\s+${STRING}`, 'iy') },
];
const AND = /\s+and\s+/iy;
const END = /\s*$/y;

const unsupported = (): never => {
  throw new RequestUnsupportedQuery('Unsupported query.');
};

/** One clause at `at`: its key, value and where it ends; null when none matches there. */
function clauseAt(raw: string, at: number): { key: keyof AuditFilter; value: string; end: number } | null {
  for (const { key, pattern } of CLAUSES) {
    pattern.lastIndex = at;
    const m = pattern.exec(raw);
    if (!m) continue;
    // The lambda's body must use its own variable: `any(t:u/id eq …)` is not well-formed.
    if (key === 'targetId' && m[1] !== m[2]) return null;
    return { key, value: m[m.length - 1]!.replace(/''/g, "'"), end: pattern.lastIndex };
  }
  return null;
}

export function parseAuditFilter(raw: string): AuditFilter {
  const filter: AuditFilter = {};
  let at = 0;
  // Bounded: each round consumes at least one clause, and there are at most three.
  for (let round = 0; round < CLAUSES.length; round++) {
    const clause = clauseAt(raw, at) ?? unsupported();
    if (filter[clause.key] !== undefined) unsupported();
    filter[clause.key] = clause.value;
    END.lastIndex = clause.end;
    if (END.test(raw)) {
      if (filter.targetId !== undefined && filter.initiatorUserId !== undefined) unsupported();
      return filter;
    }
    AND.lastIndex = clause.end;
    if (!AND.test(raw)) unsupported();
    at = AND.lastIndex;
  }
  return unsupported();
}
