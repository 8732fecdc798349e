/**
 * The rule for a registered redirect URI, one for the seed file and Graph's application writes:
 * an absolute URL; https, except http on the loopback host for local development (as Entra:
 * https://learn.microsoft.com/entra/identity-platform/reply-url); no fragment (RFC 6749 §3.1.2).
 * Returns why the URI is refused, or null when it is acceptable.
 */
export const MAX_REDIRECT_URI_LENGTH = 1024;

const isLoopbackHost = (hostname: string): boolean => hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]';

export function redirectUriProblem(uri: string): string | null {
  if (uri.length === 0 || uri.length > MAX_REDIRECT_URI_LENGTH) return `must be 1 to ${MAX_REDIRECT_URI_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return `must be an absolute URL, got '${uri}'`;
  }
  const ok = url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
  if (!ok) return `must use https (http is allowed only for localhost, 127.0.0.1 and [::1]), got '${uri}'`;
  if (url.hash !== '' || uri.includes('#')) return `must not contain a fragment, got '${uri}'`;
  return null;
}
