import type { Grant, User } from '../../core/model.js';
import type { RedeemFailure } from '../../store/store.js';
import { AADSTS, type OAuthError } from '../oauth-errors.js';

/** What a refresh-token refusal names besides the reason: the request's Origin, the SPA grant's lifetime. */
export interface RedemptionContext {
  origin?: string | undefined;
  grant?: Grant | null | undefined;
  spaLifetimeSeconds?: number;
}

/**
 * The account-state failures shared by every grant: revoked → AADSTS50173 with suberror
 * bad_token (so MSAL raises InteractionRequiredAuthError and drops the token; docs/revocation-model.md, "What a client sees"),
 * disabled → 50057, deleted → 50034; and the SPA rules of refresh tokens (9002326, 9002327, 700084).
 */
export function redeemFailure(reason: RedeemFailure, issuedAt: number, user: User | null, ctx: RedemptionContext = {}): OAuthError {
  switch (reason) {
    case 'spa_expired':
      return AADSTS.spaRefreshTokenExpired(ctx.spaLifetimeSeconds ?? 86400, ctx.grant?.createdAt ?? issuedAt);
    case 'spa_not_cross_origin':
      return AADSTS.spaNotCrossOrigin();
    case 'cross_origin_not_spa':
      return AADSTS.crossOriginNotSpa(ctx.origin ?? '');
    case 'disabled':
      return AADSTS.userDisabled();
    case 'user_gone':
      return AADSTS.userGone();
    case 'revoked':
      return AADSTS.revoked(issuedAt, user?.refreshTokensValidFrom ?? null);
    case 'expired':
      return AADSTS.refreshTokenExpired();
    case 'consumed':
      return AADSTS.refreshTokenReused();
    case 'not_found':
      return AADSTS.invalidRefreshToken();
  }
}
