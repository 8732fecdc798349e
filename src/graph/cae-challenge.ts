import type { JwtPayload } from '../crypto/jwt.js';
import type { Services } from '../services.js';

/**
 * Continuous Access Evaluation on the Graph surface (https://learn.microsoft.com/entra/identity-platform/claims-challenge): a client
 * that declared the `cp1` capability gets, for a token refused after a revoke, a claims challenge
 * instead of a bare 401, so MSAL knows to skip its cache and go back to the token endpoint with
 * the challenge's claims.
 */

/** True if the token declares cp1 in `xms_cc` (a JSON array; values case-insensitive, https://learn.microsoft.com/entra/identity-platform/claims-challenge). */
export function declaresCp1(claims: JwtPayload): boolean {
  const cc = claims.xms_cc;
  const values = Array.isArray(cc) ? cc : typeof cc === 'string' ? [cc] : [];
  return values.some((v) => typeof v === 'string' && v.toLowerCase() === 'cp1');
}

/** The claims request of the challenge: a token not before the revocation (the revocation sample of https://learn.microsoft.com/entra/identity-platform/claims-challenge). */
export function challengeClaims(revokedAtSeconds: number): string {
  return JSON.stringify({ access_token: { nbf: { essential: true, value: String(revokedAtSeconds) } } });
}

/**
 * `WWW-Authenticate: Bearer realm="", authorization_uri="…", error="insufficient_claims",
 * claims="<base64>"` exactly as https://learn.microsoft.com/entra/identity-platform/claims-challenge specifies it: authorization_uri is this tenant's authorize
 * endpoint (where the client must end up if the refresh fails), claims is standard base64 of the
 * minified claims request, all parameters in one challenge.
 */
export function caeChallengeHeader(services: Services, revokedAtSeconds: number): string {
  const authorizationUri = `${services.config.publicUrl}/${services.tenant.id}/oauth2/v2.0/authorize`;
  const claims = Buffer.from(challengeClaims(revokedAtSeconds)).toString('base64');
  return `Bearer realm="", authorization_uri="${authorizationUri}", error="insufficient_claims", claims="${claims}"`;
}
