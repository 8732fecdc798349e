#!/usr/bin/env node
/**
 * B2's administrator, in its own process so that its latency figures do not include the load
 * generator's event loop (which is busy parsing thousands of refresh answers a second): it waits
 * for `{ userId }` messages over IPC, calls revokeSignInSessions once for each, and answers
 * `{ userId, sentAt, answeredAt, status }` with epoch-millisecond times (performance.timeOrigin +
 * performance.now(), comparable across processes). Started by bench/b2-revoke.ts with fork().
 * Environment: BENCH_ORIGIN (loopback only), BENCH_TOKEN (an app-only access token),
 * BENCH_WARMUP_USER (a user id for the warm-up reads).
 */
import { Pool } from 'undici';

const origin = process.env.BENCH_ORIGIN ?? '';
const host = new URL(origin).hostname;
if (host !== '127.0.0.1' && host !== 'localhost') throw new Error('the revoker only talks to loopback');
const pool = new Pool(origin, { connections: 1 });
const now = () => performance.timeOrigin + performance.now();

process.on('message', async (m) => {
  if (m === 'stop') {
    await pool.close();
    process.exit(0);
  }
  const sentAt = now();
  const res = await pool.request({
    path: `/v1.0/users/${m.userId}/revokeSignInSessions`,
    method: 'POST',
    headers: { authorization: `Bearer ${process.env.BENCH_TOKEN}`, 'content-type': 'application/json' },
    body: '{}',
  });
  await res.body.text();
  process.send({ userId: m.userId, sentAt, answeredAt: now(), status: res.statusCode });
});
// Warm the connection and both sides' code paths (authentication, routing, this client) first,
// so the first measured revoke does not pay for a TCP handshake and cold, unoptimised code.
for (let i = 0; i < 50; i++) {
  const res = await pool.request({
    path: `/v1.0/users/${process.env.BENCH_WARMUP_USER}`,
    method: 'GET',
    headers: { authorization: `Bearer ${process.env.BENCH_TOKEN}` },
  });
  await res.body.text();
}
process.send('ready');
