/**
 * Built-in directory roles Portcullis knows, with Entra's role template ids
 * (https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference).
 * Who may do what to whom is decided in core/authorization/ (docs/authorization.md).
 */
export const ROLE = {
  globalAdministrator: '62e90394-69f5-4237-9190-012177145e10',
  privilegedAuthenticationAdministrator: '7be44c8a-adaf-4e2a-84d6-ab2649e08a13',
  privilegedRoleAdministrator: 'e8611ab8-c189-46e8-94e1-60213ab1f814',
  userAdministrator: 'fe930be7-5e62-47db-91af-98c3a49a38b1',
  helpdeskAdministrator: '729827e3-9c14-49f7-bb1b-9608f156bbb8',
  authenticationAdministrator: 'c4e39bd9-1100-46d3-8c65-fb160da0071f',
  passwordAdministrator: '966707d0-3269-4727-9be2-8c3a10f19b9d',
  directoryWriters: '9360feb5-f418-4baa-8175-e2a00bac4301',
  directoryReaders: '88d8e3e3-8f55-4a1e-953a-9b9898b8876b',
  groupsAdministrator: 'fdd7a751-b60b-444a-984c-02652fe8fa1c',
  guestInviter: '95e79109-95c0-4d8e-aee3-d01accf2d47b',
  messageCenterReader: '790c1fb9-7f7d-4f88-86a1-ef1f95c05c1b',
  reportsReader: '4a5d8f65-41da-4de4-8968-e035b65339cf',
  securityReader: '5d6b6bb7-de71-4623-b4af-96380a352509',
  securityAdministrator: '194ae4cb-b126-40b2-bd5b-6091b380977d',
  globalReader: 'f2ef992c-3afb-46b9-b7cf-a126ee74c451',
  applicationAdministrator: '9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3',
  cloudApplicationAdministrator: '158c047a-c907-4556-b7ef-446551a6b5f7',
} as const;

export type RoleTemplateId = (typeof ROLE)[keyof typeof ROLE];

export const ROLE_DISPLAY_NAMES: Record<string, string> = {
  [ROLE.globalAdministrator]: 'Global Administrator',
  [ROLE.privilegedAuthenticationAdministrator]: 'Privileged Authentication Administrator',
  [ROLE.privilegedRoleAdministrator]: 'Privileged Role Administrator',
  [ROLE.userAdministrator]: 'User Administrator',
  [ROLE.helpdeskAdministrator]: 'Helpdesk Administrator',
  [ROLE.authenticationAdministrator]: 'Authentication Administrator',
  [ROLE.passwordAdministrator]: 'Password Administrator',
  [ROLE.directoryWriters]: 'Directory Writers',
  [ROLE.directoryReaders]: 'Directory Readers',
  [ROLE.groupsAdministrator]: 'Groups Administrator',
  [ROLE.guestInviter]: 'Guest Inviter',
  [ROLE.messageCenterReader]: 'Message Center Reader',
  [ROLE.reportsReader]: 'Reports Reader',
  [ROLE.securityReader]: 'Security Reader',
  [ROLE.securityAdministrator]: 'Security Administrator',
  [ROLE.globalReader]: 'Global Reader',
  [ROLE.applicationAdministrator]: 'Application Administrator',
  [ROLE.cloudApplicationAdministrator]: 'Cloud Application Administrator',
};

/** Accepts a role display name (case-insensitive) or a template id; undefined if unknown. */
export function resolveRole(nameOrId: string): string | undefined {
  const wanted = nameOrId.trim().toLowerCase();
  for (const [id, name] of Object.entries(ROLE_DISPLAY_NAMES)) {
    if (id === wanted || name.toLowerCase() === wanted) return id;
  }
  return undefined;
}
