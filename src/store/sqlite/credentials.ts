import type { AuthorizationCode, DeviceCode, Grant, RefreshTokenRecord, SsoSession, User } from '../../core/model.js';
import type {
  AuthorizationCodeStore,
  DeviceCodeStore,
  GrantStore,
  RedeemFailure,
  Redeemed,
  Rotated,
  SessionStore,
} from '../store.js';
import type { SqliteDb } from './database.js';
import type { SqliteUserStore } from './directory.js';
import type { SecurityEventDraft } from '../../core/security-event.js';
import { writeSecurityEventSync } from './outbox.js';
import { joinScopes, toCode, toDeviceCode, toGrant, toRefreshToken, toSession } from './rows.js';

type Row = Record<string, unknown>;

/**
 * The one check every redemption makes, inside the redeeming transaction: the account is
 * enabled and the credential's epoch is the user's current one (DESIGN.md, I1). Disabled is
 * reported before revoked because disabling also bumps the epoch (AADSTS50057 vs 50173).
 */
function userVerdict(user: User | null, epoch: number): RedeemFailure | null {
  if (!user) return 'user_gone';
  if (!user.accountEnabled) return 'disabled';
  if (user.revocationEpoch !== epoch) return 'revoked';
  return null;
}

function revokeGrantSync(s: SqliteDb, grantId: string, now: number): void {
  s.stmt('UPDATE grants SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now, grantId);
}

export class SqliteSessionStore implements SessionStore {
  constructor(
    private readonly s: SqliteDb,
    private readonly users: SqliteUserStore,
  ) {}
  async insert(x: SsoSession): Promise<void> {
    this.s
      .stmt(
        `INSERT INTO sso_sessions (token_hash, id, tenant_id, user_id, epoch, auth_time, created_at, expires_at, ended_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(x.tokenHash, x.id, x.tenantId, x.userId, x.epoch, x.authTime, x.createdAt, x.expiresAt, x.endedAt);
  }
  async findLive(tokenHash: string, now: number): Promise<{ session: SsoSession; user: User } | null> {
    const r = this.s.stmt('SELECT * FROM sso_sessions WHERE token_hash = ?').get(tokenHash) as Row | undefined;
    if (!r) return null;
    const session = toSession(r);
    if (session.endedAt !== null || session.expiresAt <= now) return null;
    const user = this.users.loadSync(session.tenantId, session.userId);
    if (userVerdict(user, session.epoch) !== null || !user) return null;
    return { session, user };
  }
  async end(tokenHash: string, now: number, event?: SecurityEventDraft): Promise<void> {
    const wrote = this.s.tx(() => {
      const r = this.s.stmt('SELECT * FROM sso_sessions WHERE token_hash = ?').get(tokenHash) as Row | undefined;
      if (!r) return false;
      const session = toSession(r);
      if (session.endedAt !== null) return false;
      this.s.stmt('UPDATE sso_sessions SET ended_at = ? WHERE token_hash = ? AND ended_at IS NULL').run(now, tokenHash);
      // Only a session that was still live is news to the applications it signed in.
      const user = this.users.loadSync(session.tenantId, session.userId);
      if (!event || session.expiresAt <= now || !user || userVerdict(user, session.epoch) !== null) return false;
      writeSecurityEventSync(this.s, user, event, { kind: 'session', sessionId: session.id, epoch: session.epoch });
      return true;
    });
    if (wrote) this.s.outboxCommitted.fire();
  }
}

export class SqliteAuthorizationCodeStore implements AuthorizationCodeStore {
  constructor(
    private readonly s: SqliteDb,
    private readonly users: SqliteUserStore,
  ) {}
  async insert(c: AuthorizationCode): Promise<void> {
    this.s
      .stmt(
        `INSERT INTO authorization_codes (hash, grant_id, tenant_id, client_id, user_id, session_id, redirect_uri, scopes,
           code_challenge, code_challenge_method, nonce, epoch, auth_time, expires_at, consumed_at, client_capabilities)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        c.hash, c.grantId, c.tenantId, c.clientId, c.userId, c.sessionId, c.redirectUri, joinScopes(c.scopes),
        c.codeChallenge, c.codeChallengeMethod, c.nonce, c.epoch, c.authTime, c.expiresAt, c.consumedAt,
        joinScopes(c.clientCapabilities ?? []),
      );
  }
  async redeem(hash: string, now: number): Promise<Redeemed<AuthorizationCode>> {
    return this.s.tx(() => {
      const r = this.s.stmt('SELECT * FROM authorization_codes WHERE hash = ?').get(hash) as Row | undefined;
      if (!r) return { ok: false, reason: 'not_found', record: null };
      const code = toCode(r);
      if (code.consumedAt !== null) {
        // A replayed code revokes what it issued (RFC 6749 §4.1.2, RFC 9700 §4.2.4).
        revokeGrantSync(this.s, code.grantId, now);
        return { ok: false, reason: 'consumed', record: code };
      }
      this.s.stmt('UPDATE authorization_codes SET consumed_at = ? WHERE hash = ?').run(now, hash);
      if (code.expiresAt <= now) return { ok: false, reason: 'expired', record: code };
      const user = this.users.loadSync(code.tenantId, code.userId);
      const verdict = userVerdict(user, code.epoch);
      if (verdict || !user) return { ok: false, reason: verdict ?? 'user_gone', record: code };
      return { ok: true, record: { ...code, consumedAt: now }, user };
    });
  }
}

export class SqliteDeviceCodeStore implements DeviceCodeStore {
  constructor(
    private readonly s: SqliteDb,
    private readonly users: SqliteUserStore,
  ) {}
  async insert(d: DeviceCode): Promise<void> {
    this.s
      .stmt(
        `INSERT INTO device_codes (device_code_hash, user_code_hash, grant_id, tenant_id, client_id, scopes, status, user_id,
           session_id, epoch, auth_time, interval_seconds, expires_at, last_polled_at, consumed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        d.deviceCodeHash, d.userCodeHash, d.grantId, d.tenantId, d.clientId, joinScopes(d.scopes), d.status, d.userId,
        d.sessionId, d.epoch, d.authTime, d.interval, d.expiresAt, d.lastPolledAt, d.consumedAt,
      );
  }
  async findPendingByUserCode(userCodeHash: string, now: number): Promise<DeviceCode | null> {
    const r = this.s
      .stmt(`SELECT * FROM device_codes WHERE user_code_hash = ? AND status = 'pending' AND expires_at > ?`)
      .get(userCodeHash, now) as Row | undefined;
    return r ? toDeviceCode(r) : null;
  }
  async decide(
    userCodeHash: string,
    decision: { status: 'approved'; userId: string; sessionId: string; epoch: number; authTime: number } | { status: 'declined' },
    now: number,
  ): Promise<boolean> {
    const info =
      decision.status === 'approved'
        ? this.s
            .stmt(
              `UPDATE device_codes SET status = 'approved', user_id = ?, session_id = ?, epoch = ?, auth_time = ?
               WHERE user_code_hash = ? AND status = 'pending' AND expires_at > ?`,
            )
            .run(decision.userId, decision.sessionId, decision.epoch, decision.authTime, userCodeHash, now)
        : this.s
            .stmt(`UPDATE device_codes SET status = 'declined' WHERE user_code_hash = ? AND status = 'pending' AND expires_at > ?`)
            .run(userCodeHash, now);
    return info.changes === 1;
  }
  async poll(
    deviceCodeHash: string,
    now: number,
  ): Promise<Redeemed<DeviceCode> | { ok: false; reason: 'pending' | 'declined' | 'slow_down'; record: DeviceCode }> {
    return this.s.tx(() => {
      const r = this.s.stmt('SELECT * FROM device_codes WHERE device_code_hash = ?').get(deviceCodeHash) as Row | undefined;
      if (!r) return { ok: false as const, reason: 'not_found' as const, record: null };
      const d = toDeviceCode(r);
      // Unlike a replayed authorization code, a device polling once more after its answer was
      // lost is ordinary (RFC 8628 §3.5), so it does not revoke the grant.
      if (d.consumedAt !== null) return { ok: false as const, reason: 'consumed' as const, record: d };
      if (d.expiresAt <= now) return { ok: false as const, reason: 'expired' as const, record: d };
      if (d.status === 'declined') return { ok: false as const, reason: 'declined' as const, record: d };
      const tooFast = d.lastPolledAt !== null && now - d.lastPolledAt < d.interval * 1000 - 1000;
      this.s.stmt('UPDATE device_codes SET last_polled_at = ? WHERE device_code_hash = ?').run(now, deviceCodeHash);
      // RFC 8628 §3.5: polling faster than the interval gets slow_down.
      if (tooFast) return { ok: false as const, reason: 'slow_down' as const, record: d };
      if (d.status === 'pending') return { ok: false as const, reason: 'pending' as const, record: d };
      const user = d.userId ? this.users.loadSync(d.tenantId, d.userId) : null;
      const verdict = userVerdict(user, d.epoch ?? -1);
      this.s.stmt('UPDATE device_codes SET consumed_at = ? WHERE device_code_hash = ?').run(now, deviceCodeHash);
      if (verdict || !user) return { ok: false as const, reason: verdict ?? ('user_gone' as const), record: d };
      return { ok: true as const, record: { ...d, consumedAt: now }, user };
    });
  }
}

export class SqliteGrantStore implements GrantStore {
  constructor(
    private readonly s: SqliteDb,
    private readonly users: SqliteUserStore,
  ) {}

  private insertToken(t: RefreshTokenRecord): void {
    this.s
      .stmt(
        `INSERT INTO refresh_tokens (hash, grant_id, tenant_id, user_id, client_id, scopes, epoch, issued_at, expires_at, consumed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(t.hash, t.grantId, t.tenantId, t.userId, t.clientId, joinScopes(t.scopes), t.epoch, t.issuedAt, t.expiresAt, t.consumedAt);
  }

  async create(g: Grant, firstToken: RefreshTokenRecord | null): Promise<void> {
    this.s.tx(() => {
      this.s
        .stmt(
          `INSERT INTO grants (id, tenant_id, user_id, client_id, session_id, scopes, epoch, auth_time, created_at, revoked_at, client_capabilities)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          g.id, g.tenantId, g.userId, g.clientId, g.sessionId, joinScopes(g.scopes), g.epoch, g.authTime, g.createdAt, g.revokedAt,
          joinScopes(g.clientCapabilities ?? []),
        );
      if (firstToken) this.insertToken(firstToken);
    });
  }

  /**
   * Joins the store's group commit (group-commit.ts): checked and applied inside the committing
   * transaction, answered after its fsync. Two presentations of one token in the same batch: the
   * first wins, the second finds it consumed.
   */
  rotate(
    hash: string,
    clientId: string,
    now: number,
    next: (current: RefreshTokenRecord) => RefreshTokenRecord,
    graceMs: number,
  ): Promise<Rotated> {
    return this.s.groupCommit.run(() => this.rotateNow({ hash, clientId, now, next, graceMs }));
  }

  private rotateNow({ hash, clientId, now, next, graceMs }: {
    hash: string;
    clientId: string;
    now: number;
    next: (current: RefreshTokenRecord) => RefreshTokenRecord;
    graceMs: number;
  }): Rotated {
    const r = this.s.stmt('SELECT * FROM refresh_tokens WHERE hash = ?').get(hash) as Row | undefined;
    if (!r) return { ok: false, reason: 'not_found', record: null };
    const token = toRefreshToken(r);
    if (token.clientId !== clientId) return { ok: false, reason: 'not_found', record: null };
    if (token.consumedAt !== null) {
      // RFC 9700 §4.14.2: a rotated token presented again means it leaked; kill the family.
      if (now - token.consumedAt >= graceMs) revokeGrantSync(this.s, token.grantId, now);
      return { ok: false, reason: 'consumed', record: token };
    }
    const gr = this.s.stmt('SELECT * FROM grants WHERE id = ?').get(token.grantId) as Row | undefined;
    const g = gr ? toGrant(gr) : null;
    const user = this.users.loadSync(token.tenantId, token.userId);
    const verdict = userVerdict(user, token.epoch);
    if (verdict === 'user_gone' || verdict === 'disabled') return { ok: false, reason: verdict, record: token };
    if (!g || g.revokedAt !== null || verdict === 'revoked') return { ok: false, reason: 'revoked', record: token };
    if (token.expiresAt <= now) return { ok: false, reason: 'expired', record: token };
    const consumed = this.s.stmt('UPDATE refresh_tokens SET consumed_at = ? WHERE hash = ? AND consumed_at IS NULL').run(now, hash);
    if (consumed.changes !== 1) return { ok: false, reason: 'consumed', record: token };
    const nextToken = next(token);
    this.insertToken(nextToken);
    return { ok: true, record: { ...token, consumedAt: now }, user: user as User, grant: g, next: nextToken };
  }

  async revoke(grantId: string, now: number): Promise<void> {
    revokeGrantSync(this.s, grantId, now);
  }

  async findById(grantId: string): Promise<Grant | null> {
    const r = this.s.stmt('SELECT * FROM grants WHERE id = ?').get(grantId) as Row | undefined;
    return r ? toGrant(r) : null;
  }

  async findRefreshToken(hash: string): Promise<{ token: RefreshTokenRecord; grant: Grant | null } | null> {
    const r = this.s.stmt('SELECT * FROM refresh_tokens WHERE hash = ?').get(hash) as Row | undefined;
    if (!r) return null;
    const token = toRefreshToken(r);
    return { token, grant: await this.findById(token.grantId) };
  }
}
