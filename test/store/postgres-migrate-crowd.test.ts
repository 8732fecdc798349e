/**
 * Several instances opening one empty database at the same moment (a deployment that starts
 * every replica together): each must come up, and the schema must end up migrated exactly once
 * (src/store/postgres/migrations.ts). The race is in PostgreSQL's catalog, so it is tried on many
 * fresh schemas, each opened by several pools at once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { PG_MIGRATIONS, isCreateRace } from '../../src/store/postgres/migrations.js';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import { PG_TEST_URL, freshSchema, requirePostgres } from '../helpers/postgres.js';

const ROUNDS = 10;

/** Until the session `pid` waits for a lock (another session's uncommitted catalog row). */
async function blockedOnALock(pid: number): Promise<void> {
  const watcher = new pg.Client({ connectionString: PG_TEST_URL });
  await watcher.connect();
  try {
    for (let i = 0; i < 500; i++) {
      const r = await watcher.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'", [pid]);
      if (r.rowCount === 1) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.fail(`session ${pid} never waited for a lock`);
  } finally {
    await watcher.end();
  }
}
const INSTANCES = 4;

if (await requirePostgres('PostgreSQL migrations under a crowd')) {
  test("each error PostgreSQL gives a CREATE TABLE that another session's create overtook counts as that race", async () => {
    const { schema, drop } = await freshSchema('portcullis_crowd');
    const a = new pg.Client({ connectionString: PG_TEST_URL });
    const b = new pg.Client({ connectionString: PG_TEST_URL });
    await Promise.all([a.connect(), b.connect()]);
    const bPid = (await b.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    const create = (c: pg.Client) => c.query(`CREATE TABLE IF NOT EXISTS ${schema}.t (v INTEGER PRIMARY KEY)`);
    const errorOf = (p: Promise<unknown>) =>
      p.then(
        () => assert.fail('no error'),
        (e: unknown) => e as { code: string; message: string },
      );
    try {
      // 23505: the other session's table is not committed yet; the second create waits for it, then collides in the catalog.
      await a.query('BEGIN');
      await create(a);
      const waiting = errorOf(create(b));
      await blockedOnALock(bPid);
      await a.query('COMMIT');
      const uncommitted = await waiting;
      assert.equal(uncommitted.code, '23505');
      // 42710: the name is taken by a type but no table: what the second create meets when the other
      // commits between PostgreSQL's check for the table and its check for the table's row type.
      await a.query(`CREATE DOMAIN ${schema}.u AS INTEGER`); // a type with no table (a composite type has one)
      const typeTaken = await errorOf(b.query(`CREATE TABLE IF NOT EXISTS ${schema}.u (v INTEGER PRIMARY KEY)`));
      assert.equal(typeTaken.code, '42710');
      assert.match(typeTaken.message, /type "u" already exists/);
      for (const e of [uncommitted, typeTaken, { code: '42P07' }]) assert.equal(isCreateRace(e), true, e.code);
      assert.equal(isCreateRace({ code: '42601' }), false); // a syntax error is not a race
    } finally {
      await Promise.all([a.end(), b.end()]);
      await drop();
    }
  });

  test(`${ROUNDS} empty schemas, each opened by ${INSTANCES} instances at once: all come up, every migration applied once`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { schema, drop } = await freshSchema('portcullis_crowd');
      try {
        const opened = await Promise.allSettled(
          Array.from({ length: INSTANCES }, () => openPostgresStore({ url: PG_TEST_URL, schema, poolMax: 2 })),
        );
        for (const o of opened) if (o.status === 'fulfilled') await o.value.close();
        const failures = opened.flatMap((o) => (o.status === 'rejected' ? [String((o.reason as Error).message ?? o.reason)] : []));
        assert.deepEqual(failures, [], `round ${round + 1}`);
        const client = new pg.Client({ connectionString: PG_TEST_URL });
        await client.connect();
        try {
          const rows = (await client.query(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`)).rows as {
            version: number;
          }[];
          assert.deepEqual(
            rows.map((r) => r.version),
            PG_MIGRATIONS.map((m) => m.version).sort((a, b) => a - b),
          );
        } finally {
          await client.end();
        }
      } finally {
        await drop();
      }
    }
  });
}
