/**
 * TLS material for `serve`. MSAL refuses non-https authorities and the Graph JS client strips
 * Authorization from non-https URLs (test/e2e/ drives them over HTTPS for that reason), so local development needs
 * a certificate: either the operator's files, or a self-signed localhost certificate that is made
 * once and kept, so clients can trust it through NODE_EXTRA_CA_CERTS across restarts.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../store/private-files.js';
import { CliError } from './serve-options.js';

export interface TlsMaterial {
  cert: string;
  key: string;
  /** Where the certificate came from, for the start-up message. */
  certFile: string;
  selfSigned: boolean;
  /** True when this start created the self-signed certificate. */
  generated: boolean;
}

async function readPem(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new CliError(`cannot read ${what} '${file}': ${reason}`, 2);
  }
}

/** Checks the pair now, so a mismatch is one clear line instead of a TLS error at the first request. */
function checkPair(cert: string, key: string, certFile: string, keyFile: string): X509Certificate {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new CliError(`'${certFile}' is not a PEM certificate`, 2);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new CliError(`'${keyFile}' is not an unencrypted PEM private key`, 2);
  }
  if (!x509.checkPrivateKey(privateKey)) throw new CliError(`the key in '${keyFile}' does not match the certificate in '${certFile}'`, 2);
  return x509;
}

export async function loadTlsFiles(certFile: string, keyFile: string): Promise<TlsMaterial> {
  const cert = await readPem(certFile, 'TLS certificate');
  const key = await readPem(keyFile, 'TLS key');
  checkPair(cert, key, certFile, keyFile);
  return { cert, key, certFile, selfSigned: false, generated: false };
}

const DAY_MS = 24 * 3600 * 1000;

async function generateLocalhostCertificate(now: number): Promise<{ cert: string; key: string }> {
  // Loaded only here: selfsigned and its X.509 library take ~150 ms to import, which every
  // start without --tls-self-signed would otherwise pay (BENCHMARKS.md, B5).
  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: new Date(now - DAY_MS),
    // Two years: long enough not to bother a developer, short enough to stay under browser limits
    // for locally trusted roots.
    notAfterDate: new Date(now + 730 * DAY_MS),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }] },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/**
 * Writes via a temporary name and rename, so a crash never leaves half a PEM file behind. Owner
 * only (0600), the certificate too, like every file of the data directory (src/store/private-files.ts);
 * the chmod covers a temporary file left by an earlier crash, whose mode writeFile would keep.
 */
async function writeAtomically(file: string, content: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, content, { mode: PRIVATE_FILE_MODE });
  await chmod(tmp, PRIVATE_FILE_MODE);
  await rename(tmp, file);
}

/**
 * Returns <dataDir>/tls/{cert.pem,key.pem}, creating them on first use and again only when the
 * stored certificate has expired or is unreadable.
 */
export async function selfSignedTls(dataDir: string, now: number = Date.now()): Promise<TlsMaterial> {
  const dir = join(dataDir, 'tls');
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  try {
    const [cert, key] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
    const x509 = checkPair(cert, key, certFile, keyFile);
    if (Date.parse(x509.validTo) > now + DAY_MS) return { cert, key, certFile, selfSigned: true, generated: false };
  } catch (e) {
    // Missing files are the normal first start; anything else unreadable is replaced below.
    if (!(e instanceof CliError) && (e as NodeJS.ErrnoException).code !== 'ENOENT') throw new CliError(`cannot read '${dir}': ${(e as Error).message}`, 1);
  }
  try {
    await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    const { cert, key } = await generateLocalhostCertificate(now);
    await writeAtomically(keyFile, key);
    await writeAtomically(certFile, cert);
    return { cert, key, certFile, selfSigned: true, generated: true };
  } catch (e) {
    throw new CliError(`cannot create a self-signed certificate in '${dir}': ${(e as Error).message}`, 1);
  }
}
