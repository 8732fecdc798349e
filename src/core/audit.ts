import { newTimeOrderedGuid } from '../crypto/random.js';
import type { AuditIdentity, AuditRecord, AuditTarget, User } from './model.js';

/** Activity names as Entra's audit log records them (https://learn.microsoft.com/entra/identity/monitoring-health/reference-audit-activities). */
export const ACTIVITY = {
  revokeSessions: 'Update StsRefreshTokenValidFrom Timestamp',
  disableAccount: 'Disable account',
  enableAccount: 'Enable account',
  resetPassword: 'Reset password',
  /** A user changing their own password, proven by the current one (POST /me/changePassword). */
  changePassword: 'Change user password',
  updateUser: 'Update user',
  addUser: 'Add user',
  deleteUser: 'Delete user',
  /** RFC 7009 token revocation by an application (Portcullis; Entra has no such endpoint or activity). */
  revokeToken: 'Revoke token',
  /** A targeted revocation (core/targeted-revocation.ts): one session, one app's grants, or all but one session. */
  revokeSelectedSessions: 'Revoke selected sign-in sessions',
  addGroup: 'Add group',
  deleteGroup: 'Delete group',
  updateGroup: 'Update group',
  addGroupMember: 'Add member to group',
  removeGroupMember: 'Remove member from group',
  /** Smart lockout (core/lockout.ts): a subject reached its failure threshold and is locked. */
  lockout: 'Smart lockout',
} as const;

export function userTarget(user: User, modifiedProperties: AuditTarget['modifiedProperties'] = []): AuditTarget {
  return {
    id: user.id,
    type: 'User',
    userPrincipalName: user.userPrincipalName,
    displayName: user.displayName,
    modifiedProperties,
  };
}

/** A Core Directory / UserManagement record, the category every user activity here belongs to. */
export function userManagementRecord(args: {
  tenantId: string;
  at: number;
  activity: string;
  operationType: 'Add' | 'Update' | 'Delete';
  actor: AuditIdentity;
  target: AuditTarget;
  correlationId: string;
  result?: 'success' | 'failure';
  resultReason?: string;
}): AuditRecord {
  return {
    id: newTimeOrderedGuid(),
    tenantId: args.tenantId,
    activityDateTime: args.at,
    activityDisplayName: args.activity,
    category: 'UserManagement',
    loggedByService: 'Core Directory',
    operationType: args.operationType,
    result: args.result ?? 'success',
    resultReason: args.resultReason ?? '',
    correlationId: args.correlationId,
    initiatedBy: args.actor,
    targetResources: [args.target],
  };
}

export const isoOrNull = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
