/**
 * Which of the user-management permissions each built-in role holds: the
 * `microsoft.directory/users/...` actions on each role's page of
 * https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference
 * (only the actions Portcullis implements). docs/authorization.md transcribes this table; the
 * matrix test (test/graph/authorization-matrix.test.ts) checks the code against the doc.
 */
import { ROLE } from '../roles.js';

/**
 * Every permission on a user Portcullis implements, without the `microsoft.directory/` prefix
 * (Global Administrator holds them all).
 */
const ALL = [
  'users/create',
  'users/invalidateAllRefreshTokens',
  'users/password/update',
  'users/disable',
  'users/enable',
  'users/delete',
  'users/userPrincipalName/update',
  'users/basic/update',
] as const;

/** A directory permission, without its `microsoft.directory/` prefix. */
export type DirectoryPermission = (typeof ALL)[number];

/**
 * Authentication Administrator's user permissions (its role page, and the role definition shown
 * on the privileged-roles page); Privileged Authentication Administrator holds the same ones,
 * but its target column allows every user.
 */
const AUTHENTICATION_ADMIN: readonly DirectoryPermission[] = [
  'users/invalidateAllRefreshTokens',
  'users/password/update',
  'users/disable',
  'users/enable',
  'users/delete',
  'users/userPrincipalName/update',
  'users/basic/update',
];

/** Roles not listed here hold none of these permissions. */
export const ROLE_PERMISSIONS: Readonly<Record<string, readonly DirectoryPermission[]>> = {
  [ROLE.globalAdministrator]: ALL,
  [ROLE.privilegedAuthenticationAdministrator]: AUTHENTICATION_ADMIN,
  [ROLE.authenticationAdministrator]: AUTHENTICATION_ADMIN,
  [ROLE.userAdministrator]: ALL,
  // Helpdesk Administrator: "change passwords, invalidate refresh tokens".
  [ROLE.helpdeskAdministrator]: ['users/invalidateAllRefreshTokens', 'users/password/update'],
  // Password Administrator's role page lists only users/password/update; the "Who can reset
  // passwords" table names it among "the roles that can reset passwords and invalidate refresh
  // tokens", so Portcullis lets it invalidate too, on the same targets (docs/authorization.md).
  [ROLE.passwordAdministrator]: ['users/invalidateAllRefreshTokens', 'users/password/update'],
  // Directory Writers: create, disable, enable, invalidate, UPN and basic updates; NOT
  // password/update, delete or restore.
  [ROLE.directoryWriters]: [
    'users/create',
    'users/invalidateAllRefreshTokens',
    'users/disable',
    'users/enable',
    'users/userPrincipalName/update',
    'users/basic/update',
  ],
};

export function roleHolds(role: string, permission: DirectoryPermission): boolean {
  return ROLE_PERMISSIONS[role]?.includes(permission) ?? false;
}
