import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A minimal SSF transmitter for the middleware's unit-level tests, written from the specs (SSF 1.0
 * §7 metadata, RFC 8417 SETs signed RS256 with its own node:crypto key, RFC 8936 poll with acks)
 * and served over real HTTP on 127.0.0.1. It lets the middleware be tested on its own; the
 * integration suite (resource-server-integration.test.ts) runs against Portcullis's transmitter.
 */
export const SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
export const CREDENTIAL_CHANGE = 'https://schemas.openid.net/secevent/caep/event-type/credential-change';

export interface SigningKeyPair {
  kid: string;
  privateKey: KeyObject;
  jwk: Record<string, unknown>;
}

export function newKey(): SigningKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomUUID();
  const jwk = { ...(publicKey.export({ format: 'jwk' }) as Record<string, unknown>), kid, use: 'sig', alg: 'RS256' };
  return { kid, privateKey, jwk };
}

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

export function signJws(key: SigningKeyPair, header: Record<string, unknown>, payload: Record<string, unknown>): string {
  const input = `${b64({ alg: 'RS256', kid: key.kid, ...header })}.${b64(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key.privateKey).toString('base64url')}`;
}

export const userSubject = (oid: string, tid: string, session?: string) => ({
  format: 'complex',
  user: { format: 'opaque', id: oid },
  tenant: { format: 'opaque', id: tid },
  ...(session ? { session: { format: 'opaque', id: session } } : {}),
});

interface PollRequest {
  authorization: string | undefined;
  body: { maxEvents?: number; returnImmediately?: boolean; ack?: string[]; setErrs?: Record<string, { err: string; description: string }> };
}

export class TestTransmitter {
  key = newKey();
  private retired: SigningKeyPair[] = [];
  readonly issuer: string;
  readonly audience = 'https://api.example.test/ssf-receiver';
  /** Unacknowledged SETs by jti, in order (RFC 8936 §2.4: redelivered until acked). */
  readonly pending = new Map<string, string>();
  readonly acked: string[] = [];
  readonly errors: Record<string, { err: string; description: string }> = {};
  readonly polls: PollRequest[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {
    this.issuer = `${url}/ssf`;
  }

  static async start(): Promise<TestTransmitter> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const t = new TestTransmitter(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('request', (req, res) => void t.handle(req, res));
    return t;
  }

  get configurationUrl(): string {
    return `${this.url}/.well-known/ssf-configuration/ssf`;
  }

  get pollUrl(): string {
    return `${this.url}/ssf/poll`;
  }

  /** A SET with this transmitter's key; `override` replaces claims or header members. */
  set(
    events: Record<string, unknown>,
    subId: unknown,
    override: { header?: Record<string, unknown>; claims?: Record<string, unknown>; key?: SigningKeyPair } = {},
  ): string {
    const payload: Record<string, unknown> = {
      iss: this.issuer,
      aud: this.audience,
      jti: randomUUID(),
      iat: Math.floor(Date.now() / 1000),
      txn: randomUUID(),
      sub_id: subId,
      events,
      ...override.claims,
    };
    for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
    return signJws(override.key ?? this.key, { typ: 'secevent+jwt', ...override.header }, payload);
  }

  /** Key rotation: a new signing key; the old one stays published. */
  rotate(): SigningKeyPair {
    this.retired.push(this.key);
    this.key = newKey();
    return this.key;
  }

  /** Queues a SET for poll delivery; returns its jti. */
  queue(set: string): string {
    const jti = JSON.parse(Buffer.from(set.split('.')[1]!, 'base64url').toString()).jti as string;
    this.pending.set(jti, set);
    return jti;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && req.url === '/.well-known/ssf-configuration/ssf') {
      return json(200, {
        spec_version: '1_0',
        issuer: this.issuer,
        jwks_uri: `${this.url}/ssf/jwks`,
        delivery_methods_supported: ['urn:ietf:rfc:8935', 'urn:ietf:rfc:8936'],
      });
    }
    if (req.method === 'GET' && req.url === '/ssf/jwks') return json(200, { keys: [this.key.jwk, ...this.retired.map((k) => k.jwk)] });
    if (req.method === 'POST' && req.url === '/ssf/poll') {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as PollRequest['body'];
      this.polls.push({ authorization: req.headers.authorization, body });
      if (!req.headers.authorization?.startsWith('Bearer ')) return json(401, { error: 'unauthorized' });
      for (const jti of body.ack ?? []) {
        this.pending.delete(jti);
        this.acked.push(jti);
      }
      for (const [jti, e] of Object.entries(body.setErrs ?? {})) {
        this.pending.delete(jti);
        this.errors[jti] = e;
      }
      const max = body.maxEvents ?? 100;
      const sets = Object.fromEntries([...this.pending].slice(0, max));
      return json(200, { sets, moreAvailable: this.pending.size > Object.keys(sets).length });
    }
    json(404, { error: 'not found' });
  }
}
