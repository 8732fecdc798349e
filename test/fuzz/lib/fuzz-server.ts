// The server under fuzz, in its own process so a crash is seen as a crash and its memory is its
// own: `node --expose-gc --import tsx test/fuzz/lib/fuzz-server.ts <dir> [postgres-url]`. Seeds a
// SQLite file in <dir> (or the given, empty PostgreSQL database), listens on a free loopback port and prints `READY <port>`. Over IPC it answers
// {type: 'memory'} with process.memoryUsage() taken right after a full garbage collection.
import { join } from 'node:path';
import { createApp } from '../../../src/app.js';
import { makeAppConfig } from '../../../src/config.js';
import { openPostgresStore } from '../../../src/store/postgres/open.js';
import { openSqliteStore } from '../../../src/store/sqlite/open.js';
import { PUBLIC_URL, seedDirectory } from '../../helpers/harness.js';
import { addSsfReceivers } from './ssf-receivers.js';

const [dir, databaseUrl] = process.argv.slice(2);
if (!dir) throw new Error('usage: fuzz-server <dir> [postgres-url]');
const store = databaseUrl ? await openPostgresStore({ url: databaseUrl }) : openSqliteStore(join(dir, 'fuzz.db'));
await seedDirectory(store, Date.now());
await addSsfReceivers(store);
// logLevel 'error': a 500 is logged with its stack here (never sent to the client), which is
// what a developer needs to fix it.
// SSF: a long poll holds a connection of the pool for at most 1 s; push endpoints are
// http://127.0.0.1:1 (refused at once, see targets/ssf.ts); verification may repeat every second.
const ssf = { pollWaitSeconds: 1, allowHttpPushEndpoints: true, minVerificationIntervalSeconds: 1 };
const app = await createApp({ config: makeAppConfig({ publicUrl: PUBLIC_URL, logLevel: 'error', ssf }), store });
await app.http.listen({ host: '127.0.0.1', port: 0 });
const address = app.http.server.address();
process.stdout.write(`READY ${typeof address === 'object' && address ? address.port : 0}\n`);

const gc = (globalThis as { gc?: () => void }).gc;
process.on('message', (m: { type?: string }) => {
  if (m?.type !== 'memory') return;
  gc?.();
  gc?.();
  process.send?.({ type: 'memory', gc: gc !== undefined, usage: process.memoryUsage() });
});
// The parent's IPC channel closing means the test is over.
process.on(
  'disconnect',
  () =>
    void app
      .close()
      .then(() => store.close())
      .finally(() => process.exit(0)),
);
