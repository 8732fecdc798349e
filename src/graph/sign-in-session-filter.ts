/**
 * `$filter` of the signInSessions collection (docs/graph-api.md): clauses joined by `and`, each
 * one of `appId eq '<id>'`, `isLive eq true|false`, `createdDateTime ge|gt|le|lt <date-time>`
 * (OData ABNF: an unquoted DateTimeOffset literal). Anything else is refused as unsupported,
 * never ignored, so a client never silently gets unfiltered rows.
 */
import { RequestUnsupportedQuery } from './errors.js';

export interface SignInSessionFilter {
  appId?: string;
  isLive?: boolean;
  /** createdDateTime >= this (ms). */
  createdFrom?: number;
  /** createdDateTime < this (ms). */
  createdBefore?: number;
}

const APP_ID = /^appId\s+eq\s+'((?:[^']|'')*)'$/i;
const IS_LIVE = /^isLive\s+eq\s+(true|false)$/i;
const CREATED = /^createdDateTime\s+(ge|gt|le|lt)\s+(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(?:Z|[+-]\d{2}:\d{2}))$/i;

const unsupported = (): RequestUnsupportedQuery => new RequestUnsupportedQuery('Unsupported query.');

export function parseSignInSessionFilter(raw: string): SignInSessionFilter {
  const out: SignInSessionFilter = {};
  // Quoted values may hold " and "; split only outside quotes.
  for (const clause of splitAnd(raw)) {
    const app = APP_ID.exec(clause);
    const live = IS_LIVE.exec(clause);
    const created = CREATED.exec(clause);
    if (app && out.appId === undefined) out.appId = app[1]!.replace(/''/g, "'");
    else if (live && out.isLive === undefined) out.isLive = live[1]!.toLowerCase() === 'true';
    else if (created) {
      const at = Date.parse(created[2]!);
      if (!Number.isFinite(at)) throw unsupported();
      const op = created[1]!.toLowerCase();
      // Millisecond times: gt t is ge t+1, le t is lt t+1.
      if (op === 'ge' || op === 'gt') {
        if (out.createdFrom !== undefined) throw unsupported();
        out.createdFrom = op === 'ge' ? at : at + 1;
      } else {
        if (out.createdBefore !== undefined) throw unsupported();
        out.createdBefore = op === 'lt' ? at : at + 1;
      }
    } else throw unsupported();
  }
  return out;
}

function splitAnd(raw: string): string[] {
  const clauses: string[] = [];
  let current = '';
  let quoted = false;
  const words = raw.trim().split(/(\s+)/);
  for (const word of words) {
    if (!quoted && /^and$/i.test(word)) {
      clauses.push(current.trim());
      current = '';
      continue;
    }
    for (const ch of word) if (ch === "'") quoted = !quoted;
    current += word;
  }
  clauses.push(current.trim());
  if (clauses.some((c) => c === '')) throw unsupported();
  return clauses;
}
