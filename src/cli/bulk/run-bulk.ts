/**
 * Runs one Graph action for many users through $batch (https://learn.microsoft.com/graph/json-batching): 20 users per batch, at
 * most `concurrency` batches in flight; an inner 429 waits its Retry-After, an inner 5xx or a
 * failed batch call is retried with exponential backoff, each user at most `maxAttempts` times.
 * A stop request (Ctrl-C) starts no new batch; the ones in flight finish, and every user not
 * done is reported as not attempted — nothing is lost. The actions are idempotent, so running
 * the same bulk command again is safe.
 */
import { GraphError, MAX_BATCH_SIZE, batchResponseError, type BatchRequest, type GraphClient, type GraphVersion } from '../../sdk/index.js';
import { CliError } from '../cli-error.js';

export interface BulkResult {
  user: string;
  /** done: the action succeeded; failed: it did not; skipped: not attempted (stopped). */
  result: 'done' | 'failed' | 'skipped';
  status: number | null;
  code?: string;
  message?: string;
  attempts: number;
}

export interface BulkOptions {
  client: GraphClient;
  users: readonly string[];
  version: GraphVersion;
  /** The inner request for one user (relative URL). */
  request(user: string): Omit<BatchRequest, 'id'>;
  concurrency?: number;
  maxAttempts?: number;
  /** True once the user asked to stop. */
  stopped(): boolean;
  onResult(r: BulkResult): void;
}

interface Pending {
  user: string;
  /** Calls made for this user. */
  attempts: number;
  /** Of which failed transiently (5xx, no answer): bounded by maxAttempts. */
  transient: number;
  /** Of which answered 429: throttling is not failure, so it has its own, larger bound. */
  throttled: number;
  notBefore: number;
}

/** A user throttled this many times is reported failed (bounded; Graph advises waiting, not giving up). */
const MAX_THROTTLED = 30;

/**
 * The users not done yet: those never sent, in input order (taken from a moving head, so a
 * 100,000-user run does not shift the whole array for every user it takes), then the retries,
 * each with the time it may be sent again (few at any moment: at most the batches in flight).
 * Never-sent users go before retries that are due.
 */
class Backlog {
  private readonly fresh: Pending[];
  private head = 0;
  private retries: Pending[] = [];
  /** Users of a batch that was never answered because the run stopped: reported first. */
  private returned: Pending[] = [];

  constructor(users: readonly string[]) {
    this.fresh = users.map((user) => ({ user, attempts: 0, transient: 0, throttled: 0, notBefore: 0 }));
  }

  get size(): number {
    return this.returned.length + this.fresh.length - this.head + this.retries.length;
  }

  retry(p: Pending): void {
    this.retries.push(p);
  }

  putBack(ps: readonly Pending[]): void {
    this.returned.push(...ps);
  }

  take(now: number, max: number): Pending[] {
    const end = Math.min(this.fresh.length, this.head + max);
    const ready = this.fresh.slice(this.head, end);
    this.head = end;
    if (ready.length < max && this.retries.length > 0) {
      const waiting: Pending[] = [];
      for (const p of this.retries) (ready.length < max && p.notBefore <= now ? ready : waiting).push(p);
      this.retries = waiting;
    }
    return ready;
  }

  /** When the earliest retry may go (the never-sent ones may go at once). */
  nextNotBefore(): number {
    if (this.head < this.fresh.length) return 0;
    let next = Number.POSITIVE_INFINITY;
    for (const p of this.retries) next = Math.min(next, p.notBefore);
    return next;
  }

  drain(): Pending[] {
    const rest = [...this.returned, ...this.fresh.slice(this.head), ...this.retries];
    this.returned = [];
    this.head = this.fresh.length;
    this.retries = [];
    return rest;
  }
}

const RETRY_INNER = new Set([429, 500, 502, 503, 504]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const backoff = (attempt: number) => Math.min(30_000, 500 * 2 ** attempt) + Math.random() * 250;

export async function runBulk(o: BulkOptions): Promise<{ stoppedEarly: boolean }> {
  const maxAttempts = o.maxAttempts ?? 5;
  const backlog = new Backlog(o.users);
  let fatal: unknown = null;
  // A 429 means the caller's bucket is empty: no batch at all is sent before its Retry-After
  // (Graph's guidance, https://learn.microsoft.com/graph/throttling), else every worker would keep hitting the limit.
  let pausedUntil = 0;

  const retryOrFail = (p: Pending, status: number | null, e: GraphError | Error, wait: number) => {
    if (status === 429) {
      p.throttled++;
      pausedUntil = Math.max(pausedUntil, Date.now() + wait);
    } else p.transient++;
    if (p.transient < maxAttempts && p.throttled < MAX_THROTTLED) backlog.retry({ ...p, notBefore: Date.now() + wait });
    else
      o.onResult({
        user: p.user,
        result: 'failed',
        status,
        ...(e instanceof GraphError ? { code: e.code } : {}),
        message: e.message,
        attempts: p.attempts,
      });
  };

  /** Takes up to 20 users whose retry time has come. */
  const take = (): Pending[] => (Date.now() < pausedUntil ? [] : backlog.take(Date.now(), MAX_BATCH_SIZE));

  const runBatch = async (batch: Pending[]): Promise<void> => {
    for (const p of batch) p.attempts++;
    const requests = batch.map((p, i) => ({ id: String(i + 1), ...o.request(p.user) }));
    let responses;
    try {
      responses = await o.client.batch(requests, o.version);
    } catch (e) {
      // The CLI's own sign-in is gone, or the caller may not batch at all: stop everything.
      if (e instanceof CliError || (e instanceof GraphError && [401, 403].includes(e.status))) {
        fatal = e;
        backlog.putBack(batch.map((p) => ({ ...p, attempts: p.attempts - 1 })));
        return;
      }
      const wait = e instanceof GraphError && e.retryAfter !== null ? e.retryAfter * 1000 : backoff(batch[0]!.attempts);
      for (const p of batch) retryOrFail(p, e instanceof GraphError ? e.status : null, e as Error, wait);
      return;
    }
    const byId = new Map(responses.map((r) => [r.id, r]));
    batch.forEach((p, i) => {
      const r = byId.get(String(i + 1));
      if (!r) return retryOrFail(p, null, new Error('no response for this user in the batch answer'), backoff(p.attempts));
      const error = batchResponseError(r);
      if (!error) return o.onResult({ user: p.user, result: 'done', status: r.status, attempts: p.attempts });
      if (RETRY_INNER.has(r.status))
        return retryOrFail(p, r.status, error, error.retryAfter !== null ? error.retryAfter * 1000 : backoff(p.attempts));
      o.onResult({ user: p.user, result: 'failed', status: r.status, code: error.code, message: error.message, attempts: p.attempts });
    });
  };

  // Workers: each loops taking a ready batch; the loop ends when nothing is queued (bounded by
  // users × maxAttempts batches) or on stop. A worker that waits for a Retry-After sleeps briefly.
  let inFlight = 0;
  const worker = async () => {
    while (!o.stopped() && fatal === null) {
      const batch = take();
      if (batch.length === 0) {
        if (backlog.size === 0 && inFlight === 0) return;
        const next = backlog.size > 0 ? Math.max(pausedUntil, backlog.nextNotBefore()) - Date.now() : 50;
        await sleep(Math.max(10, Math.min(250, next)));
        continue;
      }
      inFlight++;
      try {
        await runBatch(batch);
      } finally {
        inFlight--;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.concurrency ?? 4) }, worker));
  for (const p of backlog.drain()) o.onResult({ user: p.user, result: 'skipped', status: null, attempts: p.attempts });
  if (fatal !== null) throw fatal;
  return { stoppedEarly: o.stopped() };
}
