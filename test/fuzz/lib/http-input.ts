import type { Rng } from './rng.js';
import { nastyString, randomString, pct } from './values.js';

/** One generated HTTP request; also the shape stored in the corpus (body as base64 there). */
export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** When set, these bytes are written to a fresh TCP connection instead (method/path only describe it). */
  raw?: Buffer;
}

export type Form = [string, string][];

/**
 * A path undici will put on the wire: characters outside printable ASCII (and space, '#')
 * percent-encoded as UTF-8. Broken escapes such as '%zz' the generator put in stay as they are.
 */
export function wirePath(raw: string): string {
  let out = '';
  for (const ch of raw) {
    const code = ch.codePointAt(0)!;
    if (code > 0x20 && code < 0x7f && ch !== '#') out += ch;
    else
      out += Buffer.from(ch, 'utf8')
        .toString('hex')
        .replace(/../g, (h) => `%${h.toUpperCase()}`);
  }
  return out.startsWith('/') ? out : `/${out}`;
}

/** A header value undici accepts (no CR, LF, NUL or other controls; Latin-1 only). */
export function wireHeaderValue(raw: string): string {
  let out = '';
  for (const ch of raw) {
    const code = ch.codePointAt(0)!;
    out += (code >= 0x20 && code !== 0x7f && code <= 0xff) || code === 0x09 ? ch : '?';
  }
  return out.trim();
}

/** Serialises a form, usually properly encoded, sometimes raw (unencoded '&', '=', '%'). */
export function encodeForm(rng: Rng, form: Form): string {
  if (rng.chance(0.9)) {
    const p = new URLSearchParams();
    for (const [k, v] of form) p.append(k, v);
    return p.toString();
  }
  return form.map(([k, v]) => (rng.chance(0.2) ? k : `${k}=${v}`)).join(rng.chance(0.9) ? '&' : rng.pick([';', '&&', '\n']));
}

/** 0–3 random edits of a valid form: drop, duplicate, blank, replace, add, or swap a name's case. */
export function mutateForm(rng: Rng, form: Form, knownNames: readonly string[]): Form {
  const out: Form = form.map(([k, v]) => [k, v]);
  for (
    let n = rng.weighted([
      [3, 0],
      [4, 1],
      [2, 2],
      [1, 3],
    ] as const);
    n > 0;
    n--
  ) {
    const i = out.length ? rng.int(0, out.length - 1) : 0;
    const op = rng.int(0, 6);
    if (op === 0 && out.length) out.splice(i, 1);
    else if (op === 1 && out.length) out.push([out[i]![0], rng.chance(0.5) ? out[i]![1] : nastyString(rng)]);
    else if (op === 2 && out.length) out[i]![1] = '';
    else if (op === 3 && out.length) out[i]![1] = nastyString(rng);
    else if (op === 4) out.push([rng.chance(0.7) ? rng.pick(knownNames) : randomString(rng, 12), nastyString(rng)]);
    else if (op === 5 && out.length) out[i]![0] = out[i]![0].toUpperCase();
    else if (out.length) out[i]![1] = out[i]![1] + randomString(rng, 6);
  }
  return out;
}

/** The right content type most of the time; otherwise a near miss, another type or none. */
export function contentType(rng: Rng, proper: string): string | undefined {
  return rng.weighted<string | undefined>([
    [85, proper],
    [3, `${proper}; charset=utf-8`],
    [1, `${proper.toUpperCase()}; charset=latin1`],
    [2, 'application/json'],
    [2, 'text/plain'],
    [1, 'multipart/form-data; boundary=x'],
    [1, 'application/xml'],
    [2, undefined],
    [1, wireHeaderValue(randomString(rng, 30))],
    [1, `${proper};;;=`],
  ]);
}

/** Request-level damage applied to a small share of every target's inputs. */
export function damageRequest(rng: Rng, req: FuzzRequest): FuzzRequest {
  const out: FuzzRequest = { ...req, headers: { ...req.headers } };
  switch (rng.int(0, 6)) {
    case 0:
      out.method = rng.pick(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD']);
      break;
    case 1:
      out.body = rng.bytes(rng.int(0, 2048));
      break;
    case 2:
      out.path = wirePath(out.path + rng.pick(['/', '//', '/..', '%', '%2e%2e/', '?', '?&&', '#x', ';a=b', '/%00']) + randomString(rng, 8));
      break;
    case 3:
      out.headers.authorization = wireHeaderValue(rng.pick(['Bearer ', 'Basic ', 'bearer', 'Negotiate ', '']) + randomString(rng, 60));
      break;
    case 4:
      out.headers.cookie = wireHeaderValue(
        rng.pick(['portcullis_sso=', 'portcullis_csrf=', '']) + randomString(rng, 50) + rng.pick(['', '; a=b', ';;', '; =']),
      );
      break;
    case 5:
      out.headers['client-request-id'] = wireHeaderValue(nastyString(rng).slice(0, 200));
      break;
    default:
      out.headers['x-forwarded-for'] = wireHeaderValue(randomString(rng, 40));
      out.headers['x-forwarded-proto'] = wireHeaderValue(randomString(rng, 8));
      out.headers['x-forwarded-host'] = wireHeaderValue(randomString(rng, 20));
  }
  return out;
}

/** A tenant segment: the real id or domain, the aliases, or junk. */
export function tenantSegment(rng: Rng, tenantId: string, domain: string): string {
  return rng.weighted<() => string>([
    [6, () => tenantId],
    [2, () => domain],
    [2, () => rng.pick(['common', 'organizations', 'consumers', tenantId.toUpperCase()])],
    [2, () => pct(nastyString(rng).slice(0, 300))],
  ])();
}
