import pg from 'pg';
import { PG_INVALIDATION_CHANNEL } from '../store/postgres/notify.js';
import { backoffMs, type FeedHandlers, type InvalidationFeed } from './invalidation.js';

/**
 * LISTEN on a dedicated connection (a pooled one would be handed to requests, and LISTEN is
 * session state; it also does not survive PgBouncer's transaction mode — use Redis there).
 * When the connection drops (server restart, failover, network), it reconnects with backoff
 * and reports onConnected, because NOTIFYs sent while it was away are not queued for it.
 */
export class PgNotifyFeed implements InvalidationFeed {
  readonly name = 'PostgreSQL LISTEN/NOTIFY';
  private handlers: FeedHandlers | null = null;
  private client: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private failures = 0;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly connectTimeoutMs = 5_000,
  ) {}

  start(handlers: FeedHandlers): void {
    this.handlers = handlers;
    void this.connect();
  }

  private async connect(): Promise<void> {
    this.timer = null;
    const handlers = this.handlers;
    if (this.closed || !handlers) return;
    const client = new pg.Client({
      connectionString: this.url,
      connectionTimeoutMillis: this.connectTimeoutMs,
      // A silently dead peer (no FIN) is noticed by TCP keepalive rather than never.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      application_name: 'portcullis-listen',
    });
    this.client = client;
    let dropped = false;
    const drop = (error?: unknown) => {
      if (dropped) return;
      dropped = true;
      if (this.client === client) this.client = null;
      client.end().catch(() => undefined);
      if (this.closed) return;
      handlers.onError(error ?? new Error('LISTEN connection closed'));
      this.scheduleReconnect();
    };
    client.on('error', drop);
    client.on('end', () => drop());
    client.on('notification', (n) => {
      if (n.channel === PG_INVALIDATION_CHANNEL && n.payload) handlers.onTopic(n.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${PG_INVALIDATION_CHANNEL}`);
    } catch (e) {
      drop(e);
      return;
    }
    if (this.closed || dropped) return;
    this.failures = 0;
    handlers.onConnected();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => void this.connect(), backoffMs(this.failures++));
    // Never the reason a stopping process stays up.
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }
}
