import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seedReportLines } from '../../src/cli/seed-report.js';
import type { SeedEntryOutcome, SeedResult } from '../../src/core/seed.js';

function result(entries: SeedEntryOutcome[], warnings: string[] = []): SeedResult {
  const count = (o: SeedEntryOutcome['outcome']) => entries.filter((e) => e.outcome === o).length;
  return {
    created: count('created'),
    updated: count('updated'),
    unchanged: count('unchanged'),
    skipped: count('skipped'),
    adopted: count('adopted'),
    entries,
    argon2: 7,
    warnings,
  };
}
const user = (name: string, outcome: SeedEntryOutcome['outcome'], details: string[] = []): SeedEntryOutcome => ({
  kind: 'user',
  name,
  outcome,
  details,
});

describe('seed report lines', () => {
  it('says per kind what was created, updated (which properties), skipped (why) and adopted (what differs)', () => {
    const lines = seedReportLines(
      'seed.json',
      result(
        [
          { kind: 'tenant', name: 'contoso.test', outcome: 'unchanged', details: [] },
          user('a@x.test', 'created'),
          user('b@x.test', 'created'),
          user('c@x.test', 'updated', ['password', 'displayName']),
          user('e@x.test', 'unchanged'),
          user('d@x.test', 'skipped', ['deleted at runtime']),
          user('f@x.test', 'adopted', ['accountEnabled']),
          { kind: 'application', name: 'Web [0000]', outcome: 'updated', details: ['web'] },
        ],
        ["user 'g@x.test': mail differs"],
      ),
    );
    assert.deepEqual(lines, [
      "Seed 'seed.json': 2 created, 2 updated, 2 unchanged, 1 skipped, 1 adopted (7 argon2 computations)",
      '  seed tenant:       1 unchanged',
      '  seed users:        2 created (a@x.test, b@x.test), 1 updated (c@x.test: password, displayName), 1 unchanged, 1 skipped (d@x.test: deleted at runtime, not recreated), 1 adopted (f@x.test: kept the stored accountEnabled)',
      '  seed applications: 1 updated (Web [0000]: web)',
      "  warning: user 'g@x.test': mail differs",
    ]);
  });

  it('lists at most 20 names per outcome', () => {
    const lines = seedReportLines('s.json', result(Array.from({ length: 25 }, (_, i) => user(`u${i}@x.test`, 'created'))));
    assert.match(lines[1] ?? '', /^ {2}seed users: +25 created \(u0@x\.test, .*, u19@x\.test … and 5 more\)$/);
  });
});
