/**
 * A server-side web app on Express 5 and MSAL Node's ConfidentialClientApplication against
 * Portcullis: /login sends the browser to the sign-in form (authorization code + PKCE), /redirect
 * redeems the code with the app's secret, /me calls Graph with acquireTokenSilent, /logout ends
 * the session here and at Portcullis. Sessions are an in-memory map keyed by a random cookie.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:https';
import { type AccountInfo, ConfidentialClientApplication, CryptoProvider, InteractionRequiredAuthError } from '@azure/msal-node';
import express, { type Request, type Response } from 'express';

export interface WebAppSettings {
  /** https://localhost:5050/<tenant-id> (HTTPS: MSAL refuses an http authority). */
  authority: string;
  clientId: string;
  clientSecret: string;
  /** http://localhost:3000/redirect, registered as a `web` redirect URI (so is http://localhost:3000/, for logout). */
  redirectUri: string;
  /** https://localhost:5050/v1.0 (Portcullis serves Graph on its own origin). */
  graphUrl: string;
  /** PEM of a self-signed Portcullis certificate to trust (`portcullis serve --tls-self-signed`). */
  caCertificate?: string | null;
}

interface Session {
  state?: string;
  verifier?: string;
  account?: AccountInfo;
}

const SCOPES = ['User.Read'];
const COOKIE = 'webapp_sid';

export function createWebApp(s: WebAppSettings): express.Express {
  const ca = s.caCertificate ?? undefined;
  const msal = new ConfidentialClientApplication({
    // knownAuthorities (host:port of Portcullis): MSAL trusts it without asking Microsoft's instance discovery.
    auth: { clientId: s.clientId, clientSecret: s.clientSecret, authority: s.authority, knownAuthorities: [new URL(s.authority).host] },
    system: ca ? { customAgentOptions: { ca } } : {},
  });
  const crypto = new CryptoProvider();
  const sessions = new Map<string, Session>();

  const sessionId = (req: Request) => /(?:^|;\s*)webapp_sid=([\w-]+)/.exec(req.headers.cookie ?? '')?.[1];
  function session(req: Request, res: Response): Session {
    const id = sessionId(req);
    if (id && sessions.has(id)) return sessions.get(id) as Session;
    const fresh = randomBytes(32).toString('base64url');
    sessions.set(fresh, {});
    // Add `secure: true` when the app is served over HTTPS.
    res.cookie(COOKIE, fresh, { httpOnly: true, sameSite: 'lax', path: '/' });
    return sessions.get(fresh) as Session;
  }

  const app = express();
  app.get('/', (_req, res) => {
    res.type('html').send('<a href="/login">Sign in</a> · <a href="/me">Me</a> · <a href="/logout">Sign out</a>');
  });

  app.get('/login', async (req, res) => {
    const { verifier, challenge } = await crypto.generatePkceCodes();
    const state = crypto.createNewGuid();
    Object.assign(session(req, res), { state, verifier });
    res.redirect(
      await msal.getAuthCodeUrl({
        scopes: SCOPES,
        redirectUri: s.redirectUri,
        codeChallenge: challenge,
        codeChallengeMethod: 'S256',
        state,
      }),
    );
  });

  app.get('/redirect', async (req, res) => {
    const current = session(req, res);
    const { code, state, error_description } = req.query as Record<string, string | undefined>;
    if (!code || !current.verifier || state !== current.state) {
      res.status(400).send(error_description ?? 'Sign-in failed: start again at /login.');
      return;
    }
    const result = await msal.acquireTokenByCode({ code, scopes: SCOPES, redirectUri: s.redirectUri, codeVerifier: current.verifier });
    Object.assign(current, { account: result.account ?? undefined, state: undefined, verifier: undefined });
    res.redirect('/me');
  });

  app.get('/me', async (req, res) => {
    const current = session(req, res);
    if (!current.account) return res.redirect('/login');
    try {
      let me = await graphGet(
        `${s.graphUrl}/me`,
        (await msal.acquireTokenSilent({ account: current.account, scopes: SCOPES })).accessToken,
        ca,
      );
      // Graph refuses a cached access token at once once its session is revoked: refresh; a revoked
      // refresh token then raises InteractionRequiredAuthError.
      if (me.status === 401) {
        const fresh = await msal.acquireTokenSilent({ account: current.account, scopes: SCOPES, forceRefresh: true });
        me = await graphGet(`${s.graphUrl}/me`, fresh.accessToken, ca);
      }
      res.status(me.status).json(me.body);
    } catch (e) {
      if (!(e instanceof InteractionRequiredAuthError)) throw e;
      current.account = undefined;
      res.redirect('/login');
    }
  });

  app.get('/logout', async (req, res) => {
    const id = sessionId(req);
    const account = id ? sessions.get(id)?.account : undefined;
    if (account) await msal.getTokenCache().removeAccount(account);
    if (id) sessions.delete(id);
    res.clearCookie(COOKIE, { path: '/' });
    const logout = new URL(`${s.authority}/oauth2/v2.0/logout`);
    // client_id names the app whose registered URI post_logout_redirect_uri must be (no open redirect).
    logout.searchParams.set('client_id', s.clientId);
    logout.searchParams.set('post_logout_redirect_uri', new URL('/', s.redirectUri).href);
    res.redirect(logout.href);
  });

  return app;
}

/** GET with a bearer token over node:https (which takes the extra CA certificate). */
function graphGet(url: string, token: string, ca: string | undefined): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { authorization: `Bearer ${token}` }, ...(ca ? { ca } : {}) }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 502, body: text ? JSON.parse(text) : null }));
    });
    req.on('error', reject);
    req.end();
  });
}
