import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import type { Store } from '../../src/store/store.js';

/**
 * The real PostgreSQL the tests run against: PORTCULLIS_TEST_DATABASE_URL, or the local server
 * CI starts (.ci/run). Each suite works in its own fresh schema or database and drops it after.
 */
export const PG_TEST_URL = process.env.PORTCULLIS_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** null when reachable, else why not. */
export async function postgresUnreachable(url = PG_TEST_URL): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (e) {
    return `${(e as Error).message || (e as { code?: string }).code || String(e)}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Returns true when PostgreSQL is there. Otherwise registers one visible test instead of the
 * suite: under CI (CI=true) it FAILS, because CI provides PostgreSQL and a silent skip would
 * hide a broken setup; on a developer machine it is skipped with the reason.
 */
export async function requirePostgres(suite: string): Promise<boolean> {
  const why = await postgresUnreachable();
  if (why === null) return true;
  const message = `${suite}: PostgreSQL is not reachable at ${PG_TEST_URL.replace(/\/\/[^@]*@/, '//')} (${why})`;
  if (process.env.CI === 'true') {
    test(`${suite} (PostgreSQL required under CI)`, () => {
      throw new Error(message);
    });
  } else {
    console.log(`SKIPPED ${message}; set PORTCULLIS_TEST_DATABASE_URL or start PostgreSQL`);
    test(suite, { skip: message }, () => undefined);
  }
  return false;
}

export const uniqueName = (prefix: string): string => `${prefix}_${randomBytes(6).toString('hex')}`;

/** Runs one statement on the admin connection (schema and database create/drop). */
export async function adminQuery(sql: string, url = PG_TEST_URL): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A fresh schema in the test database; `drop` removes it with everything in it. */
export async function freshSchema(prefix = 'portcullis_test'): Promise<{ schema: string; drop(): Promise<void> }> {
  const schema = uniqueName(prefix);
  await adminQuery(`CREATE SCHEMA ${schema}`);
  return { schema, drop: () => adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`) };
}

/**
 * A store on a fresh schema of the test database holding one tenant, for a suite's `before`;
 * `close` closes the store and drops the schema (the suite's `after`).
 */
export async function freshPostgresStore(
  tenant: { id: string; domain: string; displayName: string },
  createdAt: number,
): Promise<{ store: Store; schema: string; close(): Promise<void> }> {
  const { schema, drop } = await freshSchema();
  const store = await openPostgresStore({ url: PG_TEST_URL, schema });
  await store.tenants.insert({ ...tenant, createdAt });
  return {
    store,
    schema,
    close: async () => {
      await store.close();
      await drop();
    },
  };
}

/**
 * freshPostgresStore for the enclosing describe(): opened in its before(), closed (and its schema
 * dropped) in its after(). Read `store` and `schema` inside the tests, once before() has run.
 */
export function postgresStoreForSuite(
  tenant: { id: string; domain: string; displayName: string },
  createdAt: number,
): { readonly store: Store; readonly schema: string } {
  let opened: Awaited<ReturnType<typeof freshPostgresStore>> | undefined;
  before(async () => {
    opened = await freshPostgresStore(tenant, createdAt);
  });
  after(() => opened?.close());
  const current = () => {
    if (!opened) throw new Error('the suite store is opened in before()');
    return opened;
  };
  return {
    get store() {
      return current().store;
    },
    get schema() {
      return current().schema;
    },
  };
}

/** A fresh database (for child processes, which take only a URL); `drop` forces it away. */
export async function freshDatabase(prefix = 'portcullis_test'): Promise<{ url: string; drop(): Promise<void> }> {
  const name = uniqueName(prefix);
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(PG_TEST_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
