/**
 * Applying a seed file's applications: the properties the file changed since it was last applied
 * (seed-tracking.ts) are written over the stored application; the others stay as the store has them.
 * Every write goes through saveApplication, the rules and the write of Graph's POST/PATCH /applications.
 */
import { newGuid } from '../crypto/random.js';
import { createFixedApplication, saveApplication } from './application-registration.js';
import type { Application, BackchannelLogoutRegistration, ClientSecret } from './model.js';
import { recordOutcome } from './seed-outcome.js';
import type { Seed, SeedApplication, SeedSecret } from './seed-schema.js';
import { changedSince, countedHash, countedVerify, digestsOf, forgetRemoved, recordOf, track, type ApplyContext } from './seed-tracking.js';

function seedBackchannelLogout(a: SeedApplication): BackchannelLogoutRegistration | null {
  return a.backchannel_logout_uri === undefined
    ? null
    : { uri: a.backchannel_logout_uri, sessionRequired: a.backchannel_logout_session_required ?? false };
}

/**
 * Which tracked property each field of an application entry belongs to. Every field must be
 * listed (a new seed field is a compile error here until it is), so none escapes tracking.
 */
const APPLICATION_PROPERTY_OF = {
  displayName: 'displayName',
  publicClient: 'publicClient',
  web: 'web',
  spa: 'spa',
  passwordCredentials: 'passwordCredentials',
  allowPublicClientFlows: 'allowPublicClientFlows',
  delegatedPermissions: 'delegatedPermissions',
  applicationPermissions: 'applicationPermissions',
  backchannel_logout_uri: 'backchannelLogout',
  backchannel_logout_session_required: 'backchannelLogout',
  directoryRoles: 'directoryRoles',
  id: 'id',
  identifierUris: 'identifierUris',
  api: 'api',
  appRoles: 'appRoles',
  requiredResourceAccess: 'requiredResourceAccess',
  consent: 'consent',
} as const satisfies Record<Exclude<keyof SeedApplication, 'appId'>, string>;

type ApplicationProperty = (typeof APPLICATION_PROPERTY_OF)[keyof typeof APPLICATION_PROPERTY_OF];

/** The stored fields each property sets. */
const APPLICATION_FIELDS: Record<ApplicationProperty, readonly (keyof Application)[]> = {
  displayName: ['displayName'],
  publicClient: ['publicClientRedirectUris'],
  web: ['webRedirectUris'],
  spa: ['spaRedirectUris'],
  passwordCredentials: ['secrets'],
  allowPublicClientFlows: ['allowPublicClientFlows'],
  delegatedPermissions: ['delegatedPermissions'],
  applicationPermissions: ['applicationPermissions'],
  backchannelLogout: ['backchannelLogout'],
  directoryRoles: ['directoryRoles'],
  id: ['id'],
  identifierUris: ['identifierUris'],
  api: ['api'],
  appRoles: ['appRoles'],
  requiredResourceAccess: ['requiredResourceAccess'],
  consent: ['resourceGrants'],
};

function applicationProperties(a: SeedApplication): Record<ApplicationProperty, Record<string, unknown>> {
  const out = {} as Record<ApplicationProperty, Record<string, unknown>>;
  for (const [field, property] of Object.entries(APPLICATION_PROPERTY_OF) as [
    keyof typeof APPLICATION_PROPERTY_OF,
    ApplicationProperty,
  ][]) {
    out[property] = { ...out[property], [field]: a[field] };
  }
  return out;
}

/** A stored field in a fixed shape (row-derived objects may order keys differently). */
function fieldView(app: Application, field: keyof Application): string {
  if (field === 'secrets') return JSON.stringify(app.secrets.map((s) => [s.keyId, s.hash, s.hint, s.displayName, s.endDateTime]));
  if (field === 'backchannelLogout')
    return JSON.stringify(app.backchannelLogout ? [app.backchannelLogout.uri, app.backchannelLogout.sessionRequired] : null);
  if (field === 'directoryRoles') return JSON.stringify(app.directoryRoles ?? []);
  return JSON.stringify(app[field]);
}

function differingProperties(a: Application, b: Application, properties: readonly ApplicationProperty[]): ApplicationProperty[] {
  return properties.filter((p) => APPLICATION_FIELDS[p].some((f) => fieldView(a, f) !== fieldView(b, f)));
}

/**
 * The secrets the app should hold: an existing entry whose hash verifies against a seed secret is
 * kept as it is (same keyId and hash), so re-applying the seed does not rotate anything.
 */
async function desiredSecrets(
  ctx: ApplyContext,
  seedSecrets: readonly SeedSecret[],
  existing: readonly ClientSecret[],
): Promise<ClientSecret[]> {
  const unmatched = [...existing];
  const out: ClientSecret[] = [];
  for (const s of seedSecrets) {
    const endDateTime = s.endDateTime === null ? null : Date.parse(s.endDateTime);
    let match: ClientSecret | undefined;
    for (const candidate of unmatched) {
      if (await countedVerify(ctx, candidate.hash, s.secretText)) {
        match = candidate;
        break;
      }
    }
    if (match) {
      unmatched.splice(unmatched.indexOf(match), 1);
      out.push({ ...match, displayName: s.displayName, endDateTime });
    } else {
      out.push({
        keyId: newGuid(),
        hash: await countedHash(ctx, s.secretText),
        hint: s.secretText.slice(0, 3),
        displayName: s.displayName,
        endDateTime,
      });
    }
  }
  return out;
}

/** The application as the file describes it, with `secrets` given. */
function seedApplication(ctx: ApplyContext, a: SeedApplication, secrets: ClientSecret[], createdAt: number): Application {
  return {
    appId: a.appId,
    tenantId: ctx.tenantId,
    displayName: a.displayName,
    publicClientRedirectUris: a.publicClient.redirectUris,
    webRedirectUris: a.web.redirectUris,
    spaRedirectUris: a.spa.redirectUris,
    secrets,
    allowPublicClientFlows: a.allowPublicClientFlows,
    delegatedPermissions: a.delegatedPermissions,
    applicationPermissions: a.applicationPermissions,
    createdAt,
    backchannelLogout: seedBackchannelLogout(a),
    directoryRoles: a.directoryRoles ?? [],
    ...(a.id ? { id: a.id } : {}),
    identifierUris: a.identifierUris,
    api: a.api,
    appRoles: a.appRoles,
    requiredResourceAccess: a.requiredResourceAccess,
    resourceGrants: a.consent,
  };
}

async function applyApplication(ctx: ApplyContext, a: SeedApplication): Promise<void> {
  const properties = applicationProperties(a);
  const digests = digestsOf(ctx, 'application', a.appId, properties);
  const record = recordOf(ctx, 'application', a.appId);
  const current = await ctx.store.applications.findByAppId(ctx.tenantId, a.appId);
  const name = `${a.displayName} [${a.appId}]`;
  if (!current) {
    if (record) {
      recordOutcome(ctx.result, 'application', name, 'skipped', ['deleted at runtime']);
      return;
    }
    const created = await createFixedApplication(
      ctx.store.applications,
      seedApplication(ctx, a, await desiredSecrets(ctx, a.passwordCredentials, []), ctx.now),
    );
    // Another instance applying the same seed created it meanwhile: go on as for an existing app.
    if (!created) return applyApplication(ctx, a);
    await track(ctx, 'application', a.appId, a.appId, digests);
    recordOutcome(ctx.result, 'application', name, 'created');
    return;
  }
  const all = Object.keys(properties) as ApplicationProperty[];
  if (!record) {
    // Secrets are not compared here: that would take argon2 per secret.
    const differs = differingProperties(current, seedApplication(ctx, a, current.secrets, current.createdAt), all);
    await track(ctx, 'application', a.appId, a.appId, digests);
    recordOutcome(ctx.result, 'application', name, 'adopted', differs);
    return;
  }
  const changed = changedSince(record, digests) as ApplicationProperty[];
  if (changed.length === 0) {
    recordOutcome(ctx.result, 'application', name, 'unchanged');
    return;
  }
  const secrets = changed.includes('passwordCredentials')
    ? await desiredSecrets(ctx, a.passwordCredentials, current.secrets)
    : current.secrets;
  const fromFile = seedApplication(ctx, a, secrets, current.createdAt);
  const next: Application = { ...current };
  for (const p of changed) for (const f of APPLICATION_FIELDS[p]) Object.assign(next, { [f]: fromFile[f] });
  const written = differingProperties(current, next, changed);
  if (written.length > 0) await saveApplication(ctx.store.applications, next, current);
  await track(ctx, 'application', a.appId, a.appId, digests);
  recordOutcome(ctx.result, 'application', name, written.length > 0 ? 'updated' : 'unchanged', written);
}

export async function applySeedApplications(ctx: ApplyContext, seed: Seed): Promise<void> {
  for (const a of seed.applications) await applyApplication(ctx, a);
  await forgetRemoved(ctx, 'application', new Set(seed.applications.map((a) => a.appId)));
}
