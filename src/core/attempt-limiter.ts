import type { Clock } from '../clock.js';
import type { LockoutStore } from '../store/store.js';
import { ACTIVITY } from './audit.js';
import { GateFull, KeyedGate } from './keyed-gate.js';
import { afterFailure, lockedForSeconds, type LockoutPolicy, type LockoutState } from './lockout.js';
import type { AuditRecord, AuditTarget } from './model.js';
import { newTimeOrderedGuid } from '../crypto/random.js';

/** One counter an attempt is charged to, with the policy that governs it (null = no limit). */
export interface Subject {
  key: string;
  policy: LockoutPolicy | null;
  /** Who the audit record of a lock names (a user), if anyone; sources and clients go by key. */
  target?: AuditTarget;
  /**
   * How many attempts charged to this subject may be between their lock check and their
   * failure count at once on this instance (default 1): the most a burst can overshoot by.
   */
  concurrency?: number;
}

/**
 * Applies lockout policies to the durable counters (Store.lockouts): asks whether any subject
 * of an attempt is locked before a secret is checked, charges a failure to every subject, and
 * writes an audit record, in the same transaction, when a failure starts a lock.
 */
export class AttemptLimiter {
  private readonly gate = new KeyedGate();

  constructor(
    private readonly store: LockoutStore,
    private readonly clock: Clock,
    private readonly tenantId: string,
  ) {}

  /**
   * Runs one attempt — lock check, secret check, failure count — with the subjects' gates held
   * (core/keyed-gate.ts), so parallel guesses are counted one after another instead of all
   * passing the check at once. `busy` answers when too many attempts already wait.
   */
  async exclusive<T>(subjects: readonly Subject[], attempt: () => Promise<T>, busy: () => T): Promise<T> {
    const gated = subjects
      .filter((s) => s.policy)
      .reduceRight<() => Promise<T>>((inner, s) => () => this.gate.run(s.key, s.concurrency ?? 1, inner), attempt);
    try {
      return await gated();
    } catch (e) {
      if (e instanceof GateFull) return busy();
      throw e;
    }
  }

  /** Seconds the longest-locked subject is still locked for; 0 when none is. */
  async lockedFor(subjects: readonly Subject[]): Promise<number> {
    const now = this.clock.now();
    let seconds = 0;
    for (const s of subjects) {
      if (!s.policy) continue;
      seconds = Math.max(seconds, lockedForSeconds(await this.store.get(s.key, now), now));
    }
    return seconds;
  }

  async recordFailure(subjects: readonly Subject[], correlationId: string): Promise<void> {
    const now = this.clock.now();
    for (const s of subjects) {
      const policy = s.policy;
      if (!policy) continue;
      await this.store.update(s.key, now, (current) => {
        const { state, locked } = afterFailure(current, s.key, now, policy);
        return { state, audit: locked ? [this.lockRecord(s, state, correlationId)] : [] };
      });
    }
  }

  /** Forgets the subject's failures; a read first, so the common case (none) writes nothing. */
  async reset(subject: Subject): Promise<void> {
    if (subject.policy && (await this.store.get(subject.key, this.clock.now()))) await this.store.clear(subject.key);
  }

  private lockRecord(s: Subject, state: LockoutState, correlationId: string): AuditRecord {
    const until = new Date(state.lockedUntil ?? state.lastFailureAt).toISOString();
    return {
      id: newTimeOrderedGuid(),
      tenantId: this.tenantId,
      activityDateTime: state.lastFailureAt,
      activityDisplayName: ACTIVITY.lockout,
      category: 'UserManagement',
      loggedByService: 'Authentication Methods',
      operationType: 'Update',
      result: 'success',
      resultReason: `${s.key} locked until ${until} after ${state.failures} failed attempts`,
      correlationId,
      initiatedBy: {},
      targetResources: s.target ? [s.target] : [],
    };
  }
}
