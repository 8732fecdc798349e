import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Minimal RFC 6265 cookie handling: the server only reads and writes its own opaque values.
 * `name` is the bare name; under TLS the `__Host-` name is read (cookieName) and the bare one,
 * which any host of the site could have set, is ignored.
 */
export function readCookie(req: FastifyRequest, name: string, secure: boolean): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  const wanted = cookieName(name, secure);
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === wanted) {
      const value = part.slice(eq + 1).trim();
      return /^[A-Za-z0-9_-]{1,200}$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}

export interface CookieOptions {
  secure: boolean;
  sameSite: 'Lax' | 'Strict';
  /** Seconds; 0 deletes the cookie; undefined makes a browser-session cookie. */
  maxAge?: number;
}

/**
 * The name a cookie goes by: `__Host-` + name when served over TLS. A browser accepts a
 * `__Host-` cookie only with Secure, Path=/ and no Domain, from a secure origin of this very host
 * (RFC 6265bis §4.1.3.2), so a sibling subdomain, another port or a plain-HTTP page cannot plant
 * or overwrite one (cookie tossing). Over plain http://localhost the bare name is kept: browsers
 * refuse `__Host-` without Secure.
 */
export function cookieName(name: string, secure: boolean): string {
  return secure ? `__Host-${name}` : name;
}

/** Always HttpOnly and Path=/, never Domain; Secure whenever the server is reached over TLS. */
export function setCookie(reply: FastifyReply, name: string, value: string, o: CookieOptions): void {
  const parts = [`${cookieName(name, o.secure)}=${value}`, 'Path=/', 'HttpOnly', `SameSite=${o.sameSite}`];
  if (o.secure) parts.push('Secure');
  if (o.maxAge !== undefined) parts.push(`Max-Age=${o.maxAge}`);
  const prev = reply.getHeader('set-cookie');
  const list = prev === undefined ? [] : Array.isArray(prev) ? prev.map(String) : [String(prev)];
  reply.header('set-cookie', [...list, parts.join('; ')]);
}
