import pg from 'pg';
import { CommitSignal } from '../commit-signal.js';
import { ConflictError, StoreUnavailableError } from '../store.js';
import { PG_DEFAULTS } from './defaults.js';
import { migratePostgres } from './migrations.js';

export interface PgStoreOptions {
  /** postgres://user@host:port/database (any libpq-style URL node-postgres understands). */
  url: string;
  /** Connections per instance. N instances hold up to N × poolMax; keep it under max_connections. */
  poolMax?: number;
  /** Server-side cap on one statement, so a stuck lock cannot hold a request forever. */
  statementTimeoutMs?: number;
  /** How long a request waits for a pooled connection (or a new one) before it fails with 503. */
  connectionTimeoutMs?: number;
  /** Sets search_path on every connection (tests run each suite in its own schema). */
  schema?: string;
}

/** SQLSTATEs a retry of the whole transaction resolves: serialization_failure, deadlock_detected. */
const RETRYABLE = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 5;

/**
 * Errors that mean "the database is not there right now" rather than "this request is wrong":
 * class 08 (connection exception), 53300 too_many_connections, 57P01-57P03 (shutdown, crash,
 * cannot connect now), 57014 query_canceled (our statement_timeout), and node-postgres' own
 * socket and pool-timeout errors, which carry no SQLSTATE.
 */
function isUnavailable(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (code.startsWith('08') || ['53300', '57P01', '57P02', '57P03', '57014'].includes(code)) return true;
    if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN'].includes(code)) return true;
  }
  const message = e instanceof Error ? e.message : '';
  return /timeout exceeded when trying to connect|Connection terminated|connection timeout|Client has encountered a connection error|not queryable|Query read timeout/i.test(
    message,
  );
}

/** A 40001/40P01 (or a StoreUnavailableError made of one): running the work again may succeed. */
export function isRetryable(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && RETRYABLE.has(code)) return true;
  const cause = (e as { cause?: unknown } | null)?.cause;
  return cause !== undefined && cause !== e && isRetryable(cause);
}

/** Turns driver errors into the Store's error vocabulary; everything else passes through. */
export function mapPgError(e: unknown): unknown {
  if (e instanceof StoreUnavailableError || e instanceof ConflictError) return e;
  const code = (e as { code?: unknown } | null)?.code;
  if (code === '23505') {
    const constraint = String((e as { constraint?: unknown }).constraint ?? '');
    if (constraint.includes('identifier_uri')) return new ConflictError('identifierUris');
    return new ConflictError(constraint.includes('upn') ? 'userPrincipalName' : constraint || 'key');
  }
  if (isUnavailable(e)) return new StoreUnavailableError(`database unavailable: ${(e as Error).message}`, 1, { cause: e });
  if (typeof code === 'string' && RETRYABLE.has(code)) {
    return new StoreUnavailableError('database contention: serialization retries exhausted', 1, { cause: e });
  }
  return e;
}

/** Millisecond times and epochs are BIGINT; they fit a JS number exactly (< 2^53). */
const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

/** What the per-table helpers need: a pooled client inside a transaction, or the PgDb itself. */
export interface Queryable {
  query(sql: string, args?: unknown[]): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>;
}

/**
 * One attempt of PgDb.tx on a checked-out connection: BEGIN, fn, COMMIT. Every statement fn sends
 * is awaited here, so one fn did not await still fails the transaction; the first failure is thrown.
 */
async function runTransaction<T>(
  client: pg.PoolClient,
  begin: string,
  fn: (c: Queryable) => Promise<T>,
  mode: 'sequential' | 'pipelined',
): Promise<T> {
  const sent: Promise<unknown>[] = [];
  let failure: { error: unknown } | null = null;
  const send = (sql: string, args?: unknown[]) => {
    const p = client.query(sql, args);
    sent.push(p);
    p.catch((error: unknown) => {
      failure ??= { error };
    });
    return p;
  };
  const c: Queryable = {
    query: (sql, args) => (failure ? Promise.reject(failure.error) : send(sql, args)),
  };
  try {
    const begun = send(begin);
    if (mode === 'sequential') await begun;
    const result = await fn(c);
    const commit = send('COMMIT');
    for (const p of sent) await p;
    // Cannot happen once every statement succeeded; checked because an acknowledged write must have committed.
    if ((await commit).command !== 'COMMIT') throw new Error('the transaction was rolled back');
    return result;
  } catch (e) {
    // The first failure, not what a later statement of the aborted transaction answered (25P02).
    throw failure ? (failure as { error: unknown }).error : e;
  }
}

/** The pool and the transaction runner the PostgreSQL adapters share. */
export class PgDb implements Queryable {
  readonly pool: pg.Pool;
  /** Fired after a transaction that wrote an outbox event committed (outbox.ts). */
  readonly outboxCommitted = new CommitSignal();

  constructor(opts: PgStoreOptions) {
    const statementTimeoutMs = opts.statementTimeoutMs ?? PG_DEFAULTS.statementTimeoutMs;
    this.pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.poolMax ?? PG_DEFAULTS.poolMax,
      connectionTimeoutMillis: opts.connectionTimeoutMs ?? PG_DEFAULTS.connectionTimeoutMs,
      idleTimeoutMillis: 30_000,
      statement_timeout: statementTimeoutMs,
      // The client's own bound, a little above the server's: statement_timeout only works while
      // the server can still answer. A connection that died without a FIN or RST (a host that
      // vanished, a middlebox that dropped it) would otherwise keep the request waiting for TCP's
      // retransmission timeout, many minutes, instead of answering 503 (test/faults/postgres-drops).
      query_timeout: statementTimeoutMs + 1_000,
      keepAlive: true,
      // A transaction left open by a vanished client must not keep its row locks.
      idle_in_transaction_session_timeout: statementTimeoutMs * 2,
      application_name: 'portcullis',
      // A statement goes out without waiting for the answers to those before it on its connection
      // (https://node-postgres.com/features/pipelining); PostgreSQL still runs them one after the
      // other, in order. Only a transaction that sends before it awaits uses that (tx 'pipelined'):
      // everything else awaits each statement, as without it.
      pipeline: true,
      types,
      ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
    });
    // An idle connection the server closed (restart, failover) emits 'error' on the pool; without
    // a listener that would crash the process. The pool drops it and opens a new one on demand,
    // which is how instances recover without a restart.
    this.pool.on('error', () => undefined);
    // pg-pool's query() listens for a client's 'error' only once (pg-pool 3.14 index.js, `client.once`)
    // and releases the client on the first one; a backend killed mid-query (57P01, a failover) can
    // emit a second 'error' as the socket closes, and an 'error' event nobody listens to ends the
    // process. The failing query already reports the error to its caller, so this listener, kept
    // for the client's whole life, only keeps the process alive (test/faults/postgres-drops.test.ts).
    this.pool.on('connect', (client) => client.on('error', () => undefined));
  }

  /** One statement outside a transaction (autocommit). */
  async query<R extends pg.QueryResultRow = Record<string, unknown>>(sql: string, args: unknown[] = []): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(sql, args);
    } catch (e) {
      throw mapPgError(e);
    }
  }

  /** Names whose prepared statement went stale (see statement()); sent unnamed from then on. */
  private readonly staleNames = new Set<string>();

  /**
   * One statement outside a transaction, as node-postgres' query config. `name` prepares it once
   * per connection (Parse is sent only the first time a connection sees the name, so the server
   * skips parsing and planning on every later call). A `*` in a prepared statement is expanded
   * when it is prepared: once a migration (run by a newer instance) adds a column, PostgreSQL
   * refuses it with 0A000 "cached plan must not change result type" on every connection that
   * prepared it. Then it runs again unnamed, and this process stops naming it: slower, never wrong.
   * `rowMode: 'array'` answers rows as arrays in `fields` order (a join whose tables share
   * column names).
   */
  async statement(config: { text: string; values: unknown[]; name?: string; rowMode?: 'array' }): Promise<pg.QueryResult<unknown[]>> {
    const named = config.name !== undefined && !this.staleNames.has(config.name);
    try {
      return (await this.pool.query((named ? config : { ...config, name: undefined }) as pg.QueryArrayConfig)) as pg.QueryResult<unknown[]>;
    } catch (e) {
      if (named && (e as { code?: unknown } | null)?.code === '0A000' && config.name) {
        this.staleNames.add(config.name);
        return this.statement(config);
      }
      throw mapPgError(e);
    }
  }

  /** A read of `*` rows by a prepared statement (statement() explains the name), as objects. */
  async preparedRows(name: string, text: string, values: unknown[]): Promise<Record<string, unknown>[]> {
    return (await this.statement({ name, text, values })).rows as unknown as Record<string, unknown>[];
  }

  /**
   * Runs fn in one READ COMMITTED transaction and retries the whole of it on serialization
   * failures and deadlocks (SQLSTATE 40001, 40P01), a bounded number of times with a jittered
   * backoff: the correctness of rotation and revocation comes from the row locks each method
   * takes (SELECT ... FOR UPDATE / FOR SHARE), so a retried transaction simply runs again on
   * fresh data. On distributed engines (CockroachDB runs SERIALIZABLE) 40001 is an ordinary
   * outcome, which is why every transactional method goes through here.
   *
   * `pipelined` saves the round trips of BEGIN and COMMIT, for a transaction whose every round
   * trip waits for a turn of a busy event loop (the revoke, directory.ts): BEGIN goes out with the
   * statements fn sends before it first awaits an answer (they must be reads: were BEGIN to fail,
   * they would have run outside a transaction; nothing is sent after a failure), and COMMIT goes
   * out with the statements fn sent and did not await before it returned. Every statement sent is
   * awaited before the transaction counts as committed, and the first failure is what is thrown:
   * after a failed statement PostgreSQL refuses the rest (25P02) and answers COMMIT with ROLLBACK.
   */
  async tx<T>(
    fn: (c: Queryable) => Promise<T>,
    isolation: 'read committed' | 'serializable' = 'read committed',
    mode: 'sequential' | 'pipelined' = 'sequential',
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (e) {
        throw mapPgError(e);
      }
      // A checked-out client whose socket dies between queries emits 'error'; the failing query
      // reports it to us, so this listener only keeps the process alive.
      const onError = () => undefined;
      client.on('error', onError);
      let broken: Error | undefined;
      try {
        return await runTransaction(
          client,
          `BEGIN ISOLATION LEVEL ${isolation === 'serializable' ? 'SERIALIZABLE' : 'READ COMMITTED'}`,
          fn,
          mode,
        );
      } catch (e) {
        const code = (e as { code?: unknown } | null)?.code;
        if (isUnavailable(e)) {
          // The connection is gone or silent: a ROLLBACK would only wait behind the dead query for
          // another query_timeout. Destroying it makes the server roll the transaction back.
          broken = e instanceof Error ? e : new Error(String(e));
        } else {
          try {
            await client.query('ROLLBACK');
          } catch {
            broken = e instanceof Error ? e : new Error(String(e));
          }
        }
        if (typeof code === 'string' && RETRYABLE.has(code) && attempt < MAX_ATTEMPTS) {
          await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
          continue;
        }
        if (isUnavailable(e)) broken = e instanceof Error ? e : new Error(String(e));
        throw mapPgError(e);
      } finally {
        client.off('error', onError);
        // A broken connection is destroyed rather than handed to the next request.
        client.release(broken);
      }
    }
  }

  migrate(now: number): Promise<number[]> {
    return migratePostgres(this.pool, now).catch((e: unknown) => {
      throw mapPgError(e);
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
