import { AADSTS } from './oauth-errors.js';

/**
 * Reads request parameters. RFC 6749 §3.1: parameters must not be sent more than once, and
 * empty values are treated as absent.
 */
export class Params {
  constructor(
    private readonly source: Record<string, unknown>,
    private readonly where: 'body' | 'query',
  ) {}

  static of(value: unknown, where: 'body' | 'query'): Params {
    return new Params(value && typeof value === 'object' ? (value as Record<string, unknown>) : {}, where);
  }

  get(name: string): string | undefined {
    const v = this.source[name];
    if (Array.isArray(v)) throw AADSTS.duplicateParameter(name);
    if (typeof v !== 'string' || v === '') return undefined;
    // Found by fuzzing: a NUL reached PostgreSQL (nonce, username) and failed the request with 500.
    if (v.includes('\u0000')) throw AADSTS.malformedParameter(name);
    return v;
  }

  require(name: string): string {
    const v = this.get(name);
    if (v === undefined) throw this.where === 'body' ? AADSTS.missingParameter(name) : AADSTS.missingQueryParameter(name);
    return v;
  }

  /** All single-valued parameters, for carrying an authorize request through the sign-in form. */
  toSearchParams(): URLSearchParams {
    const out = new URLSearchParams();
    for (const [k, v] of Object.entries(this.source)) if (typeof v === 'string') out.set(k, v);
    return out;
  }
}

/** RFC 6749 §3.2: token-style endpoints take application/x-www-form-urlencoded bodies only. */
export function isFormEncoded(contentType: string | undefined): boolean {
  return (contentType ?? '').toLowerCase().split(';')[0]?.trim() === 'application/x-www-form-urlencoded';
}
