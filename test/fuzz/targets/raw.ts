import type { FuzzRequest } from '../lib/http-input.js';
import type { Rng } from '../lib/rng.js';
import type { FuzzContext, HttpTarget } from '../lib/target.js';
import { damageText, randomString } from '../lib/values.js';
import { graphTarget } from './graph.js';
import { tokenTarget } from './token.js';

/** Serialises a request as HTTP/1.1 text, with framing mistakes a client library would never make. */
function serialise(rng: Rng, req: FuzzRequest): string {
  const body =
    req.body === undefined ? '' : Buffer.isBuffer(req.body) ? req.body.toString('latin1') : Buffer.from(req.body).toString('latin1');
  const eol = rng.chance(0.9) ? '\r\n' : rng.pick(['\n', '\r', '\r\r\n']);
  const lines = [
    `${req.method} ${req.path} ${rng.weighted<string>([
      [9, 'HTTP/1.1'],
      [1, 'HTTP/1.0'],
      [0.5, 'HTTP/2.0'],
      [0.5, 'HTTP/1.1 x'],
      [0.5, ''],
      [0.5, 'HTTX/1.1'],
    ])}`,
    'host: 127.0.0.1',
  ];
  for (const [k, v] of Object.entries(req.headers)) lines.push(`${k}: ${v}`);
  const framing = rng.int(0, 9);
  if (framing <= 5) lines.push(`content-length: ${Buffer.byteLength(body, 'latin1')}`);
  else if (framing === 6) lines.push(`content-length: ${rng.int(0, 100)}`, `content-length: ${rng.int(0, 100)}`);
  else if (framing === 7) lines.push('transfer-encoding: chunked', `content-length: ${body.length}`);
  else if (framing === 8) lines.push(`content-length: ${rng.pick(['-1', '1e3', ' 5', '99999999999999999999', 'abc'])}`);
  lines.push('connection: close');
  const chunked =
    framing === 7 ? `${rng.pick([body.length.toString(16), 'zz', '-1', 'ffffffffffffffff'])}${eol}${body}${eol}0${eol}${eol}` : body;
  return `${lines.join(eol)}${eol}${eol}${chunked}`;
}

/**
 * Bytes on a fresh TCP connection: a real request of another target serialised by hand, then
 * damaged (truncated, spliced, conflicting framing, odd line ends), or plain random bytes. The
 * server's HTTP parser must answer < 500 or close, and stay up.
 */
export const rawTarget: HttpTarget = {
  name: 'raw HTTP/1.1 bytes',
  generate(rng: Rng, ctx: FuzzContext): FuzzRequest {
    const base = (rng.chance(0.5) ? tokenTarget : graphTarget).generate(rng, ctx);
    const text = serialise(rng, { ...base, body: typeof base.body === 'string' ? base.body.slice(0, 4096) : base.body?.subarray(0, 4096) });
    const raw = rng.weighted<() => Buffer>([
      [4, () => Buffer.from(text, 'latin1')],
      [4, () => Buffer.from(damageText(rng, text), 'latin1')],
      [1, () => Buffer.concat([Buffer.from(text.slice(0, rng.int(0, 40)), 'latin1'), rng.bytes(rng.int(1, 512))])],
      [1, () => rng.bytes(rng.int(1, 1024))],
      [0.5, () => Buffer.from(`GET /${'a'.repeat(rng.pick([9000, 70_000]))} HTTP/1.1\r\nhost: x\r\n\r\n`)],
      [
        0.5,
        () =>
          Buffer.from(
            `GET / HTTP/1.1\r\n${Array.from({ length: rng.int(50, 3000) }, (_, i) => `x-${i}: ${randomString(rng, 20)}`).join('\r\n')}\r\n\r\n`,
          ),
      ],
      [0.5, () => Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')],
    ])();
    return { method: base.method, path: base.path, headers: {}, raw };
  },
};
