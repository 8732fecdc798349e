import { GRAPH_RESOURCE_URI, canonicalPermission } from '../core/permissions.js';
import { esc } from './html.js';

/**
 * What a requested scope lets an application do, in the words of Microsoft's consent screens
 * (learn.microsoft.com/graph/permissions-reference, delegated "display text"), for the device
 * sign-in confirmation page and the console's My apps. A scope without an entry is shown by its name.
 */
const DESCRIPTIONS: Record<string, string> = {
  openid: 'Sign you in',
  profile: 'View your basic profile',
  email: 'View your email address',
  offline_access: 'Maintain access to data you have given it access to',
  'User.Read': 'Sign you in and read your profile',
  'User.ReadWrite': 'Read and write access to your profile',
  'User.ReadBasic.All': 'Read all users’ basic profiles',
  'User.Read.All': 'Read all users’ full profiles',
  'User.ReadWrite.All': 'Read and write all users’ full profiles',
  'User.RevokeSessions.All': 'Revoke all sign in sessions for a user',
  'Directory.Read.All': 'Read directory data',
  'Directory.ReadWrite.All': 'Read and write directory data',
  'AuditLog.Read.All': 'Read audit log data',
  'Application.Read.All': 'Read applications',
  'Application.ReadWrite.All': 'Read and write all applications',
};

/** One line per distinct scope: its description and its name (as the token's `scp` will say it). */
export function describeScopes(scopes: readonly string[]): { name: string; description: string }[] {
  const out = new Map<string, string>();
  for (const raw of scopes) {
    const bare = raw.toLowerCase().startsWith(`${GRAPH_RESOURCE_URI}/`) ? raw.slice(GRAPH_RESOURCE_URI.length + 1) : raw;
    const name = canonicalPermission(bare) ?? bare.toLowerCase();
    if (!out.has(name)) out.set(name, DESCRIPTIONS[name] ?? name);
  }
  return [...out].map(([name, description]) => ({ name, description }));
}

/** The same as `<li>` items (escaped): the description, then the name in muted text. */
export function permissionItems(scopes: readonly string[]): string {
  return describeScopes(scopes)
    .map((p) => `<li>${esc(p.description)} <span class="muted">(${esc(p.name)})</span></li>`)
    .join('');
}
