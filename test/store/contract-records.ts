import type { Application, Grant, RefreshTokenRecord, SigningKey, SsoSession, User } from '../../src/core/model.js';
import { newGuid } from '../../src/crypto/random.js';
import type { Store } from '../../src/store/store.js';

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
  /**
   * Stores a new user (`upn`) with one grant of `client-a` and one live refresh token whose hash is
   * `hash`: a refresh chain for the rotation cases.
   */
  const liveChain = async (store: Store, upn: string, hash: string) => {
    const u = user(upn);
    await store.users.insert(u);
    const g = grant(u, 'client-a', null);
    const token: RefreshTokenRecord = {
      hash,
      grantId: g.id,
      tenantId: tenant,
      userId: u.id,
      clientId: 'client-a',
      scopes: g.scopes,
      epoch: 0,
      issuedAt: now,
      expiresAt: now + 3600_000,
      consumedAt: null,
    };
    if (!(await store.grants.create(g, token))) throw new Error('liveChain: the grant was not stored');
    return { userId: u.id, grantId: g.id, hash };
  };
  /** An application registration with no redirect URIs, secrets or permissions, plus `overrides`. */
  const application = (overrides: Partial<Application> = {}): Application => ({
    appId: newGuid(),
    tenantId: tenant,
    displayName: 'App',
    publicClientRedirectUris: [],
    webRedirectUris: [],
    spaRedirectUris: [],
    secrets: [],
    allowPublicClientFlows: false,
    delegatedPermissions: [],
    applicationPermissions: [],
    createdAt: now,
    ...overrides,
  });
  return { user, session, grant, liveChain, application };
}

/** A stored signing key with a placeholder key pair, for cases about its times (retention, schedule). */
export const storedSigningKey = (kid: string, createdAt: number, activatesAt: number, retiredAt: number | null): SigningKey => ({
  kid,
  alg: 'RS256',
  privateKeyPem: `pem-${kid}`,
  publicJwk: { kty: 'RSA', kid },
  createdAt,
  activatesAt,
  retiredAt,
});
