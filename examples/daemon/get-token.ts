/**
 * A daemon (no user) gets a token for an API with the client-credentials grant
 * (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow) and reads
 * the app roles it was assigned. `authority` is `http://localhost:5050/<tenant id>`.
 */
export async function daemonToken(authority: string, clientId: string, clientSecret: string, apiUri: string) {
  const res = await fetch(`${authority}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
      scope: `${apiUri}/.default`, // e.g. api://contoso-todo/.default: every role assigned to the daemon
    }),
  });
  const body = (await res.json()) as { access_token?: string; error_description?: string };
  if (!body.access_token) throw new Error(body.error_description ?? `token endpoint answered ${res.status}`);
  // Only to read it: the API verifies the signature (portcullis/resource-server does).
  const claims = JSON.parse(Buffer.from(body.access_token.split('.')[1]!, 'base64url').toString()) as {
    aud: string;
    roles?: string[];
    appid: string;
  };
  return { accessToken: body.access_token, claims };
}
