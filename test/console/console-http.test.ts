/**
 * The console over real HTTP without a browser: sign-in through /authorize, the headers of every
 * page (CSP without inline code), CSRF and same-origin checks on every action, error pages
 * without internals, and the console registration it signs in with.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { signInFilter } from '../../src/console/pages/admin-sign-ins.js';
import { CONSOLE_APP_ID } from '../../src/console/registration.js';
import type { AuditRecord, User } from '../../src/core/model.js';
import { newGuid } from '../../src/crypto/random.js';
import type { Store } from '../../src/store/store.js';
import { ConsoleBrowser } from '../helpers/console-browser.js';
import { APP, TENANT_ID } from '../helpers/harness.js';
import { type ConsoleServer, startConsoleServer } from '../helpers/console-server.js';

let store: Store;
let users: Record<string, User>;
let base: string;

let server: ConsoleServer;

before(async () => {
  server = await startConsoleServer();
  ({ store, base } = server);
  users = server.users;
});

after(() => server?.close());

function assertConsoleHeaders(visit: { headers: Headers; body: string }): void {
  const csp = visit.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'/);
  assert.match(csp, /style-src 'self'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.match(csp, /form-action 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  assert.doesNotMatch(visit.body, /<script[\s>]/i, 'no inline script');
  assert.doesNotMatch(visit.body, /<style[\s>]|\sstyle="/i, 'no inline style');
  assert.doesNotMatch(visit.body, /\son[a-z]+="/i, 'no inline event handlers');
}

test('the console is a registered public client of the tenant, without a secret, redirecting only to itself', async () => {
  const reg = await store.applications.findByAppId(TENANT_ID, CONSOLE_APP_ID);
  assert.ok(reg);
  assert.deepEqual(reg.publicClientRedirectUris, [`${base}/console/callback`, `${base}/console/signed-out`]);
  assert.deepEqual(reg.secrets, []);
});

test('GET / leads to My Account, which signs in through /authorize with PKCE and shows the sessions', async () => {
  const b = new ConsoleBrowser(base);
  const first = await b.request('GET', '/');
  assert.equal(first.status, 302);
  assert.equal(first.headers.get('location'), '/myaccount');
  const toAuthorize = await b.request('GET', '/myaccount');
  assert.equal(toAuthorize.status, 302);
  const authorize = new URL(toAuthorize.headers.get('location')!, base);
  assert.equal(authorize.pathname, `/${TENANT_ID}/oauth2/v2.0/authorize`);
  assert.equal(authorize.searchParams.get('client_id'), CONSOLE_APP_ID);
  assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
  assert.equal(authorize.searchParams.get('scope'), 'openid profile offline_access User.Read User.ReadWrite');
  const page = await b.signIn('/myaccount', 'alice@contoso.test');
  assert.equal(page.status, 200, page.body.slice(0, 500));
  assert.equal(new URL(page.url).pathname, '/myaccount');
  assert.match(page.body, /This browser/);
  assertConsoleHeaders(page);
  const cookie = page.headers.get('set-cookie');
  assert.equal(cookie, null, 'the last hop sets no cookie');
  assert.ok(b.jar.get('portcullis_console_account'), 'the console session cookie');
  for (const path of ['/myaccount/activity', '/myaccount/apps']) {
    const other = await b.request('GET', path);
    assert.equal(other.status, 200, path);
    assertConsoleHeaders(other);
  }
});

test('My apps shows what each app may do, in the consent pages’ words', async () => {
  const b = new ConsoleBrowser(base);
  await b.signIn('/myaccount', 'helpdesk@contoso.test');
  const apps = await b.request('GET', '/myaccount/apps');
  assert.equal(apps.status, 200);
  // The console's own My Account sign-in (src/console/areas.ts) is the app holding a live grant.
  const row = apps.body.match(/<tr>(?:(?!<\/tr>).)*Remove access(?:(?!<\/tr>).)*<\/tr>/s)?.[0] ?? '';
  assert.match(row, /<li>Read and write access to your profile <span class="muted">\(User\.ReadWrite\)<\/span><\/li>/);
  assert.match(row, /<li>Sign you in <span class="muted">\(openid\)<\/span><\/li>/);
  assert.doesNotMatch(row, /User\.ReadWrite\.All/, 'only the scopes this grant holds');
});

test('every console action refuses a post without the CSRF token, with a wrong one, or from another origin', async () => {
  const b = new ConsoleBrowser(base);
  const page = await b.signIn('/myaccount', 'bob@contoso.test');
  const csrf = ConsoleBrowser.csrf(page.body);
  const before = await store.inventory.list({ tenantId: TENANT_ID, userId: users.bob!.id, live: true, limit: 100, now: Date.now() });
  assert.ok(before.length > 0);
  for (const form of [{} as Record<string, string>, { csrf: 'x'.repeat(43) }, { csrf: `${csrf.slice(0, -2)}AA` }]) {
    const res = await b.request('POST', '/myaccount/sign-out-everywhere', form);
    assert.equal(res.status, 403, JSON.stringify(form));
    assert.match(res.body, /This request was blocked/);
    assertConsoleHeaders(res);
  }
  const foreign = await b.request('POST', '/myaccount/sign-out-everywhere', { csrf }, { origin: 'http://evil.example' });
  assert.equal(foreign.status, 403);
  // A token of another console session is refused as well.
  const other = new ConsoleBrowser(base);
  const otherPage = await other.signIn('/myaccount', 'alice@contoso.test');
  const crossed = await b.request('POST', '/myaccount/sign-out-everywhere', { csrf: ConsoleBrowser.csrf(otherPage.body) });
  assert.equal(crossed.status, 403);
  const afterRefusals = await store.inventory.list({ tenantId: TENANT_ID, userId: users.bob!.id, live: true, limit: 100, now: Date.now() });
  assert.equal(afterRefusals.length, before.length, 'nothing was cut');
  // The real token works: everything is cut and the next page asks to sign in again.
  const ok = await b.request('POST', '/myaccount/sign-out-everywhere', { csrf });
  assert.equal(ok.status, 303);
  const live = await store.inventory.list({ tenantId: TENANT_ID, userId: users.bob!.id, live: true, limit: 100, now: Date.now() });
  assert.equal(live.length, 0);
  const again = await b.follow('GET', '/myaccount');
  assert.match(again.body, /name="password"/, 'back on the sign-in form');
});

test('an admin page without a session starts a sign-in with the admin scopes; an action without a session is refused', async () => {
  const b = new ConsoleBrowser(base);
  const res = await b.request('GET', '/admin/users');
  assert.equal(res.status, 302);
  const scope = new URL(res.headers.get('location')!, base).searchParams.get('scope') ?? '';
  assert.match(scope, /User\.RevokeSessions\.All/);
  const post = await b.request('POST', `/admin/users/${users.alice!.id}/revoke`, { csrf: 'x' });
  assert.equal(post.status, 403);
});

test('the callback refuses a state that this browser did not start', async () => {
  const b = new ConsoleBrowser(base);
  const res = await b.request('GET', '/console/callback?code=abc&state=forged');
  assert.equal(res.status, 400);
  assertConsoleHeaders(res);
  assert.match(res.body, /did not start in this browser/);
});

test('errors are pages without internals: an unknown user is Graph’s 404 with the request id', async () => {
  const b = new ConsoleBrowser(base);
  await b.signIn('/admin/users', 'globaladmin@contoso.test');
  const res = await b.request('GET', '/admin/users/00000000-0000-0000-0000-000000000000');
  assert.equal(res.status, 404);
  assert.match(res.body, /Request Id: /);
  assert.doesNotMatch(res.body, /at .*\.ts:\d+|Error:/);
  assertConsoleHeaders(res);
});

test('user search: a term with @ matches the user name or the mail address, which may differ', async () => {
  await store.users.insert({
    ...users.alice!,
    id: newGuid(),
    userPrincipalName: 'grace@contoso.test',
    displayName: 'Grace Hopper',
    mail: 'ghopper@fabrikam.test',
    roleTemplateIds: [],
  });
  const b = new ConsoleBrowser(base);
  await b.signIn('/admin/users', 'globaladmin@contoso.test');
  const found = async (q: string) => {
    const res = await b.request('GET', `/admin/users?q=${encodeURIComponent(q)}`);
    assert.equal(res.status, 200, res.body.slice(0, 300));
    return [...res.body.matchAll(/<a href="\/admin\/users\/[^"]+">([^<]+)<\/a>/g)].map((m) => m[1]);
  };
  assert.deepEqual(await found('ghopper@fab'), ['Grace Hopper'], 'by mail');
  assert.deepEqual(await found('GRACE@contoso'), ['Grace Hopper'], 'by user name, case-insensitively');
  assert.deepEqual(await found('alice@'), ['Alice']);
  assert.deepEqual(await found('nobody@'), []);
  assert.deepEqual(await found('Grac'), ['Grace Hopper'], 'a term without @ is a display name');
});

test('the admin user page lists the newest ten audit entries about that user, and none about others', async () => {
  const subject = users.authadmin!;
  const at = Date.parse('2026-03-01T10:00:00Z');
  const entry = (n: number, targetId: string, activity: string): AuditRecord => ({
    id: newGuid(),
    tenantId: TENANT_ID,
    activityDateTime: at + n * 60_000,
    activityDisplayName: activity,
    category: 'UserManagement',
    loggedByService: 'Core Directory',
    operationType: 'Update',
    result: n === 11 ? 'failure' : 'success',
    resultReason: '',
    correlationId: newGuid(),
    initiatedBy: { user: { id: users.globaladmin!.id, userPrincipalName: `admin${n}@contoso.test`, displayName: 'Admin' } },
    targetResources: [{ id: targetId, type: 'User', userPrincipalName: null, displayName: null, modifiedProperties: [] }],
  });
  for (let n = 0; n < 12; n++) await store.audit.insert(entry(n, subject.id, `Activity ${n}`));
  await store.audit.insert(entry(12, users.bob!.id, 'About bob'));
  const b = new ConsoleBrowser(base);
  await b.signIn('/admin/users', 'globaladmin@contoso.test');
  const res = await b.request('GET', `/admin/users/${subject.id}`);
  assert.equal(res.status, 200);
  assertConsoleHeaders(res);
  const section = /<h2 id="audit">Recent audit entries<\/h2>([\s\S]*?)<\/section>/.exec(res.body)?.[1] ?? '';
  const activities = [...section.matchAll(/<td>(Activity \d+)<\/td>/g)].map((m) => m[1]);
  assert.deepEqual(
    activities,
    Array.from({ length: 10 }, (_, i) => `Activity ${11 - i}`),
  );
  assert.doesNotMatch(section, /About bob/);
  assert.match(
    section,
    /2026-03-01 10:11:00 UTC<\/td><td>Activity 11<\/td><td>admin11@contoso\.test<\/td><td><span class="tag off">failure<\/span>/,
  );
});

test('the stylesheet is served from the console itself', async () => {
  const res = await fetch(`${base}/console/console.css`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/css/);
});

test('the sign-in log form becomes Graph’s $filter; what does not parse is left out', () => {
  assert.deepEqual(signInFilter({ user: "o'neil@contoso.test", app: 'not-a-guid', code: '50126', since: '2026-12-01' }), {
    filter: "userPrincipalName eq 'o''neil@contoso.test' and status/errorCode eq 50126 and createdDateTime ge 2026-12-01T00:00:00Z",
    shown: { user: "o'neil@contoso.test", code: '50126', since: '2026-12-01' },
    beta: false,
  });
  assert.deepEqual(signInFilter({ code: '1 or 1', since: 'yesterday', kind: 'constructor' }), { filter: '', shown: {}, beta: false });
  assert.deepEqual(signInFilter({ kind: 'servicePrincipal', code: '7000215' }), {
    filter: "signInEventTypes/any(t: t eq 'servicePrincipal') and status/errorCode eq 7000215",
    shown: { kind: 'servicePrincipal', code: '7000215' },
    beta: true,
  });
  assert.deepEqual(signInFilter({ kind: 'interactive' }), { filter: '', shown: {}, beta: false });
});

test('the sign-in log page lists app-only (client-credentials) sign-ins when asked, without a user link; the default list and the user page leave them out', async () => {
  const cc = (secret: string) =>
    fetch(`${base}/${TENANT_ID}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: APP.webApp,
        client_secret: secret,
        scope: 'https://graph.microsoft.com/.default',
      }),
    });
  assert.equal((await cc('not-the-secret')).status, 401);
  const b = new ConsoleBrowser(base);
  await b.signIn('/admin/users', 'globaladmin@contoso.test');
  const appOnly = await b.request('GET', `/admin/sign-ins?kind=servicePrincipal&app=${APP.webApp}`);
  assert.equal(appOnly.status, 200, appOnly.body.slice(0, 300));
  assert.match(appOnly.body, /<h2 id="log">App-only sign-ins, newest first<\/h2>/);
  assert.match(appOnly.body, /<option value="servicePrincipal" selected>/);
  const row = appOnly.body.match(/<tr>(?:(?!<\/tr>).)*7000215(?:(?!<\/tr>).)*<\/tr>/s)?.[0] ?? '';
  assert.match(row, /app-only/);
  assert.match(row, /Web App/);
  assert.doesNotMatch(row, /href="\/admin\/users\//, 'no link to a user that is not there');
  const interactive = await b.request('GET', `/admin/sign-ins?app=${APP.webApp}`);
  assert.equal(interactive.status, 200);
  assert.match(interactive.body, /<h2 id="log">Interactive sign-ins, newest first<\/h2>/);
  assert.doesNotMatch(interactive.body, /7000215/);
  const userPage = await b.request('GET', `/admin/users/${users.alice!.id}`);
  assert.equal(userPage.status, 200, 'a user page renders beside app-only entries');
  assert.doesNotMatch(userPage.body, /7000215/);
});
