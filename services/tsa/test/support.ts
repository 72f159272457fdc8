// Helpers for the TSA service tests: a TSA key in a real SoftHSM token with its certificate chain,
// openssl through temp files, and HTTP against the listening service.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateKey, SoftwareSigner } from '@airlock/keys';
import { createRootCertificate, createTimestampingCertificate, pemEncode } from '@airlock/x509';
import { createSoftHsmToken, type SoftHsmToken } from '../../../test/support/softhsm.js';

const run = promisify(execFile);
const HOUR = 3600_000;
const YEAR = 365 * 24 * HOUR;

export interface HsmTsaChain {
  readonly token: SoftHsmToken;
  /** URI of the TSA key inside the token. */
  readonly keyUri: string;
  /** URI of a second key in the token that the chain does not certify. */
  readonly otherKeyUri: string;
  readonly root: Uint8Array;
  readonly leaf: Uint8Array;
  /** PEM chain, leaf first. */
  readonly chainPem: string;
}

/** A SoftHSM token holding a P-256 TSA key and a spare key, and a root and TSA leaf for the first. */
export async function makeHsmTsaChain(): Promise<HsmTsaChain> {
  const token = await createSoftHsmToken();
  const keyUri = token.uri('tsa-key');
  const otherKeyUri = token.uri('other-key');
  const publicKey = await generateKey(keyUri, 'ecdsa-p256-sha256');
  await generateKey(otherKeyUri, 'ecdsa-p256-sha256');
  const now = Date.now();
  const rootSigner = SoftwareSigner.generate('ecdsa-p384-sha384');
  const root = await createRootCertificate({
    signer: rootSigner,
    subject: { commonName: 'Airlock test TSA root', organization: 'Airlock' },
    notBefore: new Date(now - HOUR),
    notAfter: new Date(now + 10 * YEAR),
  });
  const leaf = await createTimestampingCertificate({
    issuerCert: root,
    issuerSigner: rootSigner,
    publicKey,
    subject: { commonName: 'Airlock test TSA', organization: 'Airlock' },
    notBefore: new Date(now - HOUR),
    notAfter: new Date(now + YEAR),
  });
  return {
    token,
    keyUri,
    otherKeyUri,
    root,
    leaf,
    chainPem: pemEncode(leaf) + pemEncode(root),
  };
}

/** Runs openssl with `files` in a temp directory (`{name}` in an argument is that file's path). */
export async function openssl(
  args: readonly string[],
  files: Record<string, string | Uint8Array>,
  outputs: readonly string[] = [],
): Promise<{ ok: boolean; output: string; files: Record<string, Uint8Array> }> {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-tsa-openssl-'));
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

/** `openssl ts -query -data artifact <flags>`: the DER request. */
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

/** `openssl ts -verify -in resp.tsr (-data artifact | -queryfile req.tsq) -CAfile root -untrusted leaf`. */
export function opensslVerify(
  response: Uint8Array,
  chain: { root: Uint8Array; leaf: Uint8Array },
  input: { data: Uint8Array } | { query: Uint8Array },
) {
  const from = 'data' in input ? ['-data', '{data}'] : ['-queryfile', '{req.tsq}'];
  return openssl(
    [
      'ts',
      '-verify',
      '-in',
      '{resp.tsr}',
      ...from,
      '-CAfile',
      '{root.pem}',
      '-untrusted',
      '{leaf.pem}',
    ],
    {
      'resp.tsr': response,
      'root.pem': pemEncode(chain.root),
      'leaf.pem': pemEncode(chain.leaf),
      ...('data' in input ? { data: input.data } : { 'req.tsq': input.query }),
    },
  );
}

export async function opensslReplyText(response: Uint8Array): Promise<string> {
  const result = await openssl(['ts', '-reply', '-in', '{resp.tsr}', '-text'], {
    'resp.tsr': response,
  });
  if (!result.ok) throw new Error(`openssl ts -reply failed: ${result.output}`);
  return result.output;
}

export interface HttpReply {
  readonly status: number;
  readonly contentType: string;
  readonly body: Uint8Array;
}

/** POSTs `body` with `contentType` to the TSA and reads the whole reply. */
export async function post(
  url: string,
  contentType: string | undefined,
  body: Uint8Array | string,
): Promise<HttpReply> {
  const response = await fetch(url, {
    method: 'POST',
    headers: contentType === undefined ? {} : { 'content-type': contentType },
    body,
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    body: new Uint8Array(await response.arrayBuffer()),
  };
}
