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
import { CREDENTIAL_SQL, codeArgs, deviceCodeArgs, grantArgs, refreshTokenArgs, sessionArgs } from '../sql/credentials.js';
import { GRANT_START_SQL, SESSION_TOUCH_INTERVAL_MS, anyMarked } from '../sql/inventory.js';
import { numberedAll } from '../sql/placeholders.js';
import type { AuthorizationCodeStore, DeviceCodeStore, GrantStore, RevokeOptions, SessionStore } from '../store.js';
import { insertAudit } from './audit-keys.js';
import type { PgDb, Queryable } from './database.js';
import { loadUser } from './directory.js';
import { writeSecurityEvent } from './outbox.js';
import { captureReceipt } from './receipts.js';
import { RotationGroupCommit } from './rotation.js';
import { toCode, toDeviceCode, toGrant, toRefreshToken, toSession } from './rows.js';

/**
 * Sessions, codes, device codes and grants on PostgreSQL. The decisions are
 * core/credential-verdicts.ts; here are the reads, with the row locks that make each check hold
 * until its transaction's writes commit (READ COMMITTED plus FOR UPDATE / FOR SHARE), and the
 * writes. The lock clauses are the only SQL not shared with SQLite (store/sql/credentials.ts).
 */
const SQL = numberedAll(CREDENTIAL_SQL);
const START = numberedAll(GRANT_START_SQL);

async function one(c: Queryable, sql: string, args: unknown[]): Promise<Record<string, unknown> | null> {
  const { rows } = await c.query(sql, args);
  return rows[0] ?? null;
}

export class PgSessionStore implements SessionStore {
  constructor(private readonly db: PgDb) {}
  async insert(x: SsoSession): Promise<void> {
    await this.db.query(SQL.insertSession, sessionArgs(x));
  }
  /** A read only: what a live session issues (a code) carries its epoch and is checked on redemption. */
  async findLive(tokenHash: string, now: number): Promise<{ session: SsoSession; user: User } | null> {
    const r = await one(this.db, SQL.selectSession, [tokenHash]);
    if (!r) return null;
    const session = toSession(r);
    const user = await loadUser(this.db, session.tenantId, session.userId);
    return sessionIsLive(session, user, now) ? { session, user } : null;
  }
  async end(tokenHash: string, now: number, event?: SecurityEventDraft): Promise<void> {
    if (!event) {
      await this.db.query(SQL.endSession, [now, tokenHash]);
      return;
    }
    const wrote = await this.db.tx(async (c) => {
      const r = await one(c, SQL.selectSession, [tokenHash]);
      if (!r) return false;
      const session = toSession(r);
      // Same lock order as the revoke path (user first), so sign-out and revoke serialise.
      const user = await loadUser(c, session.tenantId, session.userId, 'share');
      const ended = await c.query(SQL.endSession, [now, tokenHash]);
      // Only a session that was still live is news to the applications it signed in; the row
      // count, not the earlier read, says whether this call is the one that ended it.
      if (ended.rowCount !== 1 || !sessionIsLive(session, user, now)) return false;
      await writeSecurityEvent(c, user, event, { kind: 'session', sessionId: session.id, epoch: session.epoch });
      return true;
    });
    if (wrote) this.db.outboxCommitted.fire();
  }
  async touch(sessionId: string, now: number): Promise<void> {
    await this.db.query(START.touchSession, [now, sessionId, now - SESSION_TOUCH_INTERVAL_MS]);
  }
}

export class PgAuthorizationCodeStore implements AuthorizationCodeStore {
  constructor(private readonly db: PgDb) {}
  async insert(c: AuthorizationCode): Promise<void> {
    await this.db.query(SQL.insertCode, codeArgs(c));
  }
  async redeem(hash: string, now: number): Promise<Redeemed<AuthorizationCode>> {
    return this.db.tx(async (c): Promise<Redeemed<AuthorizationCode>> => {
      // FOR UPDATE: two redemptions of one code serialise here; the second sees consumed_at.
      const r = await one(c, `${SQL.selectCode} FOR UPDATE`, [hash]);
      const code = r ? toCode(r) : null;
      const look = codeFirstLook(code);
      if (look === 'not_found' || !code) return { ok: false, reason: 'not_found', record: null };
      if (look === 'replayed') {
        await c.query(SQL.revokeGrant, [now, code.grantId]);
        return { ok: false, reason: 'consumed', record: code };
      }
      await c.query(SQL.consumeCode, [now, hash]);
      return codeRedeemed(code, await loadUser(c, code.tenantId, code.userId, 'share'), now);
    });
  }
}

export class PgDeviceCodeStore implements DeviceCodeStore {
  constructor(private readonly db: PgDb) {}
  async insert(d: DeviceCode): Promise<void> {
    await this.db.query(SQL.insertDeviceCode, deviceCodeArgs(d));
  }
  async findPendingByUserCode(userCodeHash: string, now: number): Promise<DeviceCode | null> {
    const r = await one(this.db, SQL.selectPendingDeviceCode, [userCodeHash, now]);
    return r ? toDeviceCode(r) : null;
  }
  /** One conditional UPDATE: only a pending, unexpired code takes a decision. */
  async decide(userCodeHash: string, decision: DeviceDecision, now: number): Promise<boolean> {
    const r =
      decision.status === 'approved'
        ? await this.db.query(SQL.approveDeviceCode, [
            decision.userId,
            decision.sessionId,
            decision.epoch,
            decision.authTime,
            userCodeHash,
            now,
          ])
        : await this.db.query(SQL.declineDeviceCode, [userCodeHash, now]);
    return r.rowCount === 1;
  }
  async poll(deviceCodeHash: string, now: number): Promise<Polled> {
    return this.db.tx(async (c): Promise<Polled> => {
      const r = await one(c, `${SQL.selectDeviceCode} FOR UPDATE`, [deviceCodeHash]);
      const d = r ? toDeviceCode(r) : null;
      const look = devicePollFirstLook(d, now);
      if (look.recordPoll) await c.query(SQL.stampDevicePoll, [now, deviceCodeHash]);
      if (look.refuse || !d) return look.refuse ?? { ok: false, reason: 'not_found', record: null };
      const user = d.userId ? await loadUser(c, d.tenantId, d.userId, 'share') : null;
      await c.query(SQL.consumeDeviceCode, [now, deviceCodeHash]);
      return deviceCodeRedeemed(d, user, now);
    });
  }
}

export class PgGrantStore implements GrantStore {
  private readonly group: RotationGroupCommit;
  constructor(private readonly db: PgDb) {
    this.group = new RotationGroupCommit(db);
  }

  /**
   * The code and session rows are read FOR SHARE: a cut (store/postgres/inventory.ts) marks them
   * before it revokes grants, so either it waits for this grant and then revokes it, or this
   * waits for the cut and sees its mark.
   */
  async create(g: Grant, firstToken: RefreshTokenRecord | null): Promise<boolean> {
    return this.db.tx(async (c) => {
      const rows = async (sql: string, arg: string) => (await c.query(`${sql} FOR SHARE`, [arg])).rows;
      if (anyMarked(await rows(START.codeCut, g.id), 'cut_at') || anyMarked(await rows(START.deviceCodeCut, g.id), 'cut_at')) return false;
      if (g.sessionId !== null && anyMarked(await rows(START.sessionEnded, g.sessionId), 'ended_at')) return false;
      await c.query(SQL.insertGrant, grantArgs(g));
      if (firstToken) await c.query(SQL.insertRefreshToken, refreshTokenArgs(firstToken));
      return true;
    });
  }

  /**
   * Rotation (I4, docs/revocation-model.md) in one transaction. Lock order: the token row FOR UPDATE (concurrent
   * rotations of one token serialise; the loser sees consumed_at), the grant FOR SHARE (a family
   * revoke waits for us, or we see it), the user FOR SHARE (a revoke's FOR NO KEY UPDATE waits for
   * us, or we wait for it and read the new epoch). The revoke path locks only the user row, so
   * there is no lock cycle between the two. A rotation that nothing stands in the way of is first
   * tried in two statements without this transaction, shared with the rotations asked at the same
   * time (rotation.ts, which explains why that keeps the same order); this transaction decides
   * everything else.
   */
  async rotate(
    hash: string,
    clientId: string,
    now: number,
    next: (current: RefreshTokenRecord, grant: Grant) => RefreshTokenRecord,
    graceMs: number,
    crossOrigin = false,
  ): Promise<Rotated> {
    const done = await this.group.rotate({ hash, clientId, now, next, graceMs, crossOrigin });
    if (done) return done;
    return this.db.tx(async (c): Promise<Rotated> => {
      const r = await one(c, `${SQL.selectRefreshToken} FOR UPDATE`, [hash]);
      const token = r ? toRefreshToken(r) : null;
      const look = rotationFirstLook(token, clientId, now, graceMs);
      if (look.revokeGrant && token) await c.query(SQL.revokeGrant, [now, token.grantId]);
      if (look.refuse || !token) return look.refuse ?? { ok: false, reason: 'not_found', record: null };
      const gr = await one(c, `${SQL.selectGrant} FOR SHARE`, [token.grantId]);
      const grant = gr ? toGrant(gr) : null;
      const user = await loadUser(c, token.tenantId, token.userId, 'share');
      const verdict = rotationVerdict(token, grant, user, now, crossOrigin);
      if (verdict || !grant || !user) return { ok: false, reason: verdict ?? 'revoked', record: token, user, grant };
      if ((await c.query(SQL.consumeRefreshToken, [now, hash])).rowCount !== 1)
        return { ok: false, reason: 'consumed', record: token, user, grant };
      const nextToken = next(token, grant);
      await c.query(SQL.insertRefreshToken, refreshTokenArgs(nextToken));
      return { ok: true, record: { ...token, consumedAt: now }, user, grant, next: nextToken };
    });
  }

  async revoke(grantId: string, now: number, options?: RevokeOptions): Promise<boolean> {
    if (!options) return (await this.db.query(SQL.revokeGrant, [now, grantId])).rowCount === 1;
    const revoked = await this.db.tx(async (c) => {
      // FOR UPDATE: rotations of this grant hold FOR SHARE on it until they commit, so the tokens
      // read below are all that were issued; later rotations wait and then see it revoked.
      const r = await one(c, `${SQL.selectGrant} FOR UPDATE`, [grantId]);
      const grant = r ? toGrant(r) : null;
      const user = grant ? await loadUser(c, grant.tenantId, grant.userId) : null;
      if (!grant || !grantIsLive(grant, user)) {
        await c.query(SQL.revokeGrant, [now, grantId]);
        return false;
      }
      // Captured before the grant is marked: what this revocation ends.
      const event = options.securityEvent;
      const eventId = event ? await writeSecurityEvent(c, user, event, { kind: 'grant', grantId }) : null;
      if (options.receipt) {
        await captureReceipt(c, { user, draft: options.receipt, at: now, cut: { grantIds: [grantId], sessionIds: [] }, eventId });
      }
      await c.query(SQL.revokeGrant, [now, grantId]);
      for (const a of options.audit) await insertAudit(c, a);
      return true;
    });
    if (revoked && options.securityEvent) this.db.outboxCommitted.fire();
    return revoked;
  }

  async findById(grantId: string): Promise<Grant | null> {
    const r = await one(this.db, SQL.selectGrant, [grantId]);
    return r ? toGrant(r) : null;
  }

  async findRefreshToken(hash: string): Promise<{ token: RefreshTokenRecord; grant: Grant | null } | null> {
    const r = await one(this.db, SQL.selectRefreshToken, [hash]);
    if (!r) return null;
    const token = toRefreshToken(r);
    return { token, grant: await this.findById(token.grantId) };
  }
}
