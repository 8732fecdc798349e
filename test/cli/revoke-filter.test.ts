/**
 * `portcullis revoke --filter F` and `--group G` through the real CLI against a listening server:
 * the users the $filter selects (as an advanced query, so `ne` works) or the group holds (nested
 * groups included) go through the same what-if / --yes / bulk path as --user-id. The commands
 * are the ones docs/cli.md shows.
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

describe('portcullis revoke --filter and --group', () => {
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
    // The app the CLI signs in as may also read group members.
    const app = (await server.store.applications.findByAppId(TENANT_ID, APP.webApp))!;
    await server.store.applications.upsert({ ...app, applicationPermissions: [...app.applicationPermissions, 'GroupMember.Read.All'] });
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

  test('the documented --group commands: nested members, by display name; only users', async () => {
    const group = (displayName: string) => ({
      id: newGuid(),
      tenantId: TENANT_ID,
      displayName,
      description: null,
      mailNickname: 'g',
      createdAt: 0,
    });
    const incident = group('Incident 42');
    const nested = group('Incident 42 responders');
    for (const g of [incident, nested]) await server.store.groups.insert(g);
    const [red, , , gone] = team as [User, User, User, User];
    await server.store.groups.addMember(incident.id, { id: red.id, kind: 'user' }, []);
    await server.store.groups.addMember(incident.id, { id: nested.id, kind: 'group' }, []);
    await server.store.groups.addMember(nested.id, { id: other.id, kind: 'user' }, []);
    await server.store.groups.addMember(nested.id, { id: gone.id, kind: 'user' }, []);
    const before = new Map<string, number>();
    for (const u of [...team, other]) before.set(u.id, await epoch(u));

    const [whatIf, revoke] = docCommands('revoke-group');
    const listed = await cli(whatIf!, { xdg });
    assert.equal(listed.code, EXIT.OK, listed.stderr);
    const targets = [...listed.stdout.matchAll(/on target "([^"]+)"/g)].map((m) => m[1]).sort();
    assert.deepEqual(targets, [red, other, gone].map((u) => u.userPrincipalName).sort());

    const run = await cli(revoke!, { xdg });
    assert.equal(run.code, EXIT.OK, run.stderr);
    assert.equal(run.stdout.trim().split('\n').length, 3);
    for (const u of [red, other, gone]) assert.equal(await epoch(u), before.get(u.id)! + 1, u.displayName);
    for (const u of team.filter((t) => ![red.id, gone.id].includes(t.id))) assert.equal(await epoch(u), before.get(u.id));

    // By object id too; an unknown name is exit 5.
    const byId = await cli(['revoke', '--group', nested.id, '--what-if'], { xdg });
    assert.equal([...byId.stdout.matchAll(/on target/g)].length, 2, byId.stdout);
    const unknown = await cli(['revoke', '--group', 'No Such Group', '--yes'], { xdg });
    assert.equal(unknown.code, EXIT.NOT_FOUND, unknown.stderr);
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
