import { damageRequest } from '../lib/http-input.js';
import type { Rng } from '../lib/rng.js';
import type { FuzzContext, HttpTarget } from '../lib/target.js';
import { damageText, jsonValue, mutateJson, nastyString, randomString } from '../lib/values.js';
import { graphRequest } from './graph.js';

/**
 * Inner URLs that try to leave the batch's version (src/graph/batch-containment.ts): dot
 * segments in their encoded, backslash, tab and %2F spellings, towards another version, the
 * identity endpoints and the web pages.
 */
function escapeUrl(rng: Rng, ctx: FuzzContext): string {
  const dots = rng.pick(['..', '%2e%2e', '.%2E', '%2E.', '..\\', '.\t.', '.\n.']);
  const sep = rng.pick(['/', '/', '%2F', '%2f', '\\', '%5C']);
  const where = rng.pick([
    'beta/me',
    'v1.0/me',
    `${ctx.tenantId}/oauth2/v2.0/token`,
    `${ctx.tenantId}/v2.0/.well-known/openid-configuration`,
    'devicelogin',
    'common/oauth2/v2.0/authorize',
    'v1.0/$batch',
  ]);
  const before = rng.pick(['/', '', '/me/', 'users/x/', './']);
  return `${before}${`${dots}${sep}`.repeat(rng.int(1, 3))}${where.replaceAll('/', sep)}`;
}

/** `$batch` as an inner URL, however spelled: never runs (no nesting past the 20-request limit). */
const BATCH_SPELLINGS = [
  '/$batch',
  '/%24batch',
  '%24batch',
  '/$BATCH',
  '/$Batch/',
  'users/../$batch',
  '/%2524batch',
  './$batch',
  '/$batch?x=1',
];

/** Headers that must not choose anything for an inner request (innerHeaders). */
const FORWARDING = [
  'x-forwarded-for',
  'X-Forwarded-Host',
  'x-forwarded-proto',
  'forwarded',
  'x-real-ip',
  'host',
  'connection',
  'transfer-encoding',
  'content-length',
  'te',
  'upgrade',
];

/** Stands for an inner body nested too deep; replaced in the serialised text (JSON.stringify would overflow). */
const DEEP = '\u0000deep-body\u0000';

function deepJson(rng: Rng): string {
  const levels = rng.pick([60, 61, 64, 65, 1_000, 10_000]);
  const open = Array.from({ length: levels }, () => (rng.chance(0.5) ? '[' : '{"a":'));
  return (
    open.join('') +
    open
      .reverse()
      .map((o) => (o === '[' ? ']' : '}'))
      .join('')
  );
}

/** One item of a JSON batch (https://learn.microsoft.com/graph/json-batching), built from a generated Graph request. */
function item(rng: Rng, ctx: FuzzContext, id: string, ids: readonly string[], depth: number): Record<string, unknown> {
  const inner = graphRequest(rng, ctx);
  const url = rng.weighted<() => string>([
    [6, () => inner.path.replace(/^\/(v1\.0|beta|V1\.0|v2\.0)\//, rng.chance(0.8) ? '/' : '')],
    [1, () => `https://graph.microsoft.com${inner.path}`],
    [1, () => inner.path],
    [1, () => nastyString(rng)],
    [1, () => rng.pick(BATCH_SPELLINGS)],
    [1, () => escapeUrl(rng, ctx)],
  ])();
  const out: Record<string, unknown> = { id, method: inner.method, url };
  const headers: Record<string, unknown> = {};
  if (inner.headers['content-type']) headers['content-type'] = inner.headers['content-type'];
  if (rng.chance(0.2)) headers.authorization = `Bearer ${ctx.adminToken}`;
  if (rng.chance(0.1)) headers[randomString(rng, 8)] = nastyString(rng);
  if (rng.chance(0.1))
    headers[rng.pick(FORWARDING)] = rng.pick([
      '203.0.113.9',
      'for=203.0.113.9',
      'evil.test',
      'chunked',
      'keep-alive, x-forwarded-for',
      '0',
      nastyString(rng),
    ]);
  if (Object.keys(headers).length || rng.chance(0.2)) out.headers = headers;
  if (BATCH_SPELLINGS.includes(url) && depth < 2) out.body = batchBody(rng, ctx, depth + 1);
  else if (rng.chance(0.03)) {
    headers['content-type'] = 'application/json';
    out.headers = headers;
    out.body = DEEP;
  }
  // Usually the JSON value itself (as Graph expects), sometimes the damaged text as a string.
  else if (typeof inner.body === 'string') out.body = isJson(inner.body) && rng.chance(0.9) ? JSON.parse(inner.body) : inner.body;
  if (ids.length && rng.chance(0.4)) {
    out.dependsOn = rng.weighted<() => unknown>([
      [6, () => Array.from({ length: rng.int(1, 3) }, () => rng.pick(ids))],
      [1, () => [id]],
      [1, () => [randomString(rng, 4)]],
      [1, () => jsonValue(rng, 1)],
    ])();
  }
  return out;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** {requests: [...]}: 1–25 items (the limit is 20), ids sometimes repeated, dependsOn sometimes cyclic. */
function batchBody(rng: Rng, ctx: FuzzContext, depth = 0): unknown {
  const count = rng.weighted<() => number>([
    [8, () => rng.int(1, 5)],
    [2, () => rng.int(6, 20)],
    [1, () => rng.int(21, 25)],
    [0.5, () => 0],
  ])();
  const ids: string[] = [];
  const requests: unknown[] = [];
  for (let i = 0; i < count; i++) {
    const id = rng.chance(0.9) ? String(i + 1) : rng.pick(['1', 'A', 'a', '', nastyString(rng)]);
    // Usually depends on earlier items only; a later id or itself makes a cycle.
    requests.push(item(rng, ctx, id, rng.chance(0.9) ? ids : [...ids, id, String(i + 2)], depth));
    ids.push(id);
  }
  return { requests };
}

export const batchTarget: HttpTarget = {
  name: 'Graph $batch',
  generate(rng, ctx) {
    let body: unknown = batchBody(rng, ctx);
    for (
      let i = rng.weighted([
        [5, 0],
        [3, 1],
        [1, 3],
      ] as const);
      i > 0;
      i--
    )
      body = mutateJson(rng, body);
    let text = JSON.stringify(body);
    const deep = JSON.stringify(DEEP);
    while (text.includes(deep)) text = text.replace(deep, deepJson(rng));
    if (rng.chance(0.08)) text = damageText(rng, text);
    const req = {
      method: 'POST',
      path: rng.weighted<string>([
        [8, '/v1.0/$batch'],
        [3, '/beta/$batch'],
        [1, '/v1.0/%24batch'],
        [1, '/v1.0/$BATCH'],
      ]),
      headers: {
        authorization: `Bearer ${rng.chance(0.6) ? ctx.appToken : ctx.adminToken}`,
        'content-type': rng.chance(0.95) ? 'application/json' : 'text/plain',
      },
      body: text,
    };
    return rng.chance(0.05) ? damageRequest(rng, req) : req;
  },
};
