import type { FastifyInstance } from 'fastify';

/**
 * What a browser without JavaScript does, over the app's own HTTP stack (Fastify's inject: the
 * real routing, parsing, CSRF checks and handlers, without a socket). A server-side client sends
 * no Sec-Fetch-Site or Origin header, which the same-origin checks accept
 * (src/web/same-origin-posts.ts); the CSRF token is bound to the session cookie (src/web/csrf.ts),
 * so the jar carries the cookies from the form to its POST.
 */
export interface JarCookie {
  name: string;
  value: string;
  sameSite: 'Strict' | 'Lax' | 'None';
}

export class CookieJar {
  private readonly cookies = new Map<string, JarCookie>();

  absorb(setCookie: string | string[] | undefined): void {
    for (const c of ([] as string[]).concat(setCookie ?? [])) {
      const pair = c.split(';')[0] ?? '';
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const sameSite = /;\s*samesite=(strict|lax|none)/i.exec(c)?.[1]?.toLowerCase();
      if (/;\s*max-age=0/i.test(c) || pair.slice(eq + 1) === '') this.cookies.delete(name);
      else
        this.cookies.set(name, {
          name,
          value: pair.slice(eq + 1),
          sameSite: sameSite === 'strict' ? 'Strict' : sameSite === 'none' ? 'None' : 'Lax',
        });
    }
  }

  header(): string {
    return [...this.cookies.values()].map((c) => `${c.name}=${c.value}`).join('; ');
  }

  entries(): JarCookie[] {
    return [...this.cookies.values()];
  }
}

const unescapeHtml = (s: string): string =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** The sign-in form of a page: its action and hidden fields (src/web/sign-in-page.ts). */
function signInForm(html: string): { action: string; fields: Record<string, string> } | null {
  const form = /<form method="post" action="([^"]*)">([\s\S]*?)<\/form>/.exec(html);
  if (!form || !/name="password"/.test(form[2] ?? '')) return null;
  const fields: Record<string, string> = {};
  for (const m of (form[2] ?? '').matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g))
    fields[unescapeHtml(m[1] ?? '')] = unescapeHtml(m[2] ?? '');
  return { action: unescapeHtml(form[1] ?? ''), fields };
}

/** Every POST form of a page, with its action and hidden fields (src/identity/endpoints/device-login.ts has several). */
function postForms(html: string): Array<{ action: string; fields: Record<string, string> }> {
  return [...html.matchAll(/<form method="post" action="([^"]*)">([\s\S]*?)<\/form>/g)].map((form) => {
    const fields: Record<string, string> = {};
    for (const m of (form[2] ?? '').matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g))
      fields[unescapeHtml(m[1] ?? '')] = unescapeHtml(m[2] ?? '');
    return { action: unescapeHtml(form[1] ?? ''), fields };
  });
}

function pageError(html: string): string {
  const alert = /<p class="error" role="alert">([^<]*)<\/p>/.exec(html);
  return alert ? unescapeHtml(alert[1] ?? '') : 'no sign-in form and no redirect';
}

export class SignInError extends Error {
  override name = 'SignInError';
}

/**
 * Runs an authorization request (RFC 6749 §4.1.1) as a user: GET the URL, POST the sign-in
 * form if one is shown (an existing session in the jar may skip it), and return the redirect
 * the app would receive (code and state, or error). Throws SignInError when the form comes back
 * (wrong password, locked or disabled account) with the page's message.
 */
export async function authorizeAsUser(
  http: FastifyInstance,
  publicUrl: string,
  authorizeUrl: string,
  credentials: { username: string; password: string },
  jar: CookieJar,
): Promise<URL> {
  const url = new URL(authorizeUrl, publicUrl);
  const host = new URL(publicUrl).host;
  const page = await http.inject({ method: 'GET', url: `${url.pathname}${url.search}`, headers: { host, cookie: jar.header() } });
  jar.absorb(page.headers['set-cookie']);
  let location = page.headers.location;
  if (page.statusCode === 200) {
    const form = signInForm(page.body);
    if (!form) throw new SignInError(`authorize: ${pageError(page.body)}`);
    // The action is relative to the page ("authorize"), as a browser resolves it.
    const action = new URL(form.action, url);
    const posted = await http.inject({
      method: 'POST',
      url: `${action.pathname}${action.search}`,
      headers: { host, cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ ...form.fields, username: credentials.username, password: credentials.password }).toString(),
    });
    jar.absorb(posted.headers['set-cookie']);
    if (posted.statusCode !== 302)
      throw new SignInError(`sign-in of ${credentials.username} refused (${posted.statusCode}): ${pageError(posted.body)}`);
    location = posted.headers.location;
  }
  if (typeof location !== 'string') throw new SignInError(`authorize answered ${page.statusCode}: ${page.body.slice(0, 200)}`);
  return new URL(location, publicUrl);
}

/**
 * The other half of the device authorization grant (RFC 8628 §3.3): what the user does on
 * /devicelogin in a browser — enter the code, sign in, confirm. The device (the app under test)
 * polls the token endpoint itself and gets its tokens.
 */
export async function approveDeviceCodeAsUser(
  http: FastifyInstance,
  publicUrl: string,
  userCode: string,
  credentials: { username: string; password: string },
): Promise<void> {
  const host = new URL(publicUrl).host;
  const jar = new CookieJar();
  const send = async (method: 'GET' | 'POST', path: string, form?: Record<string, string>) => {
    const res = await http.inject({
      method,
      url: path,
      headers: { host, cookie: jar.header(), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      ...(form ? { payload: new URLSearchParams(form).toString() } : {}),
    });
    jar.absorb(res.headers['set-cookie']);
    return res;
  };
  const step = (html: string, action: string | null) => {
    const form = postForms(html).find((f) => (action === null ? !('action' in f.fields) : f.fields.action === action));
    if (!form) throw new SignInError(`device login: ${pageError(html)}`);
    return form;
  };
  const codePage = await send('GET', '/devicelogin');
  const codeForm = step(codePage.body, null);
  const signInPage = await send('POST', codeForm.action, { ...codeForm.fields, user_code: userCode });
  const signIn = step(signInPage.body, 'sign-in');
  const confirmPage = await send('POST', signIn.action, {
    ...signIn.fields,
    username: credentials.username,
    password: credentials.password,
  });
  const confirm = step(confirmPage.body, 'confirm');
  const done = await send('POST', confirm.action, confirm.fields);
  if (done.statusCode !== 200 || !/You have signed in/.test(done.body)) throw new SignInError(`device login: ${pageError(done.body)}`);
}

/** A token endpoint request (form-encoded, RFC 6749 §3.2): the JSON answer, or an error carrying it. */
export async function tokenRequest(
  http: FastifyInstance,
  publicUrl: string,
  tenantId: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  const res = await http.inject({
    method: 'POST',
    url: `/${tenantId}/oauth2/v2.0/token`,
    headers: { ...headers, host: new URL(publicUrl).host, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(form).toString(),
  });
  const body = res.json() as Record<string, unknown>;
  if (res.statusCode !== 200) throw new TokenError(res.statusCode, body);
  return body;
}

/** The token endpoint refused: `body` is its OAuth error response (error, error_description, error_codes...). */
export class TokenError extends Error {
  override name = 'TokenError';
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(`token endpoint: ${status} ${String(body.error)}: ${String(body.error_description ?? '').split('\n')[0]}`);
  }
}
