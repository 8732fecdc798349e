/**
 * Who may register and manage applications and grant consent: one row per action, the directory
 * permission a delegated caller's role must hold and the Graph permissions of delegated and
 * app-only callers. Sources: the Graph pages application-post-applications, application-update,
 * application-delete, application-addpassword, application-removepassword,
 * oauth2permissiongrant-post and serviceprincipal-post-approleassignedto
 * (https://learn.microsoft.com/graph/api/...), and the roles' pages of
 * https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference.
 * docs/authorization.md ("Applications") transcribes both tables; test/graph/application-authorization.test.ts
 * checks the code against it. Application.ReadWrite.OwnedBy (apps an app owns) is not supported:
 * Portcullis keeps no owners.
 */
import { ROLE } from '../roles.js';
import type { Actor } from './decide.js';

export type ApplicationAction =
  | 'createApplication'
  | 'updateApplication'
  | 'deleteApplication'
  | 'updateApplicationCredentials'
  | 'grantDelegatedConsent'
  | 'grantApplicationConsent'
  | 'grantGraphApplicationConsent';

/** Directory permissions on applications and consent, without the `microsoft.directory/` prefix. */
export type ApplicationPermission =
  | 'applications/create'
  | 'applications/allProperties/update'
  | 'applications/delete'
  | 'applications/credentials/update'
  | 'servicePrincipals/managePermissionGrantsForAll.microsoft-application-admin'
  | 'servicePrincipals/managePermissionGrantsForAll.microsoft-company-admin';

export interface ApplicationActionRule {
  permission: ApplicationPermission;
  delegated: readonly string[];
  application: readonly string[];
}

const APP_WRITE = ['Application.ReadWrite.All'];

export const APPLICATION_ACTIONS: Readonly<Record<ApplicationAction, ApplicationActionRule>> = {
  createApplication: { permission: 'applications/create', delegated: APP_WRITE, application: APP_WRITE },
  updateApplication: { permission: 'applications/allProperties/update', delegated: APP_WRITE, application: APP_WRITE },
  deleteApplication: { permission: 'applications/delete', delegated: APP_WRITE, application: APP_WRITE },
  updateApplicationCredentials: { permission: 'applications/credentials/update', delegated: APP_WRITE, application: APP_WRITE },
  grantDelegatedConsent: {
    permission: 'servicePrincipals/managePermissionGrantsForAll.microsoft-application-admin',
    delegated: ['DelegatedPermissionGrant.ReadWrite.All', 'Directory.ReadWrite.All'],
    application: ['DelegatedPermissionGrant.ReadWrite.All', 'Directory.ReadWrite.All'],
  },
  grantApplicationConsent: {
    permission: 'servicePrincipals/managePermissionGrantsForAll.microsoft-application-admin',
    delegated: ['AppRoleAssignment.ReadWrite.All'],
    application: ['AppRoleAssignment.ReadWrite.All'],
  },
  // Application permissions of Microsoft Graph: not Application Administrators (Entra: "excluding
  // application permissions for Microsoft Graph"), only the company-admin grant policy.
  grantGraphApplicationConsent: {
    permission: 'servicePrincipals/managePermissionGrantsForAll.microsoft-company-admin',
    delegated: ['AppRoleAssignment.ReadWrite.All'],
    application: ['AppRoleAssignment.ReadWrite.All'],
  },
};

const APP_MANAGEMENT: readonly ApplicationPermission[] = [
  'applications/create',
  'applications/allProperties/update',
  'applications/delete',
  'applications/credentials/update',
  'servicePrincipals/managePermissionGrantsForAll.microsoft-application-admin',
];

/** Roles not listed hold none of these permissions. */
export const APPLICATION_ROLE_PERMISSIONS: Readonly<Record<string, readonly ApplicationPermission[]>> = {
  [ROLE.globalAdministrator]: [...APP_MANAGEMENT, 'servicePrincipals/managePermissionGrantsForAll.microsoft-company-admin'],
  [ROLE.applicationAdministrator]: APP_MANAGEMENT,
  [ROLE.cloudApplicationAdministrator]: APP_MANAGEMENT,
  // Privileged Role Administrator grants consent (any permission) but does not manage registrations.
  [ROLE.privilegedRoleAdministrator]: [
    'servicePrincipals/managePermissionGrantsForAll.microsoft-application-admin',
    'servicePrincipals/managePermissionGrantsForAll.microsoft-company-admin',
  ],
};

const holdsAny = (granted: ReadonlySet<string>, names: readonly string[]): boolean => names.some((n) => granted.has(n.toLowerCase()));

/**
 * May `actor` perform `action`? An app-only caller needs one of the application permissions (no
 * directory role); a delegated one a scope AND a role holding the directory permission.
 * Applications have no target table: every registration is administered alike.
 */
export function mayManageApplications(actor: Actor, action: ApplicationAction): boolean {
  const rule = APPLICATION_ACTIONS[action];
  if (actor.kind === 'app') return holdsAny(actor.permissions, rule.application);
  return (
    holdsAny(actor.scopes, rule.delegated) && actor.roles.some((r) => APPLICATION_ROLE_PERMISSIONS[r]?.includes(rule.permission) ?? false)
  );
}
