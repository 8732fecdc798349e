import { Registry, collectDefaultMetrics } from 'prom-client';

let registry: Registry | null = null;

/**
 * prom-client's default metrics (https://github.com/siimon/prom-client#default-metrics): CPU,
 * memory, heap, GC, handles and event-loop lag (nodejs_eventloop_lag_seconds and the
 * nodejs_eventloop_lag_p50/p90/p99_seconds of perf_hooks.monitorEventLoopDelay). They describe
 * the process, not an app, so they are registered once, on first use, whatever number of apps runs.
 */
export function processMetrics(): Registry {
  if (!registry) {
    registry = new Registry();
    collectDefaultMetrics({ register: registry });
  }
  return registry;
}
