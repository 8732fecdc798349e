import { contentType, damageRequest, encodeForm, mutateForm, tenantSegment, wireHeaderValue, wirePath, type Form } from '../lib/http-input.js';
import type { Rng } from '../lib/rng.js';
import type { FuzzContext, HttpTarget } from '../lib/target.js';
import { nastyString, randomString } from '../lib/values.js';

function withType(rng: Rng, headers: Record<string, string>): Record<string, string> {
  const type = contentType(rng, 'application/x-www-form-urlencoded');
  if (type !== undefined) headers['content-type'] = type;
  return headers;
}

/** POST /{tenant}/oauth2/v2.0/devicecode (RFC 8628 §3.1). */
function deviceAuthorization(rng: Rng, ctx: FuzzContext) {
  const form: Form = [
    ['client_id', rng.pick([ctx.apps.publicClient, ctx.apps.webApp, ctx.apps.spa, nastyString(rng)])],
    ['scope', rng.pick(['openid profile offline_access User.Read', 'User.Read', '.default', nastyString(rng)])],
  ];
  const body = encodeForm(rng, rng.chance(0.7) ? mutateForm(rng, form, ['client_id', 'scope', 'claims', 'client_secret']) : form);
  return { method: 'POST', path: `/${tenantSegment(rng, ctx.tenantId, ctx.domain)}/oauth2/v2.0/devicecode`, headers: withType(rng, {}), body };
}

/** The device page (GET and both form POSTs), CSRF cookie and field usually matching. */
function devicePage(rng: Rng, ctx: FuzzContext) {
  if (rng.chance(0.2)) return { method: 'GET', path: wirePath(`/devicelogin${rng.chance(0.5) ? `?${encodeForm(rng, [['code', nastyString(rng)]])}` : ''}`), headers: {} };
  const csrf = randomString(rng, 32) || 'x';
  const approve = rng.chance(0.5);
  const userCode = rng.weighted<() => string>([
    [3, () => ctx.userCode],
    [1, () => ctx.userCode.toLowerCase().replace(/(.{4})/, '$1-')],
    [3, () => nastyString(rng)],
  ])();
  const form: Form = [
    ['csrf', rng.chance(0.85) ? csrf : nastyString(rng)],
    ['user_code', userCode],
  ];
  if (approve) {
    // 'decline' would end the seeded code for the rest of the run: keep it rare.
    form.push(['action', rng.weighted<string>([[6, 'approve'], [3, 'continue'], [0.2, 'decline'], [1, nastyString(rng)]])]);
    form.push(['username', rng.chance(0.03) ? rng.pick(ctx.targetUsers).upn : nastyString(rng)]);
    form.push(['password', rng.chance(0.5) ? ctx.password : nastyString(rng)]);
  }
  const headers = withType(rng, { cookie: wireHeaderValue(`portcullis_csrf=${csrf}`) });
  const body = encodeForm(rng, rng.chance(0.6) ? mutateForm(rng, form, ['csrf', 'user_code', 'action', 'username', 'password']) : form);
  return { method: 'POST', path: approve ? '/devicelogin/approve' : '/devicelogin', headers, body };
}

export const deviceTarget: HttpTarget = {
  name: 'device code + /devicelogin',
  generate(rng, ctx) {
    const req = rng.chance(0.4) ? deviceAuthorization(rng, ctx) : devicePage(rng, ctx);
    return rng.chance(0.08) ? damageRequest(rng, req) : req;
  },
};
