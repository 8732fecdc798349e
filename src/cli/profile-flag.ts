/**
 * `--profile NAME` on any client command (login, logout, whoami, revoke, users, audit, profiles):
 * taken out of the arguments here and passed on as PORTCULLIS_PROFILE, so every command and the
 * session code read the profile from one place (auth/profiles.ts).
 */
import { CliError, EXIT } from './cli-error.js';

export const CLIENT_VERBS = new Set(['login', 'logout', 'whoami', 'revoke', 'users', 'sessions', 'audit', 'profiles']);

export function takeProfileFlag(argv: readonly string[], env: NodeJS.ProcessEnv): { argv: string[]; env: NodeJS.ProcessEnv } {
  const rest: string[] = [];
  let profile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (a === '--profile') {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('-')) throw new CliError("option '--profile NAME' needs a profile name", EXIT.USAGE);
      profile = next;
      i++;
    } else if (a.startsWith('--profile=')) profile = a.slice('--profile='.length);
    else rest.push(a);
  }
  return { argv: rest, env: profile === undefined ? env : { ...env, PORTCULLIS_PROFILE: profile } };
}
