import type { IncomingMessage } from 'node:http';

/** A SET is a few kilobytes; anything far larger is not one (and must not fill memory). */
export const MAX_SET_BYTES = 64 * 1024;

export class BodyTooLarge extends Error {}

/** The raw request body as text, read from the stream up to `limit` bytes. */
export function readBody(request: IncomingMessage, limit = MAX_SET_BYTES): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.destroy();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    request.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.once('error', reject);
  });
}
