/**
 * OpenID Connect Back-Channel Logout 1.0 as an outbox sink (docs/push-revocation.md,
 * "Back-channel logout"). For every security event, each application registered with a
 * `backchannel_logout_uri` that holds a grant in an affected session gets one logout token per
 * session (Back-Channel Logout §2.4: `sid` identifies the RP session to end), POSTed form-encoded as `logout_token`
 * (§2.5). 2xx means delivered; anything else, a redirect or a timeout is retried by the
 * dispatcher.
 */
import type { OutboxDelivery, SecurityEvent } from '../core/security-event.js';
import { LOGOUT_TOKEN_TYPE, logoutTokenClaims } from '../identity/logout-token.js';
import type { DeliveryOutcome, OutboxSink, PlanContext, PlannedDelivery, SinkContext } from './outbox-sink.js';

export const BACKCHANNEL_LOGOUT_SINK = 'oidc-backchannel-logout';

interface LogoutPayload {
  clientId: string;
  uri: string;
  sub: string;
  sid: string | null;
}

export class BackchannelLogoutSink implements OutboxSink {
  readonly name = BACKCHANNEL_LOGOUT_SINK;

  async plan(event: SecurityEvent, ctx: PlanContext): Promise<PlannedDelivery[]> {
    const { store, tokens } = ctx.services;
    const all = await ctx.snapshot(`applications ${event.tenantId}`, () => store.applications.list(event.tenantId));
    const apps = all.filter((a) => a.backchannelLogout);
    const out: PlannedDelivery[] = [];
    for (const app of apps) {
      const registration = app.backchannelLogout!;
      for (const session of event.sessions) {
        if (!session.clientIds.includes(app.appId)) continue;
        // §2.4: an RP that requires sid cannot act on a token without one; grants made without
        // a browser session (the password grant) have none, so such an RP is not sent one.
        if (session.sid === null && registration.sessionRequired) continue;
        const payload: LogoutPayload = {
          clientId: app.appId,
          uri: registration.uri,
          sub: tokens.pairwiseSubject(event.userId, app.appId),
          sid: session.sid,
        };
        out.push({ destination: `${app.appId} sid=${session.sid ?? '-'}`, payload: { ...payload } });
      }
    }
    return out;
  }

  async deliver(delivery: OutboxDelivery, _event: SecurityEvent, ctx: SinkContext): Promise<DeliveryOutcome> {
    const p = delivery.payload as unknown as LogoutPayload;
    const { keys, tokens, clock } = ctx.services;
    const claims = logoutTokenClaims({
      issuer: tokens.issuer,
      clientId: p.clientId,
      sub: p.sub,
      sid: p.sid,
      jti: delivery.id,
      nowSeconds: Math.floor(clock.now() / 1000),
    });
    const logoutToken = await keys.signAsync(claims, LOGOUT_TOKEN_TYPE);
    const res = await fetch(p.uri, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ logout_token: logoutToken }).toString(),
      // A redirect is not a success (§2.8: the RP answers 200); following one could also send
      // the token somewhere it was not registered for.
      redirect: 'manual',
      signal: ctx.signal,
    });
    // Drain the body so the connection is reused; its content is not needed.
    await res.arrayBuffer().catch(() => undefined);
    if (res.status >= 200 && res.status < 300) return { kind: 'delivered' };
    return { kind: 'retry', reason: `HTTP ${res.status} from the back-channel logout URI` };
  }
}
