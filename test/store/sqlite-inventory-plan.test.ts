/**
 * The session inventory's query plans on SQLite (store/sql/inventory.ts, docs/sessions.md "Cost"):
 * a page must be an index range scan of at most the page size whatever the store holds, so each
 * branch must SEARCH the index that matches its keyset — (user_id, created_at, id) for one user,
 * (tenant_id, created_at, id) for the tenant — never SCAN a table nor take the other index. The
 * server never runs ANALYZE, so these are the plans SQLite picks without statistics, as in
 * production. The timings at 1,000,000 rows are bench/b7-session-inventory.ts's.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InventoryQuery } from '../../src/core/session-inventory.js';
import { inventoryPageSql } from '../../src/store/sql/inventory.js';
import { migratedDatabaseForPlans } from '../helpers/sqlite-plans.js';

const TENANT = '11111111-2222-4333-8444-777777777777';
const USER = '11111111-2222-4333-8444-888888888888';
const NOW = Date.UTC(2026, 5, 1);
const plans = migratedDatabaseForPlans('inventory-plan', NOW);

/** The plan lines that read the sessions (s) or grants (g) table. */
function branchReads(q: InventoryQuery): string[] {
  const { sql, args } = inventoryPageSql(q);
  const plan = plans.explain(sql, args);
  return plan.filter((d) => /^(SCAN|SEARCH) [sg] /.test(d));
}

const filters: Record<string, Partial<InventoryQuery>> = {
  'no filter': {},
  'second page': { after: { createdAt: NOW - 5, id: '11111111-2222-4333-8444-999999999999' } },
  live: { live: true },
  'not live': { live: false },
  'app and time': { appId: 'app-a', createdFrom: NOW - 3600_000, createdBefore: NOW },
};

for (const [name, filter] of Object.entries(filters)) {
  test(`inventory plan, one user, ${name}: each branch searches its (user_id, created_at, id) index`, () => {
    const reads = branchReads({ tenantId: TENANT, userId: USER, limit: 101, now: NOW, ...filter });
    assert.deepEqual(
      reads.map((d) => d.replace(/ \(.*$/, '')),
      ['SEARCH s USING INDEX sso_sessions_user_created', 'SEARCH g USING INDEX grants_user_created'],
    );
  });

  test(`inventory plan, tenant-wide, ${name}: each branch searches its (tenant_id, created_at, id) index`, () => {
    const reads = branchReads({ tenantId: TENANT, limit: 101, now: NOW, ...filter });
    assert.deepEqual(
      reads.map((d) => d.replace(/ \(.*$/, '')),
      ['SEARCH s USING INDEX sso_sessions_tenant_created', 'SEARCH g USING INDEX grants_tenant_created'],
    );
  });
}
