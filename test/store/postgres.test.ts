import { openPostgresStore } from '../../src/store/postgres/open.js';
import { PG_TEST_URL, freshSchema, requirePostgres } from '../helpers/postgres.js';
import { describeStoreContract } from './contract.js';

// The same contract suite as SQLite, unchanged, on the real PostgreSQL server, in a schema of its
// own (dropped afterwards) so parallel runs and leftovers cannot interfere.
if (await requirePostgres('Store contract: PostgreSQL')) {
  describeStoreContract('PostgreSQL (a fresh schema on the real server)', async () => {
    const { schema, drop } = await freshSchema();
    const store = await openPostgresStore({ url: PG_TEST_URL, schema });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await drop();
      },
    };
  });
}
