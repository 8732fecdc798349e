/**
 * `portcullis revoke` — the revoke cmdlets (README table):
 *   --user-id X (alias --object-id; repeatable, or `-` / stdin for pipeline input)
 *       Revoke-MgUserSignInSession / Revoke-EntraUserAllRefreshToken (--beta: the Beta variants)
 *   --invalidate-all-refresh-tokens   Invoke-MgBetaInvalidateAllUserRefreshToken (beta action)
 *   --me                              Revoke-Entra[Beta]SignedInUserAllRefreshToken
 *   --filter F                        the users a Graph $filter on /users selects
 *                                     (Get-MgUser -Filter F -All | Revoke-MgUserSignInSession)
 *   --group G                         the users in a group, nested groups included
 *                                     (Get-MgGroupTransitiveMember -GroupId G -All | …)
 * One user is one direct call (text output `True`, like the cmdlets); several go through $batch
 * (bulk/run-bulk.ts) with progress, per-user results and a summary.
 */
import { COMMON_HELP, COMMON_OPTIONS, commonOptions, parse, type CommonOptions } from '../args.js';
import { Progress } from '../bulk/progress.js';
import { runBulk, type BulkResult } from '../bulk/run-bulk.js';
import { CliError, EXIT } from '../cli-error.js';
import { toCliError } from '../failures.js';
import { openGraph, type GraphSession } from '../graph-session.js';
import type { RevocationReceipt } from '../../sdk/index.js';
import { parseUserInput, readStdin } from '../input.js';
import { perTurn, stderr, stdout, writeRecords } from '../output.js';
import { ask, canAsk, isInteractive } from '../prompt.js';
import { SCOPES } from '../scope-fix.js';
import { awaitReceipt, parseReceiptTimeout, receiptText } from '../receipt.js';
import { newTimeOrderedGuid } from '../../crypto/random.js';

const HELP = `Usage: portcullis revoke (--user-id ID|UPN ... | --user-id - | --filter F | --group G | --me) [options]

Revokes all refresh tokens and browser sessions of users (Graph revokeSignInSessions).

  --user-id, --object-id X      user id or userPrincipalName; repeatable; '-' reads stdin
                                (no --user-id and piped stdin also reads it): one per line,
                                JSON lines or a JSON array of objects with id / userPrincipalName
  --filter F                    every user the Graph $filter F selects on /users, e.g.
                                "startswith(displayName,'Team')" (sent as an advanced query,
                                so ne / not / endsWith work too); needs User.Read.All
  --group G                     every user in group G (object id or exact displayName),
                                members of nested groups included; needs GroupMember.Read.All
  --me                          revoke the signed-in user's own sessions (this CLI's too)
  --invalidate-all-refresh-tokens  call the beta invalidateAllRefreshTokens action instead
  --what-if                     list what would be revoked; call nothing
  --confirm                     ask before each user, on the terminal even when stdin is a pipe
  -y, --yes                     never ask; required for several users when stdin is not a terminal
  --parallel N                  batches of 20 in flight for bulk (default 4, max 16)
  --receipt                     then print each revoke's receipt (what it cut, whom it told);
                                needs AuditLog.Read.All and an audit-log reader role, or your own account
  --receipt-timeout S           wait up to S seconds for the receipt's deliveries (default 10)

${COMMON_HELP}
`;

const NEEDS_DELEGATED =
  'scope User.RevokeSessions.All and a role allowed to act on the user (Helpdesk, Password, User, Authentication, Privileged Authentication or Global Administrator, or Directory Writers for users without roles); app-only: application permission User.RevokeSessions.All';

type Action = { name: 'revokeSignInSessions' | 'invalidateAllRefreshTokens'; version: 'v1.0' | 'beta' };

/** --receipt: the wait in seconds, or null when no receipt is wanted. */
type ReceiptWanted = number | null;

/** One client-request-id per revoke: the key its receipt is read under (a --header one for a single revoke). */
const requestIdFor = (common: CommonOptions): string => common.headers['client-request-id'] ?? newTimeOrderedGuid();

type ReadReceipt = RevocationReceipt & { complete: boolean };

/**
 * The receipts of revokes that succeeded, by client-request-id, all within one wait. The revokes
 * are done whatever happens here, so a receipt that cannot be read is a warning on stderr.
 */
async function readReceipts(g: GraphSession, ids: readonly string[], wait: number): Promise<Map<string, ReadReceipt>> {
  const deadline = Date.now() + wait * 1000;
  const out = new Map<string, ReadReceipt>();
  for (const id of ids) {
    try {
      const { receipt, complete } = await awaitReceipt(g.client, id, Math.max(0, (deadline - Date.now()) / 1000));
      out.set(id, { ...receipt, complete });
    } catch (e) {
      stderr(`portcullis: the revoke is done, but its receipt ${id} could not be read: ${(e as Error).message}\n`);
    }
  }
  return out;
}

async function targets(values: Record<string, unknown>): Promise<string[]> {
  const given = (values['user-id'] as string[] | undefined) ?? [];
  const fromFlag = given.filter((u) => u !== '-');
  const wantsStdin = given.includes('-') || (given.length === 0 && !values.me && !process.stdin.isTTY);
  const fromStdin = wantsStdin ? parseUserInput(await readStdin()) : [];
  const all = [...fromFlag, ...fromStdin];
  const seen = new Set<string>();
  return all.filter((u) => (seen.has(u.toLowerCase()) ? false : (seen.add(u.toLowerCase()), true)));
}

interface Listing {
  action: string;
  target?: string;
  needs: string;
  scopes: readonly string[];
}

/**
 * The users a listing finds, by userPrincipalName; a Graph failure becomes the CLI's error for
 * `how` (the missing scope or role, as for the revoke itself).
 */
async function listTargets(
  env: NodeJS.ProcessEnv,
  common: CommonOptions,
  how: Listing,
  collect: (g: GraphSession, found: string[]) => Promise<void>,
): Promise<string[]> {
  const g = await openGraph(env, common);
  const found: string[] = [];
  try {
    await collect(g, found);
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw toCliError(e, { ...how, server: g.session.graphUrl, scopes: g.scopeNeed(how.scopes) });
  } finally {
    await g.saveResponseHeaders(false);
  }
  return found;
}

/**
 * The users a $filter selects, every page. Sent as an advanced query (ConsistencyLevel:
 * eventual, $count=true) so that every operator Graph has for /users works.
 */
function usersMatching(env: NodeJS.ProcessEnv, common: CommonOptions, filter: string): Promise<string[]> {
  const how = {
    action: `list the users matching '${filter}'`,
    needs: 'scope User.Read.All (or User.ReadBasic.All, Directory.Read.All); app-only: User.Read.All',
    scopes: SCOPES.readUsers,
  };
  return listTargets(env, common, how, async (g, found) => {
    for await (const u of g.client.users.listAll({ filter, select: ['id', 'userPrincipalName'], top: 999, advanced: true })) {
      found.push(u.userPrincipalName ?? u.id);
    }
  });
}

const GROUP_GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The users of a group, nested groups included (`/transitiveMembers`, every page; other object
 * types are skipped). G is an object id or a displayName that exactly one group has.
 */
function groupUsers(env: NodeJS.ProcessEnv, common: CommonOptions, group: string): Promise<string[]> {
  const how = {
    action: `list the members of group '${group}'`,
    target: `group '${group}'`,
    needs: 'scope GroupMember.Read.All (or Group.Read.All, Directory.Read.All); app-only: GroupMember.Read.All',
    scopes: SCOPES.readGroupMembers,
  };
  return listTargets(env, common, how, async (g, found) => {
    let id = group;
    if (!GROUP_GUID.test(group)) {
      const named = [];
      for await (const x of g.client.groups.listAll({ filter: `displayName eq '${group.replace(/'/g, "''")}'` })) named.push(x);
      if (named.length === 0) throw new CliError(`no group is named '${group}'`, EXIT.NOT_FOUND);
      if (named.length > 1) throw new CliError(`${named.length} groups are named '${group}': give the object id`, EXIT.USAGE);
      id = named[0]!.id;
    }
    for await (const m of g.client.groups.transitiveMembersAll(id)) {
      if (m['@odata.type'] === '#microsoft.graph.user') found.push(m.userPrincipalName ?? m.id);
    }
  });
}

function describe(action: Action, user: string): string {
  return action.name === 'revokeSignInSessions' ? `revoke the sign-in sessions of '${user}'` : `invalidate all refresh tokens of '${user}'`;
}

async function confirmEach(users: string[], action: Action): Promise<string[] | null> {
  const chosen: string[] = [];
  for (let i = 0; i < users.length; i++) {
    const user = users[i]!;
    const answer = await ask(`Confirm: ${describe(action, user)}?`, 'ynaq');
    if (answer === 'quit') return chosen.length > 0 ? chosen : null;
    if (answer === 'all') return [...chosen, ...users.slice(i)];
    if (answer === 'yes') chosen.push(user);
  }
  return chosen;
}

async function single(
  env: NodeJS.ProcessEnv,
  common: CommonOptions,
  action: Action,
  user: string,
  receipt: ReceiptWanted,
): Promise<number> {
  const g = await openGraph(env, common);
  const clientRequestId = requestIdFor(common);
  try {
    if (action.name === 'invalidateAllRefreshTokens') await g.client.invalidateAllRefreshTokens(user, { clientRequestId });
    else await g.client.revokeSignInSessions(user, action.version, { clientRequestId });
  } catch (e) {
    throw toCliError(e, {
      action: describe(action, user),
      target: `user '${user}'`,
      needs: user === 'me' ? 'scope User.RevokeSessions.All (or User.ReadWrite / Directory.ReadWrite.All)' : NEEDS_DELEGATED,
      server: g.session.graphUrl,
      scopes: g.scopeNeed(
        user === 'me'
          ? SCOPES.revokeOwnSessions
          : action.name === 'invalidateAllRefreshTokens'
            ? SCOPES.invalidateRefreshTokens
            : SCOPES.revokeSessions,
      ),
    });
  } finally {
    await g.saveResponseHeaders(false);
  }
  const read = receipt !== null && user !== 'me' ? (await readReceipts(g, [clientRequestId], receipt)).get(clientRequestId) : undefined;
  writeRecords(common.output, [{ user, value: true, ...(read ? { receipt: read } : {}) }], (r) =>
    r.receipt ? `True\n${receiptText(r.receipt, r.receipt.complete)}` : 'True',
  );
  if (user === 'me') stderr("Your own sessions are revoked, including this CLI's: run 'portcullis login' to continue.\n");
  return EXIT.OK;
}

async function bulk(
  env: NodeJS.ProcessEnv,
  common: CommonOptions,
  action: Action,
  users: string[],
  parallel: number,
  receipt: ReceiptWanted,
): Promise<number> {
  // Each user's revoke gets its own client-request-id: its receipt's key. Time-ordered
  // (crypto/random.ts), so that the server's index of receipts by it grows at one end.
  const requestIds = new Map(users.map((u) => [u, newTimeOrderedGuid()]));
  let stopRequested = false;
  const onSigint = () => {
    if (stopRequested) process.exit(EXIT.INTERRUPTED); // a second Ctrl-C: leave now
    stopRequested = true;
    stderr('\nStopping after the batches in flight (Ctrl-C again to quit at once)...\n');
  };
  process.on('SIGINT', onSigint);
  const g = await openGraph(env, common);
  const progress = new Progress(users.length, Boolean(process.stderr.isTTY), stderr);
  const lines = perTurn(stdout);
  const results: BulkResult[] = [];
  const succeeded: string[] = [];
  let done = 0;
  let failed = 0;
  let fatal: unknown = null;
  try {
    await runBulk({
      client: g.client,
      users,
      version: action.version,
      concurrency: parallel,
      request: (user) => ({
        method: 'POST',
        url: `/users/${encodeURIComponent(user)}/${action.name}`,
        headers: { 'content-type': 'application/json', 'client-request-id': requestIds.get(user)! },
        body: {},
      }),
      stopped: () => stopRequested,
      onResult: (r) => {
        if (r.result === 'done') {
          done++;
          succeeded.push(r.user);
        }
        if (r.result === 'failed') failed++;
        if (common.output === 'json') results.push(r);
        else if (common.output === 'jsonl') lines.write(`${JSON.stringify(r)}\n`);
        else if (r.result !== 'skipped')
          lines.write(`${r.user}\t${r.result === 'done' ? 'True' : `False\t${r.code ?? r.status}: ${r.message}`}\n`);
        progress.update({ done: done + failed, failed });
      },
    });
  } catch (e) {
    fatal = e;
  } finally {
    process.off('SIGINT', onSigint);
    lines.flush();
    await g.saveResponseHeaders(true);
  }
  progress.finish({ done: done + failed, failed });
  const receipts =
    receipt !== null
      ? await readReceipts(
          g,
          succeeded.map((u) => requestIds.get(u)!),
          receipt,
        )
      : new Map<string, ReadReceipt>();
  const receiptOf = (user: string) => receipts.get(requestIds.get(user) ?? '');
  if (common.output === 'json') {
    const withReceipts = results.map((r) => (receiptOf(r.user) ? { ...r, receipt: receiptOf(r.user) } : r));
    stdout(`${JSON.stringify(withReceipts, null, 2)}\n`);
  } else {
    for (const user of succeeded) {
      const r = receiptOf(user);
      if (!r) continue;
      stdout(common.output === 'jsonl' ? `${JSON.stringify({ user, receipt: r })}\n` : `${receiptText(r, r.complete)}\n`);
    }
  }
  const skipped = users.length - done - failed;
  const seconds = progress.elapsedSeconds();
  stderr(
    `Summary: ${done} done, ${failed} failed, ${skipped} not attempted of ${users.length} users in ${seconds.toFixed(1)} s ` +
      `(${progress.rate(done + failed).toFixed(0)} users/s).\n`,
  );
  if (fatal !== null) throw toCliError(fatal, { action: `${action.name} in bulk`, needs: NEEDS_DELEGATED, server: g.session.graphUrl });
  if (stopRequested) {
    stderr(`Interrupted: ${skipped} users were not attempted; run the same command again to finish (it is safe to repeat).\n`);
    return EXIT.INTERRUPTED;
  }
  return failed > 0 ? EXIT.PARTIAL : EXIT.OK;
}

export async function revoke(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parse(argv, {
    ...COMMON_OPTIONS,
    'user-id': { type: 'string', multiple: true },
    'object-id': { type: 'string', multiple: true },
    me: { type: 'boolean' },
    filter: { type: 'string' },
    group: { type: 'string' },
    'invalidate-all-refresh-tokens': { type: 'boolean' },
    'what-if': { type: 'boolean' },
    confirm: { type: 'boolean' },
    yes: { type: 'boolean', short: 'y' },
    parallel: { type: 'string' },
    receipt: { type: 'boolean' },
    'receipt-timeout': { type: 'string' },
  });
  if (values.help) {
    stdout(HELP);
    return EXIT.OK;
  }
  const common = commonOptions(values);
  const merged = { ...values, 'user-id': [...(values['user-id'] ?? []), ...(values['object-id'] ?? [])] };
  const action: Action = values['invalidate-all-refresh-tokens']
    ? { name: 'invalidateAllRefreshTokens', version: 'beta' }
    : { name: 'revokeSignInSessions', version: common.version };
  const parallel = Number(values.parallel ?? 4);
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 16)
    throw new CliError('--parallel must be an integer from 1 to 16', EXIT.USAGE);
  if (values.me && merged['user-id'].length > 0) throw new CliError('use either --me or --user-id, not both', EXIT.USAGE);
  if (values.confirm && values.yes) throw new CliError('--confirm and --yes contradict each other', EXIT.USAGE);
  const receipt: ReceiptWanted = values.receipt ? parseReceiptTimeout(values['receipt-timeout']) : null;
  if (values.receipt && values.me) {
    throw new CliError("--receipt cannot follow --me: the revoke ends this CLI's own session, which reading the receipt needs", EXIT.USAGE);
  }

  const filter = values.filter as string | undefined;
  const group = values.group as string | undefined;
  const ways = [filter !== undefined, group !== undefined, Boolean(values.me), merged['user-id'].length > 0].filter(Boolean).length;
  if (ways > 1) throw new CliError('use one of --user-id, --filter, --group and --me', EXIT.USAGE);
  if (filter !== undefined || group !== undefined) {
    const users = filter !== undefined ? await usersMatching(env, common, filter) : await groupUsers(env, common, group!);
    if (users.length === 0) {
      stderr(filter !== undefined ? 'No user matches the filter; nothing to revoke.\n' : 'The group has no users; nothing to revoke.\n');
      return EXIT.OK;
    }
    return act(env, common, action, users, values, parallel, receipt);
  }
  const users = values.me ? ['me'] : await targets(merged);
  if (users.length === 0) throw new CliError('no users given: use --user-id, --filter, --me, or pipe ids to stdin', EXIT.USAGE);
  return act(env, common, action, users, values, parallel, receipt);
}

/** What-if, confirmation, then one direct call or the bulk path: the same for every way of naming users. */
async function act(
  env: NodeJS.ProcessEnv,
  common: CommonOptions,
  action: Action,
  given: string[],
  values: Record<string, unknown>,
  parallel: number,
  receipt: ReceiptWanted,
): Promise<number> {
  let users = given;

  if (values['what-if']) {
    writeRecords(
      common.output,
      users.map((user) => ({ user, action: action.name, whatIf: true })),
      (r) => `What if: Performing the operation "${r.action}" on target "${r.user}".`,
    );
    return EXIT.OK;
  }
  if (values.confirm) {
    // Asked on the terminal even when the users come from a pipe, as -Confirm does (prompt.ts).
    if (!canAsk())
      throw new CliError('--confirm needs a terminal to ask on and this command has none; use --yes (or --what-if) in scripts', EXIT.USAGE);
    const chosen = await confirmEach(users, action);
    if (chosen === null || chosen.length === 0) {
      stderr('Nothing was revoked.\n');
      return EXIT.OK;
    }
    users = chosen;
  } else if (users.length > 1 && !values.yes) {
    if (!isInteractive()) {
      throw new CliError(`refusing to act on ${users.length} users without --yes when stdin is not a terminal`, EXIT.USAGE);
    }
    if ((await ask(`${action.name} for ${users.length} users?`, 'yn')) !== 'yes') {
      stderr('Nothing was revoked.\n');
      return EXIT.OK;
    }
  }
  if (users.length === 1) return single(env, common, action, users[0]!, receipt);
  return bulk(env, common, action, users, parallel, receipt);
}
