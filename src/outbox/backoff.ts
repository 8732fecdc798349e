/**
 * Exponential backoff with "equal jitter": half of the capped exponential delay is fixed, the
 * other half random, so receivers that came back up are not hit by every instance at once while
 * the delay still grows (attempt 1 → initial, 2 → 2×initial, ... up to max).
 */
export function backoffDelayMs(attempt: number, initialMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, initialMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  return Math.round(exp / 2 + random() * (exp / 2));
}
