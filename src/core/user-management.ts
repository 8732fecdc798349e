/**
 * Creating, changing and deleting users, with the audit record of each change committed in the
 * same store call as the change (reference/entra-graph-facts.md §7.2). Surfaces (Graph, CLI,
 * console) validate the shape of their input; the rules of the directory live here and are
 * reported as UserRuleViolation, which each surface turns into its own wire error.
 * Disabling an account and resetting a password revoke every credential of the user, exactly
 * like revokeSignInSessions (DESIGN.md: "a password reset revokes like a revoke").
 */
import type { Clock } from '../clock.js';
import { hashSecret } from '../crypto/passwords.js';
import { newGuid } from '../crypto/random.js';
import { ConflictError, type Store, type UserPatch } from '../store/store.js';
import { ACTIVITY, userManagementRecord, userTarget } from './audit.js';
import type { AuditIdentity, AuditRecord, AuditTarget, Tenant, User } from './model.js';

export interface UserManagementDeps {
  store: Store;
  clock: Clock;
  tenant: Tenant;
}

/** Who acts, and the id that ties the audit record to the request (client-request-id). */
export interface ActionContext {
  actor: AuditIdentity;
  correlationId: string;
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
}

export interface UserChanges {
  displayName?: string;
  userPrincipalName?: string;
  accountEnabled?: boolean;
  password?: string;
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

function checkUserPrincipalName(upn: string, tenant: Tenant): void {
  const at = upn.lastIndexOf('@');
  if (at <= 0 || at === upn.length - 1 || upn.length > MAX_UPN) {
    throw new UserRuleError({ kind: 'invalid_value', property: 'userPrincipalName' });
  }
  const alias = upn.slice(0, at);
  const domain = upn.slice(at + 1);
  if (
    alias.length > MAX_UPN_ALIAS ||
    !UPN_ALIAS.test(alias) ||
    alias.startsWith('.') ||
    alias.endsWith('.') ||
    alias.includes('..')
  ) {
    throw new UserRuleError({ kind: 'invalid_value', property: 'userPrincipalName' });
  }
  if (domain.toLowerCase() !== tenant.domain.toLowerCase()) throw new UserRuleError({ kind: 'upn_domain' });
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
  if (input.mail !== undefined && input.mail !== null && (!SIMPLE_MAIL.test(input.mail) || holdsNul(input.mail))) {
    throw new UserRuleError({ kind: 'invalid_value', property: 'mail' });
  }
  const now = deps.clock.now();
  const user: User = {
    id: newGuid(),
    tenantId: deps.tenant.id,
    userPrincipalName: input.userPrincipalName,
    displayName: input.displayName.trim(),
    // Entra leaves mail null until a mailbox exists; a caller may set it explicitly.
    mail: input.mail ?? null,
    passwordHash: await hashSecret(input.password),
    accountEnabled: input.accountEnabled,
    revocationEpoch: 0,
    signInSessionsValidFrom: null,
    refreshTokensValidFrom: null,
    roleTemplateIds: [],
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
export async function updateUser(
  deps: UserManagementDeps,
  target: User,
  changes: UserChanges,
  ctx: ActionContext,
): Promise<User | null> {
  if (changes.displayName !== undefined) checkDisplayName(changes.displayName);
  if (changes.userPrincipalName !== undefined) checkUserPrincipalName(changes.userPrincipalName, deps.tenant);
  if (changes.password !== undefined) checkPassword(changes.password);

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

  const displayName = changes.displayName?.trim();
  if (displayName !== undefined && displayName !== target.displayName) {
    patch.displayName = displayName;
    audit.push(record(ACTIVITY.updateUser, [{ displayName: 'DisplayName', oldValue: target.displayName, newValue: displayName }]));
  }
  const upn = changes.userPrincipalName;
  if (upn !== undefined && upn !== target.userPrincipalName) {
    patch.userPrincipalName = upn;
    audit.push(record(ACTIVITY.updateUser, [{ displayName: 'UserPrincipalName', oldValue: target.userPrincipalName, newValue: upn }]));
  }
  if (changes.accountEnabled !== undefined && changes.accountEnabled !== target.accountEnabled) {
    patch.accountEnabled = changes.accountEnabled;
    const modified = [{ displayName: 'AccountEnabled', oldValue: String(target.accountEnabled), newValue: String(changes.accountEnabled) }];
    audit.push(record(changes.accountEnabled ? ACTIVITY.enableAccount : ACTIVITY.disableAccount, modified));
    // Disabling ends every session and refresh token at once (CAE critical event, §6);
    // enabling revives nothing that was issued before.
    if (!changes.accountEnabled) revoke = true;
  }
  if (changes.password !== undefined) {
    patch.passwordHash = await hashSecret(changes.password);
    audit.push(record(ACTIVITY.resetPassword, []));
    revoke = true;
  }

  if (audit.length === 0) return target;
  // A password reset that also disables is reported as the disable (the stronger event).
  const eventType = patch.accountEnabled === false ? 'account-disabled' : 'password-reset';
  try {
    return await deps.store.users.update(target.tenantId, target.id, patch, {
      ...(revoke
        ? {
            revokeAt: now,
            securityEvent: {
              type: eventType,
              occurredAt: now,
              initiatingEntity: ctx.actor.user?.id === target.id ? 'user' : 'admin',
              initiatedBy: ctx.actor,
              correlationId: ctx.correlationId,
            },
          }
        : {}),
      audit,
    });
  } catch (e) {
    if (e instanceof ConflictError) throw new UserRuleError({ kind: 'duplicate_upn' });
    throw e;
  }
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
  return deps.store.users.delete(target.tenantId, target.id, [record], {
    type: 'user-deleted',
    occurredAt: now,
    initiatingEntity: 'admin',
    initiatedBy: ctx.actor,
    correlationId: ctx.correlationId,
  });
}
