import Database from 'better-sqlite3';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import { CommitSignal } from '../commit-signal.js';
import type { CleanupReport, PurgeKind } from '../store.js';
import { type CleanupOptions, type CleanupRun, startCleanupWorker } from './cleanup-worker.js';
import { GroupCommit } from './group-commit.js';
import { WriteIntent } from './write-intent.js';
import { migrate } from './migrations.js';
import { createPrivateFile, ensurePrivateDir } from '../private-files.js';

/**
 * The background checkpointer (BENCHMARKS.md, B4 and optimisation 5). In WAL mode every commit appends pages to the -wal
 * file, and SQLite copies them back into the database file ("checkpoint") from inside whichever
 * commit crosses wal_autocheckpoint (1000) pages: under refresh load that is several times a
 * second, each a stall of the event loop that writes ~1000 pages to random places of the database
 * and fsyncs it — the larger the database, the longer (B4: refresh and revoke p99 at 1M users).
 * This thread, with its own connection, runs a PASSIVE checkpoint (it never blocks writers or
 * readers and skips what it cannot copy yet) every CHECKPOINT_INTERVAL_MS, so that work happens
 * off the event loop. The connection's own autocheckpoint stays on: it lets the WAL restart from
 * its beginning, and by the time it fires nearly every page has been copied already.
 * Inline (eval) code: the same worker runs from src/ under tsx and from dist/.
 */
const CHECKPOINTER = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('synchronous = FULL');
db.pragma('busy_timeout = 0');
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy: next time */ }
}, workerData.intervalMs);
parentPort.once('message', () => {
  clearInterval(timer);
  try { db.close(); } catch { /* already gone */ }
  parentPort.close();
});
`;
const CHECKPOINT_INTERVAL_MS = 100;

/** An open SQLite database with a statement cache; the adapters share one. */
export class SqliteDb {
  readonly db: Database.Database;
  private readonly cache = new Map<string, Database.Statement>();
  private checkpointer: { worker: Worker; exited: Promise<void> } | null = null;
  /** Retention cleanups running on their own threads (cleanup-worker.ts); close() stops them. */
  private readonly cleanups = new Set<CleanupRun>();
  /** Fired after a transaction that wrote an outbox event committed (outbox.ts). */
  readonly outboxCommitted = new CommitSignal();
  /** Durable writes that share one commit with the others of their event-loop turn. */
  readonly groupCommit: GroupCommit;
  /** This connection's queued and running writes, which a cleanup thread gives way to (write-intent.ts). */
  readonly writeIntent = new WriteIntent();

  constructor(readonly file: string) {
    if (file !== ':memory:') {
      ensurePrivateDir(dirname(file));
      createPrivateFile(file);
    }
    this.db = new Database(file);
    // WAL lets readers run beside the writer; synchronous=FULL makes every commit durable
    // before it returns, which an acknowledged revoke requires (I3, docs/revocation-model.md).
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.groupCommit = new GroupCommit(this.db, this.writeIntent);
    if (file !== ':memory:') {
      const worker = new Worker(CHECKPOINTER, {
        eval: true,
        workerData: { driver: createRequire(import.meta.url).resolve('better-sqlite3'), file, intervalMs: CHECKPOINT_INTERVAL_MS },
      });
      // It must never keep a process alive, and a failure of it only costs speed.
      worker.unref();
      worker.on('error', () => undefined);
      this.checkpointer = { worker, exited: new Promise((resolve) => worker.once('exit', () => resolve())) };
    }
  }

  stmt(sql: string): Database.Statement {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.cache.set(sql, s);
    }
    return s;
  }

  /** Runs fn in a BEGIN IMMEDIATE transaction (takes the write lock up front). */
  tx<T>(fn: () => T): T {
    this.writeIntent.begin();
    try {
      return this.db.transaction(fn).immediate();
    } finally {
      this.writeIntent.end();
    }
  }

  /**
   * fn in a BEGIN IMMEDIATE transaction whose commit does not wait for fsync (synchronous=NORMAL
   * for its duration: in WAL mode the commit is atomic and survives a process crash, and only an
   * OS crash or power loss can undo it). For bookkeeping whose loss is harmless: the outbox's
   * claims, plans and delivery outcomes (a lost one means a re-plan under the unique key or a
   * repeated delivery with the same jti, both allowed by at-least-once). The next FULL commit
   * (any revoke) fsyncs the WAL, these transactions included.
   */
  txRelaxed<T>(fn: () => T): T {
    this.db.pragma('synchronous = NORMAL');
    try {
      return this.tx(fn);
    } finally {
      this.db.pragma('synchronous = FULL');
    }
  }

  /**
   * Whether a second connection (another thread's) can open this database: a file can, an
   * in-memory or temporary database (':memory:', the testing kit's, or '') cannot, being private
   * to this connection.
   */
  get shareable(): boolean {
    return !this.db.memory && this.file !== '';
  }

  /**
   * Runs a retention cleanup at `cutoffs` on its own thread and connection (cleanup-worker.ts);
   * null when this database cannot be shared (`shareable`). close() stops it.
   */
  startCleanup(cutoffs: Record<PurgeKind, number>, options?: Partial<CleanupOptions>): CleanupRun | null {
    if (!this.shareable || !this.db.open) return null;
    const run = startCleanupWorker(this.file, cutoffs, this.writeIntent.shared, options);
    this.cleanups.add(run);
    const forget = () => this.cleanups.delete(run);
    run.done.then(forget, forget);
    return run;
  }

  /** What the running cleanup has done so far (its last transaction's report); null if none runs. */
  cleanupProgress(): CleanupReport | null {
    for (const run of this.cleanups) return run.progress();
    return null;
  }

  migrate(now: number): number[] {
    return migrate(this.db, now);
  }

  /**
   * Closes the connection and waits until the checkpointer has closed its own, so that when this
   * resolves nothing of this store holds the file (a caller may then delete it or change its
   * journal mode).
   */
  async close(): Promise<void> {
    const checkpointer = this.checkpointer;
    this.checkpointer = null;
    this.cache.clear();
    if (this.db.open) this.db.close();
    // A running cleanup stops after its current transaction and closes its connection.
    const cleanups = [...this.cleanups].map((run) => {
      run.stop();
      return run.done.then(
        () => undefined,
        () => undefined,
      );
    });
    await Promise.all(cleanups);
    if (!checkpointer) return;
    // Keep the process alive until it is gone (otherwise an awaiting caller's loop may just end).
    checkpointer.worker.ref();
    checkpointer.worker.postMessage('close');
    // It closes its connection and exits within one checkpoint; never wait longer than a second.
    const timer = setTimeout(() => void checkpointer.worker.terminate(), 1000);
    timer.unref();
    await checkpointer.exited;
    clearTimeout(timer);
  }
}
