import { generateSigningKeyAsync, loadKey, signJwt, signJwtAsync, type JwtPayload, type LoadedKey } from '../crypto/jwt.js';
import type { SigningKeyStore, Store } from '../store/store.js';
import { keySchedule } from './key-rotation.js';
import type { SigningKey } from './model.js';

/**
 * One immutable view of the published keys at a time. The token hot path reads one snapshot and
 * never waits: a reload, or the clock passing `changesAt` (an activation, a removal), builds a new
 * snapshot off to the side and swaps the reference.
 */
interface KeySnapshot {
  /** The unretired keys as stored, each parsed once. */
  readonly stored: readonly SigningKey[];
  readonly loaded: ReadonlyMap<string, LoadedKey>;
  readonly active: LoadedKey;
  /** Published and accepted: next, active and retired keys (core/key-rotation.ts). */
  readonly byKid: ReadonlyMap<string, LoadedKey>;
  readonly jwks: { readonly keys: readonly Record<string, unknown>[] };
  /** The published key that signs next, if a rotation is pending. */
  readonly next: { readonly kid: string; readonly activatesAt: number } | null;
  readonly changesAt: number;
}

function snapshotOf(
  stored: readonly SigningKey[],
  loaded: ReadonlyMap<string, LoadedKey>,
  now: number,
  retentionMs: number,
): KeySnapshot | null {
  const schedule = keySchedule(stored, now, retentionMs);
  if (!schedule) return null;
  const published = schedule.published.map((k) => loaded.get(k.kid) as LoadedKey);
  const next = schedule.published.find((k) => k.activatesAt > schedule.signing.activatesAt && k.activatesAt > now);
  return Object.freeze({
    stored: Object.freeze([...stored]),
    loaded,
    active: loaded.get(schedule.signing.kid) as LoadedKey,
    byKid: new Map(published.map((k) => [k.kid, k])),
    jwks: Object.freeze({ keys: Object.freeze(published.map((k) => k.publicJwk)) }),
    next: next ? Object.freeze({ kid: next.kid, activatesAt: next.activatesAt }) : null,
    changesAt: schedule.changesAt,
  });
}

/** An unknown kid makes at most one extra read per this interval: random kids must not hammer the database. */
const CATCH_UP_MIN_INTERVAL_MS = 1_000;

/**
 * The tenant's signing keys. Which key signs and which are published follows the stored times
 * (core/key-rotation.ts, keySchedule), read against the injected clock, so every instance switches
 * to a next key at its activatesAt without being told. `keys rotate` adds keys while instances
 * run, so the ring reloads (src/cluster/key-refresher.ts decides when) and swaps its snapshot.
 */
export class KeyRing {
  private inFlight: Promise<boolean> | null = null;
  private queued: Promise<boolean> | null = null;
  private lastCatchUp = -Infinity;

  private constructor(
    private readonly store: SigningKeyStore,
    private snapshot: KeySnapshot,
    private readonly now: () => number,
    private readonly retentionMs: number,
  ) {}

  /**
   * Loads the stored keys, generating the first one on first start. Instances that start at
   * once on one database may each generate a key; insertIfNone keeps exactly one, and everyone
   * reloads, so all instances sign with and publish the same key.
   */
  static async open(store: Store, now: number, clock: () => number = Date.now, retentionMs: number = Infinity): Promise<KeyRing> {
    let stored = await store.keys.listUnretired();
    if (stored.length === 0) {
      // Generated on the thread pool, so a first start builds the HTTP server meanwhile (BENCHMARKS.md, B5).
      await store.keys.insertIfNone(await generateSigningKeyAsync(now));
      stored = await store.keys.listUnretired();
    }
    const loaded = new Map(stored.map((k) => [k.kid, loadKey(k)]));
    // Only a key that is withdrawn (retired_at) is never live: the schedule always finds one here.
    const snapshot = snapshotOf(stored, loaded, clock(), retentionMs);
    if (!snapshot) throw new Error('no signing key');
    return new KeyRing(store.keys, snapshot, clock, retentionMs);
  }

  /** The snapshot for the clock's now: rebuilt from the stored keys once `changesAt` has come. */
  private current(): KeySnapshot {
    const s = this.snapshot;
    if (this.now() < s.changesAt) return s;
    this.snapshot = snapshotOf(s.stored, s.loaded, this.now(), this.retentionMs) ?? s;
    return this.snapshot;
  }

  sign(payload: JwtPayload, typ?: string): string {
    return signJwt(this.current().active, payload, typ);
  }

  /** Same as sign(), with the RSA work on the thread pool (see signJwtAsync). */
  signAsync(payload: JwtPayload, typ?: string): Promise<string> {
    return signJwtAsync(this.current().active, payload, typ);
  }

  byId(kid: string): LoadedKey | undefined {
    return this.current().byKid.get(kid);
  }

  /** The keys published now: next, active and retired (core/key-rotation.ts). */
  jwks(): { keys: Record<string, unknown>[] } {
    return this.current().jwks as { keys: Record<string, unknown>[] };
  }

  /** The kid new tokens are signed with. */
  get signingKid(): string {
    return this.current().active.kid;
  }

  /** The next key, published and waiting for its activatesAt; null with no rotation pending. */
  get nextKey(): { kid: string; activatesAt: number } | null {
    return this.current().next;
  }

  /**
   * Re-reads the unretired keys and swaps the snapshot if they changed; resolves to whether it
   * did. A call made while a read is running may be about a change that read began too early to
   * see, so it gets one more read after it (shared by every caller that arrives meanwhile).
   */
  reload(): Promise<boolean> {
    if (!this.inFlight) return this.startRead();
    this.queued ??= this.inFlight
      .catch(() => false)
      .then(() => {
        this.queued = null;
        return this.startRead();
      });
    return this.queued;
  }

  /**
   * A token names a key this instance does not know: perhaps another instance already signs
   * with a key whose rotation has not reached us yet. Reload once (rate-limited) before the
   * caller refuses the token. Only refusal paths call this, so the hot path stays synchronous.
   */
  async catchUp(kid: string): Promise<LoadedKey | undefined> {
    const now = this.now();
    if (now - this.lastCatchUp >= CATCH_UP_MIN_INTERVAL_MS) {
      this.lastCatchUp = now;
      await this.reload();
    }
    return this.byId(kid);
  }

  private startRead(): Promise<boolean> {
    const read = this.readAndSwap().finally(() => {
      if (this.inFlight === read) this.inFlight = null;
    });
    this.inFlight = read;
    return read;
  }

  private async readAndSwap(): Promise<boolean> {
    const stored = await this.store.listUnretired();
    if (sameSchedule(stored, this.snapshot.stored)) return false;
    // Parsing a PEM costs far more than the read: keys already loaded are reused.
    const loaded = new Map(stored.map((k) => [k.kid, this.snapshot.loaded.get(k.kid) ?? loadKey(k)]));
    // With every key withdrawn there is nothing to sign with: keep the last good snapshot.
    const next = snapshotOf(stored, loaded, this.now(), this.retentionMs);
    if (!next) return false;
    this.snapshot = next;
    return true;
  }
}

function sameSchedule(a: readonly SigningKey[], b: readonly SigningKey[]): boolean {
  return a.length === b.length && a.every((k, i) => k.kid === b[i]?.kid && k.activatesAt === b[i]?.activatesAt);
}
