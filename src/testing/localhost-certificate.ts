import { generateLocalhostCertificate } from '../crypto/localhost-certificate.js';

/**
 * A self-signed certificate for localhost / 127.0.0.1 / ::1, made once per process and shared by
 * every HTTPS server the kit starts (an ECDSA key: tens of milliseconds, paid once per process).
 * Clients trust it through the PEM startPortcullis returns.
 */
let made: Promise<{ cert: string; key: string }> | null = null;

export function localhostCertificate(): Promise<{ cert: string; key: string }> {
  made ??= (async () => {
    // A test run may move the kit's clock forward, but TLS checks the real one: 30 days of real time.
    return generateLocalhostCertificate(Date.now(), 30);
  })();
  made.catch(() => {
    made = null;
  });
  return made;
}
