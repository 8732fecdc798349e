import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { PURGE_ORDER } from '../../core/retention.js';
import { PURGE_SQL, PURGE_START, type PurgeSpec, purgeEnd } from '../sql/retention.js';
import type { CleanupReport, PurgeCursor, PurgeKind } from '../store.js';

/**
 * The retention cleanup of a SQLite database in a file, on a worker thread with its own
 * better-sqlite3 connection (as the WAL checkpointer in database.ts): better-sqlite3 runs a
 * statement synchronously, so a delete on the server's connection holds the event loop, and a
 * revoke that arrives meanwhile waits for it. Here the event loop runs no delete; a revoke (any
 * write of the server's connection) waits at most for SQLite's write lock while one short
 * transaction of this thread finishes (both connections have a busy_timeout).
 *
 * Each write transaction deletes rows for at most CLEANUP_TX_BUDGET_MS (the rows it takes are
 * adapted to the time the previous transactions took, commit included), then the thread sleeps at
 * least CLEANUP_PAUSE_MS and CLEANUP_YIELD_FACTOR times as long as the transaction took, so the
 * server's writes (which retry a busy lock after 1, 2, 5, 10 ms: SQLite's busy handler,
 * sqlite.org/c3ref/busy_timeout.html) take the lock in between. Larger transactions than the
 * in-loop batches of core/retention.ts: an index page shared by many deleted rows is written to
 * the WAL once per transaction. Commits do not wait for an fsync (synchronous=NORMAL), like
 * SqliteRetentionStore.purge: what is deleted is dead already; the server's next durable commit
 * syncs the WAL.
 *
 * The statements are store/sql/retention.ts PURGE_SQL, passed as data; the code below interprets
 * them as SqliteRetentionStore.purge (sign-ins.ts) does. Inline (eval) code: the same worker runs
 * from src/ under tsx and from dist/. It reports progress after each transaction and the error
 * message (no SQL values) if a statement fails; the run then ends and the caller reports the
 * failure (core/retention.ts: the next run retries).
 */
const CLEANUP_WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const o = workerData.options;
const intent = workerData.intent;
let stopping = false;
parentPort.on('message', (m) => { if (m === 'stop') stopping = true; });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// This thread's CPU time (Linux: utime + stime of /proc/thread-self/stat, in clock ticks of 10 ms); null elsewhere.
const cpuMs = () => {
  try {
    const f = require('node:fs').readFileSync('/proc/thread-self/stat', 'utf8');
    const v = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(v[11]) + Number(v[12])) * 10;
  } catch { return null; }
};
const bind = (args, v) => args.map((a) =>
  a === 'cutoff' ? v.cutoff : a === 'limit' ? v.limit :
  a === 'fromAt' ? v.from.at : a === 'fromId' ? v.from.id : a === 'endAt' ? v.end.at : v.end.id);
async function main() {
  const db = new Database(workerData.file, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = ' + o.busyTimeoutMs);
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    const cpu0 = cpuMs();
    const report = { deleted: {}, busyMs: {}, transactions: 0, longestTransactionMs: 0, stopped: false, cpuMs: null };
    let rows = o.startRows;
    for (const { kind, cutoff, last, spec } of workerData.plan) {
      report.deleted[kind] = 0;
      report.busyMs[kind] = 0;
      const remove = db.prepare(spec.remove.sql);
      const pageEnd = spec.pageEnd ? db.prepare(spec.pageEnd.sql) : null;
      let from = workerData.start;
      let done = false;
      while (!done) {
        if (stopping) { report.stopped = true; break; }
        // Keep off the write lock while the server's connection writes (or is about to), for a while at most.
        for (let waited = 0; Atomics.load(intent, 0) > 0 && waited < o.maxDeferMs && !stopping; waited++) await sleep(1);
        if (stopping) { report.stopped = true; break; }
        const t0 = performance.now();
        let examined = 0;
        db.exec('BEGIN IMMEDIATE');
        try {
          while (!done && examined < rows && (examined === 0 || (performance.now() - t0 < o.budgetMs && Atomics.load(intent, 0) === 0))) {
            const limit = Math.min(o.stepRows, rows - examined);
            if (pageEnd) {
              const end = pageEnd.get(...bind(spec.pageEnd.args, { cutoff, limit, from }));
              const e = end ? { at: Number(end.at), id: String(end.id) } : last;
              report.deleted[kind] += remove.run(...bind(spec.remove.args, { cutoff, limit, from, end: e })).changes;
              if (end) from = e; else done = true;
            } else {
              const n = remove.run(...bind(spec.remove.args, { cutoff, limit })).changes;
              report.deleted[kind] += n;
              if (n < limit) done = true;
            }
            examined += limit;
          }
          db.exec('COMMIT');
        } catch (e) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw e;
        }
        const ms = performance.now() - t0;
        report.transactions++;
        report.busyMs[kind] += ms;
        if (ms > report.longestTransactionMs) report.longestTransactionMs = ms;
        // Aim the next transaction at the budget: the rows it may take follow the rate of this one.
        const target = (examined * o.budgetMs) / Math.max(ms, 0.05);
        rows = Math.max(o.minRows, Math.min(o.maxRows, Math.round((rows + target) / 2)));
        parentPort.postMessage({ progress: report });
        if (!done) await sleep(Math.max(o.pauseMs, ms * o.yieldFactor));
      }
      if (report.stopped) break;
    }
    const cpu1 = cpuMs();
    report.cpuMs = cpu0 === null || cpu1 === null ? null : cpu1 - cpu0;
    parentPort.postMessage({ done: report });
  } finally {
    db.close();
  }
}
main().catch((e) => {
  parentPort.postMessage({ error: (e && e.code ? e.code + ': ' : '') + (e && e.message ? e.message : String(e)) });
}).finally(() => parentPort.close());
`;

/** The longest a cleanup write transaction should run; the rows per transaction follow it. */
export const CLEANUP_TX_BUDGET_MS = 1;
/** Least sleep between two transactions. */
export const CLEANUP_PAUSE_MS = 10;
/** The sleep is also at least this many times the transaction before it. */
export const CLEANUP_YIELD_FACTOR = 2;

export interface CleanupOptions {
  budgetMs: number;
  pauseMs: number;
  yieldFactor: number;
  /** Rows one statement deletes (or examines) at most: a write of the server's waits for one such statement at most. */
  stepRows: number;
  /** How long it keeps off the write lock while the server's connection has writes queued, ms, before it takes its turn anyway. */
  maxDeferMs: number;
  startRows: number;
  minRows: number;
  maxRows: number;
  busyTimeoutMs: number;
}

export const CLEANUP_DEFAULTS: CleanupOptions = {
  budgetMs: CLEANUP_TX_BUDGET_MS,
  pauseMs: CLEANUP_PAUSE_MS,
  yieldFactor: CLEANUP_YIELD_FACTOR,
  stepRows: 16,
  maxDeferMs: 100,
  startRows: 100,
  minRows: 10,
  maxRows: 20_000,
  busyTimeoutMs: 5000,
};

/** A cleanup run on its own thread; `done` settles once the thread has closed its connection and exited. */
export interface CleanupRun {
  done: Promise<CleanupReport>;
  /** Asks it to stop after its current transaction. */
  stop(): void;
  /** The last progress it reported (after each transaction). */
  progress(): CleanupReport | null;
}

/** Every kind present (a stopped run did not reach the last ones). */
function complete(r: CleanupReport): CleanupReport {
  const zeros = () => Object.fromEntries(PURGE_ORDER.map((k) => [k, 0])) as Record<PurgeKind, number>;
  return { ...r, deleted: { ...zeros(), ...r.deleted }, busyMs: { ...zeros(), ...r.busyMs } };
}

/** Starts the cleanup of `file` at `cutoffs` on a worker thread. */
export function startCleanupWorker(
  file: string,
  cutoffs: Record<PurgeKind, number>,
  intent: Int32Array,
  options: Partial<CleanupOptions> = {},
): CleanupRun {
  const plan: { kind: PurgeKind; cutoff: number; last: PurgeCursor; spec: PurgeSpec }[] = PURGE_ORDER.map((kind) => ({
    kind,
    cutoff: cutoffs[kind],
    last: purgeEnd(cutoffs[kind]),
    spec: PURGE_SQL[kind],
  }));
  const worker = new Worker(CLEANUP_WORKER, {
    eval: true,
    workerData: {
      driver: createRequire(import.meta.url).resolve('better-sqlite3'),
      file,
      intent,
      plan,
      start: PURGE_START,
      options: { ...CLEANUP_DEFAULTS, ...options },
    },
  });
  let last: CleanupReport | null = null;
  let result: CleanupReport | null = null;
  let failure: string | null = null;
  worker.on('message', (m: { progress?: CleanupReport; done?: CleanupReport; error?: string }) => {
    if (m.progress) last = m.progress;
    if (m.done) result = m.done;
    if (m.error) failure = m.error;
  });
  const done = new Promise<CleanupReport>((resolve, reject) => {
    worker.once('error', (e: Error) => {
      failure ??= e.message;
    });
    worker.once('exit', (code) => {
      if (result) resolve(complete(result));
      else reject(new Error(`cleanup worker failed: ${failure ?? `exited with code ${code}`}`));
    });
  });
  let stopping: NodeJS.Timeout | null = null;
  void done.then(
    () => stopping && clearTimeout(stopping),
    () => stopping && clearTimeout(stopping),
  );
  return {
    done,
    stop: () => {
      if (stopping) return;
      worker.postMessage('stop');
      // It stops after its current transaction; one stuck past the busy timeout is ended.
      stopping = setTimeout(() => void worker.terminate(), CLEANUP_DEFAULTS.busyTimeoutMs + 1000);
      stopping.unref();
    },
    progress: () => last,
  };
}
