/** The administrator app's app-only Graph token (client credentials), for B2's and B3's revokes. */
import type { Pool } from 'undici';
import { BENCH_ADMIN_APP, BENCH_ADMIN_SECRET, BENCH_TENANT } from './seed-portcullis.js';

export async function appOnlyToken(pool: Pool): Promise<string> {
  const res = await pool.request({
    path: `/${BENCH_TENANT.id}/oauth2/v2.0/token`,
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: BENCH_ADMIN_APP,
      client_secret: BENCH_ADMIN_SECRET,
      scope: 'https://graph.microsoft.com/.default',
    }).toString(),
  });
  const body = (await res.body.json()) as { access_token?: string };
  if (res.statusCode !== 200 || !body.access_token) throw new Error(`client_credentials failed: ${res.statusCode} ${JSON.stringify(body)}`);
  return body.access_token;
}
