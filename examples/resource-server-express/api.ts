/**
 * A small API protected by portcullis/resource-server: copy this file into your app.
 *
 * - GET  /api/profile   needs a Portcullis access token; answers who is calling.
 * - POST /ssf/events    the push endpoint the SSF transmitter sends revocations to (RFC 8935).
 * - GET  /healthz       no token needed.
 *
 * A token issued before its user's sessions were revoked (revokeSignInSessions, sign-out
 * everywhere, password reset, a disabled account) gets 401 within a second of the revoke.
 */
import express, { type Express } from 'express';
import { expressAuthenticate, expressPushReceiver, type RequestWithAuth, type ResourceServer } from 'portcullis/resource-server';

export function createExampleApi(rs: ResourceServer): Express {
  const app = express();
  app.disable('x-powered-by');

  // The push receiver reads the raw application/secevent+jwt body itself: mount it before any
  // body parser that would consume that media type.
  app.post('/ssf/events', expressPushReceiver(rs));

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });

  app.get('/api/profile', expressAuthenticate(rs), (req, res) => {
    const claims = (req as RequestWithAuth).auth!;
    res.json({
      oid: claims.oid,
      name: typeof claims.name === 'string' ? claims.name : null,
      preferredUsername: typeof claims.preferred_username === 'string' ? claims.preferred_username : null,
      scopes: claims.scp?.split(' ') ?? [],
    });
  });

  return app;
}
