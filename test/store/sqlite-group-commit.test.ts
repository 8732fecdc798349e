/**
 * SQLite's group commit (src/store/sqlite/group-commit.ts) as revocations see it: revokes share
 * commits among themselves, commit ahead of the rotations asked for in the same turn (so a
 * rotation of the same user in that turn is refused and a backlog of rotations does not delay the
 * revoke's answer) without starving them, and are on disk — visible to another connection — when
 * their promise resolves.
 */
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { AuditRecord, Grant, RefreshTokenRecord, User } from '../../src/core/model.js';
import { newGuid } from '../../src/crypto/random.js';
import { MAX_WRITES_PER_COMMIT } from '../../src/store/sqlite/group-commit.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import type { Store } from '../../src/store/store.js';

const TENANT = '11111111-2222-4333-8444-666666666666';
const NOW = Date.UTC(2026, 5, 1);
let dir: string;
let file: string;
let s: Store;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-group-commit-'));
  file = join(dir, 'portcullis.db');
  s = openSqliteStore(file, NOW);
  await s.tenants.insert({ id: TENANT, domain: 'gc.test', displayName: 'GC', createdAt: NOW });
});
after(async () => {
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

async function userWithTokens(upn: string, n: number): Promise<{ user: User; hashes: string[] }> {
  const user: User = {
    id: newGuid(),
    tenantId: TENANT,
    userPrincipalName: upn,
    displayName: upn,
    mail: null,
    passwordHash: null,
    accountEnabled: true,
    revocationEpoch: 0,
    signInSessionsValidFrom: null,
    refreshTokensValidFrom: null,
    roleTemplateIds: [],
    createdAt: NOW,
  };
  await s.users.insert(user);
  const hashes: string[] = [];
  for (let i = 0; i < n; i++) {
    const g: Grant = {
      id: newGuid(),
      tenantId: TENANT,
      userId: user.id,
      clientId: 'c',
      sessionId: null,
      scopes: ['openid'],
      epoch: 0,
      authTime: NOW,
      createdAt: NOW,
      revokedAt: null,
    };
    const t: RefreshTokenRecord = {
      hash: newGuid(),
      grantId: g.id,
      tenantId: TENANT,
      userId: user.id,
      clientId: 'c',
      scopes: ['openid'],
      epoch: 0,
      issuedAt: NOW,
      expiresAt: NOW + 3600_000,
      consumedAt: null,
    };
    await s.grants.create(g, t);
    hashes.push(t.hash);
  }
  return { user, hashes };
}

const next = (current: RefreshTokenRecord): RefreshTokenRecord => ({ ...current, hash: newGuid(), consumedAt: null });

test('a revoke asked for after a rotation of the same user in the same turn still goes first: the rotation is refused', async () => {
  const { user, hashes } = await userWithTokens('same-turn@gc.test', 1);
  const rotation = s.grants.rotate(hashes[0]!, 'c', NOW, next, 0);
  const revoke = s.users.update(TENANT, user.id, {}, { revokeAt: NOW, audit: [] });
  const [rotated, revoked] = await Promise.all([rotation, revoke]);
  assert.equal(revoked?.revocationEpoch, 1);
  assert.equal(rotated.ok ? 'accepted' : rotated.reason, 'revoked');
});

test(`a revoke queued behind ${MAX_WRITES_PER_COMMIT + 40} rotations commits in the first batch`, async () => {
  const busy = await userWithTokens('busy@gc.test', MAX_WRITES_PER_COMMIT + 40);
  const { user } = await userWithTokens('target@gc.test', 0);
  const order: string[] = [];
  const rotations = busy.hashes.map((h, i) => s.grants.rotate(h, 'c', NOW, next, 0).then((r) => (order.push(`rotation ${i}`), r)));
  const revoke = s.users.update(TENANT, user.id, {}, { revokeAt: NOW, audit: [] }).then((u) => (order.push('revoke'), u));
  const results = await Promise.all(rotations);
  assert.equal((await revoke)?.revocationEpoch, 1);
  assert.ok(
    results.every((r) => r.ok),
    'every rotation of the other user went through',
  );
  // The first commit holds the revoke and rotations 0..MAX-2; rotation MAX-1 and later wait for
  // the next commit, so they are answered after the revoke (queued last, it would come last).
  const revokeAt = order.indexOf('revoke');
  assert.ok(revokeAt < order.indexOf(`rotation ${MAX_WRITES_PER_COMMIT - 1}`), `revoke answered at position ${revokeAt}`);
});

test('revokes commit on their own before the rotations of their turn, but cannot starve them', async () => {
  const busy = await userWithTokens('owed@gc.test', 1);
  const a = await userWithTokens('revoke-a@gc.test', 0);
  const b = await userWithTokens('revoke-b@gc.test', 0);
  const order: string[] = [];
  let second: Promise<unknown> | undefined;
  const rotation = s.grants.rotate(busy.hashes[0]!, 'c', NOW, next, 0).then((r) => (order.push('rotation'), r));
  const first = s.users.update(TENANT, a.user.id, {}, { revokeAt: NOW, audit: [] }).then(() => {
    order.push('revoke a');
    // Another revoke arrives before the rotation was committed: the rotation goes first anyway.
    second = s.users.update(TENANT, b.user.id, {}, { revokeAt: NOW, audit: [] }).then(() => order.push('revoke b'));
  });
  await Promise.all([rotation, first]);
  await second;
  assert.deepEqual(order, ['revoke a', 'rotation', 'revoke b']);
  assert.ok((await rotation).ok);
});

test('a resolved revoke is committed: another connection to the file sees the epoch and the audit record', async () => {
  const { user } = await userWithTokens('durable@gc.test', 0);
  const audit: AuditRecord = {
    id: newGuid(),
    tenantId: TENANT,
    activityDateTime: NOW,
    activityDisplayName: 'Durable revoke',
    category: 'UserManagement',
    loggedByService: 'Core Directory',
    operationType: 'Update',
    result: 'success',
    resultReason: '',
    correlationId: newGuid(),
    initiatedBy: {},
    targetResources: [],
  };
  await s.users.update(TENANT, user.id, {}, { revokeAt: NOW + 9, audit: [audit] });
  const other = new Database(file, { readonly: true });
  try {
    const row = other.prepare('SELECT revocation_epoch, refresh_tokens_valid_from FROM users WHERE id = ?').get(user.id) as Record<
      string,
      number
    >;
    assert.deepEqual([row.revocation_epoch, row.refresh_tokens_valid_from], [1, NOW + 9]);
    const n = other.prepare('SELECT count(*) AS n FROM audit_records WHERE id = ?').get(audit.id) as { n: number };
    assert.equal(n.n, 1);
  } finally {
    other.close();
  }
});
