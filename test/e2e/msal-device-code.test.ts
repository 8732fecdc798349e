/**
 * The device-code flow with the real @azure/msal-node client over HTTPS (what `portcullis login`
 * and headless tools use): MSAL polls the token endpoint with its own grant_type spelling
 * (`device_code`), while a person enters the code and signs in on the device page.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { LogLevel, PublicClientApplication } from '@azure/msal-node';
import { APP, PASSWORD, TENANT_ID } from '../helpers/harness.js';
import { startHttpsServer, type RunningServer } from './helpers/https-server.js';
import { trustForGlobalFetch, type TrustHandle } from './helpers/trust.js';

let server: RunningServer;
let trust: TrustHandle;

before(
  async () => {
    // A 1-second polling interval keeps the test short; Entra's (and the default) is 5.
    server = await startHttpsServer({ config: { tokens: { deviceCodeIntervalSeconds: 1 } as never } });
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

/** The person at a browser: open the verification URI, enter the code, sign in. */
async function approve(verificationUri: string, userCode: string, username: string): Promise<string> {
  const cookies: string[] = [];
  const keep = (res: Response) => cookies.push(...res.headers.getSetCookie().map((c) => c.split(';')[0]!));
  const page = await fetch(verificationUri, { signal: AbortSignal.timeout(10_000) });
  keep(page);
  const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)![1]!;
  const csrf = csrfOf(await page.text());
  const post = async (url: string, fields: Record<string, string>, token = csrf) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { cookie: cookies.join('; '), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: token, ...fields }),
      signal: AbortSignal.timeout(10_000),
    });
    keep(res);
    return res;
  };
  assert.equal((await post(verificationUri, { user_code: userCode })).status, 200);
  const signedIn = await post(`${verificationUri}/approve`, { user_code: userCode, action: 'sign-in', username, password: PASSWORD });
  // The confirmation page: only its Continue approves the device.
  const done = await post(`${verificationUri}/approve`, { user_code: userCode, action: 'confirm' }, csrfOf(await signedIn.text()));
  return /<h1>([^<]+)/.exec(await done.text())![1]!;
}

test('MSAL acquireTokenByDeviceCode signs in through the device page, then refreshes silently', { timeout: 60_000 }, async () => {
  const pca = new PublicClientApplication({
    auth: { clientId: APP.publicClient, authority: server.authority, knownAuthorities: [`localhost:${server.port}`] },
    system: {
      customAgentOptions: { ca: server.certPem },
      loggerOptions: { logLevel: LogLevel.Error, piiLoggingEnabled: false, loggerCallback: () => undefined },
    },
  });
  let person: Promise<string> | undefined;
  const result = await pca.acquireTokenByDeviceCode({
    scopes: ['User.RevokeSessions.All'],
    deviceCodeCallback: (r) => {
      assert.equal(r.verificationUri, `${server.publicUrl}/devicelogin`);
      person = approve(r.verificationUri, r.userCode, 'globaladmin@contoso.test');
    },
  });
  assert.ok(result);
  assert.match(await person!, /You have signed in to Public Client/);
  assert.equal(result.account?.username, 'globaladmin@contoso.test');
  assert.equal(result.account?.homeAccountId, `${server.users.globaladmin!.id}.${TENANT_ID}`);
  const claims = JSON.parse(Buffer.from(result.accessToken.split('.')[1]!, 'base64url').toString());
  assert.equal(claims.scp, 'User.RevokeSessions.All openid profile');
  const silent = await pca.acquireTokenSilent({ account: result.account!, scopes: ['User.RevokeSessions.All'], forceRefresh: true });
  assert.notEqual(silent.accessToken, result.accessToken);
});
