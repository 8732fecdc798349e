/**
 * JSON nesting depth on the Graph surface (src/graph/body.ts, MAX_JSON_DEPTH): a $batch whose
 * inner body nests thousands of levels deep used to overflow the stack when the inner body was
 * serialised for its inner request (500); any Graph body deeper than 64 levels is now a 400.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { delegatedToken, makeHarness, type Harness } from '../helpers/harness.js';
import { assertGraphError, call } from './graph-helpers.js';

const json = { 'content-type': 'application/json' };

describe('$batch bodies nested too deep', () => {
  let h: Harness;
  let token: string;
  before(async () => {
    h = await makeHarness();
    token = delegatedToken(h, 'globaladmin', ['User.ReadWrite.All']);
  });
  after(() => h.close());

  const nest = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
  const batchText = (innerBody: string) =>
    `{"requests":[{"id":"1","method":"PATCH","url":"/users/${h.users.bob!.id}","headers":{"content-type":"application/json"},"body":{"x":${innerBody}}}]}`;

  test('an inner body ~10,000 levels deep is a 400, not a 500', async () => {
    const res = await call(h, 'POST', '/v1.0/$batch', { token, headers: json, body: batchText(nest(10_000)) });
    assertGraphError(res, 400, 'Request_BadRequest', 'The JSON in the request body nests deeper than 64 levels.');
  });

  test('64 levels in all pass; 65 do not; brackets inside strings do not count', async () => {
    // {requests:[{body:{x: ...}}]} is 4 levels before the inner value.
    const fits = await call(h, 'POST', '/v1.0/$batch', { token, headers: json, body: batchText(nest(60)) });
    assert.equal(fits.status, 200, fits.body);
    assert.equal(fits.json.responses[0].status, 400); // PATCH with an unknown property: the route's own answer
    const deep = await call(h, 'POST', '/v1.0/$batch', { token, headers: json, body: batchText(nest(61)) });
    assertGraphError(deep, 400, 'Request_BadRequest', /deeper than 64 levels/);
    const inString = await call(h, 'POST', '/v1.0/$batch', {
      token,
      headers: json,
      body: batchText(JSON.stringify('[{\\"'.repeat(5_000))),
    });
    assert.equal(inString.status, 200, inString.body);
  });

  test('a direct request body nested too deep is refused the same way', async () => {
    const res = await call(h, 'PATCH', `/v1.0/users/${h.users.bob!.id}`, { token, headers: json, body: `{"x":${nest(10_000)}}` });
    assertGraphError(res, 400, 'Request_BadRequest', /deeper than 64 levels/);
  });
});
