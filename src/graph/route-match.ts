import type { GraphRoute } from './http.js';

export type RouteMatch =
  | { kind: 'route'; route: GraphRoute; params: Record<string, string> }
  /** The path names a resource, but no route of it takes this method. */
  | { kind: 'method' }
  /** The first path segment no route knows. */
  | { kind: 'segment'; segment: string };

/** URL path segments below the version prefix, percent-decoded. */
export function pathSegments(url: string, prefix: string): string[] {
  const path = url.split('?', 1)[0] ?? '';
  // A trailing slash is ignored (`/users/` is `/users`); empty inner segments are kept, so
  // `/users//revokeSignInSessions` names an empty (invalid) user id, not another route.
  const rest = path.slice(prefix.length).replace(/^\/+/, '').replace(/\/+$/, '');
  if (rest === '') return [];
  return rest.split('/').map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
}

/**
 * Matches a path against the Graph routes the way Graph does, which fastify's router cannot:
 * static segments case-insensitively (`/Users/{id}/RevokeSignInSessions` works on Graph), and
 * telling "no such segment" (400) from "no such method on this resource" (405).
 */
export function matchRoute(routes: readonly GraphRoute[], method: string, segments: readonly string[]): RouteMatch {
  const wanted = method === 'HEAD' ? 'GET' : method;
  const lower = segments.map((s) => s.toLowerCase());
  let deepest = 0;
  let otherMethod = false;
  for (const route of routes) {
    const pattern = patternOf(route);
    let k = 0;
    for (; k < pattern.length && k < segments.length; k++) {
      const p = pattern[k]!;
      if (p.param === null && p.lower !== lower[k]) break;
      if (p.alternateKey !== null && keyValue(p, segments[k]!) === null) break;
    }
    if (k === pattern.length && k === segments.length) {
      if (route.method === wanted) {
        const params: Record<string, string> = {};
        pattern.forEach((p, i) => {
          if (p.param !== null) params[p.param] = p.alternateKey === null ? segments[i]! : (keyValue(p, segments[i]!) ?? '');
        });
        return { kind: 'route', route, params };
      }
      otherMethod = true;
    }
    deepest = Math.max(deepest, k);
  }
  if (otherMethod) return { kind: 'method' };
  return { kind: 'segment', segment: segments[deepest] ?? segments[segments.length - 1] ?? '' };
}

/**
 * A route's path split once: each segment a parameter name or a lower-cased static name, or an
 * OData alternate key `name(key=':param')` (e.g. `applications(appId=':appId')`), whose quoted
 * value is the parameter.
 */
type Segment = { param: string | null; lower: string; alternateKey: string | null };
type Pattern = readonly Segment[];
const patterns = new WeakMap<GraphRoute, Pattern>();

const ALTERNATE_KEY = /^([^(]+)\((\w+)=':(\w+)'\)$/;

/** Whether a route path has an alternate-key segment (fastify's router cannot take those; see routes.ts). */
export const hasAlternateKey = (path: string): boolean => path.split('/').some((s) => ALTERNATE_KEY.test(s));

/** The key value of a segment like `applications(appId='…')` (names compared case-insensitively), or null. */
function keyValue(p: Segment, segment: string): string | null {
  const open = `${p.lower}(${p.alternateKey}='`;
  if (!segment.toLowerCase().startsWith(open) || !segment.endsWith("')")) return null;
  return segment.slice(open.length, -2);
}

function patternOf(route: GraphRoute): Pattern {
  let pattern = patterns.get(route);
  if (!pattern) {
    pattern = route.path
      .split('/')
      .filter((s) => s.length > 0)
      .map((s): Segment => {
        const alt = ALTERNATE_KEY.exec(s);
        if (alt) return { param: alt[3]!, lower: alt[1]!.toLowerCase(), alternateKey: alt[2]!.toLowerCase() };
        return s.startsWith(':')
          ? { param: s.slice(1), lower: '', alternateKey: null }
          : { param: null, lower: s.toLowerCase(), alternateKey: null };
      });
    patterns.set(route, pattern);
  }
  return pattern;
}
