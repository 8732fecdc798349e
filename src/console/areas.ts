/** The console's two areas: where they live, what they ask for, which cookie holds their session. */
export type Area = 'admin' | 'account';

export interface AreaInfo {
  path: string;
  title: string;
  cookie: string;
  /** Requested at /authorize: least privilege per area. */
  scopes: string;
}

export const AREAS: Readonly<Record<Area, AreaInfo>> = {
  account: {
    path: '/myaccount',
    title: 'My Account',
    cookie: 'portcullis_console_account',
    scopes: 'openid profile offline_access User.Read User.ReadWrite',
  },
  admin: {
    path: '/admin',
    title: 'Admin console',
    cookie: 'portcullis_console_admin',
    scopes:
      'openid profile offline_access User.ReadWrite.All User.RevokeSessions.All User-PasswordProfile.ReadWrite.All Directory.Read.All AuditLog.Read.All Application.ReadWrite.All',
  },
};
