/** The demo tenant `serve` creates when started on an empty store without a seed file. */
import { randomInt } from 'node:crypto';
import { newGuid } from '../crypto/random.js';
import { ROLE } from './roles.js';
import type { Seed } from './seed-schema.js';

/** A demo application exposes no API and holds no consent to one. */
const NOT_A_RESOURCE = {
  identifierUris: [],
  api: { requestedAccessTokenVersion: null, oauth2PermissionScopes: [] },
  appRoles: [],
  requiredResourceAccess: [],
  consent: [],
};

export const DEMO_DOMAIN = 'demo.portcullis.localhost';
export const DEMO_CLI_APP_ID = '6c1b1e2a-4b0e-4f59-9a57-0c2a1f3e8d11';
export const DEMO_WEB_APP_ID = '3f2c8a9d-5e71-4b6a-8c0d-9e1f2a3b4c5d';

/** A random password that meets Entra's complexity rule (three of four character classes — we use all four). */
export function randomPassword(length = 20): string {
  const classes = ['ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnopqrstuvwxyz', '23456789', '-_.!~'];
  const all = classes.join('');
  const chars = classes.map((c) => c[randomInt(c.length)] ?? '');
  while (chars.length < length) chars.push(all[randomInt(all.length)] ?? '');
  // Fisher–Yates, so the guaranteed characters are not always first.
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j] ?? '', chars[i] ?? ''];
  }
  return chars.join('');
}

export function demoSeed(): { seed: Seed; adminPassword: string } {
  const adminPassword = randomPassword();
  const seed: Seed = {
    tenant: { id: newGuid(), domain: DEMO_DOMAIN, displayName: 'Portcullis Demo' },
    users: [
      {
        userPrincipalName: `admin@${DEMO_DOMAIN}`,
        displayName: 'Demo Administrator',
        password: adminPassword,
        accountEnabled: true,
        mail: null,
        roles: [ROLE.globalAdministrator],
      },
    ],
    groups: [],
    applications: [
      {
        appId: DEMO_CLI_APP_ID,
        displayName: 'Portcullis CLI',
        publicClient: { redirectUris: ['http://localhost'] },
        web: { redirectUris: [] },
        spa: { redirectUris: [] },
        passwordCredentials: [],
        allowPublicClientFlows: true,
        delegatedPermissions: [
          'User.RevokeSessions.All',
          'User.ReadWrite.All',
          'Directory.ReadWrite.All',
          'AuditLog.Read.All',
          'User.Read',
        ],
        applicationPermissions: [],
        ...NOT_A_RESOURCE,
      },
      {
        appId: DEMO_WEB_APP_ID,
        displayName: 'Demo Web App',
        publicClient: { redirectUris: [] },
        web: { redirectUris: ['http://localhost:3000/auth/callback'] },
        spa: { redirectUris: [] },
        // No secret: the demo's password would be printed; add one through a seed file instead.
        passwordCredentials: [],
        allowPublicClientFlows: false,
        delegatedPermissions: ['User.Read'],
        applicationPermissions: [],
        ...NOT_A_RESOURCE,
      },
    ],
  };
  return { seed, adminPassword };
}
