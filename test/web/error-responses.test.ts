import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { APP, TENANT_ID, delegatedToken, makeHarness, type Harness } from '../helpers/harness.js';

/**
 * No error response, on any surface, carries a stack trace, a source path or an internal error
 * message: neither for bad input nor for an internal failure (the database gone under the app).
 */
const LEAK =
  /\n\s+at |\bat [\w.<>$]+ \(|node_modules|\/src\/|\/dist\/|\.[tj]s:\d+|TypeError|ReferenceError|RangeError|SqliteError|database connection|\bstack\b|FST_[A-Z_]+/;

type Case = { name: string; method: 'GET' | 'POST' | 'PATCH'; url: string; headers?: Record<string, string>; payload?: string };
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const JSONH = { 'content-type': 'application/json' };
const TOKEN = `/${TENANT_ID}/oauth2/v2.0/token`;
const AUTHORIZE = `/${TENANT_ID}/oauth2/v2.0/authorize`;

function badInputs(graphToken: string): Case[] {
  const auth = { authorization: `Bearer ${graphToken}` };
  return [
    { name: 'token: JSON body', method: 'POST', url: TOKEN, headers: JSONH, payload: '{"grant_type":' },
    { name: 'token: body too large', method: 'POST', url: TOKEN, headers: FORM, payload: `grant_type=password&x=${'a'.repeat(1_100_000)}` },
    { name: 'token: bad percent-encoding', method: 'POST', url: TOKEN, headers: FORM, payload: 'grant_type=%E0%A4%A&client_id=%' },
    { name: 'token: unknown grant', method: 'POST', url: TOKEN, headers: FORM, payload: 'grant_type=nope' },
    { name: 'token: duplicate parameter', method: 'POST', url: TOKEN, headers: FORM, payload: 'grant_type=password&grant_type=password' },
    {
      name: 'token: malformed Basic',
      method: 'POST',
      url: TOKEN,
      headers: { ...FORM, authorization: 'Basic %%%' },
      payload: 'grant_type=client_credentials',
    },
    { name: 'token: unknown tenant', method: 'POST', url: '/nope/oauth2/v2.0/token', headers: FORM, payload: 'grant_type=password' },
    {
      name: 'token: bad client id',
      method: 'POST',
      url: TOKEN,
      headers: FORM,
      payload: 'grant_type=client_credentials&client_id=<script>&client_secret=x',
    },
    { name: 'devicecode: no client', method: 'POST', url: `/${TENANT_ID}/oauth2/v2.0/devicecode`, headers: FORM, payload: 'scope=x' },
    { name: 'authorize: no parameters', method: 'GET', url: AUTHORIZE },
    { name: 'authorize: unknown client', method: 'GET', url: `${AUTHORIZE}?client_id=${APP.webApp.replace('a', 'b')}&response_type=code` },
    { name: 'authorize: bad percent-encoding in path', method: 'GET', url: `/%E0%A4%A/oauth2/v2.0/authorize` },
    { name: 'authorize: form without request', method: 'POST', url: AUTHORIZE, headers: FORM, payload: 'username=a' },
    { name: 'authorize: JSON post', method: 'POST', url: AUTHORIZE, headers: JSONH, payload: '{' },
    { name: 'logout: unknown tenant', method: 'GET', url: '/nope/oauth2/v2.0/logout' },
    { name: 'devicelogin: JSON body', method: 'POST', url: '/devicelogin', headers: JSONH, payload: '{"user_code":' },
    {
      name: 'devicelogin: unsupported media type',
      method: 'POST',
      url: '/devicelogin/approve',
      headers: { 'content-type': 'application/xml' },
      payload: '<x/>',
    },
    {
      name: 'devicelogin: body too large',
      method: 'POST',
      url: '/devicelogin',
      headers: FORM,
      payload: `user_code=${'a'.repeat(1_100_000)}`,
    },
    { name: 'graph: no token', method: 'GET', url: '/v1.0/me' },
    { name: 'graph: garbage token', method: 'GET', url: '/v1.0/me', headers: { authorization: 'Bearer a.b.c' } },
    { name: 'graph: malformed JSON', method: 'PATCH', url: '/v1.0/me', headers: { ...auth, ...JSONH }, payload: '{"displayName":' },
    { name: 'graph: bad $filter', method: 'GET', url: '/v1.0/users?$filter=startswith(((', headers: auth },
    { name: 'graph: bad percent-encoding', method: 'GET', url: '/v1.0/users/%E0%A4%A', headers: auth },
    { name: 'graph: unknown path', method: 'GET', url: '/v1.0/nothing/here', headers: auth },
    {
      name: 'graph: $batch garbage',
      method: 'POST',
      url: '/v1.0/$batch',
      headers: { ...auth, ...JSONH },
      payload: '{"requests":[{"id":1}]}',
    },
    { name: 'unknown route', method: 'GET', url: '/no/such/thing' },
  ];
}

function assertNoLeak(name: string, res: { statusCode: number; body: string; headers: Record<string, unknown> }) {
  assert.doesNotMatch(res.body, LEAK, `${name} (${res.statusCode}): ${res.body.slice(0, 300)}`);
  for (const [k, v] of Object.entries(res.headers)) assert.doesNotMatch(String(v), LEAK, `${name}: header ${k}`);
}

describe('error responses carry no stack traces or internals', () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness();
  });
  after(async () => h.close());

  test('bad input on every surface: a 4xx, never a 500, and no internals', async () => {
    for (const c of badInputs(delegatedToken(h, 'globaladmin', ['User.ReadWrite.All']))) {
      const res = await h.app.http.inject({
        method: c.method,
        url: c.url,
        headers: c.headers ?? {},
        ...(c.payload !== undefined ? { payload: c.payload } : {}),
      });
      assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${c.name}: ${res.statusCode} ${res.body.slice(0, 200)}`);
      assertNoLeak(c.name, res);
    }
  });

  test('an internal failure (the database closed under the app) is a generic 500 on every surface', async () => {
    const h2 = await makeHarness();
    const token = delegatedToken(h2, 'alice', ['User.Read']);
    await h2.store.close();
    try {
      const cases: Case[] = [
        {
          name: 'authorize',
          method: 'GET',
          url: `${AUTHORIZE}?client_id=${APP.publicClient}&response_type=code&redirect_uri=http://localhost/callback&scope=openid`,
        },
        {
          name: 'token',
          method: 'POST',
          url: TOKEN,
          headers: FORM,
          payload: `grant_type=client_credentials&client_id=${APP.webApp}&client_secret=x&scope=https://graph.microsoft.com/.default`,
        },
        {
          name: 'devicecode',
          method: 'POST',
          url: `/${TENANT_ID}/oauth2/v2.0/devicecode`,
          headers: FORM,
          payload: `client_id=${APP.publicClient}&scope=User.Read`,
        },
        {
          name: 'devicelogin',
          method: 'POST',
          url: '/devicelogin',
          headers: { ...FORM, cookie: '__Host-portcullis_csrf=abcdefghijklmnopqrstuvwx' },
          payload: 'csrf=abcdefghijklmnopqrstuvwx&user_code=BCDFGHJKL',
        },
        {
          name: 'logout',
          method: 'GET',
          url: `/${TENANT_ID}/oauth2/v2.0/logout`,
          headers: { cookie: '__Host-portcullis_sso=abcdefghijklmnop' },
        },
        { name: 'graph', method: 'GET', url: '/v1.0/me', headers: { authorization: `Bearer ${token}` } },
      ];
      for (const c of cases) {
        const res = await h2.app.http.inject({
          method: c.method,
          url: c.url,
          headers: c.headers ?? {},
          ...(c.payload !== undefined ? { payload: c.payload } : {}),
        });
        assert.equal(res.statusCode, 500, `${c.name}: ${res.body.slice(0, 200)}`);
        assertNoLeak(c.name, res);
      }
    } finally {
      await h2.close();
    }
  });
});
