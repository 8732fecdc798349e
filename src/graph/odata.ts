/**
 * The part of OData v4 query syntax Portcullis supports: $select, $filter (a single `eq` here;
 * the full expressions of /users in odata-filter.ts), $top, $count, $search, $orderby and an
 * opaque $skiptoken (keyset paging). Everything else is refused with the error Graph gives,
 * rather than ignored, so a client never silently gets unfiltered data.
 */
import { DirectoryExpiredPageToken, RequestBadRequest, RequestUnsupportedQuery } from './errors.js';

export type QueryOption = '$select' | '$filter' | '$top' | '$skiptoken' | '$count' | '$search' | '$orderby';
export type QueryOptions = Partial<Record<QueryOption, string>>;

const KNOWN_OPTIONS: readonly QueryOption[] = ['$select', '$filter', '$top', '$skiptoken', '$count', '$search', '$orderby'];

/**
 * Reads the system query options (names are case-insensitive, `$` literal or %24-encoded),
 * refusing options this route does not support and options given twice. Parameters without
 * a `$` are not OData's and are ignored.
 */
export function readQueryOptions(query: unknown, allowed: readonly QueryOption[]): QueryOptions {
  const out: QueryOptions = {};
  if (typeof query !== 'object' || query === null) return out;
  for (const [rawName, value] of Object.entries(query as Record<string, unknown>)) {
    if (!rawName.startsWith('$')) continue;
    const name = KNOWN_OPTIONS.find((o) => o === rawName.toLowerCase());
    if (name === undefined || !allowed.includes(name)) {
      throw new RequestUnsupportedQuery(`The query option '${rawName}' is not supported.`);
    }
    if (Array.isArray(value) || out[name] !== undefined) {
      throw new RequestBadRequest(`Query option '${name}' was specified more than once, but it must be specified at most once.`);
    }
    out[name] = typeof value === 'string' ? value : '';
  }
  return out;
}

/** $top: 1..999, default 100 (Graph directory paging limits); other collections pass their own (signIns: 1000). */
export function parseTop(raw: string | undefined, fallback = 100, max = 999): number {
  if (raw === undefined) return fallback;
  const n = /^\d{1,4}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new RequestBadRequest(`Invalid page size specified: '${raw}'. Must be between 1 and ${max} inclusive.`);
  }
  return n;
}

/**
 * $select: a comma list of property names, matched case-insensitively and returned in their
 * canonical spelling; `*` selects every property but those of `notInStar` (which must be named).
 * null when absent or empty.
 */
export function parseSelect(
  raw: string | undefined,
  properties: readonly string[],
  typeName: string,
  notInStar: readonly string[] = [],
): string[] | null {
  if (raw === undefined) return null;
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (names.length === 0) return null;
  const selected: string[] = [];
  for (const name of names) {
    const matches =
      name === '*' ? properties.filter((p) => !notInStar.includes(p)) : properties.filter((p) => p.toLowerCase() === name.toLowerCase());
    if (matches.length === 0) throw new RequestBadRequest(`Could not find a property named '${name}' on type '${typeName}'.`);
    for (const m of matches) if (!selected.includes(m)) selected.push(m);
  }
  return selected;
}

/**
 * $skiptoken: base64url JSON naming the collection it belongs to and the keyset position.
 * It is opaque to clients; one that does not decode to a position of this collection gets
 * Graph's expired-page-token error.
 */
export function encodeSkipToken(collection: string, position: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify({ c: collection, p: position })).toString('base64url');
}

export function decodeSkipToken(collection: string, raw: string): Record<string, unknown> {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (typeof decoded === 'object' && decoded !== null && 'c' in decoded && 'p' in decoded) {
      const { c, p } = decoded as { c: unknown; p: unknown };
      if (c === collection && typeof p === 'object' && p !== null && !Array.isArray(p)) return p as Record<string, unknown>;
    }
  } catch {
    // fall through
  }
  throw new DirectoryExpiredPageToken();
}

/** An absolute @odata.nextLink: the same route with the same options and the next $skiptoken. */
export function nextLink(routeUrl: string, options: QueryOptions, skipToken: string): string {
  const parts: string[] = [];
  for (const name of ['$filter', '$search', '$orderby', '$count', '$select', '$top'] as const) {
    const v = options[name];
    if (v !== undefined) parts.push(`${name}=${encodeURIComponent(v)}`);
  }
  parts.push(`$skiptoken=${encodeURIComponent(skipToken)}`);
  return `${routeUrl}?${parts.join('&')}`;
}
