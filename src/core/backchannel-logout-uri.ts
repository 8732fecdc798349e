/**
 * The rule for a `backchannel_logout_uri` (OpenID Connect Back-Channel Logout 1.0 §2.2: an
 * absolute URI, which MAY contain a query but MUST NOT contain a fragment). As for redirect URIs,
 * Portcullis requires https except http on a loopback host, for local development: logout tokens
 * are bearer assertions about a user and must not travel in clear over a network.
 * Returns why the URI is refused, or null when it is acceptable.
 */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export const MAX_BACKCHANNEL_LOGOUT_URI_LENGTH = 1024;

export function backchannelLogoutUriProblem(uri: string): string | null {
  if (uri.length === 0 || uri.length > MAX_BACKCHANNEL_LOGOUT_URI_LENGTH)
    return `must be 1 to ${MAX_BACKCHANNEL_LOGOUT_URI_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return `must be an absolute URL, got '${uri}'`;
  }
  const ok = url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
  if (!ok) return `must use https (http is allowed only for localhost, 127.0.0.1 and [::1]), got '${uri}'`;
  if (url.hash !== '' || uri.includes('#')) return `must not contain a fragment, got '${uri}'`;
  if (url.username !== '' || url.password !== '') return 'must not contain credentials';
  return null;
}
