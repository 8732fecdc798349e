/**
 * The directory startPortcullis() serves when given no seed: the seed-file format
 * (docs/seed-file.md), so a test can copy it and change what it needs.
 */
export const TEST_TENANT_ID = '5d1f0c2a-7b3e-4c6d-9e8f-0a1b2c3d4e5f';
export const TEST_DOMAIN = 'contoso.test';

export const TEST_APPS = {
  /** Public client (MSAL Node, desktop, CLI): loopback redirect, ROPC and device code allowed. */
  publicClient: { appId: '0e1d2c3b-4a59-4687-9a0b-1c2d3e4f5061', redirectUri: 'http://localhost' },
  /** Confidential web app with a client secret; app-only permission to revoke sessions and manage users. */
  webApp: {
    appId: '0e1d2c3b-4a59-4687-9a0b-1c2d3e4f5062',
    redirectUri: 'http://localhost:3000/auth/callback',
    secret: 'test-web-app-secret-0123456789',
  },
  /** Single-page app: 24 h refresh tokens (Entra's SPA rule). */
  spa: { appId: '0e1d2c3b-4a59-4687-9a0b-1c2d3e4f5063', redirectUri: 'http://localhost:5173/' },
} as const;

export const TEST_USERS = {
  alice: { userPrincipalName: `alice@${TEST_DOMAIN}`, password: 'Alice-Test-Pass-1' },
  bob: { userPrincipalName: `bob@${TEST_DOMAIN}`, password: 'Bob-Test-Pass-1' },
  admin: { userPrincipalName: `admin@${TEST_DOMAIN}`, password: 'Admin-Test-Pass-1' },
} as const;

const DELEGATED = [
  'User.Read',
  'User.ReadWrite',
  'User.Read.All',
  'User.ReadWrite.All',
  'User.RevokeSessions.All',
  'Directory.ReadWrite.All',
  'AuditLog.Read.All',
];

export function defaultSeed(): Record<string, unknown> {
  return {
    tenant: { id: TEST_TENANT_ID, domain: TEST_DOMAIN, displayName: 'Contoso (tests)' },
    users: [
      { ...TEST_USERS.alice, displayName: 'Alice Test', mail: TEST_USERS.alice.userPrincipalName },
      { ...TEST_USERS.bob, displayName: 'Bob Test' },
      { ...TEST_USERS.admin, displayName: 'Ada Admin', roles: ['Global Administrator'] },
    ],
    applications: [
      {
        appId: TEST_APPS.publicClient.appId,
        displayName: 'Test Public Client',
        publicClient: { redirectUris: [TEST_APPS.publicClient.redirectUri] },
        allowPublicClientFlows: true,
        delegatedPermissions: DELEGATED,
      },
      {
        appId: TEST_APPS.webApp.appId,
        displayName: 'Test Web App',
        web: { redirectUris: [TEST_APPS.webApp.redirectUri] },
        passwordCredentials: [{ secretText: TEST_APPS.webApp.secret }],
        delegatedPermissions: DELEGATED,
        applicationPermissions: [
          'User.RevokeSessions.All',
          'User.ReadWrite.All',
          'User-PasswordProfile.ReadWrite.All',
          'AuditLog.Read.All',
        ],
      },
      {
        appId: TEST_APPS.spa.appId,
        displayName: 'Test SPA',
        spa: { redirectUris: [TEST_APPS.spa.redirectUri] },
        delegatedPermissions: DELEGATED,
      },
    ],
  };
}
