import { freePort } from './processes.js';
import { makeHarness, type Harness } from './harness.js';
import type { AppConfigOverrides } from '../../src/config.js';

/**
 * The test harness listening on a real socket on 127.0.0.1 over plain HTTP, with the public URL
 * set to that address (so issuers, nextLinks and the device page point at it).
 */
export async function listeningHarness(config: AppConfigOverrides = {}): Promise<Harness & { url: string; port: number }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const h = await makeHarness({ config: { ...config, publicUrl: url } });
  await h.app.http.listen({ host: '127.0.0.1', port });
  return Object.assign(h, { url, port });
}
