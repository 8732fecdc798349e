import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PgNotifyFeed } from '../../src/cluster/pg-listener.js';
import { adminQuery, PG_TEST_URL, requirePostgres } from '../helpers/postgres.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { waitFor } from '../helpers/wait.js';
import { PG_INVALIDATION_CHANNEL } from '../../src/store/postgres/notify.js';

/**
 * The LISTEN connection on the real PostgreSQL, through a real TCP proxy the test cuts: the feed
 * delivers committed NOTIFYs, reconnects by itself with backoff, and reports every (re)connection
 * so the consumer reloads what it may have missed.
 */
if (await requirePostgres('PostgreSQL LISTEN feed')) {
  describe('PgNotifyFeed', () => {
    let proxy: TcpProxy;
    let feed: PgNotifyFeed;
    const topics: string[] = [];
    let connected = 0;
    let errors = 0;

    before(async () => {
      const target = new URL(PG_TEST_URL);
      proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
      const viaProxy = new URL(PG_TEST_URL);
      viaProxy.port = String(proxy.port);
      feed = new PgNotifyFeed(viaProxy.toString(), 1_000);
      feed.start({ onTopic: (t) => topics.push(t), onConnected: () => connected++, onError: () => errors++ });
      await waitFor('the first LISTEN', () => connected === 1);
    });
    after(async () => {
      await feed?.close();
      await proxy?.close();
    });

    const notify = (payload: string) => adminQuery(`NOTIFY ${PG_INVALIDATION_CHANNEL}, '${payload}'`);

    test('delivers committed notifications, not rolled-back ones', async () => {
      await adminQuery(`BEGIN; NOTIFY ${PG_INVALIDATION_CHANNEL}, 'rolled-back'; ROLLBACK;`);
      await notify('keys');
      await waitFor('the notification', () => topics.includes('keys'));
      // Suites running beside this one on the same database NOTIFY too (every revoke sends
      // 'outbox'; NOTIFY is database-wide): only this test's own payloads are judged.
      assert.deepEqual(
        topics.filter((t) => t === 'keys' || t === 'rolled-back'),
        ['keys'],
      );
    });

    test('reconnects after the connection is cut, reports it, and hears notifications again', async () => {
      await proxy.refuse();
      await waitFor('the drop to be noticed', () => errors >= 1, 5_000);
      await notify('lost-while-away');
      // Down for a while: several failed attempts, each with a longer (bounded) wait.
      await new Promise((r) => setTimeout(r, 700));
      await proxy.forward();
      await waitFor('the reconnection', () => connected === 2, 10_000);
      assert.ok(!topics.includes('lost-while-away'), 'NOTIFY is not queued for a disconnected listener: why onConnected reloads');
      await notify('after');
      await waitFor('a notification after reconnecting', () => topics.includes('after'));
    });

    test('close stops reconnecting', async () => {
      await feed.close();
      const before = connected;
      await proxy.refuse();
      await proxy.forward();
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(connected, before);
    });
  });
}
