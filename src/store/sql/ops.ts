/**
 * The operator probes' SQL (OpsStore in store.ts), the same in both dialects. The counts go
 * through the partial indexes security_events_unplanned and outbox_deliveries_due, so they read
 * only the backlog, never the retained history.
 */
export const OPS_SQL = {
  appliedVersions: 'SELECT version FROM schema_migrations',
  unplannedEvents: 'SELECT COUNT(*) AS n, MIN(occurred_at) AS oldest FROM security_events WHERE planned_at IS NULL',
  pendingDeliveries: "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox_deliveries WHERE status = 'pending'",
} as const;

/** Versions the code knows that are missing from `applied`. */
export function countPending(known: readonly { version: number }[], applied: readonly unknown[]): number {
  const have = new Set(applied.map((r) => Number((r as { version: unknown }).version)));
  return known.filter((m) => !have.has(m.version)).length;
}

type CountRow = { n?: unknown; oldest?: unknown } | undefined;

/** Combines the two count rows into an OutboxBacklog. */
export function backlogOf(
  events: CountRow,
  deliveries: CountRow,
): { unplannedEvents: number; pendingDeliveries: number; oldestAt: number | null } {
  const oldest = [events?.oldest, deliveries?.oldest].filter((v) => v !== null && v !== undefined).map(Number);
  return {
    unplannedEvents: Number(events?.n ?? 0),
    pendingDeliveries: Number(deliveries?.n ?? 0),
    oldestAt: oldest.length > 0 ? Math.min(...oldest) : null,
  };
}
