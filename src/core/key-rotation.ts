import { ENTRA_CAE_ACCESS_TOKEN_SECONDS, LOGOUT_TOKEN_SECONDS, type AppConfig, type TokenLifetimes } from '../config.js';
import { generateSigningKeyAsync } from '../crypto/jwt.js';
import type { SigningKeyStore } from '../store/store.js';
import type { SigningKey } from './model.js';

/**
 * The signing-key schedule, the one place its rules live (docs/deployment.md, "Rotating the
 * signing keys"). Every time is read from the stored keys, so every instance on one database
 * publishes the same keys and switches to a new signing key at the same instant, whatever it
 * was told and when:
 *
 *   next     published in the JWKS (and accepted), not signing yet: created by a rotation with
 *            activatesAt = now + lead time, so verifiers that cache the JWKS hold it before the
 *            first token it signs;
 *   active   the newest key whose activatesAt has come: signs every token;
 *   retired  superseded at S (its successor's activatesAt); published and accepted until
 *            S + retention, when every token it signed has expired;
 *   removed  after that, or withdrawn (`retired_at` set): neither published nor accepted.
 */

/**
 * Relying parties accept tokens up to five minutes past `exp` (Microsoft.IdentityModel's default
 * TokenValidationParameters.ClockSkew); Portcullis's Graph API allows the same skew on `nbf`. Also
 * the allowance for instance clocks that disagree on when an activatesAt has come.
 */
export const CLOCK_SKEW_SECONDS = 300;

/**
 * The JWKS Cache-Control max-age at most: 24 h, what Entra's keys endpoint sends
 * (https://login.microsoftonline.com/common/discovery/v2.0/keys). Lower when the lead time is
 * shorter, see jwksMaxAgeSeconds.
 */
export const JWKS_MAX_AGE_CAP_SECONDS = 86_400;

/**
 * The longest anything a key signs stays valid, over every configuration `serve` accepts, so the
 * CLI (which does not know how the instances were started) and the instances agree:
 * access tokens (90 min), CAE long-lived access tokens (28 h with --cae-long-lived-tokens, counted
 * even when off: the flag may have been on while the key signed), ID tokens (1 h), back-channel
 * logout tokens (120 s). SETs carry no `exp` (src/ssf/set-builder.ts): one held in a paused stream longer
 * than this fails verification once its key is removed (docs/deployment.md says so).
 */
export function longestSignedLifetimeSeconds(tokens: TokenLifetimes): number {
  return Math.max(
    tokens.accessTokenMaxSeconds,
    tokens.caeAccessTokenMaxSeconds,
    ENTRA_CAE_ACCESS_TOKEN_SECONDS.max,
    tokens.idTokenSeconds,
    LOGOUT_TOKEN_SECONDS,
  );
}

/**
 * How long a superseded key stays published: the longest lifetime above, plus the reload
 * interval (after an activation with no lead time, an instance that missed the rotation signs
 * with the old key until its periodic reload), plus the clock skew relying parties allow.
 * 28 h + 30 s + 5 min with the defaults.
 */
export function keyRetentionMs(config: Pick<AppConfig, 'tokens' | 'keyReloadSeconds'>): number {
  return (longestSignedLifetimeSeconds(config.tokens) + config.keyReloadSeconds + CLOCK_SKEW_SECONDS) * 1000;
}

/**
 * The Cache-Control max-age of the JWKS for a lead time L: a verifier that honours it refetches
 * at least every max-age seconds, and the next key is on every instance within the reload
 * interval of the rotation, so max-age + reload interval + clock skew <= L guarantees it holds the
 * next key before it activates. Capped at 24 h; 0 when L is shorter than the allowances.
 */
export function jwksMaxAgeSeconds(config: Pick<AppConfig, 'keyLeadSeconds' | 'keyReloadSeconds'>): number {
  const fits = Math.floor(config.keyLeadSeconds - config.keyReloadSeconds - CLOCK_SKEW_SECONDS);
  return Math.max(0, Math.min(JWKS_MAX_AGE_CAP_SECONDS, fits));
}

/** The least lead time for which a JWKS cached for the full 24 h still holds the next key. */
export function fullCacheLeadSeconds(keyReloadSeconds: number): number {
  return JWKS_MAX_AGE_CAP_SECONDS + keyReloadSeconds + CLOCK_SKEW_SECONDS;
}

export type KeyState =
  | { kind: 'next'; activatesAt: number }
  | { kind: 'active'; since: number }
  | { kind: 'retired'; retiredAt: number; publishedUntil: number }
  | { kind: 'removed'; removedAt: number };

export interface KeyStatus {
  key: SigningKey;
  state: KeyState;
}

const byActivation = (a: SigningKey, b: SigningKey): number =>
  a.activatesAt - b.activatesAt || a.createdAt - b.createdAt || (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0);

/** Every key with its state at `now`, in activation order. */
export function describeKeys(keys: readonly SigningKey[], now: number, retentionMs: number): KeyStatus[] {
  const sorted = [...keys].sort(byActivation);
  const live = sorted.filter((k) => k.retiredAt === null);
  let active = -1;
  for (let i = 0; i < live.length; i++) if (live[i]!.activatesAt <= now) active = i;
  // No key has activated by this clock (it lags the host that made the first key): the earliest signs.
  if (active === -1 && live.length > 0) active = 0;
  const states = new Map<SigningKey, KeyState>();
  live.forEach((key, i) => {
    if (i === active) states.set(key, { kind: 'active', since: key.activatesAt });
    else if (i > active) states.set(key, { kind: 'next', activatesAt: key.activatesAt });
    else {
      const retiredAt = live[i + 1]!.activatesAt;
      const publishedUntil = retiredAt + retentionMs;
      states.set(
        key,
        now < publishedUntil ? { kind: 'retired', retiredAt, publishedUntil } : { kind: 'removed', removedAt: publishedUntil },
      );
    }
  });
  return sorted.map((key) => ({ key, state: states.get(key) ?? { kind: 'removed', removedAt: key.retiredAt as number } }));
}

export interface KeySchedule {
  signing: SigningKey;
  /** Published in the JWKS and accepted for verification: next, active and retired keys. */
  published: SigningKey[];
  /** The next time this schedule changes by itself (an activation, a removal); Infinity if never. */
  changesAt: number;
}

/** What an instance signs with and publishes at `now`; null with no live key. */
export function keySchedule(keys: readonly SigningKey[], now: number, retentionMs: number): KeySchedule | null {
  let signing: SigningKey | null = null;
  const published: SigningKey[] = [];
  let changesAt = Infinity;
  for (const { key, state } of describeKeys(keys, now, retentionMs)) {
    if (state.kind === 'removed') continue;
    published.push(key);
    if (state.kind === 'active') signing = key;
    if (state.kind === 'next') changesAt = Math.min(changesAt, state.activatesAt);
    if (state.kind === 'retired') changesAt = Math.min(changesAt, state.publishedUntil);
  }
  return signing ? { signing, published, changesAt } : null;
}

export interface RotationPlan {
  createdAt: number;
  /** now + lead time, and after every key that stays: the new key is the last to activate. */
  activatesAt: number;
  /**
   * Withdrawn in the same transaction: keys removed by the schedule (housekeeping, so instances
   * read fewer rows), and a pending next key the new one replaces (it never signed).
   */
  retire: string[];
}

/**
 * What a rotation does at `now`. A pending next key due within the clock skew is left alone:
 * an instance whose clock runs ahead may already sign with it.
 */
export function planRotation(keys: readonly SigningKey[], now: number, leadMs: number, retentionMs: number): RotationPlan {
  const statuses = describeKeys(keys, now, retentionMs);
  const retire: string[] = [];
  let lastKept = -Infinity;
  for (const { key, state } of statuses) {
    if (key.retiredAt !== null) continue;
    const replaced = state.kind === 'next' && state.activatesAt > now + CLOCK_SKEW_SECONDS * 1000;
    if (state.kind === 'removed' || replaced) retire.push(key.kid);
    else lastKept = Math.max(lastKept, key.activatesAt);
  }
  return { createdAt: now, activatesAt: Math.max(now + leadMs, lastKept + 1), retire };
}

/** Adds a next key (see planRotation) and commits it with the plan's retirements. */
export async function rotateSigningKeys(
  store: SigningKeyStore,
  args: { now: number; leadMs: number; retentionMs: number },
): Promise<{ key: SigningKey; plan: RotationPlan }> {
  const key = await generateSigningKeyAsync(args.now);
  const plan = planRotation(await store.list(), args.now, args.leadMs, args.retentionMs);
  const next: SigningKey = { ...key, createdAt: plan.createdAt, activatesAt: plan.activatesAt };
  await store.rotate(next, plan.retire, args.now);
  return { key: next, plan };
}
