/**
 * Integration: the example API of examples/resource-server-express (its own code, imported, with
 * `portcullis/resource-server` resolved to the built dist/ as an application gets it — run
 * `npm run build` first) against the real Portcullis app seeded with the example's seed.json, on
 * real loopback sockets. The example creates its SSF stream with the API app's client
 * credentials and receives Portcullis's Security Event Tokens by poll (RFC 8936) or push
 * (RFC 8935). Requirement (docs/push-revocation.md): the example API with the middleware refuses a revoked token within 1 s.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createApp, type PortcullisApp } from '../../src/app.js';
import { systemClock } from '../../src/clock.js';
import { makeAppConfig } from '../../src/config.js';
import { applySeed, parseSeed } from '../../src/core/seed.js';
import { generateSigningKey } from '../../src/crypto/jwt.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import type { Store } from '../../src/store/store.js';
import { clientCredentialsFor } from '../../src/resource-server/index.js';
import {
  DEFAULT_IDENTIFIER_URI,
  startExample,
  type ExampleSettings,
  type RunningExample,
} from '../../examples/resource-server-express/main.js';
import { application } from '../helpers/harness.js';
import { freePort } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';
import { ssfTestConfig } from '../ssf/ssf-helpers.js';

const EXAMPLE_DIR = new URL('../../examples/resource-server-express/', import.meta.url);
const seedJson = JSON.parse(readFileSync(new URL('seed.json', EXAMPLE_DIR), 'utf8')) as {
  tenant: { id: string };
  users: Array<{ userPrincipalName: string; password: string }>;
  applications: Array<{ appId: string; passwordCredentials?: Array<{ secretText: string }>; applicationPermissions?: string[] }>;
};
const TENANT = seedJson.tenant.id;
const ALICE = seedJson.users[0]!;
const CLIENT_APP = seedJson.applications.find((a) => !a.applicationPermissions)!.appId;
const API_APP = seedJson.applications.find((a) => a.applicationPermissions?.includes('SharedSignals.ReadWrite.All'))!;

const OTHER_API = '9a8b7c6d-1e2f-4a3b-8c4d-5e6f7a8b9c20';
const scopeTemplate = {
  id: '9a8b7c6d-1e2f-4a3b-8c4d-5e6f7a8b9c21',
  type: 'User' as const,
  isEnabled: true,
  adminConsentDisplayName: 'x',
  adminConsentDescription: 'x',
  userConsentDisplayName: null,
  userConsentDescription: null,
};

/** Within this long after the revoke answered, the example API must answer 401. */
const REFUSAL_BOUND_MS = 1000;

describe('example API (examples/resource-server-express) against Portcullis', () => {
  let dir: string;
  let store: Store;
  let portcullis: PortcullisApp;
  let origin: string;
  const running: RunningExample[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-rs-example-'));
    store = openSqliteStore(join(dir, 'portcullis.db'), Date.now());
    // As the README: the seed file alone registers the API (identifier URI, `access_as_user`) and
    // the consents (the client to the API, the API to Graph's User.Read for on-behalf-of).
    await applySeed(store, parseSeed(seedJson), systemClock);
    // Another API the client may call: its tokens are not the example API's.
    await store.applications.upsert(
      application({
        tenantId: TENANT,
        appId: OTHER_API,
        displayName: 'Another API',
        identifierUris: ['api://another-api'],
        api: { requestedAccessTokenVersion: null, oauth2PermissionScopes: [{ ...scopeTemplate, value: 'access_as_user' }] },
      }),
    );
    const client = (await store.applications.findByAppId(TENANT, CLIENT_APP))!;
    await store.applications.upsert({
      ...client,
      resourceGrants: [...(client.resourceGrants ?? []), { resourceAppId: OTHER_API, scopes: ['access_as_user'], appRoleIds: [] }],
    });
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    const config = makeAppConfig({ publicUrl: origin, logLevel: 'silent', ssf: ssfTestConfig() });
    portcullis = await createApp({ config, store, clock: systemClock });
    await portcullis.http.listen({ host: '127.0.0.1', port });
  });
  after(async () => {
    for (const r of running) await r.close().catch(() => undefined);
    // A poller that stops aborts its in-flight long poll; Node's fetch leaves that socket open
    // with no request on it, which close() would wait for until the server's headers timeout.
    portcullis.http.server.closeAllConnections();
    await portcullis.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const settings = async (name: string, delivery: 'push' | 'poll'): Promise<ExampleSettings> => {
    const port = await freePort();
    return {
      issuer: `${origin}/${TENANT}/v2.0`,
      clientId: API_APP.appId,
      clientSecret: API_APP.passwordCredentials![0]!.secretText,
      audience: [DEFAULT_IDENTIFIER_URI, API_APP.appId],
      delivery,
      host: '127.0.0.1',
      port,
      publicUrl: `http://127.0.0.1:${port}`,
      streamFile: join(dir, `${name}-stream.json`),
      journalFile: join(dir, `${name}-revocations.jsonl`),
    };
  };
  const start = async (s: ExampleSettings) => {
    const r = await startExample(s);
    running.push(r);
    return r;
  };

  /** Alice signs in as the README shows (password grant of the example's public client), for the example API. */
  async function signIn(scope = `${DEFAULT_IDENTIFIER_URI}/access_as_user`): Promise<string> {
    const res = await fetch(`${origin}/${TENANT}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: CLIENT_APP,
        username: ALICE.userPrincipalName,
        password: ALICE.password,
        scope,
      }),
    });
    const body = (await res.json()) as { access_token?: string };
    assert.equal(res.status, 200, JSON.stringify(body));
    return body.access_token!;
  }

  const profile = (api: RunningExample, token: string) =>
    fetch(`${api.url}/api/profile`, { headers: { authorization: `Bearer ${token}` } });

  /** Alice signs out everywhere (with a Graph token); resolves when the revoke has answered. */
  async function revokeAlice(): Promise<number> {
    const token = await signIn('User.Read User.ReadWrite');
    const res = await fetch(`${origin}/v1.0/me/revokeSignInSessions`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200, await res.text());
    return Date.now();
  }

  /** Milliseconds from `since` until the API refuses `token`; bounded by 3 s and 300 requests. */
  async function msUntilRefused(api: RunningExample, token: string, since: number): Promise<number> {
    for (let i = 0; i < 300 && Date.now() - since < 3000; i++) {
      const res = await profile(api, token);
      await res.arrayBuffer();
      if (res.status === 401) return Date.now() - since;
      await new Promise((r) => setTimeout(r, 5));
    }
    return Infinity;
  }

  /** Tokens are stamped in whole seconds; a sign-in in the revoke's own second is refused (docs). */
  const nextSecond = async (after: number) => {
    const wait = (Math.floor(after / 1000) + 1) * 1000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait + 5));
  };

  async function revokeRoundTrip(api: RunningExample, label: string) {
    const token = await signIn();
    const ok = await profile(api, token);
    assert.equal(ok.status, 200, `${label}: a fresh token is accepted`);
    const body = (await ok.json()) as { oid: string; scopes: string[] };
    assert.deepEqual(body.scopes, ['access_as_user']);

    // Tokens of the revoke's own second are refused anyway; start from an older one.
    await nextSecond(Date.now());
    const answered = await revokeAlice();
    const ms = await msUntilRefused(api, token, answered);
    assert.ok(ms < REFUSAL_BOUND_MS, `${label}: refused ${ms} ms after the revoke answered (bound ${REFUSAL_BOUND_MS} ms)`);
    const refused = await profile(api, token);
    assert.equal(refused.status, 401);
    assert.equal(
      refused.headers.get('www-authenticate'),
      'Bearer error="invalid_token", error_description="The access token was issued before its session was revoked."',
    );

    await nextSecond(answered);
    const fresh = await signIn();
    assert.equal((await profile(api, fresh)).status, 200, `${label}: a token from a new sign-in is accepted`);
    return { oid: body.oid, ms };
  }

  test('poll delivery: the stream is created with client credentials, a revoked token is refused within 1 s, a new sign-in works', async () => {
    const api = await start(await settings('poll', 'poll'));
    assert.equal(api.stream.method, 'urn:ietf:rfc:8936');
    assert.deepEqual(api.stream.audience, [API_APP.appId]);
    const { ms } = await revokeRoundTrip(api, 'poll');
    console.log(`# poll: refused ${ms} ms after the revoke answered`);
  });

  test("push delivery: the same, with the transmitter POSTing to the example's /ssf/events", async () => {
    const api = await start(await settings('push', 'push'));
    assert.equal(api.stream.method, 'urn:ietf:rfc:8935');
    assert.equal(api.stream.endpointUrl, `${api.url}/ssf/events`);
    const { ms } = await revokeRoundTrip(api, 'push');
    console.log(`# push: refused ${ms} ms after the revoke answered`);
  });

  test('signing-key rotation: new tokens and SETs under the new key are verified after one JWKS refetch', async () => {
    const api = await start(await settings('rotation', 'push'));
    const before = await signIn();
    assert.equal((await profile(api, before)).status, 200);
    // An emergency-style rotation (the key signs at once, as `keys rotate --now`): the example's
    // cached JWKS must pick the unknown kid up with one refetch.
    const now = Date.now();
    const key = generateSigningKey(now);
    await store.keys.rotate(key, [], now);
    assert.equal(await portcullis.services.keys.reload(), true);
    const token = await signIn();
    assert.equal(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid, key.kid);
    await revokeRoundTrip(api, 'after rotation');
  });

  test('restart (poll + journal): revocations acknowledged before and made while the API was down are both in force on the first request', async () => {
    const s = await settings('restart', 'poll');
    const first = await start(s);
    const acknowledgedBefore = await signIn();
    await nextSecond(Date.now());
    const answered = await revokeAlice();
    assert.ok((await msUntilRefused(first, acknowledgedBefore, answered)) < REFUSAL_BOUND_MS);
    await first.close();

    await nextSecond(answered);
    const whileDown = await signIn();
    await nextSecond(Date.now());
    const heldBefore = (await store.ssf.pending(first.stream.streamId, 100)).sets.length;
    await revokeAlice();
    // The SET reaches the poll queue through the outbox, after the revoke's answer: wait until the
    // transmitter holds it, so the drain on start-up (what this test checks) has it to fetch.
    await waitFor(
      'the transmitter to hold the SET of the revoke made while down',
      async () => (await store.ssf.pending(first.stream.streamId, 100)).sets.length > heldBefore,
    );

    const second = await start(s);
    assert.equal(second.stream.streamId, first.stream.streamId, 'the stream is reused, not created again');
    assert.equal((await profile(second, acknowledgedBefore)).status, 401, 'acknowledged before the restart: from the journal');
    assert.equal((await profile(second, whileDown)).status, 401, 'made while down: drained from the transmitter before listening');
  });

  test('an administrator disables alice, then resets her password: each refuses her older tokens within 1 s', async () => {
    const api = await start(await settings('admin', 'push'));
    const admin = portcullis.services.tokens.issueAppOnly({
      tenantId: TENANT,
      appId: API_APP.appId,
      displayName: 'test admin',
      publicClientRedirectUris: [],
      webRedirectUris: [],
      spaRedirectUris: [],
      secrets: [],
      allowPublicClientFlows: false,
      delegatedPermissions: [],
      applicationPermissions: ['User.ReadWrite.All', 'User-PasswordProfile.ReadWrite.All'],
      createdAt: 0,
    }).accessToken;
    const patchAlice = async (body: unknown) => {
      const res = await fetch(`${origin}/v1.0/users/${ALICE.userPrincipalName}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(res.status, 204, await res.text());
      return Date.now();
    };

    const beforeDisable = await signIn();
    assert.equal((await profile(api, beforeDisable)).status, 200);
    await nextSecond(Date.now());
    const disabledAt = await patchAlice({ accountEnabled: false });
    const disabledMs = await msUntilRefused(api, beforeDisable, disabledAt);
    assert.ok(disabledMs < REFUSAL_BOUND_MS, `disable: refused after ${disabledMs} ms`);
    await patchAlice({ accountEnabled: true });

    await nextSecond(Date.now());
    const beforeReset = await signIn();
    assert.equal((await profile(api, beforeReset)).status, 200);
    await nextSecond(Date.now());
    const resetAt = await patchAlice({ passwordProfile: { password: ALICE.password, forceChangePasswordNextSignIn: false } });
    const resetMs = await msUntilRefused(api, beforeReset, resetAt);
    assert.ok(resetMs < REFUSAL_BOUND_MS, `password reset: refused after ${resetMs} ms`);
  });

  test("the API accepts only its own tokens: a Graph token and another API's token get 401", async () => {
    const api = await start(await settings('audience', 'push'));
    assert.equal((await profile(api, await signIn())).status, 200);
    const graph = await profile(api, await signIn('User.Read'));
    assert.equal(graph.status, 401);
    assert.match(graph.headers.get('www-authenticate') ?? '', /another audience/);
    const other = await profile(api, await signIn('api://another-api/access_as_user'));
    assert.equal(other.status, 401);
    assert.match(other.headers.get('www-authenticate') ?? '', /another audience/);
  });

  test('on-behalf-of from the API to Graph works, and dies with the revoke', async () => {
    const api = await start(await settings('obo', 'push'));
    const token = await signIn();
    const graphMe = () => fetch(`${api.url}/api/graph-me`, { headers: { authorization: `Bearer ${token}` } });
    const ok = await graphMe();
    assert.equal(ok.status, 200);
    assert.equal(((await ok.json()) as { userPrincipalName: string }).userPrincipalName, ALICE.userPrincipalName);

    await nextSecond(Date.now());
    const answered = await revokeAlice();
    assert.ok((await msUntilRefused(api, token, answered)) < REFUSAL_BOUND_MS);
    assert.equal((await graphMe()).status, 401, 'the middleware refuses the revoked token before any exchange');
    // Portcullis refuses the exchange itself too (an API without the middleware's revocation feed).
    const exchange = await fetch(`${origin}/${TENANT}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        client_id: API_APP.appId,
        client_secret: API_APP.passwordCredentials![0]!.secretText,
        assertion: token,
        scope: 'https://graph.microsoft.com/User.Read',
        requested_token_use: 'on_behalf_of',
      }),
    });
    const refused = (await exchange.json()) as { error: string; error_codes: number[] };
    assert.equal(exchange.status, 400);
    assert.deepEqual([refused.error, refused.error_codes], ['invalid_grant', [50173]]);
  });

  /** SSF 1.0 §8.1.4.2: ask the transmitter for a verification SET carrying `state`. */
  async function requestVerification(api: RunningExample, s: ExampleSettings, state: string): Promise<void> {
    const credentials = await clientCredentialsFor(s.issuer, { clientId: s.clientId, clientSecret: s.clientSecret });
    const res = await fetch(`${origin}/${TENANT}/ssf/verify`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await credentials.token()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ stream_id: api.stream.streamId, state }),
    });
    assert.equal(res.status, 204, await res.text());
  }

  for (const delivery of ['poll', 'push'] as const) {
    test(`${delivery} delivery: the example creates its stream with client credentials and receives the transmitter's verification SET`, async () => {
      const s = await settings(`verify-${delivery}`, delivery);
      const api = await start(s);
      assert.equal(api.stream.method, delivery === 'poll' ? 'urn:ietf:rfc:8936' : 'urn:ietf:rfc:8935');
      assert.deepEqual(api.stream.audience, [API_APP.appId], 'the SETs are addressed to the API app');
      if (delivery === 'push') assert.equal(api.stream.endpointUrl, `${api.url}/ssf/events`);
      const state = `state-${delivery}-${Date.now()}`;
      const asked = Date.now();
      await requestVerification(api, s, state);
      for (let i = 0; i < 300 && api.rs.lastVerificationState !== state && Date.now() - asked < 3000; i++)
        await new Promise((r) => setTimeout(r, 10));
      assert.equal(api.rs.lastVerificationState, state, 'the signed verification SET was received and verified');
    });
  }
});

test("docs/your-app.md shows the example's registration as seed.json has it", () => {
  const doc = readFileSync(new URL('../../docs/your-app.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('Registering the API:'));
  const snippet = /```json\n([\s\S]*?)\n```/.exec(section)?.[1];
  assert.ok(snippet, 'the registration snippet in docs/your-app.md');
  const shown = (JSON.parse(snippet) as { applications: Array<Record<string, unknown>> }).applications;
  assert.deepEqual(
    shown.map((a) => a.appId),
    [CLIENT_APP, API_APP.appId],
  );
  for (const entry of shown) {
    const inSeed = seedJson.applications.find((a) => a.appId === entry.appId) as Record<string, unknown> | undefined;
    for (const [key, value] of Object.entries(entry))
      assert.deepEqual(value, inSeed?.[key], `update docs/your-app.md from seed.json: ${String(entry.appId)}.${key}`);
  }
});

test('docs/your-app.md shows the on-behalf-of exchange as api.ts has it, verbatim', () => {
  const doc = readFileSync(new URL('../../docs/your-app.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('## On-behalf-of from your API to Graph'));
  const snippet = /```ts\n([\s\S]*?)\n```/.exec(section)?.[1];
  assert.ok(snippet, 'the on-behalf-of snippet in docs/your-app.md');
  assert.match(snippet, /grant-type:jwt-bearer/);
  const apiTs = readFileSync(new URL('api.ts', EXAMPLE_DIR), 'utf8');
  assert.ok(apiTs.includes(snippet), 'update the on-behalf-of snippet in docs/your-app.md from examples/resource-server-express/api.ts');
});
