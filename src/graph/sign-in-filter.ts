/**
 * `$filter` of `/auditLogs/signIns`: clauses joined by `and`, each one Graph documents as
 * filterable on signIn (https://learn.microsoft.com/graph/api/signin-list):
 *
 *   userId | userPrincipalName | appId eq '…'
 *   servicePrincipalId eq '…'                                               (beta only)
 *   createdDateTime ge | le | gt | lt 2024-05-01T00:00:00Z
 *   status/errorCode eq 50126
 *   signInEventTypes/any(t: t eq 'interactiveUser' | 'nonInteractiveUser'
 *                               | 'servicePrincipal' | 'managedIdentity')    (beta only)
 *
 * Anything else is refused (400), never ignored, so a client never gets unfiltered rows.
 */
import type { SignInEventType, SignInQuery } from '../core/sign-in.js';
import { RequestUnsupportedQuery } from './errors.js';
import type { GraphVersion } from './http.js';

export type SignInFilter = Omit<SignInQuery, 'tenantId' | 'limit' | 'before'>;

const STRING_EQ = /^(userId|userPrincipalName|appId|servicePrincipalId)\s+eq\s+'((?:[^']|'')*)'$/i;
const CREATED = /^createdDateTime\s+(ge|le|gt|lt)\s+(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(?:Z|[+-]\d{2}:\d{2}))$/i;
const ERROR_CODE = /^status\/errorCode\s+eq\s+(\d{1,9})$/i;
const EVENT_TYPE =
  /^signInEventTypes\/any\(\s*([A-Za-z]\w*)\s*:\s*([A-Za-z]\w*)\s+eq\s+'(interactiveUser|nonInteractiveUser|servicePrincipal|managedIdentity)'\s*\)$/i;
const EVENT_TYPES: readonly SignInEventType[] = ['interactiveUser', 'nonInteractiveUser', 'servicePrincipal', 'managedIdentity'];

const unsupported = (clause: string) =>
  new RequestUnsupportedQuery(`Invalid filter clause: '${clause.slice(0, 200)}' is not supported on signIns.`);

/** Splits on ` and ` outside string literals. */
function clauses(raw: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch === "'") quoted = !quoted;
    if (!quoted && /^\sand\s/i.test(raw.slice(i, i + 5))) {
      out.push(current.trim());
      current = '';
      i += 3;
      continue;
    }
    current += ch;
  }
  out.push(current.trim());
  return out;
}

export function parseSignInFilter(raw: string | undefined, version: GraphVersion): SignInFilter {
  const f: SignInFilter = {};
  if (raw === undefined || raw.trim() === '') return f;
  for (const clause of clauses(raw)) {
    let m: RegExpExecArray | null;
    if ((m = STRING_EQ.exec(clause))) {
      const value = m[2]!.replace(/''/g, "'");
      const name = m[1]!.toLowerCase();
      if (name === 'userid') f.userId = value.toLowerCase();
      else if (name === 'userprincipalname') f.userPrincipalName = value;
      else if (name === 'appid') f.appId = value;
      // A beta property (https://learn.microsoft.com/graph/api/resources/signin?view=graph-rest-beta).
      else if (version === 'beta') f.servicePrincipalId = value.toLowerCase();
      else throw unsupported(clause);
    } else if ((m = CREATED.exec(clause))) {
      const at = Date.parse(m[2]!);
      if (!Number.isFinite(at)) throw unsupported(clause);
      const op = m[1]!.toLowerCase();
      if (op === 'ge' || op === 'gt') f.from = Math.max(f.from ?? -Infinity, op === 'gt' ? at + 1 : at);
      else f.to = Math.min(f.to ?? Infinity, op === 'lt' ? at - 1 : at);
    } else if ((m = ERROR_CODE.exec(clause))) {
      f.errorCode = Number(m[1]);
    } else if ((m = EVENT_TYPE.exec(clause)) && version === 'beta' && m[1] === m[2]) {
      const asked = m[3]!.toLowerCase();
      f.eventType = EVENT_TYPES.find((t) => t.toLowerCase() === asked);
    } else {
      throw unsupported(clause);
    }
  }
  return f;
}
