import type { User } from '../../src/core/model.js';
import type { SignIn } from '../../src/core/sign-in.js';
import { newGuid } from '../../src/crypto/random.js';

/** A successful interactive sign-in entry of `user` at `createdAt`, for store-level tests; `overrides` change any field. */
export function makeSignIn(
  tenantId: string,
  user: { id: string; userPrincipalName: string; displayName: string },
  createdAt: number,
  overrides: Partial<SignIn> = {},
): SignIn {
  return {
    id: newGuid(),
    tenantId,
    createdAt,
    userId: user.id,
    userPrincipalName: user.userPrincipalName,
    userDisplayName: user.displayName,
    appId: 'app-a',
    appDisplayName: 'App A',
    ipAddress: '192.0.2.7',
    userAgent: 'curl/8.5.0',
    clientAppUsed: 'Browser',
    correlationId: newGuid(),
    isInteractive: true,
    errorCode: 0,
    failureReason: null,
    authenticationProtocol: 'oAuth2',
    resourceId: null,
    resourceDisplayName: null,
    ...overrides,
  };
}

/** A user who can sign in with no password (store-level tests), enabled, without roles. */
export function makeUser(tenantId: string, userPrincipalName: string, createdAt: number): User {
  return {
    id: newGuid(),
    tenantId,
    userPrincipalName,
    displayName: userPrincipalName.split('@')[0]!,
    mail: null,
    passwordHash: null,
    accountEnabled: true,
    revocationEpoch: 0,
    signInSessionsValidFrom: null,
    refreshTokensValidFrom: null,
    roleTemplateIds: [],
    createdAt,
  };
}
