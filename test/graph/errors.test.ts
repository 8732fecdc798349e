import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyReply } from 'fastify';
import { GRAPH_ERROR_CLASSES, GraphError } from '../../src/graph/errors.js';
import { graphFrameworkErrors } from '../../src/graph/framework-errors.js';
import { delegatedToken, makeHarness, type Harness } from '../helpers/harness.js';
import { assertGraphError, call } from './graph-helpers.js';

const LIMIT = 4096;

describe('Graph error envelope for malformed requests', () => {
  let h: Harness;
  let token: string;
  before(async () => {
    h = await makeHarness({ config: { bodyLimitBytes: LIMIT } });
    token = delegatedToken(h, 'globaladmin', ['User.RevokeSessions.All', 'User.ReadWrite.All', 'User.Read.All']);
  });
  after(() => h.close());

  const revokeBob = () => `/v1.0/users/${h.users.bob!.id}/revokeSignInSessions`;

  test('malformed JSON: 400 Request_BadRequest', async () => {
    for (const payload of ['{bad', '{"a":', 'nul', '{"__proto__":{"admin":true}}']) {
      const res = await call(h, 'POST', revokeBob(), { token, body: payload, headers: { 'content-type': 'application/json' } });
      assertGraphError(res, 400, 'Request_BadRequest', 'Invalid JSON in the request body.');
    }
    const post = await call(h, 'POST', '/v1.0/users', {
      token,
      body: '{"displayName":',
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    assertGraphError(post, 400, 'Request_BadRequest');
  });

  test('a whitespace-only JSON body counts as empty', async () => {
    const res = await call(h, 'POST', revokeBob(), { token, body: '  \n', headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 200, res.body);
  });

  test('a body in another media type: 415 with a clear message', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const res = await call(h, 'POST', revokeBob(), { token, body: 'a=b', headers: { 'content-type': type } });
      assertGraphError(res, 415, 'Request_BadRequest', new RegExp(`Content-Type '${type.replace(/[/+.]/g, '\\$&')}' is not supported`));
    }
    const noType = await call(h, 'POST', revokeBob(), { token, body: Buffer.from('raw bytes') });
    assertGraphError(noType, 415, 'Request_BadRequest');
    const invalidType = await call(h, 'POST', revokeBob(), { token, body: 'x', headers: { 'content-type': '///' } });
    assertGraphError(invalidType, 415, 'Request_BadRequest');
  });

  test('an empty body with any media type is accepted on an action', async () => {
    const res = await call(h, 'POST', revokeBob(), { token, body: '', headers: { 'content-type': 'text/plain' } });
    assert.equal(res.status, 200, res.body);
  });

  test('a body over the limit: 413', async () => {
    const big = JSON.stringify({ displayName: 'x'.repeat(LIMIT * 2) });
    const res = await call(h, 'PATCH', `/v1.0/users/${h.users.bob!.id}`, {
      token,
      body: big,
      headers: { 'content-type': 'application/json' },
    });
    assertGraphError(res, 413, 'Request_BadRequest', `The request body exceeds the maximum allowed size of ${LIMIT} bytes.`);
  });

  test('unknown segments: 400 "Resource not found for the segment"', async () => {
    const cases: [string, string][] = [
      ['/v1.0/devices', 'devices'],
      ['/v1.0/users/bob@contoso.test/manager', 'manager'],
      ['/v1.0/me/revokeEverything', 'revokeEverything'],
      ['/beta/auditLogs/provisioning', 'provisioning'],
      ['/v1.0/users/bob@contoso.test/revokeSignInSessions/extra', 'extra'],
    ];
    for (const [path, segment] of cases) {
      const res = await call(h, 'GET', path, { token });
      assertGraphError(res, 400, 'Request_BadRequest', `Resource not found for the segment '${segment}'.`);
    }
  });

  test('a trailing slash is ignored; an empty id segment is an invalid identifier', async () => {
    assert.equal((await call(h, 'GET', '/v1.0/users/', { token })).status, 200);
    assert.equal((await call(h, 'GET', '/beta/me/', { token })).status, 200);
    const empty = await call(h, 'POST', '/v1.0/users//revokeSignInSessions', { token });
    assertGraphError(empty, 400, 'Request_BadRequest', "Invalid object identifier ''.");
  });

  test('a known resource with the wrong method: 405', async () => {
    const cases: [string, string][] = [
      ['GET', revokeBob()],
      ['PUT', '/v1.0/users'],
      ['DELETE', '/v1.0/me'],
      ['POST', `/v1.0/users/${h.users.bob!.id}`],
      ['PATCH', '/v1.0/auditLogs/directoryAudits'],
      ['GET', '/beta/me/invalidateAllRefreshTokens'],
    ];
    for (const [method, path] of cases) {
      const res = await call(h, method, path, { token });
      assertGraphError(res, 405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request target.');
    }
  });

  test('authentication comes before route matching: 401, not 405 or 400, without a valid token', async () => {
    const cases: [string, string][] = [
      ['POST', '/v1.0/me'],
      ['DELETE', '/v1.0/me'],
      ['GET', revokeBob()],
      ['PUT', '/v1.0/users'],
      ['PATCH', '/beta/auditLogs/directoryAudits'],
      ['GET', '/v1.0/groups'],
      ['GET', '/v1.0/me/revokeEverything'],
      ['GET', '/v1.0/Me'],
      ['POST', '/v1.0/users//revokeSignInSessions'],
    ];
    for (const [method, path] of cases) {
      const anonymous = await call(h, method, path);
      assertGraphError(anonymous, 401, 'InvalidAuthenticationToken', 'Access token is empty.');
      assert.match(String(anonymous.headers['www-authenticate']), /^Bearer realm=""/, `${method} ${path}`);
      const forged = await call(h, method, path, { token: 'not-a-token' });
      assertGraphError(forged, 401, 'InvalidAuthenticationToken', /CompactToken parsing failed/);
    }
  });

  test('GraphError classes each fix one status and code, all documented in docs/graph-api.md', () => {
    const docs = readFileSync(new URL('../../docs/graph-api.md', import.meta.url), 'utf8');
    for (const Class of GRAPH_ERROR_CLASSES) {
      const instance: GraphError = Reflect.construct(Class, ['m']);
      assert.ok(instance instanceof GraphError);
      assert.ok(
        docs.includes(`| ${instance.status} | \`${instance.code}\``),
        `docs/graph-api.md lacks | ${instance.status} | \`${instance.code}\``,
      );
    }
  });

  test('malformed percent-encoding gets the envelope once app.ts wires graphFrameworkErrors', async () => {
    const graphErrors = graphFrameworkErrors(h.app.services);
    const http = Fastify({
      frameworkErrors: (err, req, reply) => {
        if (!graphErrors(err, req, reply)) (reply as unknown as FastifyReply).code(400).send({ error: 'bad url' });
      },
    });
    try {
      const res = await http.inject({ method: 'GET', url: '/v1.0/users/%E0%A4%A', headers: { 'client-request-id': 'bad-url-1' } });
      assertGraphError(
        { status: res.statusCode, headers: res.headers, body: res.body, json: res.json() },
        400,
        'Request_BadRequest',
        'The request URL is malformed.',
      );
      assert.equal(res.headers['client-request-id'], 'bad-url-1');
      const other = await http.inject({ method: 'GET', url: '/elsewhere/%E0%A4%A' });
      assert.deepEqual(other.json(), { error: 'bad url' });
    } finally {
      await http.close();
    }
  });

  test('an unexpected failure is a generic 500 generalException without internals', async () => {
    const broken = await makeHarness();
    try {
      const t = delegatedToken(broken, 'globaladmin', ['User.Read.All']);
      await broken.store.close(); // every store call now throws inside better-sqlite3
      const res = await call(broken, 'GET', '/v1.0/users', { token: t, headers: { 'client-request-id': 'boom-1' } });
      assertGraphError(res, 500, 'generalException', 'An unexpected error occurred.');
      assert.equal(res.json.error.innerError['client-request-id'], 'boom-1');
    } finally {
      await broken.close();
    }
  });
});
