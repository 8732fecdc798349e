/**
 * A small API protected by portcullis/resource-server: copy this file into your app.
 *
 * - GET  /api/profile   needs a token for THIS API (its identifier URI or appId as `aud`) with the
 *                       `access_as_user` scope; answers who is calling. Graph tokens and tokens
 *                       for other APIs get 401, a token without the scope 403.
 * - GET  /api/graph-me  the same, then calls Graph on the user's behalf (on-behalf-of flow) and
 *                       returns the user's Graph profile.
 * - POST /ssf/events    the push endpoint the SSF transmitter sends revocations to (RFC 8935).
 * - GET  /healthz       no token needed.
 *
 * A token issued before its user's sessions were revoked (revokeSignInSessions, sign-out
 * everywhere, password reset, a disabled account) gets 401 within a second of the revoke; so does
 * the exchange for Graph, and the Graph token obtained for it.
 */
import express, { type Express } from 'express';
import { expressAuthenticate, expressPushReceiver, type RequestWithAuth, type ResourceServer } from 'portcullis/resource-server';

/** The API's own credentials, for the on-behalf-of exchange (it is a confidential client). */
export interface OnBehalfOfSettings {
  clientId: string;
  clientSecret: string;
  /** Portcullis's Graph base, e.g. http://localhost:5050/v1.0 */
  graphUrl: string;
}

/** The scope every route of this API requires (the API's `oauth2PermissionScopes` value). */
export const REQUIRED_SCOPE = 'access_as_user';

/**
 * The on-behalf-of exchange (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow):
 * the user's token for this API in, a token for Graph out. MSAL Node's acquireTokenOnBehalfOf
 * sends the same request (it needs an https authority).
 */
export async function graphTokenOnBehalfOf(tokenEndpoint: string, obo: OnBehalfOfSettings, userToken: string): Promise<Response> {
  return fetch(tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      client_id: obo.clientId,
      client_secret: obo.clientSecret,
      assertion: userToken, // the token this API received; its aud is this API
      scope: 'https://graph.microsoft.com/User.Read',
      requested_token_use: 'on_behalf_of',
    }),
  });
}

export function createExampleApi(rs: ResourceServer, obo: OnBehalfOfSettings): Express {
  const app = express();
  app.disable('x-powered-by');

  // The push receiver reads the raw application/secevent+jwt body itself: mount it before any
  // body parser that would consume that media type.
  app.post('/ssf/events', expressPushReceiver(rs));

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });

  app.get('/api/profile', expressAuthenticate(rs, { scopes: [REQUIRED_SCOPE] }), (req, res) => {
    const claims = (req as RequestWithAuth).auth!;
    res.json({
      oid: claims.oid,
      name: typeof claims.name === 'string' ? claims.name : null,
      // v1.0 tokens name the user `upn`, v2.0 tokens `preferred_username`.
      username:
        typeof claims.upn === 'string' ? claims.upn : typeof claims.preferred_username === 'string' ? claims.preferred_username : null,
      scopes: claims.scp?.split(' ') ?? [],
    });
  });

  app.get('/api/graph-me', expressAuthenticate(rs, { scopes: [REQUIRED_SCOPE] }), async (req, res, next) => {
    try {
      const userToken = (req.headers.authorization ?? '').replace(/^Bearer +/i, '');
      const exchanged = await graphTokenOnBehalfOf(rs.metadata.tokenEndpoint, obo, userToken);
      const body = (await exchanged.json()) as { access_token?: string; error?: string; error_description?: string };
      // A refused exchange (the user was revoked: invalid_grant, AADSTS50173) means sign in again.
      if (!body.access_token) {
        res.status(401).json({ error: body.error ?? 'invalid_grant', error_description: body.error_description ?? '' });
        return;
      }
      const me = await fetch(`${obo.graphUrl}/me`, { headers: { authorization: `Bearer ${body.access_token}` } });
      res.status(me.status).json(await me.json());
    } catch (e) {
      next(e);
    }
  });

  return app;
}
