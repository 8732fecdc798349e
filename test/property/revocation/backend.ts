import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createApp } from '../../../src/app.js';
import { makeAppConfig } from '../../../src/config.js';
import { openPostgresStore } from '../../../src/store/postgres/open.js';
import { openSqliteStore } from '../../../src/store/sqlite/open.js';
import type { Store } from '../../../src/store/store.js';
import { PUBLIC_URL, seedDirectory } from '../../helpers/harness.js';
import type { ThrowawayPostgres } from '../../helpers/throwaway-postgres.js';

/**
 * Where one property run keeps its data, so a "process restart" can close the app and reopen
 * the very same data. Every run starts from a copy of one seeded template (tenant, users, apps
 * and a signing key), so a run costs a file copy or a CREATE DATABASE … TEMPLATE, not an RSA key
 * generation and three argon2 hashes.
 */
export interface RunData {
  open(): Promise<Store>;
  /** Every stored byte, as text, for the I5 scan (SQLite file and WAL; every PostgreSQL row). */
  storedText(): Promise<string>;
  destroy(): Promise<void>;
}

export interface Backend {
  readonly name: 'sqlite' | 'postgres';
  newRun(): Promise<RunData>;
  close(): Promise<void>;
}

/** Opens the store once through the real app so the template carries a signing key. */
async function seedTemplate(store: Store): Promise<void> {
  await seedDirectory(store, Date.now());
  const app = await createApp({ config: makeAppConfig({ publicUrl: PUBLIC_URL, logLevel: 'silent' }), store });
  await app.close();
}

export async function sqliteBackend(): Promise<Backend> {
  const root = mkdtempSync(join(tmpdir(), 'portcullis-prop-'));
  const template = join(root, 'template.db');
  const store = openSqliteStore(template);
  await seedTemplate(store);
  await store.close(); // checkpoints the WAL into the file, so copying the file copies everything
  let n = 0;
  return {
    name: 'sqlite',
    async newRun() {
      const file = join(root, `run-${++n}.db`);
      copyFileSync(template, file);
      return {
        open: async () => openSqliteStore(file),
        storedText: async () =>
          [file, `${file}-wal`, `${file}-journal`]
            .filter(existsSync)
            .map((f) => readFileSync(f).toString('latin1'))
            .join('\n'),
        destroy: async () => {
          for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) rmSync(f, { force: true });
        },
      };
    },
    close: async () => rmSync(root, { recursive: true, force: true }),
  };
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const adminQuery = (url: string, sql: string) => withClient(url, (c) => c.query(sql));

/** Each run gets its own database on the test's own throwaway server. */
export async function postgresBackend(server: ThrowawayPostgres): Promise<Backend> {
  await adminQuery(server.url(), 'CREATE DATABASE prop_template');
  const store = await openPostgresStore({ url: server.url('prop_template'), poolMax: 2 });
  await seedTemplate(store);
  await store.close();
  let n = 0;
  return {
    name: 'postgres',
    async newRun() {
      const name = `prop_run_${++n}`;
      await adminQuery(server.url(), `CREATE DATABASE ${name} TEMPLATE prop_template`);
      const url = server.url(name);
      return {
        open: () => openPostgresStore({ url, poolMax: 4 }),
        storedText: () =>
          withClient(url, async (c) => {
            const tables = await c.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'");
            const parts: string[] = [];
            for (const { table_name } of tables.rows as { table_name: string }[]) {
              const rows = await c.query(`SELECT t::text AS row FROM "${table_name}" t`);
              parts.push(...(rows.rows as { row: string }[]).map((r) => r.row));
            }
            return parts.join('\n');
          }),
        destroy: async () => {
          await adminQuery(server.url(), `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        },
      };
    },
    close: async () => {
      await adminQuery(server.url(), 'DROP DATABASE IF EXISTS prop_template WITH (FORCE)');
    },
  };
}
