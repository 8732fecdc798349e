/**
 * A small typed client for a Graph-compatible API (Microsoft Graph itself or Portcullis): users,
 * /me, the two revoke actions, $batch and the directory audit log. Paths and bodies are Graph's
 * documented ones, so the same code runs against graph.microsoft.com.
 */
import { GraphError } from './graph-error.js';
import { GraphTransport, type GraphClientOptions } from './transport.js';
import type { BatchRequest, BatchResponse, DirectoryAudit, GraphVersion, ListOptions, NewUser, Page, User, UserChanges } from './types.js';

/** Graph's per-batch limit (https://learn.microsoft.com/graph/json-batching). */
export const MAX_BATCH_SIZE = 20;

const userPath = (idOrUpn: string) => `/users/${encodeURIComponent(idOrUpn)}`;

function listQuery(o: ListOptions & { select?: readonly string[] }): Record<string, string | number | undefined> {
  return { $filter: o.filter, $top: o.top, $select: o.select?.length ? o.select.join(',') : undefined };
}

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
      toPage<User>((await this.transport.call('GET', '/users', { query: listQuery(o) })).body),
    /** Every user, page by page, following @odata.nextLink; stops after `maxPages` (bounded). */
    listAll: (o: ListOptions = {}, maxPages = 100_000): AsyncGenerator<User> => this.all<User>('/users', listQuery(o), maxPages),
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

  /** The signed-in user (delegated tokens only). */
  async me(select?: readonly string[]): Promise<User> {
    return (await this.transport.call('GET', '/me', { query: listQuery({ ...(select ? { select } : {}) }) })).body as User;
  }

  /**
   * `POST /users/{id}/revokeSignInSessions`, or `/me/...` for `'me'`. Graph answers 200 with a
   * Boolean that is always true (https://learn.microsoft.com/graph/known-issues): any 2xx means success.
   */
  async revokeSignInSessions(idOrUpn: string | 'me', version?: GraphVersion): Promise<boolean> {
    const path = idOrUpn === 'me' ? '/me/revokeSignInSessions' : `${userPath(idOrUpn)}/revokeSignInSessions`;
    await this.transport.call('POST', path, { body: {}, ...(version ? { version } : {}) });
    return true;
  }

  /** Beta `invalidateAllRefreshTokens` (204; https://learn.microsoft.com/graph/api/user-invalidateallrefreshtokens?view=graph-rest-beta). Always sent to /beta. */
  async invalidateAllRefreshTokens(idOrUpn: string | 'me'): Promise<boolean> {
    const path = idOrUpn === 'me' ? '/me/invalidateAllRefreshTokens' : `${userPath(idOrUpn)}/invalidateAllRefreshTokens`;
    await this.transport.call('POST', path, { body: {}, version: 'beta' });
    return true;
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

  private async *all<T>(path: string, query: Record<string, string | number | undefined>, maxPages: number): AsyncGenerator<T> {
    let page = toPage<T>((await this.transport.call('GET', path, { query })).body);
    for (let n = 1; ; n++) {
      yield* page.value;
      if (!page.nextLink || n >= maxPages) return;
      page = toPage<T>((await this.transport.call('GET', page.nextLink)).body);
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
