import type { AuditRecord, Group, GroupMember } from '../../core/model.js';
import { ConflictError, type GroupListQuery, type GroupStore } from '../store.js';
import {
  GROUP_SQL as SQL,
  type GroupCountQuery,
  groupArgs,
  groupCountSql,
  groupListSql,
  groupUpdateArgs,
  toGroup,
  toMember,
} from '../sql/groups.js';
import { insertAudit } from './audit-keys.js';
import type { SqliteDb } from './database.js';

type Row = Record<string, unknown>;

export class SqliteGroupStore implements GroupStore {
  constructor(private readonly s: SqliteDb) {}

  async insert(g: Group, audit: AuditRecord[] = []): Promise<void> {
    try {
      this.s.tx(() => {
        this.s.stmt(SQL.insertGroup).run(...groupArgs(g));
        for (const a of audit) insertAudit(this.s, a);
      });
    } catch (e) {
      if (e instanceof Error && String((e as { code?: unknown }).code).startsWith('SQLITE_CONSTRAINT')) throw new ConflictError('id');
      throw e;
    }
  }

  async findById(tenantId: string, id: string): Promise<Group | null> {
    const r = this.s.stmt(SQL.selectGroup).get(tenantId, id) as Row | undefined;
    return r ? toGroup(r) : null;
  }

  async list(q: GroupListQuery): Promise<Group[]> {
    const { sql, args } = groupListSql(q, { collate: '', chr: 'char' });
    return (this.s.stmt(sql).all(...args) as Row[]).map(toGroup);
  }

  async count(q: GroupCountQuery): Promise<number> {
    const { sql, args } = groupCountSql(q, { collate: '', chr: 'char' });
    return Number((this.s.stmt(sql).get(...args) as Row).n);
  }

  async memberCount(groupId: string, transitive: boolean): Promise<number> {
    const row = (
      transitive ? this.s.stmt(SQL.transitiveMemberCount).get(groupId, groupId) : this.s.stmt(SQL.memberCount).get(groupId)
    ) as Row;
    return Number(row.n);
  }

  async update(g: Group, audit: AuditRecord[]): Promise<boolean> {
    return this.s.tx(() => {
      if (this.s.stmt(SQL.updateGroup).run(...groupUpdateArgs(g)).changes === 0) return false;
      for (const a of audit) insertAudit(this.s, a);
      return true;
    });
  }

  async delete(tenantId: string, id: string, audit: AuditRecord[]): Promise<boolean> {
    return this.s.tx(() => {
      if (!this.s.stmt(SQL.selectGroup).get(tenantId, id)) return false;
      this.s.stmt(SQL.deleteAsMember).run(id);
      this.s.stmt(SQL.deleteGroup).run(tenantId, id);
      for (const a of audit) insertAudit(this.s, a);
      return true;
    });
  }

  async addMember(groupId: string, member: GroupMember, audit: AuditRecord[]): Promise<boolean> {
    return this.s.tx(() => {
      if (this.s.stmt(SQL.insertMember).run(groupId, member.id, member.kind).changes === 0) return false;
      for (const a of audit) insertAudit(this.s, a);
      return true;
    });
  }

  async removeMember(groupId: string, memberId: string, audit: AuditRecord[]): Promise<boolean> {
    return this.s.tx(() => {
      if (this.s.stmt(SQL.deleteMember).run(groupId, memberId).changes === 0) return false;
      for (const a of audit) insertAudit(this.s, a);
      return true;
    });
  }

  async members(groupId: string, page: { afterId?: string; limit: number }): Promise<GroupMember[]> {
    return (this.s.stmt(SQL.members).all(groupId, page.afterId ?? '', page.limit) as Row[]).map(toMember);
  }

  async transitiveMembers(groupId: string, page: { afterId?: string; limit: number }): Promise<GroupMember[]> {
    return (this.s.stmt(SQL.transitiveMembers).all(groupId, groupId, page.afterId ?? '', page.limit) as Row[]).map(toMember);
  }
}
