import type { DeviceDecision, Polled, Redeemed, Rotated } from '../core/credential-verdicts.js';
import type { LockoutState } from '../core/lockout.js';
import type {
  Application,
  AuditRecord,
  AuthorizationCode,
  DeviceCode,
  Grant,
  RefreshTokenRecord,
  SigningKey,
  SsoSession,
  Tenant,
  User,
  Group,
  GroupMember,
} from '../core/model.js';
import type { DeliveryStatus, OutboxDelivery, SecurityEvent, SecurityEventDraft } from '../core/security-event.js';
import type { CutFound, CutTarget, InventoryQuery, InventoryRecord } from '../core/session-inventory.js';
import type { SignIn, SignInActivity, SignInQuery } from '../core/sign-in.js';
import type { ClaimedSet, QueuedSet, SsfStream, StreamStatus } from '../core/ssf-stream.js';
import type { ReceiptDraft, RevocationReceipt } from '../core/revocation-receipt.js';

/**
 * The storage contract. Narrow, per aggregate, and the atomic operations are part of it
 * (I1, I4 in docs/revocation-model.md): every method that redeems a credential checks the
 * credential's epoch against the user's, the account state, expiry and consumption in the same
 * transaction that consumes it. Adapters: store/sqlite (embedded default); a PostgreSQL adapter
 * must pass the same contract suite (test/store/contract.ts).
 */
export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  tenants: TenantStore;
  users: UserStore;
  groups: GroupStore;
  applications: ApplicationStore;
  sessions: SessionStore;
  codes: AuthorizationCodeStore;
  deviceCodes: DeviceCodeStore;
  grants: GrantStore;
  inventory: InventoryStore;
  audit: AuditStore;
  receipts: ReceiptStore;
  keys: SigningKeyStore;
  outbox: OutboxStore;
  ssf: SsfStore;
  lockouts: LockoutStore;
  seedState: SeedStateStore;
  secrets: ServerSecretStore;
  /** The sign-in log and users' signInActivity (core/sign-in.ts). */
  signIns: SignInStore;
  /** Bounded deletes of what retention has passed (core/retention.ts). */
  retention: RetentionStore;
  /** Cheap probes for /readyz and /metrics (src/ops/). */
  ops: OpsStore;
  close(): Promise<void>;
}

/** What an operator's probes read (docs/operations.md). Every method is one cheap round trip. */
export interface OpsStore {
  /**
   * The schema versions this code knows that the database has not applied (0 = up to date).
   * Also the readiness round trip: it rejects when the database cannot be reached.
   */
  pendingMigrations(): Promise<number>;
  /** Outbox work not yet done, read through the partial indexes on unplanned events and pending deliveries. */
  outboxBacklog(): Promise<OutboxBacklog>;
  /** The connection pool's figures (node-postgres Pool); null on SQLite, which has no pool. */
  pool(): PoolFigures | null;
}

export interface OutboxBacklog {
  /** Events committed but not yet fanned out into deliveries. */
  unplannedEvents: number;
  /** Deliveries waiting for their first or next attempt. */
  pendingDeliveries: number;
  /** When the oldest of those was created (ms since the epoch), or null when there is none. */
  oldestAt: number | null;
}

export interface PoolFigures {
  total: number;
  idle: number;
  waiting: number;
}

/** The redemption results and their failure reasons are core's (core/credential-verdicts.ts). */
export type { Polled, RedeemFailure, Redeemed, Rotated } from '../core/credential-verdicts.js';

export interface TenantStore {
  /** The deployment's tenant (one per store in this version). */
  get(): Promise<Tenant | null>;
  insert(tenant: Tenant): Promise<void>;
  update(tenant: Tenant): Promise<void>;
}

/** The user properties a list query may test; graph/user-query.ts maps Graph's property names to these. */
export type UserQueryColumn =
  | 'id'
  | 'userPrincipalName'
  | 'displayName'
  | 'mail'
  | 'givenName'
  | 'surname'
  | 'accountEnabled'
  | 'createdDateTime';
export type UserTextColumn = 'id' | 'userPrincipalName' | 'displayName' | 'mail' | 'givenName' | 'surname';
export type UserOrderColumn = 'displayName' | 'userPrincipalName' | 'createdDateTime';

/**
 * A condition on users, as data: the adapters turn it into SQL whose every value is a bound
 * parameter (store/sql/user-query.ts). Text comparisons are case-insensitive, as Graph's are; a
 * missing value (mail null) equals only null, and `ne` / `not` are two-valued (null ne 'x').
 */
export type UserCondition =
  | { kind: 'and' | 'or'; items: UserCondition[] }
  | { kind: 'not'; item: UserCondition }
  | { kind: 'compare'; column: UserQueryColumn; op: 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le'; value: string | number | boolean | null }
  | { kind: 'startsWith' | 'endsWith'; column: UserTextColumn; value: string }
  /** $search: some word of the value (split at space . - _ @) starts with `value`. */
  | { kind: 'wordPrefix'; column: UserTextColumn; value: string };

export interface UserListQuery {
  tenantId: string;
  /** Exact, case-insensitive userPrincipalName match. */
  userPrincipalName?: string;
  where?: UserCondition;
  /** Sort order (case-insensitive for text); then by id. Without it, by id alone. */
  orderBy?: { column: UserOrderColumn; descending: boolean };
  /** Return users whose id sorts after this one (keyset paging, without orderBy). */
  afterId?: string;
  /** Keyset paging with orderBy: the sort value and id of the last user of the previous page. */
  after?: { key: string | number; id: string };
  limit: number;
}

/** Changes applied by UserStore.update in one transaction. */
export interface UserPatch {
  displayName?: string;
  passwordHash?: string;
  accountEnabled?: boolean;
  userPrincipalName?: string;
  roleTemplateIds?: string[];
}

/** What a revoking write records in its own transaction besides the change. */
export interface RevokeOptions {
  audit: AuditRecord[];
  securityEvent?: SecurityEventDraft;
  receipt?: ReceiptDraft;
}

/** One revoke of UserStore.revokeMany: which user, and what its revoke records (as UserStore.revoke). */
export interface RevokeManyItem {
  id: string;
  options: RevokeOptions;
}

export interface UserStore {
  findById(tenantId: string, id: string): Promise<User | null>;
  /**
   * The users among `ids` that exist, in one query, in no particular order: how a seed of
   * thousands of users checks its tracked users on every start without a lookup each
   * (core/seed-users.ts).
   */
  findByIds(tenantId: string, ids: readonly string[]): Promise<User[]>;
  /** Case-insensitive. */
  findByUserPrincipalName(tenantId: string, upn: string): Promise<User | null>;
  list(query: UserListQuery): Promise<User[]>;
  /**
   * Throws ConflictError when the userPrincipalName (case-insensitive) or id is taken. The audit
   * records commit in the same transaction as the user.
   */
  insert(user: User, audit?: AuditRecord[]): Promise<void>;
  /**
   * revokeSignInSessions / invalidateAllRefreshTokens: bumps the user's revocation epoch and sets
   * both valid-from timestamps to `at`, with the audit records, in one transaction that is durable
   * when the promise resolves (docs/revocation-model.md). With `securityEvent`, the same transaction
   * captures the sessions and grants of the epoch it ends and writes the event to the outbox.
   * With `receipt`, the same transaction records the revocation receipt of what it ends (ReceiptStore).
   * Returns the user as stored afterwards, or null if it does not exist.
   */
  revoke(tenantId: string, id: string, at: number, options: RevokeOptions): Promise<User | null>;
  /**
   * Several revokes, each exactly as `revoke` applies it (epoch, timestamps, audit records,
   * security event, receipt), in ONE transaction that is durable when the promise resolves: bulk
   * revocation (a $batch of revokes, src/graph/batch-revoke.ts) pays one commit for all of them.
   * Items apply in order (an id named twice is revoked twice). The result holds, per item, the
   * user as stored after its revoke, or null if it does not exist. A store failure rejects the
   * whole call and applies none of it.
   */
  revokeMany(tenantId: string, at: number, items: readonly RevokeManyItem[]): Promise<(User | null)[]>;
  /**
   * Applies the patch; when `revokeAt` is given (disable, password reset), also bumps the revocation epoch and sets both
   * valid-from timestamps to it. The audit records are written in the same transaction, which is
   * durable when the promise resolves. Returns the updated user, or null if it does not exist.
   * With `securityEvent`, the same transaction also captures the sessions and grants the change
   * ends (those of the user's epoch before the bump) and writes the event to the outbox; with
   * `receipt` (and `revokeAt`), it records the revocation receipt of what the change ends.
   */
  update(tenantId: string, id: string, patch: UserPatch, options: RevokeOptions & { revokeAt?: number }): Promise<User | null>;
  /**
   * Deletes the user and everything issued to it; returns false if it did not exist. With
   * `securityEvent`, the user's sessions are captured and the event written in the same
   * transaction (see OutboxStore); with `receipt`, the revocation receipt of the live sessions and
   * grants the deletion ends, at `receipt.at` (docs/receipts.md).
   */
  delete(
    tenantId: string,
    id: string,
    audit: AuditRecord[],
    securityEvent?: SecurityEventDraft,
    receipt?: { draft: ReceiptDraft; at: number },
  ): Promise<boolean>;
  /** The number of users, or of those matching `where`. */
  count(tenantId: string, where?: UserCondition): Promise<number>;
}

export interface GroupListQuery {
  tenantId: string;
  /** Case-insensitive displayName equality or prefix. */
  displayName?: { op: 'eq' | 'startsWith'; value: string };
  /** Keyset paging by id. */
  afterId?: string;
  limit: number;
}

export interface GroupStore {
  /** Throws ConflictError when the id is taken. Audit records commit with the group. */
  insert(group: Group, audit?: AuditRecord[]): Promise<void>;
  findById(tenantId: string, id: string): Promise<Group | null>;
  list(query: GroupListQuery): Promise<Group[]>;
  /** How many groups `list` would give without paging. */
  count(query: Pick<GroupListQuery, 'tenantId' | 'displayName'>): Promise<number>;
  /** How many direct members (`transitive`: members at any depth, as transitiveMembers lists them). */
  memberCount(groupId: string, transitive: boolean): Promise<number>;
  /**
   * Writes the group's displayName, description and mailNickname (its id and createdAt never
   * change), with the audit records; false if it does not exist (nothing written).
   */
  update(group: Group, audit: AuditRecord[]): Promise<boolean>;
  /** Deletes the group, its memberships and its membership in other groups; false if it did not exist. */
  delete(tenantId: string, id: string, audit: AuditRecord[]): Promise<boolean>;
  /** false when `member` already is a direct member. The caller checks that both exist. */
  addMember(groupId: string, member: GroupMember, audit: AuditRecord[]): Promise<boolean>;
  /** false when `memberId` is not a direct member. */
  removeMember(groupId: string, memberId: string, audit: AuditRecord[]): Promise<boolean>;
  /** Direct members, by id, after `afterId`. */
  members(groupId: string, page: { afterId?: string; limit: number }): Promise<GroupMember[]>;
  /**
   * Every member of the group and of the groups in it, at any depth, each once, by id, after
   * `afterId`; never the group itself (membership may form a cycle).
   */
  transitiveMembers(groupId: string, page: { afterId?: string; limit: number }): Promise<GroupMember[]>;
}

export interface ApplicationStore {
  findByAppId(tenantId: string, appId: string): Promise<Application | null>;
  /** By directory object id (Graph `application.id`; the appId for apps stored without one). */
  findById(tenantId: string, id: string): Promise<Application | null>;
  /** All of the tenant's apps by appId; with `page`, at most `limit` of them after appId `after`. */
  list(tenantId: string, page?: { limit: number; after?: string }): Promise<Application[]>;
  /** Deletes the app (and its identifier URIs) with the audit records; false if it did not exist. */
  delete(tenantId: string, appId: string, audit?: AuditRecord[]): Promise<boolean>;
  /** The app one of whose identifier URIs is `uri` (compared case-insensitively), if any. */
  findByIdentifierUri(tenantId: string, uri: string): Promise<Application | null>;
  /**
   * Insert or replace by appId; the audit records commit in the same transaction. An identifier
   * URI another app of the tenant holds raises ConflictError('identifierUris') and writes nothing.
   */
  upsert(app: Application, audit?: AuditRecord[]): Promise<void>;
}

export interface SessionStore {
  insert(session: SsoSession): Promise<void>;
  /** A live session: not ended, not expired, epoch current, user enabled. */
  findLive(tokenHash: string, now: number): Promise<{ session: SsoSession; user: User } | null>;
  /**
   * Ends the session. With `securityEvent`, and only if this call ended a live session, the same
   * transaction writes a 'signed-out' style event for it with the clients it was used with.
   */
  end(tokenHash: string, now: number, securityEvent?: SecurityEventDraft): Promise<void>;
  /**
   * Records a silent sign-in with the session (docs/sessions.md): sets its last use to `now`
   * unless it was set less than a minute ago, so a burst of SSO uses costs one write.
   */
  touch(sessionId: string, now: number): Promise<void>;
}

/**
 * The session inventory and targeted revocation (docs/sessions.md, docs/revocation-model.md
 * "Targeted revocation"). Listings are keyset-paged over indexes; a cut is one transaction with
 * the same guarantees as UserStore.revoke.
 */
export interface InventoryStore {
  /** One page, newest first (createdAt, id descending). */
  list(query: InventoryQuery): Promise<InventoryRecord[]>;
  /**
   * Ends the target's live sessions and revokes its live grants, marks its outstanding codes so
   * no grant starts from them (GrantStore.create), and writes the audit records `audit(found)`
   * returns and, if anything was cut, `securityEvent` with the cut sessions and their clients —
   * and, with `receipt`, the revocation receipt of exactly what it cut (docs/receipts.md) —
   * all in one transaction, durable when the promise resolves. With `dryRun`, only reads what it
   * would cut. Null when the user does not exist.
   */
  cut(args: CutArgs): Promise<CutFound | null>;
}

/** What InventoryStore.cut takes: whose credentials, which of them, and what it writes beside the cut. */
export interface CutArgs {
  tenantId: string;
  userId: string;
  target: CutTarget;
  now: number;
  dryRun: boolean;
  audit: (found: CutFound) => AuditRecord[];
  securityEvent?: SecurityEventDraft;
  receipt?: ReceiptDraft;
}

export interface AuthorizationCodeStore {
  insert(code: AuthorizationCode): Promise<void>;
  /** Single use: the first redemption wins; a second one reports 'consumed'. */
  redeem(hash: string, now: number): Promise<Redeemed<AuthorizationCode>>;
}

export interface DeviceCodeStore {
  insert(code: DeviceCode): Promise<void>;
  findPendingByUserCode(userCodeHash: string, now: number): Promise<DeviceCode | null>;
  /** Records the user's decision; false if the code is no longer pending. */
  decide(userCodeHash: string, decision: DeviceDecision, now: number): Promise<boolean>;
  /**
   * One poll by the device: consumes an approved code (checking the epoch), or reports it is
   * still pending / declined / expired. `tooFast` is true when the device polled sooner than
   * the interval (RFC 8628 §3.5 slow_down).
   */
  poll(deviceCodeHash: string, now: number): Promise<Polled>;
}

/** One rotation's arguments (GrantStore.rotate's), as the dialects' group commits queue them. */
export interface RotationAsk {
  hash: string;
  clientId: string;
  now: number;
  next: (current: RefreshTokenRecord, grant: Grant) => RefreshTokenRecord;
  graceMs: number;
  crossOrigin: boolean;
}

export interface GrantStore {
  /**
   * Creates a grant and its first refresh token atomically, unless a targeted revocation cut the
   * code it starts from (same grant id) or ended its browser session since (InventoryStore.cut);
   * then it writes nothing and returns false.
   */
  create(grant: Grant, firstToken: RefreshTokenRecord | null): Promise<boolean>;
  /**
   * Refresh-token rotation in one transaction (I4, docs/revocation-model.md): the presented token must be
   * unconsumed, unexpired, of a live grant, with the user's current epoch and an enabled
   * account; it is then marked consumed and `next` (same grant, same epoch) inserted.
   * Presenting a consumed token revokes its whole grant (RFC 9700 §4.14.2) unless it was
   * consumed less than `graceMs` ago. A token of another client is reported 'not_found' and left
   * untouched, so one client cannot burn another's token. `crossOrigin`: the request came with an
   * Origin header; a SPA grant's token is redeemable only so, any other only without one
   * (credential-verdicts.ts, rotationVerdict), and a refused one is not consumed.
   */
  rotate(
    hash: string,
    clientId: string,
    now: number,
    next: (current: RefreshTokenRecord, grant: Grant) => RefreshTokenRecord,
    graceMs: number,
    crossOrigin?: boolean,
  ): Promise<Rotated>;
  /**
   * Revokes one grant and so every refresh token of it; returns whether it was live. With options
   * (RFC 7009 revocation), and only if it was live, the same transaction writes the audit
   * records, the security event (scoped to this grant) and the revocation receipt.
   */
  revoke(grantId: string, now: number, options?: RevokeOptions): Promise<boolean>;
  findById(grantId: string): Promise<Grant | null>;
  /**
   * The refresh token with this digest and its grant (null if the grant is gone), whatever its
   * state; null if no such token. A read for RFC 7662 introspection and RFC 7009 revocation,
   * which judge the state themselves.
   */
  findRefreshToken(hash: string): Promise<{ token: RefreshTokenRecord; grant: Grant | null } | null>;
}

export interface AuditQuery {
  tenantId: string;
  activityDisplayName?: string;
  /** Only records naming this object id among their targetResources (ASCII case ignored, as for GUIDs). */
  targetId?: string;
  /** Only records this user initiated (initiatedBy.user.id); ignored when targetId is given. */
  initiatorUserId?: string;
  limit: number;
  /** Keyset paging: records older than this (activityDateTime, id). */
  before?: { at: number; id: string };
}

export interface AuditStore {
  insert(record: AuditRecord): Promise<void>;
  list(query: AuditQuery): Promise<AuditRecord[]>;
}

/** ReceiptStore.list: newest first. */
export interface ReceiptQuery {
  tenantId: string;
  userId?: string;
  correlationId?: string;
  /** revokedAt at or after (ms). */
  from?: number;
  /** revokedAt at or before (ms). */
  to?: number;
  limit: number;
  /** Keyset paging: receipts older than this (revokedAt, id). */
  before?: { at: number; id: string };
}

/**
 * A receipt as read back, with where its push stands: 'none' (the revoke caused no security
 * event), 'planning' (the dispatcher has not fanned the event out yet), 'planned' (its deliveries
 * are in the outbox), 'expired' (the outbox pruned the event after its retention).
 */
export type StoredReceipt = RevocationReceipt & { push: 'none' | 'planning' | 'planned' | 'expired' };

/**
 * Revocation receipts (docs/receipts.md). They are written only inside the revoking transactions
 * (UserStore.revoke / update, GrantStore.revoke and the adapters' capture functions); this reads them.
 */
export interface ReceiptStore {
  /** The newest receipt with this correlation id, or null. */
  findByCorrelationId(tenantId: string, correlationId: string): Promise<StoredReceipt | null>;
  /** Every receipt with one of these correlation ids (newest first): how an audit page links its revokes. */
  findByCorrelationIds(tenantId: string, correlationIds: readonly string[]): Promise<StoredReceipt[]>;
  list(query: ReceiptQuery): Promise<StoredReceipt[]>;
}

/**
 * The sign-in log. Entries are best-effort records, not credentials: they are written in batches
 * by core/sign-in-recorder.ts, never inside a credential's transaction, so recording never slows
 * or blocks a redemption.
 */
export interface SignInStore {
  /**
   * Inserts the entries and moves each user's signInActivity forward (never back: an older entry
   * arriving late does not overwrite a newer time), in ONE transaction that need not wait for an
   * fsync (a lost batch after an OS crash costs log lines, never a credential). Entries of users
   * deleted meanwhile still go into the log; their activity is skipped. An id already stored is ignored.
   */
  insertMany(entries: readonly SignIn[]): Promise<void>;
  /** Newest first, keyset paging on (createdAt, id). */
  list(query: SignInQuery): Promise<SignIn[]>;
  findById(tenantId: string, id: string): Promise<SignIn | null>;
  /** The users' signInActivity, for those who have one. */
  activity(userIds: readonly string[]): Promise<Map<string, SignInActivity>>;
}

/** What retention deletes, one kind at a time (core/retention.ts says which rows each may take). */
export type PurgeKind =
  | 'signIns'
  | 'authorizationCodes'
  | 'deviceCodes'
  | 'refreshTokens'
  | 'revokedGrantTokens'
  | 'grants'
  | 'sessions'
  | 'signingKeys';

/** Where a purge of a kind that walks its rows in (created_at, id) order resumes: the first key it examines (store/sql/retention.ts). */
export interface PurgeCursor {
  readonly at: number;
  readonly id: string;
}

export interface PurgeBatch {
  /** Rows deleted. */
  deleted: number;
  /** Pass it to the next purge of the same kind and cutoff; null = nothing more is due. */
  next: PurgeCursor | null;
}

/** What a cleanup run off the event loop did (RetentionStore.cleanOffLoop). */
export interface CleanupReport {
  deleted: Record<PurgeKind, number>;
  /** Time inside write transactions per kind, ms. */
  busyMs: Record<PurgeKind, number>;
  transactions: number;
  longestTransactionMs: number;
  /** Stopped (signal or store closed) before everything due was deleted. */
  stopped: boolean;
  /** CPU time of the thread that ran it, ms, where the platform tells (Linux); null elsewhere. */
  cpuMs?: number | null;
}

export interface RetentionStore {
  /**
   * Deletes at most `limit` rows of `kind` that ended before `cutoff` (examines at most `limit`,
   * for a kind that walks its rows: from `from` on), in one short transaction of its own.
   */
  purge(kind: PurgeKind, cutoff: number, limit: number, from?: PurgeCursor): Promise<PurgeBatch>;
  /**
   * A whole cleanup (every kind in core/retention.ts PURGE_ORDER, at these cutoffs) run off the
   * event loop, where the store can (a SQLite database in a file: a worker thread with its own
   * connection, store/sqlite/cleanup-worker.ts); null where it cannot, and the caller purges in
   * batches. Resolves with what it deleted, also when `signal` stopped it early; rejects if it failed.
   */
  cleanOffLoop?(cutoffs: Record<PurgeKind, number>, signal?: AbortSignal): Promise<CleanupReport> | null;
}

export interface SigningKeyStore {
  /** Every key, retired ones included, in activation order (activatesAt, created_at, kid). */
  list(): Promise<SigningKey[]>;
  /**
   * The keys not withdrawn, in activation order: what instances publish and verify with; which
   * of them signs at a given time is decided by core/key-rotation.ts (keySchedule).
   */
  listUnretired(): Promise<SigningKey[]>;
  insert(key: SigningKey): Promise<void>;
  /**
   * Key rotation in one transaction: adds `key` (it signs from its activatesAt, which the caller
   * puts after every other key's) and marks `retireKids` retired at `now`. On PostgreSQL the same
   * transaction sends a NOTIFY, delivered to listening instances only if and when it commits.
   */
  rotate(key: SigningKey, retireKids: readonly string[], now: number): Promise<void>;
  /**
   * Withdraws one key at `now` (neither published nor accepted from then on; e.g. a leaked key);
   * returns whether it was live. On PostgreSQL the same transaction sends the 'keys' NOTIFY.
   */
  withdraw(kid: string, now: number): Promise<boolean>;
  /**
   * Stores `key` only if the store holds no unretired key, atomically; returns whether it did.
   * Several instances starting at once on one database must end with ONE first key, or tokens
   * signed by one instance would fail verification on another that never loaded that key.
   */
  insertIfNone(key: SigningKey): Promise<boolean>;
}

/** A delivery the dispatcher planned for an event; see src/outbox/outbox-sink.ts. */
export interface NewDelivery {
  id: string;
  sink: string;
  destination: string;
  payload: Record<string, unknown>;
}

/** The deliveries planned for one event (OutboxStore.recordPlans). */
export interface EventPlan {
  eventId: number;
  deliveries: NewDelivery[];
}

/** What the dispatcher writes back after an attempt. */
export type DeliverySettlement =
  | { status: 'delivered'; attempts: number }
  | { status: 'pending'; attempts: number; nextAttemptAt: number; lastError: string }
  | { status: 'failed'; attempts: number; lastError: string };

/**
 * The durable outbox (docs/push-revocation.md, "The outbox"). Events are written by
 * UserStore.update / delete and SessionStore.end inside their transactions. Work is handed out
 * under leases (`claimed_until`), so any number of instances may run a dispatcher on one
 * PostgreSQL database: a claim is one statement with FOR UPDATE SKIP LOCKED, and a settlement
 * only applies while the claim token still matches, so an instance that lost its lease (paused,
 * killed) cannot overwrite a newer claimant's result.
 */
export interface OutboxStore {
  /** Claims up to `limit` events not yet fanned out and not leased, oldest id first. */
  claimEvents(now: number, leaseUntil: number, limit: number): Promise<SecurityEvent[]>;
  /**
   * Inserts the event's deliveries and marks it fanned out, in one transaction. A delivery whose
   * (event, sink, destination) exists already is skipped (unique constraint), so planning an
   * event twice after a crash never duplicates a message.
   */
  recordPlan(eventId: number, deliveries: NewDelivery[], now: number): Promise<void>;
  /**
   * recordPlan for each of `plans`, all in ONE transaction: the dispatcher records a planning
   * pass's events together (a bulk revocation is one event per user: BENCHMARKS.md, B3). An event
   * that no longer exists is skipped, as recordPlan skips it.
   */
  recordPlans(plans: readonly EventPlan[], now: number): Promise<void>;
  /** Claims up to `limit` pending deliveries due at `now`; returns them with a claim token. */
  claimDeliveries(
    now: number,
    leaseUntil: number,
    limit: number,
  ): Promise<{ claim: string; delivery: OutboxDelivery; event: SecurityEvent }[]>;
  /**
   * Records the result of an attempt, with its audit records in the same transaction, if the
   * claim is still ours; returns whether it was.
   */
  settle(id: string, claim: string, settlement: DeliverySettlement, now: number, audit: AuditRecord[]): Promise<boolean>;
  /** Newest first; for tests, the CLI and diagnostics. */
  listDeliveries(query: { eventId?: number; sink?: string; status?: DeliveryStatus; limit: number }): Promise<OutboxDelivery[]>;
  /** Newest first. */
  listEvents(query: { userId?: string; limit: number }): Promise<SecurityEvent[]>;
  /**
   * Retention: deletes up to `limit` deliveries settled (delivered or failed) before `before`,
   * then up to `limit` events planned before `before` that have no delivery left. Pending
   * deliveries, and their events, are kept whatever their age. Returns the rows deleted.
   */
  prune(before: number, limit: number): Promise<number>;
  /**
   * Calls `listener` after this process committed a new event (the dispatcher's in-process
   * wake-up); returns the unsubscribe function. Other processes learn of it by polling.
   */
  onEventCommitted(listener: () => void): () => void;
}

/**
 * Shared Signals streams and their SET queues (src/ssf/). Every SET bound for a stream waits in
 * the stream's queue: a poll stream's until the receiver acknowledges it (RFC 8936 §2.4), a push
 * stream's until the receiver answered 202 or a permanent error (RFC 8935 §2.2–2.3); a paused
 * stream's SETs wait there until it is enabled again (SSF 1.0 §8.1.2). A delivered SET stays as
 * a tombstone for a while, so a retried delivery of the same jti is not queued a second time.
 */
export interface SsfStore {
  /** Inserts the stream unless its receiver already has `maxPerReceiver` streams; returns whether it did. */
  insertStream(stream: SsfStream, maxPerReceiver: number): Promise<boolean>;
  findStream(tenantId: string, streamId: string): Promise<SsfStream | null>;
  /** The receiver's streams, oldest first. */
  listStreams(tenantId: string, clientId: string): Promise<SsfStream[]>;
  /** Streams that take new events (enabled or paused), oldest first. */
  listActiveStreams(tenantId: string): Promise<SsfStream[]>;
  /** Writes the receiver-supplied part (aud, events, delivery, description, updatedAt); false if gone. */
  updateStream(stream: SsfStream): Promise<boolean>;
  /** Sets the status; 'disabled' drops the stream's undelivered SETs in the same transaction. */
  setStatus(tenantId: string, streamId: string, status: StreamStatus, reason: string | null, now: number): Promise<SsfStream | null>;
  /** Deletes the stream and its queue; false if it did not exist. */
  deleteStream(tenantId: string, streamId: string): Promise<boolean>;
  /**
   * Records a verification request at `now` unless the previous one was less than `minIntervalMs`
   * ago (SSF 1.0 §8.1.4.2, 429); atomic, so concurrent requests cannot both pass.
   */
  recordVerification(tenantId: string, streamId: string, now: number, minIntervalMs: number): Promise<boolean>;
  /**
   * Queues SETs. A jti the stream already has (queued or delivered) is ignored, and so are SETs
   * for a stream that is gone or disabled meanwhile. Returns how many were queued.
   */
  enqueue(sets: readonly QueuedSet[]): Promise<number>;
  /** Up to `max` undelivered SETs of the stream, oldest first, and whether more are waiting. */
  pending(streamId: string, max: number): Promise<{ sets: QueuedSet[]; more: boolean }>;
  /** Marks the SETs delivered (poll acknowledgement, push 202 or a permanent failure). */
  settle(streamId: string, jtis: readonly string[], now: number): Promise<void>;
  /**
   * Marks the SETs of one push round delivered, on whichever streams, in ONE transaction (push
   * benchmark in BENCHMARKS.md: one commit per round, not one per SET). The mark need not survive an OS crash (the
   * SQLite adapter does not wait for fsync): a lost mark only re-sends the SET with the same jti,
   * which receivers drop as a duplicate (RFC 8935 §2, SSF 1.0 idempotency).
   */
  settleMany(sets: readonly { streamId: string; jti: string }[], now: number): Promise<void>;
  /**
   * Claims up to `limit` due SETs of enabled push streams for one attempt each: their next
   * attempt moves to `now + leaseMs`, so no other instance takes them meanwhile.
   */
  claimDuePush(now: number, leaseMs: number, limit: number): Promise<ClaimedSet[]>;
  /** Schedules the next attempt of an undelivered SET. */
  retryAt(streamId: string, jti: string, at: number): Promise<void>;
  /** Removes tombstones of SETs delivered before `before`; returns how many. */
  purgeDelivered(before: number): Promise<number>;
}

/**
 * Failed-attempt counters for smart lockout and throttling (core/lockout.ts), one row per subject
 * key. Durable and shared, so a lock holds on every instance and across restarts.
 */
export interface LockoutStore {
  /** The subject's state; null when there is none or it expired (expiresAt <= now). */
  get(key: string, now: number): Promise<LockoutState | null>;
  /**
   * Read-modify-write in one transaction, serialised per key across instances: `next` gets the
   * current state (null when none or expired) and returns the state to store and audit records
   * to insert with it. Also deletes a few expired rows, so the table stays bounded.
   */
  update(
    key: string,
    now: number,
    next: (current: LockoutState | null) => { state: LockoutState; audit: AuditRecord[] },
  ): Promise<LockoutState>;
  /** Forgets the subject (a successful sign-in resets the user's count). */
  clear(key: string): Promise<void>;
}

/**
 * What a seed entry said when it was last applied (src/core/seed.ts, docs/seed-file.md): one
 * keyed digest per property, never the value itself, so a start-up can tell which properties the
 * file changed since without reading the values back or running argon2.
 */
export interface SeedEntryRecord {
  kind: 'user' | 'group' | 'application';
  /**
   * The entry's identity in the file: `id:<guid>` / `upn:<lower-case UPN>` for users, `id:<guid>` /
   * `name:<lower-case displayName>` for groups, the appId for applications.
   */
  key: string;
  /** The user id, group id or appId the entry was applied to. */
  subjectId: string;
  /** Property name → keyed digest (src/core/seed-digest.ts). */
  digests: Record<string, string>;
  appliedAt: number;
}

export interface SeedStateStore {
  /**
   * The store's key for seed digests: stores `candidate` if the store has none yet (atomically,
   * so instances starting together agree on one key) and returns the stored key.
   */
  digestKey(candidate: string, now: number): Promise<string>;
  list(): Promise<SeedEntryRecord[]>;
  /** Inserts or replaces the record of (kind, key). */
  put(record: SeedEntryRecord): Promise<void>;
  /** Forgets the records of entries the seed no longer has. */
  remove(kind: SeedEntryRecord['kind'], keys: readonly string[]): Promise<void>;
}

/**
 * Named server secrets shared by every instance on the store (the CSRF token key,
 * src/web/csrf-key.ts). Stored, never derived per process: a token one instance put in a form
 * must validate on whichever instance receives the post.
 */
export interface ServerSecretStore {
  /**
   * The secret named `name`; stores `candidate` first if there is none, atomically, so instances
   * starting at once all end up with the one value that won.
   */
  getOrCreate(name: string, candidate: string, now: number): Promise<string>;
}

/** Raised by adapters on unique-constraint violations. */
export class ConflictError extends Error {
  constructor(public readonly field: string) {
    super(`conflict on ${field}`);
    this.name = 'ConflictError';
  }
}

/**
 * Raised by adapters when the database cannot be reached or did not answer in time (connection
 * refused or lost, pool exhausted, statement timeout, server shutting down, serialization retries
 * exhausted). The transaction it interrupted was rolled back or never committed as a whole, so
 * nothing is half-written; the surfaces answer 503 with Retry-After (RFC 9110 §10.2.3), the
 * token endpoint as `temporarily_unavailable` (RFC 6749 §5.2).
 */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
  constructor(
    message: string,
    /** What the surfaces put in Retry-After. */
    readonly retryAfterSeconds = 1,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
