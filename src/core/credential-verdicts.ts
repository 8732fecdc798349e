/**
 * The decisions every store makes when a credential is presented, written once. Pure functions:
 * the adapters (store/sqlite, store/postgres) keep their locking reads and their writes, and call
 * these inside the transaction that reads the rows, so the check and the write it guards stay
 * atomic (docs/revocation-model.md). A rule changed here changes for both databases at once; the store
 * contract suite (test/store/contract.ts) and test/core/credential-verdicts.test.ts pin it.
 */
import type { AuthorizationCode, DeviceCode, Grant, RefreshTokenRecord, SsoSession, User } from './model.js';

/** Why a credential could not be redeemed; maps to the AADSTS code at the surface. */
export type RedeemFailure =
  | 'not_found'
  | 'expired'
  /** Presented again after it was consumed (replay / reuse). */
  | 'consumed'
  /** The user's epoch moved on (revoke, password reset) or the grant was revoked. */
  | 'revoked'
  /** The user account is disabled. */
  | 'disabled'
  /** The user no longer exists. */
  | 'user_gone'
  /** A SPA grant's fixed lifetime is over (Grant.spaExpiresAt); rotation never extends it. */
  | 'spa_expired'
  /** A SPA grant's token presented without an Origin header (not by a browser page). */
  | 'spa_not_cross_origin'
  /** A token of a grant that is not a SPA's presented with an Origin header (by a browser page). */
  | 'cross_origin_not_spa';

export type Redeemed<T> = { ok: true; record: T; user: User } | { ok: false; reason: RedeemFailure; record: T | null };

/**
 * A successful rotation also returns the grant (session id, auth time) and the next token. A
 * failed one returns what the transaction read: the token, and the user when it got that far
 * (undefined = not read), so the caller builds its error from the same state the verdict saw.
 */
export type Rotated =
  | { ok: true; record: RefreshTokenRecord; user: User; grant: Grant; next: RefreshTokenRecord }
  | { ok: false; reason: RedeemFailure; record: RefreshTokenRecord | null; user?: User | null; grant?: Grant | null };

/** What a device's poll can answer besides a redemption (RFC 8628 §3.5). */
export type Polled = Redeemed<DeviceCode> | { ok: false; reason: 'pending' | 'declined' | 'slow_down'; record: DeviceCode };

/** The user's answer on a device code's verification page (RFC 8628 §3.3). */
export type DeviceDecision =
  | { status: 'approved'; userId: string; sessionId: string; epoch: number; authTime: number }
  | { status: 'declined' };

/**
 * The one check every redemption makes: the account is enabled and the credential's epoch is the
 * user's current one (docs/revocation-model.md). Disabled is reported before revoked because disabling also
 * bumps the epoch (AADSTS50057 vs 50173).
 */
export function userVerdict(user: User | null, epoch: number): RedeemFailure | null {
  if (!user) return 'user_gone';
  if (!user.accountEnabled) return 'disabled';
  if (user.revocationEpoch !== epoch) return 'revoked';
  return null;
}

/** The answer once the user was read: redeemed as of `now`, or the user's verdict. */
function redeemedAs<T extends { consumedAt: number | null }>(record: T, user: User | null, epoch: number, now: number): Redeemed<T> {
  const verdict = userVerdict(user, epoch);
  if (verdict !== null || !user) return { ok: false, reason: verdict ?? 'user_gone', record };
  return { ok: true, record: { ...record, consumedAt: now }, user };
}

/**
 * Refresh-token rotation, first look (only the token row read, locked): refused here, the
 * transaction reads nothing else. `revokeGrant`: a rotated token presented again after the grace
 * period means it leaked, so its whole family dies (RFC 9700 §4.14.2). Another client's token is
 * 'not_found' and untouched, so one client cannot burn another's.
 */
export function rotationFirstLook(
  token: RefreshTokenRecord | null,
  clientId: string,
  now: number,
  graceMs: number,
): { refuse: (Rotated & { ok: false }) | null; revokeGrant: boolean } {
  if (!token || token.clientId !== clientId) return { refuse: { ok: false, reason: 'not_found', record: null }, revokeGrant: false };
  if (token.consumedAt !== null)
    return { refuse: { ok: false, reason: 'consumed', record: token }, revokeGrant: now - token.consumedAt >= graceMs };
  return { refuse: null, revokeGrant: false };
}

/** Whether the grant began with a code sent to a `spa` redirect URI (model.ts, Grant.spaExpiresAt). */
export const isSpaGrant = (grant: Pick<Grant, 'spaExpiresAt'>): boolean => grant.spaExpiresAt !== undefined && grant.spaExpiresAt !== null;

/**
 * Rotation, second look (grant and user read under their locks): null = consume the token and
 * insert its successor. First how it was presented: a SPA grant's token only cross-origin, any
 * other only without an Origin (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#redirect-uris-for-single-page-apps-spas);
 * then a gone or disabled user is named as such; a revoked grant and a moved epoch are both
 * 'revoked'; expiry comes last, so a revoked token says revoked (AADSTS50173), and a SPA grant's
 * end is named as such (AADSTS700084).
 */
export function rotationVerdict(
  token: RefreshTokenRecord,
  grant: Grant | null,
  user: User | null,
  now: number,
  crossOrigin = false,
): RedeemFailure | null {
  if (grant && crossOrigin !== isSpaGrant(grant)) return crossOrigin ? 'cross_origin_not_spa' : 'spa_not_cross_origin';
  const verdict = userVerdict(user, token.epoch);
  if (verdict === 'user_gone' || verdict === 'disabled') return verdict;
  if (!grant || grant.revokedAt !== null || verdict === 'revoked') return 'revoked';
  if (isSpaGrant(grant) && (grant.spaExpiresAt as number) <= now) return 'spa_expired';
  if (token.expiresAt <= now) return 'expired';
  return null;
}

/**
 * Authorization-code redemption, first look (the code row read, locked). 'replayed': a code
 * presented again revokes what it issued (RFC 6749 §4.1.2, RFC 9700 §4.2.4). 'consume': mark it
 * consumed whatever follows, so an expired or refused code is spent too.
 */
export function codeFirstLook(code: AuthorizationCode | null): 'not_found' | 'replayed' | 'consume' {
  if (!code) return 'not_found';
  if (code.consumedAt !== null) return 'replayed';
  return 'consume';
}

/** Authorization-code redemption, after consuming: expiry, then the user's verdict. */
export function codeRedeemed(code: AuthorizationCode, user: User | null, now: number): Redeemed<AuthorizationCode> {
  if (code.expiresAt <= now) return { ok: false, reason: 'expired', record: code };
  return redeemedAs(code, user, code.epoch, now);
}

/**
 * Device-code poll, first look (the code row read, locked). `recordPoll`: the poll is stamped
 * (last_polled_at) before answering, so the next one is measured from it. A device polling once
 * more after its answer was lost is ordinary (RFC 8628 §3.5), so 'consumed' revokes nothing,
 * unlike a replayed authorization code. Polling faster than the interval (one second of slack)
 * gets slow_down. `refuse: null` = approved: read the user, consume, then `deviceCodeRedeemed`.
 */
export function devicePollFirstLook(
  d: DeviceCode | null,
  now: number,
): { refuse: Extract<Polled, { ok: false }> | null; recordPoll: boolean } {
  if (!d) return { refuse: { ok: false, reason: 'not_found', record: null }, recordPoll: false };
  if (d.consumedAt !== null) return { refuse: { ok: false, reason: 'consumed', record: d }, recordPoll: false };
  if (d.expiresAt <= now) return { refuse: { ok: false, reason: 'expired', record: d }, recordPoll: false };
  if (d.status === 'declined') return { refuse: { ok: false, reason: 'declined', record: d }, recordPoll: false };
  const tooFast = d.lastPolledAt !== null && now - d.lastPolledAt < d.interval * 1000 - 1000;
  if (tooFast) return { refuse: { ok: false, reason: 'slow_down', record: d }, recordPoll: true };
  if (d.status === 'pending') return { refuse: { ok: false, reason: 'pending', record: d }, recordPoll: true };
  return { refuse: null, recordPoll: true };
}

/** An approved device code, consumed: the user's verdict at the epoch the approval carried. */
export function deviceCodeRedeemed(d: DeviceCode, user: User | null, now: number): Redeemed<DeviceCode> {
  return redeemedAs(d, user, d.epoch ?? -1, now);
}

/** A browser session is live while not ended, not expired, and its user passes the verdict. */
export function sessionIsLive(session: SsoSession, user: User | null, now: number): user is User {
  return session.endedAt === null && session.expiresAt > now && userVerdict(user, session.epoch) === null;
}

/** A grant still yields tokens while not revoked and its user passes the verdict at the grant's epoch. */
export function grantIsLive(grant: Grant, user: User | null): user is User {
  return grant.revokedAt === null && userVerdict(user, grant.epoch) === null;
}

/**
 * The user as a revoke leaves it (revokeSignInSessions; docs/revocation-model.md): the
 * epoch moves on, so every credential carrying the old one is dead, and both valid-from stamps
 * name the same instant.
 */
export function revokedUser(user: User, at: number): User {
  return { ...user, revocationEpoch: user.revocationEpoch + 1, signInSessionsValidFrom: at, refreshTokensValidFrom: at };
}
