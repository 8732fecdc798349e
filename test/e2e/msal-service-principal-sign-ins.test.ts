/**
 * Service principal sign-ins end to end, on a real HTTPS socket: @azure/msal-node's
 * ConfidentialClientApplication asks for app-only tokens (client credentials, RFC 6749 §4.4) with
 * the right secret and with a wrong one; the log is then read through Graph beta
 * `/auditLogs/signIns?$filter=signInEventTypes/any(t: t eq 'servicePrincipal')` with the token
 * MSAL got, and v1.0 must not list them (docs/sign-in-logs.md).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ConfidentialClientApplication, LogLevel, type Configuration } from '@azure/msal-node';
import { APP, WEB_SECRET } from '../helpers/harness.js';
import { startHttpsServer, type RunningServer } from './helpers/https-server.js';
import { trustForGlobalFetch, type TrustHandle } from './helpers/trust.js';

const GRAPH_DEFAULT = 'https://graph.microsoft.com/.default';
let server: RunningServer;
let trust: TrustHandle;

before(
  async () => {
    server = await startHttpsServer();
    trust = trustForGlobalFetch(server.certPem);
  },
  { timeout: 30_000 },
);
after(
  async () => {
    await trust?.restore();
    await server?.close();
  },
  { timeout: 30_000 },
);

function cca(clientSecret: string): ConfidentialClientApplication {
  const config: Configuration = {
    auth: { clientId: APP.webApp, clientSecret, authority: server.authority, knownAuthorities: [`localhost:${server.port}`] },
    system: {
      customAgentOptions: { ca: server.certPem },
      loggerOptions: { logLevel: LogLevel.Error, piiLoggingEnabled: false, loggerCallback: () => undefined },
    },
  };
  return new ConfidentialClientApplication(config);
}

async function graphGet(token: string, path: string): Promise<Record<string, any>> {
  const res = await fetch(`${server.publicUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await res.json()) as Record<string, any>;
  assert.equal(res.status, 200, JSON.stringify(body));
  return body;
}

test('MSAL client-credentials requests, right and wrong secret, are service principal sign-ins in beta and absent from v1.0', {
  timeout: 90_000,
}, async () => {
  let refused: unknown;
  try {
    await cca('not-the-secret-0123456789').acquireTokenByClientCredential({ scopes: [GRAPH_DEFAULT] });
  } catch (e) {
    refused = e;
  }
  assert.ok(refused, 'the wrong secret was refused');
  assert.match(String((refused as Error).message), /AADSTS7000215/);

  const ok = await cca(WEB_SECRET).acquireTokenByClientCredential({ scopes: [GRAPH_DEFAULT] });
  assert.ok(ok?.accessToken);

  const filter = encodeURIComponent(`signInEventTypes/any(t: t eq 'servicePrincipal') and servicePrincipalId eq '${APP.webApp}'`);
  const beta = await graphGet(ok.accessToken, `/beta/auditLogs/signIns?$filter=${filter}`);
  const entries = beta.value as Record<string, any>[];
  assert.deepEqual(
    entries.map((e) => [e.status.errorCode, e.clientCredentialType, e.signInEventTypes, e.appId, e.servicePrincipalName]),
    [
      [0, 'clientSecret', ['servicePrincipal'], APP.webApp, 'Web App'],
      [7000215, 'clientSecret', ['servicePrincipal'], APP.webApp, 'Web App'],
    ],
  );
  assert.equal(entries[0]!.correlationId, ok.correlationId, 'the entry carries the client-request-id MSAL sent');
  assert.equal(entries[0]!.ipAddress, '127.0.0.1');
  assert.equal(entries[0]!.resourceDisplayName, 'Microsoft Graph');
  assert.equal(entries[0]!.userId, '');

  const v1 = await graphGet(ok.accessToken, '/v1.0/auditLogs/signIns');
  assert.ok(
    (v1.value as { appId: string; isInteractive: boolean }[]).every((e) => e.isInteractive),
    'v1.0 lists interactive sign-ins only',
  );
  assert.equal(v1.value.length, 0);
});
