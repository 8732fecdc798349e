/**
 * Creating and deleting security groups and changing their members, each with its audit record
 * (Core Directory, category GroupManagement, as Entra's audit log records them:
 * https://learn.microsoft.com/entra/identity/monitoring-health/reference-audit-activities)
 * committed in the same store call as the change.
 */
import type { Clock } from '../clock.js';
import { newGuid } from '../crypto/random.js';
import type { Store } from '../store/store.js';
import { ACTIVITY, userManagementRecord } from './audit.js';
import type { AuditRecord, AuditTarget, Group, GroupMember, Tenant } from './model.js';
import type { ActionContext } from './user-management.js';

export interface GroupManagementDeps {
  store: Store;
  clock: Clock;
  tenant: Tenant;
}

export interface NewGroup {
  displayName: string;
  mailNickname: string;
  description: string | null;
}

const groupTarget = (g: Group): AuditTarget => ({
  id: g.id,
  type: 'Group',
  userPrincipalName: null,
  displayName: g.displayName,
  modifiedProperties: [],
});

function record(
  deps: GroupManagementDeps,
  activity: string,
  operationType: 'Add' | 'Delete' | 'Update',
  target: AuditTarget,
  ctx: ActionContext,
): AuditRecord {
  const r = userManagementRecord({
    tenantId: deps.tenant.id,
    at: deps.clock.now(),
    activity,
    operationType,
    actor: ctx.actor,
    target,
    correlationId: ctx.correlationId,
  });
  return { ...r, category: 'GroupManagement' };
}

export async function createGroup(deps: GroupManagementDeps, input: NewGroup, ctx: ActionContext): Promise<Group> {
  const group: Group = { id: newGuid(), tenantId: deps.tenant.id, ...input, createdAt: deps.clock.now() };
  await deps.store.groups.insert(group, [record(deps, ACTIVITY.addGroup, 'Add', groupTarget(group), ctx)]);
  return group;
}

export async function deleteGroup(deps: GroupManagementDeps, group: Group, ctx: ActionContext): Promise<boolean> {
  return deps.store.groups.delete(deps.tenant.id, group.id, [record(deps, ACTIVITY.deleteGroup, 'Delete', groupTarget(group), ctx)]);
}

/** The member as the audit record names it (the group is the target; the member a modified property). */
const membershipTarget = (group: Group, member: GroupMember, added: boolean): AuditTarget => ({
  ...groupTarget(group),
  modifiedProperties: [
    {
      displayName: member.kind === 'user' ? 'User.ObjectID' : 'Group.ObjectID',
      oldValue: added ? null : member.id,
      newValue: added ? member.id : null,
    },
  ],
});

/** false when the member already was a direct member (nothing written). */
export async function addGroupMember(deps: GroupManagementDeps, group: Group, member: GroupMember, ctx: ActionContext): Promise<boolean> {
  return deps.store.groups.addMember(group.id, member, [
    record(deps, ACTIVITY.addGroupMember, 'Add', membershipTarget(group, member, true), ctx),
  ]);
}

/** false when it was not a direct member. */
export async function removeGroupMember(
  deps: GroupManagementDeps,
  group: Group,
  member: GroupMember,
  ctx: ActionContext,
): Promise<boolean> {
  return deps.store.groups.removeMember(group.id, member.id, [
    record(deps, ACTIVITY.removeGroupMember, 'Delete', membershipTarget(group, member, false), ctx),
  ]);
}
