import { errors, jwtVerify, type JWTPayload } from 'jose';
import type { JsonObject } from './access-token.js';
import { ALGORITHMS, protectedHeader } from './compact-jws.js';
import type { IssuerKeys } from './issuer-keys.js';
import type { Revocation } from './revocation-list.js';

/**
 * Validation of a Security Event Token (RFC 8417) as the SSF 1.0 profile has it, and what its
 * CAEP events mean for the middleware:
 * - a compact JWS in canonical base64url (compact-jws.ts),
 * - header `typ` is `secevent+jwt` (SSF 1.0 §4.1.1 explicit typing; RFC 8417 §2.3),
 * - signed by a key of the transmitter's JWKS (verified with jose's jwtVerify), `iss` is the transmitter, `aud` names the stream's
 *   audience (RFC 8935 §2.2 / RFC 8936 §2.4 checks),
 * - no `sub` and no `exp` (SSF 1.0 §4.1.3, §4.1.6), `jti`, `iat` and `events` present.
 * Failures carry the RFC 8935 §2.3 / IANA "Security Event Token Error Codes" `err` value.
 */
export type SetErrorCode =
  | 'invalid_request'
  | 'invalid_key'
  | 'invalid_issuer'
  | 'invalid_audience'
  | 'authentication_failed'
  | 'access_denied';

export interface SetRules {
  issuer: string;
  audiences: ReadonlySet<string>;
  tenantId: string;
}

export interface VerifiedSet {
  ok: true;
  jti: string;
  /** Revocations the SET carries for this tenant (none for other events). */
  revocations: Revocation[];
  /** The `state` of an SSF verification event (SSF 1.0 §8.1.4.1), if this was one. */
  verificationState?: string | null;
}

/**
 * `transient`: the SET could not be checked now (its key is new and the JWKS could not be
 * refetched yet); it must not be acknowledged, so the transmitter delivers it again.
 */
export type SetResult = VerifiedSet | { ok: false; err: SetErrorCode; description: string; transient?: true };

export const CAEP = 'https://schemas.openid.net/secevent/caep/event-type/';
export const SESSION_REVOKED = `${CAEP}session-revoked`;
export const CREDENTIAL_CHANGE = `${CAEP}credential-change`;
export const SSF_VERIFICATION = 'https://schemas.openid.net/secevent/ssf/event-type/verification';
/** The events a receiver of this middleware asks for when it creates its stream. */
export const EVENTS_REQUESTED = [SESSION_REVOKED, CREDENTIAL_CHANGE] as const;

const SET_TYPES = new Set(['secevent+jwt', 'application/secevent+jwt']);

const reject = (err: SetErrorCode, description: string): SetResult => ({ ok: false, err, description });
const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

export async function verifySecurityEventToken(token: string, keys: IssuerKeys, rules: SetRules): Promise<SetResult> {
  const compact = token.trim();
  const header = protectedHeader(compact);
  if (!header) return reject('invalid_request', 'The body is not a compact JWS.');
  if (typeof header.typ !== 'string' || !SET_TYPES.has(header.typ.toLowerCase()))
    return reject('invalid_request', 'The JWT typ is not secevent+jwt.');
  if (header.alg !== 'RS256' || typeof header.kid !== 'string')
    return reject('invalid_key', 'The SET is not signed with an RS256 key of the transmitter.');
  const key = await keys.lookup(header.kid);
  if (key === 'unavailable')
    return { ok: false, err: 'invalid_key', description: "The SET's signing key cannot be fetched right now.", transient: true };
  if (key !== 'found') return reject('invalid_key', 'The SET is signed with an unknown key.');
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(compact, keys.getKey, { algorithms: ALGORITHMS, issuer: rules.issuer, audience: [...rules.audiences] }));
  } catch (e) {
    if (e instanceof errors.JWTClaimValidationFailed && e.claim === 'iss') return reject('invalid_issuer', 'The SET has another issuer.');
    if (e instanceof errors.JWTClaimValidationFailed && e.claim === 'aud')
      return reject('invalid_audience', 'The SET is for another audience.');
    if (e instanceof errors.JWSSignatureVerificationFailed || e instanceof errors.JWKSNoMatchingKey)
      return reject('invalid_key', 'The SET signature is invalid.');
    return reject('invalid_request', 'The SET is not a valid JWT.');
  }
  if ('sub' in payload || 'exp' in payload) return reject('invalid_request', 'An SSF SET carries neither sub nor exp.');
  if (typeof payload.jti !== 'string' || payload.jti === '' || typeof payload.iat !== 'number')
    return reject('invalid_request', 'The SET lacks jti or iat.');
  if (!isObject(payload.events) || Object.keys(payload.events).length === 0) return reject('invalid_request', 'The SET has no events.');
  return interpret(payload, payload.jti, payload.iat, rules);
}

function interpret(payload: JsonObject, jti: string, iat: number, rules: SetRules): VerifiedSet {
  const events = payload.events as JsonObject;
  const result: VerifiedSet = { ok: true, jti, revocations: [] };
  for (const [type, body] of Object.entries(events)) {
    const event = isObject(body) ? body : {};
    if (type === SSF_VERIFICATION) {
      result.verificationState = typeof event.state === 'string' ? event.state : null;
      continue;
    }
    // A credential change (password reset) revokes in Portcullis like revokeSignInSessions
    // (docs/revocation-model.md); other event types are not revocations.
    if (type !== SESSION_REVOKED && type !== CREDENTIAL_CHANGE) continue;
    // CAEP §3.1: event_timestamp is when the revocation happened; without it the SET's issue
    // time is a safe upper bound (it refuses at least every token the event could cover).
    const revokedAt = typeof event.event_timestamp === 'number' ? event.event_timestamp : iat;
    result.revocations.push(...subjectsOf(payload.sub_id, rules.tenantId).map((s) => ({ ...s, revokedAt })));
  }
  return result;
}

/**
 * The complex subject Portcullis sends (SSF 1.0 §3.3; CAEP examples):
 * `{"format":"complex","user":{"format":"opaque","id":<oid>},"tenant":{"format":"opaque","id":<tid>},"session"?:{…}}`.
 * A session member narrows the revocation to that session (`sid`); events about another tenant
 * are not ours.
 */
function subjectsOf(subId: unknown, tenantId: string): Array<{ kind: 'user' | 'session'; id: string }> {
  if (!isObject(subId) || subId.format !== 'complex') return [];
  const opaqueId = (member: unknown): string | null =>
    isObject(member) && member.format === 'opaque' && typeof member.id === 'string' && member.id !== '' ? member.id : null;
  const tenant = subId.tenant === undefined ? tenantId : opaqueId(subId.tenant);
  if (tenant !== tenantId) return [];
  const session = opaqueId(subId.session);
  if (session) return [{ kind: 'session', id: session }];
  const user = opaqueId(subId.user);
  return user ? [{ kind: 'user', id: user }] : [];
}
