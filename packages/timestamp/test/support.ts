// Helpers shared by the @airlock/timestamp tests: a TSA certificate chain made by @airlock/x509,
// OpenSSL as the independent checker (through temp files, as an operator runs it), typed errors.
import { execFile } from 'node:child_process';
import { createPrivateKey, webcrypto } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Signer, SoftwareSigner } from '@airlock/keys';
import { TimestampError } from '@airlock/timestamp';
import { createRootCertificate, createTimestampingCertificate, pemEncode } from '@airlock/x509';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const run = promisify(execFile);

export const HOUR = 3600_000;
export const YEAR = 365 * 24 * HOUR;

export interface TsaChain {
  readonly root: Uint8Array;
  readonly rootSigner: SoftwareSigner;
  /** Intermediates between the leaf and the root, nearest the leaf first. */
  readonly intermediates: readonly Uint8Array[];
  readonly leaf: Uint8Array;
  readonly signer: Signer;
  /** [leaf, intermediates…, root], as a trusted root lists a TSA. */
  readonly trustedChain: readonly Uint8Array[];
}

/**
 * A root and a TSA leaf for `signer` (default: a fresh P-256 software key), optionally with one
 * intermediate CA between them that carries no EKU (unrestricted, as wire-formats §7.4 allows).
 */
export async function makeTsaChain(
  options: { signer?: Signer; intermediate?: boolean; notBefore?: Date; notAfter?: Date } = {},
): Promise<TsaChain> {
  const now = Date.now();
  const rootSigner = SoftwareSigner.generate('ecdsa-p384-sha384');
  const root = await createRootCertificate({
    signer: rootSigner,
    subject: { commonName: 'Airlock test TSA root', organization: 'Airlock' },
    notBefore: new Date(now - HOUR),
    notAfter: new Date(now + 10 * YEAR),
  });
  const signer = options.signer ?? SoftwareSigner.generate('ecdsa-p256-sha256');
  let issuerCert = root;
  let issuerSigner: Signer = rootSigner;
  const intermediates: Uint8Array[] = [];
  if (options.intermediate) {
    const made = await unrestrictedIntermediate(root, rootSigner);
    issuerCert = made.certificate;
    issuerSigner = made.signer;
    intermediates.push(made.certificate);
  }
  const leaf = await createTimestampingCertificate({
    issuerCert,
    issuerSigner,
    publicKey: signer.publicKey,
    subject: { commonName: 'Airlock test TSA', organization: 'Airlock' },
    notBefore: options.notBefore ?? new Date(now - HOUR),
    notAfter: options.notAfter ?? new Date(now + YEAR),
  });
  return {
    root,
    rootSigner,
    intermediates,
    leaf,
    signer,
    trustedChain: [leaf, ...intermediates, root],
  };
}

/**
 * An intermediate CA without EKU under `root` (pathlen 0), made with @peculiar/x509: @airlock/x509's
 * intermediates carry Fulcio's codeSigning EKU, which a TSA chain must not have.
 */
async function unrestrictedIntermediate(
  root: Uint8Array,
  rootSigner: SoftwareSigner,
): Promise<{ certificate: Uint8Array; signer: Signer }> {
  const rootCert = new x509.X509Certificate(root);
  const rootKey = await webcrypto.subtle.importKey(
    'pkcs8',
    rootSigner.exportPrivateKey().export({ type: 'pkcs8', format: 'der' }),
    { name: 'ECDSA', namedCurve: 'P-384' },
    false,
    ['sign'],
  );
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const now = Date.now();
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: '0a1b2c3d',
    subject: 'CN=Airlock test TSA intermediate, O=Airlock',
    issuer: rootCert.subjectName,
    notBefore: new Date(now - HOUR),
    notAfter: new Date(now + 2 * YEAR),
    publicKey: keys.publicKey,
    signingKey: rootKey,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-384' },
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(rootCert),
    ],
  });
  const privateKey = createPrivateKey({
    key: Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)),
    format: 'der',
    type: 'pkcs8',
  });
  return {
    certificate: new Uint8Array(certificate.rawData),
    signer: new SoftwareSigner(privateKey),
  };
}

/** Runs openssl with `files` in a fresh temp directory (`{name}` in an argument is that file). */
export async function openssl(
  args: readonly string[],
  files: Record<string, string | Uint8Array> = {},
  outputs: readonly string[] = [],
): Promise<{ ok: boolean; output: string; files: Record<string, Uint8Array> }> {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-timestamp-openssl-'));
  try {
    for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
    const resolved = args.map((arg) =>
      arg.replace(/\{([^}]+)\}/g, (_, name: string) => join(dir, name)),
    );
    let ok = true;
    let output: string;
    try {
      const { stdout, stderr } = await run('openssl', resolved);
      output = stdout + stderr;
    } catch (error) {
      const failed = error as { stdout?: string; stderr?: string };
      ok = false;
      output = `${failed.stdout ?? ''}${failed.stderr ?? ''}`;
    }
    const read: Record<string, Uint8Array> = {};
    for (const name of outputs) {
      read[name] = new Uint8Array(await readFile(join(dir, name)).catch(() => Buffer.alloc(0)));
    }
    return { ok, output, files: read };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A DER TimeStampReq made by `openssl ts -query` for `data`, with its extra flags. */
export async function opensslQuery(
  data: Uint8Array,
  flags: readonly string[],
): Promise<Uint8Array> {
  const result = await openssl(
    ['ts', '-query', '-data', '{data}', ...flags, '-out', '{req.tsq}'],
    { data },
    ['req.tsq'],
  );
  if (!result.ok) throw new Error(`openssl ts -query failed: ${result.output}`);
  return result.files['req.tsq']!;
}

/** `openssl ts -verify -in resp.tsr -data … -CAfile root.pem -untrusted leaf+intermediates.pem`. */
export function opensslVerify(
  response: Uint8Array,
  data: Uint8Array,
  chain: TsaChain,
  extra: { query?: Uint8Array } = {},
) {
  const untrusted = [chain.leaf, ...chain.intermediates].map((der) => pemEncode(der)).join('');
  const input = extra.query !== undefined ? ['-queryfile', '{req.tsq}'] : ['-data', '{data}'];
  return openssl(
    [
      'ts',
      '-verify',
      '-in',
      '{resp.tsr}',
      ...input,
      '-CAfile',
      '{root.pem}',
      '-untrusted',
      '{untrusted.pem}',
    ],
    {
      'resp.tsr': response,
      data,
      'root.pem': pemEncode(chain.root),
      'untrusted.pem': untrusted,
      ...(extra.query !== undefined ? { 'req.tsq': extra.query } : {}),
    },
  );
}

/** `openssl ts -reply -in resp.tsr -text`. */
export async function opensslReplyText(response: Uint8Array): Promise<string> {
  const result = await openssl(['ts', '-reply', '-in', '{resp.tsr}', '-text'], {
    'resp.tsr': response,
  });
  if (!result.ok) throw new Error(`openssl ts -reply failed: ${result.output}`);
  return result.output;
}

/** The code of the TimestampError `work` throws (sync or async); fails if it throws anything else. */
export async function timestampErrorCode(work: () => unknown): Promise<string> {
  try {
    await work();
  } catch (error) {
    if (error instanceof TimestampError) return error.code;
    throw error;
  }
  throw new Error('expected a TimestampError, got none');
}
