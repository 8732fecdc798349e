import { randomInt } from 'node:crypto';

/**
 * Fuzz settings from the environment (docs/testing.md):
 * - PORTCULLIS_FUZZ_SEED: the run's seed (default: random, printed); with it a run is repeatable.
 * - PORTCULLIS_FUZZ_SCALE: multiplies every target's input count (long mode: 10, 100, ...).
 * - PORTCULLIS_FUZZ_SECONDS: time bound of one test file (default 600; a run cut short fails).
 */
export interface FuzzSettings {
  seed: number;
  scale: number;
  seconds: number;
}

function number(name: string, fallback: number, valid: (n: number) => boolean): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!valid(n)) throw new Error(`${name}: invalid value '${raw}'`);
  return n;
}

export function fuzzSettings(): FuzzSettings {
  return {
    seed: number('PORTCULLIS_FUZZ_SEED', randomInt(0, 2 ** 31), (n) => Number.isInteger(n) && n >= 0),
    scale: number('PORTCULLIS_FUZZ_SCALE', 1, (n) => n > 0),
    seconds: number('PORTCULLIS_FUZZ_SECONDS', 600, (n) => n > 0),
  };
}
