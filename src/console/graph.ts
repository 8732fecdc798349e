/**
 * Graph calls on behalf of a console session: the session's access token, renewed with its refresh
 * token shortly before it expires. A 401 (the user was revoked, disabled or deleted; the grant was
 * cut) or a failed renewal ends the console session: the browser is sent to sign in again.
 */
import { AREAS } from './areas.js';
import { CONSOLE_APP_ID } from './registration.js';
import type { ConsoleRuntime } from './runtime.js';
import type { ConsoleSession } from './session-store.js';

/** The console session no longer holds a usable token. */
export class SignInAgain extends Error {
  constructor() {
    super('sign in again');
    this.name = 'SignInAgain';
  }
}

/** A Graph answer the page shows (403 with the server's reason, 404, 400 with Graph's message). */
export class GraphRefused extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'GraphRefused';
  }
}

const RENEW_BEFORE_MS = 60_000;

interface TokenAnswer {
  access_token?: string;
  refresh_token?: string;
  id_token?: string;
  expires_in?: number;
}

export function tokenPath(rt: ConsoleRuntime): string {
  return `/${rt.services.tenant.id}/oauth2/v2.0/token`;
}

async function renew(rt: ConsoleRuntime, session: ConsoleSession): Promise<void> {
  if (!session.refreshToken) throw new SignInAgain();
  const res = await rt.http.send('POST', tokenPath(rt), {
    form: {
      grant_type: 'refresh_token',
      client_id: CONSOLE_APP_ID,
      refresh_token: session.refreshToken,
      scope: AREAS[session.area].scopes,
    },
  });
  const body = res.body as TokenAnswer;
  if (res.status !== 200 || !body.access_token) throw new SignInAgain();
  session.accessToken = body.access_token;
  session.accessExpiresAt = rt.services.clock.now() + (body.expires_in ?? 0) * 1000;
  if (body.refresh_token) session.refreshToken = body.refresh_token;
}

export async function graph<T = Record<string, unknown>>(
  rt: ConsoleRuntime,
  session: ConsoleSession,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  json?: unknown,
  headers?: Record<string, string>,
): Promise<T> {
  if (session.accessExpiresAt - RENEW_BEFORE_MS <= rt.services.clock.now()) await renew(rt, session);
  const res = await rt.http.send(method, path.startsWith('http') ? path : `/v1.0${path}`, {
    bearer: session.accessToken,
    ...(json !== undefined ? { json } : {}),
    ...(headers ? { headers } : {}),
  });
  if (res.status === 401) {
    rt.sessions.delete(session.id);
    throw new SignInAgain();
  }
  if (res.status >= 400) {
    const err = (res.body as { error?: { code?: string; message?: string } })?.error;
    throw new GraphRefused(res.status, err?.code ?? 'error', err?.message ?? `HTTP ${res.status}`);
  }
  return res.body as T;
}

/** A Graph read the page can do without (a section the user's role may not read): null on 403. */
export async function graphOrNull<T = Record<string, unknown>>(
  rt: ConsoleRuntime,
  session: ConsoleSession,
  path: string,
): Promise<T | null> {
  try {
    return await graph<T>(rt, session, 'GET', path);
  } catch (e) {
    if (e instanceof GraphRefused && e.status === 403) return null;
    throw e;
  }
}

/** A string literal inside an OData $filter: single quotes doubled. */
export const odataString = (s: string): string => `'${s.replace(/'/g, "''")}'`;
