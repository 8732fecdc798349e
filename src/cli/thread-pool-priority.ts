/**
 * `serve` runs libuv's thread pool below the event loop's priority (Linux only).
 *
 * The pool runs the two RS256 signatures of every token response (src/crypto/jwt.ts,
 * signJwtAsync), argon2 and asynchronous file I/O on UV_THREADPOOL_SIZE threads (4 by default,
 * https://docs.libuv.org/en/v1.x/threadpool.html). Under refresh load on a machine with fewer
 * cores than runnable threads, the kernel shares the cores between the event loop and those
 * threads as equals: each time the event loop wakes (a request arrived, a commit's fsync
 * returned) it can wait behind a signing thread for its turn, and every answer the event loop
 * owes waits with it — a revoke's included (BENCHMARKS.md, "B2: revoke latency under B1's
 * load"). With a higher nice value on the pool's threads the scheduler lets the event loop run
 * first whenever it is ready; the pool still gets every core-second the event loop leaves (the
 * scheduler is work-conserving), so the signatures per second stay.
 *
 * On Linux the nice value is an attribute of each thread: setpriority(PRIO_PROCESS, tid, n)
 * changes only that thread (setpriority(2), NOTES). The pool's thread ids are learned from the
 * pool itself: readlink("/proc/thread-self") (proc(5)) run as an asynchronous fs job names the
 * thread that ran it. Raising a thread's own nice value needs no privilege.
 */
import { readlink } from 'node:fs/promises';
import { setPriority } from 'node:os';

/** The nice value `serve` gives the pool by default (--thread-pool-nice; 0 = the event loop's own, 19 = the lowest). */
export const THREAD_POOL_NICE = 10;

/** libuv's pool size: UV_THREADPOOL_SIZE read as C's atoi, 0 → 1, at most 1024 (src/threadpool.c). */
export function threadPoolSize(env: NodeJS.ProcessEnv): number {
  const raw = env.UV_THREADPOOL_SIZE;
  if (raw === undefined) return 4;
  const n = Number.parseInt(raw, 10);
  if (!Number.isFinite(n) || n === 0) return 1;
  // atoi of a negative number, stored in an unsigned int, is above the maximum.
  return n < 0 ? 1024 : Math.min(n, 1024);
}

/** How long the search waits, at most, for a pool thread busy with a long job. */
const SEARCH_MS = 2000;

/** The pool threads' ids: all of them, or those that answered within SEARCH_MS. */
async function poolThreadIds(size: number): Promise<Set<number>> {
  const prefix = `${process.pid}/task/`;
  const ids = new Set<number>();
  const deadline = performance.now() + SEARCH_MS;
  // Each round queues more jobs than there are threads, so every idle thread picks some up; a
  // thread busy with a long job (a key being generated, argon2) answers in a later round.
  while (ids.size < size && performance.now() < deadline) {
    const before = ids.size;
    const links = await Promise.all(Array.from({ length: size * 4 }, () => readlink('/proc/thread-self')));
    for (const link of links) {
      // Only ever a thread of this process.
      if (link.startsWith(prefix)) ids.add(Number(link.slice(prefix.length)));
    }
    if (ids.size === before) await new Promise((resolve) => setTimeout(resolve, 5));
  }
  ids.delete(process.pid);
  return ids;
}

/**
 * Gives the pool's threads the nice value `nice`; resolves with the ids of the threads changed.
 * Elsewhere than on Linux, or when /proc is not mounted, it changes nothing.
 */
export async function lowerThreadPoolPriority(nice: number, env: NodeJS.ProcessEnv = process.env): Promise<number[]> {
  if (process.platform !== 'linux' || nice <= 0) return [];
  let ids: Set<number>;
  try {
    ids = await poolThreadIds(threadPoolSize(env));
  } catch {
    return [];
  }
  const changed: number[] = [];
  for (const id of ids) {
    try {
      setPriority(id, nice);
      changed.push(id);
    } catch {
      // A thread that ended, or a kernel that refuses: it keeps its priority.
    }
  }
  return changed;
}
