/**
 * `portcullis logout [--profile NAME]`: forgets the profile's cached session (tokens and any client
 * secret) on this machine. Where the profile signs in and its CA stay, so `portcullis login`
 * needs no --server afterwards.
 */
import { parse } from '../args.js';
import { profileName } from '../auth/profiles.js';
import { deleteSession, sessionFile } from '../auth/token-cache.js';
import { EXIT } from '../cli-error.js';
import { stdout } from '../output.js';

export async function logout(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parse(argv, { help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    stdout(
      "Usage: portcullis logout [--profile NAME]\n\nDeletes the profile's cached session. To end the sessions on the server too, run `portcullis revoke --me` first.\n",
    );
    return EXIT.OK;
  }
  const removed = await deleteSession(env);
  stdout(
    removed
      ? `Signed out of profile '${profileName(env)}' (removed ${sessionFile(env)}).\n`
      : `Not signed in (profile '${profileName(env)}').\n`,
  );
  return EXIT.OK;
}
