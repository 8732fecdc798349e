/**
 * One row per sensitive action on a user: the directory permission a role needs, the target
 * table that limits it, and the Graph permissions of delegated and app-only callers. Sources:
 * the Graph pages user-revokesigninsessions, user-invalidateallrefreshtokens (beta), user-update,
 * user-delete (https://learn.microsoft.com/graph/api/...) and
 * https://learn.microsoft.com/graph/permissions-reference. docs/authorization.md transcribes it.
 */
import { PASSWORD_PROFILE_PERMISSION } from '../permissions.js';
import type { DirectoryPermission } from './role-permissions.js';
import { RESET_PASSWORDS, SENSITIVE_ACTIONS, type TargetTable } from './target-tables.js';

export type UserAction =
  | 'revokeSignInSessions'
  | 'invalidateAllRefreshTokens'
  | 'resetPassword'
  | 'disable'
  | 'enable'
  | 'delete'
  | 'updateUserPrincipalName'
  | 'updateBasic'
  | 'listSignInSessions'
  | 'revokeSelectedSessions';

export interface ActionRule {
  /** What one of the actor's roles must hold (delegated callers; apps with a directory role). */
  permission: DirectoryPermission;
  /** Which targets that same role may act on. */
  targets: TargetTable;
  /** Delegated scopes (any of) to act on another user. */
  delegated: readonly string[];
  /**
   * Further delegated scopes that, like the ones above, let a user act on themself WITHOUT any
   * role; null = acting on oneself is judged like acting on anyone (role and table).
   */
  delegatedSelf: readonly string[] | null;
  /** Application permissions (any of); empty = app-only calls are not supported. */
  application: readonly string[];
  /**
   * An app-only caller acting on a target that holds any directory role also needs a directory
   * role assigned to the application that passes `permission` and `targets`, as a user would.
   */
  appNeedsRoleForRoleHolders: boolean;
}

const WRITE = ['User.ReadWrite.All', 'Directory.ReadWrite.All'];

/**
 * The session inventory and targeted revocation (Portcullis extensions, docs/graph-api.md): whoever
 * may revoke a user's sessions may see them and cut some of them, on the same targets. A user may
 * list their own with User.Read and cut their own with User.ReadWrite, as they may revoke all.
 */
const SESSIONS_OF: Pick<ActionRule, 'permission' | 'targets' | 'delegated' | 'application' | 'appNeedsRoleForRoleHolders'> = {
  permission: 'users/invalidateAllRefreshTokens',
  targets: RESET_PASSWORDS,
  delegated: ['User.RevokeSessions.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
  application: ['User.RevokeSessions.All'],
  appNeedsRoleForRoleHolders: false,
};

export const ACTIONS: Readonly<Record<UserAction, ActionRule>> = {
  revokeSignInSessions: {
    permission: 'users/invalidateAllRefreshTokens',
    targets: RESET_PASSWORDS,
    delegated: ['User.RevokeSessions.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
    delegatedSelf: ['User.ReadWrite'],
    application: ['User.RevokeSessions.All'],
    // Graph documents no role for the app; revoking contains a compromise and grants nothing.
    appNeedsRoleForRoleHolders: false,
  },
  invalidateAllRefreshTokens: {
    permission: 'users/invalidateAllRefreshTokens',
    targets: RESET_PASSWORDS,
    delegated: ['User.RevokeSessions.All', 'Directory.ReadWrite.All'],
    delegatedSelf: ['User.ReadWrite'],
    application: [], // the beta page: application "Not supported"
    appNeedsRoleForRoleHolders: true,
  },
  resetPassword: {
    permission: 'users/password/update',
    targets: RESET_PASSWORDS,
    delegated: [PASSWORD_PROFILE_PERMISSION, ...WRITE],
    delegatedSelf: null,
    application: [PASSWORD_PROFILE_PERMISSION],
    appNeedsRoleForRoleHolders: true,
  },
  disable: {
    permission: 'users/disable',
    targets: SENSITIVE_ACTIONS,
    delegated: WRITE,
    delegatedSelf: null,
    application: WRITE,
    appNeedsRoleForRoleHolders: true,
  },
  enable: {
    permission: 'users/enable',
    targets: SENSITIVE_ACTIONS,
    delegated: WRITE,
    delegatedSelf: null,
    application: WRITE,
    appNeedsRoleForRoleHolders: true,
  },
  delete: {
    permission: 'users/delete',
    targets: SENSITIVE_ACTIONS,
    delegated: WRITE,
    delegatedSelf: null,
    application: WRITE,
    appNeedsRoleForRoleHolders: true,
  },
  updateUserPrincipalName: {
    permission: 'users/userPrincipalName/update',
    targets: SENSITIVE_ACTIONS,
    delegated: WRITE,
    delegatedSelf: null,
    application: WRITE,
    appNeedsRoleForRoleHolders: true,
  },
  updateBasic: {
    permission: 'users/basic/update',
    targets: SENSITIVE_ACTIONS,
    delegated: WRITE,
    // Graph "Update user": a user may change their own displayName with User.ReadWrite.
    delegatedSelf: ['User.ReadWrite'],
    application: WRITE,
    appNeedsRoleForRoleHolders: true,
  },
  listSignInSessions: { ...SESSIONS_OF, delegatedSelf: ['User.Read', 'User.ReadWrite'] },
  revokeSelectedSessions: { ...SESSIONS_OF, delegatedSelf: ['User.ReadWrite'] },
};

/** Graph "Create user": no target; a role holding users/create, or an app write permission. */
export const CREATE_USERS = { permission: 'users/create', delegated: WRITE, application: WRITE } as const;
