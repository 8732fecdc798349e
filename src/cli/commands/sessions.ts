/**
 * `portcullis sessions` — a user's browser sessions and grants, and targeted revocation
 * (docs/sessions.md, docs/graph-api.md "Sign-in sessions"):
 *   sessions list --user X [--all]                     table: device, app, IP, last used
 *   sessions revoke --user X (--session ID | --app ID | --all-except ID) [--dry-run]
 * `--user me` acts on the signed-in user. Everything goes through the Graph API, so the server's
 * authorization rules apply (docs/authorization.md).
 */
import type { SignInSession, SignInSessionCut, SignInSessionRevocation } from '../../sdk/index.js';
import { COMMON_HELP, COMMON_OPTIONS, commonOptions, parse } from '../args.js';
import { CliError, EXIT } from '../cli-error.js';
import { toCliError } from '../failures.js';
import { openGraph } from '../graph-session.js';
import { stderr, stdout, table, writeRecords } from '../output.js';
import { SCOPES } from '../scope-fix.js';

const HELP = `Usage: portcullis sessions list --user ID|UPN|me [--all] [--top N]
       portcullis sessions revoke --user ID|UPN|me (--session ID | --app APPID | --all-except ID) [--dry-run]

Lists a user's browser sessions and grants (refresh-token families), live ones by default, or
revokes some of them: one session with its grants, one application's grants, or every session
but one ("sign out everywhere else"). --dry-run shows what would be revoked and changes nothing.

  --user X        user id, userPrincipalName, or 'me'
  --all           list ended and revoked ones too
  --top N         at most N rows (default 100)
  --session ID    revoke this browser session and the grants that came from it
  --app APPID     revoke every grant of this application
  --all-except ID revoke every session and grant except this session and its grants
  --dry-run       say what would be revoked; revoke nothing

${COMMON_HELP}
`;

const NEEDS =
  "scope User.RevokeSessions.All and a role allowed to revoke the user's sessions (docs/authorization.md); your own: User.Read to list, User.ReadWrite to revoke";

function ago(iso: string, now: number): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

/** The text table: one row per session or grant. */
export function sessionTable(rows: readonly SignInSession[], now: number): string[] {
  return table([
    ['ID', 'KIND', 'DEVICE', 'APP', 'IP', 'LAST USED', 'LIVE'],
    ...rows.map((r) => [
      r.id,
      r.kind === 'browserSession' ? 'session' : 'grant',
      r.deviceDetail.displayName,
      r.appId ?? '-',
      r.ipAddress ?? '-',
      ago(r.lastActivityDateTime, now),
      r.isLive ? 'yes' : 'no',
    ]),
  ]);
}

async function list(env: NodeJS.ProcessEnv, values: Record<string, unknown>, user: string): Promise<number> {
  const common = commonOptions(values);
  const top = Number(values.top ?? 100);
  if (!Number.isInteger(top) || top < 1) throw new CliError('--top must be a positive integer', EXIT.USAGE);
  const g = await openGraph(env, common);
  const found: SignInSession[] = [];
  try {
    const filter = values.all ? {} : { filter: 'isLive eq true' };
    for await (const r of g.client.signInSessions.listAll(user, { ...filter, top: Math.min(top, 999) })) {
      found.push(r);
      if (found.length >= top) break;
    }
  } catch (e) {
    throw toCliError(e, {
      action: `list the sessions of '${user}'`,
      target: `user '${user}'`,
      needs: NEEDS,
      server: g.session.graphUrl,
      scopes: g.scopeNeed(user === 'me' ? SCOPES.revokeOwnSessions : SCOPES.revokeSessions),
    });
  } finally {
    await g.saveResponseHeaders(false);
  }
  if (common.output === 'text') for (const line of sessionTable(found, Date.now())) stdout(`${line}\n`);
  else writeRecords(common.output, found, () => '');
  return EXIT.OK;
}

function cutOf(values: Record<string, unknown>): SignInSessionCut {
  const given = [
    values.session !== undefined ? { session: String(values.session) } : null,
    values.app !== undefined ? { appId: String(values.app) } : null,
    values['all-except'] !== undefined ? { allExcept: String(values['all-except']) } : null,
  ].filter((c): c is SignInSessionCut => c !== null);
  if (given.length !== 1) throw new CliError('give exactly one of --session, --app, --all-except', EXIT.USAGE);
  return given[0]!;
}

async function revoke(env: NodeJS.ProcessEnv, values: Record<string, unknown>, user: string): Promise<number> {
  const common = commonOptions(values);
  const cut = cutOf(values);
  const dryRun = Boolean(values['dry-run']);
  const g = await openGraph(env, common);
  let result: SignInSessionRevocation;
  try {
    result = await g.client.signInSessions.revoke(user, cut, dryRun);
  } catch (e) {
    throw toCliError(e, {
      action: `revoke sessions of '${user}'`,
      target: `user '${user}'`,
      needs: NEEDS,
      server: g.session.graphUrl,
      scopes: g.scopeNeed(user === 'me' ? SCOPES.revokeOwnSessions : SCOPES.revokeSessions),
    });
  } finally {
    await g.saveResponseHeaders(false);
  }
  writeRecords(
    common.output,
    [result],
    (r) =>
      `${r.dryRun ? 'Would revoke' : 'Revoked'} ${r.sessionCount} session(s) and ${r.grantCount} grant(s)` +
      [...r.sessionIds.map((id) => `\n  session ${id}`), ...r.grantIds.map((id) => `\n  grant   ${id}`)].join(''),
  );
  if (!dryRun && user === 'me' && 'session' in cut) {
    stderr("If that was this CLI's own session, run 'portcullis login' to continue.\n");
  }
  return EXIT.OK;
}

export async function sessions(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parse(rest, {
    ...COMMON_OPTIONS,
    user: { type: 'string' },
    all: { type: 'boolean' },
    top: { type: 'string' },
    session: { type: 'string' },
    app: { type: 'string' },
    'all-except': { type: 'string' },
    'dry-run': { type: 'boolean' },
  });
  if ((sub !== 'list' && sub !== 'revoke') || values.help) {
    stdout(HELP);
    if (sub === 'list' || sub === 'revoke' || sub === '--help' || sub === '-h') return EXIT.OK;
    throw new CliError(
      sub === undefined ? 'sessions needs a command: list, revoke' : `unknown sessions command '${sub}' (list, revoke)`,
      EXIT.USAGE,
    );
  }
  const user = values.user;
  if (user === undefined || user === '') throw new CliError('--user is required (an id, a userPrincipalName, or me)', EXIT.USAGE);
  return sub === 'list' ? list(env, values, user) : revoke(env, values, user);
}
