/**
 * The group tables of docs/authorization.md against src/core/authorization/group-actions.ts:
 * the document is the specification, so a change to one without the other fails here.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { GROUP_ACTIONS, GROUP_ROLE_PERMISSIONS, mayPerformOnGroups, type GroupAction } from '../../src/core/authorization/group-actions.js';
import { ROLE_DISPLAY_NAMES } from '../../src/core/roles.js';
import { docTable as docTableIn } from '../helpers/doc-table.js';

const DOC = readFileSync(new URL('../../docs/authorization.md', import.meta.url), 'utf8');

const docTable = (name: string): string[][] => docTableIn(DOC, name);

const ticked = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
const sorted = (a: readonly string[]) => [...a].sort();

test('docs/authorization.md group-actions table = GROUP_ACTIONS', () => {
  const [, ...rows] = docTable('group-actions');
  assert.deepEqual(sorted(rows.map((r) => ticked(r[0]!)[0]!)), sorted(Object.keys(GROUP_ACTIONS)));
  for (const [name, , permission, delegated, application] of rows) {
    const rule = GROUP_ACTIONS[ticked(name!)[0] as GroupAction];
    assert.equal(permission === 'none' ? null : ticked(permission!)[0], rule.permission, name);
    assert.deepEqual(sorted(ticked(delegated!)), sorted(rule.delegated), `${name} delegated`);
    assert.deepEqual(sorted(ticked(application!)), sorted(rule.application), `${name} application`);
  }
});

test('docs/authorization.md group-role-permissions table = GROUP_ROLE_PERMISSIONS, and the decision follows both', () => {
  const [header, ...rows] = docTable('group-role-permissions');
  const permissions = header!.slice(1);
  const roleId = (name: string) => Object.entries(ROLE_DISPLAY_NAMES).find(([, n]) => n === name)?.[0];
  assert.deepEqual(sorted(rows.map((r) => roleId(r[0]!)!)), sorted(Object.keys(GROUP_ROLE_PERMISSIONS)));
  for (const [name, ...cells] of rows) {
    const held = permissions.filter((_, i) => cells[i]!.startsWith('✓'));
    assert.deepEqual(sorted(GROUP_ROLE_PERMISSIONS[roleId(name!)!]!), sorted(held), name);
  }
  // Every role Portcullis knows × every action, with every delegated scope: the role decides.
  const allScopes = new Set(Object.values(GROUP_ACTIONS).flatMap((r) => r.delegated.map((s) => s.toLowerCase())));
  for (const role of Object.keys(ROLE_DISPLAY_NAMES)) {
    for (const [action, rule] of Object.entries(GROUP_ACTIONS) as [GroupAction, (typeof GROUP_ACTIONS)[GroupAction]][]) {
      const expected = rule.permission === null || (GROUP_ROLE_PERMISSIONS[role]?.includes(rule.permission) ?? false);
      assert.equal(mayPerformOnGroups({ kind: 'user', id: 'u', roles: [role], scopes: allScopes }, action), expected, `${role} ${action}`);
    }
  }
});
