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
  return rest
    .split('/')
    .map((s) => {
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
  let deepest = 0;
  let otherMethod = false;
  for (const route of routes) {
    const pattern = route.path.split('/').filter((s) => s.length > 0);
    const params: Record<string, string> = {};
    let k = 0;
    for (; k < pattern.length && k < segments.length; k++) {
      const p = pattern[k]!;
      const s = segments[k]!;
      if (p.startsWith(':')) params[p.slice(1)] = s;
      else if (p.toLowerCase() !== s.toLowerCase()) break;
    }
    if (k === pattern.length && k === segments.length) {
      if (route.method === wanted) return { kind: 'route', route, params };
      otherMethod = true;
    }
    deepest = Math.max(deepest, k);
  }
  if (otherMethod) return { kind: 'method' };
  return { kind: 'segment', segment: segments[deepest] ?? segments[segments.length - 1] ?? '' };
}
