import type { AccessTokenClaims } from './access-token.js';
import { declaresCp1 } from './access-token.js';

/**
 * The 401 answers of a protected resource (RFC 6750 §3) and the Continuous Access Evaluation
 * claims challenge for revoked tokens (https://learn.microsoft.com/entra/identity-platform/claims-challenge): CAE-capable clients
 * (`xms_cc` contains cp1) get `error="insufficient_claims"` with a base64 claims request for a
 * token not before the revocation, which MSAL answers by going back to the token endpoint; other
 * clients get plain `invalid_token`.
 */
export interface Refusal {
  status: 401 | 403;
  wwwAuthenticate: string;
  body: { error: string; error_description: string };
}

const quote = (value: string): string => value.replace(/[\\"]/g, '\\$&');
const bearer = (params: Record<string, string>): string =>
  `Bearer ${Object.entries(params)
    .map(([k, v]) => `${k}="${quote(v)}"`)
    .join(', ')}`;

/** No token at all: RFC 6750 §3.1 says no error code, just where to get one. */
export function missingToken(authorizationUri: string): Refusal {
  return {
    status: 401,
    wwwAuthenticate: bearer({ realm: '', authorization_uri: authorizationUri }),
    body: { error: 'invalid_token', error_description: 'No bearer access token was presented.' },
  };
}

export function invalidToken(description: string): Refusal {
  return {
    status: 401,
    wwwAuthenticate: bearer({ error: 'invalid_token', error_description: description }),
    body: { error: 'invalid_token', error_description: description },
  };
}

/** A token issued before its user's or session's revocation; `notBefore` in seconds. */
export function revokedToken(claims: AccessTokenClaims, notBefore: number, authorizationUri: string): Refusal {
  const description = 'The access token was issued before its session was revoked.';
  if (!declaresCp1(claims)) return invalidToken(description);
  // Minified JSON, as the CAE samples decode (https://learn.microsoft.com/entra/identity-platform/claims-challenge).
  const claimsRequest = JSON.stringify({ access_token: { nbf: { essential: true, value: String(notBefore) } } });
  return {
    status: 401,
    wwwAuthenticate: bearer({
      realm: '',
      authorization_uri: authorizationUri,
      error: 'insufficient_claims',
      claims: Buffer.from(claimsRequest).toString('base64'),
    }),
    body: { error: 'insufficient_claims', error_description: description },
  };
}

/** RFC 6750 §3.1: a valid token without the scope (or app role) the route needs: 403. */
export function insufficientScope(required: { scopes?: readonly string[]; roles?: readonly string[] }): Refusal {
  const needed = [...(required.scopes ?? []), ...(required.roles ?? [])].join(' ');
  const description = 'The access token does not carry a scope or role this resource requires.';
  return {
    status: 403,
    wwwAuthenticate: bearer({ error: 'insufficient_scope', error_description: description, scope: needed }),
    body: { error: 'insufficient_scope', error_description: description },
  };
}
