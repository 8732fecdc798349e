/** The session's one-time flash (a new password, a new client secret): shown on the next page, then dropped. */
import { esc } from '../web/html.js';
import type { ConsoleSession } from './session-store.js';

export function takeFlash(session: ConsoleSession): string {
  const flash = session.flash;
  if (!flash) return '';
  session.flash = undefined;
  const lines = flash.lines.map(([k, v]) => `<dt>${esc(k)}</dt><dd class="secret" id="secret">${esc(v)}</dd>`).join('');
  return `<div class="warning" role="alert"><h2>${esc(flash.title)}</h2><dl class="props">${lines}</dl><p>Shown only this once: copy it now.</p></div>`;
}
