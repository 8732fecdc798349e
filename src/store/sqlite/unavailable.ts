import { StoreUnavailableError } from '../store.js';

/**
 * SQLite result codes that mean "the database cannot do this right now" rather than "this request
 * is wrong": the disk is full (SQLITE_FULL), a read, write or fsync failed (SQLITE_IOERR_*, e.g.
 * EIO, or EFBIG past RLIMIT_FSIZE), the file cannot be opened, the lock was not granted in time,
 * memory ran out. SQLite rolls the statement (and for these codes possibly the whole transaction)
 * back, so nothing of the failed operation is committed (sqlite.org/lang_transaction.html,
 * "Response To Errors Within A Transaction"); the surfaces answer 503 with Retry-After like a lost
 * PostgreSQL connection (RFC 9110 §15.6.4), and the operation works again once space returns.
 */
const UNAVAILABLE = /^SQLITE_(FULL|IOERR|CANTOPEN|BUSY|LOCKED|NOMEM|PROTOCOL)(_|$)/;

export function isSqliteUnavailable(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && UNAVAILABLE.test(code);
}

function translate(e: unknown): unknown {
  if (!isSqliteUnavailable(e)) return e;
  return new StoreUnavailableError(`database unavailable: ${(e as { code: string }).code}`, 1, { cause: e });
}

/**
 * Wraps one adapter object (UserStore, GrantStore, …) so that every method's failure reaches the
 * surfaces in the Store's vocabulary (store.ts StoreUnavailableError), whether it was thrown
 * synchronously or rejected. One place instead of a try/catch in every method.
 */
export function withUnavailableErrors<T extends object>(adapter: T): T {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(adapter, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      let fn = wrapped.get(prop);
      if (!fn) {
        const method = value as (...args: unknown[]) => unknown;
        fn = (...args: unknown[]): unknown => {
          try {
            const result = method.apply(target, args);
            return result instanceof Promise ? result.catch((e: unknown) => Promise.reject(translate(e))) : result;
          } catch (e) {
            throw translate(e);
          }
        };
        wrapped.set(prop, fn);
      }
      return fn;
    },
  });
}
