import { readFileSync } from 'node:fs';
import type { Rng } from '../lib/rng.js';
import { damageText, guid, jsonValue, mutateJson, nastyString } from '../lib/values.js';

/** The example of docs/seed-file.md: the grammar's valid starting point, kept in step with the docs. */
export function documentedSeed(): unknown {
  const doc = readFileSync(new URL('../../../docs/seed-file.md', import.meta.url), 'utf8');
  const m = /```json\n([\s\S]*?)```/.exec(doc);
  if (!m) throw new Error('docs/seed-file.md has no JSON example');
  return JSON.parse(m[1]!);
}

const ROLE_NAMES = [
  'Global Administrator',
  'global administrator',
  'Helpdesk Administrator',
  '62e90394-69f5-4237-9190-012177145e10',
  'User Administrator',
  'Nope',
];
const PERMISSIONS = [
  'User.Read',
  'user.read',
  'User.ReadWrite.All',
  'User.RevokeSessions.All',
  'AuditLog.Read.All',
  'Directory.ReadWrite.All',
  'Mail.Send',
  '',
];

/** Targeted edits the seed grammar cares about (ids, domains, roles, permissions, secrets, dates). */
function seedEdit(rng: Rng, seed: Record<string, unknown>): unknown {
  const s = structuredClone(seed) as {
    tenant: Record<string, unknown>;
    users: Record<string, unknown>[];
    applications: Record<string, unknown>[];
  };
  const user = rng.pick(s.users);
  const app = rng.pick(s.applications);
  rng.pick<() => void>([
    () => (s.tenant.id = rng.pick([guid(rng), guid(rng).toUpperCase(), nastyString(rng)])),
    () =>
      (s.tenant.domain = rng.pick([
        'contoso.localhost',
        'CONTOSO.LOCALHOST',
        'a..b',
        '-a.b',
        'a',
        `${'x'.repeat(64)}.com`,
        nastyString(rng),
      ])),
    () =>
      (user.userPrincipalName = rng.pick([
        `${nastyString(rng)}@contoso.localhost`,
        'a@b@contoso.localhost',
        '@contoso.localhost',
        'x@other.test',
        nastyString(rng),
      ])),
    () => (user.roles = Array.from({ length: rng.int(0, 3) }, () => rng.pick(ROLE_NAMES))),
    () => (user.id = rng.pick([guid(rng), s.users[0]!.id ?? guid(rng), nastyString(rng)])),
    () => (user.password = nastyString(rng)),
    () => (user.mail = rng.pick([null, 'a@b.c', nastyString(rng)])),
    () => s.users.push({ ...user }),
    () => s.applications.push({ ...app }),
    () => (app.delegatedPermissions = Array.from({ length: rng.int(0, 4) }, () => rng.pick(PERMISSIONS))),
    () => (app.applicationPermissions = Array.from({ length: rng.int(0, 3) }, () => rng.pick(PERMISSIONS))),
    () =>
      (app.passwordCredentials = [
        {
          secretText: nastyString(rng),
          endDateTime: rng.pick(['2030-01-01', '2030-01-01T00:00:00Z', '2030-13-45T99:99Z', '0000-00-00', nastyString(rng)]),
          displayName: jsonValue(rng, 0),
        },
      ]),
    () =>
      (app.web = {
        redirectUris: [
          rng.pick(['https://x.test/cb', 'http://localhost:3000/', 'javascript:alert(1)', 'https://x.test/#frag', '*', nastyString(rng)]),
        ],
      }),
    () => (app.appId = rng.pick([guid(rng), s.applications[0]!.appId, nastyString(rng)])),
  ])();
  return s;
}

/** A seed document to validate: the documented one edited and mutated, random JSON, or broken text. */
export function seedInput(rng: Rng, base: Record<string, unknown>): { text: string } {
  const value = rng.weighted<() => unknown>([
    [
      6,
      () => {
        let v: unknown = seedEdit(rng, base);
        for (let i = rng.int(0, 2); i > 0; i--) v = rng.chance(0.6) ? mutateJson(rng, v) : v;
        return v;
      },
    ],
    [1, () => jsonValue(rng, 4)],
    [1, () => mutateJson(rng, base)],
  ])();
  const text = JSON.stringify(value) ?? 'null';
  return { text: rng.chance(0.1) ? damageText(rng, text) : text };
}
