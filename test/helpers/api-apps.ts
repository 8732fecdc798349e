import type { Application, AppRole, PermissionScope } from '../../src/core/model.js';
import { hashSecret } from '../../src/crypto/passwords.js';
import { newGuid } from '../../src/crypto/random.js';
import type { Store } from '../../src/store/store.js';
import { APP, application } from './harness.js';

/**
 * Apps that expose an API, registered straight through the store (the applications API is tested
 * on its own): a v1.0 API (the default) with an identifier URI, a v2.0 API, and consent for the
 * harness's clients (Application.resourceGrants).
 */
export const API = {
  /** requestedAccessTokenVersion null → v1.0 tokens. Confidential (secret): the OBO middle tier. */
  v1: 'b1b2c3d4-0000-4000-8000-0000000000a1',
  v1Uri: 'api://contoso-todo',
  /** requestedAccessTokenVersion 2. */
  v2: 'b1b2c3d4-0000-4000-8000-0000000000a2',
  v2Uri: 'https://api.contoso.test/orders',
  /** An app that exposes nothing. */
  plain: 'b1b2c3d4-0000-4000-8000-0000000000a3',
} as const;
export const API_SECRET = 'todo-api-secret-value-0123456789';

export const ROLE_ID = {
  readAll: 'c1b2c3d4-0000-4000-8000-0000000000b1',
  disabled: 'c1b2c3d4-0000-4000-8000-0000000000b2',
  userOnly: 'c1b2c3d4-0000-4000-8000-0000000000b3',
} as const;

export function scope(value: string, isEnabled = true): PermissionScope {
  return {
    id: newGuid(),
    value,
    type: 'User',
    isEnabled,
    adminConsentDisplayName: value,
    adminConsentDescription: value,
    userConsentDisplayName: null,
    userConsentDescription: null,
  };
}

function role(id: string, value: string, isEnabled: boolean, members: AppRole['allowedMemberTypes']): AppRole {
  return { id, value, displayName: value, description: value, isEnabled, allowedMemberTypes: members };
}

export async function registerApis(store: Store, extra: { publicClient?: Partial<Application>; webApp?: Partial<Application> } = {}) {
  await store.applications.upsert(
    application({
      appId: API.v1,
      displayName: 'Todo API',
      identifierUris: [API.v1Uri],
      secrets: [{ keyId: newGuid(), hash: await hashSecret(API_SECRET), hint: 'tod', displayName: null, endDateTime: null }],
      api: {
        requestedAccessTokenVersion: null,
        oauth2PermissionScopes: [scope('access_as_user'), scope('Todo.Write'), scope('Old.Scope', false)],
      },
      appRoles: [
        role(ROLE_ID.readAll, 'Todo.Read.All', true, ['Application']),
        role(ROLE_ID.disabled, 'Todo.Disabled', false, ['Application']),
        role(ROLE_ID.userOnly, 'Todo.Admin', true, ['User']),
      ],
      // Consent to the v2 API, for on-behalf-of from this API to another.
      resourceGrants: [{ resourceAppId: API.v2, scopes: ['Orders.Read'], appRoleIds: [] }],
    }),
  );
  await store.applications.upsert(
    application({
      appId: API.v2,
      displayName: 'Orders API',
      identifierUris: [API.v2Uri],
      api: { requestedAccessTokenVersion: 2, oauth2PermissionScopes: [scope('Orders.Read')] },
    }),
  );
  await store.applications.upsert(application({ appId: API.plain, displayName: 'Plain app' }));
  // The public client: consented to access_as_user and the disabled Old.Scope, not Todo.Write.
  await store.applications.upsert({
    ...(await store.applications.findByAppId(application({ appId: APP.publicClient }).tenantId, APP.publicClient))!,
    resourceGrants: [
      { resourceAppId: API.v1, scopes: ['access_as_user', 'Old.Scope'], appRoleIds: [] },
      { resourceAppId: API.v2, scopes: ['Orders.Read'], appRoleIds: [] },
    ],
    ...extra.publicClient,
  });
  // The web app (a daemon too): the enabled and the disabled application role of the v1 API.
  await store.applications.upsert({
    ...(await store.applications.findByAppId(application({ appId: APP.webApp }).tenantId, APP.webApp))!,
    resourceGrants: [{ resourceAppId: API.v1, scopes: [], appRoleIds: [ROLE_ID.readAll, ROLE_ID.disabled, ROLE_ID.userOnly] }],
    ...extra.webApp,
  });
}
