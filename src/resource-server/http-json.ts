/** The fetch the middleware uses (global fetch by default; an app may pass one with its own agent). */
export type Fetch = typeof fetch;

/** Bounded so a stalled issuer cannot hold a request of the protected API for long. */
export const HTTP_TIMEOUT_MS = 10_000;

export class FetchError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'FetchError';
  }
}

/** GETs or POSTs JSON and returns the parsed object; any non-2xx status or non-JSON body throws. */
export async function fetchJson(fetchImpl: Fetch, url: string, init: RequestInit = {}): Promise<Record<string, unknown>> {
  const response = await fetchImpl(url, { ...init, signal: init.signal ?? AbortSignal.timeout(HTTP_TIMEOUT_MS) });
  const text = await response.text();
  // The URL, never the body: a token endpoint's answer may carry a token.
  if (!response.ok) throw new FetchError(`${init.method ?? 'GET'} ${url} answered ${response.status}`, response.status);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new FetchError(`${url} did not answer JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new FetchError(`${url} did not answer a JSON object`);
  return value as Record<string, unknown>;
}
