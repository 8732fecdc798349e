/**
 * Microsoft Graph permission names Portcullis understands. Delegated permissions are OAuth
 * scopes (`scp` claim); application permissions are app roles (`roles` claim).
 */
export const GRAPH_RESOURCE_APP_ID = '00000003-0000-0000-c000-000000000000';
export const GRAPH_RESOURCE_URI = 'https://graph.microsoft.com';

/**
 * Portcullis's own application permission (not a Microsoft Graph one): lets an application act as
 * a Shared Signals receiver and manage its own streams (src/ssf/, docs/push-revocation.md).
 */
export const SHARED_SIGNALS_PERMISSION = 'SharedSignals.ReadWrite.All';

/**
 * Graph's permission for setting another user's passwordProfile (delegated and application;
 * User.ReadWrite.All does not cover it for apps): https://learn.microsoft.com/graph/permissions-reference
 */
export const PASSWORD_PROFILE_PERMISSION = 'User-PasswordProfile.ReadWrite.All';

export const DELEGATED_PERMISSIONS = [
  'User.Read',
  'User.ReadWrite',
  'User.ReadBasic.All',
  'User.Read.All',
  'User.ReadWrite.All',
  'User.RevokeSessions.All',
  PASSWORD_PROFILE_PERMISSION,
  'Directory.Read.All',
  'Directory.ReadWrite.All',
  'AuditLog.Read.All',
  'Application.Read.All',
  'Application.ReadWrite.All',
  'Group.Read.All',
  'Group.ReadWrite.All',
  'Group.Create',
  'GroupMember.Read.All',
  'GroupMember.ReadWrite.All',
  'DelegatedPermissionGrant.ReadWrite.All',
  'AppRoleAssignment.ReadWrite.All',
] as const;

export const APPLICATION_PERMISSIONS = [
  'User.Read.All',
  'User.ReadWrite.All',
  'User.RevokeSessions.All',
  PASSWORD_PROFILE_PERMISSION,
  'Directory.Read.All',
  'Directory.ReadWrite.All',
  'AuditLog.Read.All',
  'Application.Read.All',
  'Application.ReadWrite.All',
  'Group.Read.All',
  'Group.ReadWrite.All',
  'Group.Create',
  'GroupMember.Read.All',
  'GroupMember.ReadWrite.All',
  'DelegatedPermissionGrant.ReadWrite.All',
  'AppRoleAssignment.ReadWrite.All',
  SHARED_SIGNALS_PERMISSION,
] as const;

/** OpenID Connect scopes; they ask for ID-token content, not Graph access. */
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;

export function isKnownDelegatedPermission(name: string): boolean {
  return (DELEGATED_PERMISSIONS as readonly string[]).some((p) => p.toLowerCase() === name.toLowerCase());
}

export function isKnownApplicationPermission(name: string): boolean {
  return (APPLICATION_PERMISSIONS as readonly string[]).some((p) => p.toLowerCase() === name.toLowerCase());
}

/** Canonical casing of a permission name, or undefined if unknown. */
export function canonicalPermission(name: string): string | undefined {
  const all: readonly string[] = [...DELEGATED_PERMISSIONS, ...APPLICATION_PERMISSIONS];
  return all.find((p) => p.toLowerCase() === name.toLowerCase());
}
