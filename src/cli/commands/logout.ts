/** `portcullis logout`: forgets the cached session (tokens and any client secret) on this machine. */
import { parse } from '../args.js';
import { deleteSession, sessionFile } from '../auth/token-cache.js';
import { EXIT } from '../cli-error.js';
import { stdout } from '../output.js';

export async function logout(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parse(argv, { help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    stdout('Usage: portcullis logout\n\nDeletes the cached session. To end the sessions on the server too, run `portcullis revoke --me` first.\n');
    return EXIT.OK;
  }
  const removed = await deleteSession(env);
  stdout(removed ? `Signed out (removed ${sessionFile(env)}).\n` : 'Not signed in.\n');
  return EXIT.OK;
}
