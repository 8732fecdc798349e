/**
 * A failure the CLI reports as one line, `portcullis: <message>`, with a documented exit code
 * (docs/cli.md). Scripts branch on the code; people read the line.
 */
export const EXIT = {
  OK: 0,
  /** Any other runtime failure (server error, throttled after every retry, …). */
  FAILURE: 1,
  /** Bad usage or configuration. */
  USAGE: 2,
  /** Not signed in, or the CLI's own sign-in expired or was revoked: run `portcullis login`. */
  SIGNED_OUT: 3,
  /** The server refused: the account or app lacks a permission scope or directory role. */
  FORBIDDEN: 4,
  /** The user (or other object) does not exist. */
  NOT_FOUND: 5,
  /** No answer from the server (connection refused, name not resolved, timeout). */
  UNREACHABLE: 6,
  /** The server's TLS certificate is not trusted by Node. */
  TLS_UNTRUSTED: 7,
  /** Bulk: at least one user failed (the others are done; see the per-user results). */
  PARTIAL: 8,
  /** Sign-in did not complete: declined, code expired, bad client id or secret. */
  LOGIN_FAILED: 9,
  /** Stopped by Ctrl-C (128 + SIGINT). */
  INTERRUPTED: 130,
} as const;

export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** The one sentence shown whenever the CLI's own session is gone (no stack trace: docs/cli.md, "Exit codes and errors"). */
export const SIGNED_OUT_SENTENCE =
  "Your Portcullis sign-in is no longer valid (it was revoked or has expired); run 'portcullis login' to sign in again.";
