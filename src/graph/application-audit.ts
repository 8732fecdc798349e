/**
 * Audit records of application management, under Entra's activity names (category
 * ApplicationManagement, https://learn.microsoft.com/entra/identity/monitoring-health/reference-audit-activities):
 * "Add application", "Update application", "Delete application" and
 * "Update application – Certificates and secrets management", and for consent "Add delegated
 * permission grant" and "Add app role assignment to service principal".
 */
import type { Application, AuditIdentity, AuditRecord } from '../core/model.js';
import { newTimeOrderedGuid } from '../crypto/random.js';
import { objectIdOf } from './application-body.js';

export type ApplicationActivity =
  | 'Add application'
  | 'Update application'
  | 'Delete application'
  | 'Update application – Certificates and secrets management'
  | 'Add delegated permission grant'
  | 'Add app role assignment to service principal';

const OPERATION: Record<ApplicationActivity, string> = {
  'Add application': 'Add',
  'Update application': 'Update',
  'Delete application': 'Delete',
  'Update application – Certificates and secrets management': 'Update',
  'Add delegated permission grant': 'Assign',
  'Add app role assignment to service principal': 'Assign',
};

/** What each stored field is called in `modifiedProperties` (Graph's property names); secrets only as key ids. */
const VIEWS: [string, (a: Application) => unknown][] = [
  ['DisplayName', (a) => a.displayName],
  ['Web', (a) => a.webRedirectUris],
  ['Spa', (a) => a.spaRedirectUris],
  ['PublicClient', (a) => a.publicClientRedirectUris],
  ['IsFallbackPublicClient', (a) => a.allowPublicClientFlows],
  ['IdentifierUris', (a) => a.identifierUris ?? []],
  ['Api', (a) => a.api ?? null],
  ['AppRoles', (a) => a.appRoles ?? []],
  ['RequiredResourceAccess', (a) => a.requiredResourceAccess ?? []],
  ['BackchannelLogout', (a) => a.backchannelLogout ?? null],
  ['KeyDescription', (a) => a.secrets.map((s) => ({ keyId: s.keyId, displayName: s.displayName, endDateTime: s.endDateTime }))],
  ['ResourceGrants', (a) => a.resourceGrants ?? []],
  ['DelegatedPermissions', (a) => a.delegatedPermissions],
  ['ApplicationPermissions', (a) => a.applicationPermissions],
];

const text = (v: unknown): string | null => (v === null ? null : JSON.stringify(v));

function modified(before: Application | null, after: Application | null): AuditRecord['targetResources'][number]['modifiedProperties'] {
  const out: AuditRecord['targetResources'][number]['modifiedProperties'] = [];
  for (const [name, view] of VIEWS) {
    const oldValue = before ? text(view(before)) : null;
    const newValue = after ? text(view(after)) : null;
    if (oldValue !== newValue) out.push({ displayName: name, oldValue, newValue });
  }
  return out;
}

export function applicationAudit(
  activity: ApplicationActivity,
  before: Application | null,
  after: Application | null,
  actor: AuditIdentity,
  correlationId: string,
  at: number,
): AuditRecord {
  const app = (after ?? before)!;
  return {
    id: newTimeOrderedGuid(),
    tenantId: app.tenantId,
    activityDateTime: at,
    activityDisplayName: activity,
    category: 'ApplicationManagement',
    loggedByService: 'Core Directory',
    operationType: OPERATION[activity],
    result: 'success',
    resultReason: '',
    correlationId,
    initiatedBy: actor,
    targetResources: [
      {
        id: objectIdOf(app),
        type: 'Application',
        userPrincipalName: null,
        displayName: app.displayName,
        modifiedProperties: modified(before, after),
      },
    ],
  };
}
