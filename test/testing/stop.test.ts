/**
 * portcullis/testing over HTTPS, and stop(): nothing of the server is left running — no listening
 * socket, no timer, not even an unref()ed one (tracked with async_hooks). A file of its own, so
 * no other test's HTTP client timers (fetch keeps pooled connections) are counted.
 */
import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import { request } from 'node:https';
import { describe, test } from 'node:test';
import { TEST_USERS, startPortcullis } from '../../src/testing/index.js';

const ALICE = TEST_USERS.alice.userPrincipalName;

describe('tls and stop()', () => {
  test('HTTPS with the returned CA certificate; stop() leaves no handles and no timers, not even unref()ed ones', async () => {
    const before = process.getActiveResourcesInfo().sort();
    // Every timer and server made while the kit runs, until it is destroyed (cleared, fired or closed).
    const alive = new Map<number, string>();
    const hook = createHook({
      init: (id, type) => {
        // Node's HTTP Date-header cache is one process-wide 1 s timer every response shares
        // (node:internal/http): not the kit's.
        if (type === 'Timeout' && /node:internal\/http:/.test(new Error().stack ?? '')) return;
        if (type === 'Timeout' || type === 'TCPSERVERWRAP' || type === 'TCPWRAP' || type === 'Immediate') alive.set(id, type);
      },
      destroy: (id) => alive.delete(id),
    }).enable();
    const kit = await startPortcullis({ tls: true });
    assert.ok(kit.caCertificate?.includes('BEGIN CERTIFICATE'));
    assert.ok(kit.url.startsWith('https://localhost:'));
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${kit.authority}/discovery/v2.0/keys`, { ca: kit.caCertificate!, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 200);
    await kit.tokens.password({ username: ALICE });
    await kit.stop();
    await new Promise((resolve) => setImmediate(resolve));
    hook.disable();
    assert.deepEqual(process.getActiveResourcesInfo().sort(), before);
    assert.deepEqual(
      [...alive.values()].filter((t) => t !== 'Immediate'),
      [],
    );
  });
});
