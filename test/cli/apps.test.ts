/**
 * `portcullis apps …` as a real process against a real server: an app-only session with
 * Application.ReadWrite.All registers a SPA (and gets the MSAL Browser configuration to paste),
 * lists, shows, updates, adds and removes a secret (which then works, then does not, at the token
 * endpoint), grants consent and deletes.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { EXIT } from '../../src/cli/cli-error.js';
import { hashSecret } from '../../src/crypto/passwords.js';
import { TENANT_ID, application } from '../helpers/harness.js';
import { cli, startServer, tempConfigHome, type Server } from './cli-helpers.js';

const ADMIN_APP = '5d1c7a3e-0b9f-4e2a-9c61-7a0e3f5b2d48';
const ADMIN_SECRET = 'apps-admin-secret-0123456789';

describe('portcullis apps', () => {
  let server: Server;
  let xdg: string;
  before(async () => {
    server = await startServer();
    await server.store.applications.upsert(
      application({
        appId: ADMIN_APP,
        displayName: 'Registrar',
        applicationPermissions: ['Application.ReadWrite.All', 'DelegatedPermissionGrant.ReadWrite.All', 'AppRoleAssignment.ReadWrite.All'],
        secrets: [{ keyId: crypto.randomUUID(), hash: await hashSecret(ADMIN_SECRET), hint: 'app', displayName: null, endDateTime: null }],
      }),
    );
    xdg = tempConfigHome();
    const login = await cli(['login', '--server', server.url, '--tenant', TENANT_ID, '--client-id', ADMIN_APP], {
      xdg,
      env: { PORTCULLIS_CLIENT_SECRET: ADMIN_SECRET },
    });
    assert.equal(login.code, 0, login.stderr);
  });
  after(async () => {
    await server.close();
    rmSync(xdg, { recursive: true, force: true });
  });

  const tokenWith = (clientId: string, secret: string) =>
    fetch(`${server.url}/${TENANT_ID}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: secret,
        scope: 'https://graph.microsoft.com/.default',
      }),
    });

  test('create a SPA prints the MSAL Browser configuration; list, show and update find it by appId', async () => {
    const created = await cli(['apps', 'create', '--name', 'My SPA', '--spa', 'http://localhost:5173'], { xdg });
    assert.equal(created.code, 0, created.stderr);
    const json = created.stdout.slice(created.stdout.indexOf('{'));
    const msal = JSON.parse(json) as { auth: { clientId: string; authority: string; redirectUri: string } };
    assert.equal(msal.auth.authority, `${server.url}/${TENANT_ID}`);
    assert.equal(msal.auth.redirectUri, 'http://localhost:5173');
    const appId = msal.auth.clientId;
    const stored = await server.store.applications.findByAppId(TENANT_ID, appId);
    assert.deepEqual(stored?.spaRedirectUris, ['http://localhost:5173']);

    const listed = await cli(['apps', 'list', '--all', '--output', 'json'], { xdg });
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok((JSON.parse(listed.stdout) as { appId: string }[]).some((a) => a.appId === appId));

    const updated = await cli(['apps', 'update', appId, '--name', 'My SPA 2', '--identifier-uri', `api://${appId}`], { xdg });
    assert.equal(updated.code, 0, updated.stderr);
    const shown = await cli(['apps', 'show', stored!.id!, '--output', 'json'], { xdg });
    assert.equal(shown.code, 0, shown.stderr);
    const app = JSON.parse(shown.stdout);
    assert.equal(app.displayName, 'My SPA 2');
    assert.deepEqual(app.identifierUris, [`api://${appId}`]);

    const bad = await cli(['apps', 'update', appId, '--spa', 'http://evil.example/cb'], { xdg });
    assert.notEqual(bad.code, EXIT.OK);
    assert.match(bad.stderr, /spa/);
  });

  test('add-secret prints it once; it works at the token endpoint until remove-secret; grant-consent; delete', async () => {
    const api = JSON.parse((await cli(['apps', 'create', '--name', 'Tasks API', '--output', 'json'], { xdg })).stdout);
    const role = {
      id: crypto.randomUUID(),
      value: 'Tasks.Read.All',
      displayName: 'Read',
      description: 'Read tasks',
      allowedMemberTypes: ['Application'],
    };
    assert.equal((await cli(['apps', 'update', api.appId, '--body', JSON.stringify({ appRoles: [role] })], { xdg })).code, 0);
    const daemon = JSON.parse((await cli(['apps', 'create', '--name', 'Daemon', '--output', 'json'], { xdg })).stdout);

    const added = await cli(['apps', 'add-secret', daemon.appId, '--secret-name', 'ci', '--output', 'json'], { xdg });
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stderr, /shown once/);
    const secret = JSON.parse(added.stdout) as { secretText: string; keyId: string };
    assert.equal((await tokenWith(daemon.appId, secret.secretText)).status, 200);

    const consent = await cli(['apps', 'grant-consent', daemon.appId, '--resource', api.appId, '--roles', 'Tasks.Read.All'], { xdg });
    assert.equal(consent.code, 0, consent.stderr);
    const graph = await cli(['apps', 'grant-consent', daemon.appId, '--resource', 'graph', '--scopes', 'User.Read'], { xdg });
    assert.equal(graph.code, 0, graph.stderr);
    const stored = await server.store.applications.findByAppId(TENANT_ID, daemon.appId);
    assert.deepEqual(stored?.resourceGrants, [{ resourceAppId: api.appId, scopes: [], appRoleIds: [role.id] }]);
    assert.deepEqual(stored?.delegatedPermissions, ['User.Read']);

    const removed = await cli(['apps', 'remove-secret', daemon.appId, '--key-id', secret.keyId], { xdg });
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal((await tokenWith(daemon.appId, secret.secretText)).status, 401);

    assert.equal((await cli(['apps', 'delete', daemon.appId], { xdg })).code, 0);
    assert.equal(await server.store.applications.findByAppId(TENANT_ID, daemon.appId), null);
  });
});
