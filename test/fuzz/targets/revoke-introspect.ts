import { contentType, damageRequest, encodeForm, mutateForm, tenantSegment, wireHeaderValue, type Form } from '../lib/http-input.js';
import type { Rng } from '../lib/rng.js';
import type { FuzzContext, HttpTarget } from '../lib/target.js';
import { damageText, nastyString, randomString } from '../lib/values.js';

/**
 * POST /{tenant}/oauth2/v2.0/revoke (RFC 7009) and /introspect (RFC 7662): the web app's
 * credentials (mostly right: a wrong secret costs an argon2 verification), a real, damaged or
 * made-up token, and a hint. Runs last in a plan: revoking the run's own tokens is allowed.
 */
export const revokeIntrospectTarget: HttpTarget = {
  name: 'POST /revoke + /introspect',
  generate(rng: Rng, ctx: FuzzContext) {
    const token = rng.weighted<() => string>([
      [2, () => ctx.appToken],
      [1, () => ctx.adminToken],
      [2, () => ctx.refreshToken],
      [2, () => damageText(rng, rng.pick([ctx.appToken, ctx.refreshToken]))],
      [2, () => randomString(rng, 60)],
      [2, () => nastyString(rng)],
    ])();
    const form: Form = [
      ['token', token],
      ['client_id', rng.pick([ctx.apps.webApp, ctx.apps.webApp, ctx.apps.publicClient, nastyString(rng)])],
      ['client_secret', rng.chance(0.95) ? ctx.webSecret : nastyString(rng)],
    ];
    if (rng.chance(0.5)) form.push(['token_type_hint', rng.pick(['access_token', 'refresh_token', 'id_token', nastyString(rng)])]);
    const headers: Record<string, string> = {};
    const type = contentType(rng, 'application/x-www-form-urlencoded');
    if (type !== undefined) headers['content-type'] = type;
    if (rng.chance(0.05))
      headers.authorization = wireHeaderValue(`Basic ${Buffer.from(`${ctx.apps.webApp}:${ctx.webSecret}`).toString('base64')}`);
    const req = {
      method: 'POST',
      path: `/${tenantSegment(rng, ctx.tenantId, ctx.domain)}/oauth2/v2.0/${rng.chance(0.5) ? 'revoke' : 'introspect'}`,
      headers,
      body: encodeForm(rng, rng.chance(0.6) ? mutateForm(rng, form, ['token', 'token_type_hint', 'client_id', 'client_secret']) : form),
    };
    return rng.chance(0.05) ? damageRequest(rng, req) : req;
  },
};
