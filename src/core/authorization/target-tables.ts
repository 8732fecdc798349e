/**
 * "Who may act on whom": for a target holding a role, which actor roles may act on it. Both
 * tables are transcribed from
 * https://learn.microsoft.com/entra/identity/role-based-access-control/privileged-roles-permissions
 * ("Who can reset passwords" and "Who can perform sensitive actions"), plus a Directory Writers
 * column that Entra does not document and Portcullis decides (non-admin targets only). A target
 * with several roles may be acted on only if every one of its roles allows the actor's role.
 * docs/authorization.md holds the same tables; the matrix test checks the code against it.
 */
import { ROLE } from '../roles.js';

export interface TargetTable {
  /** Target role → actor roles that may act on a holder of it. */
  rows: Readonly<Record<string, readonly string[]>>;
  /** A target with no directory role ("User (no admin role)"). */
  noRole: readonly string[];
  /** "All other built-in and custom roles". */
  otherRoles: readonly string[];
}

const P = ROLE.passwordAdministrator;
const H = ROLE.helpdeskAdministrator;
const A = ROLE.authenticationAdministrator;
const U = ROLE.userAdministrator;
const PA = ROLE.privilegedAuthenticationAdministrator;
const G = ROLE.globalAdministrator;
const DW = ROLE.directoryWriters;

/** Governs password resets and invalidating refresh tokens (the table says both). */
export const RESET_PASSWORDS: TargetTable = {
  rows: {
    [ROLE.authenticationAdministrator]: [A, PA, G],
    [ROLE.directoryReaders]: [P, H, A, U, PA, G],
    [ROLE.globalAdministrator]: [PA, G],
    [ROLE.groupsAdministrator]: [U, PA, G],
    [ROLE.guestInviter]: [P, H, A, U, PA, G],
    [ROLE.helpdeskAdministrator]: [H, U, PA, G],
    [ROLE.messageCenterReader]: [H, A, U, PA, G],
    [ROLE.passwordAdministrator]: [P, H, A, U, PA, G],
    [ROLE.privilegedAuthenticationAdministrator]: [PA, G],
    [ROLE.privilegedRoleAdministrator]: [PA, G],
    [ROLE.reportsReader]: [H, A, U, PA, G],
    [ROLE.userAdministrator]: [U, PA, G],
  },
  noRole: [P, H, A, U, PA, G, DW],
  otherRoles: [PA, G],
};

/**
 * Governs disable/enable, delete, and updates of the sensitive properties (userPrincipalName,
 * passwordProfile, businessPhones, mobilePhone, otherMails, onPremisesImmutableId). Portcullis
 * also applies it to basic updates (displayName) of another user.
 */
export const SENSITIVE_ACTIONS: TargetTable = {
  rows: {
    [ROLE.authenticationAdministrator]: [A, PA, G],
    [ROLE.directoryReaders]: [A, U, PA, G],
    [ROLE.globalAdministrator]: [PA, G],
    [ROLE.groupsAdministrator]: [U, PA, G],
    [ROLE.guestInviter]: [A, U, PA, G],
    [ROLE.helpdeskAdministrator]: [U, PA, G],
    [ROLE.messageCenterReader]: [A, U, PA, G],
    [ROLE.passwordAdministrator]: [A, U, PA, G],
    [ROLE.privilegedAuthenticationAdministrator]: [PA, G],
    [ROLE.privilegedRoleAdministrator]: [PA, G],
    [ROLE.reportsReader]: [A, U, PA, G],
    [ROLE.userAdministrator]: [U, PA, G],
  },
  noRole: [A, U, PA, G, DW],
  otherRoles: [PA, G],
};

/** True if an actor holding `actorRole` may act, under `table`, on a target holding `targetRoles`. */
export function columnAllows(table: TargetTable, actorRole: string, targetRoles: readonly string[]): boolean {
  if (targetRoles.length === 0) return table.noRole.includes(actorRole);
  return targetRoles.every((t) => (table.rows[t] ?? table.otherRoles).includes(actorRole));
}
