/**
 * User strings on the Graph surface must be Unicode text: a lone UTF-16 surrogate (a `\ud800`
 * escape in the JSON) is refused with 400, never stored or silently replaced; a body whose bytes
 * are not UTF-8 (RFC 8259 §8.1) is refused before any property is read.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { delegatedToken, makeHarness, type Harness } from '../helpers/harness.js';
import { assertGraphError, call, reload } from './graph-helpers.js';

describe('Graph user strings: lone surrogates and invalid UTF-8', () => {
  let h: Harness;
  let admin: string;
  before(async () => {
    h = await makeHarness();
    admin = delegatedToken(h, 'globaladmin', ['User.ReadWrite.All']);
  });
  after(() => h.close());

  const json = { 'content-type': 'application/json' };
  /** A POST /users body as raw JSON text, so escapes reach the server exactly as written. */
  const newUserJson = (nick: string, displayNameJson: string) =>
    `{"accountEnabled":true,"displayName":${displayNameJson},"mailNickname":"${nick}","userPrincipalName":"${nick}@contoso.test",` +
    '"passwordProfile":{"password":"xWwvJ]6NMw+bWH-d"}}';
  const invalidDisplayName = "Invalid value specified for property 'displayName' of resource 'User'.";

  test('POST /users: a lone surrogate in displayName is 400 and nothing is created; a pair is a character', async () => {
    for (const [nick, name] of [
      ['hi', '"a\\ud800b"'],
      ['lo', '"\\udfffb"'],
      ['end', '"a\\ud83d"'],
      ['swapped', '"\\ude00\\ud83d"'],
    ]) {
      const res = await call(h, 'POST', '/v1.0/users', { token: admin, body: newUserJson(nick!, name!), headers: json });
      assertGraphError(res, 400, 'Request_BadRequest', invalidDisplayName);
      assert.equal((await call(h, 'GET', `/v1.0/users/${nick}@contoso.test`, { token: admin })).status, 404, `${nick} was not created`);
    }
    const ok = await call(h, 'POST', '/v1.0/users', { token: admin, body: newUserJson('smile', '"Smile \\ud83d\\ude00"'), headers: json });
    assert.equal(ok.status, 201, ok.body);
    assert.equal(ok.json.displayName, 'Smile 😀');
  });

  test('the other user strings too (mailNickname, userPrincipalName, password)', async () => {
    const body = (over: string) =>
      `{"accountEnabled":true,"displayName":"X","mailNickname":"x1","userPrincipalName":"x1@contoso.test","passwordProfile":{"password":"xWwvJ]6NMw+bWH-d"},${over}}`;
    const cases: [string, string][] = [
      ['"mailNickname":"x\\ud800"', 'mailNickname'],
      ['"userPrincipalName":"x\\udc00@contoso.test"', 'userPrincipalName'],
      ['"passwordProfile":{"password":"xWwvJ]6NMw+bWH-d\\ud800"}', 'password'],
    ];
    for (const [over, property] of cases) {
      // A later duplicate key wins in JSON.parse, so `over` replaces the valid value.
      const res = await call(h, 'POST', '/v1.0/users', { token: admin, body: body(over), headers: json });
      assertGraphError(res, 400, 'Request_BadRequest', `Invalid value specified for property '${property}' of resource 'User'.`);
    }
  });

  test('PATCH displayName with a lone surrogate: 400 and the name is unchanged', async () => {
    const bob = h.users.bob!;
    const res = await call(h, 'PATCH', `/v1.0/users/${bob.id}`, { token: admin, body: '{"displayName":"Bob \\udbff"}', headers: json });
    assertGraphError(res, 400, 'Request_BadRequest', invalidDisplayName);
    assert.equal((await reload(h, bob.id)).displayName, bob.displayName);
  });

  test('a body that is not UTF-8 is refused, not decoded into U+FFFD', async () => {
    const bob = h.users.bob!;
    for (const bytes of [[0xff], [0xc3], [0xed, 0xa0, 0x80] /* an encoded surrogate (CESU-8) */, [0xc0, 0xaf] /* overlong */]) {
      const body = Buffer.concat([Buffer.from('{"displayName":"Bob '), Buffer.from(bytes), Buffer.from('"}')]);
      const res = await call(h, 'PATCH', `/v1.0/users/${bob.id}`, { token: admin, body, headers: json });
      assertGraphError(res, 400, 'Request_BadRequest', 'Invalid JSON in the request body.');
      assert.equal((await reload(h, bob.id)).displayName, bob.displayName, `bytes ${bytes.join(' ')}`);
    }
    const utf8 = await call(h, 'PATCH', `/v1.0/users/${bob.id}`, {
      token: admin,
      body: Buffer.from('{"displayName":"Bøb"}'),
      headers: json,
    });
    assert.equal(utf8.status, 204, utf8.body);
    assert.equal((await reload(h, bob.id)).displayName, 'Bøb');
  });
});
