/* A single-page app on MSAL Browser against Portcullis. The page that loads this module loads
 * @azure/msal-browser's lib/msal-browser.min.js first (the global `msal`) and sets
 * window.PORTCULLIS = { authority, clientId, graph }:
 *   authority  https://localhost:5050/<tenant-id>  (HTTPS: MSAL refuses an http authority)
 *   clientId   the application, with this page's URL and /blank.html registered as `spa` redirect URIs
 *   graph      https://localhost:5050  (Portcullis serves the Graph API on the same origin)
 */
const { authority, clientId, graph } = window.PORTCULLIS;

const pca = new msal.PublicClientApplication({
  auth: {
    clientId,
    authority,
    // host:port of Portcullis: MSAL then trusts it without asking Microsoft's instance discovery.
    knownAuthorities: [new URL(authority).host],
    redirectUri: new URL('/', location.href).href,
  },
  cache: { cacheLocation: 'sessionStorage' },
});

const scopes = ['User.Read'];
// Silent renewals land in a hidden iframe on an empty page (also a `spa` redirect URI).
const silentRedirectUri = new URL('/blank.html', location.href).href;

/** Sign-in by redirect: the page leaves for the sign-in form and comes back with a code. */
export async function signIn() {
  await pca.loginRedirect({ scopes });
}

/** Sign-in in a popup window instead: the page stays; the popup lands on blank.html with the code. */
export async function signInPopup() {
  const result = await pca.loginPopup({ scopes, redirectUri: silentRedirectUri });
  pca.setActiveAccount(result.account);
  return result.account.username;
}

/** The signed-in account after the redirect back (handleRedirectPromise redeems the code). */
export async function start() {
  await pca.initialize();
  const result = await pca.handleRedirectPromise();
  if (result) pca.setActiveAccount(result.account);
  return pca.getActiveAccount()?.username ?? null;
}

/** An access token for Graph: from the cache, or by redeeming the refresh token (forceRefresh). */
export async function token({ forceRefresh = false } = {}) {
  const result = await pca.acquireTokenSilent({ scopes, account: pca.getActiveAccount(), forceRefresh, redirectUri: silentRedirectUri });
  return result.accessToken;
}

/** Single sign-on in a hidden iframe (prompt=none), with the Portcullis session cookie. */
export async function sso() {
  const result = await pca.ssoSilent({ scopes, loginHint: pca.getActiveAccount()?.username, redirectUri: silentRedirectUri });
  return result.account.username;
}

/** GET /v1.0/me from the page with the bearer token. */
export async function me(accessToken) {
  const res = await fetch(`${graph}/v1.0/me`, { headers: { Authorization: `Bearer ${accessToken}` } });
  return { status: res.status, body: await res.json() };
}

/** What a failed call raised: MSAL's class and error code, so the app can tell interaction is needed. */
export function describeError(e) {
  return { interactionRequired: e instanceof msal.InteractionRequiredAuthError, errorCode: e.errorCode, subError: e.subError };
}
