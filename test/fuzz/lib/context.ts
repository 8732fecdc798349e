import { APP, DAEMON_SECRET, DOMAIN, PASSWORD, REDIRECT, TENANT_ID, WEB_SECRET } from '../../helpers/harness.js';
import { DELIVERY } from '../../../src/ssf/model.js';
import type { FuzzServer } from './server-process.js';
import { SSF_RECEIVERS, SSF_RECEIVER_SECRET } from './ssf-receivers.js';
import type { FuzzContext } from './target.js';

async function call(server: FuzzServer, method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: string) {
  const res = await server.pool.request({ method, path, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.body.text();
  if (res.statusCode !== 200 && res.statusCode !== 201)
    throw new Error(`fuzz setup: ${method} ${path} answered ${res.statusCode}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

const form = (server: FuzzServer, path: string, fields: Record<string, string>) =>
  call(
    server,
    'POST',
    `/${TENANT_ID}/oauth2/v2.0/${path}`,
    { 'content-type': 'application/x-www-form-urlencoded' },
    new URLSearchParams(fields).toString(),
  );

/** GET of one of the server's pages: its CSRF field and the cookies it set. */
async function page(server: FuzzServer, path: string, cookie?: string): Promise<{ csrf: string; cookies: string[] }> {
  const res = await server.pool.request({ method: 'GET', path, headers: cookie ? { cookie } : {} });
  const html = await res.body.text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
  if (res.statusCode !== 200 || !csrf)
    throw new Error(`fuzz setup: GET ${path} answered ${res.statusCode} without a form: ${html.slice(0, 300)}`);
  const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!);
  return { csrf, cookies };
}

/** A browser that opened the device page and the sign-in form: one pre-session cookie, two tokens. */
async function browserForms(server: FuzzServer): Promise<FuzzContext['browser']> {
  const device = await page(server, '/devicelogin');
  const cookie = device.cookies.find((c) => /^(__Host-)?portcullis_csrf=/.test(c));
  if (!cookie) throw new Error('fuzz setup: /devicelogin set no pre-session cookie');
  const authorize = new URLSearchParams({
    client_id: APP.publicClient,
    response_type: 'code',
    redirect_uri: REDIRECT.publicClient,
    scope: 'openid',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
  });
  const signIn = await page(server, `/${TENANT_ID}/oauth2/v2.0/authorize?${authorize}`, cookie);
  return { cookie, deviceCsrf: device.csrf, signInCsrf: signIn.csrf };
}

/** The Shared Signals receivers' tokens and streams (SSF 1.0 §8.1.1), made through the management API. */
async function ssfContext(server: FuzzServer): Promise<FuzzContext['ssf']> {
  const token = async (clientId: string) =>
    String(
      (
        await form(server, 'token', {
          grant_type: 'client_credentials',
          client_id: clientId,
          client_secret: SSF_RECEIVER_SECRET,
          scope: 'https://graph.microsoft.com/.default',
        })
      ).access_token,
    );
  const create = (bearer: string, delivery: Record<string, string>) =>
    call(
      server,
      'POST',
      `/${TENANT_ID}/ssf/streams`,
      { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      JSON.stringify({ delivery, description: 'fuzz' }),
    );
  const a = await token(SSF_RECEIVERS.a);
  const b = await token(SSF_RECEIVERS.b);
  const poll = await create(a, { method: DELIVERY.poll });
  return {
    issuer: String(poll.iss),
    receiverId: SSF_RECEIVERS.a,
    token: a,
    otherToken: b,
    pollStreamId: String(poll.stream_id),
    // Port 1 on loopback: refused at once, so pushes fail fast and nothing leaves the host.
    pushStreamId: String((await create(a, { method: DELIVERY.push, endpoint_url: 'http://127.0.0.1:1/ssf' })).stream_id),
    spareStreamId: String((await create(a, { method: DELIVERY.poll })).stream_id),
    otherStreamId: String((await create(b, { method: DELIVERY.poll })).stream_id),
  };
}

/** Real credentials from the server under test, obtained through its own endpoints. */
export async function fuzzContext(server: FuzzServer): Promise<FuzzContext> {
  const app = await form(server, 'token', {
    grant_type: 'client_credentials',
    client_id: APP.webApp,
    client_secret: WEB_SECRET,
    scope: 'https://graph.microsoft.com/.default',
  });
  const admin = await form(server, 'token', {
    grant_type: 'password',
    client_id: APP.publicClient,
    username: `globaladmin@${DOMAIN}`,
    password: PASSWORD,
    scope: 'User.ReadWrite.All User.RevokeSessions.All Directory.ReadWrite.All AuditLog.Read.All',
  });
  const alice = await form(server, 'token', {
    grant_type: 'password',
    client_id: APP.publicClient,
    username: `alice@${DOMAIN}`,
    password: PASSWORD,
    scope: 'offline_access User.Read',
  });
  const device = await form(server, 'devicecode', { client_id: APP.publicClient, scope: 'openid offline_access User.Read' });
  const users = await call(server, 'GET', '/v1.0/users?$top=999', { authorization: `Bearer ${String(app.access_token)}` });
  const targetUsers = (users.value as { id: string; userPrincipalName: string }[])
    .filter((u) => !u.userPrincipalName.startsWith('globaladmin@'))
    .map((u) => ({ id: u.id, upn: u.userPrincipalName }));
  return {
    tenantId: TENANT_ID,
    domain: DOMAIN,
    apps: { publicClient: APP.publicClient, webApp: APP.webApp, spa: APP.spa, daemon: APP.daemonNoPerms },
    webSecret: WEB_SECRET,
    daemonSecret: DAEMON_SECRET,
    password: PASSWORD,
    redirects: { publicClient: REDIRECT.publicClient, web: REDIRECT.web, spa: REDIRECT.spa },
    targetUsers,
    appToken: String(app.access_token),
    adminToken: String(admin.access_token),
    refreshToken: String(alice.refresh_token),
    deviceCode: String(device.device_code),
    userCode: String(device.user_code),
    ssf: await ssfContext(server),
    browser: await browserForms(server),
  };
}
