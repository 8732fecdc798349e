/**
 * The sign-in log's query plans for service principal sign-ins on SQLite (store/sql/sign-ins.ts,
 * migration 190): their list must walk the partial indexes that hold only service principal rows,
 * never the time index over every user's sign-in, so reading them costs what they are, not what
 * the users' entries are. The server never runs ANALYZE, so these are the plans SQLite picks
 * without statistics, as in production.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SignInQuery } from '../../src/core/sign-in.js';
import { listSignInsSql } from '../../src/store/sql/sign-ins.js';
import { migratedDatabaseForPlans } from '../helpers/sqlite-plans.js';

const TENANT = '11111111-2222-4333-8444-777777777777';
const NOW = Date.UTC(2026, 5, 1);
const plans = migratedDatabaseForPlans('sign-in-plan', NOW);

function plan(q: Partial<SignInQuery>): string[] {
  const { sql, args } = listSignInsSql({ tenantId: TENANT, limit: 51, ...q });
  return plans.explain(sql, args);
}

test('service principal sign-ins: the list walks the partial time index; one service principal, its own index', () => {
  const before = { at: NOW, id: '11111111-2222-4333-8444-999999999999' };
  assert.deepEqual(plan({ eventType: 'servicePrincipal' }), ['SCAN sign_ins USING INDEX sign_ins_service_principal_time']);
  assert.deepEqual(plan({ eventType: 'servicePrincipal', before, failedOnly: true }), [
    'SCAN sign_ins USING INDEX sign_ins_service_principal_time',
  ]);
  for (const q of [{ eventType: 'servicePrincipal' as const }, {}]) {
    assert.deepEqual(plan({ ...q, servicePrincipalId: 'a1b2c3d4-0000-4000-8000-000000000002' }), [
      'SEARCH sign_ins USING INDEX sign_ins_service_principal (service_principal_id=?)',
    ]);
  }
  // Users' sign-ins keep the time index (the plan they had before service principals).
  assert.deepEqual(plan({ eventType: 'interactiveUser' }), ['SCAN sign_ins USING INDEX sign_ins_time']);
});
