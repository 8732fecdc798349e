/**
 * A small, bounded parser for the part of the OData v4 `$filter` grammar Graph's directory
 * queries use (https://docs.oasis-open.org/odata/odata/v4.01/odata-v4.01-part2-url-conventions.html
 * §5.1.1 and https://learn.microsoft.com/graph/filter-query-parameter): comparisons
 * (`eq ne gt ge lt le`), `in (…)`, `startsWith(p,'x')` / `endsWith(p,'x')`, `not`, `and`, `or`
 * and parentheses. It only builds a syntax tree; which property allows which operator is the
 * resource's rule (graph/user-query.ts), and the tree never becomes SQL text (the store binds
 * every literal as a parameter).
 *
 * Bounds: the text, the number of nodes and the nesting depth are capped, so neither the parser
 * (recursive descent) nor the SQL a tree turns into can grow without limit.
 */
import { RequestBadRequest } from './errors.js';

export const MAX_FILTER_LENGTH = 2048;
export const MAX_FILTER_NODES = 64;
export const MAX_FILTER_DEPTH = 16;

export type FilterLiteral =
  | { type: 'string'; value: string }
  | { type: 'boolean'; value: boolean }
  | { type: 'null' }
  | { type: 'number'; value: number }
  | { type: 'dateTime'; value: number; text: string };

export type ComparisonOperator = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';

export type FilterNode =
  | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { kind: 'not'; operand: FilterNode }
  | { kind: 'compare'; op: ComparisonOperator; property: string; value: FilterLiteral }
  | { kind: 'in'; property: string; values: FilterLiteral[] }
  | { kind: 'function'; name: 'startsWith' | 'endsWith'; property: string; value: FilterLiteral };

type Token =
  | { t: 'ident'; v: string; at: number }
  | { t: 'literal'; v: FilterLiteral; at: number }
  | { t: '(' | ')' | ',' | 'end'; at: number };

/** A syntax error: Graph answers malformed $filter text with 400 Request_BadRequest. */
export function invalidFilter(detail: string): RequestBadRequest {
  return new RequestBadRequest(`Invalid filter clause: ${detail}`);
}

const COMPARISONS: readonly ComparisonOperator[] = ['eq', 'ne', 'gt', 'ge', 'lt', 'le'];
const FUNCTIONS = { startswith: 'startsWith', endswith: 'endsWith' } as const;
// OData dateTimeOffset literal (part 2 §5.1.1.6.1, ABNF dateTimeOffsetValue), always with a zone.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})/;
const NUMBER = /^-?\d{1,15}(?![\w.])/;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]{0,127}/;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '(' || c === ')' || c === ',') {
      tokens.push({ t: c, at: i++ });
      continue;
    }
    if (c === "'") {
      // SQUOTE-in-string: '' is one quote (part 2 §5.1.1.6.1 ABNF `string`).
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= text.length) throw invalidFilter(`unterminated string literal at position ${i}.`);
        if (text[j] === "'") {
          if (text[j + 1] === "'") {
            value += "'";
            j += 2;
            continue;
          }
          break;
        }
        value += text[j++];
      }
      tokens.push({ t: 'literal', v: { type: 'string', value }, at: i });
      i = j + 1;
      continue;
    }
    const rest = text.slice(i, i + 40);
    const dt = DATE_TIME.exec(rest);
    if (dt) {
      const ms = Date.parse(dt[0]);
      if (!Number.isFinite(ms)) throw invalidFilter(`invalid dateTimeOffset literal '${dt[0]}'.`);
      tokens.push({ t: 'literal', v: { type: 'dateTime', value: ms, text: dt[0] }, at: i });
      i += dt[0].length;
      continue;
    }
    const num = NUMBER.exec(rest);
    if (num) {
      tokens.push({ t: 'literal', v: { type: 'number', value: Number(num[0]) }, at: i });
      i += num[0].length;
      continue;
    }
    const id = IDENT.exec(text.slice(i, i + 129));
    if (id) {
      const word = id[0];
      const lower = word.toLowerCase();
      if (lower === 'true' || lower === 'false') tokens.push({ t: 'literal', v: { type: 'boolean', value: lower === 'true' }, at: i });
      else if (lower === 'null') tokens.push({ t: 'literal', v: { type: 'null' }, at: i });
      else tokens.push({ t: 'ident', v: word, at: i });
      i += word.length;
      continue;
    }
    throw invalidFilter(`unexpected character at position ${i}.`);
  }
  tokens.push({ t: 'end', at: text.length });
  return tokens;
}

class Parser {
  private pos = 0;
  private nodes = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): FilterNode {
    const node = this.or(0);
    const next = this.peek();
    if (next.t !== 'end') throw invalidFilter(`unexpected token at position ${next.at}.`);
    return node;
  }

  private peek(): Token {
    return this.tokens[this.pos]!;
  }
  private take(): Token {
    const t = this.tokens[this.pos]!;
    if (t.t !== 'end') this.pos++;
    return t;
  }
  private isWord(word: string): boolean {
    const t = this.peek();
    return t.t === 'ident' && t.v.toLowerCase() === word;
  }
  private expect(kind: '(' | ')' | ','): void {
    const t = this.take();
    if (t.t !== kind) throw invalidFilter(`expected '${kind}' at position ${t.at}.`);
  }
  private spend(): void {
    if (++this.nodes > MAX_FILTER_NODES) throw invalidFilter(`the expression has more than ${MAX_FILTER_NODES} terms.`);
  }
  private count<T extends FilterNode>(node: T): T {
    this.spend();
    return node;
  }
  private deeper(depth: number): number {
    if (depth >= MAX_FILTER_DEPTH) throw invalidFilter(`the expression is nested more than ${MAX_FILTER_DEPTH} levels deep.`);
    return depth + 1;
  }

  private or(depth: number): FilterNode {
    let left = this.and(depth);
    while (this.isWord('or')) {
      this.take();
      left = this.count({ kind: 'or', left, right: this.and(depth) });
    }
    return left;
  }

  private and(depth: number): FilterNode {
    let left = this.unary(depth);
    while (this.isWord('and')) {
      this.take();
      left = this.count({ kind: 'and', left, right: this.unary(depth) });
    }
    return left;
  }

  private unary(depth: number): FilterNode {
    if (this.isWord('not')) {
      this.take();
      return this.count({ kind: 'not', operand: this.unary(this.deeper(depth)) });
    }
    return this.primary(depth);
  }

  private primary(depth: number): FilterNode {
    const t = this.take();
    if (t.t === '(') {
      const inner = this.or(this.deeper(depth));
      this.expect(')');
      return inner;
    }
    if (t.t !== 'ident') throw invalidFilter(`expected a property or function at position ${t.at}.`);
    const fn = FUNCTIONS[t.v.toLowerCase() as keyof typeof FUNCTIONS];
    if (fn !== undefined && this.peek().t === '(') {
      this.take();
      const property = this.property();
      this.expect(',');
      const value = this.literal();
      this.expect(')');
      return this.count({ kind: 'function', name: fn, property, value });
    }
    if (this.peek().t === '(') throw invalidFilter(`unknown function '${t.v}'.`);
    const property = t.v;
    const opToken = this.take();
    const op = opToken.t === 'ident' ? opToken.v.toLowerCase() : '';
    if (op === 'in') {
      this.expect('(');
      const values = [this.literal()];
      while (this.peek().t === ',') {
        this.take();
        values.push(this.literal());
        this.spend(); // each value is a term of the budget
      }
      this.expect(')');
      return this.count({ kind: 'in', property, values });
    }
    if (!(COMPARISONS as readonly string[]).includes(op)) throw invalidFilter(`expected an operator at position ${opToken.at}.`);
    return this.count({ kind: 'compare', op: op as ComparisonOperator, property, value: this.literal() });
  }

  private property(): string {
    const t = this.take();
    if (t.t !== 'ident') throw invalidFilter(`expected a property at position ${t.at}.`);
    return t.v;
  }

  private literal(): FilterLiteral {
    const t = this.take();
    if (t.t !== 'literal') throw invalidFilter(`expected a literal at position ${t.at}.`);
    return t.v;
  }
}

/**
 * Parses `$filter` text into a tree, or throws Graph's 400 for text that is not a filter this
 * parser knows (including any text over the bounds above).
 */
export function parseFilter(text: string): FilterNode {
  if (text.length > MAX_FILTER_LENGTH) throw invalidFilter(`the expression is longer than ${MAX_FILTER_LENGTH} characters.`);
  if (text.trim() === '') throw invalidFilter('the expression is empty.');
  return new Parser(tokenize(text)).parse();
}
