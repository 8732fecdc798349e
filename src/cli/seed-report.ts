/**
 * The lines `serve --seed` prints about what applying the file did (docs/seed-file.md): a summary
 * line whose shape scripts parse (`Seed '<file>': N created, N updated, N unchanged, ...`), then one
 * line per kind of entry naming what was created, updated (with the properties written), skipped
 * or adopted. Property names only: a value, and so a password, is never printed.
 */
import type { SeedEntryOutcome, SeedOutcome, SeedProgress, SeedResult } from '../core/seed.js';

/** Names listed per outcome before "… and N more"; the audit log has every change. */
const MAX_NAMES = 20;

// Prefixed with "seed": the ready banner's own "  tenant:" line is parsed by scripts (commands/serve.ts).
const KINDS: readonly { kind: SeedEntryOutcome['kind']; label: string }[] = [
  { kind: 'tenant', label: 'seed tenant:' },
  { kind: 'user', label: 'seed users:' },
  { kind: 'group', label: 'seed groups:' },
  { kind: 'application', label: 'seed applications:' },
];

const ORDER: readonly SeedOutcome[] = ['created', 'updated', 'unchanged', 'skipped', 'adopted'];

function describeEntry(e: SeedEntryOutcome): string {
  if (e.details.length === 0) return e.name;
  if (e.outcome === 'adopted') return `${e.name}: kept the stored ${e.details.join(', ')}`;
  if (e.outcome === 'skipped') return `${e.name}: ${e.details.join(', ')}, not recreated`;
  return `${e.name}: ${e.details.join(', ')}`;
}

function listed(entries: readonly SeedEntryOutcome[]): string {
  const shown = entries.slice(0, MAX_NAMES).map(describeEntry);
  const more = entries.length > MAX_NAMES ? ` … and ${entries.length - MAX_NAMES} more` : '';
  // With details, names are separated by ';' so the details' own commas stay readable.
  return `(${shown.join(entries.some((e) => e.details.length > 0) ? '; ' : ', ')}${more})`;
}

function kindLine(entries: readonly SeedEntryOutcome[]): string {
  return ORDER.flatMap((outcome) => {
    const these = entries.filter((e) => e.outcome === outcome);
    if (these.length === 0) return [];
    return [outcome === 'unchanged' ? `${these.length} unchanged` : `${these.length} ${outcome} ${listed(these)}`];
  }).join(', ');
}

export function seedReportLines(seedFile: string, r: SeedResult): string[] {
  const lines = [
    `Seed '${seedFile}': ${r.created} created, ${r.updated} updated, ${r.unchanged} unchanged, ${r.skipped} skipped, ${r.adopted} adopted (${r.argon2} argon2 computations)`,
  ];
  for (const { kind, label } of KINDS) {
    const entries = r.entries.filter((e) => e.kind === kind);
    if (entries.length > 0) lines.push(`  ${label.padEnd(19)}${kindLine(entries)}`);
  }
  for (const w of r.warnings) lines.push(`  warning: ${w}`);
  return lines;
}

/** One progress line while a big seed is applied (core/seed-progress.ts decides when). */
export function seedProgressLine(seedFile: string, p: SeedProgress): string {
  const n = (x: number) => x.toLocaleString('en-US');
  return `Seed '${seedFile}': ${n(p.users)} of ${n(p.total)} users applied (${n(p.argon2)} argon2 computations, ${(p.elapsedMs / 1000).toFixed(1)} s)`;
}
