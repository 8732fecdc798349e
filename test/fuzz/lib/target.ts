import type { FuzzRequest } from './http-input.js';
import type { Rng } from './rng.js';

/** What the HTTP generators may use: the seeded directory and live credentials of the server under test. */
export interface FuzzContext {
  tenantId: string;
  domain: string;
  apps: { publicClient: string; webApp: string; spa: string; daemon: string };
  webSecret: string;
  daemonSecret: string;
  password: string;
  redirects: { publicClient: string; web: string; spa: string };
  /** Users the generators may act on (the token holders are left out so their tokens keep working). */
  targetUsers: { id: string; upn: string }[];
  /** App-only token with User.RevokeSessions.All, User.ReadWrite.All, AuditLog.Read.All. */
  appToken: string;
  /** Delegated token of the Global Administrator with every Graph scope. */
  adminToken: string;
  refreshToken: string;
  deviceCode: string;
  userCode: string;
  /** Shared Signals: receiver a's token and streams, receiver b's token and stream. */
  ssf: {
    /** The transmitter's issuer and receiver a's client id (the `iss` and `aud` of its streams). */
    issuer: string;
    receiverId: string;
    token: string;
    otherToken: string;
    pollStreamId: string;
    pushStreamId: string;
    /** The one stream of a's that a generator may delete. */
    spareStreamId: string;
    otherStreamId: string;
  };
  /**
   * A browser of the server's own pages: its pre-session cookie (`name=value`) and the CSRF
   * tokens of the device form and the sign-in form it was shown (bound to that cookie), so
   * generated form posts get past the token check to the code lookup and the password check.
   */
  browser: { cookie: string; deviceCsrf: string; signInCsrf: string };
}

export interface HttpTarget {
  name: string;
  generate(rng: Rng, ctx: FuzzContext): FuzzRequest;
}
