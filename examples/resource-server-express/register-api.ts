/**
 * Registers the example API as a resource — its identifier URI, its `access_as_user` scope — and
 * gives the example's client admin consent to it and the API consent to Graph's User.Read (for
 * on-behalf-of). The seed file cannot describe these yet, so this writes them into Portcullis's
 * SQLite data directly, as the applications API would:
 *
 *   npx tsx examples/resource-server-express/register-api.ts ./.portcullis-rs-example
 *
 * Run it after the first start of Portcullis with the example's seed.json (it needs the apps).
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Application } from '../../src/core/model.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import type { Store } from '../../src/store/store.js';
import { DEFAULT_IDENTIFIER_URI } from './main.js';

export const EXAMPLE_IDS = {
  tenantId: '7f3e2a1b-0c4d-4e5f-8a9b-1c2d3e4f5a6b',
  clientAppId: '9a8b7c6d-1e2f-4a3b-8c4d-5e6f7a8b9c01',
  apiAppId: '9a8b7c6d-1e2f-4a3b-8c4d-5e6f7a8b9c02',
  identifierUri: DEFAULT_IDENTIFIER_URI,
  scopeId: '9a8b7c6d-1e2f-4a3b-8c4d-5e6f7a8b9c10',
} as const;

export async function registerExampleApi(store: Store, ids: typeof EXAMPLE_IDS = EXAMPLE_IDS): Promise<void> {
  const find = async (appId: string): Promise<Application> => {
    const app = await store.applications.findByAppId(ids.tenantId, appId);
    if (!app) throw new Error(`app ${appId} not found: start Portcullis once with examples/resource-server-express/seed.json`);
    return app;
  };
  const api = await find(ids.apiAppId);
  await store.applications.upsert({
    ...api,
    identifierUris: [ids.identifierUri],
    api: {
      requestedAccessTokenVersion: null,
      oauth2PermissionScopes: [
        {
          id: ids.scopeId,
          value: 'access_as_user',
          type: 'User',
          isEnabled: true,
          adminConsentDisplayName: 'Access the example API as the user',
          adminConsentDescription: 'Lets the app call the example API as the signed-in user.',
          userConsentDisplayName: null,
          userConsentDescription: null,
        },
      ],
    },
    // On-behalf-of: the API calls Graph's /me for the user.
    delegatedPermissions: ['User.Read'],
  });
  const client = await find(ids.clientAppId);
  await store.applications.upsert({
    ...client,
    resourceGrants: [{ resourceAppId: ids.apiAppId, scopes: ['access_as_user'], appRoleIds: [] }],
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dataDir = process.argv[2];
  if (!dataDir) throw new Error('usage: register-api.ts <portcullis data dir>');
  const store = openSqliteStore(join(dataDir, 'portcullis.db'));
  await registerExampleApi(store);
  await store.close();
  console.log(`registered ${EXAMPLE_IDS.identifierUri}/access_as_user`);
}
