/**
 * Which properties of a seed entry the file changed since it was last applied.
 *
 * Each user and application entry has a record in the store (SeedStateStore): which user or
 * application it was applied to, and a keyed digest of each of its properties as the file said
 * then (seed-digest.ts). A start compares digests, not values: a property the file did not change
 * since is left as the store has it — whatever an administrator changed at runtime (a password
 * reset, a disable) stays — and costs no argon2. A property the file changed is applied.
 */
import { verifySecret, type SecretHasher } from '../crypto/passwords.js';
import type { SeedEntryRecord, Store } from '../store/store.js';
import type { SeedResult } from './seed-outcome.js';
import { newSeedDigestKey, propertyDigest } from './seed-digest.js';

/** What applying one seed needs: the store, the moment, the digest key and the records so far. */
export interface ApplyContext {
  store: Store;
  tenantId: string;
  now: number;
  digestKey: string;
  records: Map<string, SeedEntryRecord>;
  result: SeedResult;
  /** crypto/passwords.ts hashSecret, unless the caller gave a memo of it (applySeed's options). */
  hashSecret: SecretHasher;
}

type Kind = SeedEntryRecord['kind'];

const recordId = (kind: Kind, key: string): string => `${kind}\u0000${key}`;

export async function loadTracking(store: Store, now: number): Promise<Pick<ApplyContext, 'digestKey' | 'records'>> {
  const digestKey = await store.seedState.digestKey(newSeedDigestKey(), now);
  const records = new Map((await store.seedState.list()).map((r) => [recordId(r.kind, r.key), r]));
  return { digestKey, records };
}

export function recordOf(ctx: ApplyContext, kind: Kind, key: string): SeedEntryRecord | undefined {
  return ctx.records.get(recordId(kind, key));
}

export function digestsOf(ctx: ApplyContext, kind: Kind, key: string, values: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [property, value] of Object.entries(values))
    out[property] = propertyDigest(ctx.digestKey, [ctx.tenantId, kind, key, property], value);
  return out;
}

/** Properties whose digest differs from the record's (a property the record lacks counts as changed). */
export function changedSince(record: SeedEntryRecord, digests: Record<string, string>): string[] {
  return Object.keys(digests).filter((p) => record.digests[p] !== digests[p]);
}

export async function track(ctx: ApplyContext, kind: Kind, key: string, subjectId: string, digests: Record<string, string>): Promise<void> {
  const record: SeedEntryRecord = { kind, key, subjectId, digests, appliedAt: ctx.now };
  await ctx.store.seedState.put(record);
  ctx.records.set(recordId(kind, key), record);
}

/** Forgets the records of entries the file no longer has (a seed never deletes the users themselves). */
export async function forgetRemoved(ctx: ApplyContext, kind: Kind, keys: ReadonlySet<string>): Promise<void> {
  const gone = [...ctx.records.values()].filter((r) => r.kind === kind && !keys.has(r.key)).map((r) => r.key);
  if (gone.length > 0) await ctx.store.seedState.remove(kind, gone);
}

/** argon2, counted: the count is what shows that an unchanged entry costs none. */
export function countedHash(ctx: ApplyContext, plain: string): Promise<string> {
  ctx.result.argon2++;
  return ctx.hashSecret(plain);
}

export function countedVerify(ctx: ApplyContext, stored: string, plain: string): Promise<boolean> {
  ctx.result.argon2++;
  return verifySecret(stored, plain);
}
