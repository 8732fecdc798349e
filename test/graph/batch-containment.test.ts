/**
 * $batch containment (src/graph/batch-containment.ts): an inner request stays a Graph request of
 * the batch's own version however its URL is spelled, cannot be a nested $batch, runs with the
 * outer request's client address whatever forwarding headers it carries. Everything through the
 * real app (createApp, inject()).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createApp, type PortcullisApp } from '../../src/app.js';
import { systemClock } from '../../src/clock.js';
import { makeAppConfig } from '../../src/config.js';
import { lockoutKey, sourceOf } from '../../src/core/lockout.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import type { Store } from '../../src/store/store.js';
import { APP, PUBLIC_URL, TENANT_ID, WEB_SECRET, delegatedToken, makeHarness, seedDirectory, type Harness } from '../helpers/harness.js';
import { call, reload } from './graph-helpers.js';

const json = { 'content-type': 'application/json' };
const OUTER_ADDRESS = '198.51.100.7';

/** The inner response must be Graph's own 400 (an OData error), not another surface's answer. */
function assertRefused(r: any, message?: RegExp): void {
  assert.equal(r.status, 400, JSON.stringify(r).slice(0, 300));
  assert.equal(r.body?.error?.code, 'Request_BadRequest', JSON.stringify(r).slice(0, 300));
  assert.match(r.body.error.innerError['request-id'], /^[0-9a-f-]{36}$/);
  if (message) assert.match(r.body.error.message, message);
}

async function batch(h: Harness, token: string, requests: unknown[], version = 'v1.0') {
  const res = await call(h, 'POST', `/${version}/$batch`, { token, body: { requests } });
  assert.equal(res.status, 200, res.body);
  return new Map<string, any>(res.json.responses.map((r: any) => [r.id, r]));
}

describe('$batch inner URLs stay under the batch version', () => {
  let h: Harness;
  let token: string;
  before(async () => {
    h = await makeHarness();
    token = delegatedToken(h, 'globaladmin', ['User.Read.All', 'User.RevokeSessions.All']);
  });
  after(() => h.close());

  test('dot segments that climb out of the version reach no other surface', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const clientCredentials = Buffer.from(
      new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: APP.webApp,
        client_secret: WEB_SECRET,
        scope: 'https://graph.microsoft.com/.default',
      }).toString(),
    ).toString('base64');
    const escapes: [string, string, Record<string, unknown>?][] = [
      ['GET', '/../beta/me'],
      ['POST', `/../${TENANT_ID}/oauth2/v2.0/token`, { headers: form, body: clientCredentials }],
      ['GET', '/../devicelogin'],
      ['GET', '../beta/me'],
      ['GET', '/me/../../beta/me'],
      ['GET', 'users/../../beta/me'],
      ['GET', '/../v1.0/me'], // leaves the version, even to come back
      ['GET', '/%2e%2e/beta/me'],
      ['GET', '/.%2E/beta/me'],
      ['GET', `/%2E%2E/${TENANT_ID}/v2.0/.well-known/openid-configuration`],
      ['GET', '/./../beta/me'],
      ['GET', '/..'],
    ];
    const responses = await batch(
      h,
      token,
      escapes.map(([method, url, extra], i) => ({ id: String(i), method, url, ...extra })),
    );
    for (const [i, [, url]] of escapes.entries()) {
      const r = responses.get(String(i));
      assertRefused(r, /the path leaves the version/);
      assert.ok(r.body.error.message.includes(url), r.body.error.message);
    }
  });

  test('encoded separators, backslashes, control characters and fragments are refused, not normalised', async () => {
    const cases: [string, RegExp][] = [
      ['users\\..\\..\\beta\\me', /'\\' is not allowed/],
      ['/me\\..\\..\\beta\\me', /'\\' is not allowed/],
      ['/.\t./beta/me', /control characters/], // WHATWG URL parsing drops the tab: "/../beta/me"
      ['/.\n./devicelogin', /control characters/],
      ['/me#/../../beta/me', /'#'/],
      ['/users%2F..%2F..%2Fbeta%2Fme', /encoded '\/'/],
      ['/..%2Fbeta%2Fme', /encoded '\/'/],
      ['/..%5Cbeta%5Cme', /encoded '\/' or '\\'/],
      ['/users/%zz', /malformed percent-encoding/],
      ['https://graph.microsoft.com/beta/me', /absolute URLs/],
      ['//login.portcullis.test/devicelogin', /absolute URLs/],
    ];
    const responses = await batch(
      h,
      token,
      cases.map(([url], i) => ({ id: String(i), method: 'GET', url })),
    );
    for (const [i, [, message]] of cases.entries()) assertRefused(responses.get(String(i)), message);
  });

  test('a URL that stays inside the version and names a Graph route still works', async () => {
    const bob = h.users.bob!;
    const ok = [
      'me',
      '/me/',
      './me',
      'users/../me',
      '/Me',
      `users/${encodeURIComponent(bob.userPrincipalName)}`,
      `/users/x/../${bob.id}?$select=id`,
      `/users/%62ob%40contoso.test`,
    ];
    const responses = await batch(
      h,
      token,
      ok.map((url, i) => ({ id: String(i), method: 'GET', url })),
    );
    for (const [i, url] of ok.entries())
      assert.equal(responses.get(String(i)).status, 200, `${url}: ${JSON.stringify(responses.get(String(i)))}`);
    // Unknown segments answer as a direct request does.
    const unknown = await batch(h, token, [
      { id: 'a', method: 'GET', url: '/nothingHere' },
      { id: 'b', method: 'GET', url: '/beta/me' },
      { id: 'c', method: 'GET', url: '/' },
      { id: 'd', method: 'GET', url: '/users/bob;x@contoso.test' }, // ';' is part of the key, not a delimiter
    ]);
    assertRefused(unknown.get('a'), /Resource not found for the segment 'nothingHere'/);
    assertRefused(unknown.get('b'), /Resource not found for the segment 'beta'/);
    assertRefused(unknown.get('c'), /Resource not found for the segment 'v1.0'/);
    assert.equal(unknown.get('d').status, 404);
    assert.equal(unknown.get('d').body.error.code, 'Request_ResourceNotFound');
  });

  test('$batch is refused however spelled: nested batches cannot exceed the 20-request limit', async () => {
    const alice = await reload(h, h.users.alice!);
    const nested = {
      requests: Array.from({ length: 20 }, (_, i) => ({ id: String(i), method: 'POST', url: `/users/${alice.id}/revokeSignInSessions` })),
    };
    const spellings = [
      '/%24batch',
      '%24batch',
      '/$BATCH',
      '/$batch/',
      'users/../$batch',
      '/%2e%2e/v1.0/$batch',
      './%24Batch',
      '/%2524batch',
      '/$batch?x=1',
    ];
    const responses = await batch(
      h,
      token,
      spellings.map((url, i) => ({ id: String(i), method: 'POST', url, headers: json, body: nested })),
    );
    for (const [i, url] of spellings.entries()) {
      const r = responses.get(String(i));
      assertRefused(
        r,
        url === '/%2e%2e/v1.0/$batch'
          ? /leaves the version/
          : url === '/%2524batch'
            ? /segment '%24batch'/
            : /cannot contain a \$batch request/,
      );
    }
    // None of the 20 x 9 nested revokes ran.
    assert.equal((await reload(h, alice)).revocationEpoch, alice.revocationEpoch);
  });

  test('the outer version is kept: beta batches reach beta routes only', async () => {
    const responses = await batch(
      h,
      token,
      [
        { id: '1', method: 'POST', url: `/users/${h.users.bob!.id}/invalidateAllRefreshTokens` },
        { id: '2', method: 'GET', url: '/../v1.0/me' },
      ],
      'beta',
    );
    assert.equal(responses.get('1').status, 204);
    assertRefused(responses.get('2'), /leaves the version; use a URL relative to \/beta/);
  });
});

describe('$batch inner requests run with the outer client address', () => {
  let app: PortcullisApp;
  let store: Store;
  let dir: string;
  let token: string;
  /** The client address fastify resolved for every request: what the per-source limits count. */
  const seen: { url: string; ip: string }[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-test-'));
    store = openSqliteStore(join(dir, 'portcullis.db'), Date.now());
    const users = await seedDirectory(store, Date.now());
    // trustProxy: X-Forwarded-For from the one proxy in front picks the client address.
    app = await createApp({ config: makeAppConfig({ publicUrl: PUBLIC_URL, logLevel: 'silent', trustProxy: true }), store });
    app.http.addHook('onRequest', async (req) => {
      seen.push({ url: req.url, ip: req.ip });
    });
    await app.http.ready();
    token = delegatedToken({ app, users, clock: systemClock } as unknown as Harness, 'globaladmin', ['User.Read.All']);
  });
  after(async () => {
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const send = (requests: unknown[], outerHeaders: Record<string, string> = {}) =>
    app.http.inject({
      method: 'POST',
      url: '/v1.0/$batch',
      remoteAddress: '10.0.0.1', // the proxy
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-forwarded-for': OUTER_ADDRESS, ...outerHeaders },
      payload: JSON.stringify({ requests }),
    });

  test('an inner X-Forwarded-For, Forwarded or X-Real-IP does not choose the address', async () => {
    seen.length = 0;
    const res = await send([
      { id: '1', method: 'GET', url: '/me', headers: { 'X-Forwarded-For': '203.0.113.1' } },
      { id: '2', method: 'GET', url: '/me', headers: { 'x-forwarded-for': '203.0.113.2, 203.0.113.3', 'x-forwarded-host': 'evil.test' } },
      { id: '3', method: 'GET', url: '/me', headers: { forwarded: 'for=203.0.113.4', 'x-real-ip': '203.0.113.5' } },
      { id: '4', method: 'GET', url: '/me', headers: { connection: 'x-custom', 'x-custom': 'a', host: 'evil.test' } },
      { id: '5', method: 'GET', url: '/me' },
    ]);
    assert.equal(res.statusCode, 200, res.body);
    for (const r of res.json().responses) assert.equal(r.status, 200, JSON.stringify(r));
    const inner = seen.filter((s) => s.url === '/v1.0/me');
    assert.equal(inner.length, 5);
    assert.deepEqual(
      inner.map((s) => s.ip),
      Array(5).fill(OUTER_ADDRESS),
    );
  });

  test('secret guessing through a batch with rotating inner X-Forwarded-For reaches no limiter', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const guess = (i: number) =>
      Buffer.from(
        new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: APP.webApp,
          client_secret: `guess-${i}`,
          scope: 'https://graph.microsoft.com/.default',
        }).toString(),
      ).toString('base64');
    const forged = (i: number) => `203.0.113.${100 + i}`;
    for (let round = 0; round < 2; round++) {
      const res = await send(
        Array.from({ length: 20 }, (_, k) => {
          const i = round * 20 + k;
          return {
            id: String(i),
            method: 'POST',
            url: `/../${TENANT_ID}/oauth2/v2.0/token`,
            headers: { ...form, 'x-forwarded-for': forged(i) },
            body: guess(i),
          };
        }),
      );
      assert.equal(res.statusCode, 200, res.body);
      for (const r of res.json().responses) assertRefused(r, /leaves the version/);
    }
    // The real limiter (core/attempt-limiter.ts) counted no attempt for any forged address.
    for (let i = 0; i < 40; i++)
      assert.equal(await store.lockouts.get(lockoutKey.clientSource(sourceOf(forged(i))), Date.now()), null, forged(i));
  });
});
