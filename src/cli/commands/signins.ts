/**
 * `portcullis signins list`: the sign-in log (Graph /auditLogs/signIns), newest first.
 * --user, --app and --since become the server's $filter; --failed keeps failures only (Graph's
 * $filter has no "errorCode ne 0"); --non-interactive reads refresh-token sign-ins and
 * --service-principal app-only (client-credentials) sign-ins, both through beta.
 */
import type { SignIn } from '../../sdk/index.js';
import { COMMON_HELP, COMMON_OPTIONS, commonOptions, parse } from '../args.js';
import { CliError, EXIT } from '../cli-error.js';
import { toCliError } from '../failures.js';
import { openGraph } from '../graph-session.js';
import { stdout, table, writeRecords } from '../output.js';
import { SCOPES } from '../scope-fix.js';
import { parseSince } from '../since-option.js';

const HELP = `Usage: portcullis signins list [options]

  --user ID|UPN        only this user's sign-ins
  --app APPID          only sign-ins to this application
  --since WHEN         ISO date/time, or a duration back from now: 30m, 24h, 7d
  --failed             only failed sign-ins
  --non-interactive    refresh-token sign-ins instead of interactive ones (Graph beta)
  --service-principal  app-only sign-ins (client credentials) instead; --app is then the
                       service principal's appId (Graph beta)
  --top N              at most N entries (default 50)

${COMMON_HELP}
`;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const quoted = (v: string) => `'${v.replace(/'/g, "''")}'`;

/** The $filter for the options; null when none applies. */
export function signInFilter(o: {
  user?: string;
  app?: string;
  since: number | null;
  nonInteractive: boolean;
  servicePrincipal?: boolean;
}): string | null {
  const clauses: string[] = [];
  if (o.user !== undefined) clauses.push(`${GUID.test(o.user) ? 'userId' : 'userPrincipalName'} eq ${quoted(o.user)}`);
  if (o.app !== undefined) clauses.push(`appId eq ${quoted(o.app)}`);
  if (o.since !== null) clauses.push(`createdDateTime ge ${new Date(o.since).toISOString()}`);
  if (o.nonInteractive) clauses.push("signInEventTypes/any(t: t eq 'nonInteractiveUser')");
  if (o.servicePrincipal) clauses.push("signInEventTypes/any(t: t eq 'servicePrincipal')");
  return clauses.length > 0 ? clauses.join(' and ') : null;
}

export async function signins(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parse(rest, {
    ...COMMON_OPTIONS,
    user: { type: 'string' },
    app: { type: 'string' },
    since: { type: 'string' },
    failed: { type: 'boolean' },
    'non-interactive': { type: 'boolean' },
    'service-principal': { type: 'boolean' },
    top: { type: 'string' },
  });
  if (sub !== 'list' || values.help) {
    stdout(HELP);
    if (sub === 'list' || sub === '--help' || sub === '-h') return EXIT.OK;
    throw new CliError(sub === undefined ? 'signins needs a command: list' : `unknown signins command '${sub}' (list)`, EXIT.USAGE);
  }
  const common = commonOptions(values);
  const top = Number(values.top ?? 50);
  if (!Number.isInteger(top) || top < 1) throw new CliError('--top must be a positive integer', EXIT.USAGE);
  const nonInteractive = values['non-interactive'] === true;
  const servicePrincipal = values['service-principal'] === true;
  if (nonInteractive && servicePrincipal) throw new CliError('--non-interactive and --service-principal exclude each other', EXIT.USAGE);
  // An app-only sign-in has no user.
  if (servicePrincipal && values.user !== undefined) throw new CliError('--user does not apply to --service-principal', EXIT.USAGE);
  const filter = signInFilter({ user: values.user, app: values.app, since: parseSince(values.since), nonInteractive, servicePrincipal });
  const g = await openGraph(env, common);
  const found: SignIn[] = [];
  try {
    const pages = g.client.signIns.listAll({
      ...(filter ? { filter } : {}),
      top: Math.min(values.failed ? 1000 : top, 1000),
      ...(nonInteractive || servicePrincipal ? { version: 'beta' as const } : {}),
    });
    for await (const s of pages) {
      if (values.failed && s.status.errorCode === 0) continue;
      found.push(s);
      if (found.length >= top) break;
    }
  } catch (e) {
    throw toCliError(e, {
      action: 'read the sign-in log',
      needs: 'scope AuditLog.Read.All and a reader role (Reports Reader, Security Reader, Security Administrator, Global Reader)',
      server: g.session.graphUrl,
      scopes: g.scopeNeed(SCOPES.readAudit),
    });
  } finally {
    await g.saveResponseHeaders(false);
  }
  if (common.output === 'text' && servicePrincipal) {
    const rows = found.map((s) => [
      s.createdDateTime,
      s.appDisplayName === '' ? '(unknown application)' : s.appDisplayName,
      s.appId,
      s.status.errorCode === 0 ? 'Success' : `AADSTS${s.status.errorCode}`,
      s.ipAddress,
      String(s.clientCredentialType ?? ''),
      String(s.resourceDisplayName ?? ''),
    ]);
    for (const line of table([['WHEN', 'APP', 'APPID', 'RESULT', 'IP', 'CREDENTIAL', 'RESOURCE'], ...rows])) stdout(`${line}\n`);
  } else if (common.output === 'text') {
    const rows = found.map((s) => [
      s.createdDateTime,
      s.userPrincipalName,
      s.appDisplayName,
      s.status.errorCode === 0 ? 'Success' : `AADSTS${s.status.errorCode}`,
      s.ipAddress,
      `${s.deviceDetail.browser} on ${s.deviceDetail.operatingSystem}`,
    ]);
    for (const line of table([['WHEN', 'USER', 'APP', 'RESULT', 'IP', 'CLIENT'], ...rows])) stdout(`${line}\n`);
  } else writeRecords(common.output, found, () => '');
  return EXIT.OK;
}
