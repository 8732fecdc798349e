/**
 * The app under test: a small MSAL Node public client (a CLI or desktop app) that signs a user in
 * with the authorization-code flow and PKCE, then gets Graph tokens silently. Nothing in it knows
 * about tests: it is configured with an authority, as it would be with Entra.
 */
import { CryptoProvider, LogLevel, PublicClientApplication, type AccountInfo } from '@azure/msal-node';

export interface MsalAppSettings {
  /** e.g. https://login.microsoftonline.com/<tenant>, or Portcullis's `authority`. */
  authority: string;
  /** Host of a non-Microsoft authority (MSAL's knownAuthorities). */
  knownAuthority: string;
  clientId: string;
  redirectUri: string;
  /** Extra CA certificate (PEM) to trust, for a self-signed HTTPS authority. */
  caCertificate?: string | null;
}

const SCOPES = ['User.Read'];

export class MsalApp {
  private readonly pca: PublicClientApplication;
  private account: AccountInfo | null = null;

  constructor(private readonly settings: MsalAppSettings) {
    this.pca = new PublicClientApplication({
      auth: { clientId: settings.clientId, authority: settings.authority, knownAuthorities: [settings.knownAuthority] },
      system: {
        ...(settings.caCertificate ? { customAgentOptions: { ca: settings.caCertificate } } : {}),
        loggerOptions: { logLevel: LogLevel.Error, piiLoggingEnabled: false, loggerCallback: () => undefined },
      },
    });
  }

  /**
   * Starts an interactive sign-in: the URL to open in the user's browser, and the step that
   * finishes it with the redirect the browser comes back with.
   */
  async beginSignIn(): Promise<{ url: string; finish(redirect: URL): Promise<AccountInfo> }> {
    const crypto = new CryptoProvider();
    const { verifier, challenge } = await crypto.generatePkceCodes();
    const state = crypto.createNewGuid();
    const url = await this.pca.getAuthCodeUrl({
      scopes: SCOPES,
      redirectUri: this.settings.redirectUri,
      codeChallenge: challenge,
      codeChallengeMethod: 'S256',
      state,
    });
    return {
      url,
      finish: async (redirect) => {
        if (redirect.searchParams.get('state') !== state) throw new Error('state mismatch');
        const code = redirect.searchParams.get('code');
        if (!code)
          throw new Error(`sign-in failed: ${redirect.searchParams.get('error_description') ?? redirect.searchParams.get('error')}`);
        const result = await this.pca.acquireTokenByCode({
          code,
          scopes: SCOPES,
          redirectUri: this.settings.redirectUri,
          codeVerifier: verifier,
        });
        this.account = result.account;
        if (!this.account) throw new Error('no account in the token response');
        return this.account;
      },
    };
  }

  /** A Graph access token from the cache or, when `forceRefresh` or expired, the refresh token. */
  async accessToken(o: { forceRefresh?: boolean } = {}): Promise<string> {
    if (!this.account) throw new Error('not signed in');
    const result = await this.pca.acquireTokenSilent({ account: this.account, scopes: SCOPES, forceRefresh: o.forceRefresh ?? false });
    return result.accessToken;
  }
}
