import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../services.js';
import { sendPage } from './send-page.js';
import { errorPage } from './sign-in-page.js';

/**
 * Refuses a form post that a browser says came from another page than ours: the sign-in form and
 * the device pages post only to themselves. Two signals, either one refuses:
 *
 * - Sec-Fetch-Site (Fetch Metadata, w3.org/TR/fetch-metadata): `cross-site`, and `same-site` too:
 *   another port of localhost or a sibling subdomain of our host is "same-site" but not us.
 *   `same-origin` passes; `none` (a user-initiated request) and an absent header (a non-browser
 *   client, an old browser) pass to the CSRF token check.
 * - Origin (RFC 6454 §7, Fetch §3.1): when sent, it must be our public origin exactly. `null`
 *   (a sandboxed frame, a data: URL, a cross-origin redirect) is refused as well: our pages use
 *   Referrer-Policy same-origin (send-page.ts), so our own same-origin posts carry our origin.
 *
 * Returns why the post is refused, or null when it may proceed.
 */
export function foreignPostReason(req: FastifyRequest, ownOrigin: string): string | null {
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return `sec-fetch-site ${site}`;
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== ownOrigin) return origin === 'null' ? 'origin null' : 'foreign origin';
  return null;
}

/** A route preHandler: 403 with a plain page (no detail beyond the request id) for a foreign post. */
export function sameOriginPostsOnly(services: Pick<Services, 'config'>) {
  const ownOrigin = new URL(services.config.publicUrl).origin;
  // Fastify: an async hook that answers returns the reply, and the handler is not run.
  return async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const reason = foreignPostReason(req, ownOrigin);
    if (!reason) return undefined;
    req.log.warn({ requestId: req.id, reason }, 'form post from another site refused');
    return sendPage(
      reply,
      403,
      errorPage(
        'This request was blocked',
        'The form was sent from another website. Go back to the app or device you were signing in to and start again.',
        `Request Id: ${req.id}`,
      ),
    );
  };
}
