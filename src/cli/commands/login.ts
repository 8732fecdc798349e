/**
 * `portcullis login` — the `Connect-Entra -Scopes` / `Connect-MgGraph` counterpart. Device code
 * by default (works over SSH): the message is printed, the token endpoint polled. --browser:
 * the authorization code flow with a loopback redirect and PKCE (auth/browser-sign-in.ts). With
 * --client-id + --client-secret (or PORTCULLIS_CLIENT_SECRET): app-only, client credentials.
 * Only documented identity-platform endpoints are used, so --authority
 * https://login.microsoftonline.com --graph https://graph.microsoft.com works against Entra.
 */
import { readFile } from 'node:fs/promises';
import { parse } from '../args.js';
import { browserSignIn } from '../auth/browser-sign-in.js';
import {
  clientCredentials,
  discover,
  jwtClaims,
  pollDeviceCode,
  startDeviceCode,
  type Endpoints,
  type TokenResponse,
} from '../auth/oauth.js';
import { profileName, readProfileSettings, writeProfileSettings, type ProfileSettings } from '../auth/profiles.js';
import { installCa, parseCaPem, presentedCa, saveProfileCa } from '../auth/profile-trust.js';
import { applyTokens } from '../auth/session.js';
import { writeSession, type CachedSession } from '../auth/token-cache.js';
import { CliError, EXIT } from '../cli-error.js';
import { isTlsUntrusted, toCliError } from '../failures.js';
import { stdout } from '../output.js';
import { ask, canAsk } from '../prompt.js';

/** The demo tenant's public "Portcullis CLI" app (device flow allowed); pass your own for Entra. */
export const DEFAULT_CLIENT_ID = '6c1b1e2a-4b0e-4f59-9a57-0c2a1f3e8d11';
export const DEFAULT_SCOPES = ['User.RevokeSessions.All'];
/** Graph's resource URI: Entra and Portcullis both take `.default` scopes on it (https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc). */
const GRAPH_DEFAULT_SCOPE = 'https://graph.microsoft.com/.default';

const HELP = `Usage: portcullis login [--server URL | --authority URL --graph URL] [options]

Signs the CLI in and caches the tokens in the profile's directory,
$XDG_CONFIG_HOME/portcullis/profiles/NAME/ (mode 0700, files 0600). Without --server or
--authority, the profile's last server, tenant, client id and scopes are used again.

  --profile NAME        the profile to sign in (default: PORTCULLIS_PROFILE, else "default")
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
  --ca-file FILE        the PEM CA (or self-signed certificate) of the server; kept in the
                        profile and trusted by every later command of it
  --ca-fingerprint FP   trust the certificate the server presents if its SHA-256 fingerprint is
                        FP (what a terminal login shows and asks to confirm)
`;

interface Target {
  authority: string;
  graphUrl: string;
  /** For profile.json: the authority without the tenant, and the tenant. */
  authorityOrigin: string;
  tenant: string;
}

/** From the flags, else from the profile's last login (so a login after a revoke needs no --server). */
function target(v: Record<string, unknown>, last: ProfileSettings | null, profile: string): Target {
  const trim = (s: string) => s.replace(/\/+$/, '');
  const server = v.server as string | undefined;
  const given = server !== undefined || v.authority !== undefined || v.graph !== undefined;
  const tenant = (v.tenant as string | undefined) ?? (given ? undefined : last?.tenant) ?? 'organizations';
  const authority = (v.authority as string | undefined) ?? server ?? (given ? undefined : last?.authorityOrigin);
  const graph = (v.graph as string | undefined) ?? server ?? (given ? undefined : last?.graphUrl);
  if (!authority || !graph) {
    throw new CliError(
      `say where to sign in: --server URL, or --authority URL and --graph URL (profile '${profile}' has no earlier sign-in to reuse)`,
      EXIT.USAGE,
    );
  }
  for (const u of [authority, graph]) {
    if (!/^https?:\/\/[^/]/i.test(u)) throw new CliError(`'${u}' is not an http(s) URL`, EXIT.USAGE);
  }
  return { authority: `${trim(authority)}/${encodeURIComponent(tenant)}`, graphUrl: trim(graph), authorityOrigin: trim(authority), tenant };
}

/**
 * Discovery, and the decision about an untrusted server certificate when no --ca-file was given:
 * trust on first use, like ssh. The certificate the server presents is shown by its SHA-256
 * fingerprint for the person to compare (e.g. with the `serve` banner) and is trusted only when
 * they confirm it on the terminal or give the same fingerprint with --ca-fingerprint. Returns the
 * PEM to keep in the profile, if one was accepted here.
 */
async function discoverTrusting(
  t: Target,
  fingerprint: string | undefined,
  profile: string,
): Promise<{ endpoints: Endpoints; acceptedCa: string | null }> {
  try {
    return { endpoints: await discover(t.authority), acceptedCa: null };
  } catch (e) {
    if (!isTlsUntrusted(e)) throw e;
  }
  const origin = new URL(t.authorityOrigin).origin;
  const presented = await presentedCa(origin);
  const fix = `run 'portcullis login${profile === 'default' ? '' : ` --profile ${profile}`} --server ${origin} --ca-file /path/to/ca.pem'`;
  const norm = (s: string) => s.replace(/[^0-9a-f]/gi, '').toUpperCase();
  if (fingerprint !== undefined) {
    if (norm(fingerprint) !== norm(presented.fingerprint)) {
      throw new CliError(
        `the server at ${origin} presents a certificate with SHA-256 fingerprint ${presented.fingerprint}, not the one given with --ca-fingerprint; nothing was trusted`,
        EXIT.TLS_UNTRUSTED,
      );
    }
  } else if (!canAsk()) {
    throw new CliError(
      `the TLS certificate of the server at ${origin} is not trusted (SHA-256 fingerprint ${presented.fingerprint}); ${fix}, or add --ca-fingerprint ${presented.fingerprint} if that is the fingerprint the server's operator gave you`,
      EXIT.TLS_UNTRUSTED,
    );
  } else {
    process.stderr.write(
      `The server at ${origin} presents a certificate this machine does not trust.\n  SHA-256 fingerprint: ${presented.fingerprint}\n`,
    );
    if ((await ask(`Trust it for profile '${profile}' (compare with the fingerprint the server prints)?`, 'yn')) !== 'yes') {
      throw new CliError(`the certificate was not trusted; ${fix}`, EXIT.TLS_UNTRUSTED);
    }
  }
  await installCa(presented.pem);
  return { endpoints: await discover(t.authority), acceptedCa: presented.pem };
}

function sessionFrom(
  t: Target,
  tokenEndpoint: string,
  clientId: string,
  scope: string,
  tokens: TokenResponse,
  kind: 'delegated' | 'app',
  secret: string | null,
): CachedSession {
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
function scopeList(scopes: string | undefined, last: ProfileSettings | null): string[] {
  if (scopes === undefined) return last?.scopes ?? DEFAULT_SCOPES;
  return scopes.split(/[\s,]+/).filter((s) => s !== '' && !['openid', 'profile', 'offline_access'].includes(s));
}

function delegatedScope(list: readonly string[]): string {
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
    'ca-file': { type: 'string' },
    'ca-fingerprint': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    stdout(HELP);
    return EXIT.OK;
  }
  if (values.browser && values['device-code']) throw new CliError('choose one of --browser and --device-code', EXIT.USAGE);
  const profile = profileName(env);
  const last = await readProfileSettings(env);
  const t = target(values, last, profile);
  const sameServer = last !== null && values.server === undefined && values.authority === undefined && values.graph === undefined;
  const clientId = values['client-id'] ?? (sameServer ? last.clientId : DEFAULT_CLIENT_ID);
  const scopes = scopeList(values.scopes, sameServer ? last : null);
  let caPem: string | null = null;
  if (values['ca-file'] !== undefined) {
    caPem = await readFile(values['ca-file'], 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new CliError(`cannot read --ca-file '${values['ca-file']}': ${e.code === 'ENOENT' ? 'no such file' : e.message}`, EXIT.USAGE);
    });
    parseCaPem(caPem, `--ca-file '${values['ca-file']}'`);
    await installCa(caPem);
  }
  const secret = values['client-secret'] ?? env.PORTCULLIS_CLIENT_SECRET ?? null;
  if (secret !== null && values['client-id'] === undefined)
    throw new CliError('app-only sign-in needs --client-id with the secret', EXIT.USAGE);
  const ctx = { action: 'sign in', server: t.authority };
  try {
    const { endpoints, acceptedCa } =
      caPem !== null
        ? { endpoints: await discover(t.authority), acceptedCa: null }
        : await discoverTrusting(t, values['ca-fingerprint'], profile);
    let session: CachedSession;
    if (secret !== null) {
      const tokens = await clientCredentials(endpoints.tokenEndpoint, clientId, secret, GRAPH_DEFAULT_SCOPE);
      session = sessionFrom(t, endpoints.tokenEndpoint, clientId, GRAPH_DEFAULT_SCOPE, tokens, 'app', secret);
    } else if (values.browser) {
      if (!endpoints.authorizationEndpoint) throw new CliError('this authority offers no authorization endpoint', EXIT.LOGIN_FAILED);
      const scope = delegatedScope(scopes);
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
      const scope = delegatedScope(scopes);
      const start = await startDeviceCode(endpoints.deviceEndpoint, clientId, scope);
      stdout(`${start.message}\n`);
      const tokens = await pollDeviceCode(endpoints.tokenEndpoint, clientId, start);
      session = sessionFrom(t, endpoints.tokenEndpoint, clientId, scope, tokens, 'delegated', null);
    }
    const file = await writeSession(env, session);
    const trusted = caPem ?? acceptedCa;
    if (trusted !== null) await saveProfileCa(env, trusted);
    await writeProfileSettings(env, {
      version: 1,
      authorityOrigin: t.authorityOrigin,
      tenant: t.tenant,
      graphUrl: t.graphUrl,
      clientId,
      scopes: [...scopes],
    });
    const who = session.kind === 'app' ? `application ${clientId} (app-only)` : session.account.username;
    stdout(
      `Signed in as ${who}${session.account.tenantId ? ` in tenant ${session.account.tenantId}` : ''} (profile '${profile}'). Session saved in ${file}.\n`,
    );
    return EXIT.OK;
  } catch (e) {
    throw toCliError(e, ctx);
  }
}
