import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Fastify from 'fastify';
import { classifyError } from '../../src/http/error-class.js';
import { StoreUnavailableError } from '../../src/store/store.js';

/** The one error rule of every surface (src/http/error-class.ts), on the errors fastify really raises. */
describe('classifyError', () => {
  test('store unavailable: 503 with its Retry-After', () => {
    assert.deepEqual(classifyError(new StoreUnavailableError('down', 7)), { kind: 'unavailable', status: 503, retryAfterSeconds: 7 });
  });

  test("fastify's own request errors keep their 4xx status and code", async () => {
    const http = Fastify({ bodyLimit: 10 });
    let seen: unknown;
    http.setErrorHandler((err, _req, reply) => {
      seen = err;
      return reply.code(599).send();
    });
    http.post('/', async () => 'ok');
    try {
      await http.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/json' }, payload: '{"a":"0123456789"}' });
      assert.deepEqual(classifyError(seen), { kind: 'request', status: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
      await http.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/xml' }, payload: '<a/>' });
      assert.deepEqual(classifyError(seen), { kind: 'request', status: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' });
    } finally {
      await http.close();
    }
  });

  test('anything else is internal: 500', () => {
    assert.deepEqual(classifyError(new TypeError('x')), { kind: 'internal', status: 500 });
    assert.deepEqual(classifyError(Object.assign(new Error('x'), { statusCode: 502 })), { kind: 'internal', status: 500 });
    assert.deepEqual(classifyError(null), { kind: 'internal', status: 500 });
    assert.deepEqual(classifyError('text'), { kind: 'internal', status: 500 });
  });
});

describe('the Graph renderer uses it', () => {
  test('a 4xx request error without a fastify code (a body stream that failed) is 400 Request_BadRequest, not a 500', async () => {
    const { toGraphError } = await import('../../src/graph/error-response.js');
    const services = { config: { bodyLimitBytes: 1024 } } as Parameters<typeof toGraphError>[1];
    const error = toGraphError(Object.assign(new Error('aborted'), { statusCode: 400 }), services);
    assert.equal(error?.status, 400);
    assert.equal(error?.code, 'Request_BadRequest');
  });
});
