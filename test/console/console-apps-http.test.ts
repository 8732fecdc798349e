/**
 * The admin console's app registrations over real HTTP: registering needs the console's CSRF
 * token and a role that may (core/authorization/application-actions.ts), a registered app is
 * listed, a new secret's text is shown once and works at the token endpoint, and redirect URIs
 * and scopes are changed through Graph with its validation.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CONSOLE_APP_ID } from '../../src/console/registration.js';
import type { Store } from '../../src/store/store.js';
import { ConsoleBrowser } from '../helpers/console-browser.js';
import { TENANT_ID } from '../helpers/harness.js';
import { type ConsoleServer, startConsoleServer } from '../helpers/console-server.js';

let store: Store;
let base: string;

let server: ConsoleServer;

before(async () => {
  server = await startConsoleServer();
  ({ store, base } = server);
});

after(() => server?.close());

const named = async (displayName: string) =>
  (await store.applications.list(TENANT_ID, { limit: 1000 })).filter((a) => a.displayName === displayName);

async function register(b: ConsoleBrowser, csrf: string, displayName: string): Promise<string> {
  const res = await b.request('POST', '/admin/apps', {
    csrf,
    displayName,
    platform: 'spa',
    redirectUris: 'https://payroll.contoso.test/cb\r\n\r\nhttp://localhost:3000/cb',
  });
  assert.equal(res.status, 303, res.body.slice(0, 300));
  const location = res.headers.get('location') ?? '';
  assert.match(location, /^\/admin\/apps\/[0-9a-f-]{36}$/);
  return location;
}

test('registering refuses a post without the CSRF token, with a wrong one or from another origin; with it the app is listed', async () => {
  const b = new ConsoleBrowser(base);
  const list = await b.signIn('/admin/apps', 'globaladmin@contoso.test');
  assert.equal(list.status, 200, list.body.slice(0, 300));
  assert.match(list.body, /<a href="\/admin\/apps" aria-current="page">App registrations<\/a>/);
  const csrf = ConsoleBrowser.csrf(list.body);
  const form = { displayName: 'Refused App', platform: 'web', redirectUris: '' };
  for (const bad of [form, { ...form, csrf: `${csrf.slice(0, -2)}AA` }]) {
    const res = await b.request('POST', '/admin/apps', bad);
    assert.equal(res.status, 403);
    assert.match(res.body, /This request was blocked/);
  }
  const foreign = await b.request('POST', '/admin/apps', { ...form, csrf }, { origin: 'http://evil.example' });
  assert.equal(foreign.status, 403);
  assert.deepEqual(await named('Refused App'), [], 'nothing was registered');

  const location = await register(b, csrf, 'Contoso Payroll');
  const [stored] = await named('Contoso Payroll');
  assert.ok(stored);
  assert.deepEqual(stored.spaRedirectUris, ['https://payroll.contoso.test/cb', 'http://localhost:3000/cb']);
  assert.deepEqual(stored.webRedirectUris, []);
  assert.doesNotMatch((await b.request('GET', location)).body, /console’s own registration/);
  const own = (await store.applications.findByAppId(TENANT_ID, CONSOLE_APP_ID))!;
  assert.match((await b.request('GET', `/admin/apps/${own.id ?? own.appId}`)).body, /console’s own registration/);
  const after = await b.request('GET', '/admin/apps');
  assert.match(after.body, new RegExp(`<a href="${location}">Contoso Payroll</a>`));
  assert.match(after.body, new RegExp(stored.appId));
  const page = await b.request('GET', location);
  assert.equal(page.status, 200);
  assert.match(page.body, /https:\/\/payroll\.contoso\.test\/cb\nhttp:\/\/localhost:3000\/cb<\/textarea>/);
});

test('a new client secret is shown once, works at the token endpoint, and can be removed', async () => {
  const b = new ConsoleBrowser(base);
  const csrf = ConsoleBrowser.csrf((await b.signIn('/admin/apps', 'globaladmin@contoso.test')).body);
  const location = await register(b, csrf, 'Contoso Daemon');
  const added = await b.request('POST', `${location}/secrets/add`, { csrf, displayName: 'CI' });
  assert.equal(added.status, 303);
  assert.doesNotMatch(added.headers.get('location') ?? '', /secret=|[A-Za-z0-9~._-]{40}/, 'the secret is not in the URL');
  const shown = await b.request('GET', location);
  const secret = /<dd class="secret" id="secret">([^<]+)<\/dd>/.exec(shown.body)?.[1] ?? '';
  assert.equal(secret.length, 40, 'the secret text is on the page after adding it');
  assert.match(shown.body, new RegExp(`<code>${secret.slice(0, 3).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}…</code>`), 'its hint is listed');
  const again = await b.request('GET', location);
  assert.equal(again.status, 200);
  assert.ok(!again.body.includes(secret), 'never shown again');
  assert.doesNotMatch(again.body, /id="secret"/);

  const [stored] = await named('Contoso Daemon');
  assert.ok(stored);
  const token = async () =>
    fetch(`${base}/${TENANT_ID}/oauth2/v2.0/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: stored.appId,
        client_secret: secret,
        scope: 'https://graph.microsoft.com/.default',
      }),
    });
  const ok = await token();
  assert.equal(ok.status, 200, await ok.clone().text());
  const keyId = (await store.applications.findByAppId(TENANT_ID, stored.appId))!.secrets[0]!.keyId;
  const removed = await b.request('POST', `${location}/secrets/remove`, { csrf, keyId });
  assert.equal(removed.status, 303);
  assert.deepEqual((await store.applications.findByAppId(TENANT_ID, stored.appId))!.secrets, []);
  assert.equal((await token()).status, 401, 'the removed secret no longer works');
});

test('redirect URIs are saved with Graph’s validation; a scope is added with a default Application ID URI', async () => {
  const b = new ConsoleBrowser(base);
  const csrf = ConsoleBrowser.csrf((await b.signIn('/admin/apps', 'globaladmin@contoso.test')).body);
  const location = await register(b, csrf, 'Contoso Files API');
  const saved = await b.request('POST', `${location}/redirect-uris`, {
    csrf,
    web: 'https://files.contoso.test/signin-oidc',
    spa: '',
    publicClient: 'http://localhost/native',
  });
  assert.equal(saved.status, 303);
  let [stored] = await named('Contoso Files API');
  assert.deepEqual(stored!.webRedirectUris, ['https://files.contoso.test/signin-oidc']);
  assert.deepEqual(stored!.spaRedirectUris, []);
  assert.deepEqual(stored!.publicClientRedirectUris, ['http://localhost/native']);
  const refused = await b.request('POST', `${location}/redirect-uris`, {
    csrf,
    web: 'http://files.contoso.test/cb',
    spa: '',
    publicClient: '',
  });
  assert.equal(refused.status, 400);
  assert.match(refused.body, /Invalid value specified for property/);
  [stored] = await named('Contoso Files API');
  assert.deepEqual(stored!.webRedirectUris, ['https://files.contoso.test/signin-oidc'], 'a refused request writes nothing');

  const scope = {
    csrf,
    value: 'Files.Read',
    type: 'User',
    adminConsentDisplayName: 'Read files',
    adminConsentDescription: 'Read the user’s files',
  };
  assert.equal((await b.request('POST', `${location}/scopes/add`, scope)).status, 303);
  assert.equal((await b.request('POST', `${location}/scopes/add`, { ...scope, value: 'Files.Write', type: 'Admin' })).status, 303);
  [stored] = await named('Contoso Files API');
  assert.deepEqual(stored!.identifierUris, [`api://${stored!.appId}`]);
  assert.deepEqual(
    stored!.api?.oauth2PermissionScopes.map((s) => [s.value, s.type, s.isEnabled]),
    [
      ['Files.Read', 'User', true],
      ['Files.Write', 'Admin', true],
    ],
  );
  const page = await b.request('GET', location);
  assert.match(page.body, new RegExp(`<dd id="identifier-uris"><code>api://${stored!.appId}</code></dd>`));
  assert.match(page.body, /<code>Files\.Write<\/code><\/td><td>Admins only<\/td>/);
});

test('a Helpdesk Administrator sees registering disabled with the reason from the server’s rule; a forged post is refused', async () => {
  const b = new ConsoleBrowser(base);
  const list = await b.signIn('/admin/apps', 'helpdesk@contoso.test');
  assert.equal(list.status, 200);
  assert.match(list.body, /<button type="button" id="register" disabled aria-describedby="why-\d+">Register<\/button>/);
  assert.match(
    list.body,
    /None of your roles \(Helpdesk Administrator\) may register applications; [^<]*Application Administrator[^<]* may/,
  );
  assert.doesNotMatch(list.body, /Privileged Role Administrator/, 'it may grant consent but not register');
  const res = await b.request('POST', '/admin/apps', { csrf: ConsoleBrowser.csrf(list.body), displayName: 'Forged App', platform: 'web' });
  assert.equal(res.status, 403);
  assert.match(res.body, /Not allowed/);
  assert.deepEqual(await named('Forged App'), []);
});
