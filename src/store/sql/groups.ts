import type { Group, GroupMember, GroupMemberKind } from '../../core/model.js';
import type { GroupListQuery } from '../store.js';

/**
 * SQL of groups and memberships, alike on both dialects (`?` placeholders; PostgreSQL numbers
 * them). Transitive membership is one recursive query: UNION (not UNION ALL) keeps each member
 * once, which also ends the recursion when groups contain each other.
 */
const CLOSURE = `WITH RECURSIVE closure (member_id, member_kind) AS (
      SELECT member_id, member_kind FROM group_members WHERE group_id = ?
      UNION
      SELECT m.member_id, m.member_kind FROM group_members m JOIN closure c ON c.member_kind = 'group' AND m.group_id = c.member_id
    )`;

export const GROUP_SQL = {
  insertGroup: 'INSERT INTO groups (id, tenant_id, display_name, description, mail_nickname, created_at) VALUES (?, ?, ?, ?, ?, ?)',
  selectGroup: 'SELECT * FROM groups WHERE tenant_id = ? AND id = ?',
  updateGroup: 'UPDATE groups SET display_name = ?, description = ?, mail_nickname = ? WHERE tenant_id = ? AND id = ?',
  /** Its membership in other groups, then the group (its own member rows go by ON DELETE CASCADE). */
  deleteAsMember: 'DELETE FROM group_members WHERE member_id = ?',
  deleteGroup: 'DELETE FROM groups WHERE tenant_id = ? AND id = ?',
  insertMember:
    'INSERT INTO group_members (group_id, member_id, member_kind) VALUES (?, ?, ?) ON CONFLICT (group_id, member_id) DO NOTHING',
  deleteMember: 'DELETE FROM group_members WHERE group_id = ? AND member_id = ?',
  members: 'SELECT member_id, member_kind FROM group_members WHERE group_id = ? AND member_id > ? ORDER BY member_id LIMIT ?',
  memberCount: 'SELECT count(*) AS n FROM group_members WHERE group_id = ?',
  transitiveMembers: `${CLOSURE} SELECT member_id, member_kind FROM closure WHERE member_id <> ? AND member_id > ? ORDER BY member_id LIMIT ?`,
  transitiveMemberCount: `${CLOSURE} SELECT count(*) AS n FROM closure WHERE member_id <> ?`,
} as const;

export const groupArgs = (g: Group): unknown[] => [g.id, g.tenantId, g.displayName, g.description, g.mailNickname, g.createdAt];

export const groupUpdateArgs = (g: Group): unknown[] => [g.displayName, g.description, g.mailNickname, g.tenantId, g.id];

export function toGroup(r: Record<string, unknown>): Group {
  return {
    id: r.id as string,
    tenantId: r.tenant_id as string,
    displayName: r.display_name as string,
    description: (r.description as string | null) ?? null,
    mailNickname: r.mail_nickname as string,
    createdAt: Number(r.created_at),
  };
}

export const toMember = (r: Record<string, unknown>): GroupMember => ({
  id: r.member_id as string,
  kind: r.member_kind as GroupMemberKind,
});

/** The group filter of a list or count: the tenant and, optionally, its displayName. */
export type GroupCountQuery = Pick<GroupListQuery, 'tenantId' | 'displayName'>;

/**
 * The list query: displayName compared through lower() on both sides (the index of migration 121
 * covers it), prefixes as a range as for users (store/sql/user-query.ts).
 */
function groupWhere(q: GroupCountQuery, d: { collate: string; chr: 'char' | 'chr' }): { where: string[]; args: unknown[] } {
  const where = ['tenant_id = ?'];
  const args: unknown[] = [q.tenantId];
  const name = `(lower(display_name)${d.collate})`;
  const param = `(lower(?)${d.collate})`;
  if (q.displayName?.op === 'eq') {
    where.push(`${name} = ${param}`);
    args.push(q.displayName.value);
  } else if (q.displayName?.op === 'startsWith') {
    where.push(`${name} >= ${param} AND ${name} < (${param} || ${d.chr}(1114111))`);
    args.push(q.displayName.value, q.displayName.value);
  }
  return { where, args };
}

export function groupListSql(q: GroupListQuery, d: { collate: string; chr: 'char' | 'chr' }): { sql: string; args: unknown[] } {
  const { where, args } = groupWhere(q, d);
  if (q.afterId !== undefined) {
    where.push('id > ?');
    args.push(q.afterId);
  }
  args.push(q.limit);
  return { sql: `SELECT * FROM groups WHERE ${where.join(' AND ')} ORDER BY id LIMIT ?`, args };
}

export function groupCountSql(q: GroupCountQuery, d: { collate: string; chr: 'char' | 'chr' }): { sql: string; args: unknown[] } {
  const { where, args } = groupWhere(q, d);
  return { sql: `SELECT count(*) AS n FROM groups WHERE ${where.join(' AND ')}`, args };
}
