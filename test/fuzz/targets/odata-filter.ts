import type { Rng } from '../lib/rng.js';

/**
 * $filter and $search texts for the /users query parser: mostly well-formed expressions over
 * Graph's user properties (so the rules and the SQL behind them are reached), then mutated —
 * characters dropped, duplicated or replaced, quotes and parentheses unbalanced, huge nesting.
 */
const PROPERTIES = [
  'id',
  'userPrincipalName',
  'displayName',
  'mail',
  'givenName',
  'surname',
  'accountEnabled',
  'createdDateTime',
  'jobTitle',
  'nosuch',
  'DISPLAYNAME',
];
const OPERATORS = ['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'EQ', 'in', 'has'];
const NASTY = ["'", "''", '(', ')', ',', '\u0000', '\ud800', '%', '_', '\\', '"', ':', ' ', '/', '$', 'é', '😀', '\n', ';--', '*'];

function literal(rng: Rng): string {
  return rng.weighted([
    [6, () => `'${rng.pick(['team', 'Team Member', "o''brien", 'a%b', 'a_c', '', 'x\\y', '\u0000', 'é'])}'`],
    [2, () => rng.pick(['true', 'false', 'null'])],
    [2, () => rng.pick(['2026-01-01T00:00:00Z', '2026-13-45T99:99:99Z', '2026-01-01T00:00+02:00'])],
    [1, () => String(rng.int(-5, 99999999999))],
  ] as const)();
}

function expression(rng: Rng, depth: number): string {
  if (depth > 0 && rng.chance(0.4)) {
    const join = rng.pick(['and', 'or', 'AND', 'Or']);
    return `${expression(rng, depth - 1)} ${join} ${expression(rng, depth - 1)}`;
  }
  return rng.weighted([
    [5, () => `${rng.pick(PROPERTIES)} ${rng.pick(OPERATORS)} ${literal(rng)}`],
    [3, () => `${rng.pick(['startswith', 'startsWith', 'endswith', 'contains'])}(${rng.pick(PROPERTIES)},${literal(rng)})`],
    [1, () => `${rng.pick(PROPERTIES)} in (${Array.from({ length: rng.int(0, 4) }, () => literal(rng)).join(', ')})`],
    [1, () => `not(${expression(rng, Math.max(0, depth - 1))})`],
    [1, () => `(${expression(rng, Math.max(0, depth - 1))})`],
    [1, () => `${'('.repeat(rng.int(10, 30))}displayName eq 'x'${')'.repeat(rng.int(10, 30))}`],
  ] as const)();
}

function mutate(rng: Rng, text: string): string {
  let t = text;
  for (let n = rng.int(1, 4); n > 0; n--) {
    const at = rng.int(0, t.length);
    t = rng.weighted([
      [3, () => t.slice(0, at) + rng.pick(NASTY) + t.slice(at)],
      [2, () => t.slice(0, at) + t.slice(at + rng.int(1, 5))],
      [1, () => t.slice(0, at) + t.slice(at, at + rng.int(1, 8)).repeat(rng.int(2, 20)) + t.slice(at)],
    ] as const)();
  }
  return t;
}

export function filterInput(rng: Rng): string {
  const text = expression(rng, rng.int(0, 4));
  return rng.chance(0.65) ? text : mutate(rng, text);
}

export function searchInput(rng: Rng): string {
  const clause = () =>
    `"${rng.pick(['displayName', 'mail', 'userPrincipalName', 'jobTitle', 'DisplayName', ''])}:${rng.pick(['team', 'a b', '', 'é', '%_'])}"`;
  const parts = [clause()];
  for (let n = rng.int(0, 3); n > 0; n--) parts.push(rng.pick(['AND', 'OR', 'and', '']), clause());
  const text = parts.join(' ');
  return rng.chance(0.5) ? text : mutate(rng, text);
}
