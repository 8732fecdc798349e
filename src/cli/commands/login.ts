/**
 * `portcullis login` — the `Connect-Entra -Scopes` / `Connect-MgGraph` counterpart. Device code
 * by default (works over SSH): the message is printed, the token endpoint polled. --browser:
 * the authorization code flow with a loopback redirect and PKCE (auth/browser-sign-in.ts). With
 * --client-id + --client-secret (or PORTCULLIS_CLIENT_SECRET): app-only, client credentials.
 * Only documented identity-platform endpoints are used, so --authority
 * https://login.microsoftonline.com --graph https://graph.microsoft.com works against Entra.
 */
import { parse } from '../args.js';
import { browserSignIn } from '../auth/browser-sign-in.js';
import { applyTokens } from '../auth/session.js';
import { clientCredentials, discover, jwtClaims, pollDeviceCode, startDeviceCode, type TokenResponse } from '../auth/oauth.js';
import { writeSession, type CachedSession } from '../auth/token-cache.js';
import { CliError, EXIT } from '../cli-error.js';
import { toCliError } from '../failures.js';
import { stdout } from '../output.js';

/** The demo tenant's public "Portcullis CLI" app (device flow allowed); pass your own for Entra. */
export const DEFAULT_CLIENT_ID = '6c1b1e2a-4b0e-4f59-9a57-0c2a1f3e8d11';
export const DEFAULT_SCOPES = ['User.RevokeSessions.All'];
/** Graph's resource URI: Entra and Portcullis both take `.default` scopes on it (https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc). */
const GRAPH_DEFAULT_SCOPE = 'https://graph.microsoft.com/.default';

const HELP = `Usage: portcullis login (--server URL | --authority URL --graph URL) [options]

Signs the CLI in and caches the tokens in $XDG_CONFIG_HOME/portcullis/session.json (mode 0600).

  --server URL          a Portcullis server: identity and Graph on one origin
  --authority URL       identity platform origin (e.g. https://login.microsoftonline.com)
  --graph URL           Graph origin (e.g. https://graph.microsoft.com)
  --tenant T            tenant id or domain (default: organizations)
  --scopes S            delegated permissions, comma or space separated (default ${DEFAULT_SCOPES.join(',')})
  --client-id ID        application id (default ${DEFAULT_CLIENT_ID}, "Portcullis CLI")
  --client-secret S     app-only sign-in (client credentials); or set PORTCULLIS_CLIENT_SECRET
  --device-code         sign in with a code shown here (the default)
  --browser             sign in with a browser: a loopback redirect to this machine with PKCE
                        (RFC 8252); set PORTCULLIS_NO_BROWSER=1 to only print the URL
`;

interface Target {
  authority: string;
  graphUrl: string;
}

function target(v: Record<string, unknown>): Target {
  const trim = (s: string) => s.replace(/\/+$/, '');
  const tenant = (v.tenant as string | undefined) ?? 'organizations';
  const server = v.server as string | undefined;
  const authority = (v.authority as string | undefined) ?? server;
  const graph = (v.graph as string | undefined) ?? server;
  if (!authority || !graph) throw new CliError('say where to sign in: --server URL, or --authority URL and --graph URL', EXIT.USAGE);
  for (const u of [authority, graph]) {
    if (!/^https?:\/\/[^/]/i.test(u)) throw new CliError(`'${u}' is not an http(s) URL`, EXIT.USAGE);
  }
  return { authority: `${trim(authority)}/${encodeURIComponent(tenant)}`, graphUrl: trim(graph) };
}

function sessionFrom(t: Target, tokenEndpoint: string, clientId: string, scope: string, tokens: TokenResponse, kind: 'delegated' | 'app', secret: string | null): CachedSession {
  const id = jwtClaims(tokens.id_token);
  const at = jwtClaims(tokens.access_token);
  const str = (x: unknown) => (typeof x === 'string' ? x : null);
  const username = kind === 'app' ? clientId : (str(id.preferred_username) ?? str(at.upn) ?? str(at.preferred_username) ?? 'unknown');
  const base: CachedSession = {
    version: 1,
    kind,
    authority: t.authority,
    tokenEndpoint,
    graphUrl: t.graphUrl,
    clientId,
    scope,
    account: { username, tenantId: str(at.tid) ?? str(id.tid), objectId: str(at.oid) ?? str(id.oid) },
    accessToken: '',
    expiresAt: 0,
    refreshToken: null,
    clientSecret: secret,
  };
  return applyTokens(base, tokens);
}

/** The permissions asked for, plus offline_access (silent refresh later) and openid profile (who signed in). */
function delegatedScope(scopes: string | undefined): string {
  const list = (scopes ?? DEFAULT_SCOPES.join(' ')).split(/[\s,]+/).filter(Boolean);
  return [...list, 'openid', 'profile', 'offline_access'].join(' ');
}

export async function login(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parse(argv, {
    server: { type: 'string' },
    authority: { type: 'string' },
    graph: { type: 'string' },
    tenant: { type: 'string' },
    scopes: { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'device-code': { type: 'boolean' },
    browser: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    stdout(HELP);
    return EXIT.OK;
  }
  if (values.browser && values['device-code']) throw new CliError('choose one of --browser and --device-code', EXIT.USAGE);
  const t = target(values);
  const clientId = values['client-id'] ?? DEFAULT_CLIENT_ID;
  const secret = values['client-secret'] ?? env.PORTCULLIS_CLIENT_SECRET ?? null;
  if (secret !== null && values['client-id'] === undefined) throw new CliError('app-only sign-in needs --client-id with the secret', EXIT.USAGE);
  const ctx = { action: 'sign in', server: t.authority };
  try {
    const endpoints = await discover(t.authority);
    let session: CachedSession;
    if (secret !== null) {
      const tokens = await clientCredentials(endpoints.tokenEndpoint, clientId, secret, GRAPH_DEFAULT_SCOPE);
      session = sessionFrom(t, endpoints.tokenEndpoint, clientId, GRAPH_DEFAULT_SCOPE, tokens, 'app', secret);
    } else if (values.browser) {
      if (!endpoints.authorizationEndpoint) throw new CliError('this authority offers no authorization endpoint', EXIT.LOGIN_FAILED);
      const scope = delegatedScope(values.scopes);
      const tokens = await browserSignIn({
        authorizationEndpoint: endpoints.authorizationEndpoint,
        tokenEndpoint: endpoints.tokenEndpoint,
        clientId,
        scope,
        say: stdout,
        open: !env.PORTCULLIS_NO_BROWSER,
      });
      session = sessionFrom(t, endpoints.tokenEndpoint, clientId, scope, tokens, 'delegated', null);
    } else {
      if (!endpoints.deviceEndpoint) throw new CliError('this authority offers no device code sign-in', EXIT.LOGIN_FAILED);
      const scope = delegatedScope(values.scopes);
      const start = await startDeviceCode(endpoints.deviceEndpoint, clientId, scope);
      stdout(`${start.message}\n`);
      const tokens = await pollDeviceCode(endpoints.tokenEndpoint, clientId, start);
      session = sessionFrom(t, endpoints.tokenEndpoint, clientId, scope, tokens, 'delegated', null);
    }
    const file = await writeSession(env, session);
    const who = session.kind === 'app' ? `application ${clientId} (app-only)` : session.account.username;
    stdout(`Signed in as ${who}${session.account.tenantId ? ` in tenant ${session.account.tenantId}` : ''}. Session saved in ${file}.\n`);
    return EXIT.OK;
  } catch (e) {
    throw toCliError(e, ctx);
  }
}
