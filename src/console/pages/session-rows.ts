/** How the console shows a signInSessions entry (docs/graph-api.md, "Sign-in sessions"). */
import { esc } from '../../web/html.js';
import { text, when } from '../layout.js';

export interface SignInSession {
  id: string;
  kind: 'browserSession' | 'refreshTokenGrant';
  appId: string | null;
  appDisplayName: string | null;
  sessionId: string | null;
  createdDateTime: string;
  lastActivityDateTime: string;
  ipAddress: string | null;
  deviceDetail: { displayName: string | null };
  signInMethod: string | null;
  isLive: boolean;
  /** A grant's consented scopes (Portcullis extension); null for a browser session. */
  scopes: string[] | null;
}

export interface Collection<T> {
  value: T[];
  '@odata.nextLink'?: string;
}

export const appName = (s: Pick<SignInSession, 'appId' | 'appDisplayName'>): string => text(s.appDisplayName ?? s.appId);
export const device = (s: SignInSession): string => text(s.deviceDetail?.displayName);
export const liveTag = (live: boolean): string => (live ? '<span class="tag ok">active</span>' : '<span class="tag off">ended</span>');
export const hereTag = '<span class="tag here">This browser</span>';

const METHODS: Record<string, string> = {
  password: 'password',
  sso: 'single sign-on',
  deviceCode: 'device code',
  passwordGrant: 'password (app)',
  onBehalfOf: 'on behalf of an API',
};
export const method = (m: string | null): string => esc(m ? (METHODS[m] ?? m) : '—');

export const cells = (s: SignInSession): string[] => [
  device(s),
  appName(s),
  text(s.ipAddress),
  when(s.createdDateTime),
  when(s.lastActivityDateTime),
];
