import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { USERS, passwordSignIn, refresh, revokeSessions, type Answer, type Cluster } from './cluster.js';
import { i1Violations } from '../helpers/history.js';

/**
 * Steady load on a cluster that keeps going through a database outage, recording every answer
 * for the test to judge afterwards: one refresh chain per user hopping across the instances,
 * and revokes of users in turn on random instances. A request that gets 503 is repeated (after a
 * pause) with the same refresh token: a refused request must not have consumed it.
 */
export interface Sample {
  kind: 'signIn' | 'refresh' | 'revoke';
  instance: number;
  start: number;
  end: number;
  answer: Answer;
}

/** One refresh: the I1 checker needs when its grant began and when it was tried. */
export interface Attempt {
  user: string;
  originDone: number;
  start: number;
  end: number;
  accepted: boolean;
}

export interface Revoke {
  user: string;
  start: number;
  end: number;
}

export interface LoadLimits {
  /** Hard bounds: the load stops by itself at whichever comes first. */
  maxRequests: number;
  maxMs: number;
  /** Pause after each request of a chain, and after a 503 before trying again. */
  paceMs: number;
  retryPauseMs: number;
  revokeEveryMs: number;
}

export class SteadyLoad {
  readonly samples: Sample[] = [];
  readonly attempts: Attempt[] = [];
  readonly revokes: Revoke[] = [];
  private stopped = false;
  private hop = 0;
  private readonly deadline: number;
  private readonly running: Promise<unknown>;

  constructor(
    private readonly cluster: Cluster,
    private readonly adminToken: string,
    private readonly limits: LoadLimits,
  ) {
    this.deadline = performance.now() + limits.maxMs;
    this.running = Promise.all([...USERS.map((u) => this.chain(u)), this.revoker()]);
  }

  private get going(): boolean {
    return !this.stopped && performance.now() < this.deadline && this.samples.length < this.limits.maxRequests;
  }

  private async send(kind: Sample['kind'], instance: number, request: (base: string) => Promise<Answer>): Promise<Sample> {
    const start = performance.now();
    const answer = await request(this.cluster.instances[instance]!.base);
    const sample = { kind, instance, start, end: performance.now(), answer };
    this.samples.push(sample);
    return sample;
  }

  private nextInstance(): number {
    return this.hop++ % this.cluster.instances.length;
  }

  private async chain(user: string): Promise<void> {
    let token: string | null = null;
    let originDone = 0;
    while (this.going) {
      if (token === null) {
        const s = await this.send('signIn', this.nextInstance(), (base) => passwordSignIn(base, user));
        if (s.answer.status === 200) {
          token = s.answer.body.refresh_token as string;
          originDone = s.end;
        } else {
          await sleep(this.limits.retryPauseMs);
        }
        continue;
      }
      const current: string = token;
      const s = await this.send('refresh', this.nextInstance(), (base) => refresh(base, current));
      this.attempts.push({ user, originDone, start: s.start, end: s.end, accepted: s.answer.status === 200 });
      if (s.answer.status === 200) token = s.answer.body.refresh_token as string;
      else if (s.answer.status === 503) await sleep(this.limits.retryPauseMs);
      // Revoked (or anything unexpected, which the test reports): start a new grant.
      else token = null;
      await sleep(this.limits.paceMs);
    }
  }

  private async revoker(): Promise<void> {
    let i = 0;
    while (this.going) {
      await sleep(this.limits.revokeEveryMs);
      if (!this.going) break;
      const user = USERS[i++ % USERS.length]!;
      const instance = Math.floor(Math.random() * this.cluster.instances.length);
      const s = await this.send('revoke', instance, (base) => revokeSessions(base, this.adminToken, user));
      // Only an answered revoke binds I1; one refused with 503 may or may not have committed.
      if (s.answer.status === 200) this.revokes.push({ user, start: s.start, end: s.end });
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  /** I1: a refresh that started after a revoke of its user answered, on a grant older than that revoke, was refused. */
  violations(): Attempt[] {
    return i1Violations(this.attempts, this.revokes);
  }
}
