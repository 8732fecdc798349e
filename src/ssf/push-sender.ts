import { SET_TYP } from './set-builder.js';

/**
 * One RFC 8935 push: POST the SET with `Content-Type: application/secevent+jwt` and
 * `Accept: application/json` (§2.1). 202 Accepted means the receiver has it (§2.2). A 400 carries
 * `{"err", "description"}` (§2.3): the receiver refuses this SET as such, and sending the same
 * bytes again cannot change its mind, so it is a permanent failure. Anything else — another
 * status, a network error, no answer within the timeout — is worth retrying.
 * Redirects are not followed: the receiver registered this exact URL, and following a redirect
 * would hand the SET and its authorization header to whatever the redirect names.
 */
export type PushOutcome =
  | { kind: 'delivered' }
  | { kind: 'rejected'; err: string; description: string }
  | { kind: 'retry'; why: string };

/** Bytes of a 400 body read; a receiver's error description does not need more. */
const MAX_ERROR_BODY = 4096;

export async function pushSet(
  set: string,
  target: { endpointUrl: string; authorizationHeader: string | null },
  timeoutMs: number,
): Promise<PushOutcome> {
  const headers: Record<string, string> = { 'content-type': `application/${SET_TYP}`, accept: 'application/json' };
  if (target.authorizationHeader) headers.authorization = target.authorizationHeader;
  let response: Response;
  try {
    response = await fetch(target.endpointUrl, { method: 'POST', headers, body: set, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    const name = (e as { name?: string }).name;
    return { kind: 'retry', why: name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : 'the endpoint could not be reached' };
  }
  if (response.status === 202) {
    await response.body?.cancel().catch(() => undefined);
    return { kind: 'delivered' };
  }
  if (response.status === 400) return { kind: 'rejected', ...(await readSetError(response)) };
  await response.body?.cancel().catch(() => undefined);
  return { kind: 'retry', why: `the endpoint answered HTTP ${response.status}` };
}

/** The RFC 8935 §2.3 error object, or a stand-in when the body is not one. */
async function readSetError(response: Response): Promise<{ err: string; description: string }> {
  try {
    const text = (await response.text()).slice(0, MAX_ERROR_BODY);
    const body = JSON.parse(text) as { err?: unknown; description?: unknown };
    const err = typeof body.err === 'string' ? body.err.slice(0, 64) : 'invalid_request';
    const description = typeof body.description === 'string' ? body.description.slice(0, 256) : '';
    return { err, description };
  } catch {
    return { err: 'invalid_request', description: 'HTTP 400 without an RFC 8935 error object' };
  }
}
