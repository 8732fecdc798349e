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
import type { PgDb, Queryable } from './database.js';
import type { SecurityEventDraft } from '../../core/security-event.js';
import { loadUser } from './directory.js';
import { writeSecurityEvent } from './outbox.js';
import { joinScopes, toCode, toDeviceCode, toGrant, toRefreshToken, toSession } from './rows.js';

/**
 * The one check every redemption makes, inside the redeeming transaction and under a FOR SHARE
 * lock on the user row: the account is enabled and the credential's epoch is the user's current
 * one (DESIGN.md I1). Same order as the SQLite adapter: disabled before revoked (50057 vs 50173).
 */
function userVerdict(user: User | null, epoch: number): RedeemFailure | null {
  if (!user) return 'user_gone';
  if (!user.accountEnabled) return 'disabled';
  if (user.revocationEpoch !== epoch) return 'revoked';
  return null;
}

async function revokeGrant(c: Queryable, grantId: string, now: number): Promise<void> {
  await c.query('UPDATE grants SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [now, grantId]);
}

export class PgSessionStore implements SessionStore {
  constructor(private readonly db: PgDb) {}
  async insert(x: SsoSession): Promise<void> {
    await this.db.query(
      `INSERT INTO sso_sessions (token_hash, id, tenant_id, user_id, epoch, auth_time, created_at, expires_at, ended_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [x.tokenHash, x.id, x.tenantId, x.userId, x.epoch, x.authTime, x.createdAt, x.expiresAt, x.endedAt],
    );
  }
  /** A read only: what a live session issues (a code) carries its epoch and is checked on redemption. */
  async findLive(tokenHash: string, now: number): Promise<{ session: SsoSession; user: User } | null> {
    const { rows } = await this.db.query('SELECT * FROM sso_sessions WHERE token_hash = $1', [tokenHash]);
    if (!rows[0]) return null;
    const session = toSession(rows[0]);
    if (session.endedAt !== null || session.expiresAt <= now) return null;
    const user = await loadUser(this.db, session.tenantId, session.userId);
    if (userVerdict(user, session.epoch) !== null || !user) return null;
    return { session, user };
  }
  async end(tokenHash: string, now: number, event?: SecurityEventDraft): Promise<void> {
    if (!event) {
      await this.db.query('UPDATE sso_sessions SET ended_at = $1 WHERE token_hash = $2 AND ended_at IS NULL', [now, tokenHash]);
      return;
    }
    const wrote = await this.db.tx(async (c) => {
      const { rows } = await c.query('SELECT * FROM sso_sessions WHERE token_hash = $1', [tokenHash]);
      if (!rows[0]) return false;
      const session = toSession(rows[0]);
      // Same lock order as the revoke path (user first), so sign-out and revoke serialise.
      const user = await loadUser(c, session.tenantId, session.userId, 'share');
      const ended = await c.query('UPDATE sso_sessions SET ended_at = $1 WHERE token_hash = $2 AND ended_at IS NULL', [now, tokenHash]);
      // Only a session that was still live is news to the applications it signed in.
      if (ended.rowCount !== 1 || session.expiresAt <= now || !user || userVerdict(user, session.epoch) !== null) return false;
      await writeSecurityEvent(c, user, event, { kind: 'session', sessionId: session.id, epoch: session.epoch });
      return true;
    });
    if (wrote) this.db.outboxCommitted.fire();
  }
}

export class PgAuthorizationCodeStore implements AuthorizationCodeStore {
  constructor(private readonly db: PgDb) {}
  async insert(c: AuthorizationCode): Promise<void> {
    await this.db.query(
      `INSERT INTO authorization_codes (hash, grant_id, tenant_id, client_id, user_id, session_id, redirect_uri, scopes,
         code_challenge, code_challenge_method, nonce, epoch, auth_time, expires_at, consumed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
      [
        c.hash, c.grantId, c.tenantId, c.clientId, c.userId, c.sessionId, c.redirectUri, joinScopes(c.scopes),
        c.codeChallenge, c.codeChallengeMethod, c.nonce, c.epoch, c.authTime, c.expiresAt, c.consumedAt,
      ],
    );
  }
  async redeem(hash: string, now: number): Promise<Redeemed<AuthorizationCode>> {
    return this.db.tx(async (c): Promise<Redeemed<AuthorizationCode>> => {
      // FOR UPDATE: two redemptions of one code serialise here; the second sees consumed_at.
      const { rows } = await c.query('SELECT * FROM authorization_codes WHERE hash = $1 FOR UPDATE', [hash]);
      if (!rows[0]) return { ok: false, reason: 'not_found', record: null };
      const code = toCode(rows[0]);
      if (code.consumedAt !== null) {
        // A replayed code revokes what it issued (RFC 6749 §4.1.2, RFC 9700 §4.2.4).
        await revokeGrant(c, code.grantId, now);
        return { ok: false, reason: 'consumed', record: code };
      }
      await c.query('UPDATE authorization_codes SET consumed_at = $1 WHERE hash = $2', [now, hash]);
      if (code.expiresAt <= now) return { ok: false, reason: 'expired', record: code };
      const user = await loadUser(c, code.tenantId, code.userId, 'share');
      const verdict = userVerdict(user, code.epoch);
      if (verdict || !user) return { ok: false, reason: verdict ?? 'user_gone', record: code };
      return { ok: true, record: { ...code, consumedAt: now }, user };
    });
  }
}

export class PgDeviceCodeStore implements DeviceCodeStore {
  constructor(private readonly db: PgDb) {}
  async insert(d: DeviceCode): Promise<void> {
    await this.db.query(
      `INSERT INTO device_codes (device_code_hash, user_code_hash, grant_id, tenant_id, client_id, scopes, status, user_id,
         session_id, epoch, auth_time, interval_seconds, expires_at, last_polled_at, consumed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
      [
        d.deviceCodeHash, d.userCodeHash, d.grantId, d.tenantId, d.clientId, joinScopes(d.scopes), d.status, d.userId,
        d.sessionId, d.epoch, d.authTime, d.interval, d.expiresAt, d.lastPolledAt, d.consumedAt,
      ],
    );
  }
  async findPendingByUserCode(userCodeHash: string, now: number): Promise<DeviceCode | null> {
    const { rows } = await this.db.query(
      `SELECT * FROM device_codes WHERE user_code_hash = $1 AND status = 'pending' AND expires_at > $2`,
      [userCodeHash, now],
    );
    return rows[0] ? toDeviceCode(rows[0]) : null;
  }
  /** One conditional UPDATE: only a pending, unexpired code takes a decision. */
  async decide(
    userCodeHash: string,
    decision: { status: 'approved'; userId: string; sessionId: string; epoch: number; authTime: number } | { status: 'declined' },
    now: number,
  ): Promise<boolean> {
    const r =
      decision.status === 'approved'
        ? await this.db.query(
            `UPDATE device_codes SET status = 'approved', user_id = $1, session_id = $2, epoch = $3, auth_time = $4
             WHERE user_code_hash = $5 AND status = 'pending' AND expires_at > $6`,
            [decision.userId, decision.sessionId, decision.epoch, decision.authTime, userCodeHash, now],
          )
        : await this.db.query(
            `UPDATE device_codes SET status = 'declined' WHERE user_code_hash = $1 AND status = 'pending' AND expires_at > $2`,
            [userCodeHash, now],
          );
    return r.rowCount === 1;
  }
  async poll(
    deviceCodeHash: string,
    now: number,
  ): Promise<Redeemed<DeviceCode> | { ok: false; reason: 'pending' | 'declined' | 'slow_down'; record: DeviceCode }> {
    type Polled = Redeemed<DeviceCode> | { ok: false; reason: 'pending' | 'declined' | 'slow_down'; record: DeviceCode };
    return this.db.tx(async (c): Promise<Polled> => {
      const { rows } = await c.query('SELECT * FROM device_codes WHERE device_code_hash = $1 FOR UPDATE', [deviceCodeHash]);
      if (!rows[0]) return { ok: false, reason: 'not_found', record: null };
      const d = toDeviceCode(rows[0]);
      // A device polling once more after its answer was lost is ordinary (RFC 8628 §3.5): no revoke.
      if (d.consumedAt !== null) return { ok: false, reason: 'consumed', record: d };
      if (d.expiresAt <= now) return { ok: false, reason: 'expired', record: d };
      if (d.status === 'declined') return { ok: false, reason: 'declined', record: d };
      const tooFast = d.lastPolledAt !== null && now - d.lastPolledAt < d.interval * 1000 - 1000;
      await c.query('UPDATE device_codes SET last_polled_at = $1 WHERE device_code_hash = $2', [now, deviceCodeHash]);
      // RFC 8628 §3.5: polling faster than the interval gets slow_down.
      if (tooFast) return { ok: false, reason: 'slow_down', record: d };
      if (d.status === 'pending') return { ok: false, reason: 'pending', record: d };
      const user = d.userId ? await loadUser(c, d.tenantId, d.userId, 'share') : null;
      const verdict = userVerdict(user, d.epoch ?? -1);
      await c.query('UPDATE device_codes SET consumed_at = $1 WHERE device_code_hash = $2', [now, deviceCodeHash]);
      if (verdict || !user) return { ok: false, reason: verdict ?? 'user_gone', record: d };
      return { ok: true, record: { ...d, consumedAt: now }, user };
    });
  }
}

async function insertToken(c: Queryable, t: RefreshTokenRecord): Promise<void> {
  await c.query(
    `INSERT INTO refresh_tokens (hash, grant_id, tenant_id, user_id, client_id, scopes, epoch, issued_at, expires_at, consumed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [t.hash, t.grantId, t.tenantId, t.userId, t.clientId, joinScopes(t.scopes), t.epoch, t.issuedAt, t.expiresAt, t.consumedAt],
  );
}

export class PgGrantStore implements GrantStore {
  constructor(private readonly db: PgDb) {}

  async create(g: Grant, firstToken: RefreshTokenRecord | null): Promise<void> {
    await this.db.tx(async (c) => {
      await c.query(
        `INSERT INTO grants (id, tenant_id, user_id, client_id, session_id, scopes, epoch, auth_time, created_at, revoked_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [g.id, g.tenantId, g.userId, g.clientId, g.sessionId, joinScopes(g.scopes), g.epoch, g.authTime, g.createdAt, g.revokedAt],
      );
      if (firstToken) await insertToken(c, firstToken);
    });
  }

  /**
   * Rotation (DESIGN.md I4) in one transaction. Lock order: the token row FOR UPDATE (concurrent
   * rotations of one token serialise; the loser sees consumed_at), the grant FOR SHARE (a family
   * revoke waits for us, or we see it), the user FOR SHARE (a revoke's FOR NO KEY UPDATE waits for
   * us, or we wait for it and read the new epoch). The revoke path locks only the user row, so
   * there is no lock cycle between the two.
   */
  async rotate(
    hash: string,
    clientId: string,
    now: number,
    next: (current: RefreshTokenRecord) => RefreshTokenRecord,
    graceMs: number,
  ): Promise<Rotated> {
    return this.db.tx(async (c): Promise<Rotated> => {
      const { rows } = await c.query('SELECT * FROM refresh_tokens WHERE hash = $1 FOR UPDATE', [hash]);
      if (!rows[0]) return { ok: false, reason: 'not_found', record: null };
      const token = toRefreshToken(rows[0]);
      // Another client's token: report not_found and touch nothing (one client cannot burn another's).
      if (token.clientId !== clientId) return { ok: false, reason: 'not_found', record: null };
      if (token.consumedAt !== null) {
        // RFC 9700 §4.14.2: a rotated token presented again means it leaked; kill the family.
        if (now - token.consumedAt >= graceMs) await revokeGrant(c, token.grantId, now);
        return { ok: false, reason: 'consumed', record: token };
      }
      const gr = await c.query('SELECT * FROM grants WHERE id = $1 FOR SHARE', [token.grantId]);
      const g = gr.rows[0] ? toGrant(gr.rows[0]) : null;
      const user = await loadUser(c, token.tenantId, token.userId, 'share');
      const verdict = userVerdict(user, token.epoch);
      if (verdict === 'user_gone' || verdict === 'disabled') return { ok: false, reason: verdict, record: token };
      if (!g || g.revokedAt !== null || verdict === 'revoked' || !user) return { ok: false, reason: 'revoked', record: token };
      if (token.expiresAt <= now) return { ok: false, reason: 'expired', record: token };
      await c.query('UPDATE refresh_tokens SET consumed_at = $1 WHERE hash = $2', [now, hash]);
      const nextToken = next(token);
      await insertToken(c, nextToken);
      return { ok: true, record: { ...token, consumedAt: now }, user, grant: g, next: nextToken };
    });
  }

  async revoke(grantId: string, now: number): Promise<void> {
    await this.db.query('UPDATE grants SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [now, grantId]);
  }

  async findById(grantId: string): Promise<Grant | null> {
    const { rows } = await this.db.query('SELECT * FROM grants WHERE id = $1', [grantId]);
    return rows[0] ? toGrant(rows[0]) : null;
  }
}
