/**
 * The JSON of Graph's `application` resource, both ways: `applicationJson` (GET) and
 * `applicationChanges` (the body of POST and PATCH, shape and types only — the rules of a
 * registration are core/application-registration.ts). Collections are replaced wholesale, as OData
 * PATCH replaces a collection-valued property. Properties Portcullis does not store are refused,
 * never dropped (https://learn.microsoft.com/graph/api/resources/application).
 */
import type { ApiApplication, Application, AppRole, PermissionScope, RequiredResourceAccess } from '../core/model.js';
import { RequestBadRequest } from './errors.js';

export const APPLICATION_TYPE = 'microsoft.graph.application';

/** An application's Graph object id: its own, or its appId when stored without one. */
export const objectIdOf = (a: Application): string => a.id ?? a.appId;

export function applicationJson(a: Application): Record<string, unknown> {
  return {
    id: objectIdOf(a),
    appId: a.appId,
    displayName: a.displayName,
    createdDateTime: new Date(a.createdAt).toISOString(),
    signInAudience: 'AzureADMyOrg',
    isFallbackPublicClient: a.allowPublicClientFlows,
    publicClient: { redirectUris: a.publicClientRedirectUris },
    web: { redirectUris: a.webRedirectUris },
    spa: { redirectUris: a.spaRedirectUris },
    identifierUris: a.identifierUris ?? [],
    api: {
      requestedAccessTokenVersion: a.api?.requestedAccessTokenVersion ?? null,
      oauth2PermissionScopes: a.api?.oauth2PermissionScopes ?? [],
    },
    appRoles: a.appRoles ?? [],
    requiredResourceAccess: a.requiredResourceAccess ?? [],
    // Secret texts are never returned (as Entra): the first characters only.
    passwordCredentials: a.secrets.map((s) => ({
      keyId: s.keyId,
      displayName: s.displayName,
      hint: s.hint,
      customKeyIdentifier: null,
      startDateTime: s.startDateTime ? new Date(s.startDateTime).toISOString() : null,
      endDateTime: s.endDateTime === null ? null : new Date(s.endDateTime).toISOString(),
      secretText: null,
    })),
    // Portcullis extension (OpenID Connect Back-Channel Logout 1.0 §2.2 client metadata).
    backchannelLogoutUri: a.backchannelLogout?.uri ?? null,
    backchannelLogoutSessionRequired: a.backchannelLogout?.sessionRequired ?? false,
  };
}

/** Graph's message for a value of the wrong type or out of its rules. */
export const invalidValue = (property: string): RequestBadRequest =>
  new RequestBadRequest(`Invalid value specified for property '${property}' of resource 'Application'.`);

const READ_ONLY = new Set(['id', 'appId', 'createdDateTime', 'passwordCredentials', 'publisherDomain', 'deletedDateTime']);
const WRITABLE = new Set([
  'displayName',
  'web',
  'spa',
  'publicClient',
  'identifierUris',
  'api',
  'appRoles',
  'requiredResourceAccess',
  'isFallbackPublicClient',
  'backchannelLogoutUri',
  'backchannelLogoutSessionRequired',
]);
/** Properties of microsoft.graph.application Portcullis does not store. */
const UNSUPPORTED = new Set([
  'signInAudience',
  'tags',
  'notes',
  'info',
  'optionalClaims',
  'keyCredentials',
  'groupMembershipClaims',
  'parentalControlSettings',
  'tokenEncryptionKeyId',
  'certification',
  'description',
  'serviceManagementReference',
  'samlMetadataUrl',
  'defaultRedirectUri',
  'isDeviceOnlyAuthSupported',
  'oauth2RequirePostResponse',
  'verifiedPublisher',
  'addIns',
  'uniqueName',
]);

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function onlyKeys(value: Json, allowed: readonly string[], property: string): void {
  for (const key of Object.keys(value)) {
    if (key.startsWith('@odata.')) continue;
    if (!allowed.includes(key)) {
      throw new RequestBadRequest(`Property '${key}' of '${property}' is not supported by Portcullis; it takes ${allowed.join(', ')}.`);
    }
  }
}

function string(v: unknown, property: string): string {
  if (typeof v !== 'string') throw invalidValue(property);
  return v;
}

function stringOrNull(v: unknown, property: string): string | null {
  if (v === undefined || v === null) return null;
  return string(v, property);
}

function bool(v: unknown, property: string, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw invalidValue(property);
  return v;
}

function array(v: unknown, property: string): unknown[] {
  if (!Array.isArray(v)) throw invalidValue(property);
  return v;
}

function strings(v: unknown, property: string): string[] {
  return array(v, property).map((s) => string(s, property));
}

function redirectUris(v: unknown, property: string): string[] {
  if (!isObject(v)) throw invalidValue(property);
  // web also carries implicitGrantSettings, logoutUrl, homePageUrl on Entra: not stored here.
  onlyKeys(v, ['redirectUris'], property);
  return v.redirectUris === undefined ? [] : strings(v.redirectUris, `${property}.redirectUris`);
}

function permissionScope(v: unknown): PermissionScope {
  const p = 'api.oauth2PermissionScopes';
  if (!isObject(v)) throw invalidValue(p);
  onlyKeys(
    v,
    [
      'id',
      'value',
      'type',
      'isEnabled',
      'adminConsentDisplayName',
      'adminConsentDescription',
      'userConsentDisplayName',
      'userConsentDescription',
    ],
    p,
  );
  const type = v.type ?? 'User';
  if (type !== 'User' && type !== 'Admin') throw invalidValue(`${p}.type`);
  return {
    id: string(v.id, `${p}.id`),
    value: string(v.value, `${p}.value`),
    type,
    isEnabled: bool(v.isEnabled, `${p}.isEnabled`, true),
    adminConsentDisplayName: string(v.adminConsentDisplayName, `${p}.adminConsentDisplayName`),
    adminConsentDescription: string(v.adminConsentDescription, `${p}.adminConsentDescription`),
    userConsentDisplayName: stringOrNull(v.userConsentDisplayName, `${p}.userConsentDisplayName`),
    userConsentDescription: stringOrNull(v.userConsentDescription, `${p}.userConsentDescription`),
  };
}

function appRole(v: unknown): AppRole {
  if (!isObject(v)) throw invalidValue('appRoles');
  // `origin` is read-only (appRole): refused like any other unknown member.
  onlyKeys(v, ['id', 'value', 'displayName', 'description', 'isEnabled', 'allowedMemberTypes'], 'appRoles');
  const types = strings(v.allowedMemberTypes, 'appRoles.allowedMemberTypes');
  if (types.some((t) => t !== 'User' && t !== 'Application')) throw invalidValue('appRoles.allowedMemberTypes');
  return {
    id: string(v.id, 'appRoles.id'),
    value: string(v.value, 'appRoles.value'),
    displayName: string(v.displayName, 'appRoles.displayName'),
    description: string(v.description, 'appRoles.description'),
    isEnabled: bool(v.isEnabled, 'appRoles.isEnabled', true),
    allowedMemberTypes: types as AppRole['allowedMemberTypes'],
  };
}

function requiredAccess(v: unknown): RequiredResourceAccess {
  const p = 'requiredResourceAccess';
  if (!isObject(v)) throw invalidValue(p);
  onlyKeys(v, ['resourceAppId', 'resourceAccess'], p);
  return {
    resourceAppId: string(v.resourceAppId, `${p}.resourceAppId`).toLowerCase(),
    resourceAccess: array(v.resourceAccess ?? [], `${p}.resourceAccess`).map((a) => {
      if (!isObject(a)) throw invalidValue(`${p}.resourceAccess`);
      onlyKeys(a, ['id', 'type'], `${p}.resourceAccess`);
      const type = a.type;
      if (type !== 'Scope' && type !== 'Role') throw invalidValue(`${p}.resourceAccess.type`);
      return { id: string(a.id, `${p}.resourceAccess.id`).toLowerCase(), type };
    }),
  };
}

function api(v: unknown, current: ApiApplication): ApiApplication {
  if (!isObject(v)) throw invalidValue('api');
  onlyKeys(v, ['requestedAccessTokenVersion', 'oauth2PermissionScopes'], 'api');
  const version = v.requestedAccessTokenVersion === undefined ? current.requestedAccessTokenVersion : v.requestedAccessTokenVersion;
  if (version !== null && version !== 1 && version !== 2) throw invalidValue('api.requestedAccessTokenVersion');
  return {
    requestedAccessTokenVersion: version,
    oauth2PermissionScopes:
      v.oauth2PermissionScopes === undefined
        ? current.oauth2PermissionScopes
        : array(v.oauth2PermissionScopes, 'api.oauth2PermissionScopes').map(permissionScope),
  };
}

/**
 * `current` with the body's properties applied: the application as it would be stored. Unknown,
 * read-only and unsupported properties and values of the wrong type are refused here (400), before
 * anything is written.
 */
export function applicationChanges(body: Json, current: Application): Application {
  for (const key of Object.keys(body)) {
    if (key.startsWith('@odata.') || WRITABLE.has(key)) continue;
    if (READ_ONLY.has(key)) throw new RequestBadRequest(`Property '${key}' is read-only and cannot be set.`);
    if (UNSUPPORTED.has(key)) throw new RequestBadRequest(`Property '${key}' of '${APPLICATION_TYPE}' is not supported by Portcullis.`);
    throw new RequestBadRequest(`Property '${key}' does not exist as a declared property or extension property.`);
  }
  const next: Application = { ...current };
  if (body.displayName !== undefined) next.displayName = string(body.displayName, 'displayName');
  if (body.web !== undefined) next.webRedirectUris = redirectUris(body.web, 'web');
  if (body.spa !== undefined) next.spaRedirectUris = redirectUris(body.spa, 'spa');
  if (body.publicClient !== undefined) next.publicClientRedirectUris = redirectUris(body.publicClient, 'publicClient');
  if (body.identifierUris !== undefined) next.identifierUris = strings(body.identifierUris, 'identifierUris');
  if (body.api !== undefined) next.api = api(body.api, current.api ?? { requestedAccessTokenVersion: null, oauth2PermissionScopes: [] });
  if (body.appRoles !== undefined) next.appRoles = array(body.appRoles, 'appRoles').map(appRole);
  if (body.requiredResourceAccess !== undefined)
    next.requiredResourceAccess = array(body.requiredResourceAccess, 'requiredResourceAccess').map(requiredAccess);
  next.allowPublicClientFlows = bool(body.isFallbackPublicClient, 'isFallbackPublicClient', current.allowPublicClientFlows);
  if (body.backchannelLogoutUri !== undefined || body.backchannelLogoutSessionRequired !== undefined) {
    const uri = body.backchannelLogoutUri === undefined ? (current.backchannelLogout?.uri ?? null) : body.backchannelLogoutUri;
    if (uri !== null && typeof uri !== 'string') throw invalidValue('backchannelLogoutUri');
    const required = bool(
      body.backchannelLogoutSessionRequired,
      'backchannelLogoutSessionRequired',
      current.backchannelLogout?.sessionRequired ?? false,
    );
    next.backchannelLogout = uri === null ? null : { uri, sessionRequired: required };
  }
  return next;
}
