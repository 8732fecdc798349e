/**
 * Optional Graph throttling (https://learn.microsoft.com/graph/throttling): one token bucket per caller, refilled continuously
 * at `requestsPerSecond` up to `burst`. A request finding the bucket empty gets 429
 * TooManyRequests with Retry-After = the whole seconds until one token is back. The key is the
 * caller, not the connection or the token string: Graph throttles per app + tenant/user, and a
 * refreshed token must not reset the bucket. Inner $batch requests pass through here one by one,
 * so each is throttled individually (https://learn.microsoft.com/graph/json-batching); the $batch envelope itself is not charged.
 */
import type { Clock } from '../clock.js';
import type { GraphThrottleConfig } from '../config.js';
import type { Caller } from './auth.js';
import { TooManyRequests } from './errors.js';

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date (ms). */
  at: number;
}

/** Above this many callers, buckets that have refilled completely are dropped (bounded memory). */
const SWEEP_ABOVE = 10_000;

export class GraphThrottle {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly config: Readonly<GraphThrottleConfig>,
    private readonly clock: Clock,
  ) {}

  static keyOf(caller: Caller): string {
    return caller.kind === 'app' ? `app:${caller.appId}` : `user:${caller.appId}:${caller.user.id}`;
  }

  /** Takes one token for `caller` or throws TooManyRequests. */
  take(caller: Caller): void {
    const now = this.clock.now();
    const key = GraphThrottle.keyOf(caller);
    const bucket = this.refill(this.buckets.get(key) ?? { tokens: this.config.burst, at: now }, now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      this.buckets.set(key, bucket);
      if (this.buckets.size > SWEEP_ABOVE) this.sweep(now);
      return;
    }
    this.buckets.set(key, bucket);
    throw new TooManyRequests((1 - bucket.tokens) / this.config.requestsPerSecond);
  }

  private refill(bucket: Bucket, now: number): Bucket {
    const elapsed = Math.max(0, now - bucket.at) / 1000;
    return { tokens: Math.min(this.config.burst, bucket.tokens + elapsed * this.config.requestsPerSecond), at: now };
  }

  private sweep(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (this.refill(bucket, now).tokens >= this.config.burst) this.buckets.delete(key);
    }
  }
}
