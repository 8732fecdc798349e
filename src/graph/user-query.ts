/**
 * Graph's rules for querying /users (https://learn.microsoft.com/graph/aad-advanced-queries and
 * https://learn.microsoft.com/graph/api/user-list): which property takes which $filter operator,
 * which ones only as an "advanced query" (header `ConsistencyLevel: eventual` and `$count=true`;
 * for $search the header alone), $search's `"property:words"` clauses and $orderby. The result is
 * a UserCondition / order for the store, never SQL.
 */
import type { FastifyRequest } from 'fastify';
import type { UserCondition, UserOrderColumn, UserQueryColumn, UserTextColumn } from '../store/store.js';
import { RequestBadRequest, RequestUnsupportedQuery } from './errors.js';
import { invalidFilter, parseFilter, type FilterLiteral, type FilterNode } from './odata-filter.js';
import type { QueryOptions } from './odata.js';
import { USER_PROPERTIES } from './user-resource.js';

/** An operator as Graph's property tables name it. */
type Operator = 'eq' | 'ne' | 'not' | 'in' | 'startsWith' | 'endsWith' | 'ge' | 'le';

interface PropertyRule {
  column: UserQueryColumn;
  type: 'Edm.String' | 'Edm.Boolean' | 'Edm.DateTimeOffset';
  /** Supported without advanced query parameters. */
  basic: readonly Operator[];
  /** Supported only as an advanced query. */
  advanced: readonly Operator[];
}

const TEXT_BASIC: readonly Operator[] = ['eq', 'in', 'startsWith'];

/** Graph's per-property table for users (includes/filter-directory-objects.md in the Graph docs). */
const FILTER_RULES: Record<string, PropertyRule> = {
  id: { column: 'id', type: 'Edm.String', basic: ['eq', 'in'], advanced: ['ne', 'not'] },
  userPrincipalName: { column: 'userPrincipalName', type: 'Edm.String', basic: TEXT_BASIC, advanced: ['ne', 'not', 'endsWith'] },
  displayName: { column: 'displayName', type: 'Edm.String', basic: TEXT_BASIC, advanced: ['ne', 'not'] },
  mail: { column: 'mail', type: 'Edm.String', basic: TEXT_BASIC, advanced: ['ne', 'not', 'endsWith'] },
  givenName: { column: 'givenName', type: 'Edm.String', basic: TEXT_BASIC, advanced: ['ne', 'not'] },
  surname: { column: 'surname', type: 'Edm.String', basic: TEXT_BASIC, advanced: ['ne', 'not'] },
  accountEnabled: { column: 'accountEnabled', type: 'Edm.Boolean', basic: ['eq', 'in'], advanced: ['ne', 'not'] },
  createdDateTime: { column: 'createdDateTime', type: 'Edm.DateTimeOffset', basic: ['eq', 'in', 'ge', 'le'], advanced: ['ne', 'not'] },
};

/** Properties $search may name (a subset of Graph's: those Portcullis stores or knows to be null). */
const SEARCH_PROPERTIES: Record<string, UserTextColumn> = {
  displayName: 'displayName',
  userPrincipalName: 'userPrincipalName',
  mail: 'mail',
  givenName: 'givenName',
  surname: 'surname',
};

/** $orderby: displayName and userPrincipalName by default, createdDateTime as an advanced query. */
const ORDER_RULES: Record<string, { column: UserOrderColumn; advancedOnly: boolean }> = {
  displayName: { column: 'displayName', advancedOnly: false },
  userPrincipalName: { column: 'userPrincipalName', advancedOnly: false },
  createdDateTime: { column: 'createdDateTime', advancedOnly: true },
};

export const MAX_SEARCH_LENGTH = 512;
const MAX_SEARCH_CLAUSES = 16;

const ADVANCED_HINT =
  'Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information';

/** Graph's answer to an advanced-only operator in a query without the advanced parameters. */
export function needsAdvancedQuery(operator: string): RequestUnsupportedQuery {
  return new RequestUnsupportedQuery(
    `Operator '${operator}' is not supported because the required parameters might be missing. ${ADVANCED_HINT}`,
  );
}

/** Client text quoted in an error, cut short: an answer never echoes a long input back. */
const excerpt = (text: string): string => (text.length > 64 ? `${text.slice(0, 64)}…` : text);

const unsupportedProperty = (name: string): RequestUnsupportedQuery =>
  new RequestUnsupportedQuery(`Unsupported or invalid query filter clause specified for property '${name}' of resource 'User'.`);

/** The request's `ConsistencyLevel: eventual` header (values compared case-insensitively). */
export function isEventual(request: FastifyRequest): boolean {
  const v = request.headers.consistencylevel;
  return typeof v === 'string' && v.trim().toLowerCase() === 'eventual';
}

/** `$count=true|false` (OData part 2 §5.1.9); anything else is refused. */
export function parseCount(raw: string | undefined): boolean {
  if (raw === undefined) return false;
  const v = raw.trim().toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new RequestBadRequest(`'${excerpt(raw)}' is not a valid count option.`);
}

export interface UserQuery {
  where: UserCondition | undefined;
  orderBy: { column: UserOrderColumn; descending: boolean } | undefined;
  /** Whether the answer carries @odata.count (advanced query with $count=true). */
  count: boolean;
}

/**
 * The query of `GET /users` (or `/users/$count` when `countSegment`): checks every option
 * against Graph's rules and returns the store's condition and order.
 */
export function readUserQuery(request: FastifyRequest, options: QueryOptions, countSegment = false): UserQuery {
  const eventual = isEventual(request);
  const countParam = parseCount(options.$count);
  // The $count segment is itself the count, so the header alone makes it advanced.
  const advanced = eventual && (countParam || countSegment);
  const conditions: UserCondition[] = [];
  if (options.$filter !== undefined) conditions.push(filterCondition(parseFilter(options.$filter), advanced));
  if (options.$search !== undefined) {
    if (!eventual) {
      throw new RequestUnsupportedQuery(
        "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
      );
    }
    conditions.push(parseSearch(options.$search));
  }
  const orderBy = options.$orderby !== undefined ? parseOrderBy(options.$orderby, advanced, options.$filter !== undefined) : undefined;
  const where = conditions.length === 0 ? undefined : conditions.length === 1 ? conditions[0] : { kind: 'and' as const, items: conditions };
  // `?$count=true` without the header is silently ignored, as Graph does.
  return { where, orderBy, count: advanced && countParam };
}

function filterCondition(node: FilterNode, advanced: boolean): UserCondition {
  switch (node.kind) {
    case 'and':
    case 'or':
      return { kind: node.kind, items: [filterCondition(node.left, advanced), filterCondition(node.right, advanced)] };
    case 'not':
      if (!advanced) throw needsAdvancedQuery('not');
      return { kind: 'not', item: filterCondition(node.operand, advanced) };
    case 'compare': {
      const rule = ruleFor(node.property, node.op as Operator, advanced);
      return { kind: 'compare', column: rule.column, op: node.op, value: literalValue(node.property, rule, node.value, node.op) };
    }
    case 'in': {
      const rule = ruleFor(node.property, 'in', advanced);
      return {
        kind: 'or',
        items: node.values.map((v) => ({
          kind: 'compare',
          column: rule.column,
          op: 'eq',
          value: literalValue(node.property, rule, v, 'eq'),
        })),
      };
    }
    case 'function': {
      const rule = ruleFor(node.property, node.name, advanced);
      const value = literalValue(node.property, rule, node.value, 'eq');
      if (typeof value !== 'string') throw incompatible(rule.type, node.value, node.name);
      return { kind: node.name, column: rule.column as UserTextColumn, value };
    }
  }
}

function ruleFor(property: string, operator: Operator | 'gt' | 'lt', advanced: boolean): PropertyRule {
  const name = Object.keys(FILTER_RULES).find((p) => p.toLowerCase() === property.toLowerCase());
  if (name === undefined) {
    if (USER_PROPERTIES.some((p) => p.toLowerCase() === property.toLowerCase())) throw unsupportedProperty(property);
    throw new RequestBadRequest(`Could not find a property named '${property}' on type 'microsoft.graph.user'.`);
  }
  const rule = FILTER_RULES[name]!;
  if ((rule.basic as readonly string[]).includes(operator)) return rule;
  if ((rule.advanced as readonly string[]).includes(operator)) {
    if (!advanced) throw needsAdvancedQuery(operator);
    return rule;
  }
  throw unsupportedProperty(name);
}

const LITERAL_TYPE: Record<FilterLiteral['type'], string> = {
  string: 'Edm.String',
  boolean: 'Edm.Boolean',
  null: 'null',
  number: 'Edm.Int64',
  dateTime: 'Edm.DateTimeOffset',
};

function incompatible(type: string, literal: FilterLiteral, operator: string): RequestBadRequest {
  return new RequestBadRequest(
    `A binary operator with incompatible types was detected. Found operand types '${type}' and '${LITERAL_TYPE[literal.type]}' for operator kind '${operator}'.`,
  );
}

function literalValue(property: string, rule: PropertyRule, literal: FilterLiteral, op: string): string | number | boolean | null {
  if (literal.type === 'null') {
    if (op !== 'eq' && op !== 'ne') throw incompatible(rule.type, literal, op);
    return null;
  }
  if (rule.type === 'Edm.String' && literal.type === 'string') {
    // PostgreSQL text cannot hold U+0000 and no stored value does.
    if (literal.value.includes('\u0000')) throw invalidFilter(`the value for '${property}' holds U+0000.`);
    return literal.value;
  }
  if (rule.type === 'Edm.Boolean' && literal.type === 'boolean') return literal.value;
  if (rule.type === 'Edm.DateTimeOffset' && literal.type === 'dateTime') return literal.value;
  throw incompatible(rule.type, literal, op);
}

/**
 * $search: one or more `"property:words"` clauses joined by AND / OR (AND binds tighter), each a
 * tokenized prefix match: every word given must start some word of the property's value.
 */
export function parseSearch(raw: string): UserCondition {
  const invalid = (detail: string) => new RequestBadRequest(`Invalid $search clause: ${detail}`);
  if (raw.length > MAX_SEARCH_LENGTH) throw invalid(`longer than ${MAX_SEARCH_LENGTH} characters.`);
  const clause = /\s*"([^"]*)"\s*/y;
  const joiner = /(AND|OR)(?=\s|")/y;
  const groups: UserCondition[][] = [[]];
  let i = 0;
  let clauses = 0;
  for (;;) {
    clause.lastIndex = i;
    const m = clause.exec(raw);
    if (!m) throw invalid(`expected a quoted "property:value" at position ${i}.`);
    if (++clauses > MAX_SEARCH_CLAUSES) throw invalid(`more than ${MAX_SEARCH_CLAUSES} clauses.`);
    groups[groups.length - 1]!.push(searchClause(m[1]!, invalid));
    i = clause.lastIndex;
    if (i >= raw.length) break;
    joiner.lastIndex = i;
    const j = joiner.exec(raw);
    if (!j) throw invalid(`expected AND or OR at position ${i}.`);
    if (j[1] === 'OR') groups.push([]);
    i = joiner.lastIndex;
  }
  const ors = groups.map((g): UserCondition => (g.length === 1 ? g[0]! : { kind: 'and', items: g }));
  return ors.length === 1 ? ors[0]! : { kind: 'or', items: ors };
}

function searchClause(text: string, invalid: (detail: string) => RequestBadRequest): UserCondition {
  const colon = text.indexOf(':');
  const name =
    colon > 0 ? Object.keys(SEARCH_PROPERTIES).find((p) => p.toLowerCase() === text.slice(0, colon).trim().toLowerCase()) : undefined;
  if (name === undefined)
    throw invalid(`"${excerpt(text)}" does not name a searchable property (displayName, userPrincipalName, mail, givenName, surname).`);
  if (text.includes('\u0000')) throw invalid('the value holds U+0000.');
  const words = text
    .slice(colon + 1)
    .split(/\s+/)
    .filter((w) => w.length > 0);
  if (words.length === 0) throw invalid(`"${excerpt(text)}" has no value.`);
  const column = SEARCH_PROPERTIES[name]!;
  const items = words.map((value): UserCondition => ({ kind: 'wordPrefix', column, value }));
  return items.length === 1 ? items[0]! : { kind: 'and', items };
}

/** $orderby: one property, `asc` (default) or `desc`. */
export function parseOrderBy(raw: string, advanced: boolean, withFilter: boolean): { column: UserOrderColumn; descending: boolean } {
  const m = /^\s*([A-Za-z]{1,64})(?:\s+(asc|desc))?\s*$/i.exec(raw);
  if (!m) {
    if (raw.includes(',')) throw new RequestUnsupportedQuery('Sorting by more than one property is not supported.');
    throw new RequestBadRequest(`Invalid $orderby clause: '${excerpt(raw)}'.`);
  }
  const name = Object.keys(ORDER_RULES).find((p) => p.toLowerCase() === m[1]!.toLowerCase());
  if (name === undefined) {
    if (USER_PROPERTIES.some((p) => p.toLowerCase() === m[1]!.toLowerCase()))
      throw new RequestUnsupportedQuery('Sorting not supported for current query.');
    throw new RequestBadRequest(`Could not find a property named '${m[1]}' on type 'microsoft.graph.user'.`);
  }
  const rule = ORDER_RULES[name]!;
  // $orderby together with $filter, and on createdDateTime, are advanced queries.
  if ((rule.advancedOnly || withFilter) && !advanced) throw new RequestUnsupportedQuery('Sorting not supported for current query.');
  return { column: rule.column, descending: m[2]?.toLowerCase() === 'desc' };
}
