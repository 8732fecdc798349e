/**
 * `portcullis revoke --filter F` through the real CLI against a listening server: the users the
 * $filter selects (as an advanced query, so `ne` works) go through the same what-if / --yes /
 * bulk path as --user-id. The commands are the ones docs/cli.md shows.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { EXIT } from '../../src/cli/cli-error.js';
import type { User } from '../../src/core/model.js';
import { newGuid } from '../../src/crypto/random.js';
import { APP, DOMAIN, TENANT_ID, WEB_SECRET } from '../helpers/harness.js';
import { cli, startServer, tempConfigHome, type Server } from './cli-helpers.js';

/** The argument lists of the `portcullis …` lines of the doc block marked `name` (double quotes only). */
function docCommands(name: string): string[][] {
  const doc = readFileSync(new URL('../../docs/cli.md', import.meta.url), 'utf8');
  const block = doc.split(`<!-- example: ${name} -->`)[1]?.split('```')[1];
  assert.ok(block, `docs/cli.md has no example '${name}'`);
  return block
    .split('\n')
    .filter((l) => l.startsWith('portcullis '))
    .map((l) => [...l.slice('portcullis '.length).matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!));
}

describe('portcullis revoke --filter', () => {
  let server: Server;
  let xdg: string;
  const team: User[] = [];
  let other: User;

  before(async () => {
    server = await startServer();
    xdg = tempConfigHome();
    const add = async (name: string, enabled = true): Promise<User> => {
      const u: User = {
        id: newGuid(),
        tenantId: TENANT_ID,
        userPrincipalName: `${name.replace(/\s/g, '').toLowerCase()}@${DOMAIN}`,
        displayName: name,
        mail: null,
        passwordHash: null,
        accountEnabled: enabled,
        revocationEpoch: 0,
        signInSessionsValidFrom: null,
        refreshTokensValidFrom: null,
        roleTemplateIds: [],
        createdAt: Date.now(),
      };
      await server.store.users.insert(u);
      return u;
    };
    for (const n of ['Team Red', 'Team Blue', 'Team Green']) team.push(await add(n));
    team.push(await add('Team Gone', false));
    other = await add('Outsider');
    const login = await cli(
      ['login', '--server', server.url, '--tenant', TENANT_ID, '--client-id', APP.webApp, '--client-secret', WEB_SECRET],
      {
        xdg,
      },
    );
    assert.equal(login.code, 0, login.stderr);
  });
  after(async () => {
    await server.close();
    rmSync(xdg, { recursive: true, force: true });
  });

  const epoch = async (u: User) => (await server.store.users.findById(TENANT_ID, u.id))!.revocationEpoch;

  test('the documented commands: --what-if lists the matches; --yes revokes exactly them', async () => {
    const [whatIf, revoke] = docCommands('revoke-filter');
    const listed = await cli(whatIf!, { xdg });
    assert.equal(listed.code, EXIT.OK, listed.stderr);
    for (const u of team) assert.ok(listed.stdout.includes(`on target "${u.userPrincipalName}"`), listed.stdout);
    assert.ok(!listed.stdout.includes(other.userPrincipalName));
    for (const u of team) assert.equal(await epoch(u), 0, 'what-if revoked nothing');

    // Several users from a non-terminal: refused without --yes, as for --user-id.
    const refused = await cli(
      whatIf!.filter((a) => a !== '--what-if'),
      { xdg },
    );
    assert.equal(refused.code, EXIT.USAGE);
    assert.match(refused.stderr, /refusing to act on 4 users without --yes/);

    const run = await cli(revoke!, { xdg });
    assert.equal(run.code, EXIT.OK, run.stderr);
    const results = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const enabled = team.filter((u) => u.accountEnabled);
    assert.deepEqual(results.map((r) => r.user).sort(), enabled.map((u) => u.userPrincipalName).sort());
    assert.ok(results.every((r) => r.result === 'done'));
    for (const u of enabled) assert.equal(await epoch(u), 1);
    assert.equal(await epoch(team.find((u) => !u.accountEnabled)!), 0, '`ne` excluded the disabled user');
    assert.equal(await epoch(other), 0);
  });

  test("no match revokes nothing; a bad filter is Graph's error; --filter with --user-id is a usage error", async () => {
    const none = await cli(['revoke', '--filter', "startswith(displayName,'Nobody')", '--yes'], { xdg });
    assert.equal(none.code, EXIT.OK, none.stderr);
    assert.match(none.stderr, /No user matches the filter/);
    const bad = await cli(['revoke', '--filter', "jobTitle eq 'x'", '--yes'], { xdg });
    assert.equal(bad.code, EXIT.FAILURE);
    assert.match(bad.stderr, /Unsupported or invalid query filter clause specified for property 'jobTitle'/);
    const both = await cli(['revoke', '--filter', "displayName eq 'x'", '--user-id', 'a@b.c'], { xdg });
    assert.equal(both.code, EXIT.USAGE);
  });
});
