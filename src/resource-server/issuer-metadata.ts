import { fetchJson, FetchError, type Fetch } from './http-json.js';

/**
 * What the middleware needs from the issuer's OpenID Connect discovery document (OIDC Discovery
 * 1.0 §4): where its keys are, where clients sign in (the claims challenge's authorization_uri),
 * and where to get client-credentials tokens (stream management, poll delivery).
 */
export interface IssuerMetadata {
  issuer: string;
  jwksUri: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
}

const stripSlash = (url: string): string => url.replace(/\/+$/, '');

export function openIdConfigurationUrl(issuer: string): string {
  return `${stripSlash(issuer)}/.well-known/openid-configuration`;
}

/**
 * The SSF transmitter metadata URL for an issuer with a path: `/.well-known/ssf-configuration` is
 * inserted between host and path (SSF 1.0 §7.2.1, as RFC 8414 §3.1 does), so the issuer
 * `https://idp/{tenant}/v2.0` has `https://idp/.well-known/ssf-configuration/{tenant}/v2.0`.
 */
export function ssfConfigurationUrl(issuer: string): string {
  const url = new URL(stripSlash(issuer));
  return `${url.origin}/.well-known/ssf-configuration${url.pathname === '/' ? '' : url.pathname}`;
}

function requireString(doc: Record<string, unknown>, name: string, where: string): string {
  const value = doc[name];
  if (typeof value !== 'string' || value === '') throw new FetchError(`${where} has no ${name}`);
  return value;
}

export async function fetchIssuerMetadata(fetchImpl: Fetch, issuer: string): Promise<IssuerMetadata> {
  const where = openIdConfigurationUrl(issuer);
  const doc = await fetchJson(fetchImpl, where);
  // OIDC Discovery §4.3: the issuer in the document must be the one we asked about, or a
  // document served elsewhere could make us trust another issuer's keys.
  const reported = requireString(doc, 'issuer', where);
  if (stripSlash(reported) !== stripSlash(issuer)) throw new FetchError(`${where} names issuer ${reported}, not ${issuer}`);
  return {
    issuer: reported,
    jwksUri: requireString(doc, 'jwks_uri', where),
    authorizationEndpoint: requireString(doc, 'authorization_endpoint', where),
    tokenEndpoint: requireString(doc, 'token_endpoint', where),
  };
}

/** SSF transmitter metadata (SSF 1.0 §7.1), the fields a receiver uses. */
export interface TransmitterMetadata {
  issuer: string;
  jwksUri: string;
  configurationEndpoint: string | null;
  verificationEndpoint: string | null;
  deliveryMethodsSupported: string[];
}

export async function fetchTransmitterMetadata(fetchImpl: Fetch, url: string): Promise<TransmitterMetadata> {
  const doc = await fetchJson(fetchImpl, url);
  const optional = (name: string): string | null => (typeof doc[name] === 'string' ? (doc[name] as string) : null);
  return {
    issuer: requireString(doc, 'issuer', url),
    jwksUri: requireString(doc, 'jwks_uri', url),
    configurationEndpoint: optional('configuration_endpoint'),
    verificationEndpoint: optional('verification_endpoint'),
    deliveryMethodsSupported: Array.isArray(doc.delivery_methods_supported)
      ? doc.delivery_methods_supported.filter((m): m is string => typeof m === 'string')
      : [],
  };
}
