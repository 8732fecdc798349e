/**
 * Non-canonical spellings of a compact JWS's signature (RFC 7515 §2, RFC 4648 §3.5): the same
 * signature bytes written with `=` padding, `+` or `/` for `-` or `_`, or a non-zero trailing bit.
 * Lenient base64 decoders (Buffer.from(..., 'base64url'), atob) read each as the original bytes.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

export function respelledSignatures(token: string): Record<string, string> {
  const [h, p, s] = token.split('.') as [string, string, string];
  if (!s.includes('-') || !s.includes('_')) throw new Error('pick a token whose signature has both - and _ (signUntilRespellable)');
  if (s.length % 4 === 0) throw new Error('a signature without trailing bits cannot be respelled that way');
  const last = ALPHABET.indexOf(s.at(-1)!);
  return {
    padding: `${h}.${p}.${s}${'='.repeat(4 - (s.length % 4))}`,
    'plus for minus': `${h}.${p}.${s.replace('-', '+')}`,
    'slash for underscore': `${h}.${p}.${s.replace('_', '/')}`,
    'non-zero trailing bits': `${h}.${p}.${s.slice(0, -1)}${ALPHABET[last ^ 1]}`,
  };
}

/**
 * Signs `claims` with a fresh `uti` until the signature contains both `-` and `_` (about 99 % of
 * RS256 signatures do); at most 64 tries.
 */
export function signUntilRespellable(sign: (claims: Record<string, unknown>) => string, claims: Record<string, unknown>): string {
  for (let i = 0; i < 64; i++) {
    const token = sign({ ...claims, uti: `respell-${i}` });
    const s = token.split('.')[2]!;
    if (s.includes('-') && s.includes('_')) return token;
  }
  throw new Error('no respellable signature in 64 tries');
}
