/**
 * Domain records. Times are milliseconds since the Unix epoch. Every credential row carries the
 * user's revocation epoch at the moment it was issued (docs/revocation-model.md): a
 * credential is usable only while `credential.epoch === user.revocationEpoch`.
 */

export interface Tenant {
  id: string;
  domain: string;
  displayName: string;
  createdAt: number;
}

export interface User {
  id: string;
  tenantId: string;
  userPrincipalName: string;
  displayName: string;
  mail: string | null;
  /** argon2id PHC string; null for users that cannot sign in with a password. */
  passwordHash: string | null;
  accountEnabled: boolean;
  /** Bumped by every revoke, disable and password reset. */
  revocationEpoch: number;
  signInSessionsValidFrom: number | null;
  refreshTokensValidFrom: number | null;
  /** Directory role template ids assigned to the user (tenant-wide scope). */
  roleTemplateIds: string[];
  createdAt: number;
}

/**
 * A security group (Graph `microsoft.graph.group` with securityEnabled, not mail-enabled): the
 * unit `portcullis revoke --group` acts on. Members are users and other groups.
 */
export interface Group {
  id: string;
  tenantId: string;
  displayName: string;
  description: string | null;
  mailNickname: string;
  createdAt: number;
}

export type GroupMemberKind = 'user' | 'group';

export interface GroupMember {
  id: string;
  kind: GroupMemberKind;
}

export interface ClientSecret {
  keyId: string;
  /** argon2id of the secret text; the text itself is never stored. */
  hash: string;
  /** First three characters, as Entra shows them. */
  hint: string;
  displayName: string | null;
  endDateTime: number | null;
  /** Not usable before this instant (Graph `passwordCredential.startDateTime`); absent = at once. */
  startDateTime?: number | null;
}

export interface Application {
  /**
   * The directory object id (Graph `application.id`, the portal's "Object ID"); absent = the
   * appId, as for applications registered before object ids were kept apart.
   */
  id?: string;
  appId: string;
  tenantId: string;
  displayName: string;
  publicClientRedirectUris: string[];
  webRedirectUris: string[];
  spaRedirectUris: string[];
  secrets: ClientSecret[];
  allowPublicClientFlows: boolean;
  /** Graph delegated permission (scope) names, admin-consented for all users. */
  delegatedPermissions: string[];
  /** Graph application permission (app role) names granted to the app. */
  applicationPermissions: string[];
  createdAt: number;
  /**
   * OpenID Connect Back-Channel Logout 1.0 §2.2 registration (`backchannel_logout_uri`,
   * `backchannel_logout_session_required`); absent or null = the app is not told of logouts.
   */
  backchannelLogout?: BackchannelLogoutRegistration | null;
  /**
   * Directory role template ids assigned to the app's service principal; absent or empty = none.
   * An app-only caller needs one to act on a user who holds a role (docs/authorization.md).
   */
  directoryRoles?: string[];
  /**
   * "Expose an API": the app as a resource others ask tokens for (Graph `application.identifierUris`,
   * `api`, `appRoles`; https://learn.microsoft.com/en-us/graph/api/resources/application). Absent =
   * none; identifier URIs are unique in the tenant (case-insensitively).
   */
  identifierUris?: string[];
  api?: ApiApplication;
  appRoles?: AppRole[];
  /** What the app needs of other resources (Graph `requiredResourceAccess`); `.default` asks for these. */
  requiredResourceAccess?: RequiredResourceAccess[];
  /**
   * Admin consent given to this client for resources other than Microsoft Graph (whose consent
   * stays in `delegatedPermissions` / `applicationPermissions`): Graph's tenant-wide
   * `oAuth2PermissionGrant` (scope values) and the client's `appRoleAssignment`s (app role ids).
   */
  resourceGrants?: ResourceGrant[];
}

/** Graph `apiApplication` (the part Portcullis uses). */
export interface ApiApplication {
  /** 1 or null → v1.0 access tokens for this resource; 2 → v2.0 (Graph `requestedAccessTokenVersion`). */
  requestedAccessTokenVersion: 1 | 2 | null;
  oauth2PermissionScopes: PermissionScope[];
}

/** Graph `permissionScope`: a delegated permission the API exposes; `value` is what `scp` carries. */
export interface PermissionScope {
  id: string;
  value: string;
  type: 'User' | 'Admin';
  isEnabled: boolean;
  adminConsentDisplayName: string;
  adminConsentDescription: string;
  userConsentDisplayName: string | null;
  userConsentDescription: string | null;
}

/** Graph `appRole`: `value` is what the `roles` claim carries; "Application" members = app permissions. */
export interface AppRole {
  id: string;
  value: string;
  displayName: string;
  description: string;
  isEnabled: boolean;
  allowedMemberTypes: ('User' | 'Application')[];
}

/** Graph `requiredResourceAccess`: `Scope` = delegated permission id, `Role` = app role id. */
export interface RequiredResourceAccess {
  resourceAppId: string;
  resourceAccess: { id: string; type: 'Scope' | 'Role' }[];
}

/** Consent a client holds for one resource application (see Application.resourceGrants). */
export interface ResourceGrant {
  resourceAppId: string;
  /** Delegated permission values consented for all users (Graph oAuth2PermissionGrant, consentType AllPrincipals). */
  scopes: string[];
  /** App role ids assigned to the client's service principal (Graph appRoleAssignment). */
  appRoleIds: string[];
}

export interface BackchannelLogoutRegistration {
  /** https, or http on a loopback host (as redirect URIs); no fragment. */
  uri: string;
  /** The RP needs `sid` in every logout token (Back-Channel Logout §2.4). */
  sessionRequired: boolean;
}

/**
 * How a session or grant began (docs/sessions.md): a password typed on the sign-in page, an
 * existing SSO session reused without a prompt, the device code flow, or the password grant.
 */
/** How the user signed in for a session or grant; `onBehalfOf`: a middle-tier API exchanged the user's token (no sign-in of its own). */
export type SignInMethod = 'password' | 'sso' | 'deviceCode' | 'passwordGrant' | 'onBehalfOf';

/**
 * Where a credential was issued or used: the client address by the trusted-proxy rule of
 * src/app.ts (`trustProxy`) and the User-Agent header, both personal data (docs/sessions.md).
 * Absent or null = not recorded (rows from before migration 100).
 */
export interface ClientContext {
  clientIp?: string | null;
  userAgent?: string | null;
}

/** A browser SSO session, identified by a cookie whose digest is stored. */
export interface SsoSession {
  /** GUID; published as the `sid` claim. */
  id: string;
  tokenHash: string;
  tenantId: string;
  userId: string;
  epoch: number;
  authTime: number;
  createdAt: number;
  expiresAt: number;
  endedAt: number | null;
  /** The application whose sign-in started the session; absent or null = not recorded. */
  clientId?: string | null;
  clientIp?: string | null;
  userAgent?: string | null;
  signInMethod?: SignInMethod | null;
  /** The last time the session signed a user in silently (SSO), at minute granularity; null = never since creation. */
  lastUsedAt?: number | null;
}

/** A grant: the unit of revocation for a refresh-token family (one per code/device/password redemption). */
export interface Grant {
  id: string;
  tenantId: string;
  userId: string;
  clientId: string;
  sessionId: string | null;
  scopes: string[];
  epoch: number;
  authTime: number;
  createdAt: number;
  revokedAt: number | null;
  /**
   * Client capabilities declared when the grant started (the `claims` parameter's `xms_cc`,
   * e.g. `cp1` for Continuous Access Evaluation), so tokens refreshed from it keep them.
   * Absent = none.
   */
  clientCapabilities?: string[];
  /**
   * Set when the grant began with a code sent to a `spa` redirect URI: its refresh tokens are
   * redeemable only cross-origin and none outlives this instant, however often rotated (Entra's
   * fixed 24 h, https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#refresh-the-access-token).
   * Absent or null = not a SPA grant.
   */
  spaExpiresAt?: number | null;
  clientIp?: string | null;
  userAgent?: string | null;
  signInMethod?: SignInMethod | null;
}

export interface RefreshTokenRecord {
  hash: string;
  grantId: string;
  tenantId: string;
  userId: string;
  clientId: string;
  scopes: string[];
  /** Inherited from the credential it came from, never re-read (docs/revocation-model.md). */
  epoch: number;
  issuedAt: number;
  expiresAt: number;
  consumedAt: number | null;
  /** Of the request that obtained this token (the grant's start or a refresh). */
  clientIp?: string | null;
  userAgent?: string | null;
}

export interface AuthorizationCode {
  hash: string;
  grantId: string;
  tenantId: string;
  clientId: string;
  userId: string;
  sessionId: string;
  redirectUri: string;
  scopes: string[];
  codeChallenge: string | null;
  codeChallengeMethod: 'S256' | 'plain' | null;
  nonce: string | null;
  epoch: number;
  authTime: number;
  expiresAt: number;
  consumedAt: number | null;
  /** Client capabilities declared on /authorize (`xms_cc`), carried to the grant. Absent = none. */
  clientCapabilities?: string[];
  /** 'password' when the user just typed it, 'sso' when a live session answered; carried to the grant. */
  signInMethod?: SignInMethod | null;
}

export type DeviceCodeStatus = 'pending' | 'approved' | 'declined';

export interface DeviceCode {
  deviceCodeHash: string;
  userCodeHash: string;
  grantId: string;
  tenantId: string;
  clientId: string;
  scopes: string[];
  status: DeviceCodeStatus;
  userId: string | null;
  sessionId: string | null;
  epoch: number | null;
  authTime: number | null;
  interval: number;
  expiresAt: number;
  lastPolledAt: number | null;
  consumedAt: number | null;
}

export interface AuditIdentity {
  user?: { id: string; userPrincipalName: string; displayName: string };
  app?: { appId: string; displayName: string };
}

export interface AuditTarget {
  id: string;
  type: 'User' | 'Application' | 'Group';
  userPrincipalName: string | null;
  displayName: string | null;
  modifiedProperties: { displayName: string; oldValue: string | null; newValue: string | null }[];
}

/** Shaped like Graph's directoryAudit resource. */
export interface AuditRecord {
  id: string;
  tenantId: string;
  activityDateTime: number;
  activityDisplayName: string;
  category: string;
  loggedByService: string;
  operationType: string;
  result: 'success' | 'failure';
  resultReason: string;
  correlationId: string;
  initiatedBy: AuditIdentity;
  targetResources: AuditTarget[];
}

export interface SigningKey {
  kid: string;
  alg: 'RS256';
  /** PKCS#8 PEM. */
  privateKeyPem: string;
  publicJwk: Record<string, unknown>;
  /** When it was added, and so published in the JWKS. */
  createdAt: number;
  /**
   * When it starts signing (epoch ms). A rotation publishes the key ahead of this, so verifiers
   * that cache the JWKS hold it before the first token it signs (src/core/key-rotation.ts).
   */
  activatesAt: number;
  /** Withdrawn: from this time neither published nor accepted; null while the schedule decides. */
  retiredAt: number | null;
}
