import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import { describeStoreContract } from './contract.js';

describeStoreContract('SQLite (a real file)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-store-'));
  const store = openSqliteStore(join(dir, 'portcullis.db'));
  return {
    store,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
