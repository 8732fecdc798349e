import { createClient } from '@redis/client';
import { backoffMs, type FeedHandlers, type InvalidationFeed } from './invalidation.js';

/**
 * Redis pub/sub as the invalidation feed (PORTCULLIS_REDIS_URL / --redis-url), for deployments
 * where a LISTEN connection to PostgreSQL is not possible (PgBouncer in transaction mode) or
 * where Redis is already the fan-out bus. The client is @redis/client, the core of the official
 * `redis` package without its module add-ons and with no dependencies of its own: it speaks
 * RESP2/RESP3, AUTH/ACL users, TLS (rediss://), and re-subscribes after reconnecting before it
 * reports ready — a protocol client we would otherwise have to write and maintain.
 */
export const REDIS_INVALIDATION_CHANNEL = 'portcullis:invalidate';

const CONNECT_TIMEOUT_MS = 5_000;

type Client = ReturnType<typeof createClient>;

function redisClient(url: string, reconnect: boolean): Client {
  return createClient({
    url,
    socket: {
      connectTimeout: CONNECT_TIMEOUT_MS,
      reconnectStrategy: reconnect ? (retries: number) => backoffMs(retries) : false,
    },
    // A subscriber otherwise only learns of a silently dead connection from TCP.
    pingInterval: reconnect ? 10_000 : 0,
  });
}

export class RedisFeed implements InvalidationFeed {
  readonly name = 'Redis pub/sub';
  private client: Client | null = null;
  private closed = false;

  constructor(private readonly url: string) {}

  start(handlers: FeedHandlers): void {
    const client = redisClient(this.url, true);
    this.client = client;
    let subscribed = false;
    client.on('error', (e: unknown) => {
      if (!this.closed) handlers.onError(e);
    });
    // After a reconnection the client has re-subscribed by the time it is ready; the first
    // 'ready' comes before our SUBSCRIBE, which reports onConnected itself below.
    client.on('ready', () => {
      if (subscribed && !this.closed) handlers.onConnected();
    });
    // connect() retries by itself (reconnectStrategy) until Redis answers or close() is called.
    client
      .connect()
      .then(() => client.subscribe(REDIS_INVALIDATION_CHANNEL, (message: string) => handlers.onTopic(message)))
      .then(() => {
        subscribed = true;
        if (!this.closed) handlers.onConnected();
      })
      .catch((e: unknown) => {
        if (!this.closed) handlers.onError(e);
      });
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = null;
    if (!client) return;
    try {
      await client.close();
    } catch {
      client.destroy();
    }
  }
}

export interface RedisPublisher {
  /** Resolves to the number of subscribers that received the message. */
  publish(topic: string): Promise<number>;
  close(): void;
}

/**
 * A connection for publishing (the CLI, around `keys rotate`). Opened before the change commits
 * so that the message leaves right after it. Bounded: a connect timeout and no reconnection.
 */
export async function openRedisPublisher(url: string): Promise<RedisPublisher> {
  const client = redisClient(url, false);
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (e) {
    client.destroy();
    throw e;
  }
  return {
    publish: (topic) => client.publish(REDIS_INVALIDATION_CHANNEL, topic),
    close: () => client.destroy(),
  };
}

/** Publishes `topic` once on a connection of its own. */
export async function publishToRedis(url: string, topic: string): Promise<number> {
  const publisher = await openRedisPublisher(url);
  try {
    return await publisher.publish(topic);
  } finally {
    publisher.close();
  }
}
