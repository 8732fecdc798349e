import { CliError, EXIT } from './cli-error.js';

/** `--since WHEN`: an ISO date/time, or a duration back from now (30m, 24h, 7d); null when not given. */
export function parseSince(raw: string | undefined, now: number = Date.now()): number | null {
  if (raw === undefined) return null;
  const rel = /^(\d+)([mhd])$/.exec(raw);
  if (rel) return now - Number(rel[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as 'm' | 'h' | 'd'];
  const at = Date.parse(raw);
  if (Number.isNaN(at)) throw new CliError(`--since '${raw}' is neither a date nor a duration like 24h`, EXIT.USAGE);
  return at;
}
