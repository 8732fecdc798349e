/**
 * A real Portcullis on a real TLS socket for end-to-end tests: a self-signed certificate made
 * here (SANs localhost and 127.0.0.1), a real SQLite file in a temp dir seeded with the test
 * directory, and `listen` on 127.0.0.1 at a port found by binding a throwaway server to port 0.
 * Nothing is mocked; the clients under test must trust the certificate themselves (see tls.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { generate } from 'selfsigned';
import { createApp, type PortcullisApp } from '../../../src/app.js';
import { makeAppConfig, type AppConfig } from '../../../src/config.js';
import type { User } from '../../../src/core/model.js';
import { openSqliteStore } from '../../../src/store/sqlite/open.js';
import type { Store } from '../../../src/store/store.js';
import { TENANT_ID, seedDirectory } from '../../helpers/harness.js';

const DAY_MS = 24 * 3600 * 1000;

export interface TestCertificate {
  cert: string;
  key: string;
}

/** A throwaway self-signed server certificate for localhost / 127.0.0.1. */
export async function makeLocalhostCertificate(): Promise<TestCertificate> {
  const now = Date.now();
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: new Date(now - DAY_MS),
    notAfterDate: new Date(now + DAY_MS),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** A port that was free a moment ago on 127.0.0.1 (bind to 0, read it, release it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = probe.address();
      if (address === null || typeof address === 'string') {
        probe.close();
        reject(new Error('no port from the probe server'));
        return;
      }
      probe.close((err) => (err ? reject(err) : resolve(address.port)));
    });
  });
}

export interface RunningServer {
  port: number;
  /** `https://localhost:${port}` */
  publicUrl: string;
  /** MSAL authority: `${publicUrl}/${TENANT_ID}` */
  authority: string;
  /** OIDC issuer: `${publicUrl}/${TENANT_ID}/v2.0` */
  issuer: string;
  /** The PEM the clients must trust. */
  certPem: string;
  app: PortcullisApp;
  store: Store;
  users: Record<string, User>;
  dir: string;
  close(): Promise<void>;
}

export interface StartOptions {
  config?: Partial<AppConfig>;
  /** Runs after the routes are registered and before listen (hooks must be added before ready). */
  beforeListen?: (http: FastifyInstance) => void;
}

/**
 * Starts the server. The port is chosen before the app is built (the public URL names it), so a
 * port taken by someone else between probe and listen is retried with a fresh one.
 */
export async function startHttpsServer(options: StartOptions = {}): Promise<RunningServer> {
  const tls = await makeLocalhostCertificate();
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const publicUrl = `https://localhost:${port}`;
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-e2e-'));
    const store = openSqliteStore(join(dir, 'portcullis.db'), Date.now());
    let app: PortcullisApp | undefined;
    try {
      const users = await seedDirectory(store, Date.now());
      const config = makeAppConfig({ publicUrl, logLevel: 'silent', ...options.config });
      app = await createApp({ config, store, https: { cert: tls.cert, key: tls.key } });
      options.beforeListen?.(app.http);
      await app.http.listen({ host: '127.0.0.1', port });
      const running = app;
      return {
        port,
        publicUrl,
        authority: `${publicUrl}/${TENANT_ID}`,
        issuer: `${publicUrl}/${TENANT_ID}/v2.0`,
        certPem: tls.cert,
        app: running,
        store,
        users,
        dir,
        close: async () => {
          try {
            await running.close();
          } finally {
            await store.close();
            rmSync(dir, { recursive: true, force: true });
          }
        },
      };
    } catch (e) {
      lastError = e;
      await app?.close().catch(() => undefined);
      await store.close();
      rmSync(dir, { recursive: true, force: true });
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    }
  }
  throw lastError;
}

/** Counts token-endpoint calls by grant_type (the parsed form body is available at preHandler). */
export class TokenEndpointCounter {
  readonly byGrant = new Map<string, number>();
  install(http: FastifyInstance): void {
    http.addHook('preHandler', async (req) => {
      if (req.method !== 'POST' || !/\/oauth2\/v2\.0\/token$/.test(req.url.split('?')[0] ?? '')) return;
      const body = req.body as Record<string, unknown> | undefined;
      const grant = typeof body?.grant_type === 'string' ? body.grant_type : '(none)';
      this.byGrant.set(grant, (this.byGrant.get(grant) ?? 0) + 1);
    });
  }
  count(grant: string): number {
    return this.byGrant.get(grant) ?? 0;
  }
}
