import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FuzzRequest } from './http-input.js';
import type { FuzzContext } from './target.js';

/**
 * test/fuzz/corpus/: every input that ever made a target fail, one JSON file each, replayed
 * before every fuzz run. New failures are written here by the run that finds them; commit them
 * with the fix.
 */
export const CORPUS_DIR = new URL('../corpus/', import.meta.url).pathname;

export interface HttpCorpusEntry {
  kind: 'http';
  target: string;
  /** Why it was kept: the failure it caused before the fix. */
  reason: string;
  request: { method: string; path: string; headers: Record<string, string>; body?: string; bodyBase64?: string; rawBase64?: string };
}

export interface TextCorpusEntry {
  kind: 'seed' | 'stdin' | 'odata';
  reason: string;
  input: string;
}

export type CorpusEntry = HttpCorpusEntry | TextCorpusEntry;

/**
 * The credentials and ids of one run's server, by placeholder. A stored input names them as
 * {{appToken}}, {{userId:3}}, ... so it replays against the next server (new keys, new ids), and
 * the corpus holds no token.
 */
function placeholders(ctx: FuzzContext): [string, string][] {
  return [
    ['{{appToken}}', ctx.appToken],
    ['{{adminToken}}', ctx.adminToken],
    ['{{refreshToken}}', ctx.refreshToken],
    ['{{deviceCode}}', ctx.deviceCode],
    ['{{ssfToken}}', ctx.ssf.token],
    ['{{ssfOtherToken}}', ctx.ssf.otherToken],
    ['{{ssfPollStream}}', ctx.ssf.pollStreamId],
    ['{{ssfPushStream}}', ctx.ssf.pushStreamId],
    ['{{ssfSpareStream}}', ctx.ssf.spareStreamId],
    ['{{ssfOtherStream}}', ctx.ssf.otherStreamId],
    ...ctx.targetUsers.map((u, i): [string, string] => [`{{userId:${i}}}`, u.id]),
    ['{{userCode}}', ctx.userCode],
    ['{{browserCookie}}', ctx.browser.cookie],
    ['{{deviceCsrf}}', ctx.browser.deviceCsrf],
    ['{{signInCsrf}}', ctx.browser.signInCsrf],
  ];
}

function replaceAll(text: string, pairs: [string, string][], forward: boolean): string {
  return pairs.reduce((t, [name, value]) => (forward ? t.split(value).join(name) : t.split(name).join(value)), text);
}

/** A stored input as a request for this run's server. */
export function toWire(entry: HttpCorpusEntry, ctx: FuzzContext): FuzzRequest {
  const pairs = placeholders(ctx);
  const { method, path, headers, body, bodyBase64 } = entry.request;
  const out: FuzzRequest = {
    method,
    path: replaceAll(path, pairs, false),
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, replaceAll(v, pairs, false)])),
  };
  if (body !== undefined) out.body = replaceAll(body, pairs, false);
  else if (bodyBase64 !== undefined) out.body = Buffer.from(bodyBase64, 'base64');
  if (entry.request.rawBase64 !== undefined) out.raw = Buffer.from(entry.request.rawBase64, 'base64');
  return out;
}

/** A failing input as a corpus entry: text bodies as text with placeholders, binary ones as base64. */
export function httpEntry(target: string, reason: string, req: FuzzRequest, ctx: FuzzContext): HttpCorpusEntry {
  const pairs = placeholders(ctx);
  const request: HttpCorpusEntry['request'] = {
    method: req.method,
    path: replaceAll(req.path, pairs, true),
    headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, replaceAll(v, pairs, true)])),
  };
  if (typeof req.body === 'string') request.body = replaceAll(req.body, pairs, true);
  else if (req.body !== undefined) request.bodyBase64 = req.body.toString('base64');
  if (req.raw) request.rawBase64 = req.raw.toString('base64');
  // The reason names the failure, not the answer's request ids.
  return { kind: 'http', target, reason: reason.replace(/"innerError":\{[^}]*\}/, '"innerError":{}'), request };
}

/** Writes the entry under corpus/<kind>/ named by its content hash; returns the file path. */
export function saveToCorpus(entry: CorpusEntry): string {
  const dir = join(CORPUS_DIR, entry.kind);
  mkdirSync(dir, { recursive: true });
  const content = JSON.stringify(entry, null, 2);
  const name = createHash('sha256')
    .update(JSON.stringify(entry.kind === 'http' ? entry.request : entry.input))
    .digest('hex')
    .slice(0, 16);
  const file = join(dir, `${name}.json`);
  if (!existsSync(file)) writeFileSync(file, `${content}\n`);
  return file;
}

type EntryOf<K> = K extends 'http' ? HttpCorpusEntry : TextCorpusEntry;

export function loadCorpus<K extends CorpusEntry['kind']>(kind: K): { file: string; entry: EntryOf<K> }[] {
  const dir = join(CORPUS_DIR, kind);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ file: join(dir, f), entry: JSON.parse(readFileSync(join(dir, f), 'utf8')) as EntryOf<K> }));
}
