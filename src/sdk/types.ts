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
  /** Passed as $filter (Portcullis supports one `eq` on a unique key). */
  filter?: string;
  top?: number;
  select?: readonly string[];
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
