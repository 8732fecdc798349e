/**
 * A closed-loop load generator over real loopback HTTP (undici Pool, keep-alive): `concurrency`
 * loops each send one request, wait for the whole answer, and send the next. It holds
 * refresh-token chains: every successful answer's refresh token replaces the one that was used,
 * so each request presents a token the server has never seen redeemed. A chain whose token is
 * refused is dropped (that is what a client does with invalid_grant). Bounded in time and in
 * requests; refuses anything that is not a loopback address.
 */
import { Pool } from 'undici';

export interface Chain {
  /** Index of the user who holds the chain (the history check of B2 groups by it). */
  user: number;
  token: string;
  dead: boolean;
}

export interface RequestRecord {
  user: number;
  /** performance.now() when the request was sent and when its answer was complete. */
  sentAt: number;
  doneAt: number;
  ok: boolean;
}

export interface LoadTarget {
  origin: string;
  /**
   * Several instances of one service (PostgreSQL scale-out): client k of the closed loop talks to
   * origins[k % n], so the clients are spread round-robin. Default: [origin].
   */
  origins?: string[];
  path: string;
  /** The form body for one refresh of `token`. */
  body(token: string): string;
}

export interface LoadOptions {
  concurrency: number;
  durationMs: number;
  maxRequests: number;
  /** Not measured: lets the JIT, the caches and the connection pool settle first. */
  warmupMs: number;
  /** Keep every request's record (B2's history check needs them). */
  keepRecords?: boolean;
  /** Chains currently in flight, readable from outside (B2 revokes users who are mid-request). */
  inFlight?: Set<Chain>;
  /** Filled in by runClosedLoop: lets the caller steer which chains go next. */
  control?: LoadControl;
}

export interface LoadControl {
  /**
   * From now on, the user's chains are presented before any other (B2: right after a revoke
   * answered, so the user's old tokens are tried at once, not thousands of requests later).
   */
  promote(user: number): void;
}

export interface LoadResult {
  requests: number;
  ok: number;
  errors: Record<string, number>;
  elapsedMs: number;
  /** Successful refreshes per second over the measured window. */
  rps: number;
  latenciesMs: Float64Array;
  records: RequestRecord[];
}

export function assertLoopback(origin: string): void {
  const host = new URL(origin).hostname;
  if (host !== '127.0.0.1' && host !== '[::1]' && host !== 'localhost') {
    throw new Error(`the load generator only talks to loopback addresses, not ${host}`);
  }
}

/** What the server said, for the error table: `400 invalid_grant` etc. */
function errorKey(status: number, text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown };
    if (typeof body.error === 'string') return `${status} ${body.error}`;
  } catch {
    /* not JSON */
  }
  return String(status);
}

export async function runClosedLoop(target: LoadTarget, chains: Chain[], opts: LoadOptions): Promise<LoadResult> {
  const origins = target.origins ?? [target.origin];
  origins.forEach(assertLoopback);
  const pools = origins.map(
    (origin, i) =>
      new Pool(origin, { connections: Math.ceil((opts.concurrency - i) / origins.length), pipelining: 1, keepAliveTimeout: 60_000 }),
  );
  const idle: Chain[] = chains.filter((c) => !c.dead);
  const hotUsers = new Set<number>();
  const hot: Chain[] = [];
  if (opts.control) {
    opts.control.promote = (user) => {
      hotUsers.add(user);
      for (let i = idle.length - 1; i >= 0; i--) {
        if (idle[i]?.user === user) hot.push(...idle.splice(i, 1));
      }
    };
  }
  const errors: Record<string, number> = {};
  const latencies: number[] = [];
  const records: RequestRecord[] = [];
  let requests = 0;
  let ok = 0;
  const started = performance.now();
  const measureFrom = started + opts.warmupMs;
  const deadline = measureFrom + opts.durationMs;
  let measuredRequests = 0;

  const loop = async (pool: Pool): Promise<void> => {
    for (;;) {
      const now = performance.now();
      if (now >= deadline || measuredRequests >= opts.maxRequests) return;
      const chain = hot.shift() ?? idle.shift();
      if (!chain) return; // every chain is dead or busy: nothing left to send
      opts.inFlight?.add(chain);
      const sentAt = performance.now();
      const measured = sentAt >= measureFrom;
      if (measured) measuredRequests++;
      let status = 0;
      let text = '';
      try {
        const res = await pool.request({
          path: target.path,
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: target.body(chain.token),
        });
        status = res.statusCode;
        text = await res.body.text();
      } catch (e) {
        text = JSON.stringify({ error: (e as Error).name });
      }
      const doneAt = performance.now();
      opts.inFlight?.delete(chain);
      let refreshed = false;
      if (status === 200) {
        const token = (JSON.parse(text) as { refresh_token?: unknown }).refresh_token;
        if (typeof token === 'string') {
          chain.token = token;
          refreshed = true;
        }
      }
      if (refreshed) (hotUsers.has(chain.user) ? hot : idle).push(chain);
      else chain.dead = true;
      if (measured) {
        requests++;
        if (refreshed) {
          ok++;
          latencies.push(doneAt - sentAt);
        } else {
          const key = errorKey(status, text);
          errors[key] = (errors[key] ?? 0) + 1;
        }
      }
      if (opts.keepRecords) records.push({ user: chain.user, sentAt, doneAt, ok: refreshed });
    }
  };

  await Promise.all(Array.from({ length: opts.concurrency }, (_, k) => loop(pools[k % pools.length] as Pool)));
  const end = performance.now();
  await Promise.all(pools.map((p) => p.close()));
  const elapsedMs = end - measureFrom;
  return {
    requests,
    ok,
    errors,
    elapsedMs,
    rps: (ok / elapsedMs) * 1000,
    latenciesMs: Float64Array.from(latencies),
    records,
  };
}
