/** `portcullis whoami`: who the cached session is, where, with which permissions. No network call. */
import { parse } from '../args.js';
import { jwtClaims } from '../auth/oauth.js';
import { profileName } from '../auth/profiles.js';
import { requireSession } from '../auth/session.js';
import { CliError, EXIT } from '../cli-error.js';
import { OUTPUT_FORMATS, stdout, writeObject, type OutputFormat } from '../output.js';

export async function whoami(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parse(argv, { output: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    stdout('Usage: portcullis whoami [--profile NAME] [--output text|json|jsonl]\n');
    return EXIT.OK;
  }
  const output = (values.output ?? 'text') as OutputFormat;
  if (!OUTPUT_FORMATS.includes(output)) throw new CliError(`--output must be one of ${OUTPUT_FORMATS.join(', ')}`, EXIT.USAGE);
  const s = await requireSession(env);
  const claims = jwtClaims(s.accessToken);
  const permissions =
    s.kind === 'app' ? (Array.isArray(claims.roles) ? claims.roles.join(' ') : '') : typeof claims.scp === 'string' ? claims.scp : '';
  writeObject(output, {
    profile: profileName(env),
    account: s.account.username,
    kind: s.kind === 'app' ? 'app-only' : 'delegated',
    tenant: s.account.tenantId,
    objectId: s.account.objectId,
    clientId: s.clientId,
    authority: s.authority,
    graph: s.graphUrl,
    permissions,
    accessTokenExpires: new Date(s.expiresAt).toISOString(),
  });
  return EXIT.OK;
}
