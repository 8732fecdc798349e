// The test files scripts/run-tests.mjs and scripts/test-times.mjs run: every test/**/*.test.ts
// whose path contains one of the filters (all of them without a filter), sorted.
// Node 20's runner does not expand globs itself, so the files are listed here.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export const root = new URL('..', import.meta.url).pathname;

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}

export function testFiles(filters) {
  return find(join(root, 'test'))
    .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
    .sort();
}
