import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { i1Violations, type RefreshAttempt, type RevokeEvent } from '../helpers/history.js';
import { passwordSignIn, refresh, revokeSessions, type Answer } from '../scale/cluster.js';

/**
 * Load for the fault and soak tests (test/faults/): one refresh chain per user and a revoker,
 * against servers that may fail, run out of disk or die. Unlike test/scale/steady-load.ts it
 * survives connection errors (a killed server), keeps only what the verdict needs (no tokens in
 * the samples, so a 5-minute soak stays small), records which user each revoke targeted, and
 * remembers whether a refresh was a retry after an unanswered (503 / no answer) one.
 * Bounded: stops by itself after maxMs or maxRequests, whichever comes first.
 */
export interface Outcome {
  /** 0: no HTTP answer (connection refused or reset, timeout). */
  status: number;
  /** OAuth `error`, or the OData `error.code`. */
  error: string | null;
  codes: string | null;
  retryAfter: string | null;
  network: string | null;
}

export interface Sample {
  kind: 'signIn' | 'refresh' | 'revoke';
  user: string;
  /** The server that was asked. */
  base: string;
  start: number;
  end: number;
  outcome: Outcome;
  /** A refresh that repeats a token whose previous presentation got no definite answer. */
  retry: boolean;
}

export interface LoadOptions {
  /** The server(s) to use, asked before every request (a restarted server may have moved). */
  bases: () => readonly string[];
  users: readonly string[];
  adminToken: string;
  maxMs: number;
  maxRequests: number;
  paceMs: number;
  retryPauseMs: number;
  /** 0: no revoker. */
  revokeEveryMs: number;
}

function outcomeOf(a: Answer): Outcome {
  const odata = (a.body.error as { code?: unknown } | undefined)?.code;
  const error = typeof a.body.error === 'string' ? a.body.error : typeof odata === 'string' ? odata : null;
  return {
    status: a.status,
    error,
    codes: a.body.error_codes ? JSON.stringify(a.body.error_codes) : null,
    retryAfter: a.retryAfter,
    network: null,
  };
}

export class FaultLoad {
  readonly samples: Sample[] = [];
  readonly attempts: RefreshAttempt[] = [];
  /** Revokes that answered 200 (they bind I1 and must survive anything). */
  readonly revokes: RevokeEvent[] = [];
  /** Every revoke sent, per user, answered or not (an unanswered one may have committed). */
  readonly revokesSent = new Map<string, number>();
  private stopped = false;
  private hop = 0;
  private readonly deadline: number;
  private readonly running: Promise<unknown>;

  constructor(private readonly o: LoadOptions) {
    this.deadline = performance.now() + o.maxMs;
    this.running = Promise.all([...o.users.map((u) => this.chain(u)), o.revokeEveryMs > 0 ? this.revoker() : null]);
  }

  get going(): boolean {
    return !this.stopped && performance.now() < this.deadline && this.samples.length < this.o.maxRequests;
  }

  private base(): string {
    const bases = this.o.bases();
    return bases[this.hop++ % bases.length]!;
  }

  private async send(
    kind: Sample['kind'],
    user: string,
    retry: boolean,
    request: (base: string) => Promise<Answer>,
  ): Promise<{ sample: Sample; answer: Answer | null }> {
    const start = performance.now();
    const base = this.base();
    let answer: Answer | null = null;
    let outcome: Outcome;
    try {
      answer = await request(base);
      outcome = outcomeOf(answer);
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code;
      outcome = { status: 0, error: null, codes: null, retryAfter: null, network: cause ?? (e as Error).name };
    }
    const sample = { kind, user, base, start, end: performance.now(), outcome, retry };
    this.samples.push(sample);
    return { sample, answer };
  }

  private async chain(user: string): Promise<void> {
    let token: string | null = null;
    let originDone = 0;
    let retry = false;
    while (this.going) {
      if (token === null) {
        const { sample, answer } = await this.send('signIn', user, false, (base) => passwordSignIn(base, user));
        if (answer?.status === 200) {
          token = answer.body.refresh_token as string;
          originDone = sample.end;
        } else {
          await sleep(this.o.retryPauseMs);
        }
        continue;
      }
      const current: string = token;
      const { sample, answer } = await this.send('refresh', user, retry, (base) => refresh(base, current));
      this.attempts.push({ user, originDone, start: sample.start, end: sample.end, accepted: sample.outcome.status === 200 });
      if (answer?.status === 200) {
        token = answer.body.refresh_token as string;
        retry = false;
      } else if (sample.outcome.status === 503 || sample.outcome.status === 0) {
        // No definite answer: the same token again (a refused request must not have consumed it).
        retry = true;
        await sleep(this.o.retryPauseMs);
      } else {
        token = null;
        retry = false;
      }
      await sleep(this.o.paceMs);
    }
  }

  private async revoker(): Promise<void> {
    let i = 0;
    while (this.going) {
      await sleep(this.o.revokeEveryMs);
      if (!this.going) break;
      const user = this.o.users[i++ % this.o.users.length]!;
      this.revokesSent.set(user, (this.revokesSent.get(user) ?? 0) + 1);
      const { sample } = await this.send('revoke', user, false, (base) => revokeSessions(base, this.o.adminToken, user));
      if (sample.outcome.status === 200) this.revokes.push({ user, start: sample.start, end: sample.end });
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  /** I1 over the whole history (test/helpers/history.ts). */
  violations(): RefreshAttempt[] {
    return i1Violations(this.attempts, this.revokes);
  }

  answeredRevokes(user: string): number {
    return this.revokes.filter((r) => r.user === user).length;
  }
}

/** 503 the way every surface must send it: Retry-After and the surface's transient error. */
export function isProperUnavailable(s: Sample): boolean {
  const o = s.outcome;
  if (o.status !== 503 || o.retryAfter !== '1') return false;
  if (s.kind === 'revoke') return o.error === 'serviceNotAvailable';
  return o.error === 'temporarily_unavailable' && o.codes === '[90033]';
}

export interface Verdict {
  ok: number;
  unavailable: number;
  noAnswer: number;
  revoked400: number;
  /** Replay detection after a retry whose first presentation had committed but not answered. */
  ambiguousReplays: number;
  unexpected: Sample[];
}

/**
 * Sorts every answer into what a fault may legitimately produce and what it must never produce
 * (a 500, a 503 without Retry-After, an unexplained 400). `allowNoAnswer`: the server was killed.
 * `allowAmbiguousReplay`: a connection cut after COMMIT reached the database but before its
 * answer did leaves the client unsure; its retry is then a replay, which RFC 9700 §4.14.2 answers
 * by revoking the family (70000). It never lets anyone in, and it is counted and reported.
 */
export function judge(samples: readonly Sample[], opts: { allowNoAnswer?: boolean; allowAmbiguousReplay?: boolean } = {}): Verdict {
  const v: Verdict = { ok: 0, unavailable: 0, noAnswer: 0, revoked400: 0, ambiguousReplays: 0, unexpected: [] };
  for (const s of samples) {
    const o = s.outcome;
    if (o.status === 200) v.ok++;
    else if (isProperUnavailable(s)) v.unavailable++;
    else if (o.status === 0 && opts.allowNoAnswer) v.noAnswer++;
    else if (s.kind === 'refresh' && o.status === 400 && o.error === 'invalid_grant' && o.codes === '[50173]') v.revoked400++;
    else if (
      s.kind === 'refresh' &&
      s.retry &&
      opts.allowAmbiguousReplay &&
      o.status === 400 &&
      o.error === 'invalid_grant' &&
      o.codes === '[70000]'
    )
      v.ambiguousReplays++;
    else v.unexpected.push(s);
  }
  return v;
}

export function describeVerdict(v: Verdict): string {
  return `ok=${v.ok} 503=${v.unavailable} no-answer=${v.noAnswer} revoked-400=${v.revoked400} ambiguous-replays=${v.ambiguousReplays} unexpected=${v.unexpected.length}`;
}
