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
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: new Date(now - DAY_MS),
    notAfterDate: new Date(now + validDays * DAY_MS),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
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
