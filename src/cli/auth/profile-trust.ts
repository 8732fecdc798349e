/**
 * The server's CA, remembered per profile: `ca.pem` in the profile directory (0600), taken from
 * `portcullis login --ca-file`, or the certificate the server presented whose SHA-256
 * fingerprint the person confirmed on first use. Every later command of that profile trusts it
 * in addition to Node's bundled roots, so nobody has to pass NODE_EXTRA_CA_CERTS to each command.
 * fetch() takes its TLS settings from undici's global dispatcher
 * (https://undici.nodejs.org/#/docs/api/Agent), which is where the CA goes.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { connect, rootCertificates, type DetailedPeerCertificate } from 'node:tls';
import { join } from 'node:path';
import { CliError, EXIT } from '../cli-error.js';
import { ensureProfileDir, profileDir, writePrivateFile } from './profiles.js';

export function profileCaFile(env: NodeJS.ProcessEnv): string {
  return join(profileDir(env), 'ca.pem');
}

/** The certificates in a PEM text; a usage error naming `where` when there are none. */
export function parseCaPem(pem: string, where: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  try {
    const certs = blocks.map((b) => new X509Certificate(b));
    if (certs.length > 0) return certs;
  } catch {
    // reported below
  }
  throw new CliError(`${where} holds no PEM certificate`, EXIT.USAGE);
}

/** Colon-separated upper-case hex, as browsers and `openssl x509 -fingerprint -sha256` show it. */
export function fingerprintOf(pem: string): string {
  return new X509Certificate(pem).fingerprint256;
}

/**
 * Adds `pem` to the roots every fetch() of this process trusts. A `ca` option replaces Node's
 * default list, so the bundled roots and any NODE_EXTRA_CA_CERTS file are passed along with it.
 */
export async function installCa(pem: string): Promise<void> {
  const { Agent, setGlobalDispatcher } = await import('undici');
  const extraFile = process.env.NODE_EXTRA_CA_CERTS;
  const extra = extraFile ? await readFile(extraFile, 'utf8').catch(() => null) : null;
  setGlobalDispatcher(new Agent({ connect: { ca: [...rootCertificates, ...(extra ? [extra] : []), pem] } }));
}

export async function trustProfileCa(env: NodeJS.ProcessEnv): Promise<void> {
  const file = profileCaFile(env);
  if (!existsSync(file)) return;
  await installCa(await readFile(file, 'utf8'));
}

export async function saveProfileCa(env: NodeJS.ProcessEnv, pem: string): Promise<string> {
  const file = join(await ensureProfileDir(env), 'ca.pem');
  await writePrivateFile(file, pem.endsWith('\n') ? pem : `${pem}\n`);
  return file;
}

function toPem(raw: Buffer): string {
  const b64 =
    raw
      .toString('base64')
      .match(/.{1,64}/g)
      ?.join('\n') ?? '';
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

/**
 * The certificate to trust for `url`: the top of the chain the server presents (the certificate
 * itself when it is self-signed). Fetched without verification — only to be shown to a person
 * by its fingerprint, who decides.
 */
export function presentedCa(url: string): Promise<{ pem: string; fingerprint: string }> {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = Number(u.port || 443);
  return new Promise((resolve, reject) => {
    const socket = connect(
      { host, port, rejectUnauthorized: false, ...(/^[\d.]+$|:/.test(host) ? {} : { servername: host }), timeout: 10_000 },
      () => {
        let cert = socket.getPeerCertificate(true) as DetailedPeerCertificate;
        // Up the chain to the last certificate sent (issuerCertificate of a root points to itself).
        for (let i = 0; i < 10 && cert.issuerCertificate && cert.issuerCertificate !== cert && cert.issuerCertificate.raw; i++)
          cert = cert.issuerCertificate;
        socket.end();
        if (!cert.raw) return reject(new CliError(`the server at ${u.origin} presented no certificate`, EXIT.TLS_UNTRUSTED));
        const pem = toPem(cert.raw);
        resolve({ pem, fingerprint: fingerprintOf(pem) });
      },
    );
    socket.once('timeout', () => socket.destroy(new Error('timeout')));
    socket.once('error', reject);
  });
}
