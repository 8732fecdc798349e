/**
 * A self-signed certificate for localhost, 127.0.0.1 and ::1 (the names a developer's clients use),
 * shared by `serve --tls-self-signed` (src/cli/tls.ts) and the test kit (src/testing/).
 */
const DAY_MS = 24 * 3600 * 1000;

export async function generateLocalhostCertificate(now: number, validDays: number): Promise<{ cert: string; key: string }> {
  // Loaded only here: selfsigned and its X.509 library take ~150 ms to import, which every
  // start without TLS would otherwise pay (BENCHMARKS.md, B5).
  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    // ECDSA P-256 (RFC 8422 §5.1.1, which every TLS 1.2/1.3 client supports): its key takes
    // milliseconds to make where an RSA-2048 key takes 0.2 to 2 s, paid by every `serve
    // --tls-self-signed` that makes its certificate and by each test process of the kit.
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - DAY_MS),
    notAfterDate: new Date(now + validDays * DAY_MS),
    extensions: [
      { name: 'basicConstraints', cA: false },
      // An ECDSA key signs (the TLS handshake); keyEncipherment is for RSA key transport (RFC 5480 §3).
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}
