/**
 * CLI profiles: one directory per server/account under the CLI config dir,
 * `$XDG_CONFIG_HOME/portcullis/profiles/<name>/` (else `~/.config/portcullis/profiles/<name>/`),
 * mode 0700. Each holds `session.json` (tokens, 0600), `profile.json` (where to sign in, kept by
 * logout so `portcullis login` reuses it), `ca.pem` (the server's CA, 0600) and, while a token
 * refresh runs, `refresh.lock`. The profile is `--profile NAME`, else PORTCULLIS_PROFILE, else
 * "default". The single session file of earlier versions (`portcullis/session.json`) becomes the
 * "default" profile the first time it is looked for.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError, EXIT } from '../cli-error.js';

export const DEFAULT_PROFILE = 'default';
/** A file name on every platform, never a path (no separators, no "..", no leading dot). */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function configDir(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.trim() !== '' ? env.XDG_CONFIG_HOME : join(env.HOME ?? homedir(), '.config');
  return join(base, 'portcullis');
}

export function profileName(env: NodeJS.ProcessEnv): string {
  const name = env.PORTCULLIS_PROFILE && env.PORTCULLIS_PROFILE.trim() !== '' ? env.PORTCULLIS_PROFILE.trim() : DEFAULT_PROFILE;
  if (!NAME.test(name)) throw new CliError(`profile name '${name}' must be letters, digits, '-' or '_' (at most 64)`, EXIT.USAGE);
  return name;
}

export function profilesDir(env: NodeJS.ProcessEnv): string {
  return join(configDir(env), 'profiles');
}

export function profileDir(env: NodeJS.ProcessEnv, name: string = profileName(env)): string {
  return join(profilesDir(env), name);
}

/** Creates the profile directory (0700, the config dir too) and returns it. */
export async function ensureProfileDir(env: NodeJS.ProcessEnv, name: string = profileName(env)): Promise<string> {
  await mkdir(configDir(env), { recursive: true, mode: 0o700 });
  const dir = profileDir(env, name);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  return dir;
}

/**
 * Moves `portcullis/session.json` of a CLI without profiles into the "default" profile, once. A
 * rename in one file system: the session is never in both places or in neither.
 */
export async function migrateLegacySession(env: NodeJS.ProcessEnv): Promise<void> {
  const legacy = join(configDir(env), 'session.json');
  if (!existsSync(legacy)) return;
  const dir = await ensureProfileDir(env, DEFAULT_PROFILE);
  if (existsSync(join(dir, 'session.json'))) return;
  await rename(legacy, join(dir, 'session.json'));
}

/** Owner-only write via a temporary name and rename, so a crash never leaves half a file. */
export async function writePrivateFile(file: string, content: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, content, { mode: 0o600 });
  await chmod(tmp, 0o600); // an existing tmp file keeps its old mode
  await rename(tmp, file);
}

/** Where a profile signs in; written by login, kept by logout, read by a later login. */
export interface ProfileSettings {
  version: 1;
  /** Identity platform origin, without the tenant. */
  authorityOrigin: string;
  tenant: string;
  graphUrl: string;
  clientId: string;
  /** Delegated permissions last asked for (without openid profile offline_access). */
  scopes: string[];
}

export async function readProfileSettings(env: NodeJS.ProcessEnv, name: string = profileName(env)): Promise<ProfileSettings | null> {
  try {
    const parsed = JSON.parse(await readFile(join(profileDir(env, name), 'profile.json'), 'utf8')) as ProfileSettings;
    return parsed.version === 1 ? parsed : null;
  } catch {
    return null; // missing or damaged: login asks for --server again
  }
}

export async function writeProfileSettings(env: NodeJS.ProcessEnv, settings: ProfileSettings): Promise<void> {
  const dir = await ensureProfileDir(env);
  await writePrivateFile(join(dir, 'profile.json'), `${JSON.stringify(settings, null, 2)}\n`);
}

export async function listProfiles(env: NodeJS.ProcessEnv): Promise<string[]> {
  await migrateLegacySession(env);
  try {
    return (await readdir(profilesDir(env), { withFileTypes: true }))
      .filter((d) => d.isDirectory() && NAME.test(d.name))
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
}
