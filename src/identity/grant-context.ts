import type { FastifyRequest } from 'fastify';
import type { Services } from '../services.js';
import type { ClaimsRequest } from './claims-request.js';
import type { VerifiedSecretCache } from './client-auth.js';
import type { Params } from './params.js';

/** What a grant handler receives from the token endpoint. */
export interface GrantContext {
  req: FastifyRequest;
  params: Params;
  services: Services;
  secretCache: VerifiedSecretCache;
  /** The validated `claims` parameter (OIDC Core §5.5; CAE capabilities and challenges). */
  claims: ClaimsRequest;
}

export type TokenResponseBody = Record<string, string | number>;

/** One file per grant type (src/identity/grants/); the token endpoint looks it up. */
export interface GrantHandler {
  grantType: string;
  handle(ctx: GrantContext): Promise<TokenResponseBody>;
}
