/**
 * `GET /users/{id}/memberOf/microsoft.graph.directoryRole` and `GET /me/memberOf/microsoft.graph.directoryRole`:
 * the directory roles a user holds, as Graph's memberOf list cast to directoryRole
 * (https://learn.microsoft.com/graph/api/user-list-memberof, .../resources/directoryrole). Who may
 * read them: whoever may read the user (a role is part of the directory any member may read).
 * Portcullis keeps no activated-role objects, so a role's `id` is its `roleTemplateId`.
 */
import type { User } from '../core/model.js';
import { ROLE_DISPLAY_NAMES } from '../core/roles.js';
import { demand, hasAnyPermission, hasAnyScope, requireDelegated } from './authorize.js';
import { sendJson, serviceRoot, type GraphContext, type GraphRoute } from './http.js';
import { readQueryOptions } from './odata.js';
import { findUserByKey } from './user-lookup.js';
import { READ_SELF_SCOPES, READ_USERS } from './users.js';

function rolesJson(ctx: GraphContext, user: User): void {
  readQueryOptions(ctx.request.query, []);
  sendJson(ctx.reply, 200, {
    '@odata.context': `${serviceRoot(ctx)}/$metadata#directoryRoles`,
    value: user.roleTemplateIds.map((id) => ({
      '@odata.type': '#microsoft.graph.directoryRole',
      id,
      deletedDateTime: null,
      description: null,
      displayName: ROLE_DISPLAY_NAMES[id] ?? id,
      roleTemplateId: id,
    })),
  });
}

async function rolesOfUser(ctx: GraphContext): Promise<void> {
  const { caller } = ctx;
  const self = caller.kind === 'delegated' && hasAnyScope(caller, READ_SELF_SCOPES);
  demand(hasAnyPermission(caller, READ_USERS) || self);
  const target = await findUserByKey(ctx.services, ctx.params.id ?? '');
  if (!hasAnyPermission(caller, READ_USERS)) demand(caller.kind === 'delegated' && target.id === caller.user.id);
  rolesJson(ctx, target);
}

async function rolesOfMe(ctx: GraphContext): Promise<void> {
  const caller = requireDelegated(ctx.caller);
  demand(hasAnyScope(caller, [...READ_SELF_SCOPES, ...READ_USERS.delegated]));
  rolesJson(ctx, caller.user);
}

export const directoryRoleRoutes: GraphRoute[] = [
  { method: 'GET', path: '/users/:id/memberOf/microsoft.graph.directoryRole', handler: rolesOfUser },
  { method: 'GET', path: '/me/memberOf/microsoft.graph.directoryRole', handler: rolesOfMe },
];
