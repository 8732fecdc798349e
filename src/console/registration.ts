/**
 * The console's own application registration: a client of its tenant like any other, written at
 * start-up through the one registration path (core/application-registration.ts). It is a public
 * client (RFC 6749 §2.1) that proves each code redemption with PKCE (RFC 7636) rather than a
 * secret, so several instances on one database never fight over a credential and no secret sits
 * in a config file. Its redirect URIs are this instance's own /console paths.
 */
import { createFixedApplication, saveApplication } from '../core/application-registration.js';
import type { Application } from '../core/model.js';
import type { Services } from '../services.js';

/** Fixed, so every instance and every restart finds the same registration. */
export const CONSOLE_APP_ID = '5d0c0a5e-1c0e-4f7a-9b3e-7c0a50c0e1e5';
export const CALLBACK_PATH = '/console/callback';
export const SIGNED_OUT_PATH = '/console/signed-out';

/**
 * What the console may ask for. The server still decides every call by the signed-in user's role
 * (docs/authorization.md); My Account asks only for the /me scopes (console/areas.ts).
 */
const CONSENTED = [
  'User.Read',
  'User.ReadWrite',
  'User.ReadWrite.All',
  'User.RevokeSessions.All',
  'User-PasswordProfile.ReadWrite.All',
  'Directory.Read.All',
  'AuditLog.Read.All',
  'Application.ReadWrite.All',
];

export function consoleApplication(services: Pick<Services, 'config' | 'tenant'>, createdAt: number): Application {
  const base = services.config.publicUrl;
  return {
    appId: CONSOLE_APP_ID,
    tenantId: services.tenant.id,
    displayName: 'Portcullis Console',
    publicClientRedirectUris: [`${base}${CALLBACK_PATH}`, `${base}${SIGNED_OUT_PATH}`],
    webRedirectUris: [],
    spaRedirectUris: [],
    secrets: [],
    allowPublicClientFlows: false,
    delegatedPermissions: CONSENTED,
    applicationPermissions: [],
    createdAt,
  };
}

/** Creates the registration, or brings its redirect URIs and consent up to date (a new public URL). */
export async function ensureConsoleApplication(services: Pick<Services, 'config' | 'tenant' | 'store' | 'clock'>): Promise<void> {
  const existing = await services.store.applications.findByAppId(services.tenant.id, CONSOLE_APP_ID);
  const wanted = consoleApplication(services, existing?.createdAt ?? services.clock.now());
  if (!existing) {
    // Another instance starting at the same moment may have created it meanwhile: then update it.
    if (!(await createFixedApplication(services.store.applications, wanted))) await ensureConsoleApplication(services);
    return;
  }
  const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  if (
    same(existing.publicClientRedirectUris, wanted.publicClientRedirectUris) &&
    same(existing.delegatedPermissions, wanted.delegatedPermissions)
  )
    return;
  await saveApplication(services.store.applications, { ...existing, ...wanted }, existing);
}
