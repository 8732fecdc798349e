import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { createApp, type PortcullisApp } from '../app.js';
import { makeAppConfig, type AppConfigOverrides } from '../config.js';
import { isSpaGrant } from '../core/credential-verdicts.js';
import type { AuditIdentity, User } from '../core/model.js';
import { digestCredential } from '../crypto/digest.js';
import { revokeUserSessions } from '../core/revocation.js';
import { applySeed, parseSeed, type Seed } from '../core/seed.js';
import { updateUser, type UserChanges } from '../core/user-management.js';
import { SqliteDb } from '../store/sqlite/database.js';
import { sqliteStoreOn } from '../store/sqlite/open.js';
import type { Store } from '../store/store.js';
import { defaultSeed, TEST_APPS } from './default-seed.js';
import { CookieJar, approveDeviceCodeAsUser, authorizeAsUser, tokenRequest } from './http-flows.js';
import { knownHashes } from './known-hashes.js';
import { localhostCertificate } from './localhost-certificate.js';
import { processSigningKey } from './process-signing-key.js';
import { DelayedRevocations } from './revocation-delay.js';
import { TableSnapshot } from './table-snapshot.js';
import { TestClock, type TestClockOptions } from './test-clock.js';

export interface StartOptions {
  /** A seed in the seed-file format (docs/seed-file.md); default: the kit's (default-seed.ts). */
  seed?: unknown;
  /** Serve HTTPS with a self-signed localhost certificate (MSAL requires an https authority). */
  tls?: boolean;
  /** The kit's clock: follows real time by default; `{ frozen: true }` moves only by advance(). */
  clock?: TestClockOptions;
  /**
   * Emulate Entra's revocation delay (revocation-delay.ts): a revoke is committed this many ms
   * (of the kit's clock) after it was answered; `true` = 5 minutes. Off by default.
   */
  entraRevocationDelay?: number | boolean;
  /** Further server settings (token lifetimes, lockout limits...), as src/config.ts names them. */
  config?: Omit<AppConfigOverrides, 'publicUrl' | 'secure'>;
}

/** A token endpoint answer (RFC 6749 §5.1, with Entra's id_token and client_info). */
export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
  refresh_token?: string;
  id_token?: string;
  [k: string]: unknown;
}

/** Who a helper acts as: the user's UPN or object id; the password defaults to the one the kit knows. */
export interface UserCredentials {
  username: string;
  password?: string;
}

export interface TokenOptions extends UserCredentials {
  /** Default: the kit's public client (default-seed.ts). */
  clientId?: string;
  clientSecret?: string;
  /** Default: 'openid profile offline_access User.Read'. */
  scope?: string;
}

/** Structurally Playwright's BrowserContext.addCookies (the kit does not depend on Playwright). */
export interface CookieTarget {
  addCookies(
    cookies: Array<{ name: string; value: string; url: string; httpOnly: boolean; secure: boolean; sameSite: 'Strict' | 'Lax' | 'None' }>,
  ): Promise<void>;
}

export interface RunningPortcullis {
  /** Origin of the server, e.g. https://localhost:41234 */
  url: string;
  port: number;
  tenantId: string;
  /** MSAL's `auth.authority` (MSAL also needs `knownAuthorities: [host]`, see `knownAuthority`). */
  authority: string;
  knownAuthority: string;
  /** OIDC issuer of the v2.0 endpoints. */
  issuer: string;
  /** Microsoft Graph base URL (…/v1.0). */
  graphBaseUrl: string;
  /** The PEM to trust for HTTPS (null without tls). */
  caCertificate: string | null;
  clock: { now(): number; advance(ms: number): Promise<void> };
  users: {
    /** A user, in the seed-file format (password policy and roles as there); the password is remembered. */
    create(user: Record<string, unknown> & { userPrincipalName: string; password: string }): Promise<User>;
    get(username: string): Promise<User>;
    /** revokeSignInSessions, through core/revocation.ts (delayed when entraRevocationDelay is on). */
    revokeSessions(username: string): Promise<void>;
    disable(username: string): Promise<void>;
    enable(username: string): Promise<void>;
    /** An administrator's password reset: revokes the user's sessions and refresh tokens (Entra). */
    resetPassword(username: string, newPassword: string): Promise<void>;
  };
  apps: {
    /** An application, in the seed-file format (docs/seed-file.md). */
    create(application: Record<string, unknown> & { appId: string; displayName: string }): Promise<void>;
  };
  tokens: {
    /** ROPC (grant_type=password): the client must allow public client flows. */
    password(o: TokenOptions): Promise<TokenResponse>;
    /** Authorization code + PKCE through the real sign-in form, then the code redeemed. */
    authorizationCode(o: TokenOptions & { redirectUri?: string }): Promise<TokenResponse>;
    refresh(o: { refreshToken: string; clientId?: string; clientSecret?: string; scope?: string }): Promise<TokenResponse>;
    clientCredentials(o: { clientId: string; clientSecret: string; scope?: string }): Promise<TokenResponse>;
  };
  /**
   * Plays the user's browser for an authorize URL an app built (MSAL's getAuthCodeUrl): signs in
   * through the form and returns the redirect (code and state) the app receives.
   */
  completeAuthorization(authorizeUrl: string, user: UserCredentials): Promise<URL>;
  /**
   * The user's side of the device code flow (RFC 8628): enters the user code the app shows on
   * /devicelogin, signs in and confirms; the app's own polling then gets the tokens.
   */
  approveDeviceCode(userCode: string, user: UserCredentials): Promise<void>;
  /** Signs a user in and puts the SSO session cookie into a Playwright browser context. */
  signInBrowser(context: CookieTarget, user: UserCredentials & { clientId?: string; redirectUri?: string }): Promise<void>;
  /** Back to the seed: directory, credentials, sessions, audit, lockouts, clock. */
  reset(): Promise<void>;
  /** Closes the server and the database; nothing of it is left running. */
  stop(): Promise<void>;
  /** The composition root's app (src/app.ts), for what the helpers do not cover. */
  app: PortcullisApp;
}

/** Entra's "a few minutes", taken as five (revocation-delay.ts). */
export const DEFAULT_ENTRA_REVOCATION_DELAY_MS = 5 * 60_000;
const DEFAULT_SCOPE = 'openid profile offline_access User.Read';
const KIT_ACTOR: AuditIdentity = { app: { appId: 'portcullis-testing', displayName: 'portcullis/testing' } };

/** Seeded databases by seed, per process: a second start with the same seed skips argon2 and key generation. */
const templates = new Map<string, TableSnapshot>();

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = probe.address();
      probe.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/**
 * An in-process Portcullis for a test suite: the composition root (src/app.ts) over an in-memory
 * SQLite database, on a free loopback port. Every helper goes through the real issuer, store and
 * HTTP routes, so what it returns is real and revocable.
 */
export async function startPortcullis(options: StartOptions = {}): Promise<RunningPortcullis> {
  const seedInput = options.seed ?? defaultSeed();
  const seed: Seed = parseSeed(seedInput);
  const clock = new TestClock(options.clock);
  const passwords = new Map<string, string>(seed.users.map((u) => [u.userPrincipalName.toLowerCase(), u.password]));

  const db = new SqliteDb(':memory:');
  db.migrate(clock.now());
  const realStore = sqliteStoreOn(db);
  const templateKey = JSON.stringify(seedInput);
  const template = templates.get(templateKey);
  if (template) template.restore(db.db);
  else {
    // A first start pays argon2 for the seed's secrets (known-hashes.ts spares it for the
    // default seed's) and RSA for the signing key (process-signing-key.ts, begun at import): the
    // seed and the key go side by side (createApp then finds the key stored).
    const key = processSigningKey(clock.now()).then((k) => realStore.keys.insertIfNone(k));
    key.catch(() => undefined); // awaited below; this only keeps an early failure from being "unhandled"
    try {
      await applySeed(realStore, seed, clock, { hashSecret: knownHashes });
      await key;
    } catch (e) {
      await key.catch(() => undefined);
      await realStore.close();
      throw e;
    }
  }

  const delayMs = options.entraRevocationDelay === true ? DEFAULT_ENTRA_REVOCATION_DELAY_MS : Number(options.entraRevocationDelay || 0);
  const delayed = delayMs > 0 ? new DelayedRevocations(clock, delayMs) : null;
  const store: Store = delayed ? delayed.wrap(realStore) : realStore;

  const tls = options.tls ? await localhostCertificate() : null;
  let app: PortcullisApp | null = null;
  let port = 0;
  // A port free a moment ago may be taken before listen: try a few.
  for (let attempt = 0; attempt < 5 && !app; attempt++) {
    port = await freePort();
    const config = makeAppConfig({
      logLevel: 'silent',
      ...options.config,
      publicUrl: `${tls ? 'https' : 'http'}://localhost:${port}`,
      secure: tls !== null,
    });
    const candidate = await createApp({ config, store, clock, ...(tls ? { https: tls } : {}) });
    try {
      // 'localhost': Fastify listens on each address it resolves to (127.0.0.1 and ::1), since
      // clients differ in which they try first (Chromium goes to ::1).
      await candidate.http.listen({ host: 'localhost', port });
      app = candidate;
    } catch (e) {
      await candidate.close();
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') {
        await realStore.close();
        throw e;
      }
    }
  }
  if (!app) {
    await realStore.close();
    throw new Error('startPortcullis: no free port on 127.0.0.1');
  }
  const running = app;
  const snapshot = template ?? TableSnapshot.take(db.db);
  if (!template) templates.set(templateKey, snapshot);

  const url = running.services.config.publicUrl;
  const tenantId = running.tenant.id;
  const http = running.http;
  const deps = { store, clock, tenant: running.tenant };
  const ctx = () => ({ actor: KIT_ACTOR, correlationId: randomUUID() });
  const defaultClient = seed.applications.find((a) => a.allowPublicClientFlows)?.appId ?? TEST_APPS.publicClient.appId;

  const findUser = async (username: string): Promise<User> => {
    const user = username.includes('@')
      ? await realStore.users.findByUserPrincipalName(tenantId, username)
      : await realStore.users.findById(tenantId, username);
    if (!user) throw new Error(`no user '${username}' in the test tenant`);
    return user;
  };
  const passwordOf = (u: UserCredentials): string => {
    const p = u.password ?? passwords.get(u.username.toLowerCase());
    if (p === undefined) throw new Error(`no password known for '${u.username}': pass one`);
    return p;
  };
  const change = async (username: string, changes: UserChanges): Promise<void> => {
    await updateUser(deps, await findUser(username), changes, ctx());
  };
  const redirectOf = async (clientId: string): Promise<string> => {
    const a = await realStore.applications.findByAppId(tenantId, clientId);
    const uri = a && [...a.publicClientRedirectUris, ...a.webRedirectUris, ...a.spaRedirectUris][0];
    if (!uri) throw new Error(`application ${clientId} has no redirect URI`);
    return uri;
  };
  const authorizeUrl = (clientId: string, redirectUri: string, scope: string, challenge: string): string =>
    `/${tenantId}/oauth2/v2.0/authorize?${new URLSearchParams({
      client_id: clientId,
      response_type: 'code',
      redirect_uri: redirectUri,
      scope,
      state: randomUUID(),
      code_challenge: challenge,
      code_challenge_method: 'S256',
    })}`;
  const token = (form: Record<string, string>, headers?: Record<string, string>) =>
    tokenRequest(http, url, tenantId, form, headers) as Promise<TokenResponse>;
  // The kit plays the SPA's page where the token endpoint expects one: a code sent to a `spa`
  // redirect URI, and the refresh tokens of its grant, are redeemed with the page's Origin
  // (src/identity/redemption-origin.ts).
  const spaPage = async (clientId: string, redirectUri?: string): Promise<Record<string, string>> => {
    const a = await realStore.applications.findByAppId(tenantId, clientId);
    const uri = redirectUri === undefined ? a?.spaRedirectUris[0] : a?.spaRedirectUris.find((r) => r === redirectUri);
    return uri ? { origin: new URL(uri).origin } : {};
  };
  const isSpaRefreshToken = async (refreshToken: string): Promise<boolean> => {
    const found = await realStore.grants.findRefreshToken(digestCredential(refreshToken));
    return found?.grant !== null && found?.grant !== undefined && isSpaGrant(found.grant);
  };
  const secretPart = (s: string | undefined): Record<string, string> => (s === undefined ? {} : { client_secret: s });
  const seedOf = (part: { users?: unknown[]; applications?: unknown[] }) =>
    parseSeed({
      tenant: { id: seed.tenant.id, domain: seed.tenant.domain, displayName: seed.tenant.displayName },
      users: [],
      applications: [],
      ...part,
    });

  let stopped = false;
  return {
    url,
    port,
    tenantId,
    authority: `${url}/${tenantId}`,
    knownAuthority: new URL(url).host,
    issuer: running.services.tokens.issuer,
    graphBaseUrl: `${url}/v1.0`,
    caCertificate: tls?.cert ?? null,
    clock: {
      now: () => clock.now(),
      advance: async (ms: number) => {
        clock.advance(ms);
        await delayed?.applyDue();
      },
    },
    users: {
      // The seed file's path (core/seed-users.ts, core/user-management.ts): same rules, same audit.
      create: async (user) => {
        await applySeed(realStore, seedOf({ users: [user] }), clock, { hashSecret: knownHashes });
        passwords.set(user.userPrincipalName.toLowerCase(), user.password);
        return findUser(user.userPrincipalName);
      },
      get: findUser,
      revokeSessions: async (username) => {
        await revokeUserSessions(store, clock, { target: await findUser(username), ...ctx() });
      },
      disable: (username) => change(username, { accountEnabled: false }),
      enable: (username) => change(username, { accountEnabled: true }),
      resetPassword: async (username, newPassword) => {
        const user = await findUser(username);
        await updateUser(deps, user, { password: newPassword }, ctx());
        passwords.set(user.userPrincipalName.toLowerCase(), newPassword);
      },
    },
    apps: {
      create: async (application) => {
        await applySeed(realStore, seedOf({ applications: [application] }), clock, { hashSecret: knownHashes });
      },
    },
    tokens: {
      password: (o) =>
        token({
          grant_type: 'password',
          client_id: o.clientId ?? defaultClient,
          username: o.username,
          password: passwordOf(o),
          scope: o.scope ?? DEFAULT_SCOPE,
          client_info: '1',
          ...secretPart(o.clientSecret),
        }),
      authorizationCode: async (o) => {
        const clientId = o.clientId ?? defaultClient;
        const redirectUri = o.redirectUri ?? (await redirectOf(clientId));
        const { verifier, challenge } = pkce();
        const back = await authorizeAsUser(
          http,
          url,
          authorizeUrl(clientId, redirectUri, o.scope ?? DEFAULT_SCOPE, challenge),
          { username: o.username, password: passwordOf(o) },
          new CookieJar(),
        );
        const code = back.searchParams.get('code');
        if (!code)
          throw new Error(
            `authorize returned no code: ${back.searchParams.get('error')} ${back.searchParams.get('error_description') ?? ''}`,
          );
        return token(
          {
            grant_type: 'authorization_code',
            client_id: clientId,
            code,
            redirect_uri: redirectUri,
            code_verifier: verifier,
            client_info: '1',
            ...secretPart(o.clientSecret),
          },
          await spaPage(clientId, redirectUri),
        );
      },
      refresh: async (o) => {
        const clientId = o.clientId ?? defaultClient;
        return token(
          {
            grant_type: 'refresh_token',
            client_id: clientId,
            refresh_token: o.refreshToken,
            client_info: '1',
            ...(o.scope ? { scope: o.scope } : {}),
            ...secretPart(o.clientSecret),
          },
          (await isSpaRefreshToken(o.refreshToken)) ? await spaPage(clientId) : {},
        );
      },
      clientCredentials: (o) =>
        token({
          grant_type: 'client_credentials',
          client_id: o.clientId,
          client_secret: o.clientSecret,
          scope: o.scope ?? 'https://graph.microsoft.com/.default',
        }),
    },
    completeAuthorization: (authorize, user) =>
      authorizeAsUser(http, url, authorize, { username: user.username, password: passwordOf(user) }, new CookieJar()),
    approveDeviceCode: (userCode, user) =>
      approveDeviceCodeAsUser(http, url, userCode, { username: user.username, password: passwordOf(user) }),
    signInBrowser: async (context, user) => {
      const clientId = user.clientId ?? defaultClient;
      const redirectUri = user.redirectUri ?? (await redirectOf(clientId));
      const jar = new CookieJar();
      await authorizeAsUser(
        http,
        url,
        authorizeUrl(clientId, redirectUri, DEFAULT_SCOPE, pkce().challenge),
        { username: user.username, password: passwordOf(user) },
        jar,
      );
      // As the server set them (src/web/cookies.ts): HttpOnly, Path=/, host-only, Secure over TLS.
      await context.addCookies(jar.entries().map((c) => ({ ...c, url: `${url}/`, httpOnly: true, secure: tls !== null })));
    },
    reset: async () => {
      delayed?.clear();
      // Let writes of this event-loop turn (the store's group commit) finish before the rows go,
      // and the sign-in log's buffer be written, so no entry of the last test lands after the reset.
      await new Promise((resolve) => setImmediate(resolve));
      await running.services.signIns.flush();
      snapshot.restore(db.db);
      clock.rewind();
      passwords.clear();
      for (const u of seed.users) passwords.set(u.userPrincipalName.toLowerCase(), u.password);
      // The key ring holds keys in memory: re-read them (a test may have rotated them).
      await running.services.keys.reload();
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      delayed?.clear();
      await running.close();
      await realStore.close();
      // server.close()'s callback runs before libuv has released the listening socket, which it
      // does on a later turn of the loop: wait for it, so a test's handle count is back at once.
      for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
    },
    app: running,
  };
}
