import type { AppConfig } from '../config.js';
import type { SigningKey } from './model.js';

/**
 * When a superseded signing key may be retired (no longer published in the JWKS, no longer
 * accepted for verification). The rule, documented in docs/deployment.md:
 *
 *   a key superseded at S (the creation time of the next newer key) is retired no earlier than
 *   S + max(access token max lifetime, ID token lifetime) + key reload interval + clock skew.
 *
 * - The token lifetime: a token signed by the key just before S is valid that long.
 * - The reload interval: an instance that missed the rotation's notification keeps signing with
 *   the old key until its periodic reload, at most this long after S.
 * - Clock skew: relying parties accept tokens up to five minutes past `exp` (Microsoft.IdentityModel's
 *   default ClockSkew; Portcullis's Graph API allows the same skew on `nbf`).
 */
export const CLOCK_SKEW_SECONDS = 300;

export function keyRetentionMs(config: Pick<AppConfig, 'tokens' | 'keyReloadSeconds'>): number {
  const longestToken = Math.max(config.tokens.accessTokenMaxSeconds, config.tokens.idTokenSeconds);
  return (longestToken + config.keyReloadSeconds + CLOCK_SKEW_SECONDS) * 1000;
}

export type KeyState =
  | { kind: 'signing' }
  /** Superseded, still published and accepted; may be retired from `retireAfter` on. */
  | { kind: 'verifying'; supersededAt: number; retireAfter: number }
  | { kind: 'retired'; retiredAt: number };

export interface KeyStatus {
  key: SigningKey;
  state: KeyState;
}

/** Every key with its state at `now`; `keys` oldest first, as SigningKeyStore.list returns them. */
export function describeKeys(keys: readonly SigningKey[], retentionMs: number): KeyStatus[] {
  const live = keys.filter((k) => k.retiredAt === null);
  const signing = live.at(-1);
  return keys.map((key, i) => {
    if (key.retiredAt !== null) return { key, state: { kind: 'retired', retiredAt: key.retiredAt } };
    if (key === signing) return { key, state: { kind: 'signing' } };
    // Superseded by the next key created after it, retired or not: that is when it stopped signing.
    const supersededAt = keys[i + 1]?.createdAt ?? key.createdAt;
    return { key, state: { kind: 'verifying', supersededAt, retireAfter: supersededAt + retentionMs } };
  });
}

export interface RotationPlan {
  /** The new key's creation time: never before an existing key's, so it is the newest and signs. */
  createdAt: number;
  /** Superseded keys whose retention has run out at `now`. */
  retire: string[];
}

/**
 * What `keys rotate` does at `now`. The new key's time is bumped past the newest existing key, so
 * a host whose clock lags the one that created that key still produces the signing key.
 */
export function planRotation(keys: readonly SigningKey[], now: number, retentionMs: number): RotationPlan {
  const newest = keys.reduce((max, k) => Math.max(max, k.createdAt), -Infinity);
  const retire = describeKeys(keys, retentionMs)
    .filter((s) => s.state.kind === 'verifying' && s.state.retireAfter <= now)
    .map((s) => s.key.kid);
  return { createdAt: Math.max(now, newest + 1), retire };
}
