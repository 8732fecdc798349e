/** The page frame every console page shares: skip link, header with navigation and sign-out, main. */
import { esc, hidden } from '../web/html.js';
import { AREAS, type Area } from './areas.js';

const NAV: Record<Area, [string, string][]> = {
  account: [
    ['/myaccount', 'Sessions and devices'],
    ['/myaccount/activity', 'Recent activity'],
    ['/myaccount/apps', 'My apps'],
    ['/myaccount/change-password', 'Change password'],
  ],
  admin: [
    ['/admin/users', 'Users'],
    ['/admin/sign-ins', 'Sign-in log'],
    ['/admin/audit', 'Audit log'],
    ['/admin/apps', 'App registrations'],
  ],
};

export interface Frame {
  area: Area;
  title: string;
  /** Which nav entry is the current page. */
  current?: string;
  /** The signed-in user and the sign-out form's CSRF token; absent on pages before sign-in. */
  user?: { displayName: string; userPrincipalName: string; csrf: string };
}

export function layout(frame: Frame, body: string): string {
  const area = AREAS[frame.area];
  const nav = frame.user
    ? `<nav aria-label="${esc(area.title)}"><ul>${NAV[frame.area]
        .map(([href, label]) => `<li><a href="${href}"${href === frame.current ? ' aria-current="page"' : ''}>${esc(label)}</a></li>`)
        .join('')}</ul></nav>
<span class="who">${esc(frame.user.displayName)} (${esc(frame.user.userPrincipalName)})</span>
<form method="post" action="${area.path}/sign-out">${hidden('csrf', frame.user.csrf)}<button type="submit">Sign out</button></form>`
    : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(frame.title)} · ${esc(area.title)}</title><link rel="stylesheet" href="/console/console.css"></head>
<body><a class="skip" href="#main">Skip to content</a><header><a class="brand" href="${area.path}">Portcullis ${esc(area.title)}</a>${nav}</header>
<main id="main"><h1>${esc(frame.title)}</h1>${body}</main></body></html>`;
}

/** A POST button with the CSRF token; `disabledReason` renders it disabled with the reason beside it. */
export function actionForm(o: {
  action: string;
  csrf: string;
  label: string;
  fields?: Record<string, string>;
  style?: 'danger' | 'secondary';
  disabledReason?: string | null;
  id?: string;
}): string {
  const fields = Object.entries(o.fields ?? {})
    .map(([k, v]) => hidden(k, v))
    .join('');
  const cls = o.style ? ` class="${o.style}"` : '';
  const id = o.id ? ` id="${esc(o.id)}"` : '';
  if (o.disabledReason) {
    const rid = `why-${Math.abs(hash(o.action + o.label))}`;
    return `<div><button type="button"${cls}${id} disabled aria-describedby="${rid}">${esc(o.label)}</button><p class="reason" id="${rid}">${esc(o.disabledReason)}</p></div>`;
  }
  return `<form class="inline" method="post" action="${esc(o.action)}">${hidden('csrf', o.csrf)}${fields}<button type="submit"${cls}${id}>${esc(o.label)}</button></form>`;
}

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return h;
}

export function table(headers: string[], rows: string[][], caption: string): string {
  if (rows.length === 0) return `<p class="muted">None.</p>`;
  const head = headers.map((h) => `<th scope="col">${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('');
  return `<div class="table-wrap"><table><caption class="skip">${esc(caption)}</caption><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

export const when = (iso: unknown): string =>
  typeof iso === 'string' && iso ? esc(iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC')) : '—';
export const text = (v: unknown): string => (v === null || v === undefined || v === '' ? '—' : esc(String(v)));
