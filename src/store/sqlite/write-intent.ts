/**
 * How many writes the server's connection has queued or is running, in memory that a retention
 * cleanup thread (cleanup-worker.ts) reads: while it is above zero the thread commits its
 * transaction after the statement in progress and takes the write lock again only once it is zero
 * (or after a bounded wait), so a revoke rarely finds the lock taken, and when it does, waits for
 * one statement of the cleanup rather than its whole transaction. Atomics on a SharedArrayBuffer
 * (https://nodejs.org/api/worker_threads.html#workerdata); the count costs one atomic add per write.
 */
export class WriteIntent {
  readonly shared = new Int32Array(new SharedArrayBuffer(4));

  begin(n = 1): void {
    Atomics.add(this.shared, 0, n);
  }

  end(n = 1): void {
    Atomics.sub(this.shared, 0, n);
  }
}
