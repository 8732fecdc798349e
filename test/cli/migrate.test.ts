import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { PG_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { freshDatabase, requirePostgres } from '../helpers/postgres.js';

const ALL_VERSIONS = PG_MIGRATIONS.map((m) => m.version).sort((x, y) => x - y);

const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;

/** Runs `portcullis migrate` as a real process; bounded by a timeout. */
function migrate(url: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'migrate', '--database-url', url], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`migrate timed out: ${out} ${err}`));
    }, 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

if (await requirePostgres('portcullis migrate')) {
  describe('portcullis migrate (PostgreSQL)', () => {
    let db: { url: string; drop(): Promise<void> };
    before(async () => {
      db = await freshDatabase('portcullis_migrate');
    });
    after(async () => db.drop());

    it('four processes migrating one fresh database at once apply each migration exactly once', async () => {
      const runs = await Promise.all([1, 2, 3, 4].map(() => migrate(db.url)));
      for (const r of runs) assert.equal(r.code, 0, r.err);
      // Every migration is applied by exactly one of the four, whichever it was.
      const appliedBy = runs.flatMap((r) =>
        (/Applied migrations? ([\d, ]+) to/.exec(r.out)?.[1] ?? '').split(', ').filter(Boolean).map(Number),
      );
      assert.deepEqual(
        appliedBy.sort((x, y) => x - y),
        ALL_VERSIONS,
        runs.map((r) => r.out).join(''),
      );
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        const { rows } = await client.query('SELECT version FROM schema_migrations');
        assert.deepEqual(
          rows.map((r) => r.version).sort((x, y) => x - y),
          ALL_VERSIONS,
        );
      } finally {
        await client.end();
      }
      assert.match((await migrate(db.url)).out, /is up to date/);
    });
  });
}
