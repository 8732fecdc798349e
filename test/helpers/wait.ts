import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `check` every `everyMs` until it returns true; fails after `timeoutMs`. Bounded in time and count. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; Date.now() < deadline && i < timeoutMs / everyMs + 1; i++) {
    if (await check()) return;
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
