#!/usr/bin/env node
/**
 * The `portcullis` command: dispatches to one module per verb. Any failure becomes a single
 * `portcullis: <message>` line on stderr — operators read it, scripts test the exit code
 * (docs/cli.md: 2 = usage, 1 = runtime failure, 3–9 one per failure class) — never a stack trace.
 */
import { readFileSync } from 'node:fs';
import { CliError } from './cli-error.js';
import { CLIENT_VERBS, takeProfileFlag } from './profile-flag.js';

type Verb = (argv: readonly string[], env: NodeJS.ProcessEnv) => Promise<number>;

// Verbs load lazily so `--help` and `--version` stay fast and do not open native modules.
const VERBS: Record<string, { summary: string; run: () => Promise<Verb> }> = {
  serve: { summary: 'run the identity provider and Graph-compatible API', run: async () => (await import('./commands/serve.js')).serve },
  migrate: {
    summary: 'apply pending database schema migrations and exit',
    run: async () => (await import('./commands/migrate.js')).migrate,
  },
  login: {
    summary: 'sign the CLI in (device code, or app-only with a client secret)',
    run: async () => (await import('./commands/login.js')).login,
  },
  logout: { summary: 'forget the cached sign-in', run: async () => (await import('./commands/logout.js')).logout },
  profiles: {
    summary: 'list the sign-in profiles (one per server or account)',
    run: async () => (await import('./commands/profiles.js')).profiles,
  },
  whoami: { summary: 'show the signed-in account', run: async () => (await import('./commands/whoami.js')).whoami },
  revoke: {
    summary: "revoke users' sessions and refresh tokens (one, many, or --me)",
    run: async () => (await import('./commands/revoke.js')).revoke,
  },
  users: {
    summary: 'list, get, create, disable, enable users; reset passwords',
    run: async () => (await import('./commands/users.js')).users,
  },
  sessions: {
    summary: "list a user's sessions and grants, or revoke one session, one app, or all but one",
    run: async () => (await import('./commands/sessions.js')).sessions,
  },
  apps: {
    summary: 'register applications, manage their secrets, grant consent',
    run: async () => (await import('./commands/apps.js')).apps,
  },
  audit: { summary: 'read the directory audit log', run: async () => (await import('./commands/audit.js')).audit },
  signins: { summary: 'read the sign-in log', run: async () => (await import('./commands/signins.js')).signins },
  keys: { summary: 'list, rotate or withdraw the token signing keys', run: async () => (await import('./commands/keys.js')).keys },
  backup: {
    summary: 'write a consistent snapshot of the SQLite database (safe while serving)',
    run: async () => (await import('./commands/backup.js')).backup,
  },
  restore: {
    summary: 'replace the SQLite database with a checked backup (server stopped)',
    run: async () => (await import('./commands/restore.js')).restore,
  },
};

function version(): string {
  // Two levels up from both src/cli/main.ts and dist/cli/main.js.
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

function help(): string {
  const verbs = Object.entries(VERBS).map(([name, v]) => `  ${name.padEnd(10)}${v.summary}`);
  return [
    'Usage: portcullis <command> [options]',
    '',
    'Portcullis: a self-hostable, Entra-compatible identity provider with provable session revocation.',
    '',
    'Commands:',
    ...verbs,
    '',
    'Options:',
    '  -h, --help     show help (also: portcullis <command> --help)',
    '  -v, --version  print the version',
    '  --profile NAME client commands: use this sign-in profile (or PORTCULLIS_PROFILE; default "default")',
    '',
  ].join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    process.stderr.write(help());
    return 2;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    process.stdout.write(help());
    return 0;
  }
  if (first === '--version' || first === '-v') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const verb = VERBS[first];
  if (!verb) {
    const what = first.startsWith('-') ? 'unknown option' : 'unknown command';
    throw new CliError(`${what} '${first}' (commands: ${Object.keys(VERBS).join(', ')}; see 'portcullis --help')`, 2);
  }
  if (!CLIENT_VERBS.has(first)) return (await verb.run())(rest, process.env);
  const withProfile = takeProfileFlag(rest, process.env);
  // The profile's CA (login --ca-file, or a confirmed fingerprint) for every request of this command.
  await (await import('./auth/profile-trust.js')).trustProfileCa(withProfile.env);
  return (await verb.run())(withProfile.argv, withProfile.env);
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * Exits once stdout and stderr have flushed: writes to a pipe are asynchronous when the reader is
 * slower than us, and process.exit() would drop the tail of e.g. 2,000 jsonl results. An empty
 * write's callback runs after every earlier write on that stream.
 */
function exitAfterFlush(code: number): void {
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

main(process.argv.slice(2)).then(
  (code) => exitAfterFlush(code),
  (e: unknown) => {
    if (e instanceof CliError) {
      process.stderr.write(`portcullis: ${oneLine(e.message)}\n`);
      exitAfterFlush(e.exitCode);
      return;
    }
    // Unexpected: still one line; the details are for a debugger, not for the operator's terminal.
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`portcullis: unexpected error: ${oneLine(message)}\n`);
    exitAfterFlush(1);
  },
);
