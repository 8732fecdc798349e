/**
 * One sign-in attempt, shaped after Graph's signIn resource
 * (https://learn.microsoft.com/graph/api/resources/signin): interactive ones (a password on the
 * sign-in page, a device-code approval, an SSO cookie honoured at /authorize, the ROPC grant) and
 * non-interactive ones (refresh-token redemptions), successes and failures with the AADSTS code
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
    // An attempt for a user name that does not exist (userId '') moves no one's activity.
    if (e.userId === '') continue;
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
  /** true: interactive only (v1.0's list); false: non-interactive only; undefined: both. */
  interactive?: boolean;
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
