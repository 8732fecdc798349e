#!/usr/bin/env node
/**
 * The `portcullis` command: dispatches to one module per verb. Any failure becomes a single
 * `portcullis: <message>` line on stderr — operators read it, scripts test the exit code
 * (2 = bad configuration or usage, 1 = runtime failure) — and never a stack trace.
 */
import { readFileSync } from 'node:fs';
import { CliError } from './serve-options.js';

type Verb = (argv: readonly string[], env: NodeJS.ProcessEnv) => Promise<number>;

// Verbs load lazily so `--help` and `--version` stay fast and do not open native modules.
const VERBS: Record<string, { summary: string; run: () => Promise<Verb> }> = {
  serve: { summary: 'run the identity provider and Graph-compatible API', run: async () => (await import('./serve.js')).serve },
  migrate: { summary: 'apply pending database schema migrations and exit', run: async () => (await import('./migrate.js')).migrate },
  keys: { summary: 'list or rotate the token signing keys', run: async () => (await import('./keys.js')).keys },
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
  return (await verb.run())(rest, process.env);
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof CliError) {
      process.stderr.write(`portcullis: ${oneLine(e.message)}\n`);
      process.exit(e.exitCode);
    }
    // Unexpected: still one line; the details are for a debugger, not for the operator's terminal.
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`portcullis: unexpected error: ${oneLine(message)}\n`);
    process.exit(1);
  },
);
