import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type { JSONWebKeySet } from 'jose';
import { LogoutReceiver, verifyLogoutToken } from '../helpers/logout-receiver.js';
import { freePort, killHard, spawnUntil } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

/**
 * I3 (docs/revocation-model.md) extended to push: a revoke that answered is followed by its logout tokens even if
 * the server is killed (-9) before it could deliver them. The receiver is down at first, so the
 * deliveries sit in the outbox (failing) when the process dies; after a restart with the
 * receiver up, every token arrives exactly once.
 */
const TENANT = '5d2c3b4a-1e0f-4a9b-8c7d-6e5f4a3b2c1d';
const DOMAIN = 'crash.test';
const PASSWORD = 'Crash-Pass-7';
const PUBLIC = '6e5f4a3b-2c1d-4e0f-9a8b-7c6d5e4f3a2b';
const DAEMON = '7f6e5d4c-3b2a-4190-8a7b-6c5d4e3f2a1b';
const DAEMON_SECRET = 'crash-daemon-secret-0123456789';
const USERS = ['ann', 'ben', 'cat'];

describe('back-channel logout survives kill -9 between the revoke and the delivery', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bcl-crash-'));
  let server: ChildProcess | null = null;
  let receiver: LogoutReceiver | null = null;
  after(async () => {
    if (server) await killHard(server);
    await receiver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the tokens arrive after the restart, once each', async () => {
    const [port, receiverPort] = [await freePort(), await freePort()];
    const base = `http://127.0.0.1:${port}`;
    writeFileSync(
      join(dir, 'seed.json'),
      JSON.stringify({
        tenant: { id: TENANT, domain: DOMAIN, displayName: 'Crash' },
        users: USERS.map((u) => ({ userPrincipalName: `${u}@${DOMAIN}`, displayName: u, password: PASSWORD })),
        applications: [
          {
            appId: PUBLIC,
            displayName: 'RP',
            publicClient: { redirectUris: ['http://localhost'] },
            allowPublicClientFlows: true,
            delegatedPermissions: ['User.Read'],
            backchannel_logout_uri: `http://127.0.0.1:${receiverPort}/bcl`,
          },
          {
            appId: DAEMON,
            displayName: 'Revoker',
            passwordCredentials: [{ secretText: DAEMON_SECRET }],
            applicationPermissions: ['User.RevokeSessions.All'],
          },
        ],
      }),
    );
    const serve = () =>
      spawnUntil(
        'src/cli/main.ts',
        [
          'serve',
          '--port',
          String(port),
          '--host',
          '127.0.0.1',
          '--data-dir',
          join(dir, 'data'),
          '--seed',
          join(dir, 'seed.json'),
          '--log-level',
          'silent',
          '--outbox-poll-ms',
          '100',
          '--outbox-backoff-ms',
          '200',
          '--outbox-lease-seconds',
          '10',
        ],
        'Portcullis ready',
        90_000,
      );
    const post = async (path: string, form: Record<string, string>, bearer?: string) => {
      const res = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
        body: new URLSearchParams(form),
        signal: AbortSignal.timeout(20_000),
      });
      return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, string> };
    };
    const tokenPath = `/${TENANT}/oauth2/v2.0/token`;

    server = await serve();
    // One sign-in per user (the password grant: no browser session, so sub-only tokens).
    const subs = new Map<string, string>();
    for (const u of USERS) {
      const r = await post(tokenPath, {
        grant_type: 'password',
        client_id: PUBLIC,
        username: `${u}@${DOMAIN}`,
        password: PASSWORD,
        scope: 'openid User.Read',
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      subs.set(u, JSON.parse(Buffer.from(r.body.id_token!.split('.')[1]!, 'base64url').toString()).sub);
    }
    const daemon = await post(tokenPath, {
      grant_type: 'client_credentials',
      client_id: DAEMON,
      client_secret: DAEMON_SECRET,
      scope: 'https://graph.microsoft.com/.default',
    });
    assert.equal(daemon.status, 200);
    for (const u of USERS) {
      const res = await fetch(`${base}/v1.0/users/${u}@${DOMAIN}/revokeSignInSessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${daemon.body.access_token}` },
        signal: AbortSignal.timeout(20_000),
      });
      assert.equal(res.status, 200, await res.text());
    }
    // The receiver is down: let the dispatcher fail at least once, then kill -9.
    await new Promise((r) => setTimeout(r, 500));
    await killHard(server);
    server = null;
    // What the dead process left: the three deliveries pending, each with a failed attempt.
    const db = new Database(join(dir, 'data', 'portcullis.db'), { readonly: true });
    try {
      const rows = db
        .prepare("SELECT status, attempts, last_error FROM outbox_deliveries WHERE sink = 'oidc-backchannel-logout'")
        .all() as {
        status: string;
        attempts: number;
        last_error: string | null;
      }[];
      assert.equal(rows.length, USERS.length);
      for (const r of rows) {
        assert.equal(r.status, 'pending');
        assert.ok(r.attempts >= 1, 'the receiver was down when the process died');
        assert.match(r.last_error ?? '', /ECONNREFUSED|fetch failed/);
      }
    } finally {
      db.close();
    }

    receiver = await LogoutReceiver.start(receiverPort);
    server = await serve();
    await waitFor('three logout tokens after the restart', () => receiver!.posts.length >= USERS.length, 30_000);
    // Long enough for any duplicate (a retry, another pass) to show up.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(receiver.posts.length, USERS.length, 'exactly one POST per expected token');

    const config = (await (await fetch(`${base}/${TENANT}/v2.0/.well-known/openid-configuration`)).json()) as {
      issuer: string;
      jwks_uri: string;
    };
    const jwks = (await (await fetch(config.jwks_uri.replace(/^https?:\/\/[^/]+/, base))).json()) as JSONWebKeySet;
    const received = new Set<string>();
    for (const p of receiver.posts) {
      assert.equal(p.status, 200);
      const { payload } = await verifyLogoutToken(p.logoutToken!, jwks, { issuer: config.issuer, audience: PUBLIC });
      assert.equal(payload.sid, undefined, 'a password-grant sign-in has no session id');
      received.add(payload.sub!);
    }
    assert.deepEqual([...received].sort(), [...subs.values()].sort());
  });
});
