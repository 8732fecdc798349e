import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { makeHarness, type Harness } from '../helpers/harness.js';
import { refresh, signIn } from '../helpers/browser-flow.js';
import { revokeUserSessions } from '../../src/core/revocation.js';

let h: Harness;
before(async () => {
  h = await makeHarness();
});
after(async () => h.close());

test('sign in, refresh, revoke, refresh fails with 50173', async () => {
  const { tokens } = await signIn(h, 'alice@contoso.test');
  assert.ok(tokens.access_token && tokens.refresh_token && tokens.id_token);
  const r1 = await refresh(h, tokens.refresh_token!);
  assert.equal(r1.status, 200, JSON.stringify(r1.body));
  await revokeUserSessions(h.store, h.clock, { target: h.users.alice!, actor: {}, correlationId: 'c' });
  const r2 = await refresh(h, r1.body.refresh_token as string);
  assert.equal(r2.status, 400);
  assert.equal(r2.body.error, 'invalid_grant');
  assert.deepEqual(r2.body.error_codes, [50173]);
  assert.equal(r2.body.suberror, 'bad_token');
});
