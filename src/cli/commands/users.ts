/**
 * `portcullis users list|get|create|disable|enable|reset-password` — the directory commands an
 * administrator needs around an incident, over the Graph users API.
 */
import { randomBytes } from 'node:crypto';
import type { User } from '../../sdk/index.js';
import { COMMON_HELP, COMMON_OPTIONS, commonOptions, parse } from '../args.js';
import { CliError, EXIT } from '../cli-error.js';
import { toCliError } from '../failures.js';
import { openGraph, type GraphSession } from '../graph-session.js';
import { stderr, stdout, table, writeObject, writeRecords } from '../output.js';
import { SCOPES } from '../scope-fix.js';

const HELP = `Usage: portcullis users <list|get|create|disable|enable|reset-password> [options]

  users list [--filter EXPR] [--top N] [--all] [--select a,b]
  users get ID|UPN [--select a,b]
  users create --upn UPN --display-name NAME [--password P] [--mail-nickname N] [--disabled]
  users disable ID|UPN        accountEnabled=false (also revokes the user's sessions)
  users enable ID|UPN
  users reset-password ID|UPN [--password P]   a random password is made and printed if none is given

${COMMON_HELP}
`;

const READ_NEEDS = 'scope User.Read.All (or User.ReadWrite.All / Directory.Read.All)';
const WRITE_NEEDS = 'scope User.ReadWrite.All and the User Administrator role (or higher) over the target';
const LIST_SELECT = ['id', 'userPrincipalName', 'displayName', 'accountEnabled'];

function randomPassword(): string {
  // Letters, digits and a symbol: meets the complexity rule of Entra (and Portcullis).
  return `${randomBytes(12).toString('base64url')}-Aa9`;
}

async function run<T>(
  g: GraphSession,
  action: string,
  target: string | undefined,
  needs: string,
  work: () => Promise<T>,
  anyOf: readonly string[],
): Promise<T> {
  try {
    return await work();
  } catch (e) {
    throw toCliError(e, {
      action,
      ...(target ? { target: `user '${target}'` } : {}),
      needs,
      server: g.session.graphUrl,
      scopes: g.scopeNeed(anyOf),
    });
  } finally {
    await g.saveResponseHeaders(false);
  }
}

export async function users(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parse(
    rest,
    {
      ...COMMON_OPTIONS,
      filter: { type: 'string' },
      top: { type: 'string' },
      all: { type: 'boolean' },
      select: { type: 'string' },
      upn: { type: 'string' },
      'display-name': { type: 'string' },
      password: { type: 'string' },
      'mail-nickname': { type: 'string' },
      disabled: { type: 'boolean' },
    },
    true,
  );
  if (sub === undefined || sub === '--help' || sub === '-h' || values.help) {
    stdout(HELP);
    return sub === undefined ? EXIT.USAGE : EXIT.OK;
  }
  const common = commonOptions(values);
  const select = values.select
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const needOne = (): string => {
    const id = positionals[0];
    if (!id || positionals.length > 1) throw new CliError(`users ${sub} takes exactly one user id or userPrincipalName`, EXIT.USAGE);
    return id;
  };
  switch (sub) {
    case 'list': {
      const top = values.top === undefined ? undefined : Number(values.top);
      if (top !== undefined && !(Number.isInteger(top) && top >= 1 && top <= 999)) throw new CliError('--top must be 1 to 999', EXIT.USAGE);
      const g = await openGraph(env, common);
      const options = { select: select ?? LIST_SELECT, ...(values.filter ? { filter: values.filter } : {}), ...(top ? { top } : {}) };
      const found: User[] = await run(
        g,
        'list users',
        undefined,
        READ_NEEDS,
        async () => {
          if (!values.all) return (await g.client.users.list(options)).value;
          const all: User[] = [];
          for await (const u of g.client.users.listAll(options)) all.push(u);
          return all;
        },
        SCOPES.readUsers,
      );
      if (common.output === 'text') {
        const rows = found.map((u) => [u.id, u.userPrincipalName, u.displayName ?? '', String(u.accountEnabled ?? '')]);
        for (const line of table([['ID', 'USER PRINCIPAL NAME', 'DISPLAY NAME', 'ENABLED'], ...rows])) stdout(`${line}\n`);
      } else writeRecords(common.output, found, () => '');
      return EXIT.OK;
    }
    case 'get': {
      const id = needOne();
      const g = await openGraph(env, common);
      const user = await run(g, `read user '${id}'`, id, READ_NEEDS, () => g.client.users.get(id, select), SCOPES.readUsers);
      writeObject(common.output, user);
      return EXIT.OK;
    }
    case 'create': {
      if (!values.upn || !values['display-name']) throw new CliError('users create needs --upn and --display-name', EXIT.USAGE);
      const password = values.password ?? randomPassword();
      const g = await openGraph(env, common);
      const user = await run(
        g,
        `create user '${values.upn}'`,
        undefined,
        WRITE_NEEDS,
        () =>
          g.client.users.create({
            accountEnabled: !values.disabled,
            displayName: values['display-name']!,
            mailNickname: values['mail-nickname'] ?? values.upn!.split('@')[0]!,
            userPrincipalName: values.upn!,
            passwordProfile: { password, forceChangePasswordNextSignIn: true },
          }),
        SCOPES.writeUsers,
      );
      writeObject(common.output, { id: user.id, userPrincipalName: user.userPrincipalName, accountEnabled: user.accountEnabled });
      if (!values.password) stderr(`Initial password (shown once): ${password}\n`);
      return EXIT.OK;
    }
    case 'disable':
    case 'enable': {
      const id = needOne();
      const g = await openGraph(env, common);
      await run(
        g,
        `${sub} user '${id}'`,
        id,
        WRITE_NEEDS,
        () => g.client.users.update(id, { accountEnabled: sub === 'enable' }),
        SCOPES.writeUsers,
      );
      writeRecords(common.output, [{ user: id, accountEnabled: sub === 'enable' }], () => 'True');
      return EXIT.OK;
    }
    case 'reset-password': {
      const id = needOne();
      const password = values.password ?? randomPassword();
      const g = await openGraph(env, common);
      await run(
        g,
        `reset the password of '${id}'`,
        id,
        WRITE_NEEDS,
        () => g.client.users.update(id, { passwordProfile: { password, forceChangePasswordNextSignIn: true } }),
        SCOPES.resetPassword,
      );
      writeRecords(common.output, [{ user: id, passwordReset: true }], () => 'True');
      if (!values.password) stderr(`New password (shown once): ${password}\n`);
      return EXIT.OK;
    }
    default:
      throw new CliError(`unknown users command '${sub}' (list, get, create, disable, enable, reset-password)`, EXIT.USAGE);
  }
}
