/**
 * User -> Graph `microsoft.graph.user` JSON (https://learn.microsoft.com/graph/api/resources/user; Graph user resource, v1.0). The
 * default property set is Graph's; the rest is "returned only on $select", as in Graph.
 */
import { isoOrNull } from '../core/audit.js';
import type { User } from '../core/model.js';
import type { SignInActivity } from '../core/sign-in.js';
import { SIGN_IN_ACTIVITY, signInActivityJson } from './sign-in-activity.js';

export const USER_TYPE = 'microsoft.graph.user';

type Getter = (u: User) => unknown;

/** Graph's default user properties, in Graph's order. Profile fields Portcullis does not keep are null. */
const DEFAULT_PROPERTIES: Record<string, Getter> = {
  businessPhones: () => [],
  displayName: (u) => u.displayName,
  givenName: () => null,
  jobTitle: () => null,
  mail: (u) => u.mail,
  mobilePhone: () => null,
  officeLocation: () => null,
  preferredLanguage: () => null,
  surname: () => null,
  userPrincipalName: (u) => u.userPrincipalName,
  id: (u) => u.id,
};

/** Returned only when named in $select. */
const SELECT_ONLY_PROPERTIES: Record<string, Getter> = {
  accountEnabled: (u) => u.accountEnabled,
  createdDateTime: (u) => isoOrNull(u.createdAt),
  // Not stored: derived from the userPrincipalName's alias (docs/graph-api.md).
  mailNickname: (u) => u.userPrincipalName.slice(0, u.userPrincipalName.lastIndexOf('@')),
  signInSessionsValidFromDateTime: (u) => isoOrNull(u.signInSessionsValidFrom),
  refreshTokensValidFromDateTime: (u) => isoOrNull(u.refreshTokensValidFrom),
  // Read from the sign-in log's table, see UserView.activity.
  [SIGN_IN_ACTIVITY]: () => null,
};

const GETTERS: Record<string, Getter> = { ...DEFAULT_PROPERTIES, ...SELECT_ONLY_PROPERTIES };

/** Every property a client may $select. */
export const USER_PROPERTIES: readonly string[] = Object.keys(GETTERS);

/**
 * What User.ReadBasic.All lets a caller read of other users (Graph permissions reference);
 * other selected properties come back null for such a caller.
 */
const BASIC_PROPERTIES: ReadonlySet<string> = new Set([
  'businessPhones',
  'displayName',
  'givenName',
  'mail',
  'surname',
  'userPrincipalName',
  'id',
]);

export interface UserView {
  /** $select result, or null for the default set. */
  select: readonly string[] | null;
  /** The caller may read only the basic profile of this user. */
  basicOnly: boolean;
  /** Users' signInActivity, read when $select names it (graph/sign-in-activity.ts). */
  activity?: ReadonlyMap<string, SignInActivity> | undefined;
}

export function userJson(user: User, view: UserView): Record<string, unknown> {
  const names = view.select ?? Object.keys(DEFAULT_PROPERTIES);
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const get = GETTERS[name];
    if (!get) continue;
    if (name === SIGN_IN_ACTIVITY) out[name] = signInActivityJson(view.activity?.get(user.id));
    else out[name] = view.basicOnly && !BASIC_PROPERTIES.has(name) ? null : get(user);
  }
  return out;
}

/** @odata.context of a user entity or collection, e.g. `…/v1.0/$metadata#users(displayName,id)/$entity`. */
export function usersContext(root: string, select: readonly string[] | null, entity: boolean): string {
  const projection = select ? `(${select.join(',')})` : '';
  return `${root}/$metadata#users${projection}${entity ? '/$entity' : ''}`;
}
