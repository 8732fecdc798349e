import type { Grant, User } from './model.js';
import type { JwtPayload } from '../crypto/jwt.js';

/**
 * Invariant I6 (docs/revocation-model.md): is a validly signed, unexpired delegated access token dead because of something
 * that happened after it was issued? Decided from the store as it is now (read per request, on
 * the shared database, so it holds on every instance): the user was deleted or disabled, the
 * user's sessions were revoked or the password reset (the epoch moved on), or the token's grant
 * was revoked (RFC 7009 revocation of its refresh token, or refresh-token replay).
 */
export interface Revocation {
  /** The Graph error message (InvalidAuthenticationToken). */
  message: string;
  /** When it happened (ms): the CAE challenge asks for tokens not before this second. */
  at: number;
}

const TOKEN_BEFORE_REVOCATION =
  'Continuous access evaluation resulted in claims challenge with result: InteractionRequired and code: TokenIssuedBeforeRevocationTimestamp';

/** The verdict: the live user the token acts for, or why the token is dead. */
export type TokenHolderVerdict = { ok: true; user: User } | { ok: false; revocation: Revocation };

export function checkTokenHolder(claims: JwtPayload, user: User | null, grant: Grant | null | undefined, now: number): TokenHolderVerdict {
  const revocation = findRevocation(claims, user, grant, now);
  if (revocation !== null || user === null) {
    return {
      ok: false,
      revocation: revocation ?? { message: 'Access token validation failure. The signed-in user no longer exists.', at: now },
    };
  }
  return { ok: true, user };
}

function findRevocation(claims: JwtPayload, user: User | null, grant: Grant | null | undefined, now: number): Revocation | null {
  if (!user) return { message: 'Access token validation failure. The signed-in user no longer exists.', at: now };
  const revokedAt = user.signInSessionsValidFrom ?? now;
  if (!user.accountEnabled) return { message: 'Access token validation failure. The signed-in user account is disabled.', at: revokedAt };
  if (issuedBeforeRevocation(claims, user)) return { message: TOKEN_BEFORE_REVOCATION, at: revokedAt };
  // undefined: the token names no grant (minted outside the token endpoint); null: it is gone.
  if (grant !== undefined && (grant === null || grant.revokedAt !== null || grant.userId !== user.id)) {
    return {
      message: 'Access token validation failure. The grant the token was issued from has been revoked.',
      at: grant?.revokedAt ?? now,
    };
  }
  return null;
}

/**
 * Tokens from the token endpoint carry their grant's epoch (`pc_epoch`), compared exactly. For a
 * token without it only an earlier second than the revocation is provably older, so one minted
 * in the same second is let through (never the reverse: a fresh sign-in right after a revoke
 * must work, I2).
 */
function issuedBeforeRevocation(claims: JwtPayload, user: User): boolean {
  const epoch = claims.pc_epoch;
  if (typeof epoch === 'number') return epoch !== user.revocationEpoch;
  const validFrom = user.signInSessionsValidFrom;
  const iat = claims.iat;
  if (validFrom === null || typeof iat !== 'number') return false;
  return iat < Math.floor(validFrom / 1000);
}
