import type { AuditRecord, Group, GroupMember } from '../../core/model.js';
import type { GroupListQuery, GroupStore } from '../store.js';
import {
  GROUP_SQL,
  type GroupCountQuery,
  groupArgs,
  groupCountSql,
  groupListSql,
  groupUpdateArgs,
  toGroup,
  toMember,
} from '../sql/groups.js';
import { numbered, numberedAll } from '../sql/placeholders.js';
import { insertAudit } from './audit-keys.js';
import type { PgDb } from './database.js';
import { unstorableText } from './unstorable-text.js';

const SQL = numberedAll(GROUP_SQL);

/** A taken id surfaces as ConflictError (unique violation, mapped in database.ts). */
export class PgGroupStore implements GroupStore {
  constructor(private readonly db: PgDb) {}

  async insert(g: Group, audit: AuditRecord[] = []): Promise<void> {
    await this.db.tx(async (c) => {
      await c.query(SQL.insertGroup, groupArgs(g));
      for (const a of audit) await insertAudit(c, a);
    });
  }

  async findById(tenantId: string, id: string): Promise<Group | null> {
    if (unstorableText(id)) return null;
    const { rows } = await this.db.query(SQL.selectGroup, [tenantId, id]);
    return rows[0] ? toGroup(rows[0]) : null;
  }

  async list(q: GroupListQuery): Promise<Group[]> {
    if (q.displayName && unstorableText(q.displayName.value)) return [];
    const { sql, args } = groupListSql(q, { collate: ' COLLATE "C"', chr: 'chr' });
    const { rows } = await this.db.query(numbered(sql), args);
    return rows.map(toGroup);
  }

  async count(q: GroupCountQuery): Promise<number> {
    if (q.displayName && unstorableText(q.displayName.value)) return 0;
    const { sql, args } = groupCountSql(q, { collate: ' COLLATE "C"', chr: 'chr' });
    const { rows } = await this.db.query(numbered(sql), args);
    return Number(rows[0]?.n ?? 0);
  }

  async memberCount(groupId: string, transitive: boolean): Promise<number> {
    const { rows } = transitive
      ? await this.db.query(SQL.transitiveMemberCount, [groupId, groupId])
      : await this.db.query(SQL.memberCount, [groupId]);
    return Number(rows[0]?.n ?? 0);
  }

  async update(g: Group, audit: AuditRecord[]): Promise<boolean> {
    if (unstorableText(g.id)) return false;
    return this.db.tx(async (c) => {
      const { rowCount } = await c.query(SQL.updateGroup, groupUpdateArgs(g));
      if (rowCount !== 1) return false;
      for (const a of audit) await insertAudit(c, a);
      return true;
    });
  }

  async delete(tenantId: string, id: string, audit: AuditRecord[]): Promise<boolean> {
    return this.db.tx(async (c) => {
      const { rows } = await c.query(`${SQL.selectGroup} FOR UPDATE`, [tenantId, id]);
      if (rows.length === 0) return false;
      await c.query(SQL.deleteAsMember, [id]);
      await c.query(SQL.deleteGroup, [tenantId, id]);
      for (const a of audit) await insertAudit(c, a);
      return true;
    });
  }

  async addMember(groupId: string, member: GroupMember, audit: AuditRecord[]): Promise<boolean> {
    return this.db.tx(async (c) => {
      const { rowCount } = await c.query(SQL.insertMember, [groupId, member.id, member.kind]);
      if (rowCount !== 1) return false;
      for (const a of audit) await insertAudit(c, a);
      return true;
    });
  }

  async removeMember(groupId: string, memberId: string, audit: AuditRecord[]): Promise<boolean> {
    return this.db.tx(async (c) => {
      const { rowCount } = await c.query(SQL.deleteMember, [groupId, memberId]);
      if (rowCount !== 1) return false;
      for (const a of audit) await insertAudit(c, a);
      return true;
    });
  }

  async members(groupId: string, page: { afterId?: string; limit: number }): Promise<GroupMember[]> {
    const { rows } = await this.db.query(SQL.members, [groupId, page.afterId ?? '', page.limit]);
    return rows.map(toMember);
  }

  async transitiveMembers(groupId: string, page: { afterId?: string; limit: number }): Promise<GroupMember[]> {
    const { rows } = await this.db.query(SQL.transitiveMembers, [groupId, groupId, page.afterId ?? '', page.limit]);
    return rows.map(toMember);
  }
}
