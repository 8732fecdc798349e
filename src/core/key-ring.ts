import { generateSigningKeyAsync, loadKey, signJwt, signJwtAsync, type JwtPayload, type LoadedKey } from '../crypto/jwt.js';
import type { Store } from '../store/store.js';

/**
 * The tenant's signing keys, loaded once at start. The newest unretired key signs; every key
 * that is not retired is published in the JWKS and accepted for verification.
 */
export class KeyRing {
  private constructor(
    private readonly keys: LoadedKey[],
    private readonly active: LoadedKey,
  ) {}

  /** Loads the stored keys, generating and storing the first one on first start. */
  static async open(store: Store, now: number): Promise<KeyRing> {
    let stored = (await store.keys.list()).filter((k) => k.retiredAt === null);
    if (stored.length === 0) {
      await store.keys.insert(await generateSigningKeyAsync(now));
      stored = (await store.keys.list()).filter((k) => k.retiredAt === null);
    }
    const loaded = stored.map(loadKey);
    return new KeyRing(loaded, loaded[loaded.length - 1] as LoadedKey);
  }

  sign(payload: JwtPayload, typ?: string): string {
    return signJwt(this.active, payload, typ);
  }

  /** Same as sign(), with the RSA work on the thread pool (see signJwtAsync). */
  signAsync(payload: JwtPayload, typ?: string): Promise<string> {
    return signJwtAsync(this.active, payload, typ);
  }

  byId(kid: string): LoadedKey | undefined {
    return this.keys.find((k) => k.kid === kid);
  }

  jwks(): { keys: Record<string, unknown>[] } {
    return { keys: this.keys.map((k) => k.publicJwk) };
  }
}
