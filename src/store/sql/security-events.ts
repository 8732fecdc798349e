import type { User } from '../../core/model.js';
import { groupAffectedSessions, type SecurityEventDraft } from '../../core/security-event.js';

/**
 * What an event covers: every grant and live browser session of the user at the epoch the change
 * ends ('user'), the grants of one browser session ('session', sign-out), or one grant ('grant',
 * RFC 7009 token revocation).
 */
export type EventScope =
  | { kind: 'user'; epoch: number }
  | { kind: 'session'; sessionId: string; epoch: number }
  | { kind: 'grant'; grantId: string };

/**
 * The capture of a security event (docs/push-revocation.md, "The outbox"), the same in
 * both dialects: inside the transaction that makes the change, before it touches the user's grants
 * or sessions, read what the change ends, then insert the event row. The adapters run the reads
 * and the insert; store/postgres adds the NOTIFY.
 */
export const SECURITY_EVENT_SQL = {
  userGrants: 'SELECT client_id, session_id FROM grants WHERE user_id = ? AND revoked_at IS NULL AND epoch = ?',
  userLiveSessions: 'SELECT id FROM sso_sessions WHERE user_id = ? AND ended_at IS NULL AND expires_at > ? AND epoch = ?',
  sessionGrants: 'SELECT client_id, session_id FROM grants WHERE session_id = ? AND revoked_at IS NULL AND epoch = ?',
  oneGrant: 'SELECT client_id, session_id FROM grants WHERE id = ? AND revoked_at IS NULL',
  insertEvent: `INSERT INTO security_events (tenant_id, type, user_id, user_principal_name, occurred_at, initiating_entity, initiated_by,
      correlation_id, sessions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
} as const;

type Row = Record<string, unknown>;

/** The two reads of a capture: which grants (statement and values) and which live sessions. */
export function captureReads(
  user: User,
  scope: EventScope,
  now: number,
): {
  grants: { sql: keyof typeof SECURITY_EVENT_SQL; args: unknown[] };
  sessions: { sql: keyof typeof SECURITY_EVENT_SQL; args: unknown[] } | null;
} {
  if (scope.kind === 'grant') return { grants: { sql: 'oneGrant', args: [scope.grantId] }, sessions: null };
  return scope.kind === 'user'
    ? {
        grants: { sql: 'userGrants', args: [user.id, scope.epoch] },
        sessions: { sql: 'userLiveSessions', args: [user.id, now, scope.epoch] },
      }
    : { grants: { sql: 'sessionGrants', args: [scope.sessionId, scope.epoch] }, sessions: null };
}

/** The values of `insertEvent`, from what the reads returned. */
export function eventArgs(
  user: User,
  draft: SecurityEventDraft,
  scope: EventScope,
  grantRows: Row[],
  sessionRows: Row[] | null,
): unknown[] {
  const grants = grantRows.map((r) => ({ clientId: r.client_id as string, sessionId: (r.session_id as string | null) ?? null }));
  const live = sessionRows ? sessionRows.map((r) => r.id as string) : scope.kind === 'session' ? [scope.sessionId] : [];
  return [
    user.tenantId,
    draft.type,
    user.id,
    user.userPrincipalName,
    draft.occurredAt,
    draft.initiatingEntity,
    JSON.stringify(draft.initiatedBy),
    draft.correlationId,
    JSON.stringify(groupAffectedSessions(grants, live)),
  ];
}
