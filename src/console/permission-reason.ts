/**
 * Why an action is shown disabled: the console asks the server's own rule
 * (core/authorization/decide.ts, the tables of docs/authorization.md) with the signed-in admin's
 * roles, as read from Graph, and the scopes the console asked for. Only for showing; the server
 * decides every request again.
 */
import { ACTIONS, type UserAction } from '../core/authorization/actions.js';
import {
  APPLICATION_ACTIONS,
  APPLICATION_ROLE_PERMISSIONS,
  type ApplicationAction,
  mayManageApplications,
} from '../core/authorization/application-actions.js';
import { mayPerform } from '../core/authorization/decide.js';
import { roleHolds } from '../core/authorization/role-permissions.js';
import { columnAllows } from '../core/authorization/target-tables.js';
import { ROLE_DISPLAY_NAMES } from '../core/roles.js';
import { AREAS } from './areas.js';

const VERB: Record<UserAction, string> = {
  revokeSignInSessions: 'revoke the sessions of',
  invalidateAllRefreshTokens: 'revoke the refresh tokens of',
  resetPassword: 'reset the password of',
  disable: 'disable',
  enable: 'enable',
  delete: 'delete',
  updateUserPrincipalName: 'rename',
  updateBasic: 'edit',
  listSignInSessions: 'see the sessions of',
  revokeSelectedSessions: 'sign out single sessions of',
};

const names = (roles: readonly string[]): string => roles.map((r) => ROLE_DISPLAY_NAMES[r] ?? r).join(', ');
const ADMIN_SCOPES = new Set(AREAS.admin.scopes.toLowerCase().split(' '));

/** null when the admin may; else the reason, naming the roles on both sides. */
export function whyNot(
  admin: { id: string; roles: readonly string[] },
  action: UserAction,
  target: { id: string; roles: readonly string[] },
): string | null {
  if (mayPerform({ kind: 'user', id: admin.id, roles: admin.roles, scopes: ADMIN_SCOPES }, action, target)) return null;
  const rule = ACTIONS[action];
  const holding = admin.roles.filter((r) => roleHolds(r, rule.permission));
  if (holding.length === 0)
    return admin.roles.length === 0
      ? `You hold no administrator role, so you may not ${VERB[action]} another user.`
      : `None of your roles (${names(admin.roles)}) may ${VERB[action]} users.`;
  const blocked = target.roles.filter((t) => !holding.some((r) => columnAllows(rule.targets, r, [t])));
  return `Your role (${names(holding)}) may not ${VERB[action]} a user who holds ${names(blocked.length > 0 ? blocked : target.roles)}: only a more privileged role may (docs/authorization.md).`;
}

const APP_VERB: Record<ApplicationAction, string> = {
  createApplication: 'register applications',
  updateApplication: 'change application registrations',
  deleteApplication: 'delete application registrations',
  updateApplicationCredentials: 'add or remove client secrets',
  grantDelegatedConsent: 'grant delegated consent',
  grantApplicationConsent: 'grant application permissions',
  grantGraphApplicationConsent: 'grant application permissions of Microsoft Graph',
};

/**
 * null when the admin may take an application action (core/authorization/application-actions.ts:
 * no target table, any registration alike); else the reason, naming the roles that may, read
 * from the same table the server decides with.
 */
export function whyNotForApps(admin: { id: string; roles: readonly string[] }, action: ApplicationAction): string | null {
  if (mayManageApplications({ kind: 'user', id: admin.id, roles: admin.roles, scopes: ADMIN_SCOPES }, action)) return null;
  const permission = APPLICATION_ACTIONS[action].permission;
  const may = Object.entries(APPLICATION_ROLE_PERMISSIONS)
    .filter(([, held]) => held.includes(permission))
    .map(([role]) => role);
  const yours = admin.roles.length === 0 ? 'You hold no administrator role' : `None of your roles (${names(admin.roles)}) may`;
  const lead = admin.roles.length === 0 ? `${yours}, so you may not` : yours;
  return `${lead} ${APP_VERB[action]}; ${names(may)} may (docs/authorization.md).`;
}
