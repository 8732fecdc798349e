/**
 * Liveness and readiness, answered in the shape of Keycloak's and Quarkus's health endpoints
 * (MicroProfile Health: {"status":"UP","checks":[{"name":...,"status":"UP"}]},
 * https://www.keycloak.org/observability/health). Liveness says only that the process answers;
 * readiness says whether this instance can serve tokens now: the store answers, the schema is
 * fully migrated and a signing key is loaded. A DOWN check names what is wrong but never the
 * error's text (it may carry a host name or a path).
 */
import type { KeyRing } from '../core/key-ring.js';
import type { Store } from '../store/store.js';

export type HealthStatus = 'UP' | 'DOWN';

export interface HealthCheck {
  name: string;
  status: HealthStatus;
  /** Why a check is DOWN, in fixed words. */
  reason?: string;
}

export interface HealthReport {
  status: HealthStatus;
  checks: HealthCheck[];
}

/** A readiness answer is reused for at most this long, so a probe storm costs one query a second. */
export const READINESS_CACHE_MS = 1000;
/** A store that takes longer than this to answer counts as down (the probe must not hang). */
export const READINESS_TIMEOUT_MS = 2000;

export const LIVE: HealthReport = Object.freeze({ status: 'UP', checks: [] }) as HealthReport;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export class Readiness {
  private cached: { at: number; report: Promise<HealthReport> } | null = null;

  constructor(
    private readonly store: Store,
    private readonly keys: KeyRing,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The current report: a fresh check, or the one started less than READINESS_CACHE_MS ago (also while it runs). */
  check(): Promise<HealthReport> {
    const at = this.now();
    if (this.cached && at - this.cached.at < READINESS_CACHE_MS) return this.cached.report;
    const report = this.run();
    this.cached = { at, report };
    return report;
  }

  private async run(): Promise<HealthReport> {
    const checks: HealthCheck[] = [];
    let pending: number | null = null;
    try {
      pending = await withTimeout(this.store.ops.pendingMigrations(), READINESS_TIMEOUT_MS);
      checks.push({ name: 'database', status: 'UP' });
    } catch {
      checks.push({ name: 'database', status: 'DOWN', reason: 'the database did not answer' });
    }
    if (pending === null) checks.push({ name: 'migrations', status: 'DOWN', reason: 'unknown while the database does not answer' });
    else if (pending > 0) checks.push({ name: 'migrations', status: 'DOWN', reason: `${pending} migration(s) not applied` });
    else checks.push({ name: 'migrations', status: 'UP' });
    checks.push(this.keysCheck());
    return { status: checks.every((c) => c.status === 'UP') ? 'UP' : 'DOWN', checks };
  }

  private keysCheck(): HealthCheck {
    try {
      return this.keys.signingKid
        ? { name: 'signing-keys', status: 'UP' }
        : { name: 'signing-keys', status: 'DOWN', reason: 'no signing key loaded' };
    } catch {
      return { name: 'signing-keys', status: 'DOWN', reason: 'no signing key loaded' };
    }
  }
}
