import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CliError, parseServeOptions, serveHelp } from '../../src/cli/serve-options.js';
import { THREAD_POOL_NICE, threadPoolSize } from '../../src/cli/thread-pool-priority.js';
import { killAll, startServe } from './serve-process.js';

/** The nice value of each thread of `pid`, by thread id (proc(5): field 19 of /proc/PID/task/TID/stat). */
function niceByThread(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    // Fields after the command name, which ends with the last ')': state is field 3, nice field 19.
    out.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
  }
  return out;
}

/** src/cli/thread-pool-priority.ts: `serve` runs libuv's thread pool below the event loop's priority. */
describe('serve: the thread pool below the event loop', {
  skip: process.platform !== 'linux' && 'Linux only (per-thread nice values)',
}, () => {
  const dirs: string[] = [];
  after(() => {
    killAll();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('gives every pool thread the nice value, and no other thread (default pool and UV_THREADPOOL_SIZE=2)', async () => {
    const own = getPriority();
    assert.ok(own < THREAD_POOL_NICE, 'the test itself runs below the nice value it checks for');
    const cases: Record<string, string>[] = [{}, { UV_THREADPOOL_SIZE: '2' }];
    for (const env of cases) {
      const dir = mkdtempSync(join(tmpdir(), 'portcullis-pool-nice-'));
      dirs.push(dir);
      const served = await startServe(['--data-dir', dir], 120_000, env);
      try {
        const nice = niceByThread(served.pid);
        const lowered = [...nice].filter(([, n]) => n === THREAD_POOL_NICE).map(([tid]) => tid);
        assert.equal(lowered.length, threadPoolSize(env), `${JSON.stringify(env)}: ${JSON.stringify([...nice])}`);
        assert.equal(nice.get(served.pid), own, 'the event loop keeps its priority');
        assert.ok(!lowered.includes(served.pid));
      } finally {
        await served.stop();
      }
    }
  });

  it("--thread-pool-nice 0 leaves every thread at the event loop's priority", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-pool-nice-'));
    dirs.push(dir);
    const served = await startServe(['--data-dir', dir, '--thread-pool-nice', '0']);
    try {
      const nice = niceByThread(served.pid);
      assert.deepEqual(new Set(nice.values()), new Set([getPriority()]), JSON.stringify([...nice]));
    } finally {
      await served.stop();
    }
  });

  it('the option: default 10, environment below the flag, 0 to 19 only, listed in --help', () => {
    assert.equal(parseServeOptions([], {})!.threadPoolNice, THREAD_POOL_NICE);
    assert.equal(THREAD_POOL_NICE, 10);
    assert.equal(parseServeOptions([], { PORTCULLIS_THREAD_POOL_NICE: '19' })!.threadPoolNice, 19);
    assert.equal(parseServeOptions(['--thread-pool-nice', '0'], { PORTCULLIS_THREAD_POOL_NICE: '19' })!.threadPoolNice, 0);
    for (const bad of ['-1', '20', '5.5', 'low', '']) {
      assert.throws(
        () => parseServeOptions(['--thread-pool-nice', bad], {}),
        (e) => e instanceof CliError && e.exitCode === 2,
        bad,
      );
    }
    assert.match(serveHelp(), /--thread-pool-nice N[\s\S]*PORTCULLIS_THREAD_POOL_NICE/);
  });

  it('also finds a pool thread that is busy with a long job (argon2, a key) when the search starts', () => {
    const module = pathToFileURL(fileURLToPath(new URL('../../src/cli/thread-pool-priority.ts', import.meta.url))).href;
    const script = [
      "import { pbkdf2 } from 'node:crypto';",
      `import { lowerThreadPoolPriority } from ${JSON.stringify(module)};`,
      // About half a second of one pool thread, queued before the search.
      "const busy = new Promise((resolve) => pbkdf2('p', 's', 2_000_000, 32, 'sha256', resolve));",
      'const changed = await lowerThreadPoolPriority(10);',
      'await busy;',
      'console.log(JSON.stringify(changed));',
    ].join('\n');
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, UV_THREADPOOL_SIZE: '2' },
      encoding: 'utf8',
    });
    assert.equal((JSON.parse(out) as number[]).length, 2, out);
  });

  it('reads UV_THREADPOOL_SIZE as libuv does', () => {
    assert.equal(threadPoolSize({}), 4);
    assert.equal(threadPoolSize({ UV_THREADPOOL_SIZE: '2' }), 2);
    assert.equal(threadPoolSize({ UV_THREADPOOL_SIZE: '0' }), 1);
    assert.equal(threadPoolSize({ UV_THREADPOOL_SIZE: 'many' }), 1);
    assert.equal(threadPoolSize({ UV_THREADPOOL_SIZE: '5000' }), 1024);
    assert.equal(threadPoolSize({ UV_THREADPOOL_SIZE: '8 threads' }), 8);
  });
});
