/** The Graph resource shapes the SDK returns (the subset Portcullis serves; Graph has more). */

export type GraphVersion = 'v1.0' | 'beta';

export interface User {
  id: string;
  userPrincipalName: string;
  displayName: string | null;
  mail?: string | null;
  accountEnabled?: boolean;
  signInSessionsValidFromDateTime?: string | null;
  refreshTokensValidFromDateTime?: string | null;
  [property: string]: unknown;
}

/** A security group (Graph `microsoft.graph.group`). */
export interface Group {
  id: string;
  displayName: string;
  description?: string | null;
  [property: string]: unknown;
}

/** An item of a members list: a user or a group, told apart by `@odata.type`. */
export interface DirectoryObject {
  '@odata.type': string;
  id: string;
  userPrincipalName?: string;
  displayName?: string | null;
  [property: string]: unknown;
}

export interface NewUser {
  accountEnabled: boolean;
  displayName: string;
  mailNickname: string;
  userPrincipalName: string;
  passwordProfile: { password: string; forceChangePasswordNextSignIn?: boolean };
  mail?: string | null;
}

export interface UserChanges {
  displayName?: string;
  accountEnabled?: boolean;
  passwordProfile?: { password: string; forceChangePasswordNextSignIn?: boolean };
}

export interface DirectoryAudit {
  id: string;
  category: string;
  correlationId: string | null;
  result: string;
  activityDisplayName: string;
  activityDateTime: string;
  loggedByService: string;
  initiatedBy: {
    user: { id: string; displayName: string | null; userPrincipalName: string | null } | null;
    app: { appId: string; displayName: string | null } | null;
  };
  targetResources: { id: string; displayName: string | null; type: string; userPrincipalName: string | null }[];
  [property: string]: unknown;
}

/** A sign-in log entry (https://learn.microsoft.com/graph/api/resources/signin); the properties the CLI reads. */
export interface SignIn {
  id: string;
  createdDateTime: string;
  userDisplayName: string;
  userPrincipalName: string;
  userId: string;
  appId: string;
  appDisplayName: string;
  ipAddress: string;
  clientAppUsed: string;
  correlationId: string;
  isInteractive: boolean;
  status: { errorCode: number; failureReason: string | null };
  deviceDetail: { browser: string; operatingSystem: string };
  [property: string]: unknown;
}

/** One page of a collection; `nextLink` is Graph's @odata.nextLink. */
export interface Page<T> {
  value: T[];
  nextLink: string | null;
}

export interface ListOptions {
  /** Passed as $filter (docs/graph-api.md lists the operators /users supports). */
  filter?: string;
  /** Passed as $search, e.g. `"displayName:team"` (needs `consistencyLevel`). */
  search?: string;
  /** Passed as $orderby, e.g. `displayName desc`. */
  orderBy?: string;
  top?: number;
  select?: readonly string[];
  /**
   * An advanced query (https://learn.microsoft.com/graph/aad-advanced-queries): sends the header
   * `ConsistencyLevel: eventual` and `$count=true` on every page, so that `ne`, `not`, `endsWith`,
   * $search and $orderby with $filter are accepted.
   */
  advanced?: boolean;
}

export interface BatchRequest {
  id: string;
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Relative to the version, e.g. `/users/{id}/revokeSignInSessions`. */
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  dependsOn?: string[];
}

export interface BatchResponse {
  id: string;
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

/** What the SDK reports for every HTTP answer it receives (e.g. for -ResponseHeadersVariable). */
export interface ResponseInfo {
  method: string;
  url: string;
  status: number;
  headers: Record<string, string>;
}

/**
 * A revocation receipt (Portcullis extension, GET /auditLogs/revocationReceipts/{correlationId};
 * docs/receipts.md): what one revoke cut and the outcome of each message it caused.
 */
export interface RevocationReceipt {
  id: string;
  correlationId: string;
  revocationType: string;
  revokedDateTime: string;
  user: { id: string; userPrincipalName: string };
  initiatedBy: {
    user: { id: string; displayName: string; userPrincipalName: string } | null;
    app: { appId: string; displayName: string } | null;
  };
  sessionsRevoked: number;
  grantsRevoked: number;
  refreshTokensRevoked: number;
  sessionIds: string[];
  applications: { appId: string; grantIds: string[]; refreshTokenIds: string[]; sessionIds: string[] }[];
  notifications: {
    state: 'none' | 'planning' | 'planned' | 'expired';
    planned: boolean;
    pending: number;
    delivered: number;
    failed: number;
  };
  deliveries: {
    id: string;
    channel: string;
    destination: string;
    status: 'pending' | 'delivered' | 'failed';
    attempts: number;
    lastError: string | null;
    createdDateTime: string;
    completedDateTime: string | null;
  }[];
}
/** A browser session or grant of a user (Portcullis extension; docs/graph-api.md, "Sign-in sessions"). */
export interface SignInSession {
  id: string;
  kind: 'browserSession' | 'refreshTokenGrant';
  userId: string;
  appId: string | null;
  sessionId: string | null;
  createdDateTime: string;
  lastActivityDateTime: string;
  ipAddress: string | null;
  userAgent: string | null;
  deviceDetail: { browser: string; operatingSystem: string; displayName: string };
  signInMethod: string | null;
  isLive: boolean;
}

/** What a targeted revocation cut (or, dry run, would cut). */
export interface SignInSessionRevocation {
  dryRun: boolean;
  sessionCount: number;
  grantCount: number;
  sessionIds: string[];
  grantIds: string[];
}

/** Which part of a user's sessions a targeted revocation cuts. */
export type SignInSessionCut = { session: string } | { appId: string } | { allExcept: string };
