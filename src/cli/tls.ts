/**
 * TLS material for `serve`. MSAL refuses non-https authorities and the Graph JS client strips
 * Authorization from non-https URLs (test/e2e/ drives them over HTTPS for that reason), so local development needs
 * a certificate: either the operator's files, or a self-signed localhost certificate. That one is
 * made once per machine — in the user's config dir (machineTlsDir), not per data directory — and
 * kept, so it is trusted once (`portcullis login --ca-file`, NODE_EXTRA_CA_CERTS) for every data
 * directory and across restarts.
 */
import { X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { configDir } from './auth/profiles.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../store/private-files.js';
import { CliError } from './serve-options.js';
import { generateLocalhostCertificate } from '../crypto/localhost-certificate.js';

export interface TlsMaterial {
  cert: string;
  key: string;
  /** Where the certificate came from, for the start-up message. */
  certFile: string;
  selfSigned: boolean;
  /** True when this start created the self-signed certificate. */
  generated: boolean;
  /** SHA-256 of the certificate, as `portcullis login` shows it on first use. */
  fingerprint: string;
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
  const x509 = checkPair(cert, key, certFile, keyFile);
  return { cert, key, certFile, selfSigned: false, generated: false, fingerprint: x509.fingerprint256 };
}

const DAY_MS = 24 * 3600 * 1000;

/** Two years: long enough not to bother a developer, short enough to stay under browser limits for locally trusted roots. */
const SERVE_CERTIFICATE_DAYS = 730;

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
 * The per-machine home of the self-signed certificate: `$XDG_CONFIG_HOME/portcullis/tls/localhost`
 * (else `~/.config/portcullis/tls/localhost`), next to the CLI's profiles, owner only.
 */
export function machineTlsDir(env: NodeJS.ProcessEnv): string {
  return join(configDir(env), 'tls', 'localhost');
}

/** The pair in `dir` when it is readable, matching and valid for more than a day; else null. */
async function usablePair(dir: string, now: number): Promise<TlsMaterial | null> {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  try {
    const [cert, key] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
    const x509 = checkPair(cert, key, certFile, keyFile);
    if (Date.parse(x509.validTo) > now + DAY_MS)
      return { cert, key, certFile, selfSigned: true, generated: false, fingerprint: x509.fingerprint256 };
    return null;
  } catch (e) {
    // Missing files are the normal first start; a damaged pair is replaced.
    if (e instanceof CliError || (e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CliError(`cannot read '${dir}': ${(e as Error).message}`, 1);
  }
}

/** rename(from, to), false when `to` is a non-empty directory already (another server's pair). */
async function renameUnlessTaken(from: string, to: string): Promise<boolean> {
  try {
    await rename(from, to);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
    throw e;
  }
}

/**
 * Returns `dir`/{cert.pem,key.pem}, creating them on first use and again only when the stored
 * certificate has expired or is unreadable. A data directory's own certificate from before the
 * per-machine one (`legacyDir`) is adopted when the machine has none yet: clients already trust
 * it. Two servers starting at once: the pair is written to a private temporary directory and
 * renamed into place in one step, so the files on disk always match; the loser uses the winner's.
 */
export async function selfSignedTls(dir: string, now: number = Date.now(), legacyDir?: string): Promise<TlsMaterial> {
  const existing = await usablePair(dir, now);
  if (existing) return existing;
  const adopted = legacyDir === undefined ? null : await usablePair(legacyDir, now);
  const parent = join(dir, '..');
  const staging = `${dir}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    await mkdir(parent, { recursive: true, mode: PRIVATE_DIR_MODE });
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { mode: PRIVATE_DIR_MODE });
    const pair = adopted ?? (await generateLocalhostCertificate(now, SERVE_CERTIFICATE_DAYS));
    await writeAtomically(join(staging, 'key.pem'), pair.key);
    await writeAtomically(join(staging, 'cert.pem'), pair.cert);
    // A server that started at the same moment may have put its pair in place meanwhile: use it.
    const meanwhile = await usablePair(dir, now);
    if (meanwhile) {
      await rm(staging, { recursive: true, force: true });
      return meanwhile;
    }
    // rename does not replace a non-empty directory: the first server's pair stays, and the
    // others use it. Only a pair that is not usable (expired, damaged) is removed, then replaced;
    // removing before trying would delete a pair another server had just put in place.
    if (!(await renameUnlessTaken(staging, dir))) {
      const theirs = await usablePair(dir, now);
      if (theirs) {
        await rm(staging, { recursive: true, force: true });
        return theirs;
      }
      await rm(dir, { recursive: true, force: true });
      if (!(await renameUnlessTaken(staging, dir))) {
        await rm(staging, { recursive: true, force: true });
        const winner = await usablePair(dir, now);
        if (winner) return winner;
        throw new Error('another server replaced the certificate with one that cannot be read');
      }
    }
    const made = await usablePair(dir, now);
    if (!made) throw new Error('the new certificate could not be read back');
    return { ...made, generated: adopted === null };
  } catch (e) {
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    if (e instanceof CliError) throw e;
    throw new CliError(`cannot create a self-signed certificate in '${dir}': ${(e as Error).message}`, 1);
  }
}

/**
 * The ready banner's lines for the self-signed certificate: where it is, its fingerprint (what
 * `portcullis login` shows on first use), and the two ways to trust it once.
 */
export function selfSignedBanner(tls: TlsMaterial, publicUrl: string): string[] {
  return [
    // Node clients (MSAL, the Graph client) must trust the certificate to talk to us over https.
    `  tls cert:   ${tls.certFile}${tls.generated ? ' (new)' : ''}; Node clients: NODE_EXTRA_CA_CERTS=${tls.certFile}`,
    `  tls sha256: ${tls.fingerprint} (one certificate for every data directory on this machine)`,
    `  cli:        portcullis login --server ${publicUrl} --ca-file ${tls.certFile}`,
  ];
}
