/**
 * One row per action on groups: the Graph permissions of delegated and app-only callers and, for
 * changes, the directory permission a delegated caller's role must hold. Sources: the Graph pages
 * group-list, group-get, group-post-groups, group-update, group-delete, group-list-members,
 * group-list-transitivemembers, group-post-members, group-delete-members
 * (https://learn.microsoft.com/graph/api/...) and the `microsoft.directory/groups/...`
 * permissions of each role in
 * https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference.
 * docs/authorization.md transcribes both tables; test/graph/group-authorization.test.ts checks
 * the code against it.
 */
import { ROLE } from '../roles.js';
import type { Actor } from './decide.js';

export type GroupAction = 'readGroups' | 'readMembers' | 'createGroup' | 'updateGroup' | 'deleteGroup' | 'updateMembers';

const GROUP_PERMISSIONS = ['groups/create', 'groups/basic/update', 'groups/delete', 'groups/members/update'] as const;
export type GroupDirectoryPermission = (typeof GROUP_PERMISSIONS)[number];

export interface GroupActionRule {
  /** What one of a delegated caller's roles must hold; null = reading, which any member user may. */
  permission: GroupDirectoryPermission | null;
  delegated: readonly string[];
  application: readonly string[];
}

const READ = [
  'GroupMember.Read.All',
  'Group.Read.All',
  'GroupMember.ReadWrite.All',
  'Group.ReadWrite.All',
  'Directory.Read.All',
  'Directory.ReadWrite.All',
];
const WRITE = ['Group.ReadWrite.All', 'Directory.ReadWrite.All'];

export const GROUP_ACTIONS: Readonly<Record<GroupAction, GroupActionRule>> = {
  readGroups: { permission: null, delegated: READ, application: READ },
  readMembers: { permission: null, delegated: READ, application: READ },
  createGroup: { permission: 'groups/create', delegated: ['Group.Create', ...WRITE], application: ['Group.Create', ...WRITE] },
  updateGroup: { permission: 'groups/basic/update', delegated: WRITE, application: WRITE },
  deleteGroup: { permission: 'groups/delete', delegated: WRITE, application: WRITE },
  updateMembers: {
    permission: 'groups/members/update',
    delegated: ['GroupMember.ReadWrite.All', ...WRITE],
    application: ['GroupMember.ReadWrite.All', ...WRITE],
  },
};

/** Roles not listed hold none of the group permissions. Directory Writers: all but delete. */
export const GROUP_ROLE_PERMISSIONS: Readonly<Record<string, readonly GroupDirectoryPermission[]>> = {
  [ROLE.globalAdministrator]: GROUP_PERMISSIONS,
  [ROLE.groupsAdministrator]: GROUP_PERMISSIONS,
  [ROLE.userAdministrator]: GROUP_PERMISSIONS,
  [ROLE.directoryWriters]: ['groups/create', 'groups/basic/update', 'groups/members/update'],
};

const holdsAny = (granted: ReadonlySet<string>, names: readonly string[]): boolean => names.some((n) => granted.has(n.toLowerCase()));

/**
 * May `actor` perform a group action? Apps: an application permission. Users: a delegated scope
 * and, for changes, some role holding the directory permission. There are no target tables:
 * Portcullis has no role-assignable groups, the only groups Entra protects further.
 */
export function mayPerformOnGroups(actor: Actor, action: GroupAction): boolean {
  const rule = GROUP_ACTIONS[action];
  if (actor.kind === 'app') return holdsAny(actor.permissions, rule.application);
  if (!holdsAny(actor.scopes, rule.delegated)) return false;
  const permission = rule.permission;
  return permission === null || actor.roles.some((r) => GROUP_ROLE_PERMISSIONS[r]?.includes(permission) ?? false);
}
