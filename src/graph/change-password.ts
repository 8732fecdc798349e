/**
 * `POST /me/changePassword` (https://learn.microsoft.com/graph/api/user-changepassword): the
 * signed-in user sets a new password by proving the current one; 204 on success. Delegated only,
 * as in Graph (an app-only token has no "me"). Scopes: Graph v1.0 asks for
 * Directory.AccessAsUser.All and beta for User-PasswordProfile.ReadWrite.All; Portcullis also
 * accepts User.ReadWrite, the scope with which a user already edits their own profile
 * (core/authorization/actions.ts), because the current password, checked under smart lockout, is
 * what authorizes the change: the scope only says the app may ask for it on the user's behalf.
 * My Account signs in with User.ReadWrite (console/areas.ts). docs/graph-api.md has the row.
 */
import { changePassword } from '../identity/password-change.js';
import { auditActor, demand, hasAnyScope, requireDelegated } from './authorize.js';
import { requireJsonObject } from './body.js';
import { AuthorizationRequestDenied, RequestBadRequest } from './errors.js';
import { ruleViolation } from './users.js';
import { actionPaths, clientRequestId, sendNoContent, type GraphContext, type GraphRoute } from './http.js';

export const CHANGE_OWN_PASSWORD_SCOPES = ['Directory.AccessAsUser.All', 'User-PasswordProfile.ReadWrite.All', 'User.ReadWrite'];

function requiredString(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (value === undefined || value === null) throw new RequestBadRequest(`Required property '${name}' is missing.`);
  if (typeof value !== 'string') throw new RequestBadRequest(`Invalid value specified for property '${name}' of resource 'User'.`);
  return value;
}

async function postChangePassword(ctx: GraphContext): Promise<void> {
  const caller = requireDelegated(ctx.caller);
  demand(hasAnyScope(caller, CHANGE_OWN_PASSWORD_SCOPES));
  const body = requireJsonObject(ctx.request.body);
  for (const key of Object.keys(body)) {
    if (key !== 'currentPassword' && key !== 'newPassword') {
      throw new RequestBadRequest(
        `The parameter '${key}' in the request payload is not a valid parameter for the operation 'changePassword'.`,
      );
    }
  }
  const currentPassword = requiredString(body, 'currentPassword');
  const newPassword = requiredString(body, 'newPassword');
  const outcome = await changePassword(
    ctx.services,
    caller.user,
    { currentPassword, newPassword },
    { actor: auditActor(caller), correlationId: clientRequestId(ctx.request, ctx.reply) },
  );
  switch (outcome) {
    case 'changed':
      sendNoContent(ctx.reply);
      return;
    // Graph answers a wrong current password with 400 "Invalid currentPassword." (same body whether
    // or not the guess also locked the account, so the answer says nothing about the count).
    case 'wrong_password':
      throw new RequestBadRequest('Invalid currentPassword.');
    case 'weak_password':
      throw ruleViolation({ kind: 'password_complexity' });
    case 'locked':
      throw new AuthorizationRequestDenied('The account is locked because of too many failed password attempts. Try again later.');
    case 'gone':
      throw new AuthorizationRequestDenied('Access to change password operation is denied.');
  }
}

export const changePasswordRoutes: GraphRoute[] = actionPaths('/me', 'changePassword').map((path) => ({
  method: 'POST',
  path,
  handler: postChangePassword,
}));
