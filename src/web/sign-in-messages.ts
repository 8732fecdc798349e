/** What the sign-in pages say when a password is refused (Entra's wording where it has one). */
export const SIGN_IN_REFUSED = {
  bad_credentials: 'Your account or password is incorrect.',
  disabled: 'Your account has been locked. Contact your support person to unlock it, then try again.',
  /** Smart lockout, AADSTS50053: refused even with the right password until the lock lifts. */
  locked:
    'Your account is temporarily locked to prevent unauthorized use. Try again later, and if you still have trouble, contact your admin.',
  /** The address signing in is locked (too many failures from it, whichever accounts). */
  source_locked: 'Sign-in was blocked because there were too many failed sign-in attempts from your network. Try again later.',
} as const;
