/**
 * The daemon snippet of docs/your-app.md ("A daemon with an app role") is examples/daemon/get-token.ts,
 * run here as is against an in-process Portcullis whose seed registers an API with an Application
 * app role and a daemon assigned it. Behaviour in depth: test/identity/api-resource-tokens.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { type RunningPortcullis, startPortcullis } from 'portcullis/testing';
import { daemonToken } from '../../examples/daemon/get-token.js';

const GET_TOKEN_TS = new URL('../../examples/daemon/get-token.ts', import.meta.url);
const TENANT = '5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const API = '5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c50';
const DAEMON = '5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c51';
const UNASSIGNED = '5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c52';
const READ_ALL_ROLE = '5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c60';
const SECRET = 'daemon-secret-for-the-docs-test-0123';

const seed = {
  tenant: { id: TENANT, domain: 'daemon.localhost', displayName: 'Daemon docs test' },
  users: [],
  applications: [
    {
      appId: API,
      displayName: 'Contoso Todo API',
      identifierUris: ['api://contoso-todo'],
      api: { requestedAccessTokenVersion: null, oauth2PermissionScopes: [] },
      appRoles: [
        {
          id: READ_ALL_ROLE,
          value: 'Todo.Read.All',
          displayName: 'Read all todos',
          description: 'Daemons read every todo list.',
          isEnabled: true,
          allowedMemberTypes: ['Application'],
        },
      ],
    },
    {
      appId: DAEMON,
      displayName: 'Todo daemon',
      passwordCredentials: [{ secretText: SECRET }],
      consent: [{ resourceAppId: API, scopes: [], appRoleIds: [READ_ALL_ROLE] }],
    },
    { appId: UNASSIGNED, displayName: 'Daemon without a role', passwordCredentials: [{ secretText: SECRET }] },
  ],
};

let idp: RunningPortcullis;
before(async () => {
  idp = await startPortcullis({ seed });
});
after(() => idp.stop());

test("examples/daemon/get-token.ts gets the daemon's app role for the API", async () => {
  const { claims } = await daemonToken(idp.authority, DAEMON, SECRET, 'api://contoso-todo');
  assert.equal(claims.aud, 'api://contoso-todo');
  assert.deepEqual(claims.roles, ['Todo.Read.All']);
  assert.equal(claims.appid, DAEMON);
});

test('a daemon without a role assigned is refused (AADSTS501051)', async () => {
  await assert.rejects(daemonToken(idp.authority, UNASSIGNED, SECRET, 'api://contoso-todo'), /AADSTS501051/);
});

test('docs/your-app.md shows examples/daemon/get-token.ts verbatim', () => {
  const doc = readFileSync(new URL('../../docs/your-app.md', import.meta.url), 'utf8');
  assert.ok(
    doc.includes(readFileSync(GET_TOKEN_TS, 'utf8').trimEnd()),
    'update the daemon snippet in docs/your-app.md from examples/daemon/get-token.ts',
  );
});
