import type { Grant, SsoSession, User } from '../../src/core/model.js';
import { newGuid } from '../../src/crypto/random.js';

/** Builders of the users, SSO sessions and grants the outbox and receipt contract cases store. */
export function contractRecords(tenant: string, now: number) {
  const user = (upn: string, overrides: Partial<User> = {}): User => ({
    id: newGuid(),
    tenantId: tenant,
    userPrincipalName: upn,
    displayName: upn,
    mail: null,
    passwordHash: null,
    accountEnabled: true,
    revocationEpoch: 0,
    signInSessionsValidFrom: null,
    refreshTokensValidFrom: null,
    roleTemplateIds: [],
    createdAt: now,
    ...overrides,
  });
  const session = (u: User, overrides: Partial<SsoSession> = {}): SsoSession => ({
    id: newGuid(),
    tokenHash: newGuid(),
    tenantId: tenant,
    userId: u.id,
    epoch: u.revocationEpoch,
    authTime: now,
    createdAt: now,
    expiresAt: now + 3600_000,
    endedAt: null,
    ...overrides,
  });
  const grant = (u: User, clientId: string, sessionId: string | null, overrides: Partial<Grant> = {}): Grant => ({
    id: newGuid(),
    tenantId: tenant,
    userId: u.id,
    clientId,
    sessionId,
    scopes: ['openid'],
    epoch: u.revocationEpoch,
    authTime: now,
    createdAt: now,
    revokedAt: null,
    ...overrides,
  });
  return { user, session, grant };
}
