/**
 * The test as a browser without JavaScript, over real HTTPS: GET the authorization URL with the
 * cookies it holds, submit the sign-in form it gets back (to the form's own action, resolved
 * against the page URL), and stop at the redirect to the application, which is not followed
 * (the redirect URIs point at hosts that do not exist here). Redirects are handled by hand so
 * cookies and Location headers can be inspected; every request is bounded by a timeout.
 */
import { CookieJar, hiddenField } from '../../helpers/browser-flow.js';

const REQUEST_TIMEOUT_MS = 10_000;

export interface SignInResult {
  /** The redirect to the application (carries code and state, or error). */
  location: URL;
  /** Whether the sign-in form was shown (false when an SSO session answered at once). */
  formShown: boolean;
}

function decodeAttr(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

export class Browser {
  readonly jar = new CookieJar();

  async request(url: string | URL, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: 'text/html' };
    const cookie = this.jar.header();
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const res = await fetch(url, {
      method: init.method ?? 'GET',
      headers,
      ...(body !== undefined ? { body } : {}),
      redirect: 'manual',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    this.jar.absorb(res.headers.getSetCookie());
    return res;
  }

  /**
   * Signs `username` in for an authorization URL built by a client library; returns the redirect
   * to the application. Throws with the page text when the server does something else.
   */
  async signIn(authorizeUrl: string | URL, username: string, password: string): Promise<SignInResult> {
    const pageUrl = new URL(authorizeUrl);
    const page = await this.request(pageUrl);
    if (page.status === 302 || page.status === 303) {
      await page.body?.cancel();
      return { location: locationOf(page, pageUrl), formShown: false };
    }
    const html = await page.text();
    if (page.status !== 200) throw new Error(`authorize answered ${page.status}: ${html.slice(0, 500)}`);
    const formTag = /<form\b[^>]*>/i.exec(html)?.[0];
    if (!formTag || !/\bmethod="post"/i.test(formTag)) throw new Error(`no sign-in form on the authorize page: ${html.slice(0, 500)}`);
    // A form without action posts back to the page's own URL (HTML: form submission algorithm).
    const actionAttr = /\baction="([^"]*)"/i.exec(formTag)?.[1];
    const action = new URL(actionAttr ? decodeAttr(actionAttr) : pageUrl.href, pageUrl);
    const posted = await this.request(action, {
      method: 'POST',
      form: {
        csrf: hiddenField(html, 'csrf'),
        authorize_request: hiddenField(html, 'authorize_request'),
        username,
        password,
      },
    });
    if (posted.status !== 302 && posted.status !== 303) {
      throw new Error(`sign-in POST answered ${posted.status}: ${(await posted.text()).slice(0, 500)}`);
    }
    await posted.body?.cancel();
    return { location: locationOf(posted, action), formShown: true };
  }
}

function locationOf(res: Response, base: URL): URL {
  const location = res.headers.get('location');
  if (!location) throw new Error(`redirect ${res.status} without Location`);
  return new URL(location, base);
}
