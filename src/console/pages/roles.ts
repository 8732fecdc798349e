/** Directory roles as Graph lists them (GET …/memberOf/microsoft.graph.directoryRole). */
import { esc } from '../../web/html.js';
import { graph } from '../graph.js';
import type { ConsoleRuntime } from '../runtime.js';
import type { ConsoleSession } from '../session-store.js';
import type { Collection } from './session-rows.js';

export interface DirectoryRole {
  roleTemplateId: string;
  displayName: string;
}

export async function rolesOf(rt: ConsoleRuntime, session: ConsoleSession, userPath: string): Promise<DirectoryRole[]> {
  return (await graph<Collection<DirectoryRole>>(rt, session, 'GET', `${userPath}/memberOf/microsoft.graph.directoryRole`)).value;
}

export const roleTags = (roles: readonly DirectoryRole[]): string =>
  roles.length === 0 ? '<span class="muted">none</span>' : roles.map((r) => `<span class="tag">${esc(r.displayName)}</span>`).join('');
