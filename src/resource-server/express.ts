import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccessTokenClaims } from './access-token.js';
import { BodyTooLarge, MAX_SET_BYTES, readBody } from './read-body.js';
import type { Requirement, ResourceServer } from './resource-server.js';

/**
 * Express adapters. Typed on node:http so express stays the application's dependency, not ours:
 * an Express request and response are an IncomingMessage and a ServerResponse.
 */
export interface RequestWithAuth extends IncomingMessage {
  /** The validated access token's claims, set by the authenticate middleware. */
  auth?: AccessTokenClaims;
  body?: unknown;
}
type Next = (error?: unknown) => void;

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('cache-control', 'no-store');
  res.end(JSON.stringify(body));
}

/**
 * Middleware: 401 with the right challenge (403 insufficient_scope when the token lacks the
 * `required` scope or role), or `req.auth` set and next().
 */
export function expressAuthenticate(rs: ResourceServer, required?: Requirement) {
  return (req: RequestWithAuth, res: ServerResponse, next: Next): void => {
    rs.authenticate(req.headers.authorization, required).then((outcome) => {
      if (outcome.ok) {
        req.auth = outcome.claims;
        next();
      } else {
        sendJson(res, outcome.status, outcome.body, { 'www-authenticate': outcome.wwwAuthenticate });
      }
    }, next);
  };
}

/**
 * The RFC 8935 push endpoint: mount with `app.post(path, expressPushReceiver(rs))` before any
 * body parser that would consume `application/secevent+jwt` (a text parser's string is used too).
 */
export function expressPushReceiver(rs: ResourceServer) {
  return (req: RequestWithAuth, res: ServerResponse, next: Next): void => {
    const body =
      typeof req.body === 'string'
        ? Promise.resolve(req.body)
        : Buffer.isBuffer(req.body)
          ? Promise.resolve(req.body.toString('utf8'))
          : readBody(req, MAX_SET_BYTES);
    body
      .then((text) => rs.receivePush({ contentType: req.headers['content-type'], authorization: req.headers.authorization, body: text }))
      .then((outcome) => {
        if (outcome.status === 202) {
          res.statusCode = 202;
          res.end();
        } else
          sendJson(res, outcome.status, outcome.body, outcome.status === 503 ? { 'retry-after': String(outcome.retryAfterSeconds) } : {});
      })
      .catch((error: unknown) => {
        if (error instanceof BodyTooLarge) sendJson(res, 400, { err: 'invalid_request', description: 'The SET is too large.' });
        else next(error);
      });
  };
}
