import type Database from 'better-sqlite3';

/**
 * Versioned schema migrations. Append only: a released migration is never edited; a change is a
 * new entry. Each runs in its own transaction together with its row in schema_migrations.
 */
export const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'directory, credentials, audit, keys',
    sql: `
CREATE TABLE tenants (
  id TEXT PRIMARY KEY,
  domain TEXT NOT NULL,
  display_name TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE users (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  user_principal_name TEXT NOT NULL,
  upn_lower TEXT NOT NULL,
  display_name TEXT NOT NULL,
  mail TEXT,
  password_hash TEXT,
  account_enabled INTEGER NOT NULL,
  revocation_epoch INTEGER NOT NULL DEFAULT 0,
  sign_in_sessions_valid_from INTEGER,
  refresh_tokens_valid_from INTEGER,
  created_at INTEGER NOT NULL,
  UNIQUE (tenant_id, upn_lower)
);

CREATE TABLE role_assignments (
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role_template_id TEXT NOT NULL,
  PRIMARY KEY (user_id, role_template_id)
);

CREATE TABLE applications (
  app_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  display_name TEXT NOT NULL,
  public_client_redirect_uris TEXT NOT NULL,
  web_redirect_uris TEXT NOT NULL,
  spa_redirect_uris TEXT NOT NULL,
  secrets TEXT NOT NULL,
  allow_public_client_flows INTEGER NOT NULL,
  delegated_permissions TEXT NOT NULL,
  application_permissions TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE sso_sessions (
  token_hash TEXT PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  epoch INTEGER NOT NULL,
  auth_time INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  ended_at INTEGER
);
CREATE INDEX sso_sessions_user ON sso_sessions(user_id);

CREATE TABLE grants (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  client_id TEXT NOT NULL,
  session_id TEXT,
  scopes TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  auth_time INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE INDEX grants_user ON grants(user_id);

CREATE TABLE refresh_tokens (
  hash TEXT PRIMARY KEY,
  grant_id TEXT NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
  tenant_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  client_id TEXT NOT NULL,
  scopes TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  issued_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  consumed_at INTEGER
);
CREATE INDEX refresh_tokens_grant ON refresh_tokens(grant_id);

CREATE TABLE authorization_codes (
  hash TEXT PRIMARY KEY,
  grant_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  client_id TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  session_id TEXT NOT NULL,
  redirect_uri TEXT NOT NULL,
  scopes TEXT NOT NULL,
  code_challenge TEXT,
  code_challenge_method TEXT,
  nonce TEXT,
  epoch INTEGER NOT NULL,
  auth_time INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  consumed_at INTEGER
);

CREATE TABLE device_codes (
  device_code_hash TEXT PRIMARY KEY,
  user_code_hash TEXT NOT NULL UNIQUE,
  grant_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  client_id TEXT NOT NULL,
  scopes TEXT NOT NULL,
  status TEXT NOT NULL,
  user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
  session_id TEXT,
  epoch INTEGER,
  auth_time INTEGER,
  interval_seconds INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  last_polled_at INTEGER,
  consumed_at INTEGER
);

CREATE TABLE audit_records (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  activity_date_time INTEGER NOT NULL,
  activity_display_name TEXT NOT NULL,
  category TEXT NOT NULL,
  logged_by_service TEXT NOT NULL,
  operation_type TEXT NOT NULL,
  result TEXT NOT NULL,
  result_reason TEXT NOT NULL,
  correlation_id TEXT NOT NULL,
  initiated_by TEXT NOT NULL,
  target_resources TEXT NOT NULL
);
CREATE INDEX audit_records_time ON audit_records(tenant_id, activity_date_time DESC, id DESC);

CREATE TABLE signing_keys (
  kid TEXT PRIMARY KEY,
  alg TEXT NOT NULL,
  private_key_pem TEXT NOT NULL,
  public_jwk TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  retired_at INTEGER
);
`,
  },
  {
    version: 20,
    name: 'client capabilities (CAE xms_cc) on authorization codes and grants',
    // Space-separated like scopes; '' = none. Existing rows declared nothing.
    sql: `
ALTER TABLE authorization_codes ADD COLUMN client_capabilities TEXT NOT NULL DEFAULT '';
ALTER TABLE grants ADD COLUMN client_capabilities TEXT NOT NULL DEFAULT '';
`,
  },
  {
    version: 2,
    name: 'outbox: security events and their deliveries',
    sql: `
CREATE TABLE security_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id TEXT NOT NULL,
  type TEXT NOT NULL,
  user_id TEXT NOT NULL,
  user_principal_name TEXT NOT NULL,
  occurred_at INTEGER NOT NULL,
  initiating_entity TEXT NOT NULL,
  initiated_by TEXT NOT NULL,
  correlation_id TEXT NOT NULL,
  sessions TEXT NOT NULL,
  planned_at INTEGER,
  claimed_until INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX security_events_unplanned ON security_events(id) WHERE planned_at IS NULL;
CREATE INDEX security_events_user ON security_events(user_id, id);

CREATE TABLE outbox_deliveries (
  id TEXT PRIMARY KEY,
  event_id INTEGER NOT NULL REFERENCES security_events(id),
  tenant_id TEXT NOT NULL,
  sink TEXT NOT NULL,
  destination TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  claimed_until INTEGER NOT NULL DEFAULT 0,
  claim_token TEXT,
  last_error TEXT,
  settled_at INTEGER,
  UNIQUE (event_id, sink, destination)
);
CREATE INDEX outbox_deliveries_due ON outbox_deliveries(next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_deliveries_held ON outbox_deliveries(sink, destination, created_at) WHERE status = 'held';
`,
  },
  {
    version: 3,
    name: 'back-channel logout registration of applications',
    sql: `
-- JSON {"uri","sessionRequired"} (OpenID Connect Back-Channel Logout 1.0 §2.2); NULL = none.
ALTER TABLE applications ADD COLUMN backchannel_logout TEXT;
`,
  },
  {
    version: 60,
    name: 'directory roles assigned to applications',
    sql: `
-- JSON array of role template ids assigned to the app's service principal (docs/authorization.md);
-- NULL = none.
ALTER TABLE applications ADD COLUMN directory_roles TEXT;
`,
  },
  {
    version: 40,
    name: 'shared signals streams and SET queues',
    sql: `
CREATE TABLE ssf_streams (
  stream_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  client_id TEXT NOT NULL,
  aud TEXT NOT NULL,
  events_requested TEXT NOT NULL,
  method TEXT NOT NULL,
  endpoint_url TEXT,
  authorization_header TEXT,
  description TEXT,
  status TEXT NOT NULL,
  status_reason TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  last_verification_at INTEGER
);
CREATE INDEX ssf_streams_receiver ON ssf_streams(tenant_id, client_id);

CREATE TABLE ssf_stream_sets (
  stream_id TEXT NOT NULL REFERENCES ssf_streams(stream_id) ON DELETE CASCADE,
  jti TEXT NOT NULL,
  set_jwt TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  delivered_at INTEGER,
  PRIMARY KEY (stream_id, jti)
);
CREATE INDEX ssf_stream_sets_due ON ssf_stream_sets(next_attempt_at) WHERE delivered_at IS NULL;
CREATE INDEX ssf_stream_sets_delivered ON ssf_stream_sets(delivered_at) WHERE delivered_at IS NOT NULL;
`,
  },
  {
    version: 10,
    name: 'lockouts (smart lockout and throttling counters)',
    sql: `
CREATE TABLE lockouts (
  key TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  last_failure_at INTEGER NOT NULL,
  locked_until INTEGER,
  expires_at INTEGER NOT NULL
);
CREATE INDEX lockouts_expiry ON lockouts(expires_at);
`,
  },
  {
    version: 50,
    name: 'signing keys: activation time (a rotated key is published before it signs)',
    // NULL = from created_at: keys that exist already, and keys a not yet upgraded instance or
    // CLI adds during a rolling upgrade, signed from their creation (rows.ts, toSigningKey).
    sql: `
ALTER TABLE signing_keys ADD COLUMN activates_at INTEGER;
`,
  },
  {
    version: 70,
    name: 'seed entry digests (what each seed entry said when last applied)',
    // src/core/seed-digest.ts: one HMAC-SHA-256 key per store; per entry only keyed digests.
    sql: `
CREATE TABLE seed_digest_key (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  key TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE seed_entries (
  kind TEXT NOT NULL,
  entry_key TEXT NOT NULL,
  subject_id TEXT NOT NULL,
  digests TEXT NOT NULL,
  applied_at INTEGER NOT NULL,
  PRIMARY KEY (kind, entry_key)
);
`,
  },
  {
    version: 80,
    name: 'server secrets (CSRF token key)',
    sql: `
CREATE TABLE server_secrets (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
`,
  },
  {
    version: 90,
    name: 'applications as resources: identifier URIs, exposed scopes and roles, required access, consent',
    sql: `
-- JSON columns (Graph application.api, appRoles, requiredResourceAccess; consent to non-Graph resources);
-- NULL = none. Identifier URIs are also kept in their own table, so that one URI names one app in a
-- tenant and a token request finds its resource by index.
ALTER TABLE applications ADD COLUMN identifier_uris TEXT;
ALTER TABLE applications ADD COLUMN api TEXT;
ALTER TABLE applications ADD COLUMN app_roles TEXT;
ALTER TABLE applications ADD COLUMN required_resource_access TEXT;
ALTER TABLE applications ADD COLUMN resource_grants TEXT;
CREATE TABLE application_identifier_uris (
  tenant_id TEXT NOT NULL,
  uri_key TEXT NOT NULL,
  uri TEXT NOT NULL,
  app_id TEXT NOT NULL REFERENCES applications(app_id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  CONSTRAINT application_identifier_uri_unique PRIMARY KEY (tenant_id, uri_key)
);
CREATE INDEX application_identifier_uris_app ON application_identifier_uris(app_id);
`,
  },
  {
    version: 120,
    name: 'user query indexes (case-insensitive displayName, mail; userPrincipalName has upn_lower)',
    sql: `
CREATE INDEX users_display_name_lower ON users (tenant_id, lower(display_name), id);
CREATE INDEX users_mail_lower ON users (tenant_id, lower(mail), id);
`,
  },
  {
    version: 121,
    name: 'security groups and their members',
    sql: `
CREATE TABLE groups (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  display_name TEXT NOT NULL,
  description TEXT,
  mail_nickname TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX groups_display_name_lower ON groups (tenant_id, lower(display_name), id);
CREATE TABLE group_members (
  group_id TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
  member_id TEXT NOT NULL,
  member_kind TEXT NOT NULL CHECK (member_kind IN ('user', 'group')),
  PRIMARY KEY (group_id, member_id)
);
CREATE INDEX group_members_member ON group_members (member_id);
`,
  },
  {
    version: 170,
    name: 'revocation receipts',
    sql: `
-- What one revoke cut, captured in the revoke's own transaction (docs/receipts.md). \`cut\` is JSON
-- (src/core/revocation-receipt.ts); event_id names the security event whose outbox deliveries are
-- the receipt's delivery outcomes (NULL: the revoke pushed nothing).
CREATE TABLE revocation_receipts (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  correlation_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  user_id TEXT NOT NULL,
  user_principal_name TEXT NOT NULL,
  revoked_at INTEGER NOT NULL,
  initiated_by TEXT NOT NULL,
  event_id INTEGER,
  cut TEXT NOT NULL
);
CREATE INDEX revocation_receipts_correlation ON revocation_receipts(tenant_id, correlation_id);
CREATE INDEX revocation_receipts_time ON revocation_receipts(tenant_id, revoked_at, id);
CREATE INDEX revocation_receipts_user ON revocation_receipts(tenant_id, user_id, revoked_at);
`,
  },
  {
    version: 130,
    name: 'grants: the fixed expiry of a single-page app grant',
    // NULL = not a SPA grant (its refresh tokens slide); grants that exist already are not.
    sql: `
ALTER TABLE grants ADD COLUMN spa_expires_at INTEGER;
`,
  },
  {
    version: 100,
    name: 'session inventory (app, client address, user agent, sign-in method, last use) and targeted revocation (cut codes)',
    sql: `
ALTER TABLE sso_sessions ADD COLUMN client_id TEXT;
ALTER TABLE sso_sessions ADD COLUMN client_ip TEXT;
ALTER TABLE sso_sessions ADD COLUMN user_agent TEXT;
ALTER TABLE sso_sessions ADD COLUMN sign_in_method TEXT;
ALTER TABLE sso_sessions ADD COLUMN last_used_at INTEGER;
ALTER TABLE grants ADD COLUMN client_ip TEXT;
ALTER TABLE grants ADD COLUMN user_agent TEXT;
ALTER TABLE grants ADD COLUMN sign_in_method TEXT;
ALTER TABLE refresh_tokens ADD COLUMN client_ip TEXT;
ALTER TABLE refresh_tokens ADD COLUMN user_agent TEXT;
ALTER TABLE authorization_codes ADD COLUMN sign_in_method TEXT;
ALTER TABLE authorization_codes ADD COLUMN cut_at INTEGER;
ALTER TABLE device_codes ADD COLUMN cut_at INTEGER;
DROP INDEX sso_sessions_user;
CREATE INDEX sso_sessions_user_created ON sso_sessions(user_id, created_at, id);
CREATE INDEX sso_sessions_tenant_created ON sso_sessions(tenant_id, created_at, id);
DROP INDEX grants_user;
CREATE INDEX grants_user_created ON grants(user_id, created_at, id);
CREATE INDEX grants_tenant_created ON grants(tenant_id, created_at, id);
CREATE INDEX grants_session ON grants(session_id) WHERE session_id IS NOT NULL;
DROP INDEX refresh_tokens_grant;
CREATE INDEX refresh_tokens_grant_issued ON refresh_tokens(grant_id, issued_at);
CREATE INDEX authorization_codes_grant ON authorization_codes(grant_id);
CREATE INDEX authorization_codes_user ON authorization_codes(user_id);
CREATE INDEX device_codes_grant ON device_codes(grant_id);
CREATE INDEX device_codes_user ON device_codes(user_id) WHERE user_id IS NOT NULL;
`,
  },
  {
    version: 110,
    name: "sign-in log, users' signInActivity, retention indexes",
    // src/core/sign-in.ts. No foreign key from sign_ins to users: the log outlives a deleted user,
    // as Entra's does; signInActivity goes with its user.
    sql: `
CREATE TABLE sign_ins (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  user_id TEXT NOT NULL,
  user_principal_name TEXT NOT NULL,
  user_display_name TEXT NOT NULL,
  app_id TEXT NOT NULL,
  app_display_name TEXT NOT NULL,
  ip_address TEXT,
  user_agent TEXT,
  client_app_used TEXT NOT NULL,
  correlation_id TEXT NOT NULL,
  is_interactive INTEGER NOT NULL,
  error_code INTEGER NOT NULL,
  failure_reason TEXT,
  authentication_protocol TEXT NOT NULL,
  resource_id TEXT,
  resource_display_name TEXT
);
CREATE INDEX sign_ins_time ON sign_ins(created_at, id);
CREATE INDEX sign_ins_user ON sign_ins(user_id, created_at);

CREATE TABLE sign_in_activity (
  user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  last_sign_in_at INTEGER,
  last_sign_in_request_id TEXT,
  last_non_interactive_at INTEGER,
  last_non_interactive_request_id TEXT,
  last_successful_at INTEGER,
  last_successful_request_id TEXT
);

-- Retention (src/core/retention.ts) finds what ended before a cutoff through these.
CREATE INDEX refresh_tokens_expiry ON refresh_tokens(expires_at);
CREATE INDEX authorization_codes_expiry ON authorization_codes(expires_at);
CREATE INDEX device_codes_expiry ON device_codes(expires_at);
CREATE INDEX sso_sessions_expiry ON sso_sessions(expires_at);
CREATE INDEX sso_sessions_ended ON sso_sessions(ended_at) WHERE ended_at IS NOT NULL;
CREATE INDEX grants_revoked ON grants(revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX grants_created ON grants(created_at);
`,
  },
  {
    version: 140,
    name: 'application object ids apart from appIds',
    sql: `
-- Graph application.id (the directory object id), distinct from appId for apps registered over
-- Graph; apps that existed before keep id = appId.
ALTER TABLE applications ADD COLUMN object_id TEXT;
UPDATE applications SET object_id = app_id;
CREATE UNIQUE INDEX applications_object_id ON applications(tenant_id, object_id);
`,
  },
  {
    version: 190,
    name: 'sign-in log: service principal (client-credentials) sign-ins',
    // src/store/sql/sign-ins.ts. A constant default: existing rows are users' sign-ins, and adding
    // the column rewrites no row (SQLite: ALTER TABLE ADD COLUMN; PostgreSQL 11+: a stored default).
    sql: `
ALTER TABLE sign_ins ADD COLUMN principal_type TEXT NOT NULL DEFAULT 'user';
ALTER TABLE sign_ins ADD COLUMN service_principal_id TEXT;
ALTER TABLE sign_ins ADD COLUMN service_principal_name TEXT;
ALTER TABLE sign_ins ADD COLUMN client_credential_type TEXT;
ALTER TABLE sign_ins ADD COLUMN service_principal_key_id TEXT;
-- The service principal sign-ins, newest first, and one service principal's, without walking the
-- users' entries (listSignInsSql writes the principal_type condition as this literal).
CREATE INDEX sign_ins_service_principal_time ON sign_ins(created_at, id) WHERE principal_type = 'servicePrincipal';
CREATE INDEX sign_ins_service_principal ON sign_ins(service_principal_id, created_at, id) WHERE principal_type = 'servicePrincipal';
`,
  },
  {
    version: 180,
    name: 'grants by (created_at, id) for the retention keyset',
    sql: `
-- The grants purge (store/sql/retention.ts) walks grants started before the cutoff in
-- (created_at, id) order and resumes after the last one it examined, so a grant that must stay
-- (its refresh token is still valid) is passed once per cleanup run, not once per batch.
CREATE INDEX grants_created_id ON grants(created_at, id);
DROP INDEX grants_created;
`,
  },
  {
    version: 220,
    name: 'audit records by target and by initiating user',
    sql: `
-- Which audit records name an object among their targetResources, and which a user initiated, so
-- the audit log filters by either (graph/audit-logs.ts) with the log's keyset order on an index
-- instead of scanning the JSON of every record. Written with each record (store/sql/audit.ts).
-- No foreign keys: audit records outlive the users, groups and apps they name.
CREATE TABLE audit_targets (
  tenant_id TEXT NOT NULL,
  target_id TEXT NOT NULL,
  activity_date_time INTEGER NOT NULL,
  audit_id TEXT NOT NULL,
  PRIMARY KEY (tenant_id, target_id, audit_id)
);
CREATE INDEX audit_targets_time ON audit_targets(tenant_id, target_id, activity_date_time DESC, audit_id DESC);
CREATE TABLE audit_initiators (
  tenant_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  activity_date_time INTEGER NOT NULL,
  audit_id TEXT NOT NULL,
  PRIMARY KEY (tenant_id, user_id, audit_id)
);
CREATE INDEX audit_initiators_time ON audit_initiators(tenant_id, user_id, activity_date_time DESC, audit_id DESC);
INSERT INTO audit_targets (tenant_id, target_id, activity_date_time, audit_id)
  SELECT DISTINCT a.tenant_id, lower(json_extract(t.value, '$.id')), a.activity_date_time, a.id
  FROM audit_records a, json_each(a.target_resources) t
  WHERE json_type(t.value, '$.id') = 'text';
INSERT INTO audit_initiators (tenant_id, user_id, activity_date_time, audit_id)
  SELECT tenant_id, lower(json_extract(initiated_by, '$.user.id')), activity_date_time, id
  FROM audit_records WHERE json_type(initiated_by, '$.user.id') = 'text';
`,
  },
];

/** Applies every migration not yet applied; returns the versions it applied. */
export function migrate(db: Database.Database, now: number, migrations: typeof MIGRATIONS = MIGRATIONS): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const applied = new Set((db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
  const done: number[] = [];
  // Versions are applied in ascending order whatever the array order: features developed in
  // parallel took separate number ranges (2–9 outbox, 10–19 lockout, 20–29 CAE, 30–39 faults, 40–49 SSF,
  // 50–59 signing-key activation, 60–69 application directory roles, 70–79 seed state, 80–89 server secrets,
  // 90–99 applications as resources, 100–109 session inventory, 110–119 sign-in log, 120–129 user queries and groups,
  // 130–139 single-page apps, 140–149 application registration, 150–159 resource tokens, 160–169 test kit,
  // 170–179 revocation receipts, 180–189 retention, 190–199 service principal sign-ins, 220–229 audit records by target).
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, now);
    }).immediate();
    done.push(m.version);
  }
  return done;
}
