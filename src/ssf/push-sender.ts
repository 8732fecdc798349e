import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
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
export type PushOutcome = { kind: 'delivered' } | { kind: 'rejected'; err: string; description: string } | { kind: 'retry'; why: string };

/** Bytes of a 400 body read; a receiver's error description does not need more. */
const MAX_ERROR_BODY = 4096;

/**
 * Keep-alive connections to the receivers (node:http rather than fetch: a fraction of the CPU per
 * request, which is what a revoke's fan-out to 100 receivers costs on a small machine). A free
 * socket is closed after 4 s idle, before Node's default server keep-alive timeout (5 s), so a
 * reused socket is rarely one the receiver is closing; when it is, see pushSet.
 */
const AGENT_OPTIONS = { keepAlive: true, maxSockets: 32, maxFreeSockets: 32, timeout: 4_000, scheduling: 'lifo' as const };
const httpAgent = new HttpAgent(AGENT_OPTIONS);
const httpsAgent = new HttpsAgent(AGENT_OPTIONS);

export async function pushSet(
  set: string,
  target: { endpointUrl: string; authorizationHeader: string | null },
  timeoutMs: number,
): Promise<PushOutcome> {
  const attempt = await postOnce(set, target, timeoutMs);
  // A kept-alive socket the receiver closed just as it was reused (Node's http docs, "reusedSocket"):
  // the request never reached the receiver's application, so one immediate second try is safe.
  if (attempt.staleSocket) return (await postOnce(set, target, timeoutMs)).outcome;
  return attempt.outcome;
}

function postOnce(
  set: string,
  target: { endpointUrl: string; authorizationHeader: string | null },
  timeoutMs: number,
): Promise<{ outcome: PushOutcome; staleSocket?: boolean }> {
  let url: URL;
  try {
    url = new URL(target.endpointUrl);
  } catch {
    return Promise.resolve({ outcome: { kind: 'retry', why: 'the endpoint could not be reached' } });
  }
  const body = Buffer.from(set, 'utf8');
  const headers: Record<string, string | number> = {
    'content-type': `application/${SET_TYP}`,
    accept: 'application/json',
    'content-length': body.length,
  };
  if (target.authorizationHeader) headers.authorization = target.authorizationHeader;
  const https = url.protocol === 'https:';
  return new Promise((resolve) => {
    let settled = false;
    let req: ClientRequest | null = null;
    let errorBody: Buffer[] | null = null;
    const finish = (outcome: PushOutcome, staleSocket = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ outcome, staleSocket });
    };
    // The whole exchange, queueing for a socket included, is bounded by timeoutMs.
    const timer = setTimeout(() => {
      // A 400 whose body never ends is still a refusal, just without its error object.
      finish(
        errorBody
          ? { kind: 'rejected', ...parseSetError(Buffer.concat(errorBody)) }
          : { kind: 'retry', why: `no answer within ${timeoutMs} ms` },
      );
      req?.destroy();
    }, timeoutMs);
    try {
      req = (https ? httpsRequest : httpRequest)(url, { method: 'POST', headers, agent: https ? httpsAgent : httpAgent });
    } catch {
      finish({ kind: 'retry', why: 'the endpoint could not be reached' });
      return;
    }
    const sent = req;
    sent.on('error', (e: NodeJS.ErrnoException) => {
      finish({ kind: 'retry', why: 'the endpoint could not be reached' }, sent.reusedSocket && e.code === 'ECONNRESET' && !errorBody);
    });
    sent.on('response', (res: IncomingMessage) => {
      if (res.statusCode === 202) {
        res.resume();
        finish({ kind: 'delivered' });
        return;
      }
      if (res.statusCode !== 400) {
        res.resume();
        finish({ kind: 'retry', why: `the endpoint answered HTTP ${res.statusCode}` });
        return;
      }
      const chunks: Buffer[] = (errorBody = []);
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size >= MAX_ERROR_BODY) return;
        chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', () => finish({ kind: 'rejected', ...parseSetError(Buffer.concat(chunks)) }));
      res.on('error', () => finish({ kind: 'rejected', ...parseSetError(Buffer.concat(chunks)) }));
    });
    sent.end(body);
  });
}

/** The RFC 8935 §2.3 error object, or a stand-in when the body is not one. */
function parseSetError(raw: Buffer): { err: string; description: string } {
  try {
    const body = JSON.parse(raw.subarray(0, MAX_ERROR_BODY).toString('utf8')) as { err?: unknown; description?: unknown };
    const err = typeof body.err === 'string' ? body.err.slice(0, 64) : 'invalid_request';
    const description = typeof body.description === 'string' ? body.description.slice(0, 256) : '';
    return { err, description };
  } catch {
    return { err: 'invalid_request', description: 'HTTP 400 without an RFC 8935 error object' };
  }
}
