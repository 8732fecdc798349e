import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from '@microsoft/microsoft-graph-client';
import { createApp, type PortcullisApp } from '../../src/app.js';
import { makeAppConfig } from '../../src/config.js';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import type { Store } from '../../src/store/store.js';
import { APP, TENANT_ID, application, seedDirectory } from '../helpers/harness.js';
import { PG_TEST_URL, freshSchema, requirePostgres } from '../helpers/postgres.js';
import { freePort } from '../helpers/processes.js';
import { makeLocalhostCertificate } from '../e2e/helpers/https-server.js';
import { trustForGlobalFetch, type TrustHandle } from '../e2e/helpers/trust.js';

/**
 * An application registered through the Microsoft Graph JS SDK on instance A is usable on
 * instance B at once, without a restart: both read applications from the one PostgreSQL schema on
 * every request (nothing is cached per instance). A secret removed on A is refused by B on its
 * next request, even though B had just verified (and cached) it.
 */
if (await requirePostgres('application registration across instances')) {
  describe('application registration on two instances sharing PostgreSQL', () => {
    const instances: { app: PortcullisApp; store: Store; url: string }[] = [];
    let drop: () => Promise<void>;
    let trust: TrustHandle;

    before(async () => {
      // The Graph SDK sends the token only to https URLs of its custom hosts: instance A serves TLS, B plain HTTP.
      const tls = await makeLocalhostCertificate();
      trust = trustForGlobalFetch(tls.cert);
      const fresh = await freshSchema('portcullis_apps_multi');
      drop = fresh.drop;
      const seeding = await openPostgresStore({ url: PG_TEST_URL, schema: fresh.schema });
      await seedDirectory(seeding, Date.now());
      await seeding.close();
      let publicUrl = '';
      for (let i = 0; i < 2; i++) {
        const store = await openPostgresStore({ url: PG_TEST_URL, schema: fresh.schema });
        const port = await freePort();
        const url = `${i === 0 ? 'https' : 'http'}://127.0.0.1:${port}`;
        publicUrl ||= url;
        const app = await createApp({
          config: makeAppConfig({ publicUrl, logLevel: 'silent' }),
          store,
          ...(i === 0 ? { https: { cert: tls.cert, key: tls.key } } : {}),
        });
        await app.http.listen({ host: '127.0.0.1', port });
        instances.push({ app, store, url });
      }
    });
    after(async () => {
      for (const i of instances) {
        await i.app.close();
        await i.store.close();
      }
      await drop?.();
      await trust?.restore();
    });

    async function clientCredentials(base: string, clientId: string, secret: string) {
      const res = await fetch(`${base}/${TENANT_ID}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: clientId,
          client_secret: secret,
          scope: 'https://graph.microsoft.com/.default',
        }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    }

    test('POST /applications + addPassword through the Graph SDK on A; client credentials with the new secret on B', async () => {
      const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
      const admin = a.app.services.tokens.issueAppOnly(
        application({ appId: APP.webApp, applicationPermissions: ['Application.ReadWrite.All'] }),
      ).accessToken;
      const graph = Client.initWithMiddleware({
        authProvider: { getAccessToken: async () => admin },
        baseUrl: `${a.url}/`,
        customHosts: new Set(['127.0.0.1']),
      });
      const created = (await graph.api('/applications').post({ displayName: 'Registered at runtime' })) as { id: string; appId: string };
      assert.notEqual(created.id, created.appId);
      const password = (await graph
        .api(`/applications/${created.id}/addPassword`)
        .post({ passwordCredential: { displayName: 'from the SDK' } })) as { secretText: string; keyId: string };
      assert.ok(password.secretText.length >= 16);

      const onB = await clientCredentials(b.url, created.appId, password.secretText);
      assert.equal(onB.status, 200, JSON.stringify(onB.body));
      assert.equal(typeof onB.body.access_token, 'string');

      // A change on A is what B serves next.
      await graph.api(`/applications(appId='${created.appId}')`).patch({ displayName: 'Renamed on A' });
      const seenByB = await fetch(`${b.url}/v1.0/applications/${created.id}`, { headers: { authorization: `Bearer ${admin}` } });
      assert.equal(((await seenByB.json()) as { displayName: string }).displayName, 'Renamed on A');

      // B verified (and cached) the secret above; removed on A, B refuses it on the next request.
      await graph.api(`/applications/${created.id}/removePassword`).post({ keyId: password.keyId });
      const refused = await clientCredentials(b.url, created.appId, password.secretText);
      assert.equal(refused.status, 401);
      assert.deepEqual(refused.body.error_codes, [7000215]);
    });
  });
}
