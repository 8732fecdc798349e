/**
 * In-process notification that a transaction which wrote an outbox event has committed. The
 * adapters fire it after COMMIT returned, never inside the transaction, so a listener that reads
 * the outbox right away sees the event.
 */
export class CommitSignal {
  private readonly listeners = new Set<() => void>();

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  fire(): void {
    for (const l of this.listeners) {
      try {
        l();
      } catch {
        // A listener's failure must not turn a committed change into an error for its caller.
      }
    }
  }
}
