/**
 * `portcullis audit list`: the directory audit log (Graph directoryAudits), newest first.
 * --filter takes an activity name (sent as `activityDisplayName eq '…'`) or a raw $filter;
 * --target and --since filter on this side, since Graph's $filter support for them varies.
 */
import type { DirectoryAudit } from '../../sdk/index.js';
import { COMMON_HELP, COMMON_OPTIONS, commonOptions, parse } from '../args.js';
import { CliError, EXIT } from '../cli-error.js';
import { toCliError } from '../failures.js';
import { openGraph } from '../graph-session.js';
import { stdout, table, writeRecords } from '../output.js';
import { SCOPES } from '../scope-fix.js';
import { parseSince } from '../since-option.js';

const HELP = `Usage: portcullis audit list [options]

  --filter ACTIVITY|EXPR   an activity name, e.g. "Update StsRefreshTokenValidFrom Timestamp", or a $filter
  --target ID|UPN          only records about this object
  --since WHEN             ISO date/time, or a duration back from now: 30m, 24h, 7d
  --top N                  at most N records (default 50)

${COMMON_HELP}
`;

export async function audit(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parse(rest, {
    ...COMMON_OPTIONS,
    filter: { type: 'string' },
    target: { type: 'string' },
    since: { type: 'string' },
    top: { type: 'string' },
  });
  if (sub !== 'list' || values.help) {
    stdout(HELP);
    if (sub === 'list' || sub === '--help' || sub === '-h') return EXIT.OK;
    throw new CliError(sub === undefined ? 'audit needs a command: list' : `unknown audit command '${sub}' (list)`, EXIT.USAGE);
  }
  const common = commonOptions(values);
  const since = parseSince(values.since);
  const top = Number(values.top ?? 50);
  if (!Number.isInteger(top) || top < 1) throw new CliError('--top must be a positive integer', EXIT.USAGE);
  const filter =
    values.filter === undefined
      ? undefined
      : / eq | and | or /.test(values.filter)
        ? values.filter
        : `activityDisplayName eq '${values.filter.replace(/'/g, "''")}'`;
  const target = values.target?.toLowerCase();
  const g = await openGraph(env, common);
  const found: DirectoryAudit[] = [];
  try {
    // Newest first: stop at the first record older than --since, or after --top matches.
    for await (const r of g.client.auditLogs.listAll({ ...(filter ? { filter } : {}), top: Math.min(top, 999) })) {
      if (since !== null && Date.parse(r.activityDateTime) < since) break;
      if (target && !r.targetResources.some((t) => t.id.toLowerCase() === target || t.userPrincipalName?.toLowerCase() === target))
        continue;
      found.push(r);
      if (found.length >= top) break;
    }
  } catch (e) {
    throw toCliError(e, {
      action: 'read the audit log',
      needs: 'scope AuditLog.Read.All and a reader role (e.g. Reports Reader, Security Reader, Global Reader)',
      server: g.session.graphUrl,
      scopes: g.scopeNeed(SCOPES.readAudit),
    });
  } finally {
    await g.saveResponseHeaders(false);
  }
  if (common.output === 'text') {
    const rows = found.map((r) => [
      r.activityDateTime,
      r.activityDisplayName,
      r.targetResources.map((t) => t.userPrincipalName ?? t.id).join(','),
      r.initiatedBy.user?.userPrincipalName ?? r.initiatedBy.app?.displayName ?? '',
    ]);
    for (const line of table([['WHEN', 'ACTIVITY', 'TARGET', 'BY'], ...rows])) stdout(`${line}\n`);
  } else writeRecords(common.output, found, () => '');
  return EXIT.OK;
}
