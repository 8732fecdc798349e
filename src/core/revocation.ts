import type { Clock } from '../clock.js';
import type { RevokeOptions, Store } from '../store/store.js';
import { ACTIVITY, isoOrNull, userManagementRecord, userTarget } from './audit.js';
import type { Application, AuditIdentity, User } from './model.js';

/**
 * The ways a user's or a grant's credentials are revoked (docs/revocation-model.md), as operators
 * count them (src/ops/metrics.ts): the two Graph actions, the two user changes that revoke, and
 * RFC 7009 token revocation.
 */
export type RevocationKind =
  | 'revokeSignInSessions'
  | 'invalidateAllRefreshTokens'
  | 'passwordReset'
  | 'accountDisabled'
  | 'tokenRevocation'
  /** Targeted revocations (core/targeted-revocation.ts). */
  | 'sessionRevocation'
  | 'appRevocation'
  | 'otherSessionsRevocation';

/** Told of each revocation after it committed; counting must never fail the revocation. */
export interface RevocationObserver {
  revoked(kind: RevocationKind): void;
}

/** One user-wide revoke: whom, by whom, under which correlation id (the request's), and which Graph action. */
export interface UserRevokeArgs {
  target: User;
  actor: AuditIdentity;
  correlationId: string;
  kind?: 'revokeSignInSessions' | 'invalidateAllRefreshTokens';
}

/** What a user-wide revoke at `now` records in its transaction: audit record, security event, receipt. */
function userRevokeOptions(args: UserRevokeArgs, now: number): RevokeOptions {
  const { target } = args;
  const record = userManagementRecord({
    tenantId: target.tenantId,
    at: now,
    activity: ACTIVITY.revokeSessions,
    operationType: 'Update',
    actor: args.actor,
    correlationId: args.correlationId,
    target: userTarget(target, [
      {
        displayName: 'StsRefreshTokensValidFrom',
        oldValue: isoOrNull(target.refreshTokensValidFrom),
        newValue: isoOrNull(now),
      },
    ]),
  });
  return {
    audit: [record],
    // Pushed to relying parties by the outbox (docs/push-revocation.md); a user revoking their own sessions via
    // /me is CAEP initiating_entity 'user', anyone else 'admin'.
    securityEvent: {
      type: 'sessions-revoked',
      occurredAt: now,
      initiatingEntity: args.actor.user?.id === target.id ? 'user' : 'admin',
      initiatedBy: args.actor,
      correlationId: args.correlationId,
    },
    receipt: { kind: args.kind ?? 'revokeSignInSessions', correlationId: args.correlationId, initiatedBy: args.actor },
  };
}

/**
 * revokeSignInSessions / invalidateAllRefreshTokens (docs/revocation-model.md):
 * one transaction bumps the user's epoch, sets both valid-from timestamps to the same instant
 * and writes the audit record; it has committed durably when the promise resolves, so the
 * caller may answer. Every credential carrying the old epoch is dead from then on (I1).
 * The same transaction writes the 'sessions-revoked' security event (the outbox) and the
 * revocation receipt of what it cut (docs/receipts.md), keyed by `correlationId`.
 * Returns the updated user, or null if it no longer exists.
 */
export async function revokeUserSessions(store: Store, clock: Clock, args: UserRevokeArgs): Promise<User | null> {
  const now = clock.now();
  return store.users.revoke(args.target.tenantId, args.target.id, now, userRevokeOptions(args, now));
}

/**
 * Many revokes, each recorded exactly as revokeUserSessions records it, in one durable
 * transaction per tenant (UserStore.revokeMany): bulk revocation through $batch
 * (src/graph/batch-revoke.ts). Resolves after the commit; per revoke, the updated user or null.
 */
export async function revokeManyUsersSessions(store: Store, clock: Clock, revokes: readonly UserRevokeArgs[]): Promise<(User | null)[]> {
  const now = clock.now();
  const results: (User | null)[] = new Array(revokes.length).fill(null);
  const byTenant = new Map<string, number[]>();
  revokes.forEach((r, i) => byTenant.set(r.target.tenantId, [...(byTenant.get(r.target.tenantId) ?? []), i]));
  await Promise.all(
    [...byTenant].map(async ([tenantId, indexes]) => {
      const items = indexes.map((i) => {
        const args = revokes[i] as UserRevokeArgs;
        return { id: args.target.id, options: userRevokeOptions(args, now) };
      });
      const revoked = await store.users.revokeMany(tenantId, now, items);
      indexes.forEach((i, k) => {
        results[i] = revoked[k] ?? null;
      });
    }),
  );
  return results;
}

/**
 * RFC 7009 token revocation of one grant (a refresh-token family) by the application it was issued
 * to. One transaction revokes the grant and, if it was live, writes the audit record
 * ('Revoke token'), the 'token-revoked' security event (back-channel logout to the application for
 * that session, SSF session-revoked naming it: docs/push-revocation.md) and the revocation receipt
 * (docs/receipts.md). Returns whether the grant was live; a dead one is only marked revoked.
 */
export async function revokeGrantOfApp(
  store: Store,
  clock: Clock,
  args: { grantId: string; user: User; app: Pick<Application, 'appId' | 'displayName'>; correlationId: string },
): Promise<boolean> {
  const now = clock.now();
  const actor: AuditIdentity = { app: { appId: args.app.appId, displayName: args.app.displayName } };
  const record = userManagementRecord({
    tenantId: args.user.tenantId,
    at: now,
    activity: ACTIVITY.revokeToken,
    operationType: 'Update',
    actor,
    correlationId: args.correlationId,
    target: userTarget(args.user, [{ displayName: 'RevokedGrant', oldValue: null, newValue: args.grantId }]),
  });
  return store.grants.revoke(args.grantId, now, {
    audit: [record],
    // The application ends its own session with the user (a sign-out in the app, RFC 7009 §1).
    securityEvent: {
      type: 'token-revoked',
      occurredAt: now,
      initiatingEntity: 'user',
      initiatedBy: actor,
      correlationId: args.correlationId,
    },
    receipt: { kind: 'tokenRevocation', correlationId: args.correlationId, initiatedBy: actor },
  });
}
