/**
 * The CLI's OAuth client, over fetch, using only documented Microsoft identity platform v2.0
 * endpoints (https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc): OpenID discovery, the device authorization endpoint (RFC 8628), and
 * the token endpoint for the device-code, refresh-token and client-credentials grants. Nothing
 * here is Portcullis-specific, so the same calls work against login.microsoftonline.com.
 */
import { CliError, EXIT } from '../cli-error.js';

export interface Endpoints {
  tokenEndpoint: string;
  deviceEndpoint: string | null;
  authorizationEndpoint: string | null;
}

export interface TokenResponse {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  expires_in: number;
  scope?: string;
}

/** An OAuth error answer from the token or device endpoint. */
export class OAuthError extends Error {
  override name = 'OAuthError';
  constructor(
    readonly error: string,
    readonly description: string,
    readonly codes: readonly number[],
  ) {
    super(`${error}: ${description.split(/\r?\n/, 1)[0] ?? ''}`);
  }
}

async function postForm(url: string, form: Record<string, string>): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(form),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (res.ok) return body;
  const error = typeof body.error === 'string' ? body.error : `http_${res.status}`;
  const description = typeof body.error_description === 'string' ? body.error_description : `HTTP ${res.status}`;
  const codes = Array.isArray(body.error_codes) ? body.error_codes.filter((c): c is number => typeof c === 'number') : [];
  throw new OAuthError(error, description, codes);
}

/** `{authority}/v2.0/.well-known/openid-configuration` (what MSAL reads, https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc). */
export async function discover(authority: string): Promise<Endpoints> {
  const url = `${authority.replace(/\/+$/, '')}/v2.0/.well-known/openid-configuration`;
  const res = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(30_000) });
  if (!res.ok) {
    throw new CliError(`no OpenID configuration at ${url} (HTTP ${res.status}); check --server / --authority and --tenant`, EXIT.USAGE);
  }
  const doc = (await res.json()) as Record<string, unknown>;
  if (typeof doc.token_endpoint !== 'string') throw new CliError(`the OpenID configuration at ${url} has no token_endpoint`, EXIT.FAILURE);
  return {
    tokenEndpoint: doc.token_endpoint,
    deviceEndpoint: typeof doc.device_authorization_endpoint === 'string' ? doc.device_authorization_endpoint : null,
    authorizationEndpoint: typeof doc.authorization_endpoint === 'string' ? doc.authorization_endpoint : null,
  };
}

export interface DeviceCodeStart {
  device_code: string;
  user_code: string;
  verification_uri: string;
  expires_in: number;
  interval: number;
  message: string;
}

export async function startDeviceCode(deviceEndpoint: string, clientId: string, scope: string): Promise<DeviceCodeStart> {
  return (await postForm(deviceEndpoint, { client_id: clientId, scope })) as unknown as DeviceCodeStart;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls the token endpoint until the person approves, declines or the code expires (RFC 8628 §3.4–3.5). */
export async function pollDeviceCode(tokenEndpoint: string, clientId: string, start: DeviceCodeStart): Promise<TokenResponse> {
  const deadline = Date.now() + start.expires_in * 1000;
  let interval = Math.max(1, start.interval || 5);
  while (Date.now() < deadline) {
    await sleep(interval * 1000);
    try {
      return (await postForm(tokenEndpoint, {
        grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
        client_id: clientId,
        device_code: start.device_code,
      })) as unknown as TokenResponse;
    } catch (e) {
      if (!(e instanceof OAuthError)) throw e;
      if (e.error === 'authorization_pending') continue;
      if (e.error === 'slow_down') {
        interval += 5;
        continue;
      }
      if (e.error === 'authorization_declined') throw new CliError('sign-in was declined on the device page', EXIT.LOGIN_FAILED);
      if (e.error === 'expired_token') break;
      throw new CliError(`sign-in failed: ${e.message}`, EXIT.LOGIN_FAILED);
    }
  }
  throw new CliError("the sign-in code expired before it was used; run 'portcullis login' again", EXIT.LOGIN_FAILED);
}

export async function redeemRefreshToken(
  tokenEndpoint: string,
  clientId: string,
  refreshToken: string,
  scope: string,
): Promise<TokenResponse> {
  return (await postForm(tokenEndpoint, {
    grant_type: 'refresh_token',
    client_id: clientId,
    refresh_token: refreshToken,
    scope,
  })) as unknown as TokenResponse;
}

/** RFC 6749 §4.1.3 with the PKCE verifier (RFC 7636 §4.5). */
export async function redeemAuthorizationCode(
  tokenEndpoint: string,
  clientId: string,
  code: string,
  redirectUri: string,
  codeVerifier: string,
): Promise<TokenResponse> {
  return (await postForm(tokenEndpoint, {
    grant_type: 'authorization_code',
    client_id: clientId,
    code,
    redirect_uri: redirectUri,
    code_verifier: codeVerifier,
  })) as unknown as TokenResponse;
}

export async function clientCredentials(
  tokenEndpoint: string,
  clientId: string,
  clientSecret: string,
  scope: string,
): Promise<TokenResponse> {
  return (await postForm(tokenEndpoint, {
    grant_type: 'client_credentials',
    client_id: clientId,
    client_secret: clientSecret,
    scope,
  })) as unknown as TokenResponse;
}

/** The payload of a JWT, unverified: only for showing who signed in (the server verifies tokens). */
export function jwtClaims(token: string | undefined): Record<string, unknown> {
  const part = token?.split('.')[1];
  if (!part) return {};
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}
