/**
 * A small typed client for a Graph-compatible API (Microsoft Graph itself or Portcullis): users,
 * /me, the two revoke actions, $batch, the directory audit log and the sign-in log. Paths and bodies are Graph's
 * documented ones, so the same code runs against graph.microsoft.com.
 */
import { GraphError } from './graph-error.js';
import { GraphTransport, type GraphClientOptions } from './transport.js';
import type {
  BatchRequest,
  BatchResponse,
  DirectoryAudit,
  DirectoryObject,
  Group,
  GraphVersion,
  ListOptions,
  NewUser,
  Page,
  RevocationReceipt,
  SignInSession,
  SignInSessionCut,
  SignInSessionRevocation,
  SignIn,
  User,
  UserChanges,
} from './types.js';

/** Graph's per-batch limit (https://learn.microsoft.com/graph/json-batching). */
export const MAX_BATCH_SIZE = 20;

const userPath = (idOrUpn: string) => `/users/${encodeURIComponent(idOrUpn)}`;
const requestIdHeader = (id: string | undefined) => (id ? { headers: { 'client-request-id': id } } : {});

function listQuery(o: ListOptions & { select?: readonly string[] }): Record<string, string | number | undefined> {
  return {
    $filter: o.filter,
    $search: o.search,
    $orderby: o.orderBy,
    $count: o.advanced ? 'true' : undefined,
    $top: o.top,
    $select: o.select?.length ? o.select.join(',') : undefined,
  };
}

/** The header of an advanced query; a nextLink needs it again (it is not in the link). */
const listHeaders = (o: ListOptions): Record<string, string> => (o.advanced ? { ConsistencyLevel: 'eventual' } : {});

function toPage<T>(body: unknown): Page<T> {
  const b = (body ?? {}) as { value?: T[]; '@odata.nextLink'?: string };
  return { value: b.value ?? [], nextLink: b['@odata.nextLink'] ?? null };
}

export class GraphClient {
  readonly transport: GraphTransport;

  constructor(options: GraphClientOptions) {
    this.transport = new GraphTransport(options);
  }

  readonly users = {
    /** One page of users. */
    list: async (o: ListOptions = {}): Promise<Page<User>> =>
      toPage<User>((await this.transport.call('GET', '/users', { query: listQuery(o), headers: listHeaders(o) })).body),
    /** Every user, page by page, following @odata.nextLink; stops after `maxPages` (bounded). */
    listAll: (o: ListOptions = {}, maxPages = 100_000): AsyncGenerator<User> =>
      this.all<User>('/users', listQuery(o), maxPages, listHeaders(o)),
    get: async (idOrUpn: string, select?: readonly string[]): Promise<User> =>
      (await this.transport.call('GET', userPath(idOrUpn), { query: listQuery({ ...(select ? { select } : {}) }) })).body as User,
    create: async (user: NewUser): Promise<User> => (await this.transport.call('POST', '/users', { body: user })).body as User,
    update: async (idOrUpn: string, changes: UserChanges): Promise<void> => {
      await this.transport.call('PATCH', userPath(idOrUpn), { body: changes });
    },
    delete: async (idOrUpn: string): Promise<void> => {
      await this.transport.call('DELETE', userPath(idOrUpn));
    },
  };

  readonly groups = {
    /** Every group, page by page (`filter`: `displayName eq '…'` or `startsWith(displayName,'…')`). */
    listAll: (o: { filter?: string; top?: number } = {}, maxPages = 100_000): AsyncGenerator<Group> =>
      this.all<Group>('/groups', listQuery(o), maxPages),
    get: async (id: string): Promise<Group> => (await this.transport.call('GET', `/groups/${encodeURIComponent(id)}`)).body as Group,
    /** Every member of the group and of the groups in it (`/transitiveMembers`), users and groups. */
    transitiveMembersAll: (id: string, maxPages = 100_000): AsyncGenerator<DirectoryObject> =>
      this.all<DirectoryObject>(`/groups/${encodeURIComponent(id)}/transitiveMembers`, { $top: 999 }, maxPages),
  };

  /** The signed-in user (delegated tokens only). */
  async me(select?: readonly string[]): Promise<User> {
    return (await this.transport.call('GET', '/me', { query: listQuery({ ...(select ? { select } : {}) }) })).body as User;
  }

  /**
   * `POST /users/{id}/revokeSignInSessions`, or `/me/...` for `'me'`. Graph answers 200 with a
   * Boolean that is always true (https://learn.microsoft.com/graph/known-issues): any 2xx means success.
   * `clientRequestId` is sent as `client-request-id`: on Portcullis, the key of the revoke's receipt.
   */
  async revokeSignInSessions(idOrUpn: string | 'me', version?: GraphVersion, o: { clientRequestId?: string } = {}): Promise<boolean> {
    const path = idOrUpn === 'me' ? '/me/revokeSignInSessions' : `${userPath(idOrUpn)}/revokeSignInSessions`;
    await this.transport.call('POST', path, { body: {}, ...(version ? { version } : {}), ...requestIdHeader(o.clientRequestId) });
    return true;
  }

  /** Beta `invalidateAllRefreshTokens` (204; https://learn.microsoft.com/graph/api/user-invalidateallrefreshtokens?view=graph-rest-beta). Always sent to /beta. */
  async invalidateAllRefreshTokens(idOrUpn: string | 'me', o: { clientRequestId?: string } = {}): Promise<boolean> {
    const path = idOrUpn === 'me' ? '/me/invalidateAllRefreshTokens' : `${userPath(idOrUpn)}/invalidateAllRefreshTokens`;
    await this.transport.call('POST', path, { body: {}, version: 'beta', ...requestIdHeader(o.clientRequestId) });
    return true;
  }

  /** Portcullis only: the receipt of the revoke sent with this client-request-id (docs/receipts.md). */
  async revocationReceipt(correlationId: string): Promise<RevocationReceipt> {
    return (await this.transport.call('GET', `/auditLogs/revocationReceipts/${encodeURIComponent(correlationId)}`))
      .body as RevocationReceipt;
  }

  /** One JSON batch (≤ 20 requests). Inner failures are returned, not thrown: see GraphError.from. */
  async batch(requests: readonly BatchRequest[], version?: GraphVersion): Promise<BatchResponse[]> {
    if (requests.length === 0 || requests.length > MAX_BATCH_SIZE) {
      throw new RangeError(`a batch holds 1 to ${MAX_BATCH_SIZE} requests, not ${requests.length}`);
    }
    const res = await this.transport.call('POST', '/$batch', { body: { requests }, ...(version ? { version } : {}) });
    return ((res.body ?? {}) as { responses?: BatchResponse[] }).responses ?? [];
  }

  /**
   * Application registrations (https://learn.microsoft.com/graph/api/resources/application), by
   * object id, or by appId with `{ appId }`; and admin consent (docs/graph-api.md, "Consent").
   */
  readonly applications = {
    list: async (o: { top?: number } = {}): Promise<Page<Record<string, unknown>>> =>
      toPage<Record<string, unknown>>((await this.transport.call('GET', '/applications', { query: listQuery(o) })).body),
    listAll: (o: { top?: number } = {}, maxPages = 100_000): AsyncGenerator<Record<string, unknown>> =>
      this.all<Record<string, unknown>>('/applications', listQuery(o), maxPages),
    get: async (key: ApplicationKey): Promise<Record<string, unknown>> =>
      (await this.transport.call('GET', applicationPath(key))).body as Record<string, unknown>,
    create: async (app: Record<string, unknown>): Promise<Record<string, unknown>> =>
      (await this.transport.call('POST', '/applications', { body: app })).body as Record<string, unknown>,
    update: async (key: ApplicationKey, changes: Record<string, unknown>): Promise<void> => {
      await this.transport.call('PATCH', applicationPath(key), { body: changes });
    },
    delete: async (key: ApplicationKey): Promise<void> => {
      await this.transport.call('DELETE', applicationPath(key));
    },
    addPassword: async (
      key: ApplicationKey,
      credential: { displayName?: string; endDateTime?: string } = {},
    ): Promise<PasswordCredential> =>
      (await this.transport.call('POST', `${applicationPath(key)}/addPassword`, { body: { passwordCredential: credential } }))
        .body as PasswordCredential,
    removePassword: async (key: ApplicationKey, keyId: string): Promise<void> => {
      await this.transport.call('POST', `${applicationPath(key)}/removePassword`, { body: { keyId } });
    },
  };

  readonly consent = {
    /** Delegated permissions of `resourceId` for all users (consentType AllPrincipals). */
    grantDelegated: async (clientId: string, resourceId: string, scope: string): Promise<Record<string, unknown>> =>
      (
        await this.transport.call('POST', '/oauth2PermissionGrants', {
          body: { clientId, consentType: 'AllPrincipals', resourceId, scope },
        })
      ).body as Record<string, unknown>,
    /** One application permission (app role) of `resourceId` for the client. */
    assignAppRole: async (principalId: string, resourceId: string, appRoleId: string): Promise<Record<string, unknown>> =>
      (
        await this.transport.call('POST', `/servicePrincipals/${encodeURIComponent(resourceId)}/appRoleAssignedTo`, {
          body: { principalId, resourceId, appRoleId },
        })
      ).body as Record<string, unknown>,
  };

  readonly auditLogs = {
    list: async (o: { filter?: string; top?: number } = {}): Promise<Page<DirectoryAudit>> =>
      toPage<DirectoryAudit>((await this.transport.call('GET', '/auditLogs/directoryAudits', { query: listQuery(o) })).body),
    listAll: (o: { filter?: string; top?: number } = {}, maxPages = 100_000): AsyncGenerator<DirectoryAudit> =>
      this.all<DirectoryAudit>('/auditLogs/directoryAudits', listQuery(o), maxPages),
  };

  /** A user's browser sessions and grants, and the targeted revocations (Portcullis only; docs/graph-api.md). */
  readonly signInSessions = {
    listAll: (idOrUpn: string | 'me', o: { filter?: string; top?: number } = {}, maxPages = 100_000): AsyncGenerator<SignInSession> =>
      this.all<SignInSession>(`${idOrUpn === 'me' ? '/me' : userPath(idOrUpn)}/signInSessions`, listQuery(o), maxPages),
    revoke: async (idOrUpn: string | 'me', cut: SignInSessionCut, dryRun = false): Promise<SignInSessionRevocation> => {
      const base = `${idOrUpn === 'me' ? '/me' : userPath(idOrUpn)}/signInSessions`;
      const [path, body] =
        'session' in cut
          ? [`${base}/${encodeURIComponent(cut.session)}/revoke`, { dryRun }]
          : 'appId' in cut
            ? [`${base}/revokeForApp`, { appId: cut.appId, dryRun }]
            : [`${base}/revokeAllExcept`, { sessionId: cut.allExcept, dryRun }];
      return (await this.transport.call('POST', path, { body })).body as SignInSessionRevocation;
    },
  };

  /**
   * The sign-in log, newest first (https://learn.microsoft.com/graph/api/signin-list). v1.0 lists
   * interactive sign-ins; non-interactive ones need `version: 'beta'` and
   * `filter: "signInEventTypes/any(t: t eq 'nonInteractiveUser')"`, app-only (client-credentials)
   * ones `version: 'beta'` and `… eq 'servicePrincipal'`.
   */
  readonly signIns = {
    listAll: (o: ListOptions & { version?: GraphVersion } = {}, maxPages = 100_000): AsyncGenerator<SignIn> =>
      this.all<SignIn>('/auditLogs/signIns', listQuery(o), maxPages, {}, o.version),
  };

  private async *all<T>(
    path: string,
    query: Record<string, string | number | undefined>,
    maxPages: number,
    headers: Record<string, string> = {},
    version?: GraphVersion,
  ): AsyncGenerator<T> {
    let page = toPage<T>((await this.transport.call('GET', path, { query, headers, ...(version ? { version } : {}) })).body);
    for (let n = 1; ; n++) {
      yield* page.value;
      if (!page.nextLink || n >= maxPages) return;
      page = toPage<T>((await this.transport.call('GET', page.nextLink, { headers })).body);
    }
  }
}

/** An application's object id, or `{ appId }` for the alternate key. */
export type ApplicationKey = string | { appId: string };

export interface PasswordCredential {
  keyId: string;
  secretText: string;
  hint: string;
  displayName: string | null;
  startDateTime: string;
  endDateTime: string;
}

const applicationPath = (key: ApplicationKey): string =>
  typeof key === 'string' ? `/applications/${encodeURIComponent(key)}` : `/applications(appId='${encodeURIComponent(key.appId)}')`;

/** The GraphError an inner $batch response stands for, or null if it succeeded. */
export function batchResponseError(r: BatchResponse): GraphError | null {
  if (r.status >= 200 && r.status < 300) return null;
  const headers = Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  return GraphError.from(r.status, (n) => headers[n], r.body);
}
