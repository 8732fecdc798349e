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

/**
 * Graph's rule for a group's mailNickname (https://learn.microsoft.com/graph/api/resources/group,
 * mailNickname): at most 64 printable ASCII characters, none of @ () \ [] " ; : <> , or space.
 * Graph's POST and PATCH /groups and the seed file all check it here.
 */
export function isValidGroupMailNickname(s: string): boolean {
  return /^[\x21-\x7e]{1,64}$/.test(s) && !/[@()\\[\]";:<>,]/.test(s);
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

/** `input.id`: the seed file's, when it gives one; otherwise a new GUID. */
export async function createGroup(deps: GroupManagementDeps, input: NewGroup & { id?: string }, ctx: ActionContext): Promise<Group> {
  const group: Group = { ...input, id: input.id ?? newGuid(), tenantId: deps.tenant.id, createdAt: deps.clock.now() };
  await deps.store.groups.insert(group, [record(deps, ACTIVITY.addGroup, 'Add', groupTarget(group), ctx)]);
  return group;
}

/** What an update may change (Graph's PATCH /groups/{id} properties that Portcullis stores). */
export type GroupChanges = Partial<NewGroup>;

const UPDATABLE = [
  ['displayName', 'DisplayName'],
  ['description', 'Description'],
  ['mailNickname', 'MailNickname'],
] as const;

/**
 * Applies the properties that differ from the stored group, with one "Update group" record naming
 * each (as Entra logs them); null when the group is gone. An update that changes nothing writes
 * nothing, not even an audit record.
 */
export async function updateGroup(
  deps: GroupManagementDeps,
  group: Group,
  changes: GroupChanges,
  ctx: ActionContext,
): Promise<Group | null> {
  const updated: Group = { ...group };
  const modifiedProperties: AuditTarget['modifiedProperties'] = [];
  for (const [property, auditName] of UPDATABLE) {
    const value = changes[property];
    if (value === undefined || value === group[property]) continue;
    modifiedProperties.push({ displayName: auditName, oldValue: group[property], newValue: value });
    Object.assign(updated, { [property]: value });
  }
  if (modifiedProperties.length === 0) return group;
  const target = { ...groupTarget(updated), modifiedProperties };
  return (await deps.store.groups.update(updated, [record(deps, ACTIVITY.updateGroup, 'Update', target, ctx)])) ? updated : null;
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
