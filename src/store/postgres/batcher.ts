/**
 * Natural batching of one kind of statement (the group commit of rotation.ts, the client lookup
 * of directory.ts): asks queue up, and at most `maxInFlight` batches run at once; an ask that
 * arrives while they are all busy waits for the next batch, which takes everything queued by
 * then (up to `maxBatch`). One request alone is sent at once (after this turn of the event loop,
 * so that what arrived in the same turn goes with it); under load one statement serves many.
 *
 * An ask is never answered by a statement sent before it was asked: a queued ask only ever joins
 * a batch that has not been sent yet. So batching changes no answer a request can get: whatever
 * committed before the request asked is seen, as with a statement of its own.
 */
export interface Waiter<A, R> {
  readonly ask: A;
  resolve(value: R): void;
  reject(error: unknown): void;
}

export class StatementBatcher<A, R> {
  private queue: Waiter<A, R>[] = [];
  private inFlight = 0;
  private scheduled = false;

  /**
   * `run` answers every waiter of its batch (resolve or reject, each on its own); if it throws,
   * the waiters it had not answered are rejected with that error.
   */
  constructor(
    private readonly run: (batch: Waiter<A, R>[]) => Promise<void>,
    private readonly maxInFlight = 2,
    private readonly maxBatch = 64,
  ) {}

  submit(ask: A): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ ask, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.queue.length === 0 || this.inFlight >= this.maxInFlight) return;
    this.scheduled = true;
    // setImmediate: after the I/O callbacks of this turn, so the requests that arrived together
    // share the batch.
    setImmediate(() => {
      this.scheduled = false;
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.queue.length > 0 && this.inFlight < this.maxInFlight) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight++;
      this.run(batch)
        .catch((e: unknown) => {
          // A promise already settled ignores this.
          for (const w of batch) w.reject(e);
        })
        .finally(() => {
          this.inFlight--;
          this.schedule();
        });
    }
  }
}
