/** `portcullis profiles [list]`: the sign-in profiles on this machine, who is signed in to which server. */
import { parse } from '../args.js';
import { listProfiles, profileName, readProfileSettings } from '../auth/profiles.js';
import { readSession } from '../auth/token-cache.js';
import { CliError, EXIT } from '../cli-error.js';
import { OUTPUT_FORMATS, stdout, table, writeRecords, type OutputFormat } from '../output.js';

const HELP = `Usage: portcullis profiles [list] [--output text|json|jsonl]

Lists the sign-in profiles: one per server or account, chosen with --profile NAME or
PORTCULLIS_PROFILE (default "default"). The current one is marked with *.
`;

export async function profiles(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parse(argv, { output: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } }, true);
  if (values.help) {
    stdout(HELP);
    return EXIT.OK;
  }
  if (positionals.length > 1 || (positionals[0] !== undefined && positionals[0] !== 'list')) {
    throw new CliError(`unknown profiles command '${positionals.join(' ')}' (list)`, EXIT.USAGE);
  }
  const output = (values.output ?? 'text') as OutputFormat;
  if (!OUTPUT_FORMATS.includes(output)) throw new CliError(`--output must be one of ${OUTPUT_FORMATS.join(', ')}`, EXIT.USAGE);
  const current = profileName(env);
  const rows = [];
  for (const name of await listProfiles(env)) {
    const scoped = { ...env, PORTCULLIS_PROFILE: name };
    const [settings, session] = await Promise.all([readProfileSettings(scoped), readSession(scoped)]);
    rows.push({
      profile: name,
      current: name === current,
      account: session?.account.username ?? null,
      server: session?.graphUrl ?? settings?.graphUrl ?? null,
      signedIn: session !== null,
    });
  }
  if (output === 'text') {
    const lines = table([
      ['', 'PROFILE', 'ACCOUNT', 'SERVER'],
      ...rows.map((r) => [r.current ? '*' : '', r.profile, r.account ?? '(signed out)', r.server ?? '']),
    ]);
    for (const line of lines) stdout(`${line}\n`);
  } else writeRecords(output, rows, () => '');
  return EXIT.OK;
}
