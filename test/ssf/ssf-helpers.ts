import assert from 'node:assert/strict';
import { createPublicKey, verify, type JsonWebKey } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/app.js';
import { systemClock } from '../../src/clock.js';
import { DEFAULT_SSF_CONFIG, makeAppConfig, type SsfConfig } from '../../src/config.js';
import { SHARED_SIGNALS_PERMISSION } from '../../src/core/permissions.js';
import { hashSecret } from '../../src/crypto/passwords.js';
import { newGuid } from '../../src/crypto/random.js';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import type { Store } from '../../src/store/store.js';
import { appToken, application, seedDirectory, TENANT_ID, type Harness } from '../helpers/harness.js';
import { PG_TEST_URL, freshSchema, requirePostgres } from '../helpers/postgres.js';
import { freePort } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

/** Receiver applications the SSF tests add to the harness's tenant. */
export const RX = {
  a: 'c0ffee00-0000-4000-8000-00000000000a',
  b: 'c0ffee00-0000-4000-8000-00000000000b',
  /** Holds only Graph permissions. */
  noPermission: 'c0ffee00-0000-4000-8000-00000000000c',
} as const;
export const RX_SECRET = 'receiver-secret-value-0123456789';

/** Test settings: http push endpoints on loopback, short long-polls, no verification spacing. */
export function ssfTestConfig(overrides: Partial<SsfConfig> = {}): SsfConfig {
  return {
    ...DEFAULT_SSF_CONFIG,
    allowHttpPushEndpoints: true,
    pollWaitSeconds: 2,
    pushRetryBaseMs: 50,
    pushScanIntervalMs: 50,
    pushTimeoutMs: 2_000,
    minVerificationIntervalSeconds: 0,
    ...overrides,
  };
}

export async function addReceivers(h: Harness): Promise<void> {
  const secret = async () => ({
    keyId: newGuid(),
    hash: await hashSecret(RX_SECRET),
    hint: RX_SECRET.slice(0, 3),
    displayName: null,
    endDateTime: null,
  });
  for (const appId of [RX.a, RX.b]) {
    await h.store.applications.upsert(
      application({
        appId,
        displayName: `Receiver ${appId.slice(-1)}`,
        secrets: [await secret()],
        applicationPermissions: [SHARED_SIGNALS_PERMISSION],
        delegatedPermissions: [],
      }),
    );
  }
  await h.store.applications.upsert(
    application({
      appId: RX.noPermission,
      displayName: 'No permission',
      secrets: [await secret()],
      applicationPermissions: ['User.Read.All'],
      delegatedPermissions: [],
    }),
  );
}

/** A client-credentials token of a receiver, minted by the app's own issuer (real RS256). */
export function receiverToken(h: Harness, appId: string, roles: string[] = [SHARED_SIGNALS_PERMISSION]): string {
  return appToken(h, roles, appId);
}

export interface Reply {
  status: number;
  headers: Record<string, unknown>;
  body: any;
}

/** One request through the app (real routing and serialisation). */
export async function call(
  h: Harness,
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  path: string,
  token: string | null,
  body?: unknown,
): Promise<Reply> {
  const res = await h.app.http.inject({
    method,
    url: path,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
  });
  return { status: res.statusCode, headers: res.headers, body: res.body ? JSON.parse(res.body) : null };
}

export const ssfPath = (rest: string): string => `/${TENANT_ID}/ssf/${rest}`;

export interface ReceivedSet {
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * An RFC 8935 push receiver on 127.0.0.1: records every request and answers with `respond`
 * (default 202; status 0 = never answer). Real HTTP, so the transmitter's client, timeouts and headers are exercised.
 */
export class PushReceiver {
  readonly received: ReceivedSet[] = [];
  respond: (req: ReceivedSet) => { status: number; body?: unknown } = () => ({ status: 202 });
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(path = '/events'): Promise<PushReceiver> {
    let self: PushReceiver | null = null;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const item = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        self!.received.push(item);
        const answer = self!.respond(item);
        if (answer.status === 0) return; // never answer: the sender's timeout or death decides
        res.writeHead(answer.status, answer.body === undefined ? {} : { 'content-type': 'application/json' });
        res.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    self = new PushReceiver(server, `http://127.0.0.1:${port}${path}`);
    return self;
  }

  async waitForCount(n: number, timeoutMs = 10_000): Promise<void> {
    await waitFor(`${n} SETs at the push receiver (have ${this.received.length})`, () => this.received.length >= n, timeoutMs);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export interface VerifiedSet {
  header: Record<string, any>;
  payload: Record<string, any>;
}

/**
 * Checks a SET the way a receiver must, independently of Portcullis's own JWT code: RS256
 * signature with the JWKS key its kid names, and the SSF 1.0 §4 SET profile (typ secevent+jwt,
 * no sub, no exp, iss, aud, iat, jti, txn, sub_id, exactly one event).
 */
export function verifySet(set: string, jwks: { keys: JsonWebKey[] }, expected: { iss: string; aud: string }): VerifiedSet {
  const [h, p, s] = set.split('.');
  assert.ok(h && p && s, 'a compact JWS');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  assert.equal(header.alg, 'RS256');
  assert.equal(header.typ, 'secevent+jwt');
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  assert.ok(jwk, `the JWKS has the SET's kid ${header.kid}`);
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  assert.ok(verify('sha256', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url')), 'the signature verifies with the JWKS key');
  assert.equal(payload.iss, expected.iss);
  assert.equal(payload.aud, expected.aud);
  assert.equal(payload.sub, undefined, 'no sub (SSF 1.0 §4)');
  assert.equal(payload.exp, undefined, 'no exp (SSF 1.0 §4)');
  assert.equal(typeof payload.iat, 'number');
  assert.equal(typeof payload.jti, 'string');
  assert.equal(typeof payload.txn, 'string');
  assert.equal(typeof payload.sub_id, 'object');
  assert.equal(Object.keys(payload.events).length, 1, 'exactly one event');
  return { header, payload };
}

export const eventTypeOf = (v: VerifiedSet): string => Object.keys(v.payload.events)[0]!;

export type StoreKind = 'sqlite' | 'postgres';

/**
 * The app on a real store of either kind — a SQLite file, or a fresh schema on the real
 * PostgreSQL — seeded like makeHarness plus the receivers, listening on 127.0.0.1 over HTTP
 * (the public URL is that address, so poll endpoint URLs are reachable).
 */
export async function ssfHarness(kind: StoreKind, ssf: Partial<SsfConfig> = {}): Promise<Harness & { url: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-ssf-'));
  const dbFile = join(dir, 'portcullis.db');
  let dropSchema: (() => Promise<void>) | null = null;
  let store: Store;
  if (kind === 'sqlite') {
    store = openSqliteStore(dbFile);
  } else {
    const { schema, drop } = await freshSchema('portcullis_ssf');
    dropSchema = drop;
    store = await openPostgresStore({ url: PG_TEST_URL, schema });
  }
  const users = await seedDirectory(store, systemClock.now());
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = makeAppConfig({ publicUrl: url, logLevel: 'silent', ssf: ssfTestConfig(ssf) });
  const app = await createApp({ config, store, clock: systemClock });
  await app.http.listen({ host: '127.0.0.1', port });
  const h: Harness & { url: string } = {
    app,
    store,
    clock: systemClock,
    dir,
    dbFile,
    users,
    url,
    close: async () => {
      await app.close();
      await store.close();
      await dropSchema?.();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await addReceivers(h);
  return h;
}

/** Store kinds to run a suite on: PostgreSQL only when reachable (requirePostgres reports why not, visibly). */
export async function storeKinds(suite: string): Promise<StoreKind[]> {
  return (await requirePostgres(`${suite}: PostgreSQL`)) ? ['sqlite', 'postgres'] : ['sqlite'];
}

/**
 * The receiver-side check of docs/push-revocation.md, with a real JOSE library (`jose`): the JWKS
 * fetched from the transmitter's jwks_uri over HTTP, RS256, typ, issuer and audience.
 */
export async function verifyWithJose(
  set: string,
  jwksUri: string,
  expected: { iss: string; aud: string },
): Promise<Record<string, unknown>> {
  const { createRemoteJWKSet, jwtVerify } = await import('jose');
  const { payload, protectedHeader } = await jwtVerify(set, createRemoteJWKSet(new URL(jwksUri)), {
    issuer: expected.iss,
    audience: expected.aud,
    typ: 'secevent+jwt',
    algorithms: ['RS256'],
  });
  assert.equal(protectedHeader.typ, 'secevent+jwt');
  return payload as Record<string, unknown>;
}
