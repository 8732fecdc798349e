/**
 * Seed files: a declarative description of a tenant, its users and its applications
 * (docs/seed-file.md). `parseSeed` (seed-schema.ts) validates untrusted JSON into a normalised
 * `Seed`; `applySeed` applies what the file changed since it was last applied, and nothing else —
 * so `serve --seed` can run on every start without undoing what administrators changed at runtime.
 *
 * seed-schema.ts      the file's shape, its messages, parseSeed
 * seed-tracking.ts    which properties the file changed since last applied (keyed digests)
 * seed-users.ts       users, through the one user lifecycle (user-management.ts)
 * seed-groups.ts      groups and their members, through group-management.ts
 * seed-applications.ts applications
 * seed-outcome.ts     what applying did, entry by entry
 * seed-progress.ts    progress lines while thousands of users are applied
 * demo-seed.ts        the demo tenant of a first `serve` without a seed file
 */
import type { Clock } from '../clock.js';
import { hashSecret, type SecretHasher } from '../crypto/passwords.js';
import type { Store } from '../store/store.js';
import type { Tenant } from './model.js';
import { applySeedApplications } from './seed-applications.js';
import { applySeedGroups } from './seed-groups.js';
import { emptySeedResult, recordOutcome, type SeedResult } from './seed-outcome.js';
import { progressTicker, type SeedProgressOptions } from './seed-progress.js';
import { SeedError, type Seed } from './seed-schema.js';
import { loadTracking, type ApplyContext } from './seed-tracking.js';
import { applySeedUsers } from './seed-users.js';

export { DEMO_CLI_APP_ID, DEMO_DOMAIN, DEMO_WEB_APP_ID, demoSeed } from './demo-seed.js';
export type { SeedEntryOutcome, SeedOutcome, SeedResult } from './seed-outcome.js';
export type { SeedProgress, SeedProgressOptions } from './seed-progress.js';
export {
  SeedError,
  parseSeed,
  type Seed,
  type SeedApplication,
  type SeedGroup,
  type SeedSecret,
  type SeedTenant,
  type SeedUser,
} from './seed-schema.js';

/**
 * The tenant has no runtime editor (no Graph organization update), so there is nothing to keep:
 * its domain and display name are compared and applied on every start, without a record.
 */
async function applyTenant(ctx: ApplyContext, seed: Seed): Promise<Tenant> {
  const existing = await ctx.store.tenants.get();
  if (!existing) {
    const created = { ...seed.tenant, createdAt: ctx.now };
    await ctx.store.tenants.insert(created);
    recordOutcome(ctx.result, 'tenant', seed.tenant.domain, 'created');
    return created;
  }
  if (existing.id !== seed.tenant.id) {
    throw new SeedError(
      `tenant.id: this store already holds tenant ${existing.id} (${existing.domain}); a store holds one tenant, so use a new data directory for ${seed.tenant.id}`,
    );
  }
  const changed = (['domain', 'displayName'] as const).filter((p) => existing[p] !== seed.tenant[p]);
  if (changed.length === 0) {
    recordOutcome(ctx.result, 'tenant', seed.tenant.domain, 'unchanged');
    return existing;
  }
  const updated = { ...existing, domain: seed.tenant.domain, displayName: seed.tenant.displayName };
  await ctx.store.tenants.update(updated);
  recordOutcome(ctx.result, 'tenant', seed.tenant.domain, 'updated', [...changed]);
  return updated;
}

export interface ApplySeedOptions extends SeedProgressOptions {
  /** How passwords and client secrets are hashed; default argon2id. The test kit passes a memo of the same hashes. */
  hashSecret?: SecretHasher;
}

/**
 * Brings the store in line with what the file changed since it was last applied
 * (seed-tracking.ts). Counts cover the tenant, users, groups and applications. Users, groups and
 * applications the seed does not mention are left alone; a group's members, when the file changes
 * them, become exactly those the file lists; an application's secrets, when the file changes
 * them, become exactly those the file lists. `options.onProgress` hears how far the users are on
 * big seeds (seed-progress.ts).
 */
export async function applySeed(store: Store, seed: Seed, clock: Clock, options: ApplySeedOptions = {}): Promise<SeedResult> {
  const now = clock.now();
  const result = emptySeedResult();
  const tracking = await loadTracking(store, now);
  const ctx: ApplyContext = { store, tenantId: seed.tenant.id, now, result, hashSecret: options.hashSecret ?? hashSecret, ...tracking };
  const tenant = await applyTenant(ctx, seed);
  await applySeedUsers(ctx, tenant, clock, seed, progressTicker(seed.users.length, options));
  await applySeedGroups(ctx, { store, clock, tenant }, seed);
  await applySeedApplications(ctx, seed);
  return result;
}
