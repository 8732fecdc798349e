import type { FastifyRequest } from 'fastify';
import { AADSTS } from './oauth-errors.js';

/**
 * Who may redeem a code or refresh token, by the Origin header (Fetch §3.1: browsers send it on
 * every cross-origin fetch; server-side clients do not). Entra binds a code sent to a `spa`
 * redirect URI, and every refresh token of its grant, to cross-origin redemption, and refuses an
 * Origin on anything else, so a secret or a server's token never meets a browser page
 * (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#redirect-uris-for-single-page-apps-spas).
 * Presence is what counts, not the value (`null` included): which origins may read the answer is
 * CORS's business (src/identity/token-cors.ts).
 */
export function requestOrigin(req: FastifyRequest): string | undefined {
  const origin = req.headers.origin;
  return typeof origin === 'string' ? origin : undefined;
}

/** AADSTS9002327 / 9002326 for a redemption whose binding (`spa` or not) the caller knows. */
export function checkRedemptionOrigin(spa: boolean, origin: string | undefined): void {
  if (spa && origin === undefined) throw AADSTS.spaNotCrossOrigin();
  if (!spa && origin !== undefined) throw AADSTS.crossOriginNotSpa(origin.slice(0, 200));
}
