import { createClient } from '@redis/client';
import { test } from 'node:test';

/** The real Redis the tests use: PORTCULLIS_TEST_REDIS_URL, or the local server CI starts (.ci/run). */
export const REDIS_TEST_URL = process.env.PORTCULLIS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function redisUnreachable(): Promise<string | null> {
  const client = createClient({ url: REDIS_TEST_URL, socket: { connectTimeout: 3_000, reconnectStrategy: false } });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return null;
  } catch (e) {
    return (e as Error).message || String(e);
  } finally {
    client.destroy();
  }
}

/** Like requirePostgres: true when Redis answers; otherwise one visible test that fails under CI and skips elsewhere. */
export async function requireRedis(suite: string): Promise<boolean> {
  const why = await redisUnreachable();
  if (why === null) return true;
  const message = `${suite}: Redis is not reachable at ${REDIS_TEST_URL} (${why})`;
  if (process.env.CI === 'true') {
    test(`${suite} (Redis required under CI)`, () => {
      throw new Error(message);
    });
  } else {
    console.log(`SKIPPED ${message}; set PORTCULLIS_TEST_REDIS_URL or start Redis`);
    test(suite, { skip: message }, () => undefined);
  }
  return false;
}
