/**
 * The CLI on a terminal: run under a pseudo-terminal with util-linux `script -qfec`, which gives
 * the child a real tty and relays our input to it. Shows the redrawn progress bar (rate + ETA)
 * and the per-user --confirm prompt.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { APP, TENANT_ID, WEB_SECRET } from '../helpers/harness.js';
import { startHttpsServer } from '../e2e/helpers/https-server.js';
import { reload } from '../graph/graph-helpers.js';
import { MAIN, cli, startServer, tempConfigHome, type Server } from './cli-helpers.js';

const hasScript = spawnSync('script', ['--version']).status === 0;
// In CI a missing pseudo-terminal tool is a broken environment, not a reason to skip.
if (!hasScript && process.env.CI === 'true') throw new Error('util-linux `script` is missing: the terminal tests cannot run');
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs the CLI on a pseudo-terminal; `respond` sees the output so far and may return input to type. */
function onTerminal(
  args: string[],
  xdg: string,
  respond: (out: string) => string | null = () => null,
  redirectStdin?: string,
  pipeFrom?: string,
): Promise<{ code: number | null; out: string }> {
  const cli = [process.execPath, '--import', 'tsx', MAIN, ...args].map(quote).join(' ');
  const command = `${pipeFrom ? `cat ${quote(pipeFrom)} | ` : ''}${cli}${redirectStdin ? ` < ${quote(redirectStdin)}` : ''}`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    env: { PATH: process.env.PATH ?? '', HOME: xdg, XDG_CONFIG_HOME: xdg, SHELL: '/bin/sh', TERM: 'xterm' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    const typed = respond(out);
    if (typed !== null) child.stdin.write(typed);
  });
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`terminal run timed out: ${out}`));
    }, 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('on a terminal', { skip: hasScript ? false : 'util-linux script is not installed' }, () => {
  let server: Server;
  let xdg: string;
  before(async () => {
    server = await startServer();
    xdg = tempConfigHome();
    const login = await cli(
      ['login', '--server', server.url, '--tenant', TENANT_ID, '--client-id', APP.webApp, '--client-secret', WEB_SECRET],
      { xdg },
    );
    assert.equal(login.code, 0, login.stderr);
  });
  after(async () => {
    await server.close();
    rmSync(xdg, { recursive: true, force: true });
  });

  test('bulk draws a progress bar in place with rate and ETA', async () => {
    const ids = Object.values(server.users).map((u) => u.id);
    const list = join(xdg, 'ids.txt');
    writeFileSync(list, ids.join('\n'));
    // stdin from a file (the list), stderr on the terminal: the bar is drawn.
    const run = await onTerminal(['revoke', '--user-id', '-', '--yes', '--parallel', '1'], xdg, () => null, list);
    assert.equal(run.code, 0, run.out);
    assert.match(run.out, /\r\x1b\[2K\[#+-*\] \d+\/10 \d+% \d+ users\/s ETA \S+/);
    assert.match(run.out, /\[#{30}\] 10\/10 100%/);
    assert.match(run.out, /Summary: 10 done, 0 failed, 0 not attempted of 10 users/);
    assert.doesNotMatch(run.out, /^progress: /m, 'no plain lines on a terminal');
  });

  test('--confirm asks per user and revokes only the confirmed ones', async () => {
    const alice = await reload(server, server.users.alice!);
    const bob = await reload(server, server.users.bob!);
    const answered = new Set<string>();
    const run = await onTerminal(
      ['revoke', '--user-id', 'alice@contoso.test', '--user-id', 'bob@contoso.test', '--confirm'],
      xdg,
      (out) => {
        for (const [who, answer] of [
          ['alice', 'y\r'],
          ['bob', 'n\r'],
        ] as const) {
          if (!answered.has(who) && out.includes(`sessions of '${who}@contoso.test'? [y]es / [N]o / [a]ll / [q]uit`)) {
            answered.add(who);
            return answer;
          }
        }
        return null;
      },
    );
    assert.equal(run.code, 0, run.out);
    assert.deepEqual([...answered], ['alice', 'bob']);
    assert.match(run.out, /True/);
    assert.equal((await reload(server, alice)).revocationEpoch, alice.revocationEpoch + 1);
    assert.equal((await reload(server, bob)).revocationEpoch, bob.revocationEpoch);
  });

  test('--confirm with the users piped in asks on the terminal (/dev/tty), like -Confirm', async () => {
    const alice = await reload(server, server.users.alice!);
    const bob = await reload(server, server.users.bob!);
    const list = join(xdg, 'piped.txt');
    writeFileSync(list, 'alice@contoso.test\nbob@contoso.test\n');
    const answered: string[] = [];
    const run = await onTerminal(
      ['revoke', '--confirm'],
      xdg,
      (out) => {
        for (const [who, answer] of [
          ['alice', 'n\r'],
          ['bob', 'y\r'],
        ] as const) {
          if (!answered.includes(who) && out.includes(`sessions of '${who}@contoso.test'? [y]es`)) {
            answered.push(who);
            return answer;
          }
        }
        return null;
      },
      undefined,
      list,
    );
    assert.equal(run.code, 0, run.out);
    assert.deepEqual(answered, ['alice', 'bob']);
    assert.equal((await reload(server, alice)).revocationEpoch, alice.revocationEpoch);
    assert.equal((await reload(server, bob)).revocationEpoch, bob.revocationEpoch + 1);
  });
});

test('--confirm with no terminal at all (setsid, stdin a pipe) refuses and names --yes', async () => {
  const xdg = tempConfigHome();
  try {
    const run = await cli(['revoke', '--confirm'], { xdg, input: 'alice@contoso.test\n', detached: true });
    assert.equal(run.code, 2, run.stderr);
    assert.equal(
      run.stderr,
      'portcullis: --confirm needs a terminal to ask on and this command has none; use --yes (or --what-if) in scripts\n',
    );
  } finally {
    rmSync(xdg, { recursive: true, force: true });
  }
});

test('first login to a server with an untrusted certificate: its fingerprint is shown and trusted only when confirmed', {
  skip: hasScript ? false : 'util-linux script is not installed',
  timeout: 90_000,
}, async () => {
  const server = await startHttpsServer({});
  const xdg = tempConfigHome();
  try {
    const url = `https://127.0.0.1:${server.port}`;
    const fingerprint = new X509Certificate(server.certPem).fingerprint256;
    const args = ['login', '--server', url, '--tenant', TENANT_ID, '--client-id', APP.webApp, '--client-secret', WEB_SECRET];
    const answer = (typed: string) => {
      let done = false;
      return (out: string) => {
        if (done || !out.includes("Trust it for profile 'default'")) return null;
        done = true;
        assert.match(out, new RegExp(`SHA-256 fingerprint: ${fingerprint}`));
        return typed;
      };
    };
    const declined = await onTerminal(args, xdg, answer('n\r'));
    assert.equal(declined.code, 7, declined.out);
    assert.match(declined.out, /the certificate was not trusted; run 'portcullis login --server https:\/\/127\.0\.0\.1:\d+ --ca-file/);
    assert.equal(existsSync(join(xdg, 'portcullis', 'profiles', 'default', 'ca.pem')), false);
    const accepted = await onTerminal(args, xdg, answer('y\r'));
    assert.equal(accepted.code, 0, accepted.out);
    assert.equal(readFileSync(join(xdg, 'portcullis', 'profiles', 'default', 'ca.pem'), 'utf8').trim(), server.certPem.trim());
    // Later commands trust it without asking (no terminal needed).
    const read = await cli(['users', 'get', 'bob@contoso.test', '--select', 'id'], { xdg });
    assert.equal(read.code, 0, read.stderr);
  } finally {
    await server.close();
    rmSync(xdg, { recursive: true, force: true });
  }
});
