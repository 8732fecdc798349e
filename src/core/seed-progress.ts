/**
 * Progress while a big seed is applied: a first start creates every user with an argon2id hash
 * (tens of milliseconds each, so minutes for thousands of users), and an operator watching
 * `serve --seed` should see it move rather than a silent terminal. Reported by user count and by
 * time, whichever comes first, but never more often than `minMs`: a restart that applies an
 * unchanged seed in under a second says nothing, and a slow first apply does not flood the log.
 */
export interface SeedProgress {
  /** Users applied so far (created, updated, unchanged, ...), and how many the file has. */
  users: number;
  total: number;
  /** argon2 computations so far: what makes a first apply slow. */
  argon2: number;
  elapsedMs: number;
}

export interface SeedProgressOptions {
  onProgress?: (p: SeedProgress) => void;
  /** Defaults: seeds of 1,000 users or more; a line every 1,000 users or 5 s, at most one a second. */
  every?: { users?: number; ms?: number; minMs?: number };
  /** Milliseconds from a monotonic source (performance.now by default). */
  now?: () => number;
}

export const PROGRESS_EVERY_USERS = 1000;
const PROGRESS_EVERY_MS = 5000;
const PROGRESS_MIN_MS = 1000;

export type ProgressTick = (usersDone: number, argon2: number) => void;

/** A tick to call after each user; it calls onProgress when the rule above says so. */
export function progressTicker(total: number, options: SeedProgressOptions): ProgressTick {
  const { onProgress } = options;
  const everyUsers = options.every?.users ?? PROGRESS_EVERY_USERS;
  if (!onProgress || total < everyUsers) return () => {};
  const everyMs = options.every?.ms ?? PROGRESS_EVERY_MS;
  const minMs = options.every?.minMs ?? PROGRESS_MIN_MS;
  const now = options.now ?? (() => performance.now());
  const start = now();
  let lastUsers = 0;
  let lastAt = start;
  return (usersDone, argon2) => {
    // The last user is not reported: the summary that follows says what applying did.
    if (usersDone >= total) return;
    const at = now();
    if (at - lastAt < minMs) return;
    if (usersDone - lastUsers < everyUsers && at - lastAt < everyMs) return;
    lastUsers = usersDone;
    lastAt = at;
    onProgress({ users: usersDone, total, argon2, elapsedMs: Math.round(at - start) });
  };
}
