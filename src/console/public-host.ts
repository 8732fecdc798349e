import type { FastifyRequest } from 'fastify';
import type { AppConfig } from '../config.js';

/**
 * The console lives on the public URL's host only. Its sign-in returns to
 * `{publicUrl}/console/callback` and checks a state cookie there (sign-in.ts); a browser that
 * opened a page on another name of the same server (http://127.0.0.1:5050 when the public URL is
 * http://localhost:5050) would get that cookie on the other host, where the callback never sees
 * it (cookies are per host, RFC 6265 §5.4). So a page asked for on another host is first sent to
 * the same path on the public URL, before any cookie is set: the answer is this redirect's target,
 * or null when the request is already there or its host cannot be known.
 *
 * The host the browser used: the Host header of a direct request; behind a trusted proxy
 * (`trustProxy`, docs/deployment.md) the X-Forwarded-Host it set. A proxied request without
 * X-Forwarded-Host (its Host may be the proxy's upstream address) is left alone rather than sent
 * round in a loop.
 */
export function publicHostRedirect(req: FastifyRequest, config: Pick<AppConfig, 'publicUrl' | 'trustProxy'>): string | null {
  const forwarded = config.trustProxy && req.headers['x-forwarded-for'] !== undefined;
  if (forwarded && req.headers['x-forwarded-host'] === undefined) return null;
  // Fastify's req.host: X-Forwarded-Host (last entry) from a trusted proxy, else the Host header.
  const asked = req.host;
  if (asked === '') return null;
  const target = new URL(config.publicUrl);
  let host: string;
  try {
    host = new URL(`${target.protocol}//${asked}`).host;
  } catch {
    return null;
  }
  if (host === target.host) return null;
  return `${config.publicUrl}${req.url}`;
}
