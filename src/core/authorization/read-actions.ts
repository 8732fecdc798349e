/**
 * One row per read of the audit log and what hangs off it: the Graph permissions of delegated and
 * app-only callers, the directory roles a delegated caller needs to read everyone's records, and
 * the scopes with which a user reads their own without a role. Sources: Graph "List
 * directoryAudits" (https://learn.microsoft.com/graph/api/directoryaudit-list, Permissions: AuditLog.Read.All, and for
 * delegated calls one of the reader roles listed there). Revocation receipts are a Portcullis
 * extension that follows the audit log's rule, plus: a user may read the receipts of revokes of
 * their own account. docs/authorization.md ("Reading the audit log and revocation receipts")
 * transcribes it.
 */
import { ROLE } from '../roles.js';
import type { Actor } from './decide.js';

export type ReadAction = 'readDirectoryAudits' | 'readRevocationReceipts';

export interface ReadRule {
  delegated: readonly string[];
  application: readonly string[];
  /** A delegated caller reads everyone's records with one of `delegated` and one of these roles. */
  roles: readonly string[];
  /** Scopes (any of) with which a user reads the records about themself, without a role; null = no such reading. */
  delegatedSelf: readonly string[] | null;
}

/** "List directoryAudits": the roles that may read the audit log. */
const AUDIT_LOG_READERS: readonly string[] = [
  ROLE.globalAdministrator,
  ROLE.globalReader,
  ROLE.securityAdministrator,
  ROLE.securityReader,
  ROLE.reportsReader,
  ROLE.userAdministrator,
];

export const READ_ACTIONS: Readonly<Record<ReadAction, ReadRule>> = {
  readDirectoryAudits: {
    delegated: ['AuditLog.Read.All'],
    application: ['AuditLog.Read.All'],
    roles: AUDIT_LOG_READERS,
    delegatedSelf: null,
  },
  readRevocationReceipts: {
    delegated: ['AuditLog.Read.All'],
    application: ['AuditLog.Read.All'],
    roles: AUDIT_LOG_READERS,
    delegatedSelf: ['User.Read', 'User.ReadWrite', 'AuditLog.Read.All'],
  },
};

const holdsAny = (granted: ReadonlySet<string>, names: readonly string[]): boolean => names.some((n) => granted.has(n.toLowerCase()));

/** May the actor read every record of this kind (every user's)? */
export function mayReadAll(actor: Actor, action: ReadAction): boolean {
  const rule = READ_ACTIONS[action];
  if (actor.kind === 'app') return holdsAny(actor.permissions, rule.application);
  return holdsAny(actor.scopes, rule.delegated) && actor.roles.some((r) => rule.roles.includes(r));
}

/** May the actor read the records about user `userId`: all of them, or their own where the rule allows it? */
export function mayReadAbout(actor: Actor, action: ReadAction, userId: string): boolean {
  if (mayReadAll(actor, action)) return true;
  const self = READ_ACTIONS[action].delegatedSelf;
  return actor.kind === 'user' && self !== null && actor.id === userId && holdsAny(actor.scopes, self);
}
