/**
 * Who may read the sign-in log and users' signInActivity: Graph's "List signIns" and
 * signInActivity pages (https://learn.microsoft.com/graph/api/signin-list,
 * https://learn.microsoft.com/graph/api/resources/signinactivity). Delegated callers need the
 * permission AND one of the roles; app-only callers the application permission alone.
 * docs/authorization.md ("Reading sign-in logs") transcribes this table and
 * test/graph/sign-ins-authorization.test.ts checks the code against it.
 */
import { ROLE } from '../roles.js';
import type { Actor } from './decide.js';

export type LogRead = 'readSignIns' | 'readSignInActivity';

export interface LogReadRule {
  delegated: readonly string[];
  application: readonly string[];
  /** The signed-in user must hold one of these roles (tenant-wide). */
  roles: readonly string[];
}

/** "Microsoft Entra roles" of List signIns: Reports Reader is the least privileged. */
const SIGN_IN_LOG_READERS = [
  ROLE.globalAdministrator,
  ROLE.globalReader,
  ROLE.reportsReader,
  ROLE.securityAdministrator,
  ROLE.securityReader,
];

export const LOG_READS: Readonly<Record<LogRead, LogReadRule>> = {
  readSignIns: { delegated: ['AuditLog.Read.All'], application: ['AuditLog.Read.All'], roles: SIGN_IN_LOG_READERS },
  readSignInActivity: { delegated: ['AuditLog.Read.All'], application: ['AuditLog.Read.All'], roles: SIGN_IN_LOG_READERS },
};

const holdsAny = (granted: ReadonlySet<string>, names: readonly string[]): boolean => names.some((n) => granted.has(n.toLowerCase()));

/** May `actor` read what `read` names? */
export function mayReadLog(actor: Actor, read: LogRead): boolean {
  const rule = LOG_READS[read];
  if (actor.kind === 'app') return holdsAny(actor.permissions, rule.application);
  return holdsAny(actor.scopes, rule.delegated) && actor.roles.some((r) => rule.roles.includes(r));
}
