#!/usr/bin/env node
// Runs every test/**/*.test.ts with Node's test runner (TypeScript through tsx).
// Usage: node scripts/run-tests.mjs [path-filter ...]
// PORTCULLIS_TEST_CONCURRENCY: test files run at once, each in its own process (`--test-concurrency`;
// unset, Node's default: one fewer than the cores, so 1 on a 2-core CI machine). Above 1, the
// files in ALONE then run one at a time with nothing beside them (docs/testing.md).
import { spawn } from 'node:child_process';
import { root, testFiles } from './test-files.mjs';

const filters = process.argv.slice(2);
const files = testFiles(filters);
if (files.length === 0) {
  console.error('run-tests: no test files matched');
  process.exit(1);
}

/** Files that must not share the machine with another test file, each with the reason. */
const ALONE = new Set([
  // `npm pack` runs `prepare`, which rewrites dist/ while other files start processes from it.
  'test/install/packed-install.test.ts',
  // These assert a time bound or a rate, which a neighbour's load would eat into: a revoked
  // token refused within 1 s, a key published within 10 s, recovery from a PostgreSQL restart or
  // dropped connections within 15 s, at least one answered revoke a second.
  'test/resource-server/example-api.test.ts',
  'test/scale/key-propagation.test.ts',
  'test/scale/postgres-restart.test.ts',
  'test/faults/postgres-drops.test.ts',
  'test/soak/soak.test.ts',
]);
const asked = process.env.PORTCULLIS_TEST_CONCURRENCY;
const concurrency = asked === undefined || asked === '' ? null : Number(asked);
if (concurrency !== null && (!Number.isInteger(concurrency) || concurrency < 1)) {
  console.error(`run-tests: PORTCULLIS_TEST_CONCURRENCY must be a positive integer, not '${process.env.PORTCULLIS_TEST_CONCURRENCY}'`);
  process.exit(1);
}

function run(group, n) {
  return new Promise((resolve) => {
    const flags = n === null ? [] : [`--test-concurrency=${n}`];
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-timeout=300000', ...flags, ...group], {
      cwd: root,
      stdio: 'inherit',
    });
    child.on('exit', (code, signal) => resolve(signal ? 1 : (code ?? 1)));
  });
}

// Unset or 1: every file in one run, in path order, as before the variable existed.
const split = concurrency !== null && concurrency > 1;
const together = split ? files.filter((f) => !ALONE.has(f)) : files;
const alone = split ? files.filter((f) => ALONE.has(f)) : [];
let failed = false;
if (together.length > 0) failed = (await run(together, concurrency)) !== 0;
if (alone.length > 0) failed = (await run(alone, 1)) !== 0 || failed;
process.exit(failed ? 1 : 0);
