import assert from 'node:assert/strict';
import fc from 'fast-check';
import { revokeUserSessions } from '../../../src/core/revocation.js';
import { APP, PASSWORD, WEB_SECRET } from '../../helpers/harness.js';
import type { RunData } from './backend.js';
import { MODEL_USERS, bumpEpoch, chainLive, pick, sessionLive, type Model, type ModelUser } from './model.js';
import { signInThroughForm, silentSignIn, type Cookies, type RunningServer } from './server.js';

/**
 * The real side of one run: the server, the data it reopens on restart, and the credentials the
 * clients hold, index for index with the model's chains and sessions.
 */
export interface Real {
  server: RunningServer;
  data: RunData;
  /** App-only (User.RevokeSessions.All, User.ReadWrite.All) and delegated Global Administrator tokens. */
  adminToken: string;
  delegatedAdminToken: string;
  userIds: Record<ModelUser, string>;
  chains: { current: string; rotated: string[] }[];
  sessions: Cookies[];
  /** The public id (sid) of each browser session, index for index with `sessions`. */
  sessionIds: string[];
  /** Every bearer secret ever handed out or set in this run (I5: none may be at rest). */
  secrets: Set<string>;
  /** What each step did, for the failure report. */
  log: string[];
}

type Cmd = fc.AsyncCommand<Model, Real>;

const upn = (user: ModelUser) => `${user}@contoso.test`;

/** Status and error body for the report; a success body carries tokens and is left out. */
function describe(r: { status: number; text: string }): string {
  return r.status < 300 ? `${r.status} (success)` : `${r.status} ${r.text.slice(0, 300)}`;
}

/** After every step: the store agrees with the model (I3 across restarts) and holds no raw secret (I5). */
async function checkInvariants(m: Model, r: Real): Promise<void> {
  for (const user of MODEL_USERS) {
    const stored = await r.server.directory.users.findById(r.server.services.tenant.id, r.userIds[user]);
    assert.ok(stored, `${user} exists`);
    assert.equal(stored.revocationEpoch, m.accounts[user].epoch, `${user}: stored epoch = acknowledged revokes (I3)`);
    assert.equal(stored.accountEnabled, m.accounts[user].enabled, `${user}: stored accountEnabled (I3)`);
  }
  const text = await r.data.storedText();
  // The scan must see the rows it guards: the users' names are there in clear.
  assert.ok(text.includes('alice@contoso.test'), 'the I5 scan read the user rows');
  for (const secret of r.secrets) {
    assert.equal(text.includes(secret), false, `I5: a bearer secret of length ${secret.length} is stored in clear`);
  }
}

function remember(r: Real, ...secrets: string[]): void {
  for (const s of secrets) r.secrets.add(s);
}

export class SignIn implements Cmd {
  constructor(readonly user: ModelUser) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const account = m.accounts[this.user];
    const out = await signInThroughForm(r.server, upn(this.user), account.password);
    if (!account.enabled) {
      // Disabled accounts get the sign-in page back with an error, never a code.
      assert.equal(out.ok, false, `${this.user} is disabled: sign-in must fail`);
    } else {
      // I2: a sign-in after any number of revokes works.
      assert.ok(out.ok, `I2: ${this.user} must be able to sign in: ${out.ok ? '' : `${out.status} ${out.page.slice(0, 200)}`}`);
      remember(r, out.code, out.refreshToken, out.cookies.get('__Host-portcullis_sso') ?? '');
      m.chains.push({
        user: this.user,
        epoch: account.epoch,
        familyAlive: true,
        rotated: 0,
        sessionIndex: m.sessions.length,
        appId: APP.publicClient,
        cut: false,
      });
      r.chains.push({ current: out.refreshToken, rotated: [] });
      m.sessions.push({ user: this.user, epoch: account.epoch, cut: false });
      r.sessions.push(out.cookies);
      r.sessionIds.push(out.sid);
    }
    r.log.push(`${this}: ${out.ok ? 'signed in' : 'refused'}`);
    await checkInvariants(m, r);
  }
  toString = () => `SignIn(${this.user})`;
}

export class Refresh implements Cmd {
  constructor(readonly index: number) {}
  check = (m: Readonly<Model>) => m.chains.length > 0;
  async run(m: Model, r: Real) {
    const { item: chain, at } = pick(m.chains, this.index)!;
    const real = r.chains[at]!;
    const live = chainLive(m, chain);
    const res = await r.server.refresh(real.current);
    // I1 and I4: a refresh succeeds iff the model says the chain is live.
    if (live) {
      assert.equal(res.status, 200, `chain ${at} (${chain.user}) is live: refresh must succeed: ${describe(res)}`);
      const next = (JSON.parse(res.text) as { refresh_token: string }).refresh_token;
      remember(r, next);
      real.rotated.push(real.current);
      real.current = next;
      chain.rotated += 1;
    } else {
      assert.equal(res.status, 400, `chain ${at} (${chain.user}) is dead: refresh must be refused: ${describe(res)}`);
      assert.equal((JSON.parse(res.text) as { error: string }).error, 'invalid_grant', describe(res));
    }
    r.log.push(`${this} -> chain ${at}: ${res.status}`);
    await checkInvariants(m, r);
  }
  toString = () => `Refresh(${this.index})`;
}

/** Presents an already rotated refresh token again: refused, and its whole family dies (I4). */
export class Replay implements Cmd {
  constructor(
    readonly index: number,
    readonly tokenIndex: number,
  ) {}
  check = (m: Readonly<Model>) => m.chains.some((c) => c.rotated > 0);
  async run(m: Model, r: Real) {
    const candidates = m.chains.map((c, at) => ({ c, at })).filter(({ c }) => c.rotated > 0);
    const { item } = pick(candidates, this.index)!;
    const real = r.chains[item.at]!;
    const token = pick(real.rotated, this.tokenIndex)!.item;
    const res = await r.server.refresh(token);
    assert.equal(res.status, 400, `a replayed refresh token must be refused: ${describe(res)}`);
    assert.equal((JSON.parse(res.text) as { error: string }).error, 'invalid_grant', describe(res));
    item.c.familyAlive = false;
    r.log.push(`${this} -> chain ${item.at}: ${res.status}`);
    await checkInvariants(m, r);
  }
  toString = () => `Replay(${this.index}, ${this.tokenIndex})`;
}

/** prompt=none with a browser's SSO cookie: a code iff the session is live (I1 for sessions). */
export class SilentSignIn implements Cmd {
  constructor(readonly index: number) {}
  check = (m: Readonly<Model>) => m.sessions.length > 0;
  async run(m: Model, r: Real) {
    const { item: session, at } = pick(m.sessions, this.index)!;
    const out = await silentSignIn(r.server, r.sessions[at]!);
    if (sessionLive(m, session)) {
      assert.ok(out.ok, `session ${at} (${session.user}) is live: prompt=none must issue a code: ${out.ok ? '' : out.error}`);
      remember(r, out.code, out.refreshToken);
      m.chains.push({
        user: session.user,
        epoch: session.epoch,
        familyAlive: true,
        rotated: 0,
        sessionIndex: at,
        appId: APP.publicClient,
        cut: false,
      });
      r.chains.push({ current: out.refreshToken, rotated: [] });
    } else {
      assert.equal(out.ok, false, `session ${at} (${session.user}) is dead: prompt=none must not issue a code`);
      assert.equal(out.ok ? '' : out.error, 'login_required');
    }
    r.log.push(`${this} -> session ${at}: ${out.ok ? 'code' : 'login_required'}`);
    await checkInvariants(m, r);
  }
  toString = () => `SilentSignIn(${this.index})`;
}

type RevokeVia = 'revokeSignInSessions' | 'invalidateAllRefreshTokens' | 'core';

export class Revoke implements Cmd {
  constructor(
    readonly user: ModelUser,
    readonly via: RevokeVia,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const id = r.userIds[this.user];
    if (this.via === 'core') {
      const target = await r.server.directory.users.findById(r.server.services.tenant.id, id);
      assert.ok(target);
      const updated = await revokeUserSessions(r.server.directory, r.server.services.clock, {
        target,
        actor: { app: { appId: 'property-test', displayName: 'property test' } },
        correlationId: 'property-test',
      });
      assert.ok(updated);
    } else {
      const version = this.via === 'revokeSignInSessions' ? 'v1.0' : 'beta';
      const token = this.via === 'revokeSignInSessions' ? r.adminToken : r.delegatedAdminToken;
      const res = await r.server.graph('POST', `/${version}/users/${id}/${this.via}`, token, {});
      assert.equal(res.status, this.via === 'revokeSignInSessions' ? 200 : 204, describe(res));
    }
    bumpEpoch(m, this.user);
    r.log.push(`${this}`);
    await checkInvariants(m, r);
  }
  toString = () => `Revoke(${this.user}, ${this.via})`;
}

type CutKind = 'session' | 'app' | 'allExcept';

/**
 * A targeted revocation through Graph (src/graph/sign-in-sessions.ts): one session with its
 * grants, one application's grants (the public client's, which every chain here uses, or the
 * SPA's, which none does), or all but one session. A dry run first must name exactly the live
 * sessions and grants the model says the cut ends; after the cut, Refresh and SilentSignIn hold
 * the server to the model: no cut grant refreshes, every uncut live grant still does.
 */
export class TargetedRevoke implements Cmd {
  constructor(
    readonly user: ModelUser,
    readonly kind: CutKind,
    readonly index: number,
    readonly otherApp: boolean,
  ) {}
  check = (m: Readonly<Model>) => this.kind === 'app' || m.sessions.some((s) => s.user === this.user);
  async run(m: Model, r: Real) {
    const mine = m.sessions.map((s, at) => ({ s, at })).filter(({ s }) => s.user === this.user);
    const chosen = this.kind === 'app' ? null : pick(mine, this.index)!.item.at;
    const appId = this.otherApp ? APP.spa : APP.publicClient;
    const cutsSession = (at: number) =>
      m.sessions[at]!.user === this.user && (this.kind === 'session' ? at === chosen : this.kind === 'allExcept' && at !== chosen);
    const cutsChain = (c: Model['chains'][number]) =>
      c.user === this.user &&
      (this.kind === 'app' ? c.appId === appId : this.kind === 'session' ? c.sessionIndex === chosen : c.sessionIndex !== chosen);
    const expectSessions = m.sessions.filter((s, at) => cutsSession(at) && sessionLive(m, s)).length;
    const expectGrants = m.chains.filter((c) => cutsChain(c) && chainLive(m, c)).length;

    const base = `/v1.0/users/${r.userIds[this.user]}/signInSessions`;
    const sid = chosen === null ? '' : r.sessionIds[chosen]!;
    const [path, body] =
      this.kind === 'session'
        ? [`${base}/${sid}/revoke`, {}]
        : this.kind === 'app'
          ? [`${base}/revokeForApp`, { appId }]
          : [`${base}/revokeAllExcept`, { sessionId: sid }];
    const dry = await r.server.graph('POST', path, r.adminToken, { ...body, dryRun: true });
    assert.equal(dry.status, 200, describe(dry));
    const preview = JSON.parse(dry.text) as { sessionCount: number; grantCount: number };
    assert.deepEqual(
      [preview.sessionCount, preview.grantCount],
      [expectSessions, expectGrants],
      `${this}: the dry run names what the model cuts`,
    );
    const res = await r.server.graph('POST', path, r.adminToken, body);
    assert.equal(res.status, 200, describe(res));
    const done = JSON.parse(res.text) as { sessionCount: number; grantCount: number };
    assert.deepEqual([done.sessionCount, done.grantCount], [expectSessions, expectGrants], `${this}: the cut ends what the model cuts`);

    m.sessions.forEach((s, at) => {
      if (cutsSession(at)) s.cut = true;
    });
    for (const c of m.chains) if (cutsChain(c)) c.cut = true;
    r.log.push(`${this}: ${done.sessionCount} sessions, ${done.grantCount} grants`);
    await checkInvariants(m, r);
  }
  toString = () => `TargetedRevoke(${this.user}, ${this.kind}, ${this.index}${this.otherApp ? ', other app' : ''})`;
}

/** PATCH accountEnabled through Graph: disabling revokes everything; enabling revives nothing. */
export class SetEnabled implements Cmd {
  constructor(
    readonly user: ModelUser,
    readonly enabled: boolean,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const res = await r.server.graph('PATCH', `/v1.0/users/${r.userIds[this.user]}`, r.adminToken, { accountEnabled: this.enabled });
    assert.equal(res.status, 204, describe(res));
    const account = m.accounts[this.user];
    if (account.enabled && !this.enabled) bumpEpoch(m, this.user);
    account.enabled = this.enabled;
    r.log.push(`${this}`);
    await checkInvariants(m, r);
  }
  toString = () => `SetEnabled(${this.user}, ${this.enabled})`;
}

/** An administrator's password reset through Graph revokes like a revoke (docs/revocation-model.md). */
export class ResetPassword implements Cmd {
  constructor(readonly user: ModelUser) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const password = `Reset-${++m.passwordsSet}-Aa9!`;
    const res = await r.server.graph('PATCH', `/v1.0/users/${r.userIds[this.user]}`, r.adminToken, {
      passwordProfile: { password, forceChangePasswordNextSignIn: false },
    });
    assert.equal(res.status, 204, describe(res));
    remember(r, password);
    bumpEpoch(m, this.user);
    m.accounts[this.user].password = password;
    r.log.push(`${this}`);
    await checkInvariants(m, r);
  }
  toString = () => `ResetPassword(${this.user})`;
}

/** Close the app and the store, reopen the same SQLite file / PostgreSQL database (I3). */
export class Restart implements Cmd {
  check = () => true;
  async run(m: Model, r: Real) {
    await r.server.restart();
    r.log.push(`${this}`);
    await checkInvariants(m, r);
  }
  toString = () => 'Restart';
}

const user = fc.constantFrom(...MODEL_USERS);

/** The weights favour the credential traffic; the admin actions and restarts interleave with it. */
export function revocationCommands(maxCommands: number, replayPath?: string) {
  return fc.commands(
    [
      user.map((u) => new SignIn(u)),
      user.map((u) => new SignIn(u)),
      fc.nat().map((i) => new Refresh(i)),
      fc.nat().map((i) => new Refresh(i)),
      fc.nat().map((i) => new Refresh(i)),
      fc.tuple(fc.nat(), fc.nat()).map(([i, j]) => new Replay(i, j)),
      fc.nat().map((i) => new SilentSignIn(i)),
      fc
        .tuple(user, fc.constantFrom<RevokeVia>('revokeSignInSessions', 'invalidateAllRefreshTokens', 'core'))
        .map(([u, v]) => new Revoke(u, v)),
      fc
        .tuple(user, fc.constantFrom<CutKind>('session', 'app', 'allExcept'), fc.nat(), fc.boolean())
        .map(([u, k, i, other]) => new TargetedRevoke(u, k, i, other)),
      fc.tuple(user, fc.constantFrom<CutKind>('session', 'allExcept'), fc.nat()).map(([u, k, i]) => new TargetedRevoke(u, k, i, false)),
      fc.tuple(user, fc.boolean()).map(([u, e]) => new SetEnabled(u, e)),
      user.map((u) => new ResetPassword(u)),
      fc.constant(new Restart()),
    ],
    { maxCommands, size: 'max', ...(replayPath ? { replayPath } : {}) },
  );
}

export async function startReal(server: RunningServer, data: RunData, userIds: Record<ModelUser, string>): Promise<Real> {
  return {
    server,
    data,
    adminToken: await server.adminToken(),
    delegatedAdminToken: await server.delegatedAdminToken(),
    userIds,
    chains: [],
    sessions: [],
    sessionIds: [],
    secrets: new Set([WEB_SECRET, PASSWORD]),
    log: [],
  };
}
