/**
 * Groups in the seed file (docs/seed-file.md), on SQLite and on the real PostgreSQL server:
 * created with their members and nested groups, a restart applies only what the file changed,
 * runtime changes stay, a group deleted at runtime is not recreated, an existing group is
 * adopted; and the schema's rules.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { seedReportLines } from '../../src/cli/seed-report.js';
import { ManualClock } from '../../src/clock.js';
import { createGroup, deleteGroup, removeGroupMember, updateGroup } from '../../src/core/group-management.js';
import { SeedError, applySeed, parseSeed, type SeedResult } from '../../src/core/seed.js';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import type { Store } from '../../src/store/store.js';
import { PG_TEST_URL, freshSchema, requirePostgres } from '../helpers/postgres.js';

const TENANT = { id: '2d4c6b8a-1e3f-4a5b-9c7d-0e1f2a3b4c5d', domain: 'groups-seed.test', displayName: 'Groups' };
const RUNTIME = { actor: { user: { id: 'admin', userPrincipalName: 'admin@groups-seed.test', displayName: 'Admin' } }, correlationId: 'c' };
const user = (alias: string) => ({ userPrincipalName: `${alias}@groups-seed.test`, displayName: alias, password: `Seeded-${alias}-1` });

function seedJson(groups: unknown[]): unknown {
  return { tenant: TENANT, users: [user('alice'), user('bob'), user('carol')], groups };
}

const INCIDENT = {
  displayName: 'Incident Team',
  members: ['Alice@groups-seed.test', 'bob@groups-seed.test'],
  memberGroups: ['on-call'],
};
const ON_CALL = { displayName: 'On-call', description: 'pager', members: ['carol@groups-seed.test'] };

const counts = (r: SeedResult) => [r.created, r.updated, r.unchanged, r.skipped, r.adopted];
const groupOutcomes = (r: SeedResult) =>
  Object.fromEntries(r.entries.filter((e) => e.kind === 'group').map((e) => [e.name, [e.outcome, ...e.details]]));

function scenario(name: string, open: () => Promise<{ store: Store; close: () => Promise<void> }>): void {
  describe(`seed groups: ${name}`, () => {
    let store: Store;
    let close: () => Promise<void>;
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    before(async () => {
      ({ store, close } = await open());
    });
    after(() => close());

    const deps = () => ({ store, clock, tenant: { ...TENANT, createdAt: 0 } });
    const byName = async (displayName: string) =>
      (await store.groups.list({ tenantId: TENANT.id, displayName: { op: 'eq', value: displayName }, limit: 2 }))[0] ?? null;
    const upns = async (groupId: string, transitive = false) => {
      const members = transitive
        ? await store.groups.transitiveMembers(groupId, { limit: 100 })
        : await store.groups.members(groupId, { limit: 100 });
      const users = await store.users.findByIds(
        TENANT.id,
        members.filter((m) => m.kind === 'user').map((m) => m.id),
      );
      return [...users.map((u) => u.userPrincipalName), ...members.filter((m) => m.kind === 'group').map((m) => `group:${m.id}`)].sort();
    };
    const auditCount = async () => (await store.audit.list({ tenantId: TENANT.id, limit: 1000 })).length;

    it('creates groups with members and nested groups; an unchanged file writes nothing', async () => {
      const first = await applySeed(store, parseSeed(seedJson([INCIDENT, ON_CALL])), clock);
      assert.deepEqual(counts(first), [6, 0, 0, 0, 0], 'tenant, three users, two groups');
      assert.deepEqual(groupOutcomes(first), { 'Incident Team': ['created'], 'On-call': ['created'] });
      const incident = await byName('Incident Team');
      const onCall = await byName('On-call');
      assert.ok(incident && onCall);
      assert.equal(onCall.description, 'pager');
      assert.equal(onCall.mailNickname, 'On-call', 'derived from displayName');
      assert.equal(incident.mailNickname, 'IncidentTeam');
      assert.deepEqual(await upns(incident.id), ['alice@groups-seed.test', 'bob@groups-seed.test', `group:${onCall.id}`].sort());
      assert.deepEqual(
        await upns(incident.id, true),
        ['alice@groups-seed.test', 'bob@groups-seed.test', 'carol@groups-seed.test', `group:${onCall.id}`].sort(),
      );
      const [added] = await store.audit.list({ tenantId: TENANT.id, activityDisplayName: 'Add group', limit: 1 });
      assert.equal(added?.initiatedBy.app?.displayName, 'Portcullis seed');
      assert.ok(seedReportLines('seed.json', first).some((l) => l.startsWith('  seed groups:') && l.includes('2 created')));

      const audits = await auditCount();
      const again = await applySeed(store, parseSeed(seedJson([INCIDENT, ON_CALL])), clock);
      assert.deepEqual(counts(again), [0, 0, 6, 0, 0]);
      assert.equal(await auditCount(), audits, 'nothing written');
    });

    it('keeps runtime changes until the file changes them; a changed property is applied alone, members become the file’s', async () => {
      const incident = (await byName('Incident Team'))!;
      const onCall = (await byName('On-call'))!;
      await updateGroup(deps(), onCall, { displayName: 'Pager duty' }, RUNTIME);
      const bob = (await store.users.findByUserPrincipalName(TENANT.id, 'bob@groups-seed.test'))!;
      await removeGroupMember(deps(), incident, { id: bob.id, kind: 'user' }, RUNTIME);

      const same = await applySeed(store, parseSeed(seedJson([INCIDENT, ON_CALL])), clock);
      assert.deepEqual(groupOutcomes(same), { 'Incident Team': ['unchanged'], 'On-call': ['unchanged'] });
      assert.equal((await store.groups.findById(TENANT.id, onCall.id))?.displayName, 'Pager duty', 'runtime rename kept');
      assert.ok(!(await upns(incident.id)).includes('bob@groups-seed.test'), 'runtime removal kept');

      const changed = { ...INCIDENT, description: 'Responders', members: ['carol@groups-seed.test', 'alice@groups-seed.test'] };
      const applied = await applySeed(store, parseSeed(seedJson([changed, ON_CALL])), clock);
      assert.deepEqual(groupOutcomes(applied), { 'Incident Team': ['updated', 'description', 'members'], 'On-call': ['unchanged'] });
      assert.equal((await store.groups.findById(TENANT.id, incident.id))?.description, 'Responders');
      assert.deepEqual(await upns(incident.id), ['alice@groups-seed.test', 'carol@groups-seed.test', `group:${onCall.id}`].sort());
      assert.equal((await store.groups.findById(TENANT.id, onCall.id))?.displayName, 'Pager duty', 'the file did not change it');
      const updates = await store.audit.list({ tenantId: TENANT.id, activityDisplayName: 'Update group', limit: 10 });
      const bySeed = updates.filter((a) => a.initiatedBy.app?.displayName === 'Portcullis seed');
      assert.deepEqual(
        bySeed.map((a) => a.targetResources[0]?.modifiedProperties.map((p) => p.displayName)),
        [['Description']],
      );

      // Only the order of members changed: nothing to apply.
      const reordered = { ...changed, members: [...changed.members].reverse() };
      assert.deepEqual(counts(await applySeed(store, parseSeed(seedJson([reordered, ON_CALL])), clock)), [0, 0, 6, 0, 0]);
    });

    it('does not recreate a group deleted at runtime; adopts an existing group; warns of a member that does not exist', async () => {
      const onCall = (await store.groups.list({ tenantId: TENANT.id, displayName: { op: 'eq', value: 'Pager duty' }, limit: 1 }))[0]!;
      assert.equal(await deleteGroup(deps(), onCall, RUNTIME), true);
      await createGroup(deps(), { displayName: 'Adopt Me', mailNickname: 'adopt', description: null }, RUNTIME);
      const changed = { ...INCIDENT, description: 'Responders', members: ['carol@groups-seed.test', 'alice@groups-seed.test'] };
      const adopt = { displayName: 'adopt me', mailNickname: 'adopt', description: 'from the file', members: ['nobody@groups-seed.test'] };
      const result = await applySeed(store, parseSeed(seedJson([changed, ON_CALL, adopt])), clock);
      assert.deepEqual(groupOutcomes(result), {
        'Incident Team': ['unchanged'],
        'On-call': ['skipped', 'deleted at runtime'],
        'adopt me': ['adopted', 'displayName', 'description'],
      });
      assert.equal(await byName('On-call'), null, 'not recreated');
      assert.equal((await byName('Adopt Me'))?.description, null, 'adopted as it is');
      assert.ok(seedReportLines('seed.json', result).some((l) => l.includes('On-call: deleted at runtime, not recreated')));

      // A later change of the adopted entry is applied; a member that does not exist is a warning.
      const later = await applySeed(
        store,
        parseSeed(seedJson([changed, ON_CALL, { ...adopt, members: ['nobody@groups-seed.test', 'bob@groups-seed.test'] }])),
        clock,
      );
      assert.deepEqual(groupOutcomes(later)['adopt me'], ['updated', 'members']);
      assert.deepEqual(await upns((await byName('Adopt Me'))!.id), ['bob@groups-seed.test']);
      assert.ok(later.warnings.some((w) => w.includes("member 'nobody@groups-seed.test' does not exist")));
    });
  });
}

scenario('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-seed-groups-'));
  const store = openSqliteStore(join(dir, 'portcullis.db'));
  return {
    store,
    close: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

if (await requirePostgres('seed groups on PostgreSQL')) {
  scenario('PostgreSQL', async () => {
    const schema = await freshSchema();
    const store = await openPostgresStore({ url: PG_TEST_URL, schema: schema.schema });
    return {
      store,
      close: async () => {
        await store.close();
        await schema.drop();
      },
    };
  });
}

describe('seed groups: the schema', () => {
  const problem = (groups: unknown[]): string | null => {
    try {
      parseSeed(seedJson(groups));
      return null;
    } catch (e) {
      if (e instanceof SeedError) return e.message;
      throw e;
    }
  };

  it('refuses duplicate names, unknown or self member groups, members outside the tenant, bad mailNicknames', () => {
    assert.match(problem([{ displayName: 'A' }, { displayName: ' a ' }]) ?? '', /^groups\[1\]\.displayName: duplicate displayName/);
    assert.match(
      problem([{ displayName: 'A', memberGroups: ['B'] }]) ?? '',
      /^groups\[0\]\.memberGroups\[0\]: must be the displayName of another group/,
    );
    assert.match(problem([{ displayName: 'A', memberGroups: ['a'] }]) ?? '', /a group cannot be a member of itself/);
    assert.match(
      problem([{ displayName: 'A', members: ['x@fabrikam.test'] }]) ?? '',
      /^groups\[0\]\.members\[0\]: must be the userPrincipalName/,
    );
    assert.match(problem([{ displayName: 'A', mailNickname: 'has space' }]) ?? '', /^groups\[0\]\.mailNickname:/);
    assert.match(problem([{ displayName: 'A', owners: [] }]) ?? '', /^groups\[0\]\.owners: unknown property/);
    assert.equal(
      problem([
        { displayName: 'A', memberGroups: ['b'] },
        { displayName: 'B', memberGroups: ['A'] },
      ]),
      null,
      'a cycle is allowed',
    );
  });

  it('normalises: mailNickname derived from displayName, names lower-cased, and a normalised seed parses to itself', () => {
    const seed = parseSeed(
      seedJson([{ displayName: ' Ops (EU) ', members: ['Bob@groups-seed.test'], memberGroups: [' Other '] }, { displayName: 'other' }]),
    );
    assert.deepEqual(seed.groups[0], {
      displayName: 'Ops (EU)',
      description: null,
      mailNickname: 'OpsEU',
      members: ['bob@groups-seed.test'],
      memberGroups: ['other'],
    });
    assert.equal(seed.groups[1]?.mailNickname, 'other');
    assert.deepEqual(parseSeed(seed), seed);
  });
});
