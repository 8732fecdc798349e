import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RedisFeed, publishToRedis } from '../../src/cluster/redis-feed.js';
import { REDIS_TEST_URL, requireRedis } from '../helpers/redis.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The Redis feed on the real Redis, through a real TCP proxy the test cuts: messages arrive,
 * the subscriber reconnects and re-subscribes by itself, and every reconnection is reported.
 */
if (await requireRedis('Redis invalidation feed')) {
  describe('RedisFeed', () => {
    let proxy: TcpProxy;
    let feed: RedisFeed;
    const topics: string[] = [];
    let connected = 0;

    before(async () => {
      const target = new URL(REDIS_TEST_URL);
      proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 6379) });
      const viaProxy = new URL(REDIS_TEST_URL);
      viaProxy.port = String(proxy.port);
      feed = new RedisFeed(viaProxy.toString());
      feed.start({ onTopic: (t) => topics.push(t), onConnected: () => connected++, onError: () => undefined });
      await waitFor('the subscription', () => connected === 1);
    });
    after(async () => {
      await feed?.close();
      await proxy?.close();
    });

    test('delivers published topics', async () => {
      const receivers = await publishToRedis(REDIS_TEST_URL, 'keys');
      assert.ok(receivers >= 1, `subscribers: ${receivers}`);
      await waitFor('the message', () => topics.includes('keys'));
    });

    test('reconnects and re-subscribes after the connection is cut, and reports it', async () => {
      await proxy.refuse();
      await new Promise((r) => setTimeout(r, 500));
      await proxy.forward();
      await waitFor('the reconnection', () => connected === 2, 10_000);
      await publishToRedis(REDIS_TEST_URL, 'after');
      await waitFor('a message after reconnecting', () => topics.includes('after'));
    });

    test('publishing to an unreachable Redis fails within its bound', async () => {
      const started = Date.now();
      await assert.rejects(publishToRedis('redis://127.0.0.1:1', 'keys'));
      assert.ok(Date.now() - started < 6_000);
    });
  });
}
