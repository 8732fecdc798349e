/** Applications as Graph returns them (docs/graph-api.md "Applications"), the subset the console shows. */
import { rolesOf } from './roles.js';
import type { PageContext } from '../page-context.js';

export type Platform = 'web' | 'spa' | 'publicClient';

export const PLATFORMS: readonly [Platform, string][] = [
  ['web', 'Web (server with a secret)'],
  ['spa', 'Single-page app (browser, PKCE)'],
  ['publicClient', 'Public client (mobile, desktop, CLI)'],
];

export interface PermissionScope {
  id: string;
  value: string;
  type: 'User' | 'Admin';
  isEnabled: boolean;
  adminConsentDisplayName: string;
  adminConsentDescription: string;
  userConsentDisplayName?: string | null;
  userConsentDescription?: string | null;
}

export interface PasswordCredential {
  keyId: string;
  displayName: string | null;
  hint: string | null;
  startDateTime: string | null;
  endDateTime: string | null;
}

export interface GraphApplication {
  id: string;
  appId: string;
  displayName: string;
  createdDateTime: string | null;
  web: { redirectUris: string[] };
  spa: { redirectUris: string[] };
  publicClient: { redirectUris: string[] };
  identifierUris: string[];
  api: { requestedAccessTokenVersion: number | null; oauth2PermissionScopes: PermissionScope[] };
  passwordCredentials: PasswordCredential[];
}

export const appPath = (id: string): string => `/applications/${encodeURIComponent(id)}`;
export const consoleAppPath = (id: string): string => `/admin/apps/${encodeURIComponent(id)}`;

/** One URI a line, blank lines dropped; Graph validates each (https, or http on loopback). */
export const uriLines = (v: string | undefined): string[] =>
  (v ?? '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');

/** The signed-in admin as the application rule sees them: their id and directory roles, read from Graph. */
export async function adminOf(ctx: PageContext): Promise<{ id: string; roles: string[] }> {
  const roles = await rolesOf(ctx.rt, ctx.session, '/me');
  return { id: ctx.session.userId, roles: roles.map((r) => r.roleTemplateId) };
}
