/**
 * Creating, changing and deleting users, with the audit record of each change committed in the
 * same store call as the change (https://learn.microsoft.com/entra/identity/monitoring-health/reference-audit-activities). Surfaces (Graph, CLI,
 * console) validate the shape of their input; the rules of the directory live here and are
 * reported as UserRuleViolation, which each surface turns into its own wire error.
 * Disabling an account and resetting a password revoke every credential of the user, exactly
 * like revokeSignInSessions (docs/revocation-model.md: a password reset revokes like a revoke).
 */
import type { Clock } from '../clock.js';
import { hashSecret, type SecretHasher } from '../crypto/passwords.js';
import { newGuid } from '../crypto/random.js';
import { ConflictError, type Store, type UserPatch } from '../store/store.js';
import { ACTIVITY, userManagementRecord, userTarget } from './audit.js';
import type { AuditIdentity, AuditRecord, AuditTarget, Tenant, User } from './model.js';
import type { RevocationObserver } from './revocation.js';
import type { InitiatingEntity } from './security-event.js';

export interface UserManagementDeps {
  store: Store;
  clock: Clock;
  tenant: Tenant;
  /** Told of the revocations a change caused, once committed (the app's metrics; absent for a seed). */
  metrics?: RevocationObserver;
  /** Hashes a new password; default argon2id (crypto/passwords.ts). The test kit passes its memo of the same hashes. */
  hashSecret?: SecretHasher;
}

/** Who acts, and the id that ties the audit record to the request (client-request-id). */
export interface ActionContext {
  actor: AuditIdentity;
  correlationId: string;
  /**
   * The CAEP initiating_entity of the security events this action causes. Absent: 'user' when the
   * actor acts on itself, else 'admin'; a seed file applied at start-up is 'system'.
   */
  initiatingEntity?: InitiatingEntity;
}

export type UserRuleViolation =
  /** The userPrincipalName's domain is not the tenant's (verified) domain. */
  | { kind: 'upn_domain' }
  /** Password shorter than 8 / longer than 256 characters, or fewer than 3 of 4 character classes. */
  | { kind: 'password_complexity' }
  /** A value breaks a syntax or length rule. */
  | { kind: 'invalid_value'; property: 'userPrincipalName' | 'displayName' | 'mailNickname' | 'mail' }
  /** Another user already has this userPrincipalName (case-insensitive). */
  | { kind: 'duplicate_upn' };

export class UserRuleError extends Error {
  constructor(readonly violation: UserRuleViolation) {
    super(`user rule violated: ${violation.kind}`);
    this.name = 'UserRuleError';
  }
}

export interface NewUser {
  accountEnabled: boolean;
  displayName: string;
  mailNickname: string;
  userPrincipalName: string;
  password: string;
  mail?: string | null;
  /** A fixed object id (a seed file may name one); absent: a new GUID. */
  id?: string;
  /** Directory role template ids assigned at creation (core/roles.ts). */
  roleTemplateIds?: string[];
}

export interface UserChanges {
  displayName?: string;
  accountEnabled?: boolean;
  password?: string;
  userPrincipalName?: string;
  roleTemplateIds?: string[];
}

const MAX_DISPLAY_NAME = 256;
// Entra: the alias part of a UPN is at most 64 characters, the whole UPN at most 113.
const MAX_UPN_ALIAS = 64;
const MAX_UPN = 113;
const UPN_ALIAS = /^[A-Za-z0-9'._!#^~-]+$/;
// Entra: mailNickname is ASCII 0-127 without @ ( ) \ [ ] " ; : < > , and space; at most 64.
const MAIL_NICKNAME = /^[\x21-\x7e]+$/;
const MAIL_NICKNAME_FORBIDDEN = /[@()\\[\]";:<>,]/;
const SIMPLE_MAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Entra's cloud password policy: 8 to 256 characters, at least three of lower case, upper case,
 * digits and symbols (learn.microsoft.com, "Password policies and account restrictions").
 */
export function meetsPasswordComplexity(password: string): boolean {
  const length = [...password].length;
  if (length < 8 || length > 256) return false;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  return classes >= 3;
}

/** U+0000 cannot be stored in PostgreSQL text, and no directory value needs it (found by fuzzing). */
const holdsNul = (value: string): boolean => value.includes('\u0000');

function checkDisplayName(displayName: string): void {
  const trimmed = displayName.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_DISPLAY_NAME || holdsNul(trimmed)) {
    throw new UserRuleError({ kind: 'invalid_value', property: 'displayName' });
  }
}

function checkPassword(password: string): void {
  if (!meetsPasswordComplexity(password)) throw new UserRuleError({ kind: 'password_complexity' });
}

/**
 * The one userPrincipalName rule (every surface that creates or renames a user, and seed files): alias@domain,
 * the alias in Entra's character set, the domain the tenant's (verified) domain. Null when valid.
 */
export function userPrincipalNameViolation(upn: string, tenantDomain: string): UserRuleViolation | null {
  const at = upn.lastIndexOf('@');
  if (at <= 0 || at === upn.length - 1 || upn.length > MAX_UPN) {
    return { kind: 'invalid_value', property: 'userPrincipalName' };
  }
  const alias = upn.slice(0, at);
  const domain = upn.slice(at + 1);
  if (alias.length > MAX_UPN_ALIAS || !UPN_ALIAS.test(alias) || alias.startsWith('.') || alias.endsWith('.') || alias.includes('..')) {
    return { kind: 'invalid_value', property: 'userPrincipalName' };
  }
  if (domain.toLowerCase() !== tenantDomain.toLowerCase()) return { kind: 'upn_domain' };
  return null;
}

function checkUserPrincipalName(upn: string, tenant: Tenant): void {
  const violation = userPrincipalNameViolation(upn, tenant.domain);
  if (violation) throw new UserRuleError(violation);
}

/** The mail rule: a simple address with a dotted domain, storable everywhere. */
export function isValidMail(mail: string): boolean {
  return SIMPLE_MAIL.test(mail) && !holdsNul(mail);
}

function checkMailNickname(nickname: string): void {
  if (nickname.length === 0 || nickname.length > 64 || !MAIL_NICKNAME.test(nickname) || MAIL_NICKNAME_FORBIDDEN.test(nickname)) {
    throw new UserRuleError({ kind: 'invalid_value', property: 'mailNickname' });
  }
}

/** Validates, hashes the password, inserts the user and records 'Add user'. */
export async function createUser(deps: UserManagementDeps, input: NewUser, ctx: ActionContext): Promise<User> {
  checkDisplayName(input.displayName);
  checkMailNickname(input.mailNickname);
  checkUserPrincipalName(input.userPrincipalName, deps.tenant);
  checkPassword(input.password);
  if (input.mail !== undefined && input.mail !== null && !isValidMail(input.mail)) {
    throw new UserRuleError({ kind: 'invalid_value', property: 'mail' });
  }
  const now = deps.clock.now();
  const user: User = {
    id: input.id ?? newGuid(),
    tenantId: deps.tenant.id,
    userPrincipalName: input.userPrincipalName,
    displayName: input.displayName.trim(),
    // Entra leaves mail null until a mailbox exists; a caller may set it explicitly.
    mail: input.mail ?? null,
    passwordHash: await (deps.hashSecret ?? hashSecret)(input.password),
    accountEnabled: input.accountEnabled,
    revocationEpoch: 0,
    signInSessionsValidFrom: null,
    refreshTokensValidFrom: null,
    roleTemplateIds: input.roleTemplateIds ?? [],
    createdAt: now,
  };
  const record = userManagementRecord({
    tenantId: deps.tenant.id,
    at: now,
    activity: ACTIVITY.addUser,
    operationType: 'Add',
    actor: ctx.actor,
    correlationId: ctx.correlationId,
    target: userTarget(user, [
      { displayName: 'DisplayName', oldValue: null, newValue: user.displayName },
      { displayName: 'AccountEnabled', oldValue: null, newValue: String(user.accountEnabled) },
    ]),
  });
  try {
    await deps.store.users.insert(user, [record]);
  } catch (e) {
    if (e instanceof ConflictError) throw new UserRuleError({ kind: 'duplicate_upn' });
    throw e;
  }
  return user;
}

/**
 * Applies the changes that differ from `target` in ONE store.users.update call, so the change,
 * the epoch bump (disable, password reset) and the audit records commit together (I1, I3).
 * Returns the updated user, or null if it was deleted meanwhile.
 */
export async function updateUser(deps: UserManagementDeps, target: User, changes: UserChanges, ctx: ActionContext): Promise<User | null> {
  if (changes.displayName !== undefined) checkDisplayName(changes.displayName);
  if (changes.password !== undefined) checkPassword(changes.password);
  if (changes.userPrincipalName !== undefined) checkUserPrincipalName(changes.userPrincipalName, deps.tenant);

  const now = deps.clock.now();
  const patch: UserPatch = {};
  const audit: AuditRecord[] = [];
  let revoke = false;
  const record = (activity: string, modified: AuditTarget['modifiedProperties']): AuditRecord =>
    userManagementRecord({
      tenantId: target.tenantId,
      at: now,
      activity,
      operationType: 'Update',
      actor: ctx.actor,
      correlationId: ctx.correlationId,
      target: userTarget(target, modified),
    });

  // One 'Update user' record for the plain property changes, as Entra logs one per update.
  const updated: AuditTarget['modifiedProperties'] = [];
  if (changes.userPrincipalName !== undefined && changes.userPrincipalName !== target.userPrincipalName) {
    patch.userPrincipalName = changes.userPrincipalName;
    updated.push({ displayName: 'UserPrincipalName', oldValue: target.userPrincipalName, newValue: changes.userPrincipalName });
  }
  const displayName = changes.displayName?.trim();
  if (displayName !== undefined && displayName !== target.displayName) {
    patch.displayName = displayName;
    updated.push({ displayName: 'DisplayName', oldValue: target.displayName, newValue: displayName });
  }
  const roles = changes.roleTemplateIds;
  if (roles !== undefined && !sameSet(roles, target.roleTemplateIds)) {
    patch.roleTemplateIds = roles;
    updated.push({ displayName: 'Roles', oldValue: JSON.stringify(target.roleTemplateIds), newValue: JSON.stringify(roles) });
  }
  if (updated.length > 0) audit.push(record(ACTIVITY.updateUser, updated));
  if (changes.accountEnabled !== undefined && changes.accountEnabled !== target.accountEnabled) {
    patch.accountEnabled = changes.accountEnabled;
    const modified = [{ displayName: 'AccountEnabled', oldValue: String(target.accountEnabled), newValue: String(changes.accountEnabled) }];
    audit.push(record(changes.accountEnabled ? ACTIVITY.enableAccount : ACTIVITY.disableAccount, modified));
    // Disabling ends every session and refresh token at once (a CAE critical event, https://learn.microsoft.com/entra/identity/conditional-access/concept-continuous-access-evaluation);
    // enabling revives nothing that was issued before.
    if (!changes.accountEnabled) revoke = true;
  }
  if (changes.password !== undefined) {
    patch.passwordHash = await (deps.hashSecret ?? hashSecret)(changes.password);
    audit.push(record(ACTIVITY.resetPassword, []));
    revoke = true;
  }

  if (audit.length === 0) return target;
  // A password reset that also disables is reported as the disable (the stronger event).
  const eventType = patch.accountEnabled === false ? 'account-disabled' : 'password-reset';
  const update = deps.store.users.update(target.tenantId, target.id, patch, {
    ...(revoke
      ? {
          revokeAt: now,
          securityEvent: {
            type: eventType,
            occurredAt: now,
            initiatingEntity: ctx.initiatingEntity ?? (ctx.actor.user?.id === target.id ? 'user' : 'admin'),
            initiatedBy: ctx.actor,
            correlationId: ctx.correlationId,
          },
          // docs/receipts.md: what the disable or reset cut, captured in the same transaction.
          receipt: {
            kind: eventType === 'account-disabled' ? 'accountDisabled' : 'passwordReset',
            correlationId: ctx.correlationId,
            initiatedBy: ctx.actor,
          },
        }
      : {}),
    audit,
  });
  try {
    const result = await update;
    if (result && revoke) deps.metrics?.revoked(eventType === 'account-disabled' ? 'accountDisabled' : 'passwordReset');
    return result;
  } catch (e) {
    // A rename onto another user's userPrincipalName (unique, case-insensitive, in the store).
    if (e instanceof ConflictError && patch.userPrincipalName !== undefined) throw new UserRuleError({ kind: 'duplicate_upn' });
    throw e;
  }
}

/**
 * A user's own password change (Graph user: changePassword), after the caller proved the current
 * password (identity/password-change.ts). Unlike an administrator's reset it revokes nothing, as
 * in Entra: the user keeps the sessions they chose to keep (My Account's "This wasn't me" has
 * already revoked everything before it leads here, docs/console.md). Null if the user is gone.
 */
export async function changeOwnPassword(
  deps: UserManagementDeps,
  target: User,
  newPassword: string,
  ctx: ActionContext,
): Promise<User | null> {
  checkPassword(newPassword);
  const passwordHash = await (deps.hashSecret ?? hashSecret)(newPassword);
  const record = userManagementRecord({
    tenantId: target.tenantId,
    at: deps.clock.now(),
    activity: ACTIVITY.changePassword,
    operationType: 'Update',
    actor: ctx.actor,
    correlationId: ctx.correlationId,
    target: userTarget(target),
  });
  return deps.store.users.update(target.tenantId, target.id, { passwordHash }, { audit: [record] });
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  return sa.size === new Set(b).size && b.every((x) => sa.has(x));
}

/** Deletes the user (and everything issued to it) with its 'Delete user' record; false if already gone. */
export async function deleteUser(deps: UserManagementDeps, target: User, ctx: ActionContext): Promise<boolean> {
  const now = deps.clock.now();
  const record = userManagementRecord({
    tenantId: target.tenantId,
    at: now,
    activity: ACTIVITY.deleteUser,
    operationType: 'Delete',
    actor: ctx.actor,
    correlationId: ctx.correlationId,
    target: userTarget(target),
  });
  return deps.store.users.delete(
    target.tenantId,
    target.id,
    [record],
    { type: 'user-deleted', occurredAt: now, initiatingEntity: 'admin', initiatedBy: ctx.actor, correlationId: ctx.correlationId },
    // docs/receipts.md: a deletion cuts every live session and grant of the user; the receipt says which.
    { draft: { kind: 'userDeleted', correlationId: ctx.correlationId, initiatedBy: ctx.actor }, at: now },
  );
}
