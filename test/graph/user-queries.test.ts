/**
 * GET /users query options through the real app: $filter (Graph's operators and which need an
 * advanced query), $search, $orderby, $count and /users/$count, paging with all of them, and
 * Graph's exact errors for what is not supported.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { User } from '../../src/core/model.js';
import { newGuid } from '../../src/crypto/random.js';
import { DOMAIN, TENANT_ID, delegatedToken, makeHarness, type Harness } from '../helpers/harness.js';
import { assertGraphError, call, pathOf } from './graph-helpers.js';

const EVENTUAL = { consistencylevel: 'eventual' };
const ADVANCED_MESSAGE = (op: string) =>
  `Operator '${op}' is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information`;

describe('GET /users: $filter, $search, $orderby, $count', () => {
  let h: Harness;
  let reader: string;
  const team: User[] = [];

  before(async () => {
    h = await makeHarness();
    reader = delegatedToken(h, 'alice', ['User.Read.All']);
    for (let i = 0; i < 7; i++) {
      const u: User = {
        id: newGuid(),
        tenantId: TENANT_ID,
        userPrincipalName: `team${i}@${DOMAIN}`,
        displayName: `Team Member ${String.fromCharCode(71 - i)}`, // G, F, ... A: name order differs from insertion
        mail: i === 0 ? null : `team${i}@${DOMAIN}`,
        passwordHash: null,
        accountEnabled: i !== 3,
        revocationEpoch: 0,
        signInSessionsValidFrom: null,
        refreshTokensValidFrom: null,
        roleTemplateIds: [],
        createdAt: Date.UTC(2026, 0, 1 + i),
      };
      await h.store.users.insert(u);
      team.push(u);
    }
  });
  after(() => h.close());

  const list = (query: string, headers: Record<string, string> = {}) => call(h, 'GET', `/v1.0/users?${query}`, { token: reader, headers });
  const names = (res: { json: { value: { displayName: string }[] } }) => res.json.value.map((u) => u.displayName);
  const q = (filter: string) => `$filter=${encodeURIComponent(filter)}`;

  test('startswith, eq (case-insensitive), in, and/or without advanced parameters', async () => {
    const res = await list(`${q("startswith(displayName,'team member')")}&$select=displayName`);
    assert.equal(res.status, 200, res.body);
    assert.equal(res.json.value.length, 7);
    assert.deepEqual(names(await list(q("displayName eq 'TEAM MEMBER A'"))), ['Team Member A']);
    assert.deepEqual(names(await list(q(`userPrincipalName in ('team1@${DOMAIN}', 'TEAM2@${DOMAIN}', 'nobody@${DOMAIN}')`))).sort(), [
      'Team Member E',
      'Team Member F',
    ]);
    assert.deepEqual(names(await list(q("startsWith(displayName,'Team') and accountEnabled eq false"))), ['Team Member D']);
    assert.deepEqual(names(await list(q("displayName eq 'Alice' or mail eq 'TEAM6@contoso.test'"))).sort(), ['Alice', 'Team Member A']);
    assert.deepEqual(names(await list(q(`id eq '${team[5]!.id.toUpperCase()}'`))), ['Team Member B']);
    assert.deepEqual(names(await list(q(`createdDateTime ge 2026-01-06T00:00:00Z and startswith(userPrincipalName,'team')`))).sort(), [
      'Team Member A',
      'Team Member B',
    ]);
    assert.deepEqual(names(await list(q("mail eq null and startswith(displayName,'Team')"))), ['Team Member G']);
  });

  test('ne, not and endsWith need ConsistencyLevel: eventual and $count=true (Graph errors verbatim)', async () => {
    for (const [filter, op] of [
      ["displayName ne 'x'", 'ne'],
      ["not(startsWith(displayName,'Team'))", 'not'],
      ["endsWith(mail,'@contoso.test')", 'endsWith'],
    ] as const) {
      assertGraphError(await list(q(filter)), 400, 'Request_UnsupportedQuery', ADVANCED_MESSAGE(op));
      // The header alone is not enough: $count=true too.
      assertGraphError(await list(q(filter), EVENTUAL), 400, 'Request_UnsupportedQuery', ADVANCED_MESSAGE(op));
    }
    const res = await list(`${q("startswith(displayName,'Team') and not(accountEnabled eq true)")}&$count=true`, EVENTUAL);
    assert.equal(res.status, 200, res.body);
    assert.deepEqual(names(res), ['Team Member D']);
    assert.equal(res.json['@odata.count'], 1);
    assert.deepEqual(Object.keys(res.json), ['@odata.context', '@odata.count', 'value']);
    const ends = await list(`${q("endsWith(mail,'m6@contoso.test')")}&$count=true`, EVENTUAL);
    assert.deepEqual(names(ends), ['Team Member A']);
    // null ne a value: the user without mail is included.
    const ne = await list(`${q("startswith(displayName,'Team') and mail ne 'team1@contoso.test'")}&$count=true`, EVENTUAL);
    assert.equal(ne.json['@odata.count'], 6);
  });

  test('unsupported properties, operators and syntax get Graph errors, never a 500', async () => {
    const unsupported = (p: string) => `Unsupported or invalid query filter clause specified for property '${p}' of resource 'User'.`;
    assertGraphError(await list(q("jobTitle eq 'x'")), 400, 'Request_UnsupportedQuery', unsupported('jobTitle'));
    assertGraphError(await list(q("endsWith(displayName,'x')")), 400, 'Request_UnsupportedQuery', unsupported('displayName'));
    assertGraphError(
      await list(q('createdDateTime gt 2026-01-01T00:00:00Z')),
      400,
      'Request_UnsupportedQuery',
      unsupported('createdDateTime'),
    );
    assertGraphError(
      await list(q("nosuch eq 'x'")),
      400,
      'Request_BadRequest',
      "Could not find a property named 'nosuch' on type 'microsoft.graph.user'.",
    );
    assertGraphError(
      await list(q("accountEnabled eq 'yes'")),
      400,
      'Request_BadRequest',
      /incompatible types.*'Edm.Boolean' and 'Edm.String'/,
    );
    for (const bad of [
      "displayName eq 'x",
      "(displayName eq 'x'",
      "displayName eq 'x' and",
      'displayName',
      "foo(displayName,'x')",
      "displayName eq 'a\u0000'",
    ]) {
      assertGraphError(await list(q(bad)), 400, 'Request_BadRequest', /^Invalid filter clause: /);
    }
    const deep = `${'('.repeat(40)}displayName eq 'x'${')'.repeat(40)}`;
    assertGraphError(await list(q(deep)), 400, 'Request_BadRequest', /nested more than/);
    const wide = Array.from({ length: 70 }, (_, i) => `displayName eq '${i}'`).join(' or ');
    assertGraphError(await list(q(wide)), 400, 'Request_BadRequest', /more than 64 terms/);
    assertGraphError(await list(q(`displayName eq '${'x'.repeat(3000)}'`)), 400, 'Request_BadRequest', /longer than/);
  });

  test('$search needs the header; "property:words" is a tokenized prefix match, with AND / OR', async () => {
    assertGraphError(
      await list('$search="displayName:team"'),
      400,
      'Request_UnsupportedQuery',
      "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
    );
    const res = await list(`$search=${encodeURIComponent('"displayName:member"')}`, EVENTUAL);
    assert.equal(res.status, 200, res.body);
    assert.equal(res.json.value.length, 7);
    assert.deepEqual(names(await list(`$search=${encodeURIComponent('"displayName:team b"')}`, EVENTUAL)), ['Team Member B']);
    assert.deepEqual(names(await list(`$search=${encodeURIComponent('"displayName:alice" OR "mail:team6"')}`, EVENTUAL)).sort(), [
      'Alice',
      'Team Member A',
    ]);
    assertGraphError(
      await list(`$search=${encodeURIComponent('"jobTitle:x"')}`, EVENTUAL),
      400,
      'Request_BadRequest',
      /^Invalid \$search clause/,
    );
    assertGraphError(await list('$search=team', EVENTUAL), 400, 'Request_BadRequest', /^Invalid \$search clause/);
  });

  test('$orderby displayName / userPrincipalName; with $filter or on createdDateTime only as an advanced query', async () => {
    const asc = await list('$orderby=displayName&$select=displayName');
    assert.equal(asc.status, 200, asc.body);
    const all = names(asc);
    assert.deepEqual(
      all,
      [...all].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1)),
    );
    const desc = names(await list('$orderby=userPrincipalName desc&$select=displayName'));
    assert.equal(desc.length, all.length);
    const sorting = 'Sorting not supported for current query.';
    assertGraphError(await list(`${q("startswith(displayName,'Team')")}&$orderby=displayName`), 400, 'Request_UnsupportedQuery', sorting);
    assertGraphError(await list('$orderby=createdDateTime'), 400, 'Request_UnsupportedQuery', sorting);
    const ok = await list(`${q("startswith(displayName,'Team')")}&$orderby=displayName desc&$count=true`, EVENTUAL);
    assert.deepEqual(
      names(ok),
      ['G', 'F', 'E', 'D', 'C', 'B', 'A'].map((c) => `Team Member ${c}`),
    );
  });

  test('$top pages through a filtered, ordered, counted result; nextLink keeps every option', async () => {
    let url: string | undefined =
      `/v1.0/users?${q("startswith(displayName,'Team')")}&$orderby=displayName&$count=true&$top=3&$select=displayName`;
    const seen: string[] = [];
    for (let pages = 0; url && pages < 10; pages++) {
      const res = await call(h, 'GET', url, { token: reader, headers: EVENTUAL });
      assert.equal(res.status, 200, res.body);
      assert.equal(res.json['@odata.count'], 7);
      seen.push(...names(res));
      const next: string | undefined = res.json['@odata.nextLink'];
      if (next) for (const option of ['$filter=', '$orderby=', '$count=true', '$top=3', '$select=']) assert.ok(next.includes(option), next);
      url = next ? pathOf(next) : undefined;
    }
    assert.deepEqual(
      seen,
      ['A', 'B', 'C', 'D', 'E', 'F', 'G'].map((c) => `Team Member ${c}`),
    );
    // A token of one order is not a position in another.
    const first = await call(h, 'GET', '/v1.0/users?$orderby=displayName&$top=2', { token: reader });
    const token = new URL(first.json['@odata.nextLink']).searchParams.get('$skiptoken')!;
    assertGraphError(await list(`$orderby=userPrincipalName&$skiptoken=${token}`), 400, 'Directory_ExpiredPageToken');
    assertGraphError(await list(`$skiptoken=${token}`), 400, 'Directory_ExpiredPageToken');
  });

  test('$count=true without the header is ignored; /users/$count needs it and answers text/plain', async () => {
    const ignored = await list('$count=true&$top=1');
    assert.equal(ignored.status, 200);
    assert.equal(ignored.json['@odata.count'], undefined);
    assertGraphError(
      await call(h, 'GET', '/v1.0/users/$count', { token: reader }),
      400,
      'Request_BadRequest',
      '$count is not currently supported.',
    );
    const total = await call(h, 'GET', '/v1.0/users/$count', { token: reader, headers: EVENTUAL });
    assert.equal(total.status, 200, total.body);
    assert.match(String(total.headers['content-type']), /^text\/plain/);
    assert.equal(Number(total.body), await h.store.users.count(TENANT_ID));
    const filtered = await call(h, 'GET', `/v1.0/users/$count?${q("startswith(displayName,'team')")}`, {
      token: reader,
      headers: EVENTUAL,
    });
    assert.equal(filtered.body, '7');
    assertGraphError(await list('$count=maybe'), 400, 'Request_BadRequest', "'maybe' is not a valid count option.");
    // Reading the count needs the read permission, like the list.
    const noRead = delegatedToken(h, 'alice', ['User.Read']);
    assertGraphError(await call(h, 'GET', '/v1.0/users/$count', { token: noRead, headers: EVENTUAL }), 403, 'Authorization_RequestDenied');
  });
});
