/**
 * A 403 because the CLI's sign-in lacks a delegated scope is fixed by signing in again with that
 * scope added. The error names that exact command, keeping the scopes the session already has
 * (a login asks for the listed scopes only). The scopes each command takes are those of the
 * Microsoft Graph permission references, e.g.
 * https://learn.microsoft.com/graph/api/user-list#permissions and
 * https://learn.microsoft.com/graph/api/user-revokesigninsessions#permissions.
 * When the scope is there, the 403 is about a directory role, which no login can fix.
 */
import { jwtClaims } from './auth/oauth.js';
import { loginCommand } from './auth/session.js';
import type { CachedSession } from './auth/token-cache.js';
import { CliError, EXIT } from './cli-error.js';

export interface ScopeNeed {
  /** Any one of these suffices; the first is the one to suggest. */
  anyOf: readonly string[];
  session: CachedSession;
  env: NodeJS.ProcessEnv;
}

/** The scopes a command takes (any one of each list). */
export const SCOPES = {
  readUsers: ['User.Read.All', 'User.ReadBasic.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
  writeUsers: ['User.ReadWrite.All', 'Directory.ReadWrite.All'],
  resetPassword: ['User-PasswordProfile.ReadWrite.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
  revokeSessions: ['User.RevokeSessions.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
  invalidateRefreshTokens: ['User.RevokeSessions.All', 'Directory.ReadWrite.All'],
  revokeOwnSessions: ['User.RevokeSessions.All', 'User.ReadWrite', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
  readAudit: ['AuditLog.Read.All'],
  readGroupMembers: ['GroupMember.Read.All', 'Group.Read.All', 'GroupMember.ReadWrite.All', 'Group.ReadWrite.All', 'Directory.Read.All'],
} as const satisfies Record<string, readonly string[]>;

const OIDC = new Set(['openid', 'profile', 'offline_access', 'email']);
/** `https://graph.microsoft.com/User.Read.All` and `User.Read.All` are the same permission. */
const bare = (s: string) => s.slice(s.lastIndexOf('/') + 1).toLowerCase();

export function missingScopeFix(action: string, need: ScopeNeed | undefined): CliError | null {
  if (need?.session.kind !== 'delegated') return null;
  const scp = jwtClaims(need.session.accessToken).scp;
  const granted = new Set((typeof scp === 'string' ? scp : need.session.scope).split(/\s+/).map(bare));
  if (need.anyOf.some((s) => granted.has(bare(s)))) return null;
  const wanted = need.anyOf[0]!;
  const kept = need.session.scope.split(/\s+/).filter((s) => s !== '' && !OIDC.has(s.toLowerCase()));
  const scopes = [...kept.filter((s) => bare(s) !== bare(wanted)), wanted].join(',');
  return new CliError(
    `Your sign-in lacks ${wanted}, which is needed to ${action}. Run: ${loginCommand(need.env, ` --scopes ${scopes}`)}`,
    EXIT.FORBIDDEN,
  );
}
