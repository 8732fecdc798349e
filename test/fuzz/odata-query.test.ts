import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, test } from 'node:test';
import type { FastifyRequest } from 'fastify';
import { GraphError } from '../../src/graph/errors.js';
import { MAX_FILTER_NODES } from '../../src/graph/odata-filter.js';
import { readUserQuery } from '../../src/graph/user-query.js';
import { SqliteDb } from '../../src/store/sqlite/database.js';
import { sqliteStoreOn } from '../../src/store/sqlite/open.js';
import { conditionSql } from '../../src/store/sql/user-query.js';
import type { Store, UserCondition } from '../../src/store/store.js';
import { loadCorpus, saveToCorpus } from './lib/corpus.js';
import { Rng, inputSeed } from './lib/rng.js';
import { fuzzSettings } from './lib/settings.js';
import { filterInput, searchInput } from './targets/odata-filter.js';

/**
 * Fuzzing of the /users query parser (graph/odata-filter.ts, graph/user-query.ts) and the SQL it
 * feeds (store/sql/user-query.ts), in process: every $filter / $search text either becomes a
 * condition or is refused with a 400 Graph error; an accepted condition has exactly one bound
 * parameter per `?` and runs on a real SQLite database without error. Bounded: a fixed number of
 * inputs under the time bound of PORTCULLIS_FUZZ_SECONDS.
 */
const INPUTS = 8_000;
const settings = fuzzSettings();
const TENANT = 'fuzz-tenant';
let db: SqliteDb;
let store: Store;

before(async () => {
  db = new SqliteDb(':memory:');
  db.migrate(Date.now());
  store = sqliteStoreOn(db);
  await store.tenants.insert({ id: TENANT, domain: 'fuzz.test', displayName: 'Fuzz', createdAt: 0 });
});
after(() => store.close());

const request = (eventual: boolean) => ({ headers: eventual ? { consistencylevel: 'eventual' } : {} }) as unknown as FastifyRequest;

function size(c: UserCondition): number {
  if (c.kind === 'and' || c.kind === 'or') return 1 + c.items.reduce((n, i) => n + size(i), 0);
  if (c.kind === 'not') return 1 + size(c.item);
  return 1;
}

let accepted = 0;

async function judge(option: '$filter' | '$search', text: string, advanced: boolean): Promise<string | null> {
  let where: UserCondition | undefined;
  try {
    where = readUserQuery(request(advanced), { [option]: text, ...(advanced ? { $count: 'true' } : {}) }).where;
  } catch (e) {
    // Refused as Graph refuses a query: a 400 with a bounded message (no echo of a huge input).
    if (e instanceof GraphError && e.status === 400 && e.message.length < 400) return null;
    return `threw ${(e as Error)?.name}: ${(e as Error)?.message}`;
  }
  if (!where) return 'accepted without a condition';
  // `in` expands to one comparison per value, both counted against the parser's budget.
  if (size(where) > 3 * MAX_FILTER_NODES) return `condition of ${size(where)} nodes`;
  const sql = conditionSql(where, { collate: '', chr: 'char', flag: (b) => (b ? 1 : 0) });
  if ((sql.sql.match(/\?/g) ?? []).length !== sql.args.length) return 'placeholders and arguments differ in number';
  try {
    await store.users.list({ tenantId: TENANT, limit: 5, where });
    await store.users.count(TENANT, where);
  } catch (e) {
    return `the store failed: ${(e as Error).message}`;
  }
  accepted++;
  return null;
}

async function run(option: '$filter' | '$search', generate: (rng: Rng) => string) {
  for (const { file, entry } of loadCorpus('odata')) {
    if (entry.input.startsWith(`${option}=`)) {
      const text = entry.input.slice(option.length + 1);
      for (const advanced of [false, true]) assert.equal(await judge(option, text, advanced), null, `${file} (was: ${entry.reason})`);
    }
  }
  const count = Math.round(INPUTS * settings.scale);
  const deadline = performance.now() + settings.seconds * 1000;
  const failures: string[] = [];
  let inputs = 0;
  accepted = 0;
  for (let i = 0; i < count && failures.length < 20 && performance.now() < deadline; i++) {
    const rng = new Rng(inputSeed(settings.seed, option, i));
    const text = generate(rng);
    inputs++;
    const failure = await judge(option, text, rng.chance(0.5));
    if (failure) failures.push(`#${i}: ${failure} -> ${saveToCorpus({ kind: 'odata', reason: failure, input: `${option}=${text}` })}`);
  }
  console.log(`fuzz ${option}: seed=${settings.seed} ${inputs} inputs, ${accepted} accepted; failures ${failures.length}`);
  assert.deepEqual(failures, [], `replay with PORTCULLIS_FUZZ_SEED=${settings.seed}`);
  assert.equal(inputs, count, `the time bound cut the run short: ${inputs} of ${count}`);
  assert.ok(accepted > count / 50 && accepted < count, 'the generator reaches both outcomes');
}

test('$filter parser and its SQL: corpus and fuzz', () => run('$filter', filterInput));
test('$search parser and its SQL: corpus and fuzz', () => run('$search', searchInput));
