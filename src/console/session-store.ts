/**
 * The console's server-side sessions (backend-for-frontend: the browser holds only an opaque
 * cookie; the tokens stay here) and the pending sign-ins (PKCE verifier, state, nonce). In memory:
 * a restart or another instance behind a load balancer signs the browser in again, silently
 * through its SSO session (docs/console.md). Bounded in number and in idle time.
 */
import { newOpaqueToken } from '../crypto/random.js';
import type { Area } from './areas.js';

export interface ConsoleSession {
  id: string;
  area: Area;
  userId: string;
  userPrincipalName: string;
  displayName: string;
  /** The SSO session this browser signed in with: the ID token's `sid` ("this browser"). */
  sid: string | null;
  accessToken: string;
  /** Epoch ms. */
  accessExpiresAt: number;
  refreshToken: string | null;
  lastSeen: number;
  /** A secret shown once on the next page (reset password, new client secret), then dropped. */
  flash?: { title: string; lines: [string, string][] };
}

export interface PendingSignIn {
  state: string;
  area: Area;
  verifier: string;
  nonce: string;
  returnTo: string;
  createdAt: number;
}

const MAX_SESSIONS = 10_000;
const MAX_PENDING = 10_000;
const IDLE_MS = 8 * 3600_000;
const PENDING_MS = 10 * 60_000;

export class ConsoleSessionStore {
  private readonly sessions = new Map<string, ConsoleSession>();
  private readonly pending = new Map<string, PendingSignIn>();

  constructor(private readonly now: () => number) {}

  create(s: Omit<ConsoleSession, 'id' | 'lastSeen'>): ConsoleSession {
    if (this.sessions.size >= MAX_SESSIONS) this.evict(this.sessions, (x) => x.lastSeen + IDLE_MS);
    const session = { ...s, id: newOpaqueToken(32), lastSeen: this.now() };
    this.sessions.set(session.id, session);
    return session;
  }

  get(id: string | undefined, area: Area): ConsoleSession | null {
    if (!id) return null;
    const s = this.sessions.get(id);
    if (!s || s.area !== area) return null;
    if (s.lastSeen + IDLE_MS <= this.now()) {
      this.sessions.delete(id);
      return null;
    }
    s.lastSeen = this.now();
    return s;
  }

  delete(id: string): void {
    this.sessions.delete(id);
  }

  addPending(p: Omit<PendingSignIn, 'state' | 'createdAt'>): PendingSignIn {
    if (this.pending.size >= MAX_PENDING) this.evict(this.pending, (x) => x.createdAt + PENDING_MS);
    const entry = { ...p, state: newOpaqueToken(24), createdAt: this.now() };
    this.pending.set(entry.state, entry);
    return entry;
  }

  /** Used once: a replayed callback finds nothing. */
  takePending(state: string): PendingSignIn | null {
    const p = this.pending.get(state);
    if (!p) return null;
    this.pending.delete(state);
    return p.createdAt + PENDING_MS > this.now() ? p : null;
  }

  /** Drops expired entries, then the oldest ones if still full. */
  private evict<T>(map: Map<string, T>, expiresAt: (x: T) => number): void {
    const now = this.now();
    for (const [k, v] of map) if (expiresAt(v) <= now) map.delete(k);
    for (const k of map.keys()) {
      if (map.size < MAX_SESSIONS / 2) break;
      map.delete(k);
    }
  }
}
