/**
 * Applying a seed file's users through the one user lifecycle, core/user-management.ts: creating
 * a user, changing it and resetting its password (with its revocation and audit) are the same
 * calls Graph makes, made by the seed's own actor. Which properties are applied at all is decided
 * by digest (seed-tracking.ts).
 */
import { newGuid } from '../crypto/random.js';
import type { Store } from '../store/store.js';
import type { AuditIdentity, Tenant, User } from './model.js';
import { recordOutcome } from './seed-outcome.js';
import type { ProgressTick } from './seed-progress.js';
import { SeedError, type Seed, type SeedUser } from './seed-schema.js';
import {
  changedSince,
  countedVerify,
  digestsOf,
  forgetRemoved,
  recordOf,
  track,
  unchangedSince,
  type ApplyContext,
} from './seed-tracking.js';
import { ConflictError } from '../store/store.js';
import { UserRuleError, createUser, updateUser, type ActionContext, type UserChanges, type UserManagementDeps } from './user-management.js';

/** Who the audit log says made seed changes (Graph directoryAudit initiatedBy.app). */
const SEED_ACTOR: AuditIdentity = { app: { appId: 'portcullis-seed', displayName: 'Portcullis seed' } };

/** A seed file applied by the operator at start-up: no interactive admin, CAEP 'system'. */
export function seedAction(): ActionContext {
  return { actor: { app: { ...SEED_ACTOR.app! } }, correlationId: newGuid(), initiatingEntity: 'system' };
}

/** The entry's identity in the file: its id when it gives one, else its userPrincipalName. */
function userKey(u: SeedUser): string {
  return u.id !== undefined ? `id:${u.id}` : `upn:${u.userPrincipalName.toLowerCase()}`;
}

/**
 * The tracked properties of a user entry: every property but `id`, which is part of the key. A
 * new seed property is a compile error here until it is listed, so none escapes tracking.
 */
function userProperties(u: SeedUser): { [P in Exclude<keyof SeedUser, 'id'>]-?: unknown } {
  return {
    userPrincipalName: u.userPrincipalName,
    displayName: u.displayName,
    password: u.password,
    accountEnabled: u.accountEnabled,
    mail: u.mail,
    roles: u.roles,
  };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  return sa.size === new Set(b).size && b.every((x) => sa.has(x));
}

/** Properties (other than the password, which only argon2 could compare) whose stored value differs. */
function userDifferences(u: SeedUser, current: User): string[] {
  const differs: string[] = [];
  if (current.userPrincipalName !== u.userPrincipalName) differs.push('userPrincipalName');
  if (current.displayName !== u.displayName) differs.push('displayName');
  if (current.accountEnabled !== u.accountEnabled) differs.push('accountEnabled');
  if (current.mail !== u.mail) differs.push('mail');
  if (!sameSet(current.roleTemplateIds, u.roles)) differs.push('roles');
  return differs;
}

async function findSeedUser(store: Store, tenantId: string, u: SeedUser, path: string): Promise<User | null> {
  const byUpn = await store.users.findByUserPrincipalName(tenantId, u.userPrincipalName);
  if (u.id === undefined) return byUpn;
  if (byUpn && byUpn.id !== u.id)
    throw new SeedError(`${path}.id: '${u.userPrincipalName}' already exists with id ${byUpn.id}, not ${u.id}`);
  // With an explicit id, the id is the key: a changed userPrincipalName renames the user.
  return byUpn ?? (await store.users.findById(tenantId, u.id));
}

/**
 * The directory refused what the schema let through: in practice only a userPrincipalName another
 * user holds (the schema applies the directory's other rules already).
 */
async function asSeedError<T>(path: string, u: SeedUser, action: Promise<T>): Promise<T> {
  try {
    return await action;
  } catch (e) {
    if (!(e instanceof UserRuleError)) throw e;
    const v = e.violation;
    if (v.kind === 'duplicate_upn') throw new SeedError(`${path}.userPrincipalName: another user already has '${u.userPrincipalName}'`);
    const property = v.kind === 'invalid_value' ? v.property : v.kind === 'password_complexity' ? 'password' : 'userPrincipalName';
    throw new SeedError(`${path}.${property}: refused by the directory (${v.kind})`);
  }
}

async function createSeedUser(ctx: ApplyContext, deps: UserManagementDeps, u: SeedUser, path: string): Promise<string> {
  ctx.result.argon2++; // createUser hashes the password once
  const created = await asSeedError(
    path,
    u,
    raceAsConflict(
      createUser(
        deps,
        {
          ...(u.id !== undefined ? { id: u.id } : {}),
          userPrincipalName: u.userPrincipalName,
          displayName: u.displayName,
          // Graph requires a mailNickname and Entra's tools default it to the UPN's alias; the
          // directory does not store it, and an alias always meets the mailNickname rule.
          mailNickname: u.userPrincipalName.slice(0, u.userPrincipalName.lastIndexOf('@')),
          password: u.password,
          accountEnabled: u.accountEnabled,
          mail: u.mail,
          roleTemplateIds: u.roles,
        },
        seedAction(),
      ),
    ),
  );
  return created.id;
}

/**
 * findSeedUser found no user with this userPrincipalName or id just before, so a duplicate on
 * create means another instance applying the same seed created it meanwhile: that is the store's
 * ConflictError again, which `serve` answers with another pass that adopts the winner's row
 * (src/cli/commands/serve.ts, applySeedShared).
 */
async function raceAsConflict<T>(action: Promise<T>): Promise<T> {
  try {
    return await action;
  } catch (e) {
    if (e instanceof UserRuleError && e.violation.kind === 'duplicate_upn') throw new ConflictError('userPrincipalName');
    throw e;
  }
}

/** Applies the properties the file changed (and the store differs in); returns the ones written. */
async function updateSeedUser(
  ctx: ApplyContext,
  deps: UserManagementDeps,
  u: SeedUser,
  current: User,
  changed: readonly string[],
  path: string,
): Promise<string[]> {
  const differs = new Set(userDifferences(u, current));
  const apply = (property: string) => changed.includes(property) && differs.has(property);
  const changes: UserChanges = {};
  const written: string[] = [];
  if (apply('userPrincipalName')) changes.userPrincipalName = u.userPrincipalName;
  if (apply('displayName')) changes.displayName = u.displayName;
  if (apply('accountEnabled')) changes.accountEnabled = u.accountEnabled;
  if (apply('roles')) changes.roleTemplateIds = u.roles;
  written.push(...(['userPrincipalName', 'displayName', 'accountEnabled', 'roles'] as const).filter((p) => apply(p)));
  if (apply('mail')) {
    // Graph's user update has no mail change (user-management.ts); report rather than silently pretend.
    ctx.result.warnings.push(
      `user '${u.userPrincipalName}': mail differs from the seed but cannot be changed by a seed; it stays '${current.mail ?? ''}'`,
    );
  }
  // A password the file changed: verify first, so a store that already holds it (an administrator
  // set the same one) is not reset and revoked for nothing.
  if (changed.includes('password') && (current.passwordHash === null || !(await countedVerify(ctx, current.passwordHash, u.password)))) {
    changes.password = u.password;
    ctx.result.argon2++; // updateUser hashes it: a reset, which revokes like a revoke (docs/seed-file.md)
    written.push('password');
  }
  if (written.length > 0) await asSeedError(path, u, updateUser(deps, current, changes, seedAction()));
  return written;
}

/**
 * The users the seed's records point at, read in one query before the loop: a restart with an
 * unchanged file of thousands of users then costs no lookup per user (a round trip each on
 * PostgreSQL). Read once, so only existence and the name are taken from it; a user the file changed
 * is read again just before it is written.
 */
async function trackedUsers(ctx: ApplyContext): Promise<Map<string, User>> {
  const ids = [...ctx.records.values()].filter((r) => r.kind === 'user').map((r) => r.subjectId);
  return new Map((await ctx.store.users.findByIds(ctx.tenantId, ids)).map((u) => [u.id, u]));
}

async function applyUser(
  ctx: ApplyContext,
  deps: UserManagementDeps,
  users: ReadonlyMap<string, User>,
  u: SeedUser,
  path: string,
): Promise<void> {
  const key = userKey(u);
  const properties = userProperties(u);
  const record = recordOf(ctx, 'user', key);
  const known = record ? users.get(record.subjectId) : undefined;
  if (known && record && unchangedSince(ctx, record, properties)) {
    recordOutcome(ctx.result, 'user', known.userPrincipalName, 'unchanged');
    return;
  }
  const digests = digestsOf(ctx, 'user', key, properties);
  const changed = record ? changedSince(record, digests) : [];
  if (known && changed.length === 0) {
    recordOutcome(ctx.result, 'user', known.userPrincipalName, 'unchanged');
    return;
  }
  // A user the file changed is read again, as it is now, before anything is written to it.
  const tracked = record && known ? await ctx.store.users.findById(ctx.tenantId, record.subjectId) : null;
  if (record && tracked) {
    const written = await updateSeedUser(ctx, deps, u, tracked, changed, path);
    await track(ctx, 'user', key, tracked.id, digests);
    recordOutcome(ctx.result, 'user', u.userPrincipalName, written.length > 0 ? 'updated' : 'unchanged', written);
    return;
  }
  const existing = await findSeedUser(ctx.store, ctx.tenantId, u, path);
  if (existing) {
    // Not applied by this store before (or its user was replaced at runtime): keep what is there.
    await track(ctx, 'user', key, existing.id, digests);
    recordOutcome(ctx.result, 'user', existing.userPrincipalName, 'adopted', userDifferences(u, existing));
    return;
  }
  if (record) {
    // Applied before, deleted since: a deletion (often an incident response) is not undone by a
    // restart. The record stays, so this is reported on every start until the entry is removed.
    recordOutcome(ctx.result, 'user', u.userPrincipalName, 'skipped', ['deleted at runtime']);
    return;
  }
  const id = await createSeedUser(ctx, deps, u, path);
  await track(ctx, 'user', key, id, digests);
  recordOutcome(ctx.result, 'user', u.userPrincipalName, 'created');
}

export async function applySeedUsers(
  ctx: ApplyContext,
  tenant: Tenant,
  clock: UserManagementDeps['clock'],
  seed: Seed,
  tick: ProgressTick,
): Promise<void> {
  const deps: UserManagementDeps = { store: ctx.store, clock, tenant, hashSecret: ctx.hashSecret };
  const users = await trackedUsers(ctx);
  for (const [i, u] of seed.users.entries()) {
    await applyUser(ctx, deps, users, u, `users[${i}]`);
    tick(i + 1, ctx.result.argon2);
  }
  await forgetRemoved(ctx, 'user', new Set(seed.users.map(userKey)));
}
