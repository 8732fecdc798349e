import type { Rng } from '../lib/rng.js';
import { damageText, guid, jsonValue, mutateJson, nastyString, randomString } from '../lib/values.js';

/** One user key as an operator would pipe it: an id, a UPN, padded, or junk. */
function key(rng: Rng): string {
  return rng.weighted<() => string>([
    [4, () => guid(rng)],
    [4, () => `${randomString(rng, 12) || 'u'}@contoso.test`],
    [1, () => `  ${guid(rng).toUpperCase()}\t`],
    [1, () => nastyString(rng)],
  ])();
}

function record(rng: Rng): unknown {
  const name = rng.pick(['id', 'userPrincipalName', 'userId', 'UserId', 'ObjectId', 'objectId', 'displayName', 'ID']);
  const o: Record<string, unknown> = { [name]: rng.chance(0.85) ? key(rng) : jsonValue(rng, 1) };
  if (rng.chance(0.3)) o.displayName = randomString(rng, 10);
  return rng.chance(0.2) ? mutateJson(rng, o) : o;
}

/**
 * Text on stdin for `portcullis revoke` and friends: plain lines, JSON lines, a JSON array, the
 * CSV an operator might paste (a header and comma-separated rows), comments, blank lines, CRLF,
 * a BOM — valid, mixed and damaged.
 */
export function stdinInput(rng: Rng): string {
  const eol = rng.pick(['\n', '\r\n', '\n\n', '\r']);
  const n = rng.int(0, 12);
  const text = rng.weighted<() => string>([
    [4, () => Array.from({ length: n }, () => (rng.chance(0.1) ? rng.pick(['# comment', '', '   ']) : key(rng))).join(eol)],
    [
      3,
      () =>
        Array.from({ length: n }, () => (rng.chance(0.1) ? rng.pick(['# c', '', '"x"', '""', '{']) : JSON.stringify(record(rng)))).join(
          eol,
        ),
    ],
    [2, () => JSON.stringify(Array.from({ length: n }, () => (rng.chance(0.5) ? key(rng) : record(rng))))],
    [1, () => ['id,userPrincipalName', ...Array.from({ length: n }, () => `${guid(rng)},${key(rng)}`)].join(eol)],
    [1, () => JSON.stringify(jsonValue(rng, 3)) ?? ''],
    [1, () => nastyString(rng)],
  ])();
  const prefixed = rng.chance(0.05) ? `\ufeff${text}` : text;
  return rng.chance(0.15) ? damageText(rng, prefixed) : prefixed;
}
