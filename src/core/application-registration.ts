/**
 * The rules of an application registration, and the one way a registration is written: Graph's
 * POST/PATCH /applications (src/graph/applications.ts) and the seed file (seed-applications.ts)
 * both end in `saveApplication`, so a seeded app obeys exactly what an app created at runtime does.
 * Sources: https://learn.microsoft.com/graph/api/resources/application, .../resources/approle,
 * .../resources/permissionscope and .../resources/requiredresourceaccess.
 */
import type { ApplicationStore } from '../store/store.js';
import { ConflictError } from '../store/store.js';
import { backchannelLogoutUriProblem } from './backchannel-logout-uri.js';
import type { Application, AppRole, AuditRecord, PermissionScope } from './model.js';
import { redirectUriProblem } from './redirect-uri-rule.js';

export type ApplicationViolation =
  /** A property's value breaks a rule; `reason` says which (for logs and the CLI, not Graph's message). */
  | { kind: 'invalid_value'; property: string; reason: string }
  /** Another app of the tenant holds one of the identifier URIs. */
  | { kind: 'duplicate_identifier_uri' }
  /** An enabled app role or scope was removed or had its value changed (disable it first). */
  | { kind: 'enabled_entitlement'; property: 'appRoles' | 'api.oauth2PermissionScopes' };

export class ApplicationRuleError extends Error {
  constructor(readonly violation: ApplicationViolation) {
    super(violation.kind === 'invalid_value' ? `${violation.property}: ${violation.reason}` : violation.kind);
    this.name = 'ApplicationRuleError';
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isGuidText = (s: string): boolean => GUID.test(s);

/**
 * appRole.value (and, alike, permissionScope.value): at most 120 characters, no spaces, from
 * "`` :!#$%&'()*+,-./:;<=>?@[]^+_`{|}~ `` as well as characters in the ranges 0-9, A-Z and a-z"
 * (https://learn.microsoft.com/graph/api/resources/approle).
 */
const ENTITLEMENT_VALUE = /^[A-Za-z0-9:!#$%&'()*+,\-./;<=>?@[\]^_`{|}~]{1,120}$/;

/** Graph's limits on the collections (no single page states them all; Entra's portal allows 256 redirect URIs). */
const MAX_REDIRECT_URIS = 256;
const MAX_IDENTIFIER_URIS = 50;
const MAX_IDENTIFIER_URI_LENGTH = 1024;
const MAX_DISPLAY_NAME = 256;

function fail(property: string, reason: string): never {
  throw new ApplicationRuleError({ kind: 'invalid_value', property, reason });
}

function checkDistinct(property: string, keys: readonly string[]): void {
  const seen = new Set<string>();
  for (const k of keys) {
    const key = k.toLowerCase();
    if (seen.has(key)) fail(property, `'${k}' appears twice`);
    seen.add(key);
  }
}

function checkRedirectUris(property: string, uris: readonly string[]): void {
  if (uris.length > MAX_REDIRECT_URIS) fail(property, `at most ${MAX_REDIRECT_URIS} URIs`);
  for (const uri of uris) {
    const problem = redirectUriProblem(uri);
    if (problem) fail(property, problem);
  }
  checkDistinct(property, uris);
}

/**
 * An identifier URI (App ID URI) names the app as a resource in `scope` values, so it is an
 * absolute URI with a scheme (api://, https://, urn:...), without spaces, fragment or wildcard.
 */
export function identifierUriProblem(uri: string): string | null {
  if (uri.length === 0 || uri.length > MAX_IDENTIFIER_URI_LENGTH) return `must be 1 to ${MAX_IDENTIFIER_URI_LENGTH} characters`;
  if (/[\s#*]/.test(uri)) return 'must not contain spaces, a fragment or a wildcard';
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return `must be an absolute URI, got '${uri}'`;
  }
  if (!['api:', 'https:', 'urn:'].includes(url.protocol)) return 'must use the api, https or urn scheme';
  return null;
}

function checkEntitlement(property: string, e: { id: string; value: string }): void {
  if (!isGuidText(e.id)) fail(`${property}.id`, 'must be a GUID');
  if (!ENTITLEMENT_VALUE.test(e.value) || e.value.startsWith('.'))
    fail(`${property}.value`, "at most 120 characters, no spaces, letters, digits and :!#$%&'()*+,-./;<=>?@[]^_`{|}~");
}

function checkScopes(scopes: readonly PermissionScope[]): void {
  const property = 'api.oauth2PermissionScopes';
  for (const s of scopes) {
    checkEntitlement(property, s);
    if (s.type !== 'User' && s.type !== 'Admin') fail(`${property}.type`, "must be 'User' or 'Admin'");
    if (s.adminConsentDisplayName.trim() === '') fail(`${property}.adminConsentDisplayName`, 'must not be empty');
    if (s.adminConsentDescription.trim() === '') fail(`${property}.adminConsentDescription`, 'must not be empty');
  }
  checkDistinct(
    `${property}.id`,
    scopes.map((s) => s.id),
  );
  checkDistinct(
    `${property}.value`,
    scopes.map((s) => s.value),
  );
}

function checkRoles(roles: readonly AppRole[]): void {
  for (const r of roles) {
    checkEntitlement('appRoles', r);
    if (r.displayName.trim() === '') fail('appRoles.displayName', 'must not be empty');
    if (r.description.trim() === '') fail('appRoles.description', 'must not be empty');
    const types = r.allowedMemberTypes;
    if (types.length === 0 || types.some((t) => t !== 'User' && t !== 'Application') || new Set(types).size !== types.length)
      fail('appRoles.allowedMemberTypes', "one or both of 'User' and 'Application'");
  }
  checkDistinct(
    'appRoles.id',
    roles.map((r) => r.id),
  );
  checkDistinct(
    'appRoles.value',
    roles.map((r) => r.value),
  );
}

/**
 * "To delete a role, this must first be set to false" (appRole.isEnabled): an enabled role or
 * scope of `before` must still be there, with the same value, in `after`. Portcullis applies the
 * rule to scopes too (permissionScope.isEnabled says the same of scopes).
 */
function checkEnabledKept<T extends { id: string; value: string; isEnabled: boolean }>(
  property: 'appRoles' | 'api.oauth2PermissionScopes',
  before: readonly T[],
  after: readonly T[],
): void {
  for (const old of before) {
    if (!old.isEnabled) continue;
    const now = after.find((e) => e.id.toLowerCase() === old.id.toLowerCase());
    if (!now || now.value !== old.value) throw new ApplicationRuleError({ kind: 'enabled_entitlement', property });
  }
}

/** Throws ApplicationRuleError for the first rule `after` breaks (`before` = the stored app, null on create). */
export function checkApplication(after: Application, before: Application | null): void {
  if (after.displayName.trim() === '' || after.displayName.length > MAX_DISPLAY_NAME)
    fail('displayName', `1 to ${MAX_DISPLAY_NAME} characters, not only spaces`);
  checkRedirectUris('web.redirectUris', after.webRedirectUris);
  checkRedirectUris('spa.redirectUris', after.spaRedirectUris);
  checkRedirectUris('publicClient.redirectUris', after.publicClientRedirectUris);
  const identifierUris = after.identifierUris ?? [];
  if (identifierUris.length > MAX_IDENTIFIER_URIS) fail('identifierUris', `at most ${MAX_IDENTIFIER_URIS} URIs`);
  for (const uri of identifierUris) {
    const problem = identifierUriProblem(uri);
    if (problem) fail('identifierUris', problem);
  }
  checkDistinct('identifierUris', identifierUris);
  const version = after.api?.requestedAccessTokenVersion ?? null;
  if (version !== null && version !== 1 && version !== 2) fail('api.requestedAccessTokenVersion', 'must be 1, 2 or null');
  checkScopes(after.api?.oauth2PermissionScopes ?? []);
  checkRoles(after.appRoles ?? []);
  if (before) {
    checkEnabledKept('appRoles', before.appRoles ?? [], after.appRoles ?? []);
    checkEnabledKept('api.oauth2PermissionScopes', before.api?.oauth2PermissionScopes ?? [], after.api?.oauth2PermissionScopes ?? []);
  }
  for (const r of after.requiredResourceAccess ?? []) {
    if (!isGuidText(r.resourceAppId)) fail('requiredResourceAccess.resourceAppId', 'must be a GUID');
    for (const a of r.resourceAccess) {
      if (!isGuidText(a.id)) fail('requiredResourceAccess.resourceAccess.id', 'must be a GUID');
      if (a.type !== 'Scope' && a.type !== 'Role') fail('requiredResourceAccess.resourceAccess.type', "must be 'Scope' or 'Role'");
    }
  }
  checkDistinct(
    'requiredResourceAccess.resourceAppId',
    (after.requiredResourceAccess ?? []).map((r) => r.resourceAppId),
  );
  const bcl = after.backchannelLogout?.uri;
  if (bcl !== undefined) {
    const problem = backchannelLogoutUriProblem(bcl);
    if (problem) fail('backchannelLogoutUri', problem);
  }
}

/**
 * Checks `after` against the rules and writes it with its audit records in one transaction, or
 * writes nothing: an identifier URI another app holds (the store's unique index decides, so two
 * instances racing for one URI cannot both win) is a duplicate_identifier_uri violation.
 */
export async function saveApplication(
  store: ApplicationStore,
  after: Application,
  before: Application | null,
  audit: AuditRecord[] = [],
): Promise<void> {
  checkApplication(after, before);
  try {
    await store.upsert(after, audit);
  } catch (e) {
    if (e instanceof ConflictError) throw new ApplicationRuleError({ kind: 'duplicate_identifier_uri' });
    throw e;
  }
}

/**
 * Creates `after`, a registration with a fixed appId that every instance writes at start (the
 * console's, a seed file's), where the caller read it as absent. Instances starting together on
 * one PostgreSQL database can all read "absent"; an INSERT … ON CONFLICT arbitrates only its own
 * unique index, so the second insert fails on another (the object id's, an identifier URI's)
 * while the first is in progress. False when that happened because the app now exists: another
 * instance created it, and the caller goes on as for an existing app. Any other failure (an
 * identifier URI another app holds) is thrown.
 */
export async function createFixedApplication(store: ApplicationStore, after: Application): Promise<boolean> {
  try {
    await saveApplication(store, after, null);
    return true;
  } catch (e) {
    if (e instanceof ApplicationRuleError && (await store.findByAppId(after.tenantId, after.appId)) !== null) return false;
    throw e;
  }
}
