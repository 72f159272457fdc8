// Loads every transparency-log entry of the shared Sigstore bundles (conformance suite and npm
// provenance) and rebuilds, from each bundle, the request its client sent to Rekor.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { sharedVectorsPath } from '../../../test/support/shared-vectors.js';

interface RawBytes {
  readonly rawBytes: string;
}

/** The parts of a Sigstore bundle (proto3 JSON) these tests read. */
export interface Bundle {
  readonly mediaType: string;
  readonly verificationMaterial: {
    readonly certificate?: RawBytes;
    readonly x509CertificateChain?: { readonly certificates: readonly RawBytes[] };
    readonly publicKey?: { readonly hint: string };
    readonly tlogEntries: readonly TlogEntry[];
  };
  readonly messageSignature?: {
    readonly messageDigest: { readonly algorithm: string; readonly digest: string };
    readonly signature: string;
  };
  readonly dsseEnvelope?: DsseEnvelope;
}

export interface DsseEnvelope {
  readonly payload: string;
  readonly payloadType: string;
  readonly signatures: readonly { readonly sig: string; readonly keyid?: string }[];
}

export interface TlogEntry {
  readonly logIndex: string;
  readonly kindVersion: { readonly kind: string; readonly version: string };
  readonly canonicalizedBody: string;
  readonly inclusionProof?: {
    readonly logIndex: string;
    readonly rootHash: string;
    readonly treeSize: string;
    readonly hashes: readonly string[];
  } | null;
}

export interface VectorEntry {
  /** `conformance/<case>` or `npm-provenance/<packages|mutated>/<case>/<file>`. */
  readonly name: string;
  /** Conformance case folder name, or undefined for npm bundles. */
  readonly conformanceCase?: string;
  /** For npm bundles: whether the kit's meta.json says the bundle was tampered with. */
  readonly npmTampered?: boolean;
  readonly bundle: Bundle;
  readonly tlogEntry: TlogEntry;
  /** The canonicalized body exactly as the log returned it. */
  readonly loggedBody: Buffer;
}

/** Files that were looked at and are not bundles (or are malformed on purpose), with why. */
export interface SkippedFile {
  readonly name: string;
  readonly reason: string;
}

function isBundle(value: unknown): value is Bundle {
  const bundle = value as Partial<Bundle> | null;
  return (
    typeof bundle?.mediaType === 'string' &&
    bundle.mediaType.startsWith('application/vnd.dev.sigstore.bundle') &&
    Array.isArray(bundle.verificationMaterial?.tlogEntries)
  );
}

function walkJsonFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((item) => {
      const path = join(dir, item.name);
      if (item.isDirectory()) return walkJsonFiles(path);
      return item.name.endsWith('.json') ? [path] : [];
    });
}

export function loadVectorEntries(): { entries: VectorEntry[]; skipped: SkippedFile[] } {
  const entries: VectorEntry[] = [];
  const skipped: SkippedFile[] = [];
  const vectors = sharedVectorsPath();
  const add = (
    file: string,
    base: Omit<VectorEntry, 'tlogEntry' | 'loggedBody' | 'bundle' | 'name'>,
  ) => {
    const name = relative(vectors, file).replace(/\/bundle\.sigstore\.json$/, '');
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      skipped.push({ name, reason: 'not JSON (malformed on purpose)' });
      return;
    }
    if (!isBundle(parsed)) {
      skipped.push({ name, reason: 'not a Sigstore bundle' });
      return;
    }
    for (const tlogEntry of parsed.verificationMaterial.tlogEntries) {
      entries.push({
        ...base,
        name,
        bundle: parsed,
        tlogEntry,
        loggedBody: Buffer.from(tlogEntry.canonicalizedBody, 'base64'),
      });
    }
  };

  const conformance = sharedVectorsPath('conformance', 'bundle-verify');
  for (const testCase of readdirSync(conformance).sort()) {
    const file = join(conformance, testCase, 'bundle.sigstore.json');
    if (existsSync(file)) add(file, { conformanceCase: testCase });
  }
  for (const file of walkJsonFiles(sharedVectorsPath('npm-provenance'))) {
    const metaFile = join(file, '..', 'meta.json');
    const role = /(\w+)\.sigstore\.json$/.exec(file)?.[1];
    let npmTampered: boolean | undefined;
    if (file.includes('/mutated/') && role !== undefined && existsSync(metaFile)) {
      const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as {
        bundles: Record<string, { bundleChanges: readonly string[] }>;
      };
      npmTampered = (meta.bundles[role]?.bundleChanges.length ?? 0) > 0;
    }
    add(file, npmTampered === undefined ? {} : { npmTampered });
  }
  return { entries, skipped };
}

/** PEM text as different clients write it, to show Rekor's PEM normalization on real keys. */
export type PemStyle = 'go' | 'one-line' | 'crlf-76';

export function toPem(
  der: Uint8Array,
  type: 'CERTIFICATE' | 'PUBLIC KEY',
  style: PemStyle,
): Buffer {
  const base64 = Buffer.from(der).toString('base64');
  const lines =
    style === 'go'
      ? (base64.match(/.{1,64}/g) ?? [])
      : style === 'crlf-76'
        ? (base64.match(/.{1,76}/g) ?? [])
        : [base64];
  const eol = style === 'crlf-76' ? '\r\n' : '\n';
  const text = [`-----BEGIN ${type}-----`, ...lines, `-----END ${type}-----`].join(eol);
  return Buffer.from(style === 'one-line' ? text : `${text}${eol}`, 'ascii');
}

/** Public keys the kit ships beside key-signed bundles, by the hints bundles name them with. */
function keysByHint(): Map<string, Buffer> {
  const keys = new Map<string, Buffer>();
  const conformance = sharedVectorsPath('conformance', 'bundle-verify');
  for (const testCase of readdirSync(conformance)) {
    const file = join(conformance, testCase, 'key.pub');
    if (!existsSync(file)) continue;
    const pem = readFileSync(file, 'utf8');
    const der = Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    keys.set(createHash('sha256').update(der).digest('base64'), der);
  }
  const npm = JSON.parse(
    readFileSync(sharedVectorsPath('npm-provenance', 'npm-registry-keys.json'), 'utf8'),
  ) as {
    keys: { keyId: string; publicKey: RawBytes }[];
  };
  for (const { keyId, publicKey } of npm.keys)
    keys.set(keyId, Buffer.from(publicKey.rawBytes, 'base64'));
  return keys;
}

let hintedKeys: Map<string, Buffer> | undefined;

/**
 * The signing key material of a bundle: its leaf certificate, or for a key-signed bundle the
 * public key its hint names (from the kit's key.pub files and npm registry keys).
 */
export function signingMaterial(
  bundle: Bundle,
): { type: 'CERTIFICATE' | 'PUBLIC KEY'; der: Buffer } | undefined {
  const material = bundle.verificationMaterial;
  const certificate = material.certificate ?? material.x509CertificateChain?.certificates[0];
  if (certificate !== undefined) {
    return { type: 'CERTIFICATE', der: Buffer.from(certificate.rawBytes, 'base64') };
  }
  if (material.publicKey !== undefined) {
    hintedKeys ??= keysByHint();
    const der = hintedKeys.get(material.publicKey.hint);
    return der === undefined ? undefined : { type: 'PUBLIC KEY', der };
  }
  return undefined;
}

const DIGEST_NAMES: Readonly<Record<string, string>> = {
  SHA2_256: 'sha256',
  SHA2_384: 'sha384',
  SHA2_512: 'sha512',
};

/** The hashedrekord 0.0.1 proposed entry a client sends for a message-signature bundle. */
export function hashedRekordRequestV1(bundle: Bundle, style: PemStyle): unknown {
  const { messageDigest, signature } = bundle.messageSignature!;
  const material = signingMaterial(bundle);
  return {
    kind: 'hashedrekord',
    apiVersion: '0.0.1',
    spec: {
      data: {
        hash: {
          algorithm: DIGEST_NAMES[messageDigest.algorithm],
          value: Buffer.from(messageDigest.digest, 'base64').toString('hex'),
        },
      },
      signature: {
        content: signature,
        publicKey:
          material === undefined
            ? {}
            : { content: toPem(material.der, material.type, style).toString('base64') },
      },
    },
  };
}

/**
 * The envelope string sigstore clients send for dsse 0.0.1: compact JSON with the fields in this
 * order and `keyid` only when set. The bundle keeps the envelope's fields, not that string; this
 * form reproduces the logged envelopeHash of the conformance DSSE entries.
 */
export function envelopeString(envelope: DsseEnvelope): string {
  return JSON.stringify({
    payload: envelope.payload,
    payloadType: envelope.payloadType,
    signatures: envelope.signatures.map(({ sig, keyid }) =>
      keyid === undefined || keyid === '' ? { sig } : { keyid, sig },
    ),
  });
}

/** The dsse 0.0.1 proposed entry for a DSSE bundle. */
export function dsseRequestV1(bundle: Bundle, envelope: DsseEnvelope, style: PemStyle): unknown {
  const material = signingMaterial(bundle);
  return {
    kind: 'dsse',
    apiVersion: '0.0.1',
    spec: {
      proposedContent: {
        envelope: envelopeString(envelope),
        verifiers:
          material === undefined
            ? []
            : [toPem(material.der, material.type, style).toString('base64')],
      },
    },
  };
}

/**
 * The intoto 0.0.2 proposed entry for a DSSE bundle. Two of its fields are client-chosen bytes a
 * bundle does not keep: the PEM text of the key (Rekor stored it verbatim) and the client's
 * envelope hash. They are taken from the logged body; the tests check separately that the PEM
 * holds the bundle's own key.
 */
export function intotoRequestV1(bundle: Bundle, loggedSpec: LoggedIntotoSpec): unknown {
  const envelope = bundle.dsseEnvelope!;
  const loggedSignature = loggedSpec.content.envelope.signatures[0]!;
  return {
    kind: 'intoto',
    apiVersion: '0.0.2',
    spec: {
      content: {
        envelope: {
          payloadType: envelope.payloadType,
          payload: Buffer.from(envelope.payload, 'ascii').toString('base64'),
          signatures: envelope.signatures.map(({ sig, keyid }) => ({
            ...(keyid === undefined || keyid === '' ? {} : { keyid }),
            sig: Buffer.from(sig, 'ascii').toString('base64'),
            publicKey: loggedSignature.publicKey,
          })),
        },
        hash: loggedSpec.content.hash,
      },
    },
  };
}

export interface LoggedIntotoSpec {
  readonly content: {
    readonly envelope: {
      readonly payload?: string;
      readonly signatures: readonly { readonly publicKey: string; readonly sig: string }[];
    };
    readonly hash: { readonly algorithm: string; readonly value: string };
  };
}

/** The Rekor v2 CreateEntryRequest a client sends for a bundle (sigstore-go's form for DSSE). */
export function createEntryRequestV2(bundle: Bundle, signatureOverride?: string): unknown {
  const material = signingMaterial(bundle)!;
  const verifier = {
    [material.type === 'CERTIFICATE' ? 'x509Certificate' : 'publicKey']: {
      rawBytes: material.der.toString('base64'),
    },
    keyDetails: 'PKIX_ECDSA_P256_SHA_256',
  };
  if (bundle.messageSignature !== undefined) {
    return {
      hashedRekordRequestV002: {
        digest: bundle.messageSignature.messageDigest.digest,
        signature: { content: signatureOverride ?? bundle.messageSignature.signature, verifier },
      },
    };
  }
  const envelope = bundle.dsseEnvelope!;
  return {
    dsseRequestV002: {
      envelope: {
        payload: envelope.payload,
        payloadType: envelope.payloadType,
        signatures: envelope.signatures.map(({ sig, keyid }) => ({
          sig: signatureOverride ?? sig,
          keyid: keyid ?? '',
        })),
      },
      verifiers: [verifier],
    },
  };
}

/** Leaf paths (`spec.signature.content`) whose values differ between two JSON documents. */
export function differingPaths(a: unknown, b: unknown, path = ''): string[] {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) {
    return a === b ? [] : [path];
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].sort().flatMap((key) => {
    const child = Array.isArray(a) ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`;
    return differingPaths(
      (a as Record<string, unknown>)[key],
      (b as Record<string, unknown>)[key],
      child,
    );
  });
}
