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
      { target: TARGETS.token, count: 1_200 },
      { target: TARGETS.authorize, count: 800 },
      { target: TARGETS.device, count: 400 },
      { target: TARGETS.graph, count: 2_400 },
      { target: TARGETS.batch, count: 400 },
      { target: TARGETS.ssf, count: 800 },
      { target: TARGETS.revokeIntrospect, count: 400 },
    ],
    async () => {
      const db = await freshDatabase('portcullis_fuzz');
      drop = db.drop;
      return FuzzServer.start(db.url);
    },
    () => drop(),
  );
}
