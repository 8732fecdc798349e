/**
 * Seed files: a declarative description of a tenant, its users and its applications
 * (docs/seed-file.md). `parseSeed` validates untrusted JSON by hand into a normalised `Seed`;
 * `applySeed` applies what the file changed since it was last applied, and nothing else — so
 * `serve --seed` can run on every start without undoing what administrators changed at runtime.
 */
import type { Clock } from '../clock.js';
import { hashSecret, verifySecret } from '../crypto/passwords.js';
import { newGuid } from '../crypto/random.js';
import { randomInt } from 'node:crypto';
import { MAX_BACKCHANNEL_LOGOUT_URI_LENGTH, backchannelLogoutUriProblem } from './backchannel-logout-uri.js';
import type { Application, AuditRecord, AuditTarget, BackchannelLogoutRegistration, ClientSecret, User } from './model.js';
import {
  APPLICATION_PERMISSIONS,
  DELEGATED_PERMISSIONS,
  canonicalPermission,
  isKnownApplicationPermission,
  isKnownDelegatedPermission,
} from './permissions.js';
import { ROLE, ROLE_DISPLAY_NAMES, resolveRole } from './roles.js';
import type { SeedEntryRecord, Store, UserPatch } from '../store/store.js';
import { newSeedDigestKey, propertyDigest } from './seed-digest.js';

// ---------------------------------------------------------------------------------------------
// Types. A parsed Seed is normalised: defaults filled, roles as template ids, permission names
// in canonical casing, GUIDs and domains lower-case. A normalised Seed is itself a valid input.

export interface SeedTenant {
  id: string;
  domain: string;
  displayName: string;
}

export interface SeedUser {
  /** Optional: generated on first insert and kept afterwards. */
  id?: string;
  userPrincipalName: string;
  displayName: string;
  /** Plain text in the file; only its argon2id hash is stored. */
  password: string;
  accountEnabled: boolean;
  mail: string | null;
  /** Role template ids (the file may use display names). */
  roles: string[];
}

export interface SeedSecret {
  secretText: string;
  displayName: string | null;
  /** ISO 8601; null = never expires. */
  endDateTime: string | null;
}

export interface SeedApplication {
  appId: string;
  displayName: string;
  publicClient: { redirectUris: string[] };
  web: { redirectUris: string[] };
  spa: { redirectUris: string[] };
  passwordCredentials: SeedSecret[];
  allowPublicClientFlows: boolean;
  delegatedPermissions: string[];
  applicationPermissions: string[];
  /**
   * OpenID Connect Back-Channel Logout 1.0 §2.2 client metadata, under its registration names
   * (so a normalised Seed stays a valid input); both absent = the app is not told of logouts.
   */
  backchannel_logout_uri?: string;
  backchannel_logout_session_required?: boolean;
  /** Directory roles assigned to the app's service principal (template ids; docs/authorization.md). */
  directoryRoles?: string[];
}

export interface Seed {
  tenant: SeedTenant;
  users: SeedUser[];
  applications: SeedApplication[];
}

/**
 * What applying did to one entry. `created`: it did not exist. `updated`: the file changed it
 * since it was last applied and the store differed, so the changed properties were written.
 * `unchanged`: nothing written. `skipped`: the file's entry was applied before, and its user or
 * application is gone (deleted at runtime), so it is not recreated. `adopted`: it existed before
 * this store tracked the entry (an upgrade, or created at runtime); it is left as it is and
 * tracked from now on.
 */
export type SeedOutcome = 'created' | 'updated' | 'unchanged' | 'skipped' | 'adopted';

export interface SeedEntryOutcome {
  kind: 'tenant' | 'user' | 'application';
  /** A user's userPrincipalName, an application's "displayName [appId]", the tenant's domain. */
  name: string;
  outcome: SeedOutcome;
  /**
   * updated: the properties written; adopted: the properties whose stored value differs from the
   * file's (kept); skipped: why. Names only — never a value, so never a password.
   */
  details: string[];
}

export interface SeedResult {
  created: number;
  updated: number;
  unchanged: number;
  skipped: number;
  adopted: number;
  /** Every entry (tenant first, then users and applications in file order). */
  entries: SeedEntryOutcome[];
  /** argon2 hashes and verifications run: none for entries the file did not change. */
  argon2: number;
  /** Differences the seed could not apply (reported, never fatal). */
  warnings: string[];
}

/** Invalid seed content, or a seed that cannot be applied to this store. Message is path-qualified. */
export class SeedError extends Error {
  override name = 'SeedError';
}

// ---------------------------------------------------------------------------------------------
// Parsing

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
// Characters Entra accepts in the alias part of a userPrincipalName.
const UPN_LOCAL = /^[A-Za-z0-9'._\-!#^~+]{1,64}$/;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

type Json = Record<string, unknown>;

function fail(path: string, message: string): never {
  throw new SeedError(`${path}: ${message}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? `'${value}'` : `a ${typeof value}`;
}

function object(value: unknown, path: string, allowed: readonly string[]): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, `must be an object, got ${describe(value)}`);
  for (const key of Object.keys(value)) {
    // Unknown keys are almost always typos ("pasword"); silently ignoring them would hide a mistake.
    if (!allowed.includes(key)) fail(`${path}.${key}`, `unknown property; expected one of ${allowed.join(', ')}`);
  }
  return value as Json;
}

function text(value: unknown, path: string, max = 256): string {
  if (typeof value !== 'string') fail(path, `must be a string, got ${describe(value)}`);
  if (value.trim() === '') fail(path, 'must not be empty');
  if (value.length > max) fail(path, `must be at most ${max} characters`);
  // PostgreSQL text cannot hold U+0000: such a seed would fail half-applied at startup (found by fuzzing).
  if (value.includes('\u0000')) fail(path, 'must not contain the NUL character (U+0000)');
  return value;
}

function optionalText(value: unknown, path: string, max = 256): string | null {
  return value === undefined || value === null ? null : text(value, path, max);
}

function bool(value: unknown, path: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') fail(path, `must be true or false, got ${describe(value)}`);
  return value;
}

function array(value: unknown, path: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(path, `must be an array, got ${describe(value)}`);
  return value;
}

function guid(value: unknown, path: string): string {
  const s = text(value, path);
  if (!GUID.test(s)) fail(path, `must be a GUID like 00000000-0000-0000-0000-000000000000, got '${s}'`);
  return s.toLowerCase();
}

function domain(value: unknown, path: string): string {
  const s = text(value, path, 253).toLowerCase();
  const labels = s.split('.');
  if (labels.length < 2 || !labels.every((l) => DOMAIN_LABEL.test(l))) {
    fail(path, `must be a DNS name with at least two labels, like contoso.example, got '${s}'`);
  }
  return s;
}

function parseTenant(value: unknown): SeedTenant {
  const t = object(value, 'tenant', ['id', 'domain', 'displayName']);
  return { id: guid(t.id, 'tenant.id'), domain: domain(t.domain, 'tenant.domain'), displayName: text(t.displayName, 'tenant.displayName') };
}

function userPrincipalName(value: unknown, path: string, tenantDomain: string): string {
  const s = text(value, path, 113);
  const at = s.lastIndexOf('@');
  const local = s.slice(0, at);
  const host = s.slice(at + 1).toLowerCase();
  // Entra only accepts UPNs in a verified domain of the tenant; the seed tenant has exactly one.
  if (at <= 0 || !UPN_LOCAL.test(local) || local.startsWith('.') || local.endsWith('.') || host !== tenantDomain) {
    fail(path, `must be an email-like user@domain whose domain is the tenant domain '${tenantDomain}', got '${s}'`);
  }
  return s;
}

function roles(value: unknown, path: string): string[] {
  const ids = array(value, path).map((r, i) => {
    const name = text(r, `${path}[${i}]`);
    const id = resolveRole(name);
    if (!id) fail(`${path}[${i}]`, `unknown role '${name}'; known roles: ${Object.values(ROLE_DISPLAY_NAMES).join(', ')}`);
    return id;
  });
  return [...new Set(ids)];
}

function parseUser(value: unknown, path: string, tenantDomain: string): SeedUser {
  const u = object(value, path, ['id', 'userPrincipalName', 'displayName', 'password', 'accountEnabled', 'mail', 'roles']);
  const password = text(u.password, `${path}.password`);
  // Entra's minimum length; the seed is often the only place a password is chosen.
  if (password.length < 8) fail(`${path}.password`, 'must be at least 8 characters');
  const mail = optionalText(u.mail, `${path}.mail`);
  if (mail !== null && !/^[^@\s]+@[^@\s]+$/.test(mail)) fail(`${path}.mail`, `must be an email address, got '${mail}'`);
  const user: SeedUser = {
    userPrincipalName: userPrincipalName(u.userPrincipalName, `${path}.userPrincipalName`, tenantDomain),
    displayName: text(u.displayName, `${path}.displayName`),
    password,
    accountEnabled: bool(u.accountEnabled, `${path}.accountEnabled`, true),
    mail,
    roles: roles(u.roles, `${path}.roles`),
  };
  if (u.id !== undefined) user.id = guid(u.id, `${path}.id`);
  return user;
}

function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]';
}

function redirectUris(value: unknown, path: string): { redirectUris: string[] } {
  if (value === undefined) return { redirectUris: [] };
  const o = object(value, path, ['redirectUris']);
  const uris = array(o.redirectUris, `${path}.redirectUris`).map((v, i) => {
    const p = `${path}.redirectUris[${i}]`;
    const s = text(v, p, 1024);
    let url: URL;
    try {
      url = new URL(s);
    } catch {
      fail(p, `must be an absolute URL, got '${s}'`);
    }
    // Entra: redirect URIs must use https, except http on the loopback host for local development.
    const ok = url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
    if (!ok) fail(p, `must use https (http is allowed only for localhost, 127.0.0.1 and [::1]), got '${s}'`);
    // RFC 6749 §3.1.2: the redirection endpoint URI must not include a fragment.
    if (url.hash !== '' || s.includes('#')) fail(p, `must not contain a fragment, got '${s}'`);
    return s;
  });
  return { redirectUris: [...new Set(uris)] };
}

function endDateTime(value: unknown, path: string): string | null {
  const s = optionalText(value, path);
  if (s === null) return null;
  const ms = Date.parse(s);
  if (!ISO_8601.test(s) || Number.isNaN(ms)) fail(path, `must be an ISO 8601 date-time like 2030-12-31T00:00:00Z, got '${s}'`);
  return new Date(ms).toISOString();
}

function secrets(value: unknown, path: string): SeedSecret[] {
  const seen = new Set<string>();
  return array(value, path).map((v, i) => {
    const p = `${path}[${i}]`;
    const s = object(v, p, ['secretText', 'displayName', 'endDateTime']);
    const secretText = text(s.secretText, `${p}.secretText`, 512);
    // A client secret is a password an attacker can try offline against nothing but the token endpoint.
    if (secretText.length < 16) fail(`${p}.secretText`, 'must be at least 16 characters');
    if (seen.has(secretText)) fail(`${p}.secretText`, 'duplicates an earlier secret of this application');
    seen.add(secretText);
    return { secretText, displayName: optionalText(s.displayName, `${p}.displayName`), endDateTime: endDateTime(s.endDateTime, `${p}.endDateTime`) };
  });
}

function permissions(value: unknown, path: string, kind: 'delegated' | 'application'): string[] {
  const known = kind === 'delegated' ? DELEGATED_PERMISSIONS : APPLICATION_PERMISSIONS;
  const isKnown = kind === 'delegated' ? isKnownDelegatedPermission : isKnownApplicationPermission;
  const names = array(value, path).map((v, i) => {
    const name = text(v, `${path}[${i}]`);
    const canonical = isKnown(name) ? canonicalPermission(name) : undefined;
    if (!canonical) fail(`${path}[${i}]`, `unknown ${kind} permission '${name}'; known: ${known.join(', ')}`);
    return canonical;
  });
  return [...new Set(names)];
}

function parseApplication(value: unknown, path: string): SeedApplication {
  const a = object(value, path, [
    'appId', 'displayName', 'publicClient', 'web', 'spa', 'passwordCredentials',
    'allowPublicClientFlows', 'delegatedPermissions', 'applicationPermissions',
    'backchannel_logout_uri', 'backchannel_logout_session_required', 'directoryRoles',
  ]);
  return {
    appId: guid(a.appId, `${path}.appId`),
    displayName: text(a.displayName, `${path}.displayName`),
    publicClient: redirectUris(a.publicClient, `${path}.publicClient`),
    web: redirectUris(a.web, `${path}.web`),
    spa: redirectUris(a.spa, `${path}.spa`),
    passwordCredentials: secrets(a.passwordCredentials, `${path}.passwordCredentials`),
    allowPublicClientFlows: bool(a.allowPublicClientFlows, `${path}.allowPublicClientFlows`, false),
    delegatedPermissions: permissions(a.delegatedPermissions, `${path}.delegatedPermissions`, 'delegated'),
    applicationPermissions: permissions(a.applicationPermissions, `${path}.applicationPermissions`, 'application'),
    ...backchannelLogoutMetadata(a, path),
    ...directoryRoles(a, path),
  };
}

/** Present only when roles are assigned, so a normalised Seed stays equal to its input. */
function directoryRoles(a: Record<string, unknown>, path: string): Pick<SeedApplication, 'directoryRoles'> {
  const ids = roles(a.directoryRoles, `${path}.directoryRoles`);
  return ids.length > 0 ? { directoryRoles: ids } : {};
}

/** OpenID Connect Back-Channel Logout 1.0 §2.2 client metadata (session_required defaults to false). */
function backchannelLogoutMetadata(
  a: Record<string, unknown>,
  path: string,
): Pick<SeedApplication, 'backchannel_logout_uri' | 'backchannel_logout_session_required'> {
  const uri = optionalText(a.backchannel_logout_uri, `${path}.backchannel_logout_uri`, MAX_BACKCHANNEL_LOGOUT_URI_LENGTH);
  const sessionRequired = bool(a.backchannel_logout_session_required, `${path}.backchannel_logout_session_required`, false);
  if (uri === null) {
    if (a.backchannel_logout_session_required !== undefined) fail(`${path}.backchannel_logout_session_required`, 'needs backchannel_logout_uri');
    return {};
  }
  const problem = backchannelLogoutUriProblem(uri);
  if (problem) fail(`${path}.backchannel_logout_uri`, problem);
  return { backchannel_logout_uri: uri, backchannel_logout_session_required: sessionRequired };
}

function seedBackchannelLogout(a: SeedApplication): BackchannelLogoutRegistration | null {
  return a.backchannel_logout_uri === undefined
    ? null
    : { uri: a.backchannel_logout_uri, sessionRequired: a.backchannel_logout_session_required ?? false };
}

function rejectDuplicates<T>(items: readonly T[], key: (t: T) => string | undefined, path: (i: number) => string, what: string): void {
  const first = new Map<string, number>();
  items.forEach((item, i) => {
    const k = key(item);
    if (k === undefined) return;
    const earlier = first.get(k);
    if (earlier !== undefined) fail(path(i), `duplicate ${what}; ${path(earlier)} already uses it`);
    first.set(k, i);
  });
}

/** Validates a parsed JSON document; throws SeedError naming the first offending path. */
export function parseSeed(json: unknown): Seed {
  const root = object(json, 'seed', ['$schema', 'tenant', 'users', 'applications']);
  if (root.tenant === undefined) fail('tenant', 'is required');
  const tenant = parseTenant(root.tenant);
  const users = array(root.users, 'users').map((u, i) => parseUser(u, `users[${i}]`, tenant.domain));
  const applications = array(root.applications, 'applications').map((a, i) => parseApplication(a, `applications[${i}]`));
  rejectDuplicates(users, (u) => u.userPrincipalName.toLowerCase(), (i) => `users[${i}].userPrincipalName`, 'userPrincipalName (case-insensitive)');
  rejectDuplicates(users, (u) => u.id, (i) => `users[${i}].id`, 'id');
  rejectDuplicates(applications, (a) => a.appId, (i) => `applications[${i}].appId`, 'appId');
  return { tenant, users, applications };
}

// ---------------------------------------------------------------------------------------------
// Applying
//
// Each user and application entry has a record in the store (SeedStateStore): which user or
// application it was applied to, and a keyed digest of each of its properties as the file said
// then (seed-digest.ts). A start compares digests, not values: a property the file did not change
// since is left as the store has it — whatever an administrator changed at runtime (a password
// reset, a disable) stays — and costs no argon2. A property the file changed is applied.

/** Who the audit log says made seed changes (Graph directoryAudit initiatedBy.app). */
const SEED_ACTOR = { app: { appId: 'portcullis-seed', displayName: 'Portcullis seed' } } as const;

interface ApplyContext {
  store: Store;
  tenantId: string;
  now: number;
  digestKey: string;
  records: Map<string, SeedEntryRecord>;
  result: SeedResult;
}

const recordId = (kind: SeedEntryRecord['kind'], key: string): string => `${kind}\u0000${key}`;

function report(ctx: ApplyContext, kind: SeedEntryOutcome['kind'], name: string, outcome: SeedOutcome, details: string[] = []): void {
  ctx.result[outcome]++;
  ctx.result.entries.push({ kind, name, outcome, details });
}

/** argon2, counted: the count is what shows that an unchanged entry costs none. */
function hash(ctx: ApplyContext, plain: string): Promise<string> {
  ctx.result.argon2++;
  return hashSecret(plain);
}

function verify(ctx: ApplyContext, stored: string, plain: string): Promise<boolean> {
  ctx.result.argon2++;
  return verifySecret(stored, plain);
}

function digestsOf(ctx: ApplyContext, kind: SeedEntryRecord['kind'], key: string, values: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [property, value] of Object.entries(values)) out[property] = propertyDigest(ctx.digestKey, [ctx.tenantId, kind, key, property], value);
  return out;
}

/** Properties whose digest differs from the record's (a property the record lacks counts as changed). */
function changedSince(record: SeedEntryRecord, digests: Record<string, string>): string[] {
  return Object.keys(digests).filter((p) => record.digests[p] !== digests[p]);
}

async function track(ctx: ApplyContext, kind: SeedEntryRecord['kind'], key: string, subjectId: string, digests: Record<string, string>): Promise<void> {
  const record: SeedEntryRecord = { kind, key, subjectId, digests, appliedAt: ctx.now };
  await ctx.store.seedState.put(record);
  ctx.records.set(recordId(kind, key), record);
}

/** Forgets the records of entries the file no longer has (a seed never deletes the users themselves). */
async function forgetRemoved(ctx: ApplyContext, kind: SeedEntryRecord['kind'], keys: ReadonlySet<string>): Promise<void> {
  const gone = [...ctx.records.values()].filter((r) => r.kind === kind && !keys.has(r.key)).map((r) => r.key);
  await ctx.store.seedState.remove(kind, gone);
}

function audit(tenantId: string, now: number, activity: string, user: User, modified: AuditTarget['modifiedProperties']): AuditRecord {
  return {
    id: newGuid(),
    tenantId,
    activityDateTime: now,
    activityDisplayName: activity,
    category: 'UserManagement',
    loggedByService: 'Core Directory',
    operationType: 'Update',
    result: 'success',
    resultReason: '',
    correlationId: newGuid(),
    initiatedBy: { app: { ...SEED_ACTOR.app } },
    targetResources: [
      { id: user.id, type: 'User', userPrincipalName: user.userPrincipalName, displayName: user.displayName, modifiedProperties: modified },
    ],
  };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  return sa.size === new Set(b).size && b.every((x) => sa.has(x));
}

/** Graph audit logs render property values as JSON arrays in strings. */
function shown(value: unknown): string {
  return JSON.stringify([value]);
}

/**
 * The tenant has no runtime editor (no Graph organization update), so there is nothing to keep:
 * its domain and display name are compared and applied on every start, without a record.
 */
async function applyTenant(ctx: ApplyContext, seed: Seed): Promise<void> {
  const existing = await ctx.store.tenants.get();
  if (!existing) {
    await ctx.store.tenants.insert({ ...seed.tenant, createdAt: ctx.now });
    report(ctx, 'tenant', seed.tenant.domain, 'created');
    return;
  }
  if (existing.id !== seed.tenant.id) {
    throw new SeedError(
      `tenant.id: this store already holds tenant ${existing.id} (${existing.domain}); a store holds one tenant, so use a new data directory for ${seed.tenant.id}`,
    );
  }
  const changed = (['domain', 'displayName'] as const).filter((p) => existing[p] !== seed.tenant[p]);
  if (changed.length === 0) {
    report(ctx, 'tenant', seed.tenant.domain, 'unchanged');
    return;
  }
  await ctx.store.tenants.update({ ...existing, domain: seed.tenant.domain, displayName: seed.tenant.displayName });
  report(ctx, 'tenant', seed.tenant.domain, 'updated', [...changed]);
}

// --- users

/** The entry's identity in the file: its id when it gives one, else its userPrincipalName. */
function userKey(u: SeedUser): string {
  return u.id !== undefined ? `id:${u.id}` : `upn:${u.userPrincipalName.toLowerCase()}`;
}

/** The tracked properties of a user entry: every property but `id`, which is part of the key. */
function userProperties(u: SeedUser): { [P in Exclude<keyof SeedUser, 'id'>]-?: unknown } {
  return { userPrincipalName: u.userPrincipalName, displayName: u.displayName, password: u.password, accountEnabled: u.accountEnabled, mail: u.mail, roles: u.roles };
}

/** Properties (other than the password, which only argon2 could compare) whose stored value differs. */
function userDifferences(u: SeedUser, current: User): string[] {
  const differs: string[] = [];
  if (current.userPrincipalName !== u.userPrincipalName) differs.push('userPrincipalName');
  if (current.displayName !== u.displayName) differs.push('displayName');
  if (current.accountEnabled !== u.accountEnabled) differs.push('accountEnabled');
  if (current.mail !== u.mail) differs.push('mail');
  if (!sameSet(current.roleTemplateIds, u.roles)) differs.push('roles');
  return differs;
}

async function findSeedUser(store: Store, tenantId: string, u: SeedUser, path: string): Promise<User | null> {
  const byUpn = await store.users.findByUserPrincipalName(tenantId, u.userPrincipalName);
  if (u.id === undefined) return byUpn;
  if (byUpn && byUpn.id !== u.id) fail(`${path}.id`, `'${u.userPrincipalName}' already exists with id ${byUpn.id}, not ${u.id}`);
  // With an explicit id, the id is the key: a changed userPrincipalName renames the user.
  return byUpn ?? (await store.users.findById(tenantId, u.id));
}

async function insertUser(ctx: ApplyContext, u: SeedUser): Promise<string> {
  const id = u.id ?? newGuid();
  await ctx.store.users.insert({
    id,
    tenantId: ctx.tenantId,
    userPrincipalName: u.userPrincipalName,
    displayName: u.displayName,
    mail: u.mail,
    passwordHash: await hash(ctx, u.password),
    accountEnabled: u.accountEnabled,
    revocationEpoch: 0,
    signInSessionsValidFrom: null,
    refreshTokensValidFrom: null,
    roleTemplateIds: u.roles,
    createdAt: ctx.now,
  });
  return id;
}

/** Applies the properties the file changed; returns the ones it had to write. */
async function updateUser(ctx: ApplyContext, u: SeedUser, current: User, changed: readonly string[]): Promise<string[]> {
  const { tenantId, now } = ctx;
  const patch: UserPatch = {};
  const modified: AuditTarget['modifiedProperties'] = [];
  const written: string[] = [];
  const differs = new Set(userDifferences(u, current));
  const apply = (property: string) => changed.includes(property) && differs.has(property);
  if (apply('userPrincipalName')) {
    patch.userPrincipalName = u.userPrincipalName;
    modified.push({ displayName: 'UserPrincipalName', oldValue: shown(current.userPrincipalName), newValue: shown(u.userPrincipalName) });
    written.push('userPrincipalName');
  }
  if (apply('displayName')) {
    patch.displayName = u.displayName;
    modified.push({ displayName: 'DisplayName', oldValue: shown(current.displayName), newValue: shown(u.displayName) });
    written.push('displayName');
  }
  if (apply('accountEnabled')) {
    patch.accountEnabled = u.accountEnabled;
    modified.push({ displayName: 'AccountEnabled', oldValue: shown(current.accountEnabled), newValue: shown(u.accountEnabled) });
    written.push('accountEnabled');
  }
  if (apply('roles')) {
    patch.roleTemplateIds = u.roles;
    modified.push({ displayName: 'Roles', oldValue: JSON.stringify(current.roleTemplateIds), newValue: JSON.stringify(u.roles) });
    written.push('roles');
  }
  if (apply('mail')) {
    // UserPatch has no mail field (store contract); report rather than silently pretend.
    ctx.result.warnings.push(`user '${u.userPrincipalName}': mail differs from the seed but cannot be changed by a seed; it stays '${current.mail ?? ''}'`);
  }
  // A password the file changed: verify first, so a store that already holds it (an administrator
  // set the same one) is not reset and revoked for nothing.
  const passwordChanged =
    changed.includes('password') && (current.passwordHash === null || !(await verify(ctx, current.passwordHash, u.password)));
  if (passwordChanged) {
    patch.passwordHash = await hash(ctx, u.password);
    written.push('password');
  }

  const records: AuditRecord[] = [];
  if (modified.length > 0) records.push(audit(tenantId, now, 'Update user', current, modified));
  if (passwordChanged) records.push(audit(tenantId, now, 'Reset password', current, []));
  if (records.length === 0) return [];
  // A password reset revokes like a revoke, and so does disabling the account (docs/seed-file.md).
  const disables = current.accountEnabled && patch.accountEnabled === false;
  const revokes = passwordChanged || disables;
  const securityEvent = {
    type: disables ? ('account-disabled' as const) : ('password-reset' as const),
    occurredAt: now,
    // A seed file applied by the operator at start-up: no interactive admin, CAEP 'system'.
    initiatingEntity: 'system' as const,
    initiatedBy: {},
    correlationId: newGuid(),
  };
  await ctx.store.users.update(tenantId, current.id, patch, revokes ? { revokeAt: now, audit: records, securityEvent } : { audit: records });
  return written;
}

async function applyUser(ctx: ApplyContext, u: SeedUser, path: string): Promise<void> {
  const key = userKey(u);
  const digests = digestsOf(ctx, 'user', key, userProperties(u));
  const record = ctx.records.get(recordId('user', key));
  const tracked = record ? await ctx.store.users.findById(ctx.tenantId, record.subjectId) : null;
  if (record && tracked) {
    const changed = changedSince(record, digests);
    if (changed.length === 0) {
      report(ctx, 'user', tracked.userPrincipalName, 'unchanged');
      return;
    }
    const written = await updateUser(ctx, u, tracked, changed);
    await track(ctx, 'user', key, tracked.id, digests);
    report(ctx, 'user', u.userPrincipalName, written.length > 0 ? 'updated' : 'unchanged', written);
    return;
  }
  const existing = await findSeedUser(ctx.store, ctx.tenantId, u, path);
  if (existing) {
    // Not applied by this store before (or its user was replaced at runtime): keep what is there.
    await track(ctx, 'user', key, existing.id, digests);
    report(ctx, 'user', existing.userPrincipalName, 'adopted', userDifferences(u, existing));
    return;
  }
  if (record) {
    // Applied before, deleted since: a deletion (often an incident response) is not undone by a
    // restart. The record stays, so this is reported on every start until the entry is removed.
    report(ctx, 'user', u.userPrincipalName, 'skipped', ['deleted at runtime']);
    return;
  }
  const id = await insertUser(ctx, u);
  await track(ctx, 'user', key, id, digests);
  report(ctx, 'user', u.userPrincipalName, 'created');
}

async function applyUsers(ctx: ApplyContext, seed: Seed): Promise<void> {
  for (const [i, u] of seed.users.entries()) await applyUser(ctx, u, `users[${i}]`);
  await forgetRemoved(ctx, 'user', new Set(seed.users.map(userKey)));
}

// --- applications

/**
 * Which tracked property each field of an application entry belongs to. Every field must be
 * listed (a new seed field is a compile error here until it is), so none escapes tracking.
 */
const APPLICATION_PROPERTY_OF = {
  displayName: 'displayName',
  publicClient: 'publicClient',
  web: 'web',
  spa: 'spa',
  passwordCredentials: 'passwordCredentials',
  allowPublicClientFlows: 'allowPublicClientFlows',
  delegatedPermissions: 'delegatedPermissions',
  applicationPermissions: 'applicationPermissions',
  backchannel_logout_uri: 'backchannelLogout',
  backchannel_logout_session_required: 'backchannelLogout',
  directoryRoles: 'directoryRoles',
} as const satisfies Record<Exclude<keyof SeedApplication, 'appId'>, string>;

type ApplicationProperty = (typeof APPLICATION_PROPERTY_OF)[keyof typeof APPLICATION_PROPERTY_OF];

/** The stored fields each property sets. */
const APPLICATION_FIELDS: Record<ApplicationProperty, readonly (keyof Application)[]> = {
  displayName: ['displayName'],
  publicClient: ['publicClientRedirectUris'],
  web: ['webRedirectUris'],
  spa: ['spaRedirectUris'],
  passwordCredentials: ['secrets'],
  allowPublicClientFlows: ['allowPublicClientFlows'],
  delegatedPermissions: ['delegatedPermissions'],
  applicationPermissions: ['applicationPermissions'],
  backchannelLogout: ['backchannelLogout'],
  directoryRoles: ['directoryRoles'],
};

function applicationProperties(a: SeedApplication): Record<ApplicationProperty, Record<string, unknown>> {
  const out = {} as Record<ApplicationProperty, Record<string, unknown>>;
  for (const [field, property] of Object.entries(APPLICATION_PROPERTY_OF) as [keyof typeof APPLICATION_PROPERTY_OF, ApplicationProperty][]) {
    out[property] = { ...out[property], [field]: a[field] };
  }
  return out;
}

/** A stored field in a fixed shape (row-derived objects may order keys differently). */
function fieldView(app: Application, field: keyof Application): string {
  if (field === 'secrets') return JSON.stringify(app.secrets.map((s) => [s.keyId, s.hash, s.hint, s.displayName, s.endDateTime]));
  if (field === 'backchannelLogout') return JSON.stringify(app.backchannelLogout ? [app.backchannelLogout.uri, app.backchannelLogout.sessionRequired] : null);
  if (field === 'directoryRoles') return JSON.stringify(app.directoryRoles ?? []);
  return JSON.stringify(app[field]);
}

function differingProperties(a: Application, b: Application, properties: readonly ApplicationProperty[]): ApplicationProperty[] {
  return properties.filter((p) => APPLICATION_FIELDS[p].some((f) => fieldView(a, f) !== fieldView(b, f)));
}

/**
 * The secrets the app should hold: an existing entry whose hash verifies against a seed secret is
 * kept as it is (same keyId and hash), so re-applying the seed does not rotate anything.
 */
async function desiredSecrets(ctx: ApplyContext, seedSecrets: readonly SeedSecret[], existing: readonly ClientSecret[]): Promise<ClientSecret[]> {
  const unmatched = [...existing];
  const out: ClientSecret[] = [];
  for (const s of seedSecrets) {
    const endDateTime = s.endDateTime === null ? null : Date.parse(s.endDateTime);
    let match: ClientSecret | undefined;
    for (const candidate of unmatched) {
      if (await verify(ctx, candidate.hash, s.secretText)) {
        match = candidate;
        break;
      }
    }
    if (match) {
      unmatched.splice(unmatched.indexOf(match), 1);
      out.push({ ...match, displayName: s.displayName, endDateTime });
    } else {
      out.push({ keyId: newGuid(), hash: await hash(ctx, s.secretText), hint: s.secretText.slice(0, 3), displayName: s.displayName, endDateTime });
    }
  }
  return out;
}

/** The application as the file describes it, with `secrets` given. */
function seedApplication(ctx: ApplyContext, a: SeedApplication, secrets: ClientSecret[], createdAt: number): Application {
  return {
    appId: a.appId,
    tenantId: ctx.tenantId,
    displayName: a.displayName,
    publicClientRedirectUris: a.publicClient.redirectUris,
    webRedirectUris: a.web.redirectUris,
    spaRedirectUris: a.spa.redirectUris,
    secrets,
    allowPublicClientFlows: a.allowPublicClientFlows,
    delegatedPermissions: a.delegatedPermissions,
    applicationPermissions: a.applicationPermissions,
    createdAt,
    backchannelLogout: seedBackchannelLogout(a),
    directoryRoles: a.directoryRoles ?? [],
  };
}

async function applyApplication(ctx: ApplyContext, a: SeedApplication): Promise<void> {
  const properties = applicationProperties(a);
  const digests = digestsOf(ctx, 'application', a.appId, properties);
  const record = ctx.records.get(recordId('application', a.appId));
  const current = await ctx.store.applications.findByAppId(ctx.tenantId, a.appId);
  const name = `${a.displayName} [${a.appId}]`;
  if (!current) {
    if (record) {
      report(ctx, 'application', name, 'skipped', ['deleted at runtime']);
      return;
    }
    await ctx.store.applications.upsert(seedApplication(ctx, a, await desiredSecrets(ctx, a.passwordCredentials, []), ctx.now));
    await track(ctx, 'application', a.appId, a.appId, digests);
    report(ctx, 'application', name, 'created');
    return;
  }
  const all = Object.keys(properties) as ApplicationProperty[];
  if (!record) {
    // Secrets are not compared here: that would take argon2 per secret.
    const differs = differingProperties(current, seedApplication(ctx, a, current.secrets, current.createdAt), all);
    await track(ctx, 'application', a.appId, a.appId, digests);
    report(ctx, 'application', name, 'adopted', differs);
    return;
  }
  const changed = changedSince(record, digests) as ApplicationProperty[];
  if (changed.length === 0) {
    report(ctx, 'application', name, 'unchanged');
    return;
  }
  const secrets = changed.includes('passwordCredentials') ? await desiredSecrets(ctx, a.passwordCredentials, current.secrets) : current.secrets;
  const fromFile = seedApplication(ctx, a, secrets, current.createdAt);
  const next: Application = { ...current };
  for (const p of changed) for (const f of APPLICATION_FIELDS[p]) Object.assign(next, { [f]: fromFile[f] });
  const written = differingProperties(current, next, changed);
  if (written.length > 0) await ctx.store.applications.upsert(next);
  await track(ctx, 'application', a.appId, a.appId, digests);
  report(ctx, 'application', name, written.length > 0 ? 'updated' : 'unchanged', written);
}

async function applyApplications(ctx: ApplyContext, seed: Seed): Promise<void> {
  for (const a of seed.applications) await applyApplication(ctx, a);
  await forgetRemoved(ctx, 'application', new Set(seed.applications.map((a) => a.appId)));
}

/**
 * Brings the store in line with what the file changed since it was last applied (see "Applying"
 * above). Counts cover the tenant, users and applications. Users and applications the seed does
 * not mention are left alone; an application's secrets, when the file changes them, become
 * exactly those the file lists.
 */
export async function applySeed(store: Store, seed: Seed, clock: Clock): Promise<SeedResult> {
  const now = clock.now();
  const result: SeedResult = { created: 0, updated: 0, unchanged: 0, skipped: 0, adopted: 0, entries: [], argon2: 0, warnings: [] };
  const digestKey = await store.seedState.digestKey(newSeedDigestKey(), now);
  const records = new Map((await store.seedState.list()).map((r) => [recordId(r.kind, r.key), r]));
  const ctx: ApplyContext = { store, tenantId: seed.tenant.id, now, digestKey, records, result };
  await applyTenant(ctx, seed);
  await applyUsers(ctx, seed);
  await applyApplications(ctx, seed);
  return result;
}

// ---------------------------------------------------------------------------------------------
// The demo tenant `serve` creates when started on an empty store without a seed file.

export const DEMO_DOMAIN = 'demo.portcullis.localhost';
export const DEMO_CLI_APP_ID = '6c1b1e2a-4b0e-4f59-9a57-0c2a1f3e8d11';
export const DEMO_WEB_APP_ID = '3f2c8a9d-5e71-4b6a-8c0d-9e1f2a3b4c5d';

/** A random password that meets Entra's complexity rule (three of four character classes — we use all four). */
function randomPassword(length = 20): string {
  const classes = ['ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnopqrstuvwxyz', '23456789', '-_.!~'];
  const all = classes.join('');
  const chars = classes.map((c) => c[randomInt(c.length)] ?? '');
  while (chars.length < length) chars.push(all[randomInt(all.length)] ?? '');
  // Fisher–Yates, so the guaranteed characters are not always first.
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j] ?? '', chars[i] ?? ''];
  }
  return chars.join('');
}

export function demoSeed(): { seed: Seed; adminPassword: string } {
  const adminPassword = randomPassword();
  const seed: Seed = {
    tenant: { id: newGuid(), domain: DEMO_DOMAIN, displayName: 'Portcullis Demo' },
    users: [
      {
        userPrincipalName: `admin@${DEMO_DOMAIN}`,
        displayName: 'Demo Administrator',
        password: adminPassword,
        accountEnabled: true,
        mail: null,
        roles: [ROLE.globalAdministrator],
      },
    ],
    applications: [
      {
        appId: DEMO_CLI_APP_ID,
        displayName: 'Portcullis CLI',
        publicClient: { redirectUris: ['http://localhost'] },
        web: { redirectUris: [] },
        spa: { redirectUris: [] },
        passwordCredentials: [],
        allowPublicClientFlows: true,
        delegatedPermissions: ['User.RevokeSessions.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All', 'AuditLog.Read.All', 'User.Read'],
        applicationPermissions: [],
      },
      {
        appId: DEMO_WEB_APP_ID,
        displayName: 'Demo Web App',
        publicClient: { redirectUris: [] },
        web: { redirectUris: ['http://localhost:3000/auth/callback'] },
        spa: { redirectUris: [] },
        // No secret: the demo's password would be printed; add one through a seed file instead.
        passwordCredentials: [],
        allowPublicClientFlows: false,
        delegatedPermissions: ['User.Read'],
        applicationPermissions: [],
      },
    ],
  };
  return { seed, adminPassword };
}
