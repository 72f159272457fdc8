// Helpers shared by the @airlock/x509 tests: typed error capture, OpenSSL as an independent
// checker (through temp files, as an operator would run it), and a ready-made CA chain.
import { execFile } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Signer, SoftwareSigner } from '@airlock/keys';
import {
  buildLeafTbs,
  createIntermediateCertificate,
  createRootCertificate,
  type LeafTbsOptions,
  pemEncode,
  signTbs,
  X509Error,
  type X509ErrorCode,
} from '@airlock/x509';

const run = promisify(execFile);

/** The code of the X509Error `work` throws; fails the test if it returns or throws anything else. */
export function x509ErrorCode(work: () => unknown): X509ErrorCode {
  try {
    work();
  } catch (error) {
    if (error instanceof X509Error) return error.code;
    throw error;
  }
  throw new Error('expected an X509Error, got none');
}

export async function asyncX509ErrorCode(work: () => Promise<unknown>): Promise<X509ErrorCode> {
  try {
    await work();
  } catch (error) {
    if (error instanceof X509Error) return error.code;
    throw error;
  }
  throw new Error('expected an X509Error, got none');
}

export interface OpensslResult {
  readonly ok: boolean;
  readonly output: string;
}

/**
 * Runs `openssl` with `files` written to a fresh temp directory; `{name}` in an argument becomes
 * that file's path. Never throws for a non-zero exit: the result says whether it succeeded.
 */
export async function openssl(
  args: readonly string[],
  files: Record<string, string | Uint8Array> = {},
): Promise<OpensslResult> {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-x509-openssl-'));
  try {
    for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
    const resolved = args.map((arg) =>
      arg.replace(/\{([^}]+)\}/g, (_, name: string) => join(dir, name)),
    );
    try {
      const { stdout, stderr } = await run('openssl', resolved);
      return { ok: true, output: stdout + stderr };
    } catch (error) {
      const failed = error as { stdout?: string; stderr?: string };
      return { ok: false, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `openssl verify -x509_strict -CAfile root -untrusted intermediates leaf`. */
export function opensslVerify(
  root: Uint8Array,
  intermediates: readonly Uint8Array[],
  leaf: Uint8Array,
): Promise<OpensslResult> {
  const untrusted = intermediates.length > 0 ? ['-untrusted', '{intermediates.pem}'] : [];
  return openssl(['verify', '-x509_strict', '-CAfile', '{root.pem}', ...untrusted, '{leaf.pem}'], {
    'root.pem': pemEncode(root),
    'intermediates.pem': intermediates.map((cert) => pemEncode(cert)).join(''),
    'leaf.pem': pemEncode(leaf),
  });
}

/** `openssl x509 -text` of a DER certificate. */
export async function opensslText(certificate: Uint8Array): Promise<string> {
  const result = await openssl(['x509', '-inform', 'DER', '-in', '{cert.der}', '-noout', '-text'], {
    'cert.der': certificate,
  });
  if (!result.ok) throw new Error(`openssl cannot read the certificate: ${result.output}`);
  return result.output;
}

/** The lines openssl prints for one extension: its header line and the value lines under it. */
export function extensionBlock(text: string, header: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line.trim().startsWith(header));
  if (start < 0) throw new Error(`openssl shows no ${header} extension`);
  const indent = lines[start]!.search(/\S/);
  const block = [lines[start]!.trim()];
  for (const line of lines.slice(start + 1)) {
    if (line.search(/\S/) <= indent) break;
    block.push(line.trim());
  }
  return block.join('\n');
}

export interface TestChain {
  readonly rootSigner: Signer;
  readonly root: Uint8Array;
  readonly intermediateSigner: Signer;
  readonly intermediate: Uint8Array;
  readonly notBefore: Date;
}

/** A root and an intermediate valid from an hour ago for a year, made with software keys. */
export async function makeChain(
  rootSigner: Signer = SoftwareSigner.generate('ecdsa-p384-sha384'),
  intermediateSigner: Signer = SoftwareSigner.generate('ecdsa-p256-sha256'),
): Promise<TestChain> {
  const notBefore = new Date(Date.now() - 3600_000);
  const notAfter = new Date(notBefore.getTime() + 365 * 24 * 3600_000);
  const root = await createRootCertificate({
    signer: rootSigner,
    subject: { organization: 'airlock.test', commonName: 'airlock-root' },
    notBefore,
    notAfter,
  });
  const intermediate = await createIntermediateCertificate({
    issuerCert: root,
    issuerSigner: rootSigner,
    publicKey: intermediateSigner.publicKey,
    subject: { organization: 'airlock.test', commonName: 'airlock-intermediate' },
    notBefore,
    notAfter,
  });
  return { rootSigner, root, intermediateSigner, intermediate, notBefore };
}

/** A client's P-256 key pair. */
export function clientKey(): { publicKey: KeyObject; privateKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

/** Issues a (non-CT) leaf under the chain's intermediate. */
export async function issueLeaf(
  chain: TestChain,
  options: Partial<LeafTbsOptions> = {},
): Promise<Uint8Array> {
  const tbs = buildLeafTbs({
    issuerCert: chain.intermediate,
    publicKey: clientKey().publicKey,
    notBefore: new Date(),
    subjectAlternativeName: { type: 'email', value: 'dev@airlock.test' },
    extensions: { issuer: 'https://idp.airlock.test', subject: 'dev-123' },
    ...options,
  });
  return signTbs(tbs, chain.intermediateSigner);
}
