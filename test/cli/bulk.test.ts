/**
 * Bulk revocation through the real CLI: ≥ 2,000 users (seeded straight through the Store) in
 * $batch requests, the per-user results checked against the directory afterwards, the plain
 * progress lines of a non-terminal run and the rate; inner 429s retried after Retry-After; Ctrl-C
 * stopping after the batches in flight and reporting every user not attempted.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { EXIT } from '../../src/cli/cli-error.js';
import type { User } from '../../src/core/model.js';
import { newGuid } from '../../src/crypto/random.js';
import { DOMAIN, TENANT_ID } from '../helpers/harness.js';
import { MAIN, cli, startServer, tempConfigHome, type Server } from './cli-helpers.js';
import { APP, WEB_SECRET } from '../helpers/harness.js';

const BULK = 2000;

async function seedUsers(server: Server, prefix: string, n: number): Promise<User[]> {
  const users: User[] = [];
  const now = Date.now();
  for (let i = 0; i < n; i++) {
    const user: User = {
      id: newGuid(),
      tenantId: TENANT_ID,
      userPrincipalName: `${prefix}${i}@${DOMAIN}`,
      displayName: `${prefix} ${i}`,
      mail: null,
      passwordHash: null, // never signs in; only revoked
      accountEnabled: true,
      revocationEpoch: 0,
      signInSessionsValidFrom: null,
      refreshTokensValidFrom: null,
      roleTemplateIds: [],
      createdAt: now,
    };
    await server.store.users.insert(user);
    users.push(user);
  }
  return users;
}

async function appLogin(server: Server, xdg: string): Promise<void> {
  const run = await cli(
    ['login', '--server', server.url, '--tenant', TENANT_ID, '--client-id', APP.webApp, '--client-secret', WEB_SECRET],
    { xdg },
  );
  assert.equal(run.code, 0, run.stderr);
}

describe('bulk revocation', () => {
  let server: Server;
  let xdg: string;
  before(async () => {
    server = await startServer();
    xdg = tempConfigHome();
    await appLogin(server, xdg);
  });
  after(async () => {
    await server.close();
    rmSync(xdg, { recursive: true, force: true });
  });

  test(`${BULK} users from stdin: per-user jsonl results match the directory; plain progress lines; rate`, {
    timeout: 240_000,
  }, async () => {
    const users = await seedUsers(server, 'bulk', BULK);
    // Half by id, half by userPrincipalName, as an incident list would mix them.
    const input = users.map((u, i) => (i % 2 ? u.id : u.userPrincipalName)).join('\n');
    const run = await cli(['revoke', '--yes', '--output', 'jsonl'], { xdg, input, timeoutMs: 230_000 });
    assert.equal(run.code, 0, run.stderr.slice(-2000));
    const results = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(results.length, BULK);
    assert.ok(results.every((r) => r.result === 'done' && r.status === 200));
    assert.equal(new Set(results.map((r) => r.user)).size, BULK);
    // The directory agrees: every user's epoch was bumped exactly once.
    for (const u of users) {
      const now = await server.store.users.findById(TENANT_ID, u.id);
      assert.equal(now?.revocationEpoch, 1, `${u.userPrincipalName} epoch`);
    }
    // Not a terminal: plain lines, no carriage returns, and a summary with the rate.
    assert.match(run.stderr, /^progress: \d+\/2000 users, 0 failed, \d+ users\/s, ETA \S+$/m);
    assert.doesNotMatch(run.stderr, /\r/);
    const summary = /Summary: 2000 done, 0 failed, 0 not attempted of 2000 users in ([\d.]+) s \((\d+) users\/s\)\./.exec(run.stderr);
    assert.ok(summary, run.stderr);
    console.log(`# bulk rate: ${summary[2]} users/s (${BULK} users in ${summary[1]} s)`);
  });

  test('Ctrl-C stops after the batches in flight and reports every user not attempted', { timeout: 120_000 }, async () => {
    const users = await seedUsers(server, 'stop', 1000);
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'revoke', '--yes', '--output', 'jsonl', '--parallel', '1'], {
      env: { PATH: process.env.PATH ?? '', HOME: xdg, XDG_CONFIG_HOME: xdg },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      // Interrupt once the first results are out.
      if (!interrupted && stdout.split('\n').length > 40) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(users.map((u) => u.id).join('\n'));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, EXIT.INTERRUPTED, stderr);
    const results = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(results.length, users.length, 'every user is reported: done or not attempted');
    const done = results.filter((r) => r.result === 'done');
    const skipped = results.filter((r) => r.result === 'skipped');
    assert.ok(done.length > 0 && skipped.length > 0, `${done.length} done, ${skipped.length} skipped`);
    assert.equal(done.length + skipped.length, users.length);
    assert.match(stderr, new RegExp(`Interrupted: ${skipped.length} users were not attempted`));
    // The directory agrees with the report.
    for (const r of results) {
      const u = await server.store.users.findById(TENANT_ID, r.user);
      assert.equal(u?.revocationEpoch, r.result === 'done' ? 1 : 0, r.user);
    }
  });
});

test('bulk against a throttling server: inner 429s wait for Retry-After and every user ends done', { timeout: 120_000 }, async () => {
  // The burst (10) is smaller than one $batch of 20 inner requests (MAX_BATCH_SIZE, src/sdk/), so the
  // first batch is throttled however fast or slow the machine is; 10/s then lets the 50 users
  // through in a few Retry-After rounds of 1 s (src/graph/throttle.ts) rather than half a minute.
  const server = await startServer({ graphThrottle: { requestsPerSecond: 10, burst: 10 } });
  const xdg = tempConfigHome();
  try {
    await appLogin(server, xdg);
    const users = await seedUsers(server, 'thr', 50);
    const run = await cli(['revoke', '--yes', '--output', 'jsonl'], { xdg, input: users.map((u) => u.id).join('\n'), timeoutMs: 110_000 });
    assert.equal(run.code, 0, run.stderr);
    const results = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.ok(results.every((r) => r.result === 'done'));
    assert.ok(
      results.some((r) => r.attempts > 1),
      'some users were throttled and retried',
    );
    for (const u of users) assert.equal((await server.store.users.findById(TENANT_ID, u.id))?.revocationEpoch, 1);
  } finally {
    await server.close();
    rmSync(xdg, { recursive: true, force: true });
  }
});
