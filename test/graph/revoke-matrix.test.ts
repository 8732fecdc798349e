/**
 * Who may revoke whom (docs/authorization.md: Entra's "Who can reset passwords", whose
 * columns are the roles that "can reset passwords and invalidate refresh tokens"). The expected
 * table is written out by hand, not computed from src/core/authorization/, so a wrong rule
 * there makes this test fail. test/graph/authorization-matrix.test.ts checks every role.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { delegatedToken, makeHarness, type Harness } from '../helpers/harness.js';
import { assertGraphError, call, reload } from './graph-helpers.js';

const TARGETS = ['bob', 'helpdesk', 'passwordadmin', 'authadmin', 'useradmin', 'privauthadmin', 'globaladmin'] as const;

// prettier-ignore
const EXPECTED: Record<string, Record<(typeof TARGETS)[number], 200 | 403>> = {
  //               bob  helpdesk  passwordadmin  authadmin  useradmin  privauthadmin  globaladmin
  alice: { bob: 403, helpdesk: 403, passwordadmin: 403, authadmin: 403, useradmin: 403, privauthadmin: 403, globaladmin: 403 },
  helpdesk: { bob: 200, helpdesk: 200, passwordadmin: 200, authadmin: 403, useradmin: 403, privauthadmin: 403, globaladmin: 403 },
  passwordadmin: { bob: 200, helpdesk: 403, passwordadmin: 200, authadmin: 403, useradmin: 403, privauthadmin: 403, globaladmin: 403 },
  authadmin: { bob: 200, helpdesk: 403, passwordadmin: 200, authadmin: 200, useradmin: 403, privauthadmin: 403, globaladmin: 403 },
  useradmin: { bob: 200, helpdesk: 200, passwordadmin: 200, authadmin: 403, useradmin: 200, privauthadmin: 403, globaladmin: 403 },
  privauthadmin: { bob: 200, helpdesk: 200, passwordadmin: 200, authadmin: 200, useradmin: 200, privauthadmin: 200, globaladmin: 200 },
  globaladmin: { bob: 200, helpdesk: 200, passwordadmin: 200, authadmin: 200, useradmin: 200, privauthadmin: 200, globaladmin: 200 },
  // Directory Writers carries microsoft.directory/users/invalidateAllRefreshTokens; Entra does not
  // say on whom, so Portcullis allows users without roles only (docs/authorization.md).
  dirwriter: { bob: 200, helpdesk: 403, passwordadmin: 403, authadmin: 403, useradmin: 403, privauthadmin: 403, globaladmin: 403 },
};

describe('role matrix for revoking another user (User.RevokeSessions.All)', () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness();
  });
  after(() => h.close());

  const actions = [
    { name: 'v1.0 revokeSignInSessions', path: (id: string) => `/v1.0/users/${id}/revokeSignInSessions`, ok: 200 },
    { name: 'beta invalidateAllRefreshTokens', path: (id: string) => `/beta/users/${id}/invalidateAllRefreshTokens`, ok: 204 },
  ];

  for (const action of actions) {
    for (const [actor, row] of Object.entries(EXPECTED)) {
      for (const target of TARGETS) {
        const expected = row[target] === 200 ? action.ok : 403;
        test(`${action.name}: ${actor} -> ${target} = ${expected}`, async () => {
          const before = await reload(h, h.users[target]!);
          // A fresh token per call: the actor may itself have been revoked by an earlier case.
          const res = await call(h, 'POST', action.path(before.id), { token: delegatedToken(h, actor, ['User.RevokeSessions.All']) });
          const afterwards = await reload(h, before);
          if (expected === 403) {
            assertGraphError(res, 403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
            assert.equal(afterwards.revocationEpoch, before.revocationEpoch, 'a refused revoke must not change the user');
          } else {
            assert.equal(res.status, expected, res.body);
            assert.equal(afterwards.revocationEpoch, before.revocationEpoch + 1);
          }
        });
      }
    }
  }
});
