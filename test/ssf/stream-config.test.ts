import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SSF_CONFIG } from '../../src/config.js';
import { SsfError } from '../../src/ssf/errors.js';
import { DELIVERY, type SsfStream } from '../../src/ssf/model.js';
import { applyReceiverSupplied, parseReceiverSupplied, type StreamUrls } from '../../src/ssf/stream-config.js';

const urls: StreamUrls = { issuer: 'https://idp.test/t/v2.0', pollUrl: (id) => `https://idp.test/t/ssf/poll/${id}` };
const pushStream: SsfStream = {
  streamId: 's1',
  tenantId: 't',
  clientId: 'c',
  aud: 'c',
  eventsRequested: [],
  method: DELIVERY.push,
  endpointUrl: 'https://rx.test/a',
  authorizationHeader: 'Bearer keep-me',
  description: null,
  status: 'enabled',
  statusReason: null,
  createdAt: 0,
  updatedAt: 0,
  lastVerificationAt: null,
};
const push = (endpoint_url: string, extra: Record<string, unknown> = {}) => ({
  delivery: { method: DELIVERY.push, endpoint_url, ...extra },
});

test('push endpoints must be https unless http is allowed by configuration', () => {
  assert.throws(
    () => parseReceiverSupplied(push('http://127.0.0.1:9/x'), DEFAULT_SSF_CONFIG, urls, null),
    (e) => e instanceof SsfError && e.status === 400,
  );
  const ok = parseReceiverSupplied(push('http://127.0.0.1:9/x'), { ...DEFAULT_SSF_CONFIG, allowHttpPushEndpoints: true }, urls, null);
  assert.equal(ok.delivery?.endpointUrl, 'http://127.0.0.1:9/x');
  assert.throws(() => parseReceiverSupplied(push('ftp://rx.test/'), { ...DEFAULT_SSF_CONFIG, allowHttpPushEndpoints: true }, urls, null));
});

test('the write-only authorization header survives an edit of the same endpoint, not a move, and null removes it', () => {
  const same = applyReceiverSupplied(
    pushStream,
    parseReceiverSupplied(push('https://rx.test/a'), DEFAULT_SSF_CONFIG, urls, pushStream),
    'replace',
    1,
  );
  assert.equal(same.authorizationHeader, 'Bearer keep-me');
  const moved = applyReceiverSupplied(
    pushStream,
    parseReceiverSupplied(push('https://rx.test/b'), DEFAULT_SSF_CONFIG, urls, pushStream),
    'patch',
    1,
  );
  assert.equal(moved.authorizationHeader, null);
  const cleared = applyReceiverSupplied(
    pushStream,
    parseReceiverSupplied(push('https://rx.test/a', { authorization_header: null }), DEFAULT_SSF_CONFIG, urls, pushStream),
    'patch',
    1,
  );
  assert.equal(cleared.authorizationHeader, null);
  const toPoll = applyReceiverSupplied(
    pushStream,
    parseReceiverSupplied({ delivery: { method: DELIVERY.poll } }, DEFAULT_SSF_CONFIG, urls, pushStream),
    'patch',
    1,
  );
  assert.deepEqual([toPoll.method, toPoll.endpointUrl, toPoll.authorizationHeader], [DELIVERY.poll, null, null]);
});

test('a poll stream may echo its endpoint_url but not change it', () => {
  const pollStream: SsfStream = { ...pushStream, method: DELIVERY.poll, endpointUrl: null, authorizationHeader: null };
  assert.doesNotThrow(() =>
    parseReceiverSupplied({ delivery: { method: DELIVERY.poll, endpoint_url: urls.pollUrl('s1') } }, DEFAULT_SSF_CONFIG, urls, pollStream),
  );
  assert.throws(() =>
    parseReceiverSupplied(
      { delivery: { method: DELIVERY.poll, endpoint_url: 'https://elsewhere.test/' } },
      DEFAULT_SSF_CONFIG,
      urls,
      pollStream,
    ),
  );
});
