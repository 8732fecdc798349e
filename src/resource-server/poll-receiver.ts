import type { ClientCredentials } from './client-credentials.js';
import { fetchJson, FetchError, type Fetch } from './http-json.js';
import type { SetErrorCode, SetResult } from './security-event.js';

/**
 * Poll delivery (RFC 8936): the receiver POSTs `{maxEvents, returnImmediately, ack, setErrs}` to
 * the stream's endpoint and gets `{sets: {jti: SET}, moreAvailable}`. A SET is acknowledged in
 * the next request only after it was recorded (durably, with a journal), so events a crash
 * interrupts stay with the transmitter and come again after the restart (RFC 8936 §2.4: unacked
 * SETs are redelivered).
 *
 * The loop is bounded: every request has a timeout, failures back off up to `maxBackoffMs`, and
 * stop() ends it (after one last request that hands over pending acks, itself time-limited).
 */
export interface SetSink {
  ingest(token: string): Promise<SetResult>;
}

export interface PollOptions {
  endpointUrl: string;
  credentials: ClientCredentials;
  fetch?: Fetch;
  /** Per request (RFC 8936 §2.1 maxEvents). */
  maxEvents?: number;
  /**
   * Least time between two requests that found nothing; a transmitter that long-polls holds the
   * request itself, and then the loop never waits.
   */
  intervalMs?: number;
  /** Ask the transmitter to hold the request until an event arrives (RFC 8936 §2.1). */
  longPoll?: boolean;
  /** Time limit of one request (a long poll included). */
  requestTimeoutMs?: number;
  maxBackoffMs?: number;
  onError?: (error: Error) => void;
}

interface PollResponse {
  sets: Record<string, string>;
  moreAvailable: boolean;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

export class PollingReceiver {
  private readonly stopping = new AbortController();
  private loop: Promise<void> | null = null;
  private ack: string[] = [];
  private setErrs: Record<string, { err: SetErrorCode; description: string }> = {};
  /** SETs received, accepted or not (for monitoring and tests). */
  received = 0;
  lastSuccessAt: number | null = null;

  constructor(
    private readonly sink: SetSink,
    private readonly options: PollOptions,
  ) {}

  /**
   * Drains what the transmitter holds (returnImmediately, until moreAvailable is false) and then
   * keeps polling in the background. Resolves after the drain: start serving requests only then,
   * so no token revoked while this process was down is accepted (RFC 8936 keeps unacked SETs).
   */
  async start(): Promise<void> {
    if (this.loop) throw new Error('the poll loop is already running');
    let more = true;
    while (more) more = (await this.pollOnce(true)).moreAvailable;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
    this.loop = null;
    // Hand over acks of SETs already recorded, so they are not delivered again.
    if (this.ack.length > 0 || Object.keys(this.setErrs).length > 0) {
      await this.request(true, 0, AbortSignal.timeout(this.options.requestTimeoutMs ?? 10_000)).catch(() => undefined);
    }
  }

  private async run(): Promise<void> {
    const signal = this.stopping.signal;
    let backoff = 0;
    while (!signal.aborted) {
      const started = Date.now();
      try {
        const { moreAvailable, count } = await this.pollOnce(!(this.options.longPoll ?? true));
        backoff = 0;
        if (moreAvailable || count > 0) continue;
        await sleep(Math.max(0, (this.options.intervalMs ?? 250) - (Date.now() - started)), signal);
      } catch (error) {
        if (signal.aborted) break;
        this.options.onError?.(error as Error);
        backoff = Math.min(this.options.maxBackoffMs ?? 5_000, Math.max(100, backoff * 2));
        await sleep(backoff, signal);
      }
    }
  }

  private async pollOnce(returnImmediately: boolean): Promise<{ moreAvailable: boolean; count: number }> {
    const signal = AbortSignal.any([AbortSignal.timeout(this.options.requestTimeoutMs ?? 30_000), this.stopping.signal]);
    const response = await this.request(returnImmediately, this.options.maxEvents ?? 100, signal);
    let deferred = 0;
    for (const [jti, token] of Object.entries(response.sets)) {
      this.received += 1;
      const result = await this.sink.ingest(token);
      if (result.ok) this.ack.push(result.jti);
      // Neither acked nor refused: the transmitter keeps it and delivers it again.
      else if (result.transient) deferred += 1;
      else this.setErrs[jti] = { err: result.err, description: result.description };
    }
    this.lastSuccessAt = Date.now();
    const count = Object.keys(response.sets).length;
    // Only deferred SETs came back: asking again at once would get the same ones.
    if (deferred > 0 && deferred === count) return { moreAvailable: false, count: 0 };
    return { moreAvailable: response.moreAvailable, count };
  }

  /** One poll; acks are cleared only once the transmitter has answered (it received them). */
  private async request(returnImmediately: boolean, maxEvents: number, signal: AbortSignal): Promise<PollResponse> {
    const ack = [...this.ack];
    const setErrs = { ...this.setErrs };
    const body = {
      maxEvents,
      returnImmediately,
      ...(ack.length > 0 ? { ack } : {}),
      ...(Object.keys(setErrs).length > 0 ? { setErrs } : {}),
    };
    const post = async (): Promise<Record<string, unknown>> =>
      fetchJson(this.options.fetch ?? fetch, this.options.endpointUrl, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await this.options.credentials.token()}`,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: JSON.stringify(body),
        signal,
      });
    let answer: Record<string, unknown>;
    try {
      answer = await post();
    } catch (error) {
      // An expired or revoked app token: fetch a new one once.
      if (!(error instanceof FetchError && error.status === 401)) throw error;
      this.options.credentials.invalidate();
      answer = await post();
    }
    this.ack = this.ack.slice(ack.length);
    for (const jti of Object.keys(setErrs)) delete this.setErrs[jti];
    const sets = typeof answer.sets === 'object' && answer.sets !== null ? (answer.sets as Record<string, unknown>) : {};
    const valid: Record<string, string> = {};
    for (const [jti, set] of Object.entries(sets)) if (typeof set === 'string') valid[jti] = set;
    return { sets: valid, moreAvailable: answer.moreAvailable === true };
  }
}
