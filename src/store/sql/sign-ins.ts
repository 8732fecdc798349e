import type { ActivityUpdate, SignIn, SignInActivity, SignInQuery } from '../../core/sign-in.js';

/**
 * Sign-in log SQL both dialects read alike (the sign_ins and sign_in_activity tables, migration
 * 110; the service principal columns, migration 190). Flags and times are integers in both, so the
 * rows map the same way. principal_type is 'user' (rows older than migration 190 got it as the
 * column's default) or 'servicePrincipal'; with is_interactive it gives Graph's signInEventTypes.
 */
export const SIGN_IN_COLUMNS = [
  'id',
  'tenant_id',
  'created_at',
  'user_id',
  'user_principal_name',
  'user_display_name',
  'app_id',
  'app_display_name',
  'ip_address',
  'user_agent',
  'client_app_used',
  'correlation_id',
  'is_interactive',
  'error_code',
  'failure_reason',
  'authentication_protocol',
  'resource_id',
  'resource_display_name',
  'principal_type',
  'service_principal_id',
  'service_principal_name',
  'client_credential_type',
  'service_principal_key_id',
] as const;

/** The VALUES tuples of `rows` entries (`(?, …), (?, …)`); `ON CONFLICT (id) DO NOTHING` keeps a retried batch single. */
export function insertSignInsSql(rows: number): string {
  const tuple = `(${SIGN_IN_COLUMNS.map(() => '?').join(', ')})`;
  return `INSERT INTO sign_ins (${SIGN_IN_COLUMNS.join(', ')}) VALUES ${Array(rows).fill(tuple).join(', ')} ON CONFLICT (id) DO NOTHING`;
}

export const signInArgs = (e: SignIn): unknown[] => [
  e.id,
  e.tenantId,
  e.createdAt,
  e.userId,
  e.userPrincipalName,
  e.userDisplayName,
  e.appId,
  e.appDisplayName,
  e.ipAddress,
  e.userAgent,
  e.clientAppUsed,
  e.correlationId,
  e.isInteractive ? 1 : 0,
  e.errorCode,
  e.failureReason,
  e.authenticationProtocol,
  e.resourceId,
  e.resourceDisplayName,
  e.servicePrincipal ? 'servicePrincipal' : 'user',
  e.servicePrincipal?.id ?? null,
  e.servicePrincipal?.name ?? null,
  e.servicePrincipal?.clientCredentialType ?? null,
  e.servicePrincipal?.credentialKeyId ?? null,
];

type Row = Record<string, unknown>;
const optStr = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const optNum = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export function toSignIn(r: Row): SignIn {
  const entry: SignIn = {
    id: String(r.id),
    tenantId: String(r.tenant_id),
    createdAt: Number(r.created_at),
    userId: String(r.user_id),
    userPrincipalName: String(r.user_principal_name),
    userDisplayName: String(r.user_display_name),
    appId: String(r.app_id),
    appDisplayName: String(r.app_display_name),
    ipAddress: optStr(r.ip_address),
    userAgent: optStr(r.user_agent),
    clientAppUsed: String(r.client_app_used) as SignIn['clientAppUsed'],
    correlationId: String(r.correlation_id),
    isInteractive: Number(r.is_interactive) === 1,
    errorCode: Number(r.error_code),
    failureReason: optStr(r.failure_reason),
    authenticationProtocol: String(r.authentication_protocol) as SignIn['authenticationProtocol'],
    resourceId: optStr(r.resource_id),
    resourceDisplayName: optStr(r.resource_display_name),
  };
  if (r.principal_type === 'servicePrincipal') {
    entry.servicePrincipal = {
      id: String(r.service_principal_id ?? ''),
      name: String(r.service_principal_name ?? ''),
      clientCredentialType: String(r.client_credential_type) as NonNullable<SignIn['servicePrincipal']>['clientCredentialType'],
      credentialKeyId: optStr(r.service_principal_key_id),
    };
  }
  return entry;
}

/**
 * The condition for one event type. Literals, not parameters, so that both planners can use the
 * partial indexes on service principal rows (migration 190) for 'servicePrincipal'.
 */
const EVENT_TYPE_CONDITION: Readonly<Record<NonNullable<SignInQuery['eventType']>, string>> = {
  interactiveUser: "principal_type = 'user' AND is_interactive = 1",
  nonInteractiveUser: "principal_type = 'user' AND is_interactive = 0",
  servicePrincipal: "principal_type = 'servicePrincipal'",
  // Never recorded: Portcullis has no managed identities.
  managedIdentity: '1 = 0',
};

/** A time moves forward only: the stored one stays when the batch's is older (or absent). */
const newer = (at: string, col: string): string =>
  `${col} = CASE WHEN excluded.${at} >= COALESCE(sign_in_activity.${at}, -1) THEN excluded.${col} ELSE sign_in_activity.${col} END`;

/** The table and columns every activity upsert writes, in activityArgs' order (user id first here). */
export const ACTIVITY_INSERT = `INSERT INTO sign_in_activity (user_id, last_sign_in_at, last_sign_in_request_id, last_non_interactive_at,
    last_non_interactive_request_id, last_successful_at, last_successful_request_id)`;

/** What an upsert does to a user's existing row: each time moves forward only (`newer`). */
export const ACTIVITY_ON_CONFLICT = `ON CONFLICT (user_id) DO UPDATE SET
    ${newer('last_sign_in_at', 'last_sign_in_request_id')},
    ${newer('last_sign_in_at', 'last_sign_in_at')},
    ${newer('last_non_interactive_at', 'last_non_interactive_request_id')},
    ${newer('last_non_interactive_at', 'last_non_interactive_at')},
    ${newer('last_successful_at', 'last_successful_request_id')},
    ${newer('last_successful_at', 'last_successful_at')}`;

/**
 * One user's signInActivity moved forward; nothing for a user that no longer exists (the SELECT
 * finds no row). The casts give PostgreSQL the parameter types; SQLite accepts them as they are.
 */
export const UPSERT_ACTIVITY = `${ACTIVITY_INSERT}
  SELECT id, CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS TEXT) FROM users WHERE id = ?
  ${ACTIVITY_ON_CONFLICT}`;

export const activityArgs = (u: ActivityUpdate): unknown[] => [
  u.lastSignInAt,
  u.lastSignInRequestId,
  u.lastNonInteractiveSignInAt,
  u.lastNonInteractiveSignInRequestId,
  u.lastSuccessfulSignInAt,
  u.lastSuccessfulSignInRequestId,
  u.userId,
];

export function toActivity(r: Row): SignInActivity {
  return {
    lastSignInAt: optNum(r.last_sign_in_at),
    lastSignInRequestId: optStr(r.last_sign_in_request_id),
    lastNonInteractiveSignInAt: optNum(r.last_non_interactive_at),
    lastNonInteractiveSignInRequestId: optStr(r.last_non_interactive_request_id),
    lastSuccessfulSignInAt: optNum(r.last_successful_at),
    lastSuccessfulSignInRequestId: optStr(r.last_successful_request_id),
  };
}

export const SELECT_SIGN_IN = 'SELECT * FROM sign_ins WHERE tenant_id = ? AND id = ?';

export function selectActivitySql(count: number): string {
  return `SELECT * FROM sign_in_activity WHERE user_id IN (${Array(count).fill('?').join(', ')})`;
}

/** SignInStore.list: newest first, keyset paging on (created_at, id). */
export function listSignInsSql(q: SignInQuery): { sql: string; args: unknown[] } {
  const where = ['tenant_id = ?'];
  const args: unknown[] = [q.tenantId];
  const add = (clause: string, ...values: unknown[]) => {
    where.push(clause);
    args.push(...values);
  };
  if (q.eventType !== undefined) add(EVENT_TYPE_CONDITION[q.eventType]);
  if (q.servicePrincipalId !== undefined)
    add("principal_type = 'servicePrincipal' AND service_principal_id = ?", q.servicePrincipalId.toLowerCase());
  if (q.userId !== undefined) add('user_id = ?', q.userId);
  if (q.userPrincipalName !== undefined) add('LOWER(user_principal_name) = ?', q.userPrincipalName.toLowerCase());
  if (q.appId !== undefined) add('app_id = ?', q.appId);
  if (q.from !== undefined) add('created_at >= ?', q.from);
  if (q.to !== undefined) add('created_at <= ?', q.to);
  if (q.errorCode !== undefined) add('error_code = ?', q.errorCode);
  if (q.failedOnly) add('error_code <> 0');
  if (q.before) add('(created_at < ? OR (created_at = ? AND id < ?))', q.before.at, q.before.at, q.before.id);
  return {
    sql: `SELECT * FROM sign_ins WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT ?`,
    args: [...args, q.limit],
  };
}
