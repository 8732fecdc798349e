import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type PortcullisApp } from '../../src/app.js';
import { ManualClock, systemClock, type Clock } from '../../src/clock.js';
import { makeAppConfig, type AppConfigOverrides } from '../../src/config.js';
import type { Application, User } from '../../src/core/model.js';
import { ROLE } from '../../src/core/roles.js';
import { hashSecret } from '../../src/crypto/passwords.js';
import { newGuid } from '../../src/crypto/random.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import type { Store } from '../../src/store/store.js';

/**
 * A real app on a real SQLite file in a temp dir, with a small directory. Requests go through
 * app.http.inject() (real routing, parsing and serialisation; no socket).
 */
export const TENANT_ID = '7f3e2a1b-0c4d-4e5f-8a9b-1c2d3e4f5a6b';
export const DOMAIN = 'contoso.test';
export const PASSWORD = 'Correct-Horse-9';
export const PUBLIC_URL = 'https://login.portcullis.test';

export const APP = {
  /** Public client (MSAL desktop/mobile): PKCE required, loopback redirect. */
  publicClient: 'a1b2c3d4-0000-4000-8000-000000000001',
  /**
   * Confidential web app with a secret and application permissions User.RevokeSessions.All,
   * User.ReadWrite.All and User-PasswordProfile.ReadWrite.All; no directory role, so it may not
   * change users who hold a role (docs/authorization.md).
   */
  webApp: 'a1b2c3d4-0000-4000-8000-000000000002',
  /** SPA: 24 h refresh tokens. */
  spa: 'a1b2c3d4-0000-4000-8000-000000000003',
  /** Daemon with no application permissions. */
  daemonNoPerms: 'a1b2c3d4-0000-4000-8000-000000000004',
} as const;
export const WEB_SECRET = 'web-app-secret-value-0123456789';
export const DAEMON_SECRET = 'daemon-secret-value-0123456789';
export const REDIRECT = {
  publicClient: 'http://localhost/callback',
  web: 'https://app.contoso.test/auth/callback',
  spa: 'https://spa.contoso.test/',
} as const;

/** Users by role; UPN is `${key}@contoso.test`. */
export const USER_ROLES: Record<string, string[]> = {
  alice: [],
  bob: [],
  globaladmin: [ROLE.globalAdministrator],
  privauthadmin: [ROLE.privilegedAuthenticationAdministrator],
  useradmin: [ROLE.userAdministrator],
  helpdesk: [ROLE.helpdeskAdministrator],
  authadmin: [ROLE.authenticationAdministrator],
  passwordadmin: [ROLE.passwordAdministrator],
  dirwriter: [ROLE.directoryWriters],
  disabled: [],
};

export interface Harness {
  app: PortcullisApp;
  store: Store;
  clock: Clock;
  dir: string;
  dbFile: string;
  users: Record<string, User>;
  close(): Promise<void>;
}

const ALL_DELEGATED = [
  'User.Read',
  'User.ReadWrite',
  'User.Read.All',
  'User.ReadWrite.All',
  'User.RevokeSessions.All',
  'Directory.ReadWrite.All',
  'AuditLog.Read.All',
];

export function application(overrides: Partial<Application> & { appId: string }): Application {
  return {
    tenantId: TENANT_ID,
    displayName: overrides.appId,
    publicClientRedirectUris: [],
    webRedirectUris: [],
    spaRedirectUris: [],
    secrets: [],
    allowPublicClientFlows: false,
    delegatedPermissions: ALL_DELEGATED,
    applicationPermissions: [],
    createdAt: 0,
    ...overrides,
  };
}

/** Seeds the directory straight through the Store (the seed loader is tested on its own). */
export async function seedDirectory(store: Store, now: number): Promise<Record<string, User>> {
  await store.tenants.insert({ id: TENANT_ID, domain: DOMAIN, displayName: 'Contoso', createdAt: now });
  const passwordHash = await hashSecret(PASSWORD);
  const users: Record<string, User> = {};
  for (const [key, roles] of Object.entries(USER_ROLES)) {
    const user: User = {
      id: newGuid(),
      tenantId: TENANT_ID,
      userPrincipalName: `${key}@${DOMAIN}`,
      displayName: key[0]!.toUpperCase() + key.slice(1),
      mail: `${key}@${DOMAIN}`,
      passwordHash,
      accountEnabled: key !== 'disabled',
      revocationEpoch: 0,
      signInSessionsValidFrom: null,
      refreshTokensValidFrom: null,
      roleTemplateIds: roles,
      createdAt: now,
    };
    await store.users.insert(user);
    users[key] = user;
  }
  const secret = async (text: string) => ({
    keyId: newGuid(),
    hash: await hashSecret(text),
    hint: text.slice(0, 3),
    displayName: null,
    endDateTime: null,
  });
  await store.applications.upsert(
    application({
      appId: APP.publicClient,
      displayName: 'Public Client',
      publicClientRedirectUris: [REDIRECT.publicClient, 'http://localhost'],
      allowPublicClientFlows: true,
    }),
  );
  await store.applications.upsert(
    application({
      appId: APP.webApp,
      displayName: 'Web App',
      webRedirectUris: [REDIRECT.web],
      secrets: [await secret(WEB_SECRET)],
      applicationPermissions: ['User.RevokeSessions.All', 'User.ReadWrite.All', 'User-PasswordProfile.ReadWrite.All', 'AuditLog.Read.All'],
    }),
  );
  await store.applications.upsert(application({ appId: APP.spa, displayName: 'SPA', spaRedirectUris: [REDIRECT.spa] }));
  await store.applications.upsert(
    application({ appId: APP.daemonNoPerms, displayName: 'Daemon', secrets: [await secret(DAEMON_SECRET)], delegatedPermissions: [] }),
  );
  return users;
}

export async function makeHarness(options: { clock?: Clock; config?: AppConfigOverrides } = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-test-'));
  const dbFile = join(dir, 'portcullis.db');
  const clock = options.clock ?? systemClock;
  const store = openSqliteStore(dbFile, clock.now());
  const users = await seedDirectory(store, clock.now());
  const config = makeAppConfig({ publicUrl: PUBLIC_URL, logLevel: 'silent', ...options.config });
  const app = await createApp({ config, store, clock });
  await app.http.ready();
  return {
    app,
    store,
    clock,
    dir,
    dbFile,
    users,
    close: async () => {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export { ManualClock };

/** A delegated Graph access token for a user, minted by the app's own issuer (real RS256). */
export function delegatedToken(h: Harness, userKey: string, scopes: string[], appId: string = APP.publicClient): string {
  const user = h.users[userKey];
  if (!user) throw new Error(`no test user ${userKey}`);
  return h.app.services.tokens.issueDelegated({
    user,
    app: application({ appId }),
    graphScopes: scopes,
    oidcScopes: [],
    sessionId: null,
    authTime: h.clock.now(),
    nonce: null,
    clientAuthenticated: false,
  }).accessToken;
}

/** An app-only Graph access token with the given application permissions. */
export function appToken(h: Harness, roles: string[], appId: string = APP.webApp): string {
  return h.app.services.tokens.issueAppOnly(application({ appId, applicationPermissions: roles })).accessToken;
}
