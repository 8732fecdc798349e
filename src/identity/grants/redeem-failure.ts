import type { User } from '../../core/model.js';
import type { RedeemFailure } from '../../store/store.js';
import { AADSTS, type OAuthError } from '../oauth-errors.js';

/**
 * The account-state failures shared by every grant: revoked → AADSTS50173 with suberror
 * bad_token (so MSAL raises InteractionRequiredAuthError and drops the token; docs/revocation-model.md, "What a client sees"),
 * disabled → 50057, deleted → 50034.
 */
export function redeemFailure(reason: RedeemFailure, issuedAt: number, user: User | null): OAuthError {
  switch (reason) {
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
