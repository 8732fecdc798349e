/**
 * One sign-in attempt, shaped after Graph's signIn resource
 * (https://learn.microsoft.com/graph/api/resources/signin): interactive ones (a password on the
 * sign-in page, a device-code approval, an SSO cookie honoured at /authorize, the ROPC grant),
 * non-interactive ones (refresh-token redemptions) and service principal ones (an app's own
 * client-credentials token request, no user), successes and failures with the AADSTS code
 * the client was answered. Recorded best-effort (core/sign-in-recorder.ts), read by Graph
 * `/auditLogs/signIns` (src/graph/sign-ins.ts) and `portcullis signins list`.
 */
export interface SignIn {
  /** GUID. */
  id: string;
  tenantId: string;
  createdAt: number;
  /** '' for an attempt with a user name that does not exist (AADSTS50034; userPrincipalName is the name typed). */
  userId: string;
  /** As at the sign-in; '' until the recorder looked the user up (failures that never read the user). */
  userPrincipalName: string;
  userDisplayName: string;
  appId: string;
  appDisplayName: string;
  /** The client address (the trusted-proxy rule of src/app.ts); null when IP recording is off. */
  ipAddress: string | null;
  /** The User-Agent header (at most 512 characters); null when none was sent. */
  userAgent: string | null;
  clientAppUsed: ClientAppUsed;
  correlationId: string;
  isInteractive: boolean;
  /** 0 = success; otherwise the AADSTS number the client got. */
  errorCode: number;
  failureReason: string | null;
  authenticationProtocol: 'none' | 'oAuth2' | 'ropc' | 'deviceCode';
  resourceId: string | null;
  resourceDisplayName: string | null;
  /**
   * Present on an app-only sign-in (the client-credentials grant): Graph's `servicePrincipal`
   * event type. Such an entry has no user (userId, userPrincipalName and userDisplayName are '')
   * and isInteractive false; absent on a user's sign-in.
   */
  servicePrincipal?: ServicePrincipalSignIn;
}

/** The client of an app-only sign-in, as beta's signIn has it (servicePrincipalId, servicePrincipalName, clientCredentialType, servicePrincipalCredentialKeyId). */
export interface ServicePrincipalSignIn {
  /** The service principal's id: in Portcullis its application's appId (docs/graph-api.md, "Consent"); '' for a client id that names no application (AADSTS700016). */
  id: string;
  /** The application's display name; '' when there is none. */
  name: string;
  /** How the client authenticated: a client secret, or nothing (AADSTS7000218). */
  clientCredentialType: ClientCredentialType;
  /** The keyId of the secret that matched; null when none did. */
  credentialKeyId: string | null;
}

/** The values of Graph's clientCredentialType Portcullis can produce (it takes client secrets only). */
export type ClientCredentialType = 'none' | 'clientSecret';

/** Graph's signInEventTypes (beta): which kind of sign-in an entry is. Portcullis has no managed identities, so it never records 'managedIdentity'. */
export type SignInEventType = 'interactiveUser' | 'nonInteractiveUser' | 'servicePrincipal' | 'managedIdentity';

export function signInEventType(e: Pick<SignIn, 'isInteractive' | 'servicePrincipal'>): SignInEventType {
  if (e.servicePrincipal) return 'servicePrincipal';
  return e.isInteractive ? 'interactiveUser' : 'nonInteractiveUser';
}

/** Graph's modern client categories (signIn.clientAppUsed). */
export type ClientAppUsed = 'Browser' | 'Mobile Apps and Desktop clients';

/** user.signInActivity (https://learn.microsoft.com/graph/api/resources/signinactivity); times in ms, null = never. */
export interface SignInActivity {
  lastSignInAt: number | null;
  lastSignInRequestId: string | null;
  lastNonInteractiveSignInAt: number | null;
  lastNonInteractiveSignInRequestId: string | null;
  lastSuccessfulSignInAt: number | null;
  lastSuccessfulSignInRequestId: string | null;
}

/** What a sign-in moves forward in the user's signInActivity: one row per user per batch. */
export interface ActivityUpdate extends SignInActivity {
  userId: string;
}

/**
 * The newest attempt of each kind per user, over a batch: lastSignIn counts interactive attempts,
 * lastNonInteractiveSignIn non-interactive ones (successful or not, as Graph's "either
 * successfully or unsuccessfully"), lastSuccessfulSignIn successes of either kind.
 */
export function activityUpdates(entries: readonly SignIn[]): ActivityUpdate[] {
  const byUser = new Map<string, ActivityUpdate>();
  for (const e of entries) {
    // An attempt for a user name that does not exist (userId '') and an app-only sign-in move no one's activity.
    if (e.userId === '' || e.servicePrincipal) continue;
    let u = byUser.get(e.userId);
    if (!u) {
      u = {
        userId: e.userId,
        lastSignInAt: null,
        lastSignInRequestId: null,
        lastNonInteractiveSignInAt: null,
        lastNonInteractiveSignInRequestId: null,
        lastSuccessfulSignInAt: null,
        lastSuccessfulSignInRequestId: null,
      };
      byUser.set(e.userId, u);
    }
    if (e.isInteractive && (u.lastSignInAt === null || e.createdAt >= u.lastSignInAt)) {
      u.lastSignInAt = e.createdAt;
      u.lastSignInRequestId = e.id;
    }
    if (!e.isInteractive && (u.lastNonInteractiveSignInAt === null || e.createdAt >= u.lastNonInteractiveSignInAt)) {
      u.lastNonInteractiveSignInAt = e.createdAt;
      u.lastNonInteractiveSignInRequestId = e.id;
    }
    if (e.errorCode === 0 && (u.lastSuccessfulSignInAt === null || e.createdAt >= u.lastSuccessfulSignInAt)) {
      u.lastSuccessfulSignInAt = e.createdAt;
      u.lastSuccessfulSignInRequestId = e.id;
    }
  }
  return [...byUser.values()];
}

/** The query the Graph list and the CLI share; every filter is optional. */
export interface SignInQuery {
  tenantId: string;
  /** One kind of sign-in only (v1.0's list: 'interactiveUser'); undefined: every kind. */
  eventType?: SignInEventType;
  /** App-only sign-ins of this service principal (its appId, case-insensitively). */
  servicePrincipalId?: string;
  userId?: string;
  /** Case-insensitive. */
  userPrincipalName?: string;
  appId?: string;
  /** Inclusive bounds on createdAt (ms). */
  from?: number;
  to?: number;
  /** Exact AADSTS number (0 = successes). */
  errorCode?: number;
  /** true: failures only (errorCode <> 0). */
  failedOnly?: boolean;
  limit: number;
  /** Keyset paging: entries older than this (createdAt, id). */
  before?: { at: number; id: string };
}
