import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { createApp, type PortcullisApp } from '../../../src/app.js';
import { makeAppConfig, type AppConfig } from '../../../src/config.js';
import type { Store } from '../../../src/store/store.js';
import { hiddenField } from '../../helpers/browser-flow.js';
import { APP, PASSWORD, PUBLIC_URL, REDIRECT, TENANT_ID, WEB_SECRET } from '../../helpers/harness.js';
import type { RunData } from './backend.js';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * One Portcullis process as the property tests see it: the real app on a loopback port, reached
 * over real HTTP with keep-alive. `restart()` closes app and store and reopens the same data —
 * what a process restart does, minus the exec.
 */
export class RunningServer {
  private constructor(
    private readonly data: RunData,
    private readonly config: Partial<AppConfig>,
    private app: PortcullisApp,
    private store: Store,
    private pool: Pool,
  ) {}

  static async start(data: RunData, config: Partial<AppConfig> = {}): Promise<RunningServer> {
    const { app, store, pool } = await RunningServer.boot(data, config);
    return new RunningServer(data, config, app, store, pool);
  }

  private static async boot(data: RunData, config: Partial<AppConfig>) {
    const store = await data.open();
    const app = await createApp({ config: makeAppConfig({ publicUrl: PUBLIC_URL, logLevel: 'silent', ...config }), store });
    await app.http.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.http.server.address() as AddressInfo;
    return { app, store, pool: new Pool(`http://127.0.0.1:${port}`, { connections: 4 }) };
  }

  get directory(): Store {
    return this.store;
  }

  get services() {
    return this.app.services;
  }

  async restart(): Promise<void> {
    await this.stop();
    Object.assign(this, await RunningServer.boot(this.data, this.config));
  }

  async stop(): Promise<void> {
    await this.pool.close();
    await this.app.close();
    await this.store.close();
  }

  async request(method: 'GET' | 'POST' | 'PATCH', path: string, headers: Record<string, string> = {}, body?: string): Promise<HttpAnswer> {
    const res = await this.pool.request({ method, path, headers, ...(body !== undefined ? { body } : {}) });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  }

  form(path: string, fields: Record<string, string>, cookie = ''): Promise<HttpAnswer> {
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (cookie) headers.cookie = cookie;
    return this.request('POST', path, headers, new URLSearchParams(fields).toString());
  }

  token(fields: Record<string, string>): Promise<HttpAnswer> {
    return this.form(`/${TENANT_ID}/oauth2/v2.0/token`, fields);
  }

  refresh(refreshToken: string): Promise<HttpAnswer> {
    return this.token({ grant_type: 'refresh_token', client_id: APP.publicClient, refresh_token: refreshToken });
  }

  /** An app-only Graph token of the confidential web app (User.RevokeSessions.All, User.ReadWrite.All). */
  async adminToken(): Promise<string> {
    const r = await this.token({
      grant_type: 'client_credentials',
      client_id: APP.webApp,
      client_secret: WEB_SECRET,
      scope: 'https://graph.microsoft.com/.default',
    });
    if (r.status !== 200) throw new Error(`client_credentials failed: ${r.status} ${r.text}`);
    return (JSON.parse(r.text) as { access_token: string }).access_token;
  }

  /**
   * A delegated Graph token of the Global Administrator (ROPC), for invalidateAllRefreshTokens,
   * which takes no application permission (https://learn.microsoft.com/graph/api/user-invalidateallrefreshtokens?view=graph-rest-beta).
   */
  async delegatedAdminToken(): Promise<string> {
    const r = await this.token({
      grant_type: 'password',
      client_id: APP.publicClient,
      username: 'globaladmin@contoso.test',
      password: PASSWORD,
      scope: 'User.RevokeSessions.All',
    });
    if (r.status !== 200) throw new Error(`password grant failed: ${r.status} ${r.text}`);
    return (JSON.parse(r.text) as { access_token: string }).access_token;
  }

  graph(method: 'POST' | 'PATCH', path: string, token: string, body: unknown): Promise<HttpAnswer> {
    return this.request(method, path, { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, JSON.stringify(body));
  }
}

/** The cookies a browser keeps, by name. */
export class Cookies {
  private readonly values = new Map<string, string>();
  absorb(setCookie: string | string[] | undefined): void {
    for (const c of ([] as string[]).concat(setCookie ?? [])) {
      const pair = c.split(';')[0]!;
      const eq = pair.indexOf('=');
      if (/max-age=0/i.test(c)) this.values.delete(pair.slice(0, eq));
      else this.values.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
  }
  header(): string {
    return [...this.values].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  get(name: string): string | undefined {
    return this.values.get(name);
  }
}

function authorizePath(challenge: string, prompt?: string): string {
  const q = new URLSearchParams({
    client_id: APP.publicClient,
    response_type: 'code',
    redirect_uri: REDIRECT.publicClient,
    scope: 'openid profile offline_access User.Read',
    state: 'prop',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...(prompt ? { prompt } : {}),
  });
  return `/${TENANT_ID}/oauth2/v2.0/authorize?${q}`;
}

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export type SignInOutcome =
  | { ok: true; cookies: Cookies; code: string; refreshToken: string; accessToken: string; sid: string }
  | { ok: false; status: number; page: string };

async function redeem(server: RunningServer, code: string, verifier: string) {
  const r = await server.token({
    grant_type: 'authorization_code',
    client_id: APP.publicClient,
    code,
    redirect_uri: REDIRECT.publicClient,
    code_verifier: verifier,
  });
  if (r.status !== 200) throw new Error(`code redemption failed: ${r.status} ${r.text}`);
  const body = JSON.parse(r.text) as { refresh_token: string; access_token: string };
  return { refreshToken: body.refresh_token, accessToken: body.access_token };
}

/** Interactive sign-in through the real form: a new SSO session and a new grant. */
export async function signInThroughForm(server: RunningServer, username: string, password: string): Promise<SignInOutcome> {
  const cookies = new Cookies();
  const { verifier, challenge } = pkce();
  const path = authorizePath(challenge);
  const page = await server.request('GET', path);
  if (page.status !== 200) throw new Error(`authorize page: ${page.status} ${page.text.slice(0, 200)}`);
  cookies.absorb(page.headers['set-cookie']);
  const posted = await server.form(
    path.split('?')[0]!,
    { csrf: hiddenField(page.text, 'csrf'), authorize_request: hiddenField(page.text, 'authorize_request'), username, password },
    cookies.header(),
  );
  if (posted.status !== 302) return { ok: false, status: posted.status, page: posted.text };
  cookies.absorb(posted.headers['set-cookie']);
  const location = new URL(String(posted.headers.location));
  const code = location.searchParams.get('code');
  // session_state carries the SSO session's public id (sid), which a targeted revocation names.
  const sid = location.searchParams.get('session_state');
  if (!code || !sid) throw new Error(`no code or session_state in ${String(posted.headers.location)}`);
  return { ok: true, cookies, code, sid, ...(await redeem(server, code, verifier)) };
}

export type SilentOutcome = { ok: true; code: string; refreshToken: string; accessToken: string } | { ok: false; error: string };

/** prompt=none with the browser's SSO cookie (OIDC Core §3.1.2.6): a code only while the session lives. */
export async function silentSignIn(server: RunningServer, cookies: Cookies): Promise<SilentOutcome> {
  const { verifier, challenge } = pkce();
  const r = await server.request('GET', authorizePath(challenge, 'none'), { cookie: cookies.header() });
  if (r.status !== 302) throw new Error(`prompt=none answered ${r.status}: ${r.text.slice(0, 200)}`);
  const location = new URL(String(r.headers.location));
  const code = location.searchParams.get('code');
  if (!code) return { ok: false, error: location.searchParams.get('error') ?? '(none)' };
  return { ok: true, code, ...(await redeem(server, code, verifier)) };
}
