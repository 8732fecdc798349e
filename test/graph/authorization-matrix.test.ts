/**
 * The authorization matrix: every actor × every target × every sensitive action, checked against
 * docs/authorization.md — every cell in process through the decision the Graph routes call
 * (src/core/authorization/decide.ts), and a stratified sample of cells (every cell with
 * PORTCULLIS_FULL_MATRIX=1, docs/testing.md) over real HTTP against a real server on SQLite. The EXPECTED verdicts
 * come from the markdown tables of that document (parsed here) and the rule it states — never
 * from src/core/authorization/ — so the document is the specification and cannot drift.
 *
 * Actors: each role Portcullis knows, every unordered pair of two roles, a user without roles
 * (all with every relevant delegated scope, so the role decides), and app-only callers with each
 * relevant application permission, with and without a directory role assigned to the app.
 * Targets: a holder of each role, a user without roles, and (for users) oneself. Every actor gets
 * its own fresh target users; destructive cells that succeed are undone through the store.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { User } from '../../src/core/model.js';
import { ROLE, ROLE_DISPLAY_NAMES } from '../../src/core/roles.js';
import { newGuid } from '../../src/crypto/random.js';
import { APP, DOMAIN, TENANT_ID, application } from '../helpers/harness.js';
import { listeningHarness } from '../helpers/listening.js';
import { docTable as docTableIn, ticked } from '../helpers/doc-table.js';
import { mayAttempt, mayPerform, type Actor } from '../../src/core/authorization/decide.js';
import type { UserAction } from '../../src/core/authorization/actions.js';
import { seededRandom } from '../faults/seeded-random.js';

// ---------------------------------------------------------------------------------------------
// The specification: docs/authorization.md

const DOC = readFileSync(new URL('../../docs/authorization.md', import.meta.url), 'utf8');

const docTable = (name: string): string[][] => docTableIn(DOC, name);
const checked = (cell: string): boolean => cell.startsWith('✓');
/** A role's template id from its display name in the doc (footnote marks stripped). */
function roleIdOf(name: string): string | undefined {
  const bare = name.replace(/[†‡]/g, '').trim();
  return Object.entries(ROLE_DISPLAY_NAMES).find(([, n]) => n === bare)?.[0];
}

type ActionName =
  | 'revokeSignInSessions'
  | 'invalidateAllRefreshTokens'
  | 'resetPassword'
  | 'disable'
  | 'enable'
  | 'delete'
  | 'updateUserPrincipalName'
  | 'updateBasic'
  | 'listSignInSessions'
  | 'revokeSelectedSessions';
const ACTION_NAMES: readonly ActionName[] = [
  'listSignInSessions',
  'revokeSelectedSessions',
  'revokeSignInSessions',
  'invalidateAllRefreshTokens',
  'updateBasic',
  'updateUserPrincipalName',
  'resetPassword',
  'disable',
  'enable',
  'delete',
];

interface SpecAction {
  permission: string;
  table: TargetSpec;
  delegated: string[];
  /** null: acting on oneself is judged like acting on anyone. */
  selfScopes: string[] | null;
  application: string[];
  appNeedsRole: boolean;
}
interface TargetSpec {
  rows: Map<string, Set<string>>;
  noRole: Set<string>;
  other: Set<string>;
}

/** Entra rows Portcullis has no counterpart for: transcribed, never consulted. */
const ENTRA_ONLY_ROWS = [
  'User (no admin role, but member or owner of a role-assignable group)',
  'User with a role scoped to a restricted management administrative unit',
  'User Experience Success Manager',
  'Usage Summary Reports Reader',
];

function parseTargetTable(name: string): TargetSpec {
  const [header, ...rows] = docTable(name);
  const columns = header!.slice(1).map((c) => {
    const id = roleIdOf(c);
    assert.ok(id, `table '${name}': unknown actor role column '${c}'`);
    return id;
  });
  const spec: TargetSpec = { rows: new Map(), noRole: new Set(), other: new Set() };
  const unknown: string[] = [];
  for (const row of rows) {
    const allowed = new Set(columns.filter((_, i) => checked(row[i + 1] ?? '')));
    const label = row[0]!;
    if (label === 'User (no admin role)') spec.noRole = allowed;
    else if (label === 'All other built-in and custom roles') spec.other = allowed;
    else {
      const id = roleIdOf(label);
      if (id) spec.rows.set(id, allowed);
      else unknown.push(label);
    }
  }
  // A misspelt role row would silently fall under "all other roles": refuse that.
  assert.deepEqual(unknown.sort(), [...ENTRA_ONLY_ROWS].sort(), `table '${name}': rows that name no known role`);
  assert.ok(spec.noRole.size > 0 && spec.other.size > 0, `table '${name}' lacks the no-role or all-other row`);
  return spec;
}

const TARGET_TABLES = {
  'reset passwords': parseTargetTable('reset-passwords'),
  'sensitive actions': parseTargetTable('sensitive-actions'),
};

const ROLE_PERMISSIONS: Map<string, Set<string>> = (() => {
  const [header, ...rows] = docTable('role-permissions');
  const permissions = header!.slice(1);
  const out = new Map<string, Set<string>>();
  for (const row of rows) {
    const id = roleIdOf(row[0]!);
    assert.ok(id, `role-permissions: unknown role '${row[0]}'`);
    out.set(id, new Set(permissions.filter((_, i) => checked(row[i + 1] ?? ''))));
  }
  assert.deepEqual([...out.keys()].sort(), Object.values(ROLE).sort(), 'role-permissions must list every role Portcullis knows');
  return out;
})();

const ACTIONS: Map<ActionName, SpecAction> = (() => {
  const [header, ...rows] = docTable('actions');
  assert.equal(header!.length, 8, 'actions table columns');
  const out = new Map<ActionName, SpecAction>();
  for (const row of rows) {
    const name = ticked(row[0]!)[0] as ActionName;
    const table = TARGET_TABLES[row[3] as keyof typeof TARGET_TABLES];
    assert.ok(table, `actions: unknown target table '${row[3]}'`);
    out.set(name, {
      permission: ticked(row[2]!)[0]!,
      table,
      delegated: ticked(row[4]!),
      selfScopes: row[5]!.startsWith('yes') ? ticked(row[5]!) : null,
      application: row[6] === 'not supported' ? [] : ticked(row[6]!),
      appNeedsRole: row[7] === 'yes',
    });
  }
  assert.deepEqual([...out.keys()].sort(), [...ACTION_NAMES].sort(), 'actions table rows');
  return out;
})();

// ---------------------------------------------------------------------------------------------
// The expected verdict, from the spec alone

interface UserActor {
  kind: 'user';
  label: string;
  roles: string[];
}
interface AppActor {
  kind: 'app';
  label: string;
  permissions: string[];
  roles: string[];
}
type ActorSpec = UserActor | AppActor;
interface TargetSpecUser {
  label: string;
  roles: string[];
  self: boolean;
}

/** Every delegated scope any action names: the role, not the scope, decides the cells. */
const SCOPES = [...new Set([...ACTIONS.values()].flatMap((a) => [...a.delegated, ...(a.selfScopes ?? [])]))];

function tableAllows(table: TargetSpec, actorRole: string, targetRoles: readonly string[]): boolean {
  if (targetRoles.length === 0) return table.noRole.has(actorRole);
  return targetRoles.every((t) => (table.rows.get(t) ?? table.other).has(actorRole));
}

function expected(actor: ActorSpec, actionName: ActionName, target: TargetSpecUser): boolean {
  const action = ACTIONS.get(actionName)!;
  const someRole = (roles: readonly string[]) =>
    roles.some((r) => ROLE_PERMISSIONS.get(r)?.has(action.permission) && tableAllows(action.table, r, target.roles));
  if (actor.kind === 'app') {
    if (!action.application.some((p) => actor.permissions.includes(p))) return false;
    if (!action.appNeedsRole || target.roles.length === 0) return true;
    return someRole(actor.roles);
  }
  const has = (names: readonly string[]) => names.some((n) => SCOPES.includes(n));
  if (target.self && action.selfScopes !== null) return has([...action.delegated, ...action.selfScopes]);
  return has(action.delegated) && someRole(actor.roles);
}

// ---------------------------------------------------------------------------------------------
// The cells

const ROLE_IDS = Object.values(ROLE);
const nameOf = (id: string) => ROLE_DISPLAY_NAMES[id]!;

/**
 * Roles the document lists only for applications ("Applications and consent"), that hold no
 * user permission and have no row of their own in the target tables: each is checked as an actor on its own (it must be refused everything here),
 * but not in pairs or as a target, where it adds nothing the "All other roles" targets and the
 * other permission-less roles do not already cover (and would add thousands of cells).
 */
const TARGET_ROWS = new Set(
  ['reset-passwords', 'sensitive-actions'].flatMap((t) =>
    docTable(t)
      .slice(1)
      .map((row) => roleIdOf(row[0]!)),
  ),
);
const APPLICATION_ONLY_ROLES = new Set(
  docTable('application-role-permissions')
    .slice(1)
    .map((row) => roleIdOf(row[0]!)!)
    .filter((id) => ROLE_PERMISSIONS.get(id)?.size === 0 && !TARGET_ROWS.has(id)),
);
const PAIRED_ROLE_IDS = ROLE_IDS.filter((r) => !APPLICATION_ONLY_ROLES.has(r));

const USER_ACTORS: UserActor[] = [
  { kind: 'user', label: 'no role', roles: [] },
  ...ROLE_IDS.map((r): UserActor => ({ kind: 'user', label: nameOf(r), roles: [r] })),
  ...PAIRED_ROLE_IDS.flatMap((a, i) =>
    PAIRED_ROLE_IDS.slice(i + 1).map((b): UserActor => ({ kind: 'user', label: `${nameOf(a)} + ${nameOf(b)}`, roles: [a, b] })),
  ),
];
const ALL_APP_PERMISSIONS = [
  ...new Set([...ACTIONS.values()].flatMap((a) => a.application).concat(['User.ReadWrite.All', 'Directory.ReadWrite.All'])),
];
const APP_ACTORS: AppActor[] = [
  ...ALL_APP_PERMISSIONS.map((p): AppActor => ({ kind: 'app', label: `app ${p}`, permissions: [p], roles: [] })),
  ...[ROLE.userAdministrator, ROLE.helpdeskAdministrator, ROLE.privilegedAuthenticationAdministrator, ROLE.directoryWriters].map(
    (r): AppActor => ({ kind: 'app', label: `app with every permission + ${nameOf(r)}`, permissions: ALL_APP_PERMISSIONS, roles: [r] }),
  ),
  { kind: 'app', label: 'app User.Read.All + Global Administrator', permissions: ['User.Read.All'], roles: [ROLE.globalAdministrator] },
];
const ACTORS: ActorSpec[] = [...USER_ACTORS, ...APP_ACTORS];
const TARGET_KINDS: { label: string; roles: string[] }[] = [
  { label: 'no role', roles: [] },
  ...PAIRED_ROLE_IDS.map((r) => ({ label: nameOf(r), roles: [r] })),
];

/** The application whose grants revokeSelectedSessions cuts in the matrix. */
const CUT_APP = 'a1b2c3d4-0000-4000-8000-00000000c0de';

const OK_STATUS: Record<ActionName, number> = {
  revokeSignInSessions: 200,
  invalidateAllRefreshTokens: 204,
  resetPassword: 204,
  disable: 204,
  enable: 204,
  delete: 204,
  updateUserPrincipalName: 204,
  updateBasic: 204,
  listSignInSessions: 200,
  revokeSelectedSessions: 200,
};

/** How many actors are worked on at once (each actor's cells run in order). */
const PARALLEL = 8;

// ---------------------------------------------------------------------------------------------
// Every cell, and the ones that also go over HTTP

interface Cell {
  actor: number;
  /** An index into TARGET_KINDS, or SELF. */
  target: number;
  action: ActionName;
  want: boolean;
}
const SELF = -1;
const targetSpecOf = (actor: ActorSpec, target: number): TargetSpecUser =>
  target === SELF ? { label: 'oneself', roles: actor.roles, self: true } : { ...TARGET_KINDS[target]!, self: false };

/** The full cross product, in the order one actor works through its cells. */
const CELLS: Cell[] = ACTORS.flatMap((actor, a) =>
  [...TARGET_KINDS.map((_, t) => t), ...(actor.kind === 'user' ? [SELF] : [])].flatMap((t) =>
    ACTION_NAMES.map((action): Cell => ({ actor: a, target: t, action, want: expected(actor, action, targetSpecOf(actor, t)) })),
  ),
);

/**
 * PORTCULLIS_FULL_MATRIX=1 sends every cell over HTTP (docs/testing.md). Otherwise a stratified
 * sample, drawn with a fixed seed (PORTCULLIS_MATRIX_SEED to draw another), goes over HTTP while
 * every cell is decided in process by the same functions the routes call: each actor × each
 * action on one of its targets (so every role, pair and app-only caller reaches every route,
 * including the token-renewal path of acting on oneself), and each action × each target × each
 * verdict the document gives for it at least once (so every target class is both allowed and
 * refused over HTTP wherever the document has both).
 */
const FULL_OVER_HTTP = process.env.PORTCULLIS_FULL_MATRIX === '1';
const SAMPLE_SEED = Number(process.env.PORTCULLIS_MATRIX_SEED ?? 20_261_207);

function httpCells(): Cell[] {
  if (FULL_OVER_HTTP) return CELLS;
  const rng = seededRandom(SAMPLE_SEED);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)]!;
  const chosen = new Set<Cell>();
  const byActorAction = new Map<string, Cell[]>();
  const byClass = new Map<string, Cell[]>();
  const group = (map: Map<string, Cell[]>, key: string, cell: Cell) => map.set(key, [...(map.get(key) ?? []), cell]);
  for (const cell of CELLS) {
    group(byActorAction, `${cell.actor} ${cell.action}`, cell);
    group(byClass, classOf(cell), cell);
  }
  for (const cells of byActorAction.values()) chosen.add(pick(cells));
  const covered = new Set([...chosen].map(classOf));
  for (const [key, cells] of byClass) if (!covered.has(key)) chosen.add(pick(cells));
  // Back in the order of CELLS: each actor acts on its targets one after the other.
  return CELLS.filter((c) => chosen.has(c));
}
const classOf = (c: Cell): string => `${c.action} ${c.target} ${c.want}`;

describe('authorization matrix (docs/authorization.md)', () => {
  test('in process: every actor × target × action is decided as the document says', () => {
    const lower = (names: readonly string[]) => new Set(names.map((n) => n.toLowerCase()));
    const disagreements: string[] = [];
    for (const cell of CELLS) {
      const spec = ACTORS[cell.actor]!;
      const target = targetSpecOf(spec, cell.target);
      // As src/graph/authorize.ts's actorOf builds it from a token with every scope of SCOPES.
      const actor: Actor =
        spec.kind === 'user'
          ? { kind: 'user', id: 'actor', roles: spec.roles, scopes: lower(SCOPES) }
          : { kind: 'app', permissions: lower(spec.permissions), roles: spec.roles };
      const action = cell.action as UserAction;
      const got = mayAttempt(actor, action) && mayPerform(actor, action, { id: target.self ? 'actor' : 'target', roles: target.roles });
      if (got !== cell.want) disagreements.push(`${spec.label} → ${target.label}: ${cell.action} expected ${cell.want}, got ${got}`);
    }
    const expectedCells =
      USER_ACTORS.length * (TARGET_KINDS.length + 1) * ACTION_NAMES.length + APP_ACTORS.length * TARGET_KINDS.length * ACTION_NAMES.length;
    assert.equal(CELLS.length, expectedCells, 'every cell');
    console.log(`authorization matrix in process: ${CELLS.length} cells; ${disagreements.length} disagree with docs/authorization.md`);
    assert.deepEqual(disagreements.slice(0, 40), [], `${disagreements.length} of ${CELLS.length} cells disagree`);
  });

  test('the HTTP sample covers every actor × action and every action × target × verdict', () => {
    const sample = httpCells();
    const has = (pred: (c: Cell) => boolean) => sample.some(pred);
    for (let a = 0; a < ACTORS.length; a++)
      for (const action of ACTION_NAMES)
        assert.ok(
          has((c) => c.actor === a && c.action === action),
          `${ACTORS[a]!.label}: ${action}`,
        );
    for (const cls of new Set(CELLS.map(classOf)))
      assert.ok(
        has((c) => classOf(c) === cls),
        `class ${cls}`,
      );
    assert.ok(has((c) => c.target === SELF && c.want) && has((c) => c.target === SELF && !c.want), 'oneself, allowed and refused');
  });
});

describe('authorization matrix (docs/authorization.md) over HTTP', () => {
  let h: Awaited<ReturnType<typeof listeningHarness>>;
  let base: User;
  before(async () => {
    h = await listeningHarness();
    base = h.users.bob!;
  });
  after(() => h.close());

  const cellsOverHttp = httpCells();
  test(`${FULL_OVER_HTTP ? 'every' : 'a stratified sample of'} actor × target × action cells agree with the document (${cellsOverHttp.length} of ${CELLS.length})`, {
    timeout: 600_000,
  }, async () => {
    const started = Date.now();
    let ran = 0;
    let serial = 0;
    const disagreements: string[] = [];
    const disagreeingByAction = new Map<ActionName, number>();
    const { store } = h;

    const newUser = async (roles: string[]): Promise<User> => {
      const n = ++serial;
      const user: User = {
        ...base,
        id: newGuid(),
        userPrincipalName: `m${n}@${DOMAIN}`,
        displayName: `M${n}`,
        mail: null,
        roleTemplateIds: roles,
      };
      await store.users.insert(user);
      return user;
    };
    const reload = (id: string) => store.users.findById(TENANT_ID, id);
    const setEnabled = (id: string, accountEnabled: boolean) => store.users.update(TENANT_ID, id, { accountEnabled }, { audit: [] });

    async function send(token: string, action: ActionName, target: User): Promise<number> {
      const n = ++serial;
      const request: { method: string; path: string; body?: unknown } =
        action === 'listSignInSessions'
          ? { method: 'GET', path: `/v1.0/users/${target.id}/signInSessions` }
          : action === 'revokeSelectedSessions'
            ? { method: 'POST', path: `/v1.0/users/${target.id}/signInSessions/revokeForApp`, body: { appId: CUT_APP } }
            : action === 'revokeSignInSessions'
              ? { method: 'POST', path: `/v1.0/users/${target.id}/revokeSignInSessions` }
              : action === 'invalidateAllRefreshTokens'
                ? { method: 'POST', path: `/beta/users/${target.id}/invalidateAllRefreshTokens` }
                : action === 'delete'
                  ? { method: 'DELETE', path: `/v1.0/users/${target.id}` }
                  : {
                      method: 'PATCH',
                      path: `/v1.0/users/${target.id}`,
                      body:
                        action === 'resetPassword'
                          ? { passwordProfile: { password: `Matrix-Pass-${n}!` } }
                          : action === 'disable'
                            ? { accountEnabled: false }
                            : action === 'enable'
                              ? { accountEnabled: true }
                              : action === 'updateUserPrincipalName'
                                ? { userPrincipalName: `renamed${n}@${DOMAIN}` }
                                : { displayName: `Renamed ${n}` },
                    };
      const res = await fetch(`${h.url}${request.path}`, {
        method: request.method,
        headers: { authorization: `Bearer ${token}`, ...(request.body ? { 'content-type': 'application/json' } : {}) },
        ...(request.body ? { body: JSON.stringify(request.body) } : {}),
      });
      await res.arrayBuffer();
      return res.status;
    }

    /** A live grant of CUT_APP for the target, which revokeSelectedSessions must cut (or leave). */
    const plantGrant = async (target: User): Promise<string> => {
      const id = newGuid();
      const at = Date.now();
      await store.grants.create(
        {
          id,
          tenantId: TENANT_ID,
          userId: target.id,
          clientId: CUT_APP,
          sessionId: null,
          scopes: ['openid'],
          epoch: target.revocationEpoch,
          authTime: at,
          createdAt: at,
          revokedAt: null,
        },
        null,
      );
      return id;
    };

    /** Whether the stored user shows the action's effect (true) or is untouched (false). */
    function effectShown(action: ActionName, before: User, after: User | null, status: number, grantCut: boolean): boolean {
      switch (action) {
        case 'listSignInSessions':
          // A read has no effect to show but its answer.
          return status === 200;
        case 'revokeSelectedSessions':
          return grantCut;
        case 'revokeSignInSessions':
        case 'invalidateAllRefreshTokens':
          return after !== null && after.revocationEpoch === before.revocationEpoch + 1;
        case 'resetPassword':
          return after !== null && after.passwordHash !== before.passwordHash;
        case 'disable':
          return after !== null && !after.accountEnabled;
        case 'enable':
          return after !== null && after.accountEnabled && !before.accountEnabled;
        case 'delete':
          return after === null;
        case 'updateUserPrincipalName':
          return after !== null && after.userPrincipalName !== before.userPrincipalName;
        case 'updateBasic':
          return after !== null && after.displayName !== before.displayName;
      }
    }

    async function runActor(actor: ActorSpec, cells: readonly Cell[]): Promise<void> {
      let self: User | null = null;
      let token: () => string;
      if (actor.kind === 'user') {
        const me = await newUser(actor.roles);
        self = me;
        const mint = () =>
          h.app.services.tokens.issueDelegated({
            user: me,
            app: application({ appId: APP.publicClient }),
            graphScopes: SCOPES,
            oidcScopes: [],
            sessionId: null,
            authTime: Date.now(),
            nonce: null,
            clientAuthenticated: false,
          }).accessToken;
        let current = mint();
        token = () => current;
        // After the actor revoked, disabled or reset itself, a token from before is refused.
        (token as unknown as { renew: () => void }).renew = () => (current = mint());
      } else {
        const appId = newGuid();
        await store.applications.upsert(application({ appId, displayName: actor.label, directoryRoles: actor.roles }));
        const appToken = h.app.services.tokens.issueAppOnly(application({ appId, applicationPermissions: actor.permissions })).accessToken;
        token = () => appToken;
      }
      // Fresh users for the targets this actor's cells name, in the order of its cells.
      const users = new Map<number, User>();
      for (const { target } of cells) {
        if (!users.has(target)) users.set(target, target === SELF ? self! : await newUser(TARGET_KINDS[target]!.roles));
      }

      for (const { target, action, want } of cells) {
        const spec = targetSpecOf(actor, target);
        const user = users.get(target)!;
        ran++;
        // Enabling is tried on a disabled user, except oneself (a disabled user cannot call).
        if (action === 'enable' && !spec.self) await setEnabled(user.id, false);
        const before = (await reload(user.id))!;
        const planted = action === 'revokeSelectedSessions' ? await plantGrant(before) : null;
        const status = await send(token(), action, before);
        const after = await reload(user.id);
        const grantCut = planted !== null && (await store.grants.findById(planted))?.revokedAt !== null;
        const shown = effectShown(action, before, after, status, grantCut);
        const ok = want ? status === OK_STATUS[action] && (shown || (action === 'enable' && spec.self)) : status === 403 && !shown;
        if (!ok) {
          disagreeingByAction.set(action, (disagreeingByAction.get(action) ?? 0) + 1);
          disagreements.push(
            `${actor.label} → ${spec.label}: ${action} expected ${want ? OK_STATUS[action] : 403}, got ${status}${shown ? ' (changed)' : ''}`,
          );
        }
        // Undo what changed, through the store, so every cell starts from the same state.
        if (after === null) await store.users.insert(user);
        else if (!after.accountEnabled) await setEnabled(user.id, true);
        if (spec.self && (shown || after === null)) (token as unknown as { renew: () => void }).renew();
      }
    }

    const queue = ACTORS.map((actor, a) => ({ actor, cells: cellsOverHttp.filter((c) => c.actor === a) }));
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) await runActor(next.actor, next.cells);
      }),
    );

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const summary = `${ran} of ${CELLS.length} cells over HTTP (seed ${FULL_OVER_HTTP ? 'n/a: PORTCULLIS_FULL_MATRIX=1' : SAMPLE_SEED}; ${USER_ACTORS.length} user actors, ${APP_ACTORS.length} app actors; ${TARGET_KINDS.length} targets + oneself; ${ACTION_NAMES.length} actions) in ${seconds} s; ${disagreements.length} disagree with docs/authorization.md${
      disagreements.length > 0 ? ` (${[...disagreeingByAction].map(([a, n]) => `${a} ${n}`).join(', ')})` : ''
    }`;
    console.log(`authorization matrix: ${summary}`);
    assert.equal(ran, cellsOverHttp.length, 'every chosen cell ran');
    assert.deepEqual(disagreements.slice(0, 40), [], summary);
  });
});
