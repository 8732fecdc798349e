import type { FastifyRequest } from 'fastify';
import type { ClientContext } from '../core/model.js';

/** A stored User-Agent is cut here: enough for any real client (src/core/user-agent.ts reads no further). */
const MAX_USER_AGENT = 512;

/**
 * Where a request came from, as the session inventory records it (docs/sessions.md): the client
 * address by the one trusted-proxy rule of src/app.ts (`trustProxy`: the hop our proxy appended,
 * never a client-written X-Forwarded-For entry), an IPv4-mapped IPv6 address written as IPv4, and
 * the User-Agent header.
 */
export function clientContextOf(req: FastifyRequest): Required<ClientContext> {
  const ip = req.ip ?? null;
  const v4 = ip ? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip) : null;
  const ua = req.headers['user-agent'];
  return { clientIp: v4 ? (v4[1] ?? ip) : ip, userAgent: typeof ua === 'string' && ua !== '' ? ua.slice(0, MAX_USER_AGENT) : null };
}
