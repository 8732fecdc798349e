import type { RevocationJournal } from './revocation-journal.js';

/**
 * What the middleware knows of revocations: per user (the `oid` claim) and per session (`sid`),
 * the first whole second from which tokens are good again. A token issued before it is refused.
 *
 * Token issue times (`iat`) have one-second resolution, so a token stamped with the revoke's own
 * second may be older or newer than the revoke: it is refused (the safe side; a client that
 * signs in again within that second gets a claims challenge and retries a second later). Hence
 * `notBefore = floor(revokedAt) + 1`, which is also the `nbf` value the claims challenge asks for.
 */
export type SubjectKind = 'user' | 'session';

export interface Revocation {
  kind: SubjectKind;
  id: string;
  /** NumericDate (seconds, may be fractional) of the revocation: CAEP `event_timestamp`. */
  revokedAt: number;
}

export interface RevocationEntry {
  kind: SubjectKind;
  id: string;
  /** Tokens with `iat` below this second are refused. */
  notBefore: number;
}

export interface TokenSubject {
  iat: number;
  oid?: string | undefined;
  sid?: string | undefined;
}

export interface RevocationListOptions {
  /**
   * How long an entry is kept: at least the longest access-token lifetime plus clock skew, after
   * which every token it could refuse has expired anyway.
   */
  retentionSeconds: number;
  now: () => number;
  journal?: RevocationJournal | undefined;
}

const PRUNE_INTERVAL_MS = 60_000;
const keyOf = (kind: SubjectKind, id: string): string => `${kind === 'user' ? 'u' : 's'}:${id}`;

export class RevocationList {
  private readonly entries = new Map<string, RevocationEntry>();
  private lastPrune: number;

  constructor(private readonly options: RevocationListOptions) {
    this.lastPrune = options.now();
    for (const entry of options.journal?.entries ?? []) this.remember(entry);
    this.prune();
  }

  /**
   * Records revocations; resolves once they are durable when a journal is configured, so a
   * caller that acknowledges the event afterwards (202 to a push, `ack` in the next poll) never
   * acknowledges what a crash could forget.
   */
  async record(revocations: readonly Revocation[]): Promise<void> {
    const changed: RevocationEntry[] = [];
    for (const r of revocations) {
      const entry = { kind: r.kind, id: r.id, notBefore: Math.floor(r.revokedAt) + 1 };
      if (this.remember(entry)) changed.push(entry);
    }
    if (changed.length > 0 && this.options.journal) await this.options.journal.append(changed);
    if (this.options.now() - this.lastPrune >= PRUNE_INTERVAL_MS) this.prune();
  }

  /** The second from which the token's user or session is good again, or null if not revoked. */
  refusedUntil(token: TokenSubject): number | null {
    let notBefore: number | null = null;
    for (const key of [token.oid && keyOf('user', token.oid), token.sid && keyOf('session', token.sid)]) {
      const entry = key ? this.entries.get(key) : undefined;
      if (entry && token.iat < entry.notBefore) notBefore = Math.max(notBefore ?? 0, entry.notBefore);
    }
    return notBefore;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Live entries, for compaction of the journal. */
  snapshot(): RevocationEntry[] {
    return [...this.entries.values()];
  }

  /** Keeps the latest revocation per subject; true if it moved. */
  private remember(entry: RevocationEntry): boolean {
    const key = keyOf(entry.kind, entry.id);
    const known = this.entries.get(key);
    if (known && known.notBefore >= entry.notBefore) return false;
    this.entries.set(key, entry);
    return true;
  }

  private prune(): void {
    const now = this.options.now();
    this.lastPrune = now;
    const horizon = now / 1000 - this.options.retentionSeconds;
    for (const [key, entry] of this.entries) if (entry.notBefore < horizon) this.entries.delete(key);
  }
}
