import { createHash, randomBytes } from 'node:crypto';
import type { Harness } from './harness.js';
import { APP, PASSWORD, REDIRECT, TENANT_ID } from './harness.js';

/**
 * Drives the authorization-code flow through the real sign-in form with app.inject(): what a
 * browser without JavaScript does (GET authorize, POST the form, follow the redirect).
 */
export class CookieJar {
  private readonly cookies = new Map<string, string>();
  absorb(setCookie: string | string[] | undefined): void {
    for (const c of ([] as string[]).concat(setCookie ?? [])) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (/max-age=0/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  get(name: string): string | undefined {
    return this.cookies.get(name);
  }
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function hiddenField(html: string, name: string): string {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!m) throw new Error(`no hidden field ${name} in page`);
  return m[1]!
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');
}

export interface AuthorizeOptions {
  clientId?: string;
  redirectUri?: string;
  scope?: string;
  prompt?: string;
  state?: string;
  nonce?: string;
  responseMode?: string;
  challenge?: string | null;
  extra?: Record<string, string>;
}

export function authorizeUrl(o: AuthorizeOptions, pkce: { challenge: string }): string {
  const q = new URLSearchParams({
    client_id: o.clientId ?? APP.publicClient,
    response_type: 'code',
    redirect_uri: o.redirectUri ?? REDIRECT.publicClient,
    scope: o.scope ?? 'openid profile offline_access User.Read',
    state: o.state ?? 'st-1',
    ...(o.nonce ? { nonce: o.nonce } : {}),
    ...(o.prompt ? { prompt: o.prompt } : {}),
    ...(o.responseMode ? { response_mode: o.responseMode } : {}),
    ...(o.extra ?? {}),
  });
  const challenge = o.challenge === undefined ? pkce.challenge : o.challenge;
  if (challenge) {
    q.set('code_challenge', challenge);
    q.set('code_challenge_method', 'S256');
  }
  return `/${TENANT_ID}/oauth2/v2.0/authorize?${q}`;
}

/** Signs in through the form and returns the code from the redirect. */
export async function signInForCode(
  h: Harness,
  jar: CookieJar,
  username: string,
  o: AuthorizeOptions = {},
): Promise<{ code: string; verifier: string; location: URL }> {
  const pkce = pkcePair();
  const url = authorizeUrl(o, pkce);
  const page = await h.app.http.inject({ method: 'GET', url, headers: { cookie: jar.header() } });
  jar.absorb(page.headers['set-cookie']);
  let location: string | undefined = page.headers.location as string | undefined;
  if (page.statusCode === 200) {
    const posted = await h.app.http.inject({
      method: 'POST',
      url: url.split('?')[0]!,
      headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        csrf: hiddenField(page.body, 'csrf'),
        authorize_request: hiddenField(page.body, 'authorize_request'),
        username,
        password: PASSWORD,
      }).toString(),
    });
    jar.absorb(posted.headers['set-cookie']);
    if (posted.statusCode !== 302) throw new Error(`sign-in did not redirect: ${posted.statusCode} ${posted.body.slice(0, 300)}`);
    location = posted.headers.location as string;
  }
  if (!location) throw new Error(`authorize answered ${page.statusCode}: ${page.body.slice(0, 300)}`);
  const loc = new URL(location);
  const code = loc.searchParams.get('code');
  if (!code) throw new Error(`no code in redirect: ${location}`);
  return { code, verifier: pkce.verifier, location: loc };
}

export async function tokenRequest(h: Harness, form: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await h.app.http.inject({
    method: 'POST',
    url: `/${TENANT_ID}/oauth2/v2.0/token`,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: new URLSearchParams(form).toString(),
  });
  return { status: res.statusCode, body: res.json() as Record<string, unknown>, headers: res.headers };
}

/**
 * Signs `username` in with the public client and redeems the code: returns the token response.
 * `headers` go with the redemption (a SPA's page sends Origin).
 */
export async function signIn(
  h: Harness,
  username: string,
  jar = new CookieJar(),
  o: AuthorizeOptions = {},
  headers: Record<string, string> = {},
) {
  const { code, verifier } = await signInForCode(h, jar, username, o);
  // A code sent to the SPA's redirect URI is redeemed by its page, which a browser sends with Origin.
  const page: Record<string, string> = o.redirectUri === REDIRECT.spa ? { origin: new URL(REDIRECT.spa).origin } : {};
  const res = await tokenRequest(
    h,
    {
      grant_type: 'authorization_code',
      client_id: o.clientId ?? APP.publicClient,
      code,
      redirect_uri: o.redirectUri ?? REDIRECT.publicClient,
      code_verifier: verifier,
      client_info: '1',
    },
    { ...page, ...headers },
  );
  if (res.status !== 200) throw new Error(`code redemption failed: ${JSON.stringify(res.body)}`);
  return { jar, tokens: res.body as Record<string, string> };
}

export async function refresh(h: Harness, refreshToken: string, clientId: string = APP.publicClient, headers: Record<string, string> = {}) {
  return tokenRequest(h, { grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken }, headers);
}
