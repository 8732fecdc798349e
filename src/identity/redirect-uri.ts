import type { Application } from '../core/model.js';

export type RedirectKind = 'public' | 'web' | 'spa';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Exact redirect-URI matching (RFC 9700 §4.1.3: simple string comparison). The one exception is
 * RFC 8252 §7.3: for native (public client) loopback URIs registered without a port, any port is
 * allowed, as Entra allows for http://localhost.
 */
function matchesRegistered(requested: string, registered: string, allowLoopbackPort: boolean): boolean {
  if (requested === registered) return true;
  if (!allowLoopbackPort) return false;
  let req: URL;
  let reg: URL;
  try {
    req = new URL(requested);
    reg = new URL(registered);
  } catch {
    return false;
  }
  if (reg.protocol !== 'http:' || !LOOPBACK_HOSTS.has(reg.hostname) || reg.port !== '') return false;
  if (req.protocol !== 'http:' || req.hostname !== reg.hostname) return false;
  // Compare everything but the port, textually, so no normalisation can widen the match.
  const strip = (u: URL) => `${u.protocol}//${u.hostname}${u.pathname}${u.search}`;
  return strip(req) === strip(reg) && requested.startsWith(`http://${req.host}`);
}

/**
 * RFC 6749 §3.1.2: "The endpoint URI MUST NOT include a fragment component." Refused before any
 * matching, so neither an exact match nor the loopback port rule (which compares URIs without
 * their fragment) can let one through; registration refuses them too (core/seed.ts).
 */
const hasFragment = (uri: string): boolean => uri.includes('#');

/** Which registration the URI belongs to, or null when it is not registered (or not allowed). */
export function redirectKind(app: Application, uri: string): RedirectKind | null {
  if (hasFragment(uri)) return null;
  if (app.webRedirectUris.some((r) => matchesRegistered(uri, r, false))) return 'web';
  if (app.spaRedirectUris.some((r) => matchesRegistered(uri, r, false))) return 'spa';
  if (app.publicClientRedirectUris.some((r) => matchesRegistered(uri, r, true))) return 'public';
  return null;
}

/** Any registered URI (exact only), for post_logout_redirect_uri. */
export function isRegisteredExactly(app: Application, uri: string): boolean {
  return !hasFragment(uri) && [...app.webRedirectUris, ...app.spaRedirectUris, ...app.publicClientRedirectUris].includes(uri);
}
