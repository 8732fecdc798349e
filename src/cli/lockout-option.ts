import type { AbuseLimits } from '../config.js';
import { DEFAULT_ABUSE_LIMITS } from '../config.js';
import { CliError } from './cli-error.js';

const NAMES = Object.keys(DEFAULT_ABUSE_LIMITS) as (keyof AbuseLimits)[];

/**
 * `--lockout` / PORTCULLIS_LOCKOUT: comma-separated `LIMIT=THRESHOLD/SECONDS` or `LIMIT=off`,
 * e.g. `userSignIn=5/300,deviceCode=off`. THRESHOLD failures lock for SECONDS, doubling with
 * each further failure up to max(3600, SECONDS); unnamed limits keep their defaults
 * (docs/configuration.md#abuse-resistance).
 */
export function parseLockoutOption(raw: string, source: string): Partial<AbuseLimits> {
  const out: Partial<AbuseLimits> = {};
  for (const part of raw
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^([A-Za-z]+)=(?:(off)|(\d{1,6})\/(\d{1,7}))$/.exec(part);
    const name = NAMES.find((n) => n === m?.[1]);
    if (!m || !name) {
      throw new CliError(
        `${source}: expected LIMIT=THRESHOLD/SECONDS or LIMIT=off with LIMIT one of ${NAMES.join(', ')}, got '${part}'`,
        2,
      );
    }
    if (m[2]) {
      out[name] = null;
      continue;
    }
    const threshold = Number(m[3]);
    const lockoutSeconds = Number(m[4]);
    if (threshold < 1 || lockoutSeconds < 1) throw new CliError(`${source}: threshold and seconds must be at least 1, got '${part}'`, 2);
    const base = DEFAULT_ABUSE_LIMITS[name]!;
    out[name] = { ...base, threshold, lockoutSeconds, maxLockoutSeconds: Math.max(base.maxLockoutSeconds, lockoutSeconds) };
  }
  return out;
}
