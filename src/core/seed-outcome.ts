/** What applying a seed did, entry by entry: what `serve --seed` prints (cli/seed-report.ts). */

/**
 * What applying did to one entry. `created`: it did not exist. `updated`: the file changed it
 * since it was last applied and the store differed, so the changed properties were written.
 * `unchanged`: nothing written. `skipped`: the file's entry was applied before, and its user or
 * application is gone (deleted at runtime), so it is not recreated. `adopted`: it existed before
 * this store tracked the entry (an upgrade, or created at runtime); it is left as it is and
 * tracked from now on.
 */
export type SeedOutcome = 'created' | 'updated' | 'unchanged' | 'skipped' | 'adopted';

export interface SeedEntryOutcome {
  kind: 'tenant' | 'user' | 'group' | 'application';
  /** A user's userPrincipalName, a group's displayName, an application's "displayName [appId]", the tenant's domain. */
  name: string;
  outcome: SeedOutcome;
  /**
   * updated: the properties written; adopted: the properties whose stored value differs from the
   * file's (kept); skipped: why. Names only — never a value, so never a password.
   */
  details: string[];
}

export interface SeedResult {
  created: number;
  updated: number;
  unchanged: number;
  skipped: number;
  adopted: number;
  /** Every entry (tenant first, then users, groups and applications in file order). */
  entries: SeedEntryOutcome[];
  /** argon2 hashes and verifications run: none for entries the file did not change. */
  argon2: number;
  /** Differences the seed could not apply (reported, never fatal). */
  warnings: string[];
}

export function emptySeedResult(): SeedResult {
  return { created: 0, updated: 0, unchanged: 0, skipped: 0, adopted: 0, entries: [], argon2: 0, warnings: [] };
}

export function recordOutcome(
  result: SeedResult,
  kind: SeedEntryOutcome['kind'],
  name: string,
  outcome: SeedOutcome,
  details: string[] = [],
): void {
  result[outcome]++;
  result.entries.push({ kind, name, outcome, details });
}
