import assert from 'node:assert/strict';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { TENANT, USERS, call, daemonToken, passwordSignIn, seedJson } from '../scale/cluster.js';
import { waitFor } from '../helpers/wait.js';
import { FaultLoad, describeVerdict, judge } from './fault-load.js';
import { mountTmpfs, requireTmpfsMount, setFileSizeLimit } from './privileges.js';
import { ServerProcess } from './server-process.js';
import { dbFile, readState } from './sqlite-state.js';

/**
 * docs/fault-injection.md, "Disk full and write errors under SQLite": the disk fills up, or writes fail, under a real `serve` process on SQLite, while
 * refresh chains and revokes keep coming. Two faults, each injected once per run into a running
 * server:
 * - ENOSPC: the data directory is a 16 MiB tmpfs the test mounts, filled to the last byte by a
 *   filler file; space returns when the test deletes it;
 * - EFBIG: RLIMIT_FSIZE of the server process lowered (prlimit) to the size its files have, so
 *   no file may grow (Node ignores SIGXFSZ, so the write fails instead of killing it); lifted again.
 * Checked: while writes fail, every answer is 200 or a proper 503 (temporarily_unavailable /
 * serviceNotAvailable, Retry-After) — never a 500; reads still work; the same process serves again
 * once space returns; I1 holds over the history; and after a kill -9, every revoke that answered
 * is in the database (epoch >= answered, <= sent) and integrity_check is ok.
 */
interface Fault {
  name: string;
  /** Makes the data dir; returns what undoes it. */
  prepare(dataDir: string): Promise<() => Promise<void>>;
  inject(server: ServerProcess, dataDir: string): Promise<string>;
  heal(server: ServerProcess, dataDir: string): Promise<void>;
}

const TMPFS_MIB = 16;

/** Writes until the file system says ENOSPC; bounded by its size. */
function fillUp(file: string): number {
  const fd = openSync(file, 'a');
  let written = 0;
  try {
    for (const chunk of [1 << 20, 1 << 16, 1 << 12, 512]) {
      const buf = Buffer.alloc(chunk, 0x5a);
      for (let i = 0; i < (TMPFS_MIB << 20) / chunk + 1; i++) {
        try {
          written += writeSync(fd, buf);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

const diskFull: Fault = {
  name: 'ENOSPC (data dir on a full tmpfs)',
  async prepare(dataDir) {
    mkdirSync(dataDir, { recursive: true });
    return mountTmpfs(dataDir, TMPFS_MIB);
  },
  async inject(_server, dataDir) {
    const bytes = fillUp(join(dataDir, 'filler'));
    return `filled the last ${(bytes / 1048576).toFixed(1)} MiB of the ${TMPFS_MIB} MiB tmpfs`;
  },
  async heal(_server, dataDir) {
    unlinkSync(join(dataDir, 'filler'));
  },
};

const fileSizeLimit: Fault = {
  name: 'EFBIG (RLIMIT_FSIZE at the current file sizes)',
  async prepare(dataDir) {
    mkdirSync(dataDir, { recursive: true });
    return async () => undefined;
  },
  async inject(server, dataDir) {
    const largest = Math.max(...readdirSync(dataDir).map((f) => statSync(join(dataDir, f)).size));
    await setFileSizeLimit(server.pid, largest);
    return `RLIMIT_FSIZE=${largest} bytes on pid ${server.pid}`;
  },
  async heal(server) {
    await setFileSizeLimit(server.pid, null);
  },
};

async function runFault(fault: Fault): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-diskfull-'));
  const dataDir = join(dir, 'data');
  const seedFile = join(dir, 'seed.json');
  writeFileSync(seedFile, seedJson());
  const undo = await fault.prepare(dataDir);
  let server: ServerProcess | null = null;
  try {
    server = await ServerProcess.start({ dataDir, seedFile });
    const current = server;
    const admin = await daemonToken(current.base);
    const load = new FaultLoad({
      bases: () => [current.base],
      users: USERS,
      adminToken: admin,
      maxMs: 60_000,
      maxRequests: 40_000,
      paceMs: 5,
      retryPauseMs: 100,
      revokeEveryMs: 150,
    });
    let what = '';
    let injectedAt = 0;
    let healedAt = 0;
    let recoveredAt = 0;
    let readStatus = 0;
    try {
      await sleep(1_500);
      injectedAt = performance.now();
      what = await fault.inject(current, dataDir);
      const failed = () => load.samples.filter((s) => s.start >= injectedAt && s.outcome.status >= 500).length;
      // Enough writes for the WAL to need a new page: bounded, and the test fails if none fails.
      // (Any 5xx counts here; which 5xx it was is judged below.)
      await waitFor('writes to fail', () => failed() >= 10, 20_000, 25);
      // What needs no write still answers: the process is alive, not wedged.
      readStatus = (await call(current.base, `/${TENANT}/v2.0/.well-known/openid-configuration`, { method: 'GET' })).status;
      await sleep(1_000);
      healedAt = performance.now();
      await fault.heal(current, dataDir);
      await waitFor(
        'every chain to refresh again',
        () =>
          USERS.every((u) =>
            load.samples.some((s) => s.user === u && s.kind === 'refresh' && s.outcome.status === 200 && s.start >= healedAt),
          ),
        15_000,
        25,
      );
      recoveredAt = performance.now();
      await sleep(1_000);
    } finally {
      await load.stop();
    }
    const verdict = judge(load.samples);
    const during = load.samples.filter((s) => s.start >= injectedAt && s.end <= healedAt);
    const refusedWrites = during.filter((s) => s.outcome.status === 503);
    const late503 = load.samples.filter((s) => s.outcome.status === 503 && (s.end < injectedAt || s.start > recoveredAt));
    const violations = load.violations();

    // Acknowledged writes survive a crash right after the fault (I3).
    await current.kill();
    const state = readState(dbFile(dataDir));
    const lost = USERS.filter((u) => (state.epochs.get(u) ?? -1) < load.answeredRevokes(u));
    const phantom = USERS.filter((u) => (state.epochs.get(u) ?? 0) > (load.revokesSent.get(u) ?? 0));
    server = await ServerProcess.start({ dataDir });
    const after = await passwordSignIn(server.base, 'alice');

    const report =
      `${fault.name}: ${what}; requests=${load.samples.length} ${describeVerdict(verdict)} | during the fault: ${during.length} requests, ` +
      `${refusedWrites.length} refused with 503 (${refusedWrites.filter((s) => s.kind === 'revoke').length} revokes), read ${readStatus} | ` +
      `recovered ${Math.round(recoveredAt - healedAt)} ms after space returned | I1 attempts=${load.attempts.length} revokes answered=${load.revokes.length} ` +
      `violations=${violations.length} | after kill -9: lost revokes=${lost.length} phantom=${phantom.length} integrity=${state.integrity}`;
    console.log(`disk faults: ${report}`);
    assert.deepEqual(verdict.unexpected.slice(0, 5), [], report);
    assert.equal(readStatus, 200, report);
    assert.deepEqual(
      late503.map((s) => ({ kind: s.kind, at: Math.round(s.start - injectedAt) })),
      [],
      report,
    );
    assert.deepEqual(violations, [], report);
    assert.deepEqual(lost, [], `acknowledged revokes lost: ${report}`);
    assert.deepEqual(phantom, [], report);
    assert.equal(state.integrity, 'ok', report);
    assert.ok(load.revokes.length >= 5, report);
    assert.equal(after.status, 200, 'the restarted server serves');
  } finally {
    await server?.kill();
    await undo();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('SQLite disk full and write errors under a running server', () => {
  test(fileSizeLimit.name, { timeout: 180_000 }, () => runFault(fileSizeLimit));
});

if (await requireTmpfsMount('SQLite disk full on a tmpfs')) {
  describe('SQLite disk full (tmpfs)', () => {
    test(diskFull.name, { timeout: 180_000 }, () => runFault(diskFull));
  });
}
