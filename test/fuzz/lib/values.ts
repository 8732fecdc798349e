import type { Rng } from './rng.js';

/**
 * Values that tend to break parsers: empty and blank strings, prototype keys, numbers JSON and
 * JavaScript disagree on, broken percent-encoding, lone surrogates, control characters, SQL and
 * path syntax, and very long strings.
 */
const NASTY = [
  '',
  ' ',
  '\t\n',
  '0',
  '-1',
  '1e309',
  'NaN',
  'Infinity',
  'null',
  'true',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '%',
  '%%',
  '%zz',
  '%00',
  '%c0%80',
  '%ff%fe',
  '%u0041',
  '\u0000',
  '\u0001\u001f\u007f',
  '\ud800',
  '\udfff\ud800',
  '\ufeff',
  '\u202e',
  '😀',
  'Ω≈ç√∫',
  "' OR '1'='1",
  "'; DROP TABLE users; --",
  '"',
  "''",
  '\\',
  '../../../etc/passwd',
  '..%2f..%2f',
  '/',
  '//',
  '?',
  '#',
  '&',
  '=',
  '+',
  ';',
  ',',
  '*',
  '$',
  '@',
  '<script>alert(1)</script>',
  '${jndi:ldap://x}',
  '{{7*7}}',
  'a'.repeat(257),
  'x'.repeat(4096),
];

const POISON = ['\u0000', '\ud800', '\udc00', '\u0085', '\u2028', '\r\n', '\u001b', '\ufffe', "'", '%00'];

const ALPHABETS = {
  alnum: 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
  token: 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~',
  punct: '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~ ',
};

export function randomString(rng: Rng, maxLength = 40): string {
  const length = rng.int(0, maxLength);
  const kind = rng.int(0, 4);
  if (kind === 0) {
    // Any code unit, lone surrogates included.
    let s = '';
    for (let i = 0; i < length; i++) s += String.fromCharCode(rng.int(0, 0xffff));
    return s;
  }
  if (kind === 1) {
    let s = '';
    for (let i = 0; i < length; i++) s += String.fromCodePoint(rng.chance(0.8) ? rng.int(0x20, 0x7e) : rng.int(0x80, 0x10ffff));
    return s;
  }
  const alphabet = kind === 2 ? ALPHABETS.alnum : kind === 3 ? ALPHABETS.token : ALPHABETS.alnum + ALPHABETS.punct;
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet[rng.int(0, alphabet.length - 1)];
  return s;
}

/** Mostly short strings; sometimes a nasty one; rarely a huge one (up to ~1.2 MB, over the body limit). */
export function nastyString(rng: Rng): string {
  return rng.weighted<() => string>([
    [5, () => rng.pick(NASTY)],
    [5, () => randomString(rng)],
    [1, () => rng.pick(NASTY) + randomString(rng, 8) + rng.pick(NASTY)],
    // One character a layer below may not hold (PostgreSQL text cannot hold NUL), inside a plain value.
    [1, () => randomString(rng, 8) + rng.pick(POISON) + randomString(rng, 8)],
    [0.3, () => 'A'.repeat(rng.pick([1024, 8192, 65_536, 300_000]))],
    [0.02, () => 'B'.repeat(1_200_000)],
  ])();
}

export function guid(rng: Rng): string {
  const hex = () => rng.int(0, 0xffff).toString(16).padStart(4, '0');
  return `${hex()}${hex()}-${hex()}-4${hex().slice(1)}-8${hex().slice(1)}-${hex()}${hex()}${hex()}`;
}

/** A JSON value of bounded depth and size, with the nasty strings and numbers in it. */
export function jsonValue(rng: Rng, depth = 3): unknown {
  const leaf = (): unknown =>
    rng.weighted<() => unknown>([
      [3, () => nastyString(rng)],
      [1, () => rng.pick([0, -1, 1.5, 1e308, -0, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER])],
      [1, () => rng.chance(0.5)],
      [1, () => null],
    ])();
  if (depth <= 0 || rng.chance(0.5)) return leaf();
  if (rng.chance(0.5)) return Array.from({ length: rng.int(0, 4) }, () => jsonValue(rng, depth - 1));
  const o: Record<string, unknown> = {};
  for (let i = rng.int(0, 4); i > 0; i--)
    o[rng.chance(0.3) ? rng.pick(['__proto__', 'constructor', 'id', 'toString']) : randomString(rng, 10)] = jsonValue(rng, depth - 1);
  return o;
}

/** Applies one random change to a JSON value (replace, delete, add, retype, nest) and returns the result. */
export function mutateJson(rng: Rng, value: unknown, depth = 0): unknown {
  if (depth > 6 || rng.chance(0.15)) return jsonValue(rng, 2);
  if (Array.isArray(value)) {
    if (value.length === 0 || rng.chance(0.2)) return [...value, jsonValue(rng, 2)];
    const copy = [...value];
    const i = rng.int(0, copy.length - 1);
    if (rng.chance(0.2)) copy.splice(i, 1);
    else if (rng.chance(0.2)) copy.push(copy[i]);
    else copy[i] = mutateJson(rng, copy[i], depth + 1);
    return copy;
  }
  if (value !== null && typeof value === 'object') {
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    const keys = Object.keys(copy);
    if (keys.length === 0 || rng.chance(0.15)) {
      copy[rng.chance(0.5) ? randomString(rng, 12) : rng.pick(keys.length ? keys : ['x']) + rng.pick(['', 'X', ' '])] = jsonValue(rng, 2);
      return copy;
    }
    const k = rng.pick(keys);
    if (rng.chance(0.2)) delete copy[k];
    else copy[k] = mutateJson(rng, copy[k], depth + 1);
    return copy;
  }
  return jsonValue(rng, 1);
}

/** Text-level damage to a serialised input: truncate, splice random bytes, duplicate a slice. */
export function damageText(rng: Rng, text: string): string {
  if (text.length === 0) return randomString(rng);
  const at = rng.int(0, text.length);
  return rng.weighted<() => string>([
    [2, () => text.slice(0, at)],
    [2, () => text.slice(0, at) + randomString(rng, 6) + text.slice(at)],
    [1, () => text.slice(0, at) + text.slice(rng.int(at, text.length))],
    [1, () => text + text.slice(at)],
    [1, () => text.slice(0, at) + rng.pick(['"', '{', '}', '[', ']', ',', ':', '\\', '\u0000', '%', '&', '=']) + text.slice(at)],
  ])();
}

/** encodeURIComponent that never throws: lone surrogates become U+FFFD, as a browser sends them. */
export function pct(s: string): string {
  return encodeURIComponent(s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'));
}
