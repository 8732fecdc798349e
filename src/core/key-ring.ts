import { generateSigningKeyAsync, loadKey, signJwt, signJwtAsync, type JwtPayload, type LoadedKey } from '../crypto/jwt.js';
import type { SigningKeyStore, Store } from '../store/store.js';
import type { SigningKey } from './model.js';

/**
 * One immutable view of the published keys. The token hot path reads one snapshot and never
 * waits: a reload builds a new snapshot off to the side and swaps the reference.
 */
interface KeySnapshot {
  readonly keys: readonly LoadedKey[];
  readonly active: LoadedKey;
  readonly byKid: ReadonlyMap<string, LoadedKey>;
  readonly jwks: { readonly keys: readonly Record<string, unknown>[] };
}

function snapshotOf(loaded: readonly LoadedKey[]): KeySnapshot {
  return Object.freeze({
    keys: Object.freeze([...loaded]),
    active: loaded[loaded.length - 1] as LoadedKey,
    byKid: new Map(loaded.map((k) => [k.kid, k])),
    jwks: Object.freeze({ keys: Object.freeze(loaded.map((k) => k.publicJwk)) }),
  });
}

/** An unknown kid makes at most one extra read per this interval: random kids must not hammer the database. */
const CATCH_UP_MIN_INTERVAL_MS = 1_000;

/**
 * The tenant's signing keys. The newest unretired key signs; every unretired key is published in
 * the JWKS and accepted for verification. `keys rotate` changes them while instances run, so the
 * ring reloads (src/events/key-refresher.ts decides when) and swaps its snapshot.
 */
export class KeyRing {
  private inFlight: Promise<boolean> | null = null;
  private queued: Promise<boolean> | null = null;
  private lastCatchUp = -Infinity;

  private constructor(
    private readonly store: SigningKeyStore,
    private snapshot: KeySnapshot,
    private readonly now: () => number,
  ) {}

  /**
   * Loads the stored keys, generating the first one on first start. Instances that start at
   * once on one database may each generate a key; insertIfNone keeps exactly one, and everyone
   * reloads, so all instances sign with and publish the same key.
   */
  static async open(store: Store, now: number, clock: () => number = Date.now): Promise<KeyRing> {
    let stored = await store.keys.listUnretired();
    if (stored.length === 0) {
      // Generated on the thread pool, so a first start builds the HTTP server meanwhile (issue 5, B5).
      await store.keys.insertIfNone(await generateSigningKeyAsync(now));
      stored = await store.keys.listUnretired();
    }
    return new KeyRing(store.keys, snapshotOf(stored.map(loadKey)), clock);
  }

  sign(payload: JwtPayload, typ?: string): string {
    return signJwt(this.snapshot.active, payload, typ);
  }

  /** Same as sign(), with the RSA work on the thread pool (see signJwtAsync). */
  signAsync(payload: JwtPayload, typ?: string): Promise<string> {
    return signJwtAsync(this.snapshot.active, payload, typ);
  }

  byId(kid: string): LoadedKey | undefined {
    return this.snapshot.byKid.get(kid);
  }

  jwks(): { keys: Record<string, unknown>[] } {
    return this.snapshot.jwks as { keys: Record<string, unknown>[] };
  }

  /** The kid new tokens are signed with. */
  get signingKid(): string {
    return this.snapshot.active.kid;
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
    // With every key retired there is nothing to sign with: keep the last good snapshot.
    if (stored.length === 0 || sameKids(stored, this.snapshot.keys)) return false;
    // Parsing a PEM costs far more than the read: keys already loaded are reused.
    const loaded = stored.map((k) => this.snapshot.byKid.get(k.kid) ?? loadKey(k));
    this.snapshot = snapshotOf(loaded);
    return true;
  }
}

function sameKids(stored: readonly SigningKey[], loaded: readonly LoadedKey[]): boolean {
  return stored.length === loaded.length && stored.every((k, i) => k.kid === loaded[i]?.kid);
}
