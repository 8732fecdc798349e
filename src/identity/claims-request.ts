import { InvalidRequest } from './oauth-errors.js';

/**
 * The `claims` request parameter (OpenID Connect Core §5.5) as Entra uses it for Continuous
 * Access Evaluation (https://learn.microsoft.com/entra/identity-platform/claims-challenge):
 * - a client declares capabilities with `{"access_token":{"xms_cc":{"values":["cp1"]}}}`
 *   (MSAL's `clientCapabilities: ['CP1']` adds this to every /authorize and /token request);
 * - a client answering a resource's claims challenge sends the decoded challenge, e.g.
 *   `{"access_token":{"nbf":{"essential":true,"value":"1604106651"}}}`, merged with the above.
 * Only those two requests change what Portcullis issues; any other well-formed claim request is
 * accepted and ignored (§5.5: the server need not honour every request). A malformed one is
 * refused with invalid_request, because silently dropping it could drop a challenge.
 */
export interface ClaimsRequest {
  /** Declared client capabilities Portcullis knows (lower-case, sorted); today only `cp1`. */
  clientCapabilities: string[];
  /** `access_token.nbf.value` when essential: tokens must not predate it (epoch seconds). */
  notBefore: number | null;
}

export const NO_CLAIMS: ClaimsRequest = Object.freeze({ clientCapabilities: [], notBefore: null });

/** Capabilities Entra documents; values are case-insensitive (https://learn.microsoft.com/entra/identity-platform/claims-challenge). */
const KNOWN_CAPABILITIES: readonly string[] = ['cp1'];
/** The claims request travels in URLs; anything longer than this is not a real client's. */
const MAX_LENGTH = 4096;
const MEMBERS: readonly string[] = ['access_token', 'id_token', 'userinfo'];

/** AADSTS90023 (InvalidRequest) is Entra's generic code for a request it cannot read. */
const malformed = (why: string) => new InvalidRequest(90023, `The claims parameter is not valid: ${why}`);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** OIDC Core §5.5.1: each requested claim is null or an object with essential / value / values. */
function checkClaimRequest(name: string, request: unknown): void {
  if (request === null) return;
  if (!isObject(request)) throw malformed(`the request for '${name.slice(0, 50)}' must be null or an object.`);
  if ('essential' in request && typeof request.essential !== 'boolean')
    throw malformed(`'${name.slice(0, 50)}.essential' must be a boolean.`);
  if ('values' in request && !Array.isArray(request.values)) throw malformed(`'${name.slice(0, 50)}.values' must be an array.`);
}

function capabilitiesOf(xmsCc: unknown): string[] {
  if (!isObject(xmsCc) || !Array.isArray(xmsCc.values)) return [];
  const declared = new Set<string>();
  for (const v of xmsCc.values) {
    if (typeof v !== 'string') throw malformed("'xms_cc.values' must hold strings.");
    const lower = v.toLowerCase();
    if (KNOWN_CAPABILITIES.includes(lower)) declared.add(lower);
  }
  return [...declared].sort();
}

function notBeforeOf(nbf: unknown): number | null {
  if (!isObject(nbf) || nbf.essential !== true || nbf.value === undefined) return null;
  const value = nbf.value;
  // Entra's challenges carry the time as a string of digits; accept a JSON number too.
  const seconds = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,12}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(seconds) || seconds < 0) throw malformed("'access_token.nbf.value' must be a time in seconds since the epoch.");
  return seconds;
}

/** Parses and validates the parameter; undefined (absent) means no claims were requested. */
export function parseClaimsRequest(raw: string | undefined): ClaimsRequest {
  if (raw === undefined) return NO_CLAIMS;
  if (raw.length > MAX_LENGTH) throw malformed(`it is longer than ${MAX_LENGTH} characters.`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw malformed('it is not JSON.');
  }
  if (!isObject(parsed)) throw malformed('it must be a JSON object.');
  for (const member of MEMBERS) {
    const requests = parsed[member];
    if (requests === undefined) continue;
    if (!isObject(requests)) throw malformed(`'${member}' must be an object.`);
    for (const [name, request] of Object.entries(requests)) checkClaimRequest(name, request);
  }
  const accessToken = isObject(parsed.access_token) ? parsed.access_token : {};
  return { clientCapabilities: capabilitiesOf(accessToken.xms_cc), notBefore: notBeforeOf(accessToken.nbf) };
}

/** Capabilities persisted with a grant plus those the current request declares. */
export function mergeCapabilities(a: readonly string[] | undefined, b: readonly string[]): string[] {
  return [...new Set([...(a ?? []), ...b])].sort();
}

/** True if the CAE capability is among them (Graph only challenges clients that declared cp1: https://learn.microsoft.com/entra/identity-platform/claims-challenge). */
export const hasCp1 = (capabilities: readonly string[] | undefined): boolean => (capabilities ?? []).includes('cp1');
