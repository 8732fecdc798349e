import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { CliError, EXIT } from '../../src/cli/cli-error.js';
import { parseUserInput } from '../../src/cli/input.js';
import { SeedError, parseSeed } from '../../src/core/seed.js';
import { loadCorpus, saveToCorpus } from './lib/corpus.js';
import { Rng, inputSeed } from './lib/rng.js';
import { fuzzSettings } from './lib/settings.js';
import { documentedSeed, seedInput } from './targets/seed.js';
import { stdinInput } from './targets/stdin.js';

/**
 * Fuzzing of the two text parsers that take operator input: the seed loader (parseSeed, what
 * `serve --seed` runs on a file's JSON) and the CLI's stdin parser (parseUserInput, what
 * `portcullis revoke` and `users` read: lines, JSON lines, a JSON array). Each may only return
 * a valid result or throw its documented error (SeedError; CliError with the usage exit code).
 */
const SEED_INPUTS = 20_000;
const STDIN_INPUTS = 20_000;
const settings = fuzzSettings();

function holdsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (value !== null && typeof value === 'object') return Object.values(value).some(holdsNul);
  return false;
}

/** null when the seed loader behaved as documented on this text, else what went wrong. */
function judgeSeed(text: string): { failure: string | null; called: boolean; accepted?: boolean } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { failure: null, called: false }; // serve.ts reports JSON syntax errors before the loader runs
  }
  let seed;
  try {
    seed = parseSeed(json);
  } catch (e) {
    if (e instanceof SeedError && e.message.includes(': ')) return { failure: null, called: true };
    return { failure: `parseSeed threw ${(e as Error)?.name}: ${(e as Error)?.message}`, called: true };
  }
  // An accepted seed must be storable on every backend: PostgreSQL text cannot hold U+0000.
  if (holdsNul(seed)) return { failure: 'parseSeed accepted a value holding U+0000, which PostgreSQL cannot store', called: true };
  // seed.ts: "A normalised Seed is itself a valid input" — and normalising it again changes nothing.
  try {
    const again = parseSeed(JSON.parse(JSON.stringify(seed)));
    if (!isDeepStrictEqual(again, seed)) return { failure: 'parseSeed(parseSeed(x)) differs from parseSeed(x)', called: true };
  } catch (e) {
    return { failure: `a normalised seed is refused: ${(e as Error).message}`, called: true };
  }
  return { failure: null, called: true, accepted: true };
}

function judgeStdin(text: string): string | null {
  let keys: string[];
  try {
    keys = parseUserInput(text);
  } catch (e) {
    if (e instanceof CliError && e.exitCode === EXIT.USAGE) return null;
    return `parseUserInput threw ${(e as Error)?.name}: ${(e as Error)?.message}`;
  }
  if (!Array.isArray(keys)) return 'did not return an array';
  for (const k of keys) {
    if (typeof k !== 'string' || k === '' || k !== k.trim()) return `returned a blank or untrimmed key ${JSON.stringify(k)}`;
  }
  if (new Set(keys.map((k) => k.toLowerCase())).size !== keys.length) return 'returned duplicate keys';
  return null;
}

function run(name: string, count: number, generate: (rng: Rng) => string, judge: (text: string) => string | null, kind: 'seed' | 'stdin') {
  const deadline = performance.now() + settings.seconds * 1000;
  const failures: string[] = [];
  const started = performance.now();
  let inputs = 0;
  for (let i = 0; i < count && failures.length < 20 && performance.now() < deadline; i++) {
    const text = generate(new Rng(inputSeed(settings.seed, name, i)));
    inputs++;
    const failure = judge(text);
    if (failure) failures.push(`#${i}: ${failure} -> ${saveToCorpus({ kind, reason: failure, input: text })}`);
  }
  return { inputs, failures, seconds: (performance.now() - started) / 1000 };
}

test('seed loader: corpus and fuzz', () => {
  for (const { file, entry } of loadCorpus('seed')) assert.equal(judgeSeed(entry.input).failure, null, `${file} (was: ${entry.reason})`);
  const base = documentedSeed() as Record<string, unknown>;
  assert.equal(judgeSeed(JSON.stringify(base)).failure, null, 'the documented seed is valid');
  let called = 0;
  let accepted = 0;
  const count = Math.round(SEED_INPUTS * settings.scale);
  const r = run(
    'seed',
    count,
    (rng) => seedInput(rng, base).text,
    (text) => {
      const out = judgeSeed(text);
      if (out.called) called++;
      if (out.accepted) accepted++;
      return out.failure;
    },
    'seed',
  );
  console.log(
    `fuzz seed loader: seed=${settings.seed} ${r.inputs} inputs in ${r.seconds.toFixed(1)} s; reached parseSeed ${called}, accepted ${accepted}; failures ${r.failures.length}`,
  );
  assert.deepEqual(r.failures, [], `replay with PORTCULLIS_FUZZ_SEED=${settings.seed}`);
  assert.equal(r.inputs, count, `the time bound cut the run short: ${r.inputs} of ${count}`);
  assert.ok(accepted > 0 && called - accepted > 0, 'the generator reaches both outcomes');
});

test('CLI stdin parser: corpus and fuzz', () => {
  for (const { file, entry } of loadCorpus('stdin')) assert.equal(judgeStdin(entry.input), null, `${file} (was: ${entry.reason})`);
  const count = Math.round(STDIN_INPUTS * settings.scale);
  const r = run('stdin', count, stdinInput, judgeStdin, 'stdin');
  console.log(`fuzz stdin parser: seed=${settings.seed} ${r.inputs} inputs in ${r.seconds.toFixed(1)} s; failures ${r.failures.length}`);
  assert.deepEqual(r.failures, [], `replay with PORTCULLIS_FUZZ_SEED=${settings.seed}`);
  assert.equal(r.inputs, count, `the time bound cut the run short: ${r.inputs} of ${count}`);
});
