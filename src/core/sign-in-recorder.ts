import type { SignIn } from './sign-in.js';
import type { Store } from '../store/store.js';

/** Entries written per store call; a larger backlog is written in several. */
const BATCH = 1000;
/** Entries held in memory at most (a store outage); the newest beyond this are dropped and counted. */
const MAX_BUFFERED = 50_000;

/**
 * The sign-in log's writer. `record` only appends to an in-memory buffer — no await, no I/O — so
 * a refresh-token redemption costs what it did before (B1, BENCHMARKS.md); the buffer is
 * written in one transaction per batch (SignInStore.insertMany) at most `flushIntervalMs` later,
 * or at once when a batch is full. Entries are best-effort: an ordering by createdAt is kept when
 * they are read, a failed write is retried with the next batch, and what is buffered when the
 * process dies is lost (docs/sign-in-logs.md). Readers in this process call `flush()` first, so
 * they see their own instance's sign-ins at once.
 */
export class SignInRecorder {
  private buffer: SignIn[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  private closed = false;
  /** Entries dropped because the buffer was full. */
  dropped = 0;

  constructor(
    private readonly store: Store,
    private readonly flushIntervalMs: number,
    private readonly log: { warn(message: string): void },
  ) {}

  record(entry: SignIn): void {
    if (this.closed) return;
    if (this.buffer.length >= MAX_BUFFERED) {
      this.dropped++;
      return;
    }
    this.buffer.push(entry);
    if (this.buffer.length >= BATCH) this.schedule(0);
    else this.schedule(this.flushIntervalMs);
  }

  /** Writes everything recorded so far; resolves when it is stored (or the write failed and was kept for later). */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    // One write at a time, in recording order.
    this.writing = this.writing.then(() => this.writeAll());
    return this.writing;
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  private schedule(delayMs: number): void {
    if (this.timer && delayMs > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, delayMs);
    this.timer.unref();
  }

  private async writeAll(): Promise<void> {
    while (this.buffer.length > 0) {
      const batch = this.buffer.splice(0, BATCH);
      try {
        await this.withNames(batch);
        await this.store.signIns.insertMany(batch);
      } catch (e) {
        // Kept for the next flush (room permitting): a store outage delays the log, never a sign-in.
        const room = Math.max(0, MAX_BUFFERED - this.buffer.length);
        this.dropped += batch.length - Math.min(room, batch.length);
        this.buffer.unshift(...batch.slice(0, room));
        this.log.warn(`sign-in log: a batch could not be written (${e instanceof Error ? e.message : String(e)}); retrying later`);
        if (!this.closed) this.schedule(Math.max(this.flushIntervalMs, 1000));
        return;
      }
    }
  }

  /** Failures that never read the user (a refused refresh token) get the user's names, one query per batch; app-only entries have no user. */
  private async withNames(batch: SignIn[]): Promise<void> {
    const unnamed = batch.filter((e) => e.userPrincipalName === '' && !e.servicePrincipal);
    if (unnamed.length === 0) return;
    const tenantId = unnamed[0]!.tenantId;
    const users = new Map((await this.store.users.findByIds(tenantId, [...new Set(unnamed.map((e) => e.userId))])).map((u) => [u.id, u]));
    for (const e of unnamed) {
      const u = users.get(e.userId);
      if (u) {
        e.userPrincipalName = u.userPrincipalName;
        e.userDisplayName = u.displayName;
      }
    }
  }
}
