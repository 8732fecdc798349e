/**
 * Which properties of a seed entry the file changed since it was last applied.
 *
 * Each user and application entry has a record in the store (SeedStateStore): which user or
 * application it was applied to, and a keyed digest of each of its properties as the file said
 * then (seed-digest.ts). A start compares digests, not values: a property the file did not change
 * since is left as the store has it — whatever an administrator changed at runtime (a password
 * reset, a disable) stays — and costs no argon2. A property the file changed is applied.
 *
 * Beside the per-property digests a record holds one of the entry as a whole (WHOLE_ENTRY): on a
 * restart nearly every entry is unchanged, and that one HMAC says so for all its properties at
 * once (bench/b6-big-seed.ts: six HMACs per user were most of an unchanged 10,000-user restart).
 * Only an entry whose whole digest differs, or a record written before it was kept, has its
 * properties compared one by one.
 */
import { verifySecret, type SecretHasher } from '../crypto/passwords.js';
import type { KeyObject } from 'node:crypto';
import type { SeedEntryRecord, Store } from '../store/store.js';
import type { SeedResult } from './seed-outcome.js';
import { keyedDigest, newSeedDigestKey, propertyDigest, seedDigestKey } from './seed-digest.js';

/** What applying one seed needs: the store, the moment, the digest key and the records so far. */
export interface ApplyContext {
  store: Store;
  tenantId: string;
  now: number;
  digestKey: KeyObject;
  records: Map<string, SeedEntryRecord>;
  result: SeedResult;
  /** crypto/passwords.ts hashSecret, unless the caller gave a memo of it (applySeed's options). */
  hashSecret: SecretHasher;
}

type Kind = SeedEntryRecord['kind'];

const recordId = (kind: Kind, key: string): string => `${kind}\u0000${key}`;

/** The digest of the whole entry, under a name no seed property has. */
const WHOLE_ENTRY = '*';

export async function loadTracking(store: Store, now: number): Promise<Pick<ApplyContext, 'digestKey' | 'records'>> {
  const digestKey = seedDigestKey(await store.seedState.digestKey(newSeedDigestKey(), now));
  const records = new Map((await store.seedState.list()).map((r) => [recordId(r.kind, r.key), r]));
  return { digestKey, records };
}

export function recordOf(ctx: ApplyContext, kind: Kind, key: string): SeedEntryRecord | undefined {
  return ctx.records.get(recordId(kind, key));
}

/**
 * HMAC-SHA-256 of the entry's properties as plain JSON, in the order the caller lists them. Not
 * canonical (seed-digest.ts canonicalJson is, and costs more than the HMAC): equal text proves
 * every property equal, and a text that differs only by order costs the property-by-property
 * comparison, never a wrong answer.
 */
const wholeDigest = (ctx: ApplyContext, kind: Kind, key: string, values: Record<string, unknown>): string =>
  keyedDigest(ctx.digestKey, JSON.stringify([ctx.tenantId, kind, key, WHOLE_ENTRY, values]));

/** The digest of each property, and of the whole entry: what track() keeps. */
export function digestsOf(ctx: ApplyContext, kind: Kind, key: string, values: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [property, value] of Object.entries(values))
    out[property] = propertyDigest(ctx.digestKey, [ctx.tenantId, kind, key, property], value);
  out[WHOLE_ENTRY] = wholeDigest(ctx, kind, key, values);
  return out;
}

/**
 * True when the record's whole-entry digest matches: no property changed, and none needs its own
 * digest. False says only "compare property by property" (changedSince), also for a record that
 * has no whole-entry digest yet.
 */
export function unchangedSince(ctx: ApplyContext, record: SeedEntryRecord, values: Record<string, unknown>): boolean {
  const stored = record.digests[WHOLE_ENTRY];
  return stored !== undefined && stored === wholeDigest(ctx, record.kind, record.key, values);
}

/** Properties whose digest differs from the record's (a property the record lacks counts as changed). */
export function changedSince(record: SeedEntryRecord, digests: Record<string, string>): string[] {
  return Object.keys(digests).filter((p) => p !== WHOLE_ENTRY && record.digests[p] !== digests[p]);
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
