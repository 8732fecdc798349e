/**
 * Who may read the sign-in log and signInActivity, checked over HTTP against the table
 * `log-readers` of docs/authorization.md (the expected verdicts come from the document, never
 * from src/core/authorization/): every role Portcullis knows, a user without roles, app-only callers.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { ROLE_DISPLAY_NAMES } from '../../src/core/roles.js';
import { newGuid } from '../../src/crypto/random.js';
import { appToken, delegatedToken, makeHarness, type Harness } from '../helpers/harness.js';
import { call } from './graph-helpers.js';

const DOC = readFileSync(new URL('../../docs/authorization.md', import.meta.url), 'utf8');

function logReaders(): Map<string, { delegated: string[]; application: string[]; roles: string[] }> {
  const lines = DOC.split('\n');
  const start = lines.findIndex((l) => l.trim() === '<!-- table: log-readers -->');
  assert.ok(start >= 0, 'docs/authorization.md has no table log-readers');
  const out = new Map<string, { delegated: string[]; application: string[]; roles: string[] }>();
  for (let i = start + 3; i < lines.length && lines[i]!.startsWith('|'); i++) {
    const [read, , delegated, application, roles] = lines[i]!.split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    const ticked = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    out.set(ticked(read!)[0]!, {
      delegated: ticked(delegated!),
      application: ticked(application!),
      roles: roles!.split(',').map((r) => r.trim()),
    });
  }
  assert.equal(out.size, 2);
  return out;
}

const REQUESTS: Record<string, string> = {
  readSignIns: '/v1.0/auditLogs/signIns',
  readSignInActivity: '/v1.0/users/alice@contoso.test?$select=signInActivity',
};

describe('docs/authorization.md: reading sign-in logs', () => {
  let h: Harness;
  const table = logReaders();
  before(async () => {
    h = await makeHarness();
    for (const [id, name] of Object.entries(ROLE_DISPLAY_NAMES)) {
      const key = `role-${name}`;
      const user = {
        ...h.users.alice!,
        id: newGuid(),
        userPrincipalName: `${key.replace(/\W/g, '')}@contoso.test`,
        roleTemplateIds: [id],
        passwordHash: null,
      };
      await h.store.users.insert(user);
      h.users[key] = user;
    }
  });
  after(() => h.close());

  for (const [read, rule] of table) {
    test(`${read}: each role with the scope, a user without roles, the scope missing`, async () => {
      const scopes = [...rule.delegated, 'User.Read.All'];
      for (const [, name] of Object.entries(ROLE_DISPLAY_NAMES)) {
        const res = await call(h, 'GET', REQUESTS[read]!, { token: delegatedToken(h, `role-${name}`, scopes) });
        assert.equal(res.status, rule.roles.includes(name) ? 200 : 403, `${name}: ${res.body}`);
        const noScope = await call(h, 'GET', REQUESTS[read]!, { token: delegatedToken(h, `role-${name}`, ['User.Read.All']) });
        assert.equal(noScope.status, 403, `${name} without ${rule.delegated.join()}`);
      }
      assert.equal((await call(h, 'GET', REQUESTS[read]!, { token: delegatedToken(h, 'bob', scopes) })).status, 403);
    });

    test(`${read}: app-only callers`, async () => {
      const allowed = await call(h, 'GET', REQUESTS[read]!, { token: appToken(h, [...rule.application, 'User.Read.All']) });
      assert.equal(allowed.status, 200, allowed.body);
      const refused = await call(h, 'GET', REQUESTS[read]!, { token: appToken(h, ['User.Read.All', 'Directory.Read.All']) });
      assert.equal(refused.status, 403);
    });
  }
});
