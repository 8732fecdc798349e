/**
 * The CLI's session file: `session.json` in the profile's directory (auth/profiles.ts), readable
 * by the user only (0600, directories 0700) because it holds a refresh token — and, for app-only
 * sign-in, the client secret, which the CLI needs to get a new token without asking again.
 * Written to a temp file and renamed, so a crash never leaves half a file.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureProfileDir, migrateLegacySession, profileDir, writePrivateFile } from './profiles.js';

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

export function sessionFile(env: NodeJS.ProcessEnv): string {
  return join(profileDir(env), 'session.json');
}

export async function readSession(env: NodeJS.ProcessEnv): Promise<CachedSession | null> {
  await migrateLegacySession(env);
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
  const file = join(await ensureProfileDir(env), 'session.json');
  await writePrivateFile(file, `${JSON.stringify(session, null, 2)}\n`);
  return file;
}

export async function deleteSession(env: NodeJS.ProcessEnv): Promise<boolean> {
  await migrateLegacySession(env);
  const file = sessionFile(env);
  try {
    await rm(file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}
