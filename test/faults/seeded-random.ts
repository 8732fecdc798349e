/**
 * A small seeded PRNG (mulberry32) so that a fault run can be replayed: every test that injects
 * faults at random points prints its seed, and PORTCULLIS_FAULT_SEED=<seed> repeats the run.
 */
export interface Rng {
  readonly seed: number;
  next(): number;
  /** Uniform in [lo, hi). */
  between(lo: number, hi: number): number;
}

export function seededRandom(seed = Number(process.env.PORTCULLIS_FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31))): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { seed, next, between: (lo, hi) => lo + (hi - lo) * next() };
}

/** Kills per scenario: PORTCULLIS_FAULT_KILLS, else the CI default given. */
export function killCount(ciDefault: number): number {
  const n = Number(process.env.PORTCULLIS_FAULT_KILLS ?? ciDefault);
  return Number.isInteger(n) && n > 0 && n <= 1000 ? n : ciDefault;
}
