/**
 * The Express web app of examples/web-app-express/app.ts (the snippet of docs/your-app.md) against
 * Portcullis over HTTPS, registered by the seed file beside it: a user-agent without JavaScript
 * (fetch, manual redirects, a cookie jar per origin) goes /login → sign-in form → /redirect → /me;
 * after revokeSignInSessions the app's silent token fails with InteractionRequiredAuthError and
 * /me sends the browser back to /login; /logout ends at Portcullis's logout.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { after, before, test } from 'node:test';
import { Agent, fetch } from 'undici';
import { createWebApp } from '../../examples/web-app-express/app.js';
import { type RunningPortcullis, startPortcullis } from '../../src/testing/index.js';
import { freePort } from '../e2e/helpers/https-server.js';
import { CookieJar, hiddenField } from '../helpers/browser-flow.js';

const APP_TS = new URL('../../examples/web-app-express/app.ts', import.meta.url);
const SEED = JSON.parse(readFileSync(new URL('../../examples/web-app-express/seed.json', import.meta.url), 'utf8'));
const WEB_APP = SEED.applications[0];
const ALICE = SEED.users[0];

let idp: RunningPortcullis;
let server: Server;
let origin: string;
let dispatcher: Agent;

before(async () => {
  const port = await freePort();
  origin = `http://localhost:${port}`;
  // The seed's redirect URIs name port 3000; the test's app listens on a free one.
  const seed = JSON.parse(JSON.stringify(SEED).replaceAll('http://localhost:3000', origin));
  idp = await startPortcullis({ seed, tls: true });
  dispatcher = new Agent({ connect: { ca: idp.caCertificate ?? undefined } });
  const app = createWebApp({
    authority: idp.authority,
    clientId: WEB_APP.appId,
    clientSecret: WEB_APP.passwordCredentials[0].secretText,
    redirectUri: `${origin}/redirect`,
    graphUrl: idp.graphBaseUrl,
    caCertificate: idp.caCertificate,
  });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s));
  });
});

after(async () => {
  server?.closeAllConnections();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  await dispatcher?.close();
  await idp?.stop();
});

/** A browser's cookies, one jar per origin (stricter than a browser, which shares localhost's across ports). */
const jars = new Map<string, CookieJar>();
async function get(url: string, form?: Record<string, string>): Promise<{ status: number; location: URL | null; body: string }> {
  const u = new URL(url);
  // The app listens on 127.0.0.1; Portcullis on every localhost address.
  const target = u.origin === origin ? url.replace('//localhost:', '//127.0.0.1:') : url;
  const jar = jars.get(u.origin) ?? new CookieJar();
  jars.set(u.origin, jar);
  const res = await fetch(target, {
    method: form ? 'POST' : 'GET',
    redirect: 'manual',
    dispatcher,
    headers: {
      cookie: jar.header(),
      ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    },
    ...(form ? { body: new URLSearchParams(form).toString() } : {}),
  });
  jar.absorb(res.headers.getSetCookie());
  const location = res.headers.get('location');
  return { status: res.status, location: location ? new URL(location, url) : null, body: await res.text() };
}

/** /login → Portcullis's sign-in form → POST → /redirect; returns where /redirect sends the browser. */
async function signIn(): Promise<URL> {
  const login = await get(`${origin}/login`);
  assert.equal(login.status, 302);
  assert.equal(login.location?.origin, new URL(idp.authority).origin);
  assert.equal(login.location?.searchParams.get('code_challenge_method'), 'S256');
  const page = await get(login.location!.href);
  assert.equal(page.status, 200);
  const posted = await get(login.location!.href.split('?')[0]!, {
    csrf: hiddenField(page.body, 'csrf'),
    authorize_request: hiddenField(page.body, 'authorize_request'),
    username: ALICE.userPrincipalName,
    password: ALICE.password,
  });
  assert.equal(posted.status, 302, posted.body.slice(0, 300));
  assert.equal(posted.location?.href.split('?')[0], `${origin}/redirect`);
  const redirect = await get(posted.location!.href);
  assert.equal(redirect.status, 302, redirect.body.slice(0, 300));
  return redirect.location!;
}

test('sign-in with PKCE, Graph /me, revoke → back to /login, logout', async () => {
  assert.equal((await get(`${origin}/me`)).location?.pathname, '/login', 'no session yet');

  assert.equal((await signIn()).href, `${origin}/me`);
  const me = await get(`${origin}/me`);
  assert.equal(me.status, 200, me.body);
  assert.equal(JSON.parse(me.body).userPrincipalName, ALICE.userPrincipalName);

  // An administrator's revokeSignInSessions (Graph's, through core/revocation.ts): Graph refuses the
  // cached access token, the refresh token gets invalid_grant → InteractionRequiredAuthError.
  await idp.users.revokeSessions(ALICE.userPrincipalName);
  const after = await get(`${origin}/me`);
  assert.equal(after.status, 302, after.body.slice(0, 300));
  assert.equal(after.location?.href, `${origin}/login`);

  // Signing in again works; logout ends at Portcullis, which returns to the app's home page.
  assert.equal((await signIn()).href, `${origin}/me`);
  assert.equal((await get(`${origin}/me`)).status, 200);
  const logout = await get(`${origin}/logout`);
  assert.equal(logout.location?.pathname, `/${new URL(idp.authority).pathname.slice(1)}/oauth2/v2.0/logout`);
  assert.equal(logout.location?.searchParams.get('post_logout_redirect_uri'), `${origin}/`);
  const ended = await get(logout.location!.href);
  assert.equal(ended.location?.href, `${origin}/`);
  assert.equal((await get(`${origin}/me`)).location?.pathname, '/login', 'the app session is gone');
  // …and so is Portcullis's SSO session: the next sign-in shows the form again.
  const again = await get(`${origin}/login`);
  assert.equal((await get(again.location!.href)).status, 200);
});

test('docs/your-app.md shows the web app code this test runs, verbatim', () => {
  const doc = readFileSync(new URL('../../docs/your-app.md', import.meta.url), 'utf8');
  assert.ok(
    doc.includes(readFileSync(APP_TS, 'utf8').trimEnd()),
    'update the snippet in docs/your-app.md from examples/web-app-express/app.ts',
  );
});
