import { revokedUser } from '../core/credential-verdicts.js';
import type { User } from '../core/model.js';
import type { Store, UserStore } from '../store/store.js';
import type { TestClock } from './test-clock.js';

/**
 * Entra's documented revocation delay, emulated for tests only. Microsoft Graph's
 * revokeSignInSessions says "there might be a small delay of a few minutes before tokens are
 * revoked" (https://learn.microsoft.com/graph/api/user-revokesigninsessions), and apps are told
 * to expect it. Portcullis itself revokes at once (docs/revocation-model.md); with this switch the
 * kit holds each revoke back for `delayMs` of the kit's clock and then commits it, unchanged,
 * through the real store — so until then the refresh tokens, sessions and access tokens keep
 * working, and afterwards they fail exactly as they would have.
 *
 * It wraps the Store handed to createApp, so it applies to every path that revokes sessions
 * (Graph revokeSignInSessions and invalidateAllRefreshTokens, /me, $batch, the kit's helper).
 * Disable and password reset are not delayed. It lives only here: `serve` has no such option.
 */
export class DelayedRevocations {
  private pending: Array<{ due: number; apply: () => Promise<unknown> }> = [];
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly clock: TestClock,
    readonly delayMs: number,
  ) {}

  /** The store as the app sees it: users.revoke answers at once and commits after the delay. */
  wrap(store: Store): Store {
    const users = store.users;
    const revoke: UserStore['revoke'] = async (tenantId, id, at, options): Promise<User | null> => {
      const user = await users.findById(tenantId, id);
      if (!user) return null;
      this.pending.push({ due: at + this.delayMs, apply: () => users.revoke(tenantId, id, at, options) });
      // Real time also moves the kit's clock (unless frozen): look again when the delay is over.
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        void this.applyDue().catch(() => undefined);
      }, this.delayMs + 1);
      timer.unref();
      this.timers.add(timer);
      // What the store will hold once the revoke commits (the Graph answer does not show it).
      return revokedUser(user, at);
    };
    const wrappedUsers = new Proxy(users, {
      get: (target, prop) => (prop === 'revoke' ? revoke : Reflect.get(target, prop, target)),
    });
    return new Proxy(store, { get: (target, prop) => (prop === 'users' ? wrappedUsers : Reflect.get(target, prop, target)) });
  }

  /** Commits every held revoke whose delay is over by the kit's clock, oldest first. */
  async applyDue(): Promise<void> {
    const now = this.clock.now();
    const due = this.pending.filter((p) => p.due <= now);
    this.pending = this.pending.filter((p) => p.due > now);
    for (const p of due) await p.apply();
  }

  /** Forgets held revokes and their timers (reset, stop). */
  clear(): void {
    this.pending = [];
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
