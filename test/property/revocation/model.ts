/**
 * The simple model the property tests hold the server to (docs/revocation-model.md):
 * per user an epoch, whether the account is enabled and its password; per refresh chain and per
 * browser session the epoch it was issued at. A credential is live iff its epoch is the user's
 * epoch, the account is enabled and (for a chain) no replay has killed its family (I4).
 */
export const MODEL_USERS = ['alice', 'bob'] as const;
export type ModelUser = (typeof MODEL_USERS)[number];

export interface ModelAccount {
  epoch: number;
  enabled: boolean;
  password: string;
}

export interface ModelChain {
  user: ModelUser;
  epoch: number;
  /** False once a rotated token of this family was replayed (RFC 9700 §4.14.2). */
  familyAlive: boolean;
  /** How many rotated (consumed) tokens of this chain the real side holds for replays. */
  rotated: number;
  /** The browser session (index into Model.sessions) the chain's grant came from. */
  sessionIndex: number;
  /** The application of the grant. */
  appId: string;
  /** True once a targeted revocation cut its grant (docs/revocation-model.md, "Targeted revocation"). */
  cut: boolean;
}

export interface ModelSession {
  user: ModelUser;
  epoch: number;
  /** True once a targeted revocation ended it. */
  cut: boolean;
}

export interface Model {
  accounts: Record<ModelUser, ModelAccount>;
  chains: ModelChain[];
  sessions: ModelSession[];
  /** Passwords set so far, for the I5 scan. */
  passwordsSet: number;
}

export function initialModel(password: string): Model {
  const account = (): ModelAccount => ({ epoch: 0, enabled: true, password });
  return { accounts: { alice: account(), bob: account() }, chains: [], sessions: [], passwordsSet: 0 };
}

export function chainLive(m: Model, c: ModelChain): boolean {
  const a = m.accounts[c.user];
  return c.familyAlive && !c.cut && a.enabled && a.epoch === c.epoch;
}

export function sessionLive(m: Model, s: ModelSession): boolean {
  const a = m.accounts[s.user];
  return !s.cut && a.enabled && a.epoch === s.epoch;
}

/** revokeSignInSessions, invalidateAllRefreshTokens, a password reset and a disable all bump the epoch. */
export function bumpEpoch(m: Model, user: ModelUser): void {
  m.accounts[user].epoch += 1;
}

/** Picks one element by a generated index (commands are generated before the model exists). */
export function pick<T>(items: readonly T[], index: number): { item: T; at: number } | null {
  if (items.length === 0) return null;
  const at = index % items.length;
  return { item: items[at]!, at };
}
