/**
 * Turns whatever a command ran into — a Graph error answer, a refused token request, a network or
 * TLS failure — into one CliError: one line saying what happened and what to do, and the exit
 * code of its class (cli-error.ts, docs/cli.md).
 */
import { GraphError } from '../sdk/index.js';
import { OAuthError } from './auth/oauth.js';
import { CliError, EXIT, SIGNED_OUT_SENTENCE } from './cli-error.js';
import { missingScopeFix, type ScopeNeed } from './scope-fix.js';

/** What the command was doing, so the line can name the object and the permission it needs. */
export interface FailureContext {
  /** e.g. "revoke the sign-in sessions of 'bob@contoso.com'". */
  action: string;
  /** The object the 404 is about, e.g. "user 'bob@contoso.com'". */
  target?: string;
  /** The permission and role this action needs, named in a 403. */
  needs?: string;
  /** The server, named when it cannot be reached. */
  server?: string;
  /** The delegated scopes the action takes and the signed-in session, to name the login that fixes a 403. */
  scopes?: ScopeNeed;
}

const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

/** fetch() wraps the socket error in `cause` (sometimes twice). */
function causeCode(e: unknown): string | null {
  for (let cur: unknown = e, depth = 0; cur && depth < 4; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && (TLS_CODES.has(code) || NETWORK_CODES.has(code))) return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return null;
}

/** A server certificate Node does not trust (fetch's error, or the socket error in its cause). */
export function isTlsUntrusted(e: unknown): boolean {
  const code = causeCode(e);
  return code !== null && TLS_CODES.has(code);
}

function graphFailure(e: GraphError, ctx: FailureContext): CliError {
  const ids = e.requestId ? ` (request-id ${e.requestId})` : '';
  switch (e.status) {
    case 401:
      return new CliError(SIGNED_OUT_SENTENCE, EXIT.SIGNED_OUT);
    case 403:
      return (
        missingScopeFix(ctx.action, ctx.scopes) ??
        new CliError(
          `insufficient privileges to ${ctx.action}${ctx.needs ? `: this needs ${ctx.needs}` : ''} (${e.code || 'HTTP 403'})`,
          EXIT.FORBIDDEN,
        )
      );
    case 404:
      return new CliError(`${ctx.target ?? 'the object'} was not found${ids}`, EXIT.NOT_FOUND);
    case 429:
      return new CliError(
        `the server is still throttling after several retries (Retry-After ${e.retryAfter ?? '?'} s); try again later`,
        EXIT.FAILURE,
      );
    default:
      return new CliError(`could not ${ctx.action}: HTTP ${e.status} ${e.code}: ${e.message}${ids}`, EXIT.FAILURE);
  }
}

export function toCliError(e: unknown, ctx: FailureContext): CliError {
  if (e instanceof CliError) return e;
  if (e instanceof GraphError) return graphFailure(e, ctx);
  if (e instanceof OAuthError) return new CliError(`sign-in refused: ${e.message}`, EXIT.LOGIN_FAILED);
  const code = causeCode(e);
  const where = ctx.server ? ` at ${ctx.server}` : '';
  if (code !== null && TLS_CODES.has(code)) {
    return new CliError(
      `the TLS certificate of the server${where} is not trusted (${code}); run 'portcullis login --ca-file /path/to/ca.pem' to keep its CA in the profile (or set NODE_EXTRA_CA_CERTS=/path/to/ca.pem)`,
      EXIT.TLS_UNTRUSTED,
    );
  }
  if (code !== null)
    return new CliError(`cannot reach the server${where} (${code}); check the URL and that it is running`, EXIT.UNREACHABLE);
  if (e instanceof Error && e.name === 'TimeoutError') return new CliError(`the server${where} did not answer in time`, EXIT.UNREACHABLE);
  return new CliError(`could not ${ctx.action}: ${e instanceof Error ? e.message : String(e)}`, EXIT.FAILURE);
}
