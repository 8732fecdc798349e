/**
 * B2: revoke latency under refresh load, and the history check. While B1's closed-loop refresh
 * load runs against Portcullis, an administrator app (app-only token, User.RevokeSessions.All)
 * calls `POST /v1.0/users/{id}/revokeSignInSessions` one request at a time (from its own process,
 * servers/revoker.mjs, so the load generator's busy event loop is not in its figures), each time for a user
 * whose refresh is in flight at that moment (the racing case); as soon as the revoke answers, that
 * user's chains jump the queue so their (old-epoch) tokens are presented again at once. Afterwards every refresh is checked
 * against the revokes: a refresh of a revoked user that was SENT after the revoke had ANSWERED and
 * was accepted is a stale acceptance (I1, docs/revocation-model.md); there must be none. Refreshes that were
 * already in flight when the revoke answered may go either way and are only counted.
 * Usage: npm run bench:b2 -- [--duration ms] [--warmup ms] [--users n] [--concurrency n]
 *        [--workers n] [--interval ms] [--dist DIR]
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { Pool } from 'undici';
import { runClosedLoop, type Chain, type LoadControl } from './lib/loadgen.js';
import { machine, numberOption, sleep, stringOption, writeResult } from './lib/common.js';
import { ROOT, requireBuild } from './lib/processes.js';
import { appOnlyToken } from './lib/app-token.js';
import { round, summarise, table, type LatencySummary } from './lib/stats.js';
import { startPortcullis, type Running } from './lib/targets.js';

export interface B2Options {
  durationMs: number;
  warmupMs: number;
  users: number;
  concurrency: number;
  workers: number;
  intervalMs: number;
  /** Another build to run (a copy of dist/ under bench/results/builds/); default dist. */
  dist: string;
}

export interface B2Result {
  revokes: number;
  revokeErrors: Record<string, number>;
  revokeLatencyMs: LatencySummary;
  refreshRps: number;
  refreshLatencyMs: LatencySummary;
  /** Accepted refreshes of a revoked user sent after its revoke answered: must be 0. */
  staleAcceptances: number;
  /** Refreshes of a revoked user sent after the revoke answered and refused (the chain dies). */
  refusedAfterRevoke: number;
  /** Refreshes in flight when the revoke answered that were accepted (allowed: they raced). */
  inFlightAcceptedAtRevoke: number;
}

export function b2Options(argv: readonly string[]): B2Options {
  return {
    durationMs: numberOption(argv, 'duration', 5000),
    warmupMs: numberOption(argv, 'warmup', 1000),
    users: numberOption(argv, 'users', 10_000),
    concurrency: numberOption(argv, 'concurrency', 16),
    workers: numberOption(argv, 'workers', 1),
    intervalMs: numberOption(argv, 'interval', 20),
    dist: stringOption(argv, 'dist', 'dist'),
  };
}

/** With `existing`, runs against that server (B4) and leaves it running. */
export async function runB2(o: B2Options, existing?: Running): Promise<B2Result> {
  requireBuild();
  const running = existing ?? (await startPortcullis({ users: o.users, workers: o.workers, dist: o.dist }));
  const admin = new Pool(running.origin, { connections: 1 });
  try {
    const token = await appOnlyToken(admin);
    const revokes: { user: number; sentAt: number; answeredAt: number; status: number }[] = [];
    const inFlight = new Set<Chain>();
    const control: LoadControl = { promote: () => undefined };
    const revoker = fork(join(ROOT, 'bench/servers/revoker.mjs'), [], {
      env: { ...process.env, BENCH_ORIGIN: running.origin, BENCH_TOKEN: token, BENCH_WARMUP_USER: running.userIds[0] ?? '' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    await new Promise<void>((resolve) => revoker.once('message', () => resolve()));
    const revokeOne = (userId: string) =>
      new Promise<{ sentAt: number; answeredAt: number; status: number }>((resolve) => {
        revoker.once('message', (m) => resolve(m as { sentAt: number; answeredAt: number; status: number }));
        revoker.send({ userId });
      });
    const load = runClosedLoop(running.target, running.chains, {
      concurrency: o.concurrency,
      durationMs: o.durationMs,
      warmupMs: o.warmupMs,
      maxRequests: 1_000_000,
      keepRecords: true,
      inFlight,
      control,
    });
    let loadDone = false;
    void load.finally(() => {
      loadDone = true;
    });
    await sleep(o.warmupMs);
    const revoked = new Set<number>();
    while (!loadDone) {
      // A user whose refresh is on the wire right now, not revoked yet.
      const candidates = [...inFlight].filter((c) => !revoked.has(c.user));
      const chain = candidates[Math.floor(Math.random() * candidates.length)];
      if (chain) {
        revoked.add(chain.user);
        const r = await revokeOne(running.userIds[chain.user] as string);
        // Epoch milliseconds from the revoker -> this process's performance.now() timeline.
        revokes.push({
          user: chain.user,
          sentAt: r.sentAt - performance.timeOrigin,
          answeredAt: r.answeredAt - performance.timeOrigin,
          status: r.status,
        });
        // The user's tokens are tried again at once: the check is only as good as its attempts.
        control.promote(chain.user);
      }
      await sleep(o.intervalMs);
    }
    revoker.send('stop');
    const result = await load;

    const answered = new Map<number, number>();
    for (const r of revokes) if (r.status === 200) answered.set(r.user, r.answeredAt);
    let stale = 0;
    let refused = 0;
    let raced = 0;
    for (const rec of result.records) {
      const at = answered.get(rec.user);
      if (at === undefined) continue;
      if (rec.sentAt > at) {
        if (rec.ok) stale++;
        else refused++;
      } else if (rec.doneAt > at && rec.ok) {
        raced++;
      }
    }
    const revokeErrors: Record<string, number> = {};
    for (const r of revokes) if (r.status !== 200) revokeErrors[String(r.status)] = (revokeErrors[String(r.status)] ?? 0) + 1;
    return {
      revokes: revokes.length,
      revokeErrors,
      revokeLatencyMs: summarise(revokes.filter((r) => r.status === 200).map((r) => r.answeredAt - r.sentAt)),
      refreshRps: round(result.rps, 1),
      refreshLatencyMs: summarise(result.latenciesMs),
      staleAcceptances: stale,
      refusedAfterRevoke: refused,
      inFlightAcceptedAtRevoke: raced,
    };
  } finally {
    await admin.close();
    if (!existing) await running.stop();
  }
}

export function printB2(r: B2Result): string {
  return table(
    [
      'revokes',
      'revoke p50 ms',
      'revoke p99 ms',
      'revoke max ms',
      'refresh/s meanwhile',
      'refresh p99 ms',
      'stale acceptances',
      'refused after revoke',
      'raced (in flight)',
      'revoke errors',
    ],
    [
      [
        r.revokes,
        r.revokeLatencyMs.p50,
        r.revokeLatencyMs.p99,
        r.revokeLatencyMs.max,
        r.refreshRps,
        r.refreshLatencyMs.p99,
        r.staleAcceptances,
        r.refusedAfterRevoke,
        r.inFlightAcceptedAtRevoke,
        JSON.stringify(r.revokeErrors),
      ],
    ],
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const o = b2Options(process.argv.slice(2));
  const m = machine();
  console.log(`B2 revoke under refresh load: ${JSON.stringify(o)}\nmachine: ${JSON.stringify(m)}`);
  const r = await runB2(o);
  console.log(printB2(r));
  console.log(`results: ${writeResult('b2', { scenario: 'B2', options: o, machine: m, result: r })}`);
  if (r.staleAcceptances !== 0) process.exitCode = 1;
}
