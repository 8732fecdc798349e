import type Database from 'better-sqlite3';
import { WriteIntent } from './write-intent.js';

/**
 * Group commit for the SQLite store (BENCHMARKS.md, "Optimisation log"). With synchronous=FULL every
 * COMMIT waits for an fsync (0.3–1 ms on a quiet disk, several ms on a busy one), and it blocks
 * the event loop while it does. Writes asked for in the same turn of the event loop — refresh-
 * token rotations, revocations — are therefore applied one after the other, each in its own
 * SAVEPOINT, inside ONE `BEGIN IMMEDIATE` transaction, and every caller is answered only after
 * that transaction has committed: one fsync per batch instead of one per write.
 *
 * What each caller keeps: its work reads and writes inside the committing transaction, so checks
 * and writes stay atomic (I1, I4 in docs/revocation-model.md); a work that throws undoes only its own savepoint and
 * rejects only its own promise; nobody is answered before the fsync that covers its write (I3).
 * A later work in the batch sees the earlier ones' writes (e.g. a rotation queued after a revoke
 * of the same user is refused).
 *
 * `urgent` work (revocations) jumps the queue: see flush(). A few rotations asked right after a
 * commit wait a moment for more: see schedule().
 */
interface Pending {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Bounds how long one group commit holds SQLite's write lock (and blocks the event loop). */
export const MAX_WRITES_PER_COMMIT = 256;

export interface GatherOptions {
  /** How long rotations wait for company after a commit; 0 = never (default 1 ms). */
  gatherMs?: number;
  /** From this many queued rotations on, they commit without waiting (default 4). */
  gatherBelow?: number;
  /** A monotonic clock in milliseconds (tests). */
  now?: () => number;
}

export class GroupCommit {
  private urgent: Pending[] = [];
  private normal: Pending[] = [];
  private scheduled = false;
  private normalOwed = false;
  /** The timer of rotations waiting for company, while they wait. */
  private gathering: NodeJS.Timeout | null = null;
  /** When the last commit ended (this.now()). */
  private lastCommitEnd = Number.NEGATIVE_INFINITY;
  private readonly gatherMs: number;
  private readonly gatherBelow: number;
  private readonly now: () => number;

  constructor(
    private readonly db: Database.Database,
    private readonly intent: WriteIntent = new WriteIntent(),
    gather: GatherOptions = {},
  ) {
    this.gatherMs = gather.gatherMs ?? 1;
    this.gatherBelow = gather.gatherBelow ?? 4;
    this.now = gather.now ?? (() => performance.now());
  }

  /** Runs `work` in the next group commit; resolves with its result once that has committed. */
  run<T>(work: () => T, options: { urgent?: boolean } = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      // Announced from now until its commit ends: a cleanup thread commits early and keeps off the lock.
      this.intent.begin();
      const p: Pending = { work, resolve: resolve as (v: unknown) => void, reject };
      (options.urgent ? this.urgent : this.normal).push(p);
      this.schedule();
    });
  }

  /**
   * When the event loop gets a core as soon as it wants one (the thread pool below it,
   * src/cli/thread-pool-priority.ts), refreshes reach it one at a time and each rotation would
   * commit alone: a BEGIN, a COMMIT and an fsync per refresh, which cost the event loop 1.5× the
   * CPU per refresh (BENCHMARKS.md, optimisations 19 and 22). So rotations that find
   * fewer than `gatherBelow` queued within `gatherMs` of the last commit wait up to `gatherMs`
   * for company, like PostgreSQL's commit_delay
   * (https://www.postgresql.org/docs/current/runtime-config-wal.html#GUC-COMMIT-DELAY). A revoke
   * never waits: it ends the wait at once, and the rotations it finds commit right after it; nor
   * do rotations once `gatherBelow` of them are queued.
   */
  private schedule(): void {
    if (this.scheduled) {
      if (this.gathering && (this.urgent.length > 0 || this.normal.length >= this.gatherBelow)) {
        clearTimeout(this.gathering);
        this.gathering = null;
        setImmediate(() => this.fire());
      }
      return;
    }
    this.scheduled = true;
    const gather =
      this.gatherMs > 0 &&
      this.urgent.length === 0 &&
      !this.normalOwed &&
      this.normal.length < this.gatherBelow &&
      this.now() - this.lastCommitEnd < this.gatherMs;
    if (gather) {
      this.gathering = setTimeout(() => {
        this.gathering = null;
        this.fire();
      }, this.gatherMs);
      return;
    }
    // setImmediate: after the I/O callbacks of this turn, so every request that arrived in the
    // same turn has queued its write by then.
    setImmediate(() => this.fire());
  }

  private fire(): void {
    this.scheduled = false;
    this.flush();
  }

  /**
   * Urgent work (revocations) commits in a transaction of its own, before the rotations queued
   * in the same turn, and its callers are answered before those rotations are even applied: a
   * revoke's answer then waits for the revokes' work and one fsync only, not for the checks and
   * writes of up to MAX_WRITES_PER_COMMIT rotations (B2: revoke latency under refresh load).
   * Revokes still share commits among themselves (B3: bulk revocation). The rotations follow in
   * the next turn, so the revokes' answers are written out first.
   */
  private flush(): void {
    // After an urgent commit the queued rotations get the next one, so that a steady stream of
    // revocations cannot starve them.
    const urgentNow = this.urgent.length > 0 && !this.normalOwed;
    const batch = (urgentNow ? this.urgent : this.normal).splice(0, MAX_WRITES_PER_COMMIT);
    this.normalOwed = urgentNow && this.normal.length > 0;
    if (this.urgent.length > 0 || this.normal.length > 0) this.schedule();
    this.commit(batch);
  }

  private commit(batch: Pending[]): void {
    if (batch.length === 0) return;
    try {
      this.apply(batch);
    } finally {
      this.lastCommitEnd = this.now();
      this.intent.end(batch.length);
    }
  }

  private apply(batch: Pending[]): void {
    const outcomes: Outcome[] = [];
    try {
      this.db
        .transaction(() => {
          for (const p of batch) {
            try {
              // A nested better-sqlite3 transaction is a SAVEPOINT: a work that throws undoes
              // only its own writes.
              outcomes.push({ ok: true, value: this.db.transaction(p.work)() });
            } catch (error) {
              // After SQLITE_FULL, SQLITE_IOERR and a few others SQLite may have rolled back the
              // WHOLE transaction, not just the savepoint: the earlier works of the batch are gone
              // too, and going on would run the later ones outside any transaction. Abort the
              // batch; every caller is refused and nothing of it is applied.
              if (!this.db.inTransaction) throw error;
              outcomes.push({ ok: false, error });
            }
          }
        })
        .immediate();
    } catch (error) {
      // BEGIN or COMMIT failed (disk full, I/O error, closed): nothing of the batch was applied.
      for (const p of batch) p.reject(error);
      return;
    }
    batch.forEach((p, i) => {
      const o = outcomes[i] as Outcome;
      if (o.ok) p.resolve(o.value);
      else p.reject(o.error);
    });
  }
}
