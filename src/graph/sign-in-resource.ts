/**
 * SignIn -> Graph `microsoft.graph.signIn` JSON (https://learn.microsoft.com/graph/api/resources/signin).
 * v1.0 has the properties of the v1.0 resource; beta adds signInEventTypes, userAgent,
 * authenticationProtocol and the service principal properties (servicePrincipalId,
 * servicePrincipalName, clientCredentialType, servicePrincipalCredentialKeyId: '' / null on a
 * user's sign-in, where Portcullis does not record how the client authenticated). Properties Portcullis has no data for (location, conditional access,
 * risk) are present with Graph's "nothing" values, so clients reading them do not break.
 */
import { type SignIn, signInEventType } from '../core/sign-in.js';
import { describeUserAgent } from '../core/user-agent.js';
import type { GraphVersion } from './http.js';

export function signInJson(e: SignIn, version: GraphVersion): Record<string, unknown> {
  const device = describeUserAgent(e.userAgent ?? undefined);
  const out: Record<string, unknown> = {
    id: e.id,
    createdDateTime: new Date(e.createdAt).toISOString(),
    userDisplayName: e.userDisplayName,
    userPrincipalName: e.userPrincipalName,
    userId: e.userId,
    appId: e.appId,
    appDisplayName: e.appDisplayName,
    ipAddress: e.ipAddress ?? '',
    clientAppUsed: e.clientAppUsed,
    correlationId: e.correlationId,
    conditionalAccessStatus: 'notApplied',
    isInteractive: e.isInteractive,
    riskDetail: 'none',
    riskLevelAggregated: 'none',
    riskLevelDuringSignIn: 'none',
    riskState: 'none',
    riskEventTypes_v2: [],
    resourceDisplayName: e.resourceDisplayName,
    resourceId: e.resourceId,
    status: { errorCode: e.errorCode, failureReason: e.failureReason, additionalDetails: null },
    deviceDetail: {
      deviceId: '',
      displayName: '',
      operatingSystem: device.operatingSystem,
      browser: device.browser,
      isCompliant: false,
      isManaged: false,
      trustType: '',
    },
    location: { city: null, state: null, countryOrRegion: null, geoCoordinates: null },
    appliedConditionalAccessPolicies: [],
  };
  if (version === 'beta') {
    out.signInEventTypes = [signInEventType(e)];
    out.userAgent = e.userAgent ?? '';
    out.authenticationProtocol = e.authenticationProtocol;
    out.servicePrincipalId = e.servicePrincipal?.id ?? '';
    out.servicePrincipalName = e.servicePrincipal?.name ?? '';
    out.clientCredentialType = e.servicePrincipal?.clientCredentialType ?? null;
    out.servicePrincipalCredentialKeyId = e.servicePrincipal?.credentialKeyId ?? null;
  }
  return out;
}
