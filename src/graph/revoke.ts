/**
 * `user: revokeSignInSessions` (v1.0, beta) and `user: invalidateAllRefreshTokens` (beta only),
 * on `/users/{id | userPrincipalName}` and `/me`, each also under its namespace-qualified name
 * (https://learn.microsoft.com/graph/api/user-revokesigninsessions, https://learn.microsoft.com/graph/api/user-invalidateallrefreshtokens?view=graph-rest-beta). Both go through core/revocation.ts: one durable transaction bumps the
 * epoch, sets both valid-from timestamps and writes 'Update StsRefreshTokenValidFrom Timestamp';
 * the answer is sent only after it has committed (I1, I3 in docs/revocation-model.md).
 */
import type { User } from '../core/model.js';
import type { Services } from '../services.js';
import { revokeUserSessions, type RevocationKind, type UserRevokeArgs } from '../core/revocation.js';
import { mayAttempt, mayPerform } from '../core/authorization/decide.js';
import type { UserAction } from '../core/authorization/actions.js';
import type { Caller } from './auth.js';
import { actorOf, auditActor, demand, requireDelegated } from './authorize.js';
import { RequestResourceNotFound } from './errors.js';
import {
  actionPaths,
  clientRequestId,
  sendJson,
  sendNoContent,
  serviceRoot,
  type GraphContext,
  type GraphRoute,
  type GraphVersion,
} from './http.js';
import { findUserByKey } from './user-lookup.js';

/** What a revoke answers on success: the status and, for 200, the JSON body. */
export type RevokeAnswer = { status: 200; body: unknown } | { status: 204 };

export interface RevokeAction {
  /** The row of core/authorization/actions.ts that decides who may call it on whom. */
  action: UserAction;
  /** Its label in portcullis_revocations_total (src/ops/metrics.ts). */
  kind: RevocationKind;
  answer(services: Services, version: GraphVersion): RevokeAnswer;
}

/** https://learn.microsoft.com/graph/api/user-revokesigninsessions (Permissions, Response): 200 with an Edm.Boolean that is always true. */
export const REVOKE_SIGN_IN_SESSIONS: RevokeAction = {
  action: 'revokeSignInSessions',
  kind: 'revokeSignInSessions',
  answer: (services, version) => ({
    status: 200,
    body: { '@odata.context': `${serviceRoot({ services, version })}/$metadata#Edm.Boolean`, value: true },
  }),
};

/** https://learn.microsoft.com/graph/api/user-invalidateallrefreshtokens?view=graph-rest-beta: beta only; 204 as documented; application permissions "Not supported". */
export const INVALIDATE_ALL_REFRESH_TOKENS: RevokeAction = {
  action: 'invalidateAllRefreshTokens',
  kind: 'invalidateAllRefreshTokens',
  answer: () => ({ status: 204 }),
};

/**
 * Order of checks, as Graph answers: /me with an app token (400), missing permission (403),
 * bad or unknown target (400/404), then the role and target rules (403; oneself needs no role).
 * `key` is the `{id | userPrincipalName}` segment, or null for `/me`.
 */
export async function authorizeRevoke(services: Services, caller: Caller, action: RevokeAction, key: string | null): Promise<User> {
  const me = key === null ? requireDelegated(caller) : null;
  const actor = actorOf(caller);
  demand(mayAttempt(actor, action.action));
  const target = me ? me.user : await findUserByKey(services, key ?? '');
  demand(mayPerform(actor, action.action, { id: target.id, roles: target.roleTemplateIds }));
  return target;
}

/**
 * One revoke as the caller: the checks above, then the durable revocation; resolves with the
 * answer only after it has committed. Throws a GraphError for a refusal. Used by the routes below
 * and, for inner requests of a $batch, by batch-revoke.ts.
 */
export async function revokeAs(
  services: Services,
  version: GraphVersion,
  caller: Caller,
  action: RevokeAction,
  key: string | null,
  correlationId: string,
): Promise<RevokeAnswer> {
  const target = await authorizeRevoke(services, caller, action, key);
  const updated = await revokeUserSessions(services.store, services.clock, revokeArgs(caller, action, target, correlationId));
  return revokedAnswer(services, version, action, target, updated);
}

/** What core/revocation.ts records for this revoke. */
export function revokeArgs(caller: Caller, action: RevokeAction, target: User, correlationId: string): UserRevokeArgs {
  return {
    target,
    actor: auditActor(caller),
    correlationId,
    kind: action.action === 'invalidateAllRefreshTokens' ? 'invalidateAllRefreshTokens' : 'revokeSignInSessions',
  };
}

/** The answer once the revoke has committed (`updated` null: the user was deleted between lookup and revoke). */
export function revokedAnswer(
  services: Services,
  version: GraphVersion,
  action: RevokeAction,
  target: User,
  updated: User | null,
): RevokeAnswer {
  if (!updated) throw new RequestResourceNotFound(target.id);
  services.metrics.revoked(action.kind);
  return action.answer(services, version);
}

function revokeHandler(action: RevokeAction, me: boolean) {
  return async (ctx: GraphContext): Promise<void> => {
    const key = me ? null : (ctx.params.id ?? '');
    const answer = await revokeAs(ctx.services, ctx.version, ctx.caller, action, key, clientRequestId(ctx.request, ctx.reply));
    if (answer.status === 200) sendJson(ctx.reply, 200, answer.body);
    else sendNoContent(ctx.reply);
  };
}

function actionRoutes(name: string, action: RevokeAction, versions?: GraphRoute['versions']): GraphRoute[] {
  const routes: GraphRoute[] = [];
  for (const [base, me] of [
    ['/users/:id', false],
    ['/me', true],
  ] as const) {
    for (const path of actionPaths(base, name)) {
      routes.push({ method: 'POST', path, ...(versions ? { versions } : {}), handler: revokeHandler(action, me) });
    }
  }
  return routes;
}

export const revokeRoutes: GraphRoute[] = [
  ...actionRoutes('revokeSignInSessions', REVOKE_SIGN_IN_SESSIONS),
  ...actionRoutes('invalidateAllRefreshTokens', INVALIDATE_ALL_REFRESH_TOKENS, ['beta']),
];
