/**
 * Service principal sign-ins: client-credentials requests made at the real token endpoint, read
 * back through Graph beta `/auditLogs/signIns` with `signInEventTypes/any(t: t eq
 * 'servicePrincipal')`; v1.0 never returns them (docs/sign-in-logs.md).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  APP,
  DAEMON_SECRET,
  ManualClock,
  TENANT_ID,
  WEB_SECRET,
  appToken,
  delegatedToken,
  makeHarness,
  type Harness,
} from '../helpers/harness.js';
import { SOURCE_A, SOURCE_B, tokenFrom } from '../abuse/abuse-helpers.js';
import { API, registerApis } from '../helpers/api-apps.js';
import { assertGraphError, call, pathOf } from './graph-helpers.js';

const GRAPH_DEFAULT = 'https://graph.microsoft.com/.default';
const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
const UNKNOWN_APP = 'a1b2c3d4-0000-4000-8000-0000000000ff';
const SP_FILTER = "signInEventTypes/any(t: t eq 'servicePrincipal')";

describe('service principal (client-credentials) sign-ins', () => {
  let h: Harness;
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 8, 0, 0));
  const reader = () => delegatedToken(h, 'globaladmin', ['AuditLog.Read.All']);
  const get = async (url: string) => {
    const res = await call(h, 'GET', url, { token: reader() });
    assert.equal(res.status, 200, res.body);
    return res.json as Record<string, any>;
  };
  const list = async (url: string) => (await get(url)).value as Record<string, any>[];
  const beta = (filter: string, extra = '') => `/beta/auditLogs/signIns?$filter=${encodeURIComponent(filter)}${extra}`;
  const cc = (o: Record<string, string>) => ({ grant_type: 'client_credentials', scope: GRAPH_DEFAULT, ...o });
  let webKeyId = '';

  before(async () => {
    h = await makeHarness({ clock });
    await registerApis(h.store);
    webKeyId = (await h.store.applications.findByAppId(TENANT_ID, APP.webApp))!.secrets[0]!.keyId;
    const answers: [number, unknown][] = [];
    const send = async (source: string, form: Record<string, string>) => {
      clock.advance(1000);
      const res = await tokenFrom(h, source, form);
      answers.push([res.status, res.body.error_codes]);
    };
    // 1. success, 2. wrong secret, 3. unknown client id, 4. no secret at all, 5. success of another app, 6. a scope it may not ask.
    await send(SOURCE_A, cc({ client_id: APP.webApp, client_secret: WEB_SECRET }));
    await send(SOURCE_B, cc({ client_id: APP.webApp, client_secret: 'not-the-secret' }));
    await send(SOURCE_A, cc({ client_id: UNKNOWN_APP, client_secret: 'whatever' }));
    await send(SOURCE_A, cc({ client_id: APP.daemonNoPerms }));
    await send(SOURCE_A, cc({ client_id: APP.daemonNoPerms, client_secret: DAEMON_SECRET }));
    await send(SOURCE_A, cc({ client_id: APP.webApp, client_secret: WEB_SECRET, scope: 'User.Read' }));
    // Not logged: a client id that is not a GUID names nobody.
    await send(SOURCE_A, cc({ client_id: 'not-a-guid', client_secret: 'x' }));
    assert.deepEqual(answers, [
      [200, undefined],
      [401, [7000215]],
      [400, [700016]],
      [401, [7000218]],
      [200, undefined],
      [400, [1002012]],
      [400, [700038]],
    ]);
  });
  after(() => h.close());

  test('beta lists them with the servicePrincipal filter, newest first, successes and failures with their AADSTS codes', async () => {
    const items = await list(beta(SP_FILTER));
    assert.deepEqual(
      items.map((i) => [i.appId, i.servicePrincipalId, i.status.errorCode, i.clientCredentialType, i.signInEventTypes]),
      [
        [APP.webApp, APP.webApp, 1002012, 'clientSecret', ['servicePrincipal']],
        [APP.daemonNoPerms, APP.daemonNoPerms, 0, 'clientSecret', ['servicePrincipal']],
        [APP.daemonNoPerms, APP.daemonNoPerms, 7000218, 'none', ['servicePrincipal']],
        [UNKNOWN_APP, '', 700016, 'clientSecret', ['servicePrincipal']],
        [APP.webApp, APP.webApp, 7000215, 'clientSecret', ['servicePrincipal']],
        [APP.webApp, APP.webApp, 0, 'clientSecret', ['servicePrincipal']],
      ],
    );
    const ok = items[5]!;
    assert.equal(ok.createdDateTime, new Date(Date.UTC(2026, 5, 1, 8, 0, 1)).toISOString());
    assert.equal(ok.servicePrincipalName, 'Web App');
    assert.equal(ok.appDisplayName, 'Web App');
    assert.equal(ok.servicePrincipalCredentialKeyId, webKeyId, 'the secret that matched');
    assert.equal(ok.resourceId, GRAPH_APP_ID);
    assert.equal(ok.resourceDisplayName, 'Microsoft Graph');
    assert.deepEqual([ok.userId, ok.userPrincipalName, ok.userDisplayName, ok.isInteractive], ['', '', '', false]);
    assert.equal(ok.ipAddress, SOURCE_A);
    assert.equal(ok.status.failureReason, null);
    const wrong = items[4]!;
    assert.equal(wrong.ipAddress, SOURCE_B);
    assert.equal(wrong.servicePrincipalCredentialKeyId, null, 'no secret matched');
    assert.match(wrong.status.failureReason, /^Invalid client secret provided/);
    assert.equal(wrong.resourceId, null, 'refused before the scope was read');
    assert.equal(items[3]!.servicePrincipalName, '');
    assert.equal(items[3]!.appDisplayName, '');
  });

  test('v1.0 never returns them, not by id either; beta without the filter lists interactive sign-ins only', async () => {
    const [first] = await list(beta(SP_FILTER, '&$top=1'));
    assert.deepEqual(await list('/v1.0/auditLogs/signIns'), []);
    assert.deepEqual(await list('/beta/auditLogs/signIns'), []);
    assert.deepEqual(await list(beta("signInEventTypes/any(t: t eq 'nonInteractiveUser')")), []);
    assert.deepEqual(await list(beta("signInEventTypes/any(t: t eq 'managedIdentity')")), []);
    assertGraphError(await call(h, 'GET', `/v1.0/auditLogs/signIns/${first!.id}`, { token: reader() }), 404, 'Request_ResourceNotFound');
    const one = await get(`/beta/auditLogs/signIns/${first!.id}`);
    assert.equal(one.id, first!.id);
    assert.deepEqual(one.signInEventTypes, ['servicePrincipal']);
    assertGraphError(
      await call(h, 'GET', `/v1.0/auditLogs/signIns?$filter=${encodeURIComponent(SP_FILTER)}`, { token: reader() }),
      400,
      'Request_UnsupportedQuery',
    );
    assertGraphError(
      await call(h, 'GET', `/v1.0/auditLogs/signIns?$filter=${encodeURIComponent(`servicePrincipalId eq '${APP.webApp}'`)}`, {
        token: reader(),
      }),
      400,
      'Request_UnsupportedQuery',
    );
  });

  test('$filter on servicePrincipalId, appId, status/errorCode and createdDateTime; $top pages', async () => {
    const q = async (f: string) => (await list(beta(`${SP_FILTER} and ${f}`))).map((i) => i.status.errorCode);
    assert.deepEqual(await q(`servicePrincipalId eq '${APP.webApp.toUpperCase()}'`), [1002012, 7000215, 0]);
    assert.deepEqual(await q(`appId eq '${APP.daemonNoPerms}'`), [0, 7000218]);
    assert.deepEqual(await q(`appId eq '${UNKNOWN_APP}'`), [700016]);
    assert.deepEqual(await q('status/errorCode eq 7000215'), [7000215]);
    assert.deepEqual(await q(`createdDateTime ge ${new Date(Date.UTC(2026, 5, 1, 8, 0, 5)).toISOString()}`), [1002012, 0]);
    // The event type decides: a service principal id alone reaches no user sign-in, and beta's default is interactive.
    assert.deepEqual(await list(beta(`servicePrincipalId eq '${APP.webApp}'`)), []);
    const seen: string[] = [];
    let url: string | undefined = beta(SP_FILTER, '&$top=4');
    while (url) {
      const page = await get(url);
      assert.ok(page.value.length <= 4);
      seen.push(...page.value.map((i: { id: string }) => i.id));
      url = page['@odata.nextLink'] ? pathOf(page['@odata.nextLink']) : undefined;
    }
    assert.equal(seen.length, 6);
    assert.equal(new Set(seen).size, 6);
  });

  test('a token for an API names that API as the resource; a refusal before a token was issued names none', async () => {
    clock.advance(60_000);
    const since = new Date(clock.now()).toISOString();
    const ok = await tokenFrom(h, SOURCE_A, cc({ client_id: APP.webApp, client_secret: WEB_SECRET, scope: `${API.v1Uri}/.default` }));
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    clock.advance(1000);
    const refused = await tokenFrom(
      h,
      SOURCE_A,
      cc({ client_id: APP.daemonNoPerms, client_secret: DAEMON_SECRET, scope: `${API.v1}/.default` }),
    );
    assert.deepEqual(refused.body.error_codes, [501051]);
    const items = await list(beta(`${SP_FILTER} and createdDateTime ge ${since}`));
    assert.deepEqual(
      items.map((i) => [i.appId, i.status.errorCode, i.resourceId, i.resourceDisplayName]),
      [
        [APP.daemonNoPerms, 501051, null, null],
        [APP.webApp, 0, API.v1, 'Todo API'],
      ],
    );
  });

  test('reading them takes what reading the sign-in log takes', async () => {
    for (const token of [
      delegatedToken(h, 'globaladmin', ['User.Read.All']),
      delegatedToken(h, 'useradmin', ['AuditLog.Read.All']),
      appToken(h, ['User.Read.All']),
    ]) {
      assertGraphError(await call(h, 'GET', beta(SP_FILTER), { token }), 403, 'Authorization_RequestDenied');
    }
    const app = await call(h, 'GET', beta(SP_FILTER), { token: appToken(h, ['AuditLog.Read.All']) });
    assert.equal(app.status, 200, app.body);
    assert.ok(app.json.value.length >= 6);
  });
});
