import { freshDatabase, requirePostgres } from '../helpers/postgres.js';
import { FuzzServer } from './lib/server-process.js';
import { TARGETS, httpFuzzSuite } from './lib/http-suite.js';

/**
 * The same HTTP fuzzing against a server on PostgreSQL, which is stricter than SQLite about
 * what a parameter may hold (no NUL in text, BIGINT ranges): inputs reach the SQL there too.
 */
if (await requirePostgres('fuzz: HTTP surfaces on PostgreSQL')) {
  let drop: () => Promise<void> = async () => undefined;
  httpFuzzSuite(
    'http/postgres',
    [
      { target: TARGETS.token, count: 3_000 },
      { target: TARGETS.authorize, count: 2_000 },
      { target: TARGETS.device, count: 1_000 },
      { target: TARGETS.graph, count: 6_000 },
      { target: TARGETS.batch, count: 1_000 },
      { target: TARGETS.ssf, count: 2_000 },
      { target: TARGETS.revokeIntrospect, count: 1_000 },
    ],
    async () => {
      const db = await freshDatabase('portcullis_fuzz');
      drop = db.drop;
      return FuzzServer.start(db.url);
    },
    () => drop(),
  );
}
