/**
 * What an inner request of a `$batch` may be: the one place for the containment rules, used by
 * both ways an inner request runs (inject() in batch.ts and the revoke lane in batch-revoke.ts).
 *
 * URL (https://learn.microsoft.com/graph/json-batching: `url` is relative to the version of the
 * batch, "/me" or "users/{id}", never absolute). An inner request must stay a Graph request of
 * the batch's own version, whatever the spelling. inject() parses its URL as a WHATWG URL, which
 * resolves `..` and `%2e%2e`, turns `\` into `/` and drops tabs and newlines, and the router
 * then percent-decodes `%24batch` into `$batch`: a check of the raw text misses all of that. So
 * the URL is resolved here FIRST — percent-decoded per segment, dot segments removed (RFC 3986
 * §5.2.4) — and the result must:
 *   - not climb above /{version}/ (`/../beta/me`, `/../{tenant}/oauth2/v2.0/token`);
 *   - name a Graph route of that version (resolveInnerUrl's `routes`, which leave out $batch
 *     itself, however spelled: `%24batch`, `$BATCH`, `$batch/`, `users/../$batch`);
 *   - contain no encoded `/` or `\` (`%2F`, `%5C`) in a segment: no Graph key contains one, and
 *     it would be a second spelling of a separator;
 * and the raw text must contain no control character (WHATWG would drop tabs and newlines), no
 * `\` in the path (WHATWG reads it as `/`) and no `#` (a fragment is never sent, RFC 3986 §3.5;
 * `#EXT#` in a guest's UPN is spelled `%23EXT%23`). The request then runs at a URL rebuilt from
 * the resolved segments, so what the router sees is exactly what was checked.
 *
 * Headers: an inner request runs with the outer request's credentials and client address (the
 * remote address of the outer request, batch.ts), so innerHeaders drops what would say otherwise:
 * Authorization (the outer one is used), the forwarding headers a proxy writes (X-Forwarded-*,
 * Forwarded RFC 7239, X-Real-IP) — with trustProxy an inner X-Forwarded-For would otherwise pick
 * the address the per-source limits count —, Host, Content-Length (recomputed) and the
 * hop-by-hop headers of RFC 9110 §7.6.1, including any the Connection header names.
 */
import { RequestBadRequest, segmentNotFound, type GraphError } from './errors.js';
import type { GraphRoute, GraphVersion } from './http.js';
import { matchRoute } from './route-match.js';

/** An inner URL resolved under the batch's version. */
export interface InnerTarget {
  /** Path segments below /{version}, percent-decoded, dot segments removed; never empty. */
  segments: string[];
  /** The query without '?', as sent ('' when none). */
  query: string;
  /** The URL the request runs at: `/{version}/{segments, re-encoded}[?query]`. */
  url: string;
  /** The Graph route the path names, with its decoded parameters; null = a Graph resource, another method (405). */
  route: { route: GraphRoute; params: Record<string, string> } | null;
}

const invalidUrl = (url: string, version: GraphVersion, why: string) =>
  new RequestBadRequest(`Invalid request URL '${url.slice(0, 200)}': ${why}; use a URL relative to /${version}.`);

/**
 * Characters RFC 3986 §3.3 allows unencoded in a path segment (pchar minus pct-encoded), except
 * ';', which a router may take for a delimiter (fastify's useSemicolonDelimiter): encoded.
 */
const PCHAR = /[^A-Za-z0-9\-._~!$&'()*+,=:@]/gu;
const PLAIN = /^[A-Za-z0-9\-._~!$&'()*+,=:@]*$/;
const encodeSegment = (segment: string): string => (PLAIN.test(segment) ? segment : segment.replace(PCHAR, (c) => encodeURIComponent(c)));

const byVersion = new WeakMap<readonly GraphRoute[], Map<GraphVersion, GraphRoute[]>>();

/** The routes of one version (computed once per route table). */
function routesOf(routes: readonly GraphRoute[], version: GraphVersion): readonly GraphRoute[] {
  let versions = byVersion.get(routes);
  if (!versions) byVersion.set(routes, (versions = new Map()));
  let list = versions.get(version);
  if (!list) versions.set(version, (list = routes.filter((r) => r.versions === undefined || r.versions.includes(version))));
  return list;
}

/**
 * Resolves an inner request's URL under /{version} and checks it names one of `routes` (the
 * Graph routes without $batch); a GraphError to answer as the inner response otherwise.
 */
export function resolveInnerUrl(
  version: GraphVersion,
  method: string,
  url: string,
  routes: readonly GraphRoute[],
): InnerTarget | GraphError {
  // Absolute ("https://graph.microsoft.com/v1.0/me") and network-path ("//host/...") references.
  if (/^[a-z][a-z0-9+.-]*:/i.test(url) || url.startsWith('//')) return invalidUrl(url, version, 'absolute URLs are not allowed');
  if (/[\u0000-\u001f\u007f#]/.test(url)) return invalidUrl(url, version, "control characters and '#' are not allowed");
  const q = url.indexOf('?');
  const rawPath = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? '' : url.slice(q + 1);
  if (rawPath.includes('\\')) return invalidUrl(url, version, "'\\' is not allowed");
  const stack: string[] = [];
  // Relative to the version root either way: "/me" is "me" (a leading "//" was refused above).
  for (const raw of (rawPath.startsWith('/') ? rawPath.slice(1) : rawPath).split('/')) {
    let segment: string;
    try {
      segment = raw.includes('%') ? decodeURIComponent(raw) : raw;
      encodeSegment(segment); // throws on a lone surrogate, which no URL can carry
    } catch {
      return invalidUrl(url, version, 'malformed percent-encoding');
    }
    if (segment.includes('/') || segment.includes('\\')) return invalidUrl(url, version, "an encoded '/' or '\\' is not allowed");
    // RFC 3986 §5.2.4, with the version root as the top: climbing above it leaves the version.
    if (segment === '.') continue;
    if (segment === '..') {
      if (stack.length === 0) return invalidUrl(url, version, 'the path leaves the version');
      stack.pop();
      continue;
    }
    stack.push(segment);
  }
  // Leading and trailing empty segments are ignored, as the router does (route-match.ts pathSegments).
  let start = 0;
  let end = stack.length;
  while (start < end && stack[start] === '') start++;
  while (end > start && stack[end - 1] === '') end--;
  const segments = stack.slice(start, end);
  if (segments[0]?.toLowerCase() === '$batch') return invalidUrl(url, version, 'a batch cannot contain a $batch request');
  const match = matchRoute(routesOf(routes, version), method, segments);
  if (match.kind === 'segment') return segmentNotFound(match.segment || version);
  const path = segments.map(encodeSegment).join('/');
  return {
    segments,
    query,
    url: `/${version}/${path}${query === '' ? '' : `?${query}`}`,
    route: match.kind === 'route' ? { route: match.route, params: match.params } : null,
  };
}

/** Headers an inner request never takes from the batch body (see the module comment). */
const DROPPED = new Set([
  'authorization',
  'host',
  'content-length',
  'forwarded',
  'x-real-ip',
  // RFC 9110 §7.6.1 (and Proxy-Authenticate/-Authorization, hop-by-hop in RFC 2616 §13.5.1).
  'connection',
  'proxy-connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
]);

/**
 * The headers of an inner request as the batch body gives them (names lower-cased), without the
 * ones an inner request may not set.
 */
export function innerHeaders(raw: Readonly<Record<string, string>>): Record<string, string> {
  const named = (raw.connection ?? '')
    .toLowerCase()
    .split(',')
    .map((s) => s.trim());
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (DROPPED.has(name) || name.startsWith('x-forwarded-') || named.includes(name)) continue;
    out[name] = value;
  }
  return out;
}
