/**
 * The seed file's shape (docs/seed-file.md), declared as a zod schema: untrusted JSON in, a
 * normalised `Seed` out — defaults filled, roles as template ids, permission names in canonical
 * casing, GUIDs and domains lower-case, display names trimmed. A normalised Seed is itself a valid
 * input, and parsing it again changes nothing (test/fuzz/library.test.ts checks both).
 *
 * A new property is one line in its object below (and, for users, groups and applications, one
 * line in the property maps of seed-users.ts / seed-groups.ts / seed-applications.ts, which the
 * compiler asks for).
 * Rules the directory enforces everywhere (userPrincipalName, password, mail) come from
 * core/user-management.ts, so a seed cannot hold a user the directory would refuse.
 */
import { z } from 'zod';
import { MAX_BACKCHANNEL_LOGOUT_URI_LENGTH, backchannelLogoutUriProblem } from './backchannel-logout-uri.js';
import {
  APPLICATION_PERMISSIONS,
  DELEGATED_PERMISSIONS,
  canonicalPermission,
  isKnownApplicationPermission,
  isKnownDelegatedPermission,
} from './permissions.js';
import { isValidGroupMailNickname } from './group-management.js';
import { MAX_REDIRECT_URI_LENGTH, redirectUriProblem } from './redirect-uri-rule.js';
import { ROLE_DISPLAY_NAMES, resolveRole } from './roles.js';
import { isValidMail, meetsPasswordComplexity, userPrincipalNameViolation } from './user-management.js';

/** Invalid seed content, or a seed that cannot be applied to this store. Message is path-qualified. */
export class SeedError extends Error {
  override name = 'SeedError';
}

// ---------------------------------------------------------------------------------------------
// Building blocks. Each states its own message: "<path>: <what was expected>, got <value>".

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;
// Entra: a userPrincipalName is at most 113 characters (the rule itself is user-management.ts's).
const MAX_UPN = 113;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? `'${value}'` : `a ${typeof value}`;
}

/** A check on an already-typed value: `problem` returns the message, or null when the value is fine. */
function rule<T>(problem: (value: T) => string | null) {
  return (ctx: z.core.ParsePayload<T>): void => {
    const message = problem(ctx.value);
    if (message !== null) ctx.issues.push({ code: 'custom', message, input: ctx.value });
  };
}

const wrongType = (expected: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? 'is required' : `${expected}, got ${describe(issue.input)}`;

function text(max = 256) {
  return z.string({ error: wrongType('must be a string') }).check(
    rule((s: string) => {
      if (s.trim() === '') return 'must not be empty';
      if (s.length > max) return `must be at most ${max} characters`;
      // PostgreSQL text cannot hold U+0000: such a seed would fail half-applied at startup (found by fuzzing).
      if (s.includes('\u0000')) return 'must not contain the NUL character (U+0000)';
      return null;
    }),
  );
}

/** Absent or null in the file: null. */
const optional = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? null);

const bool = (fallback: boolean) => z.boolean({ error: wrongType('must be true or false') }).default(fallback);

/** A list; absent in the file: empty. */
const list = <T extends z.ZodType>(item: T) => z.array(item, { error: wrongType('must be an array') }).default(() => []);

const unique = <T>(items: T[]): T[] => [...new Set(items)];

/** An object whose unknown properties are errors: they are almost always typos ("pasword"). */
function object<S extends z.core.$ZodLooseShape>(shape: S) {
  const expected = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? `unknown property; expected one of ${expected}` : wrongType('must be an object')(issue),
  });
}

const guid = text()
  .check(rule((s) => (GUID.test(s) ? null : `must be a GUID like 00000000-0000-0000-0000-000000000000, got '${s}'`)))
  .transform((s) => s.toLowerCase());

const domain = text(253)
  .transform((s) => s.toLowerCase())
  .check(
    rule((s) => {
      const labels = s.split('.');
      const ok = labels.length >= 2 && labels.every((l) => DOMAIN_LABEL.test(l));
      return ok ? null : `must be a DNS name with at least two labels, like contoso.example, got '${s}'`;
    }),
  );

// ---------------------------------------------------------------------------------------------
// Tenant and users

const tenant = object({
  id: guid,
  domain,
  displayName: text(),
});

const role = text().transform((name, ctx) => {
  const id = resolveRole(name);
  if (!id)
    ctx.issues.push({
      code: 'custom',
      input: name,
      message: `unknown role '${name}'; known roles: ${Object.values(ROLE_DISPLAY_NAMES).join(', ')}`,
    });
  return id ?? '';
});

// Entra's cloud password policy (user-management.ts): the seed is often the only place a password is chosen.
const password = text().check(
  rule((s) => {
    if (s.length < 8) return 'must be at least 8 characters';
    return meetsPasswordComplexity(s)
      ? null
      : 'must use three of: lower case letters, upper case letters, digits, symbols (Entra password policy)';
  }),
);

const user = object({
  /** Optional: generated on first insert and kept afterwards. */
  id: guid.optional(),
  /** Checked against the tenant domain once the whole file is read (seedSchema below). */
  userPrincipalName: text(MAX_UPN),
  displayName: text().transform((s) => s.trim()),
  /** Plain text in the file; only its argon2id hash is stored. */
  password,
  accountEnabled: bool(true),
  mail: optional(text().check(rule((s) => (isValidMail(s) ? null : `must be an email address, got '${s}'`)))),
  /** Role template ids (the file may use display names). */
  roles: list(role).transform(unique),
});

// ---------------------------------------------------------------------------------------------
// Applications

const redirectUri = text(MAX_REDIRECT_URI_LENGTH).check(rule(redirectUriProblem));

const platform = object({ redirectUris: list(redirectUri).transform(unique) }).default(() => ({ redirectUris: [] }));

/** ISO 8601, normalised to UTC milliseconds (2030-12-31T00:00:00.000Z); absent = never expires. */
const endDateTime = optional(
  text()
    .check(
      rule((s) =>
        ISO_8601.test(s) && !Number.isNaN(Date.parse(s)) ? null : `must be an ISO 8601 date-time like 2030-12-31T00:00:00Z, got '${s}'`,
      ),
    )
    .transform((s) => new Date(Date.parse(s)).toISOString()),
);

const secret = object({
  // A client secret is a password an attacker can try offline against nothing but the token endpoint.
  secretText: text(512).check(rule((s) => (s.length < 16 ? 'must be at least 16 characters' : null))),
  displayName: optional(text()),
  endDateTime,
});

const secrets = list(secret).check((ctx) => {
  const seen = new Set<string>();
  ctx.value.forEach((s, i) => {
    if (seen.has(s.secretText))
      ctx.issues.push({
        code: 'custom',
        input: s.secretText,
        path: [i, 'secretText'],
        message: 'duplicates an earlier secret of this application',
      });
    seen.add(s.secretText);
  });
});

function permissions(kind: 'delegated' | 'application') {
  const known = kind === 'delegated' ? DELEGATED_PERMISSIONS : APPLICATION_PERMISSIONS;
  const isKnown = kind === 'delegated' ? isKnownDelegatedPermission : isKnownApplicationPermission;
  const permission = text().transform((name, ctx) => {
    const canonical = isKnown(name) ? canonicalPermission(name) : undefined;
    if (!canonical)
      ctx.issues.push({ code: 'custom', input: name, message: `unknown ${kind} permission '${name}'; known: ${known.join(', ')}` });
    return canonical ?? '';
  });
  return list(permission).transform(unique);
}

/** Both present, or both absent (the app is not told of logouts). */
interface BackchannelLogoutMetadata {
  backchannel_logout_uri?: string;
  backchannel_logout_session_required?: boolean;
}

/** Graph `permissionScope` (https://learn.microsoft.com/graph/api/resources/permissionscope); the rules are application-registration.ts's. */
const permissionScope = object({
  id: guid,
  value: text(120),
  type: z.enum(['User', 'Admin']).default('User'),
  isEnabled: bool(true),
  adminConsentDisplayName: text(),
  adminConsentDescription: text(1024),
  userConsentDisplayName: optional(text()),
  userConsentDescription: optional(text(1024)),
});

/** Graph `appRole` (https://learn.microsoft.com/graph/api/resources/approle). */
const appRole = object({
  id: guid,
  value: text(120),
  displayName: text(),
  description: text(1024),
  isEnabled: bool(true),
  allowedMemberTypes: z.array(z.enum(['User', 'Application'])).min(1),
});

const requiredResourceAccess = object({
  resourceAppId: guid,
  resourceAccess: list(object({ id: guid, type: z.enum(['Scope', 'Role']) })),
});

/** Admin consent to another application of the file: its scope values and app role ids. */
const consent = object({ resourceAppId: guid, scopes: list(text(120)), appRoleIds: list(guid) });

const application = object({
  /** The directory object id (Graph `application.id`); absent = the appId. */
  id: guid.optional(),
  appId: guid,
  identifierUris: list(text(1024)),
  api: object({
    requestedAccessTokenVersion: z.union([z.literal(1), z.literal(2), z.null()]).default(null),
    oauth2PermissionScopes: list(permissionScope),
  }).default(() => ({ requestedAccessTokenVersion: null, oauth2PermissionScopes: [] })),
  appRoles: list(appRole),
  requiredResourceAccess: list(requiredResourceAccess),
  consent: list(consent),
  displayName: text(),
  publicClient: platform,
  web: platform,
  spa: platform,
  passwordCredentials: secrets,
  allowPublicClientFlows: bool(false),
  delegatedPermissions: permissions('delegated'),
  applicationPermissions: permissions('application'),
  /**
   * OpenID Connect Back-Channel Logout 1.0 §2.2 client metadata, under its registration names (so a
   * normalised Seed stays a valid input); both absent = the app is not told of logouts.
   */
  backchannel_logout_uri: text(MAX_BACKCHANNEL_LOGOUT_URI_LENGTH).check(rule(backchannelLogoutUriProblem)).optional(),
  backchannel_logout_session_required: z.boolean({ error: wrongType('must be true or false') }).optional(),
  /** Directory roles assigned to the app's service principal (template ids; docs/authorization.md). */
  directoryRoles: list(role).transform(unique),
}).transform(
  (
    { backchannel_logout_uri, backchannel_logout_session_required, directoryRoles, ...withoutRoles },
    ctx,
  ): typeof withoutRoles & BackchannelLogoutMetadata & { directoryRoles?: string[] } => {
    // Present only when roles are assigned, so a normalised Seed stays equal to its input.
    const rest: typeof withoutRoles & { directoryRoles?: string[] } =
      directoryRoles.length > 0 ? { ...withoutRoles, directoryRoles } : withoutRoles;
    if (backchannel_logout_uri === undefined) {
      if (backchannel_logout_session_required !== undefined) {
        ctx.issues.push({
          code: 'custom',
          input: backchannel_logout_session_required,
          path: ['backchannel_logout_session_required'],
          message: 'needs backchannel_logout_uri',
        });
      }
      return rest;
    }
    // §2.2: backchannel_logout_session_required defaults to false.
    return { ...rest, backchannel_logout_uri, backchannel_logout_session_required: backchannel_logout_session_required ?? false };
  },
);

// ---------------------------------------------------------------------------------------------
// The file

type Issue = z.core.$ZodRawIssue;

/** The first of `values` whose key an earlier one already has, as an issue at that path. */
function duplicates<T>(values: readonly T[], key: (t: T) => string | undefined, list: string, property: string, what: string): Issue[] {
  const first = new Map<string, number>();
  const out: Issue[] = [];
  values.forEach((value, i) => {
    const k = key(value);
    if (k === undefined) return;
    const earlier = first.get(k);
    if (earlier !== undefined)
      out.push({
        code: 'custom',
        input: k,
        path: [list, i, property],
        message: `duplicate ${what}; ${list}[${earlier}].${property} already uses it`,
      });
    else first.set(k, i);
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Groups

/** Graph's default when a tool creates a group from a name: the characters mailNickname allows. */
function nicknameFrom(displayName: string): string {
  const kept = [...displayName]
    .filter((c) => isValidGroupMailNickname(c))
    .join('')
    .slice(0, 64);
  return kept === '' ? 'group' : kept;
}

const group = object({
  /** Optional: generated on first insert and kept afterwards. */
  id: guid.optional(),
  /** Unique in the file case-insensitively: `memberGroups` name groups by it. */
  displayName: text().transform((s) => s.trim()),
  description: optional(text(1024)),
  /** Absent: derived from displayName (normalised into the entry, so it is tracked as written). */
  mailNickname: text(64)
    .check(
      rule((s) =>
        isValidGroupMailNickname(s) ? null : `must be at most 64 printable ASCII characters without spaces or @()\\[]";:<>, got '${s}'`,
      ),
    )
    .optional(),
  /** Member users by userPrincipalName (checked against the tenant domain once the whole file is read). */
  members: list(text(MAX_UPN).transform((s) => s.toLowerCase())).transform(unique),
  /** Nested groups: the displayName of other groups of this file. */
  memberGroups: list(text().transform((s) => s.trim().toLowerCase())).transform(unique),
}).transform((g) => ({ ...g, mailNickname: g.mailNickname ?? nicknameFrom(g.displayName) }));

const seedSchema = object({
  $schema: z.unknown().optional(),
  tenant,
  users: list(user),
  groups: list(group),
  applications: list(application),
}).transform(({ $schema: _editorHint, ...seed }, ctx) => {
  seed.users.forEach((u, i) => {
    // Entra only accepts UPNs in a verified domain of the tenant; the seed tenant has exactly one.
    if (userPrincipalNameViolation(u.userPrincipalName, seed.tenant.domain) !== null) {
      ctx.issues.push({
        code: 'custom',
        input: u.userPrincipalName,
        path: ['users', i, 'userPrincipalName'],
        message: `must be an email-like user@domain whose domain is the tenant domain '${seed.tenant.domain}', got '${u.userPrincipalName}'`,
      });
    }
  });
  const groupNames = new Set(seed.groups.map((g) => g.displayName.toLowerCase()));
  seed.groups.forEach((g, i) => {
    g.members.forEach((upn, j) => {
      if (userPrincipalNameViolation(upn, seed.tenant.domain) !== null)
        ctx.issues.push({
          code: 'custom',
          input: upn,
          path: ['groups', i, 'members', j],
          message: `must be the userPrincipalName of a user in the tenant domain '${seed.tenant.domain}', got '${upn}'`,
        });
    });
    g.memberGroups.forEach((name, j) => {
      const problem =
        name === g.displayName.toLowerCase()
          ? 'a group cannot be a member of itself'
          : groupNames.has(name)
            ? null
            : `must be the displayName of another group of this file, got '${name}'`;
      if (problem !== null) ctx.issues.push({ code: 'custom', input: name, path: ['groups', i, 'memberGroups', j], message: problem });
    });
  });
  ctx.issues.push(
    ...duplicates(
      seed.users,
      (u) => u.userPrincipalName.toLowerCase(),
      'users',
      'userPrincipalName',
      'userPrincipalName (case-insensitive)',
    ),
    ...duplicates(seed.users, (u) => u.id, 'users', 'id', 'id'),
    ...duplicates(seed.groups, (g) => g.displayName.toLowerCase(), 'groups', 'displayName', 'displayName (case-insensitive)'),
    ...duplicates(seed.groups, (g) => g.id, 'groups', 'id', 'id'),
    ...duplicates(seed.applications, (a) => a.appId, 'applications', 'appId', 'appId'),
  );
  return seed;
});

export type Seed = z.output<typeof seedSchema>;
export type SeedTenant = Seed['tenant'];
export type SeedUser = Seed['users'][number];
export type SeedGroup = Seed['groups'][number];
export type SeedApplication = Seed['applications'][number];
export type SeedSecret = SeedApplication['passwordCredentials'][number];

/** users[0].userPrincipalName; the document itself is "seed". */
function pathOf(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out === '' ? 'seed' : out;
}

/** Validates a parsed JSON document; throws SeedError naming the first offending path. */
export function parseSeed(json: unknown): Seed {
  const parsed = seedSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const { issues } = parsed.error;
  // An unknown property first: it is most often a misspelt one, which the other issues only echo.
  const issue = issues.find((i) => i.code === 'unrecognized_keys') ?? issues[0];
  if (!issue) throw new SeedError('seed: invalid');
  if (issue.code === 'unrecognized_keys') throw new SeedError(`${pathOf([...issue.path, issue.keys[0] ?? ''])}: ${issue.message}`);
  throw new SeedError(`${pathOf(issue.path)}: ${issue.message}`);
}
