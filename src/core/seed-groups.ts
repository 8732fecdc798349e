/**
 * Applying a seed file's groups through the one group lifecycle, core/group-management.ts: the
 * same calls (and audit records) as Graph's POST and PATCH /groups and members/$ref, made by the
 * seed's own actor. Which properties are applied at all is decided by digest (seed-tracking.ts),
 * as for users: a restart applies only what the file changed, and a group deleted at runtime is
 * not recreated.
 *
 * Two passes: the first creates, updates or adopts every group; the second sets the members of the
 * groups created or whose `members` / `memberGroups` the file changed, once every group of the file
 * has an id (a group may name a later one, and groups may contain each other).
 */
import type { Group, GroupMember } from './model.js';
import { addGroupMember, createGroup, removeGroupMember, updateGroup, type GroupManagementDeps } from './group-management.js';
import { recordOutcome, type SeedOutcome } from './seed-outcome.js';
import { SeedError, type Seed, type SeedGroup } from './seed-schema.js';
import { changedSince, digestsOf, forgetRemoved, recordOf, track, type ApplyContext } from './seed-tracking.js';
import { seedAction } from './seed-users.js';

/** The entry's identity in the file: its id when it gives one, else its displayName. */
const groupKey = (g: SeedGroup): string => (g.id !== undefined ? `id:${g.id}` : `name:${g.displayName.toLowerCase()}`);

/**
 * The tracked properties of a group entry: every property but `id`, which is part of the key.
 * Member lists are sorted: their order in the file means nothing.
 */
function groupProperties(g: SeedGroup): { [P in Exclude<keyof SeedGroup, 'id'>]-?: unknown } {
  return {
    displayName: g.displayName,
    description: g.description,
    mailNickname: g.mailNickname,
    members: [...g.members].sort(),
    memberGroups: [...g.memberGroups].sort(),
  };
}

const SCALARS = ['displayName', 'description', 'mailNickname'] as const;
const MEMBERSHIP = ['members', 'memberGroups'] as const;

/** A group's direct members, every page (bounded: a seed's group is not a million members). */
async function directMembers(ctx: ApplyContext, groupId: string): Promise<GroupMember[]> {
  const out: GroupMember[] = [];
  for (let i = 0; i < 1000; i++) {
    const page = await ctx.store.groups.members(groupId, { limit: 1000, ...(out.length > 0 ? { afterId: out.at(-1)!.id } : {}) });
    out.push(...page);
    if (page.length < 1000) break;
  }
  return out;
}

async function findSeedGroup(ctx: ApplyContext, g: SeedGroup, path: string): Promise<Group | null> {
  if (g.id !== undefined) return ctx.store.groups.findById(ctx.tenantId, g.id);
  const named = await ctx.store.groups.list({ tenantId: ctx.tenantId, displayName: { op: 'eq', value: g.displayName }, limit: 2 });
  if (named.length > 1)
    throw new SeedError(`${path}.displayName: several groups are named '${g.displayName}'; give the entry the id of the one it means`);
  return named[0] ?? null;
}

/** What pass 1 decided for one entry; pass 2 may still write its members. */
interface Pending {
  entry: SeedGroup;
  key: string;
  digests: Record<string, string>;
  group: Group | null;
  outcome: SeedOutcome;
  details: string[];
  /** Set the members to the file's (created, or members changed in the file). */
  setMembers: boolean;
}

async function firstPass(ctx: ApplyContext, deps: GroupManagementDeps, g: SeedGroup, path: string): Promise<Pending> {
  const key = groupKey(g);
  const digests = digestsOf(ctx, 'group', key, groupProperties(g));
  const record = recordOf(ctx, 'group', key);
  const pending = { entry: g, key, digests, details: [] as string[], setMembers: false };
  const tracked = record ? await ctx.store.groups.findById(ctx.tenantId, record.subjectId) : null;
  if (record && tracked) {
    const changed = changedSince(record, digests);
    const scalars = SCALARS.filter((p) => changed.includes(p) && tracked[p] !== g[p]);
    let group = tracked;
    if (scalars.length > 0) {
      const changes = Object.fromEntries(scalars.map((p) => [p, g[p]]));
      group = (await updateGroup(deps, tracked, changes, seedAction())) ?? tracked;
    }
    const setMembers = MEMBERSHIP.some((p) => changed.includes(p));
    return { ...pending, group, outcome: scalars.length > 0 ? 'updated' : 'unchanged', details: [...scalars], setMembers };
  }
  if (record) {
    // Applied before, deleted since: as for users, a deletion is not undone by a restart.
    return { ...pending, group: null, outcome: 'skipped', details: ['deleted at runtime'] };
  }
  const existing = await findSeedGroup(ctx, g, path);
  if (existing) {
    // Not applied by this store before: keep what is there, track it from now on.
    const differs = SCALARS.filter((p) => existing[p] !== g[p]);
    return { ...pending, group: existing, outcome: 'adopted', details: [...differs] };
  }
  const { displayName, description, mailNickname } = g;
  const created = await createGroup(deps, { displayName, description, mailNickname, ...(g.id ? { id: g.id } : {}) }, seedAction());
  return { ...pending, group: created, outcome: 'created', setMembers: true };
}

/**
 * Makes the group's direct members exactly the file's: users by userPrincipalName (a user that does
 * not exist is a warning, not a failure: it may have been deleted at runtime) and the file's other
 * groups. Returns the membership properties that were written.
 */
async function setMembers(
  ctx: ApplyContext,
  deps: GroupManagementDeps,
  p: Pending,
  groupIds: ReadonlyMap<string, string>,
): Promise<string[]> {
  const group = p.group!;
  const wanted = new Map<string, GroupMember>();
  for (const upn of p.entry.members) {
    const user = await ctx.store.users.findByUserPrincipalName(ctx.tenantId, upn);
    if (user) wanted.set(user.id, { id: user.id, kind: 'user' });
    else ctx.result.warnings.push(`group '${group.displayName}': member '${upn}' does not exist; not added`);
  }
  for (const name of p.entry.memberGroups) {
    const id = groupIds.get(name);
    if (id !== undefined && id !== group.id) wanted.set(id, { id, kind: 'group' });
    else ctx.result.warnings.push(`group '${group.displayName}': member group '${name}' does not exist; not added`);
  }
  const current = await directMembers(ctx, group.id);
  const written = new Set<string>();
  const property = (m: GroupMember) => (m.kind === 'user' ? 'members' : 'memberGroups');
  for (const m of current) {
    if (wanted.has(m.id)) continue;
    if (await removeGroupMember(deps, group, m, seedAction())) written.add(property(m));
  }
  const have = new Set(current.map((m) => m.id));
  for (const m of wanted.values()) {
    if (have.has(m.id)) continue;
    if (await addGroupMember(deps, group, m, seedAction())) written.add(property(m));
  }
  return MEMBERSHIP.filter((x) => written.has(x));
}

export async function applySeedGroups(ctx: ApplyContext, deps: GroupManagementDeps, seed: Seed): Promise<void> {
  const pending: Pending[] = [];
  for (const [i, g] of seed.groups.entries()) pending.push(await firstPass(ctx, deps, g, `groups[${i}]`));
  const groupIds = new Map(pending.flatMap((p) => (p.group ? [[p.entry.displayName.toLowerCase(), p.group.id] as const] : [])));
  for (const p of pending) {
    if (p.outcome === 'skipped') {
      recordOutcome(ctx.result, 'group', p.entry.displayName, 'skipped', p.details);
      continue;
    }
    const written = p.setMembers ? await setMembers(ctx, deps, p, groupIds) : [];
    await track(ctx, 'group', p.key, p.group!.id, p.digests);
    const details = p.outcome === 'created' ? [] : [...p.details, ...written];
    const outcome = p.outcome === 'unchanged' && written.length > 0 ? 'updated' : p.outcome;
    recordOutcome(ctx.result, 'group', p.entry.displayName, outcome, details);
  }
  await forgetRemoved(ctx, 'group', new Set(seed.groups.map(groupKey)));
}
