import { CookieJar, authorizeUrl, hiddenField, pkcePair } from '../helpers/browser-flow.js';
import { APP, TENANT_ID, type Harness } from '../helpers/harness.js';

/** Where a request comes from: inject() lets a test pick the client's address. */
export const SOURCE_A = '198.51.100.7';
export const SOURCE_B = '203.0.113.42';

/** One password attempt on the sign-in form; `signedIn` is true when it redirected with a code. */
export async function formSignIn(
  h: Harness,
  username: string,
  password: string,
  remoteAddress = SOURCE_A,
  headers: Record<string, string> = {},
) {
  const jar = new CookieJar();
  const url = authorizeUrl({ prompt: 'login' }, pkcePair());
  const page = await h.app.http.inject({ method: 'GET', url, remoteAddress, headers });
  jar.absorb(page.headers['set-cookie']);
  const res = await h.app.http.inject({
    method: 'POST',
    url: url.split('?')[0]!,
    remoteAddress,
    headers: { ...headers, cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({
      csrf: hiddenField(page.body, 'csrf'),
      authorize_request: hiddenField(page.body, 'authorize_request'),
      username,
      password,
    }).toString(),
  });
  const location = res.headers.location as string | undefined;
  return {
    status: res.statusCode,
    body: res.body,
    signedIn: res.statusCode === 302 && !!location && new URL(location).searchParams.has('code'),
  };
}

/** One ROPC attempt (RFC 6749 §4.3) with the public client. */
export async function passwordGrant(h: Harness, username: string, password: string, remoteAddress = SOURCE_A) {
  const res = await h.app.http.inject({
    method: 'POST',
    url: `/${TENANT_ID}/oauth2/v2.0/token`,
    remoteAddress,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({
      grant_type: 'password',
      client_id: APP.publicClient,
      scope: 'User.Read',
      username,
      password,
    }).toString(),
  });
  return { status: res.statusCode, body: res.json() as Record<string, unknown>, headers: res.headers };
}

/** A token request from a chosen address. */
export async function tokenFrom(h: Harness, remoteAddress: string, form: Record<string, string>) {
  const res = await h.app.http.inject({
    method: 'POST',
    url: `/${TENANT_ID}/oauth2/v2.0/token`,
    remoteAddress,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(form).toString(),
  });
  return { status: res.statusCode, body: res.json() as Record<string, unknown>, headers: res.headers };
}
