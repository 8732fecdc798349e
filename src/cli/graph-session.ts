/**
 * A GraphClient for the signed-in CLI session and the command's common options; records response
 * headers for --response-headers.
 */
import { writeFile } from 'node:fs/promises';
import { GraphClient, type ResponseInfo } from '../sdk/index.js';
import type { CommonOptions } from './args.js';
import { requireSession, sessionTokenProvider } from './auth/session.js';
import type { CachedSession } from './auth/token-cache.js';
import type { ScopeNeed } from './scope-fix.js';

export interface GraphSession {
  client: GraphClient;
  session: CachedSession;
  /** Every HTTP answer, in order (for --response-headers). */
  responses: ResponseInfo[];
  /** Writes --response-headers FILE if asked: the last answer's headers, or all of them for bulk. */
  saveResponseHeaders(all: boolean): Promise<void>;
  /** For a 403: the delegated scopes (any of) the call takes, with this session (scope-fix.ts). */
  scopeNeed(anyOf: readonly string[]): ScopeNeed;
}

export async function openGraph(
  env: NodeJS.ProcessEnv,
  common: CommonOptions,
  extra: { maxRetries?: number; signal?: AbortSignal } = {},
): Promise<GraphSession> {
  const session = await requireSession(env);
  const responses: ResponseInfo[] = [];
  const client = new GraphClient({
    baseUrl: session.graphUrl,
    version: common.version,
    token: sessionTokenProvider(env, session),
    headers: { 'user-agent': 'portcullis-cli', ...common.headers },
    onResponse: (r) => {
      // Bounded: a bulk run of 10,000 users makes ~500 batch calls.
      if (common.responseHeadersFile && responses.length < 100_000) responses.push(r);
    },
    ...(extra.maxRetries !== undefined ? { maxRetries: extra.maxRetries } : {}),
    ...(extra.signal ? { signal: extra.signal } : {}),
  });
  return {
    client,
    session,
    responses,
    scopeNeed: (anyOf) => ({ anyOf, session, env }),
    saveResponseHeaders: async (all) => {
      if (!common.responseHeadersFile) return;
      const value = all
        ? responses.map((r) => ({ status: r.status, headers: r.headers }))
        : (responses[responses.length - 1]?.headers ?? {});
      await writeFile(common.responseHeadersFile, `${JSON.stringify(value, null, 2)}\n`);
    },
  };
}
