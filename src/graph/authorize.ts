/**
 * Permission checks shared by the Graph resources. Names are compared case-insensitively (Entra
 * treats scope values that way). Each resource file declares its own permission sets from the
 * Graph permission tables; who may act on which user is decided in core/authorization/.
 */
import type { Actor } from '../core/authorization/decide.js';
import type { AuditIdentity } from '../core/model.js';
import type { Caller, DelegatedCaller } from './auth.js';
import { AuthorizationRequestDenied, RequestBadRequest } from './errors.js';

/** Which delegated scopes or application roles grant an operation. */
export interface PermissionSet {
  delegated: readonly string[];
  application: readonly string[];
}

export function hasAnyScope(caller: DelegatedCaller, names: readonly string[]): boolean {
  return names.some((n) => caller.scopes.has(n.toLowerCase()));
}

export function hasAnyPermission(caller: Caller, set: PermissionSet): boolean {
  if (caller.kind === 'delegated') return hasAnyScope(caller, set.delegated);
  return set.application.some((n) => caller.roles.has(n.toLowerCase()));
}

/** The caller as core/authorization sees it. */
export function actorOf(caller: Caller): Actor {
  if (caller.kind === 'app') return { kind: 'app', permissions: caller.roles, roles: caller.directoryRoles };
  return { kind: 'user', id: caller.user.id, roles: caller.user.roleTemplateIds, scopes: caller.scopes };
}

/** Throws 403 Authorization_RequestDenied unless `allowed`. */
export function demand(allowed: boolean): void {
  if (!allowed) throw new AuthorizationRequestDenied();
}

/** `/me` names the signed-in user, so it needs a delegated token (Graph returns this 400). */
export function requireDelegated(caller: Caller): DelegatedCaller {
  if (caller.kind !== 'delegated') throw new RequestBadRequest('/me request is only valid with delegated authentication flow.');
  return caller;
}

/** The caller as an audit `initiatedBy`. */
export function auditActor(caller: Caller): AuditIdentity {
  if (caller.kind === 'delegated') {
    const { id, userPrincipalName, displayName } = caller.user;
    return { user: { id, userPrincipalName, displayName } };
  }
  return { app: { appId: caller.appId, displayName: caller.displayName } };
}
