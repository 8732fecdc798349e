/**
 * The CLI's session file: `$XDG_CONFIG_HOME/portcullis/session.json` (else
 * `~/.config/portcullis/session.json`), readable by the user only (0600, directory 0700) because
 * it holds a refresh token — and, for app-only sign-in, the client secret, which the CLI needs to
 * get a new token without asking again. Written to a temp file and renamed, so a crash never
 * leaves half a file.
 */
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface CachedSession {
  version: 1;
  kind: 'delegated' | 'app';
  /** `{authority}/{tenant}`, the base of the identity endpoints. */
  authority: string;
  tokenEndpoint: string;
  /** Origin of the Graph-compatible API. */
  graphUrl: string;
  clientId: string;
  /** The scope string sent on every token request. */
  scope: string;
  /** Who: UPN (delegated) or app id (app-only); tenant id and object id from the token. */
  account: { username: string; tenantId: string | null; objectId: string | null };
  accessToken: string;
  /** ms since epoch. */
  expiresAt: number;
  refreshToken: string | null;
  clientSecret: string | null;
}

export function configDir(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.trim() !== '' ? env.XDG_CONFIG_HOME : join(env.HOME ?? homedir(), '.config');
  return join(base, 'portcullis');
}

export function sessionFile(env: NodeJS.ProcessEnv): string {
  return join(configDir(env), 'session.json');
}

export async function readSession(env: NodeJS.ProcessEnv): Promise<CachedSession | null> {
  let raw: string;
  try {
    raw = await readFile(sessionFile(env), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    const parsed = JSON.parse(raw) as CachedSession;
    return parsed.version === 1 ? parsed : null;
  } catch {
    return null; // a damaged file is the same as no sign-in
  }
}

export async function writeSession(env: NodeJS.ProcessEnv, session: CachedSession): Promise<string> {
  const dir = configDir(env);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = sessionFile(env);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(session, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600); // the umask may have widened nothing, but an existing tmp keeps its mode
  await rename(tmp, file);
  return file;
}

export async function deleteSession(env: NodeJS.ProcessEnv): Promise<boolean> {
  const file = sessionFile(env);
  try {
    await rm(file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}
