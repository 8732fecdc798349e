import type { KeyRing } from '../core/key-ring.js';
import { TOPIC, type InvalidationFeed } from './invalidation.js';

export interface RefresherLog {
  info(message: string): void;
  warn(message: string): void;
}

export interface KeyRefresher {
  close(): Promise<void>;
}

/**
 * Keeps an instance's KeyRing current while it runs (`portcullis keys rotate` needs no restart):
 * - on a 'keys' message from the feed (PostgreSQL NOTIFY or Redis): reload at once;
 * - whenever the feed (re)connects: reload unconditionally, messages may have been lost;
 * - every `intervalMs`, whatever the feed says: the only channel on SQLite, and the safety net
 *   that bounds how late a lost message can make a pick-up (core/key-rotation.ts counts it in
 *   the retention of superseded keys).
 * A failed reload keeps the current keys; the next trigger tries again.
 */
export function startKeyRefresher(
  ring: KeyRing,
  feed: InvalidationFeed | null,
  intervalMs: number,
  log: RefresherLog,
  /** Other topics of the same feed (e.g. 'outbox'): the feed has one set of handlers, this one. */
  onOtherTopic: (topic: string) => void = () => undefined,
): KeyRefresher {
  let closed = false;
  const reload = (why: string) => {
    ring.reload().then(
      (changed) => {
        if (!changed || closed) return;
        const next = ring.nextKey;
        const pending = next ? `; next ${next.kid} signs from ${new Date(next.activatesAt).toISOString()}` : '';
        log.info(`signing keys reloaded (${why}); signing with ${ring.signingKid}${pending}`);
      },
      (e: unknown) => {
        if (!closed) log.warn(`signing keys not reloaded (${why}): ${(e as Error).message}`);
      },
    );
  };
  const timer = setInterval(() => reload('periodic check'), intervalMs);
  timer.unref();
  // One warning per outage, not one per reconnection attempt (they come every few seconds).
  let feedDown = false;
  feed?.start({
    onTopic: (topic) => {
      if (topic === TOPIC.keys) reload(feed.name);
      else onOtherTopic(topic);
    },
    onConnected: () => {
      if (feedDown && !closed) log.warn(`${feed.name}: connected again`);
      feedDown = false;
      reload(`${feed.name} connected`);
    },
    onError: (e) => {
      if (closed || feedDown) return;
      feedDown = true;
      log.warn(
        `${feed.name}: ${(e as Error)?.message ?? String(e)}; retrying with backoff, keys re-read every ${intervalMs / 1000} s meanwhile`,
      );
    },
  });
  return {
    close: async () => {
      closed = true;
      clearInterval(timer);
      await feed?.close();
    },
  };
}
