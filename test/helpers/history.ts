/**
 * The I1 history checker shared by every concurrent revocation test (I1, docs/revocation-model.md): a refresh
 * that started after a revoke of its user had answered must be refused when the grant it
 * descends from was issued before that revoke started. Times are performance.now() values.
 */
export interface RevokeEvent {
  user: string;
  start: number;
  end: number;
}

export interface RefreshAttempt {
  user: string;
  /** When the sign-in that started this refresh chain had answered (the grant's issue time). */
  originDone: number;
  start: number;
  end: number;
  accepted: boolean;
}

export function i1Violations<A extends RefreshAttempt>(attempts: readonly A[], revokes: readonly RevokeEvent[]): A[] {
  return attempts.filter((a) => a.accepted && revokes.some((r) => r.user === a.user && a.originDone < r.start && r.end < a.start));
}
