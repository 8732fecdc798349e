import {
  codeFirstLook,
  codeRedeemed,
  deviceCodeRedeemed,
  devicePollFirstLook,
  grantIsLive,
  rotationFirstLook,
  rotationVerdict,
  sessionIsLive,
  type DeviceDecision,
  type Polled,
  type Redeemed,
  type Rotated,
} from '../../core/credential-verdicts.js';
import type { AuthorizationCode, DeviceCode, Grant, RefreshTokenRecord, SsoSession, User } from '../../core/model.js';
import type { SecurityEventDraft } from '../../core/security-event.js';
import { CREDENTIAL_SQL as SQL, codeArgs, deviceCodeArgs, grantArgs, refreshTokenArgs, sessionArgs } from '../sql/credentials.js';
import { GRANT_START_SQL, SESSION_TOUCH_INTERVAL_MS, anyMarked } from '../sql/inventory.js';
import type { AuthorizationCodeStore, DeviceCodeStore, GrantStore, RevokeOptions, RotationAsk, SessionStore } from '../store.js';
import type { SqliteDb } from './database.js';
import type { SqliteUserStore } from './directory.js';
import { insertAudit } from './audit-keys.js';
import { writeSecurityEventSync } from './outbox.js';
import { captureReceiptSync } from './receipts.js';
import { toCode, toDeviceCode, toGrant, toRefreshToken, toSession } from './rows.js';

/**
 * Sessions, codes, device codes and grants on SQLite. The decisions are core/credential-verdicts.ts;
 * here are the reads and writes, each redemption in one transaction (SQLite serialises writers, so
 * the rows read cannot change before the transaction's writes).
 */
type Row = Record<string, unknown>;

export class SqliteSessionStore implements SessionStore {
  constructor(
    private readonly s: SqliteDb,
    private readonly users: SqliteUserStore,
  ) {}
  private read(tokenHash: string): SsoSession | null {
    const r = this.s.stmt(SQL.selectSession).get(tokenHash) as Row | undefined;
    return r ? toSession(r) : null;
  }
  async insert(x: SsoSession): Promise<void> {
    this.s.stmt(SQL.insertSession).run(...sessionArgs(x));
  }
  async findLive(tokenHash: string, now: number): Promise<{ session: SsoSession; user: User } | null> {
    const session = this.read(tokenHash);
    if (!session) return null;
    const user = this.users.loadSync(session.tenantId, session.userId);
    return sessionIsLive(session, user, now) ? { session, user } : null;
  }
  async end(tokenHash: string, now: number, event?: SecurityEventDraft): Promise<void> {
    const wrote = this.s.tx(() => {
      const session = this.read(tokenHash);
      if (!session || session.endedAt !== null) return false;
      this.s.stmt(SQL.endSession).run(now, tokenHash);
      // Only a session that was still live is news to the applications it signed in.
      const user = this.users.loadSync(session.tenantId, session.userId);
      if (!event || !sessionIsLive(session, user, now)) return false;
      writeSecurityEventSync(this.s, user, event, { kind: 'session', sessionId: session.id, epoch: session.epoch });
      return true;
    });
    if (wrote) this.s.outboxCommitted.fire();
  }
  async touch(sessionId: string, now: number): Promise<void> {
    this.s.stmt(GRANT_START_SQL.touchSession).run(now, sessionId, now - SESSION_TOUCH_INTERVAL_MS);
  }
}

export class SqliteAuthorizationCodeStore implements AuthorizationCodeStore {
  constructor(
    private readonly s: SqliteDb,
    private readonly users: SqliteUserStore,
  ) {}
  async insert(c: AuthorizationCode): Promise<void> {
    this.s.stmt(SQL.insertCode).run(...codeArgs(c));
  }
  async redeem(hash: string, now: number): Promise<Redeemed<AuthorizationCode>> {
    return this.s.tx(() => {
      const r = this.s.stmt(SQL.selectCode).get(hash) as Row | undefined;
      const code = r ? toCode(r) : null;
      const look = codeFirstLook(code);
      if (look === 'not_found' || !code) return { ok: false, reason: 'not_found', record: null };
      if (look === 'replayed') {
        this.s.stmt(SQL.revokeGrant).run(now, code.grantId);
        return { ok: false, reason: 'consumed', record: code };
      }
      this.s.stmt(SQL.consumeCode).run(now, hash);
      return codeRedeemed(code, this.users.loadSync(code.tenantId, code.userId), now);
    });
  }
}

export class SqliteDeviceCodeStore implements DeviceCodeStore {
  constructor(
    private readonly s: SqliteDb,
    private readonly users: SqliteUserStore,
  ) {}
  async insert(d: DeviceCode): Promise<void> {
    this.s.stmt(SQL.insertDeviceCode).run(...deviceCodeArgs(d));
  }
  async findPendingByUserCode(userCodeHash: string, now: number): Promise<DeviceCode | null> {
    const r = this.s.stmt(SQL.selectPendingDeviceCode).get(userCodeHash, now) as Row | undefined;
    return r ? toDeviceCode(r) : null;
  }
  async decide(userCodeHash: string, decision: DeviceDecision, now: number): Promise<boolean> {
    const info =
      decision.status === 'approved'
        ? this.s.stmt(SQL.approveDeviceCode).run(decision.userId, decision.sessionId, decision.epoch, decision.authTime, userCodeHash, now)
        : this.s.stmt(SQL.declineDeviceCode).run(userCodeHash, now);
    return info.changes === 1;
  }
  async poll(deviceCodeHash: string, now: number): Promise<Polled> {
    return this.s.tx((): Polled => {
      const r = this.s.stmt(SQL.selectDeviceCode).get(deviceCodeHash) as Row | undefined;
      const d = r ? toDeviceCode(r) : null;
      const look = devicePollFirstLook(d, now);
      if (look.recordPoll) this.s.stmt(SQL.stampDevicePoll).run(now, deviceCodeHash);
      if (look.refuse || !d) return look.refuse ?? { ok: false, reason: 'not_found', record: null };
      const user = d.userId ? this.users.loadSync(d.tenantId, d.userId) : null;
      this.s.stmt(SQL.consumeDeviceCode).run(now, deviceCodeHash);
      return deviceCodeRedeemed(d, user, now);
    });
  }
}

export class SqliteGrantStore implements GrantStore {
  constructor(
    private readonly s: SqliteDb,
    private readonly users: SqliteUserStore,
  ) {}

  async create(g: Grant, firstToken: RefreshTokenRecord | null): Promise<boolean> {
    return this.s.tx(() => {
      // A targeted revocation since the code was redeemed or the session signed in (InventoryStore.cut).
      const rows = (sql: string, arg: string) => this.s.stmt(sql).all(arg) as Row[];
      if (anyMarked(rows(GRANT_START_SQL.codeCut, g.id), 'cut_at') || anyMarked(rows(GRANT_START_SQL.deviceCodeCut, g.id), 'cut_at'))
        return false;
      if (g.sessionId !== null && anyMarked(rows(GRANT_START_SQL.sessionEnded, g.sessionId), 'ended_at')) return false;
      this.s.stmt(SQL.insertGrant).run(...grantArgs(g));
      if (firstToken) this.s.stmt(SQL.insertRefreshToken).run(...refreshTokenArgs(firstToken));
      return true;
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
    next: (current: RefreshTokenRecord, grant: Grant) => RefreshTokenRecord,
    graceMs: number,
    crossOrigin = false,
  ): Promise<Rotated> {
    return this.s.groupCommit.run(() => this.rotateNow({ hash, clientId, now, next, graceMs, crossOrigin }));
  }

  private rotateNow({ hash, clientId, now, next, graceMs, crossOrigin }: RotationAsk): Rotated {
    const r = this.s.stmt(SQL.selectRefreshToken).get(hash) as Row | undefined;
    const token = r ? toRefreshToken(r) : null;
    const look = rotationFirstLook(token, clientId, now, graceMs);
    if (look.revokeGrant && token) this.s.stmt(SQL.revokeGrant).run(now, token.grantId);
    if (look.refuse || !token) return look.refuse ?? { ok: false, reason: 'not_found', record: null };
    const grant = this.findByIdSync(token.grantId);
    const user = this.users.loadSync(token.tenantId, token.userId);
    const verdict = rotationVerdict(token, grant, user, now, crossOrigin);
    if (verdict || !grant || !user) return { ok: false, reason: verdict ?? 'revoked', record: token, user, grant };
    if (this.s.stmt(SQL.consumeRefreshToken).run(now, hash).changes !== 1)
      return { ok: false, reason: 'consumed', record: token, user, grant };
    const nextToken = next(token, grant);
    this.s.stmt(SQL.insertRefreshToken).run(...refreshTokenArgs(nextToken));
    return { ok: true, record: { ...token, consumedAt: now }, user, grant, next: nextToken };
  }

  async revoke(grantId: string, now: number, options?: RevokeOptions): Promise<boolean> {
    if (!options) return this.s.stmt(SQL.revokeGrant).run(now, grantId).changes === 1;
    // Like a user revoke: ahead of queued rotations, answered after the fsync.
    const revoked = await this.s.groupCommit.run(() => this.revokeRecordedNow(grantId, now, options), { urgent: true });
    if (revoked && options.securityEvent) this.s.outboxCommitted.fire();
    return revoked;
  }

  /** The grant's event, receipt and audit records only if it was live (grantIsLive): a dead grant's revocation cuts nothing. */
  private revokeRecordedNow(grantId: string, now: number, options: RevokeOptions): boolean {
    const grant = this.findByIdSync(grantId);
    const user = grant ? this.users.loadSync(grant.tenantId, grant.userId) : null;
    if (!grant || !grantIsLive(grant, user)) {
      this.s.stmt(SQL.revokeGrant).run(now, grantId);
      return false;
    }
    // Captured before the grant is marked: what this revocation ends.
    const event = options.securityEvent;
    const eventId = event ? writeSecurityEventSync(this.s, user, event, { kind: 'grant', grantId }) : null;
    if (options.receipt) {
      captureReceiptSync(this.s, { user, draft: options.receipt, at: now, cut: { grantIds: [grantId], sessionIds: [] }, eventId });
    }
    this.s.stmt(SQL.revokeGrant).run(now, grantId);
    for (const a of options.audit) insertAudit(this.s, a);
    return true;
  }

  private findByIdSync(grantId: string): Grant | null {
    const r = this.s.stmt(SQL.selectGrant).get(grantId) as Row | undefined;
    return r ? toGrant(r) : null;
  }

  async findById(grantId: string): Promise<Grant | null> {
    return this.findByIdSync(grantId);
  }

  async findRefreshToken(hash: string): Promise<{ token: RefreshTokenRecord; grant: Grant | null } | null> {
    const r = this.s.stmt(SQL.selectRefreshToken).get(hash) as Row | undefined;
    if (!r) return null;
    const token = toRefreshToken(r);
    return { token, grant: this.findByIdSync(token.grantId) };
  }
}
