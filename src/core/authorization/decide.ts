/**
 * THE authorization decision for actions on users. Rule (docs/authorization.md): an actor may
 * perform action X on target T iff it has one of X's Graph permissions and SOME SINGLE role of
 * the actor both holds X's directory permission AND is allowed by X's target table for EVERY
 * role T holds. Two roles never combine: Directory Writers (may disable) + Helpdesk
 * Administrator (may act on a Helpdesk Administrator) do not make a right to disable one.
 */
import { ACTIONS, CREATE_USERS, type ActionRule, type UserAction } from './actions.js';
import { roleHolds } from './role-permissions.js';
import { columnAllows } from './target-tables.js';
import { ROLE } from '../roles.js';

/** Who acts. Permission names are compared case-insensitively, as Entra does. */
export type Actor =
  /** A signed-in user (delegated token): their directory roles, read per request, and scopes. */
  | { kind: 'user'; id: string; roles: readonly string[]; scopes: ReadonlySet<string> }
  /** An application acting as itself: its app roles and the directory roles assigned to it. */
  | { kind: 'app'; permissions: ReadonlySet<string>; roles: readonly string[] };

export interface Target {
  id: string;
  roles: readonly string[];
}

const holdsAny = (granted: ReadonlySet<string>, names: readonly string[]): boolean => names.some((n) => granted.has(n.toLowerCase()));

function someRoleMay(roles: readonly string[], rule: ActionRule, target: Target): boolean {
  return roles.some((role) => roleHolds(role, rule.permission) && columnAllows(rule.targets, role, target.roles));
}

/**
 * Whether the actor holds a Graph permission that could allow `action` on some target (checked
 * before the target is looked up, so a caller without it gets 403 before any 404, as Graph).
 */
export function mayAttempt(actor: Actor, action: UserAction): boolean {
  const rule = ACTIONS[action];
  if (actor.kind === 'app') return holdsAny(actor.permissions, rule.application);
  return holdsAny(actor.scopes, [...rule.delegated, ...(rule.delegatedSelf ?? [])]);
}

/** May `actor` perform `action` on `target`? */
export function mayPerform(actor: Actor, action: UserAction, target: Target): boolean {
  const rule = ACTIONS[action];
  if (actor.kind === 'app') {
    if (!holdsAny(actor.permissions, rule.application)) return false;
    if (!rule.appNeedsRoleForRoleHolders || target.roles.length === 0) return true;
    return someRoleMay(actor.roles, rule, target);
  }
  if (rule.delegatedSelf !== null && actor.id === target.id) return holdsAny(actor.scopes, [...rule.delegated, ...rule.delegatedSelf]);
  return holdsAny(actor.scopes, rule.delegated) && someRoleMay(actor.roles, rule, target);
}

/** May `actor` create users? */
export function mayCreateUsers(actor: Actor): boolean {
  if (actor.kind === 'app') return holdsAny(actor.permissions, CREATE_USERS.application);
  return holdsAny(actor.scopes, CREATE_USERS.delegated) && actor.roles.some((r) => roleHolds(r, CREATE_USERS.permission));
}

/**
 * May `actor` list every user's sessions (`GET /signInSessions`, docs/authorization.md)? An app
 * with listSignInSessions' application permission; a user with its delegated scope and a role
 * that may list the sessions of EVERY user, whatever roles they hold — a tenant-wide listing
 * must not show an administrator's sessions to a role that may not act on them.
 */
export function mayListAllSignInSessions(actor: Actor): boolean {
  const rule = ACTIONS.listSignInSessions;
  if (actor.kind === 'app') return holdsAny(actor.permissions, rule.application);
  const everyone: Target[] = [{ id: '', roles: [] }, ...Object.values(ROLE).map((r) => ({ id: '', roles: [r] }))];
  return holdsAny(actor.scopes, rule.delegated) && actor.roles.some((role) => everyone.every((t) => someRoleMay([role], rule, t)));
}
