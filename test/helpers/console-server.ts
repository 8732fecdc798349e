import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type PortcullisApp } from '../../src/app.js';
import { makeAppConfig } from '../../src/config.js';
import type { User } from '../../src/core/model.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import type { Store } from '../../src/store/store.js';
import { seedDirectory } from './harness.js';
import { freePort } from './processes.js';

export interface ConsoleServer {
  app: PortcullisApp;
  store: Store;
  users: Record<string, User>;
  /** The public URL the console redirects to (a real listening port on 127.0.0.1). */
  base: string;
  close(): Promise<void>;
}

/**
 * A real server on a SQLite file with the test directory seeded, listening for the console's HTTP
 * tests on 127.0.0.1; `publicHost` names it in the public URL (default 127.0.0.1; 'localhost' as
 * `portcullis serve` names a loopback server, src/cli/commands/serve.ts).
 */
export async function startConsoleServer(o: { publicHost?: string; trustProxy?: boolean } = {}): Promise<ConsoleServer> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-console-'));
  const store = openSqliteStore(join(dir, 'portcullis.db'));
  const users = await seedDirectory(store, Date.now());
  const port = await freePort();
  const base = `http://${o.publicHost ?? '127.0.0.1'}:${port}`;
  const config = makeAppConfig({ publicUrl: base, logLevel: 'silent', trustProxy: o.trustProxy ?? false });
  const app = await createApp({ config, store });
  await app.http.listen({ host: '127.0.0.1', port });
  return {
    app,
    store,
    users,
    base,
    async close() {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
