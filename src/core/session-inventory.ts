import type { SignInMethod } from './model.js';
import { describeUserAgent, type DeviceDescription } from './user-agent.js';

/**
 * The session inventory (docs/sessions.md): every browser SSO session and every grant
 * (refresh-token family) of a user, with the application, where and with what it was used, how
 * it began and whether it still works. Read by the Graph extension (src/graph/sign-in-sessions.ts)
 * and the CLI; cut by core/targeted-revocation.ts.
 */
export type InventoryKind = 'session' | 'grant';

/** One row as the store reads it (store/sql/inventory.ts). */
export interface InventoryRecord {
  kind: InventoryKind;
  /** The session's public id (`sid`) or the grant's id. */
  id: string;
  tenantId: string;
  userId: string;
  /** The application: the grant's client, or the one whose sign-in started the session; null = not recorded. */
  clientId: string | null;
  /** The browser session a grant came from (null: device code, password grant); a session's own id. */
  sessionId: string | null;
  createdAt: number;
  /** A grant's last refresh (its newest refresh token), a session's last silent sign-in; else its creation. */
  lastUsedAt: number;
  clientIp: string | null;
  userAgent: string | null;
  signInMethod: SignInMethod | null;
  /**
   * Still usable: a session not ended, unexpired, of the user's current epoch; a grant not revoked,
   * of the current epoch, whose newest refresh token is unexpired; the account enabled.
   */
  live: boolean;
  /** A grant's consented scopes, as its tokens are issued for them (space-free names); null for a session. */
  scopes: string[] | null;
}

/** Newest first, keyset-paged on (createdAt, id); each filter is optional. */
export interface InventoryQuery {
  tenantId: string;
  /** One user's sessions and grants; absent = the whole tenant. */
  userId?: string;
  appId?: string;
  live?: boolean;
  /** createdAt >= this. */
  createdFrom?: number;
  /** createdAt < this. */
  createdBefore?: number;
  /** Rows strictly older than this position (the last row of the previous page). */
  after?: { createdAt: number; id: string };
  limit: number;
  /** The instant liveness is judged at. */
  now: number;
}

/** What a targeted revocation cuts (docs/revocation-model.md, "Targeted revocation"). */
export type CutTarget =
  /** One browser session and every grant that came from it. */
  | { kind: 'session'; sessionId: string }
  /** Every grant of one application (the user's browser sessions stay). */
  | { kind: 'app'; appId: string }
  /** Every session and grant except this session and the grants that came from it ("sign out everywhere else"). */
  | { kind: 'allExcept'; sessionId: string };

/** The live sessions and grants a cut ends (or, dry run, would end); ids sorted. */
export interface CutFound {
  sessionIds: string[];
  grantIds: string[];
}

/** An inventory row with its device description, as the surfaces show it. */
export interface InventoryEntry extends InventoryRecord {
  device: DeviceDescription;
}

export function describeRecord(record: InventoryRecord): InventoryEntry {
  return { ...record, device: describeUserAgent(record.userAgent ?? undefined) };
}
