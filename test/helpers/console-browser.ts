/**
 * A browser without JavaScript for the console's HTTP tests: real HTTP to a listening server,
 * a cookie jar, redirects followed by hand (so each hop can be checked), and the sign-in form
 * filled in when /authorize shows it.
 */
import { CookieJar, hiddenField } from './browser-flow.js';
import { PASSWORD } from './harness.js';

export interface Visit {
  status: number;
  url: string;
  headers: Headers;
  body: string;
}

export class ConsoleBrowser {
  readonly jar = new CookieJar();
  constructor(readonly base: string) {}

  async request(method: string, path: string, form?: Record<string, string>, headers: Record<string, string> = {}): Promise<Visit> {
    const url = new URL(path, this.base).toString();
    const res = await fetch(url, {
      method,
      redirect: 'manual',
      headers: {
        cookie: this.jar.header(),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...headers,
      },
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    });
    this.jar.absorb(res.headers.getSetCookie());
    return { status: res.status, url, headers: res.headers, body: await res.text() };
  }

  /** Follows redirects (at most 10) from a first request. */
  async follow(method: string, path: string, form?: Record<string, string>, headers: Record<string, string> = {}): Promise<Visit> {
    let visit = await this.request(method, path, form, headers);
    for (let i = 0; i < 10 && visit.status >= 300 && visit.status < 400; i++) {
      visit = await this.request('GET', new URL(visit.headers.get('location') ?? '/', visit.url).toString());
    }
    return visit;
  }

  /** Opens `path`; on the sign-in form, signs in as `username` and follows back to the console. */
  async signIn(path: string, username: string): Promise<Visit> {
    const page = await this.follow('GET', path);
    if (!page.body.includes('name="password"')) return page;
    return this.follow('POST', page.url.split('?')[0]!, {
      csrf: hiddenField(page.body, 'csrf'),
      authorize_request: hiddenField(page.body, 'authorize_request'),
      username,
      password: PASSWORD,
    });
  }

  /** The form token on a console page. */
  static csrf(html: string): string {
    return hiddenField(html, 'csrf');
  }
}
