/**
 * Smart lockout (reference: Microsoft Entra smart lockout): after `threshold` failed attempts a
 * subject (a user, a source address, a client id) is locked for `lockoutSeconds`; each further
 * failure once a lock has lifted locks it again for twice as long as the previous lock, up to
 * `maxLockoutSeconds`. While a lock holds, attempts are refused before any secret is checked, so
 * even the right password gets AADSTS50053. A success resets the subject's count (callers decide
 * which subjects a success may reset: a user's, never a source address's). After
 * `resetAfterSeconds` without a failure the count starts again from zero.
 *
 * Pure functions over a state the store keeps durably (Store.lockouts), so a lock holds across
 * instances and restarts.
 */
export interface LockoutPolicy {
  threshold: number;
  lockoutSeconds: number;
  maxLockoutSeconds: number;
  resetAfterSeconds: number;
}

/** One subject's counter as stored. Times in ms. */
export interface LockoutState {
  key: string;
  failures: number;
  lastFailureAt: number;
  /** null when never locked, else when the (last) lock ends. */
  lockedUntil: number | null;
  /** When the row no longer matters (lock over and count reset): stores may delete it then. */
  expiresAt: number;
}

/** The subjects a counter can belong to; the key's prefix keeps their counts apart. */
export const lockoutKey = {
  user: (tenantId: string, userId: string) => `user:${tenantId}:${userId}`,
  signInSource: (source: string) => `sign-in-source:${source}`,
  client: (appId: string) => `client:${appId}`,
  clientSource: (source: string) => `client-source:${source}`,
  deviceCodeSource: (source: string) => `device-code-source:${source}`,
  deviceCodeBrowser: (browserId: string) => `device-code-browser:${browserId}`,
} as const;

/** Seconds the subject is still locked at `now` (0 = not locked). */
export function lockedForSeconds(state: LockoutState | null, now: number): number {
  if (!state || state.lockedUntil === null || state.lockedUntil <= now) return 0;
  return Math.ceil((state.lockedUntil - now) / 1000);
}

/**
 * The state after one more failure at `now`. `locked` is true when this failure started a lock
 * (the audit log records it). A failure reported while a lock holds changes nothing: callers
 * refuse such attempts before checking a secret.
 */
export function afterFailure(
  current: LockoutState | null,
  key: string,
  now: number,
  policy: LockoutPolicy,
): { state: LockoutState; locked: boolean } {
  if (current && lockedForSeconds(current, now) > 0) return { state: current, locked: false };
  const stale = !current || now - current.lastFailureAt >= policy.resetAfterSeconds * 1000;
  const failures = stale ? 1 : current.failures + 1;
  let lockedUntil = stale ? null : current.lockedUntil;
  let locked = false;
  if (failures >= policy.threshold) {
    // The n-th lock lasts lockoutSeconds · 2^(n-1): 1 min, 2 min, 4 min, … (Entra: "increasing").
    const exponent = Math.min(failures - policy.threshold, 30);
    const seconds = Math.min(policy.lockoutSeconds * 2 ** exponent, policy.maxLockoutSeconds);
    lockedUntil = now + seconds * 1000;
    locked = true;
  }
  const expiresAt = Math.max(lockedUntil ?? 0, now) + policy.resetAfterSeconds * 1000;
  return { state: { key, failures, lastFailureAt: now, lockedUntil, expiresAt }, locked };
}

/** IPv6 clients get a /64 each from their provider, so one counter per /64, not per address. */
export function sourceOf(ip: string): string {
  const v4mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (v4mapped) return v4mapped[1]!;
  if (!ip.includes(':')) return ip;
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
