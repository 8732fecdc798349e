/**
 * A self-signed certificate for localhost / 127.0.0.1 / ::1, made once per process and shared by
 * every HTTPS server the kit starts (RSA key generation costs a few hundred milliseconds; a
 * test suite should pay it once). Clients trust it through the PEM startPortcullis returns.
 */
let made: Promise<{ cert: string; key: string }> | null = null;

const DAY_MS = 24 * 3600 * 1000;

export function localhostCertificate(): Promise<{ cert: string; key: string }> {
  made ??= (async () => {
    const { generate } = await import('selfsigned');
    const now = Date.now();
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
      keySize: 2048,
      algorithm: 'sha256',
      notBeforeDate: new Date(now - DAY_MS),
      // A test run may move the kit's clock forward, but TLS checks the real one.
      notAfterDate: new Date(now + 30 * DAY_MS),
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
  })();
  made.catch(() => {
    made = null;
  });
  return made;
}
