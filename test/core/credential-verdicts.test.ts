import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  codeFirstLook,
  codeRedeemed,
  deviceCodeRedeemed,
  devicePollFirstLook,
  rotationFirstLook,
  rotationVerdict,
  sessionIsLive,
  userVerdict,
} from '../../src/core/credential-verdicts.js';
import type { AuthorizationCode, DeviceCode, Grant, RefreshTokenRecord, SsoSession, User } from '../../src/core/model.js';

// The decisions both store adapters call inside their transactions; the adapters' I/O around
// them is covered by the store contract suite (test/store/contract.ts) on SQLite and PostgreSQL.
const NOW = Date.UTC(2026, 5, 1);
const user: User = {
  id: 'u1',
  tenantId: 't',
  userPrincipalName: 'a@x.test',
  displayName: 'A',
  mail: null,
  passwordHash: null,
  accountEnabled: true,
  revocationEpoch: 3,
  signInSessionsValidFrom: null,
  refreshTokensValidFrom: null,
  roleTemplateIds: [],
  createdAt: 0,
};
const token: RefreshTokenRecord = {
  hash: 'h',
  grantId: 'g',
  tenantId: 't',
  userId: 'u1',
  clientId: 'app',
  scopes: ['openid'],
  epoch: 3,
  issuedAt: NOW - 1000,
  expiresAt: NOW + 1000,
  consumedAt: null,
};
const grant: Grant = {
  id: 'g',
  tenantId: 't',
  userId: 'u1',
  clientId: 'app',
  sessionId: 's',
  scopes: ['openid'],
  epoch: 3,
  authTime: 0,
  createdAt: 0,
  revokedAt: null,
};
const code: AuthorizationCode = {
  hash: 'c',
  grantId: 'g',
  tenantId: 't',
  clientId: 'app',
  userId: 'u1',
  sessionId: 's',
  redirectUri: 'http://localhost',
  scopes: [],
  codeChallenge: null,
  codeChallengeMethod: null,
  nonce: null,
  epoch: 3,
  authTime: 0,
  expiresAt: NOW + 1,
  consumedAt: null,
};
const device: DeviceCode = {
  deviceCodeHash: 'd',
  userCodeHash: 'uc',
  grantId: 'g',
  tenantId: 't',
  clientId: 'app',
  scopes: [],
  status: 'approved',
  userId: 'u1',
  sessionId: 's',
  epoch: 3,
  authTime: 0,
  interval: 5,
  expiresAt: NOW + 1,
  lastPolledAt: null,
  consumedAt: null,
};
const session: SsoSession = {
  tokenHash: 'sh',
  id: 's',
  tenantId: 't',
  userId: 'u1',
  epoch: 3,
  authTime: 0,
  createdAt: 0,
  expiresAt: NOW + 1,
  endedAt: null,
};

describe('credential verdicts (core/credential-verdicts.ts)', () => {
  test('user verdict: gone, then disabled before revoked (AADSTS50057 before 50173), else none', () => {
    assert.equal(userVerdict(null, 3), 'user_gone');
    assert.equal(userVerdict({ ...user, accountEnabled: false, revocationEpoch: 4 }, 3), 'disabled');
    assert.equal(userVerdict({ ...user, revocationEpoch: 4 }, 3), 'revoked');
    assert.equal(userVerdict(user, 3), null);
  });

  test('rotation first look: another client is not_found and untouched; reuse past the grace revokes the family', () => {
    assert.deepEqual(rotationFirstLook(null, 'app', NOW, 0), {
      refuse: { ok: false, reason: 'not_found', record: null },
      revokeGrant: false,
    });
    assert.deepEqual(rotationFirstLook(token, 'other', NOW, 0), {
      refuse: { ok: false, reason: 'not_found', record: null },
      revokeGrant: false,
    });
    const consumed = { ...token, consumedAt: NOW - 10 };
    assert.equal(rotationFirstLook(consumed, 'app', NOW, 10).revokeGrant, true);
    assert.equal(rotationFirstLook(consumed, 'app', NOW, 11).revokeGrant, false);
    assert.equal(rotationFirstLook(consumed, 'app', NOW, 11).refuse?.reason, 'consumed');
    assert.deepEqual(rotationFirstLook(token, 'app', NOW, 0), { refuse: null, revokeGrant: false });
  });

  test('rotation verdict: gone/disabled named, revoked grant or epoch = revoked, expiry last', () => {
    const expired = { ...token, expiresAt: NOW };
    assert.equal(rotationVerdict(expired, grant, null, NOW), 'user_gone');
    assert.equal(rotationVerdict(expired, grant, { ...user, accountEnabled: false }, NOW), 'disabled');
    assert.equal(rotationVerdict(expired, { ...grant, revokedAt: 1 }, user, NOW), 'revoked');
    assert.equal(rotationVerdict(expired, null, user, NOW), 'revoked');
    assert.equal(rotationVerdict(expired, grant, { ...user, revocationEpoch: 4 }, NOW), 'revoked');
    assert.equal(rotationVerdict(expired, grant, user, NOW), 'expired');
    assert.equal(rotationVerdict(token, grant, user, NOW), null);
  });

  test('code: replay is its own step; expiry before the user; success marks it consumed now', () => {
    assert.equal(codeFirstLook(null), 'not_found');
    assert.equal(codeFirstLook({ ...code, consumedAt: 1 }), 'replayed');
    assert.equal(codeFirstLook(code), 'consume');
    assert.equal(codeRedeemed({ ...code, expiresAt: NOW }, null, NOW).ok, false);
    assert.deepEqual(codeRedeemed({ ...code, expiresAt: NOW }, user, NOW), {
      ok: false,
      reason: 'expired',
      record: { ...code, expiresAt: NOW },
    });
    assert.deepEqual(codeRedeemed(code, { ...user, revocationEpoch: 9 }, NOW), { ok: false, reason: 'revoked', record: code });
    assert.deepEqual(codeRedeemed(code, user, NOW), { ok: true, record: { ...code, consumedAt: NOW }, user });
  });

  test('device poll: consumed/expired/declined leave no stamp; slow_down and pending are stamped (RFC 8628 §3.5)', () => {
    assert.deepEqual(devicePollFirstLook(null, NOW), { refuse: { ok: false, reason: 'not_found', record: null }, recordPoll: false });
    assert.equal(devicePollFirstLook({ ...device, consumedAt: 1 }, NOW).refuse?.reason, 'consumed');
    assert.equal(devicePollFirstLook({ ...device, expiresAt: NOW }, NOW).refuse?.reason, 'expired');
    assert.deepEqual(devicePollFirstLook({ ...device, status: 'declined' }, NOW).recordPoll, false);
    // Interval 5 s with one second of slack: 3.999 s after the last poll is too fast, 4 s is not.
    const fast = devicePollFirstLook({ ...device, lastPolledAt: NOW - 3999 }, NOW);
    assert.equal(fast.refuse?.reason, 'slow_down');
    assert.equal(fast.recordPoll, true);
    assert.deepEqual(devicePollFirstLook({ ...device, lastPolledAt: NOW - 4000 }, NOW), { refuse: null, recordPoll: true });
    assert.equal(devicePollFirstLook({ ...device, status: 'pending' }, NOW).refuse?.reason, 'pending');
    assert.deepEqual(deviceCodeRedeemed({ ...device, epoch: null }, user, NOW).ok, false);
    assert.deepEqual(deviceCodeRedeemed(device, user, NOW), { ok: true, record: { ...device, consumedAt: NOW }, user });
  });

  test('session: live only while not ended, not expired and its user passes', () => {
    assert.equal(sessionIsLive(session, user, NOW), true);
    assert.equal(sessionIsLive({ ...session, endedAt: 1 }, user, NOW), false);
    assert.equal(sessionIsLive({ ...session, expiresAt: NOW }, user, NOW), false);
    assert.equal(sessionIsLive(session, { ...user, revocationEpoch: 4 }, NOW), false);
    assert.equal(sessionIsLive(session, null, NOW), false);
  });
});
