/**
 * Group -> Graph `microsoft.graph.group` JSON (https://learn.microsoft.com/graph/api/resources/group),
 * whole or as `$select` names it, and the `@odata.context` of each.
 */
import { isoOrNull } from '../core/audit.js';
import type { Group } from '../core/model.js';
import { parseSelect } from './odata.js';

export const GROUP_TYPE = 'microsoft.graph.group';

/** The group properties Graph returns by default that Portcullis has; the rest of Graph's are null or constant. */
const GETTERS: Record<string, (g: Group) => unknown> = {
  id: (g) => g.id,
  deletedDateTime: () => null,
  createdDateTime: (g) => isoOrNull(g.createdAt),
  description: (g) => g.description,
  displayName: (g) => g.displayName,
  groupTypes: () => [],
  isAssignableToRole: () => null,
  mail: () => null,
  mailEnabled: () => false,
  mailNickname: (g) => g.mailNickname,
  securityEnabled: () => true,
  visibility: () => null,
};

/** Every property a client may $select on a group. */
export const GROUP_PROPERTIES: readonly string[] = Object.keys(GETTERS);

/** `select`: the names parseGroupSelect returned, or null for every property. */
export function groupJson(g: Group, select: readonly string[] | null = null): Record<string, unknown> {
  const names = select ?? GROUP_PROPERTIES;
  return Object.fromEntries(names.filter((n) => n in GETTERS).map((n) => [n, GETTERS[n]!(g)]));
}

export const parseGroupSelect = (raw: string | undefined): string[] | null => parseSelect(raw, GROUP_PROPERTIES, GROUP_TYPE);

/** `…/$metadata#groups`, `#groups(id,displayName)`, with `/$entity` for a single group. */
export function groupsContext(root: string, select: readonly string[] | null, entity: boolean): string {
  return `${root}/$metadata#groups${select ? `(${select.join(',')})` : ''}${entity ? '/$entity' : ''}`;
}
