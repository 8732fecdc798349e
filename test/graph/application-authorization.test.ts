/**
 * Who may register and manage applications and grant consent, checked over real HTTP against
 * docs/authorization.md ("Applications and consent"). The EXPECTED verdicts come from the two
 * markdown tables of that document (parsed here) and the rule it states, never from
 * src/core/authorization/, so the document is the specification. Every request is one that,
 * once authorized, fails later in a known way (400 or 404) and changes nothing, so each cell is
 * one request: 403 = refused, anything else = allowed.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { GRAPH_RESOURCE_APP_ID } from '../../src/core/permissions.js';
import { ROLE, ROLE_DISPLAY_NAMES } from '../../src/core/roles.js';
import { appToken, delegatedToken, makeHarness, type Harness } from '../helpers/harness.js';
import { call } from './graph-helpers.js';

const DOC = readFileSync(new URL('../../docs/authorization.md', import.meta.url), 'utf8');

function docTable(name: string): string[][] {
  const lines = DOC.split('\n');
  const start = lines.findIndex((l) => l.trim() === `<!-- table: ${name} -->`);
  assert.ok(start >= 0, `docs/authorization.md has no table '${name}'`);
  const rows: string[][] = [];
  for (let i = start + 1; i < lines.length && lines[i]!.startsWith('|'); i++) {
    const cells = lines[i]!.split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    if (cells.every((c) => /^-+$/.test(c))) continue;
    rows.push(cells);
  }
  return rows;
}
const ticked = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

interface Spec {
  permission: string;
  delegated: string[];
  application: string[];
}
const ACTIONS = new Map<string, Spec>(
  docTable('application-actions')
    .slice(1)
    .map((r) => [ticked(r[0]!)[0]!, { permission: ticked(r[2]!)[0]!, delegated: ticked(r[3]!), application: ticked(r[4]!) }]),
);
const [header, ...permissionRows] = docTable('application-role-permissions');
const ROLE_HOLDS = new Map<string, Set<string>>(
  permissionRows.map((r) => {
    const id = Object.entries(ROLE_DISPLAY_NAMES).find(([, n]) => n === r[0])?.[0];
    assert.ok(id, `unknown role '${r[0]}'`);
    return [id, new Set(header!.slice(1).filter((_, i) => r[i + 1]!.startsWith('✓')))];
  }),
);

const MISSING = '00000000-0000-4000-8000-00000000f00d';
/** One request per action that is refused with 403, or, once allowed, fails with 400/404 and writes nothing. */
const REQUESTS: Record<string, { method: string; url: string; body?: unknown }> = {
  createApplication: { method: 'POST', url: '/v1.0/applications', body: {} },
  updateApplication: { method: 'PATCH', url: `/v1.0/applications/${MISSING}`, body: {} },
  deleteApplication: { method: 'DELETE', url: `/v1.0/applications/${MISSING}` },
  updateApplicationCredentials: { method: 'POST', url: `/v1.0/applications/${MISSING}/addPassword`, body: {} },
  grantDelegatedConsent: { method: 'POST', url: '/v1.0/oauth2PermissionGrants', body: { consentType: 'Principal' } },
  grantApplicationConsent: { method: 'POST', url: `/v1.0/servicePrincipals/${MISSING}/appRoleAssignedTo`, body: {} },
  grantGraphApplicationConsent: { method: 'POST', url: `/v1.0/servicePrincipals/${GRAPH_RESOURCE_APP_ID}/appRoleAssignedTo`, body: {} },
};

describe('authorization of application management and consent (docs/authorization.md)', () => {
  let h: Harness;
  const actors: { name: string; roles: string[] }[] = [
    { name: 'no role', roles: [] },
    ...Object.values(ROLE).map((r) => ({ name: ROLE_DISPLAY_NAMES[r]!, roles: [r] })),
  ];
  before(async () => {
    h = await makeHarness();
    for (const a of actors) {
      const user = {
        ...h.users.alice!,
        id: crypto.randomUUID(),
        userPrincipalName: `${crypto.randomUUID()}@contoso.test`,
        roleTemplateIds: a.roles,
      };
      await h.store.users.insert(user);
      h.users[a.name] = user;
    }
  });
  after(() => h.close());

  const allowed = async (token: string, action: string): Promise<boolean> => {
    const r = REQUESTS[action]!;
    const res = await call(h, r.method, r.url, { token, ...(r.body !== undefined ? { body: r.body } : {}) });
    assert.ok([400, 403, 404].includes(res.status), `${action}: ${res.status} ${res.body}`);
    return res.status !== 403;
  };

  test('the doc lists every action the code has', () => {
    assert.deepEqual([...ACTIONS.keys()].sort(), Object.keys(REQUESTS).sort());
  });

  test('delegated: each role (with every scope of the action) may exactly what its row allows', async () => {
    for (const [action, spec] of ACTIONS) {
      for (const a of actors) {
        const expected = a.roles.some((r) => ROLE_HOLDS.get(r)?.has(spec.permission) ?? false);
        const token = delegatedToken(h, a.name, spec.delegated);
        assert.equal(await allowed(token, action), expected, `${a.name} → ${action}`);
      }
      // The role alone is not enough: without the scope a Global Administrator is refused.
      assert.equal(await allowed(delegatedToken(h, 'globaladmin', ['User.Read', 'Application.Read.All']), action), false, action);
    }
  });

  test('app-only: each application permission alone; no directory role needed', async () => {
    const permissions = new Set([...ACTIONS.values()].flatMap((s) => s.application));
    permissions.add('Application.Read.All');
    for (const [action, spec] of ACTIONS) {
      for (const p of permissions) {
        assert.equal(await allowed(appToken(h, [p]), action), spec.application.includes(p), `app with ${p} → ${action}`);
      }
    }
  });
});
