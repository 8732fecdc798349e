import type { FastifyReply } from 'fastify';

/**
 * Sends a server-rendered page with headers that keep it from being framed, sniffed or made to
 * post anywhere but here (and, for form_post, the client's registered redirect URI).
 * Referrer-Policy same-origin: no other site gets a Referer (authorize URLs carry state and
 * hints), while our own form posts carry our Origin instead of `null`, which
 * same-origin-posts.ts refuses (Fetch §3.1 serialises the Origin of a no-referrer post as null).
 */
export function sendPage(
  reply: FastifyReply,
  status: number,
  html: string,
  options: { formActions?: string[]; scriptNonce?: string } = {},
): FastifyReply {
  const formAction = ["'self'", ...(options.formActions ?? [])].join(' ');
  const script = options.scriptNonce ? `; script-src 'nonce-${options.scriptNonce}'` : '';
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .header(
      'content-security-policy',
      `default-src 'none'; style-src 'unsafe-inline'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'${script}`,
    )
    .header('x-frame-options', 'DENY')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .send(html);
}
