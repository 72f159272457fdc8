// What a CT log accepts: a chain from a (pre)certificate up to one of its accepted roots, every link
// signed by the next. Anything else is refused before it reaches the log.
import { X509Certificate } from 'node:crypto';
import { ApiError } from '@airlock/http';
import { certificateExtensions } from '@airlock/x509';

/** Chains longer than this are refused: Fulcio's is leaf, intermediate, root. */
export const MAX_CHAIN_LENGTH = 10;
/** Certificates larger than this are refused. */
export const MAX_CERTIFICATE_BYTES = 32 * 1024;

export interface AcceptedChain {
  /** The submitted (pre)certificate, DER. */
  readonly leaf: Uint8Array;
  /** Its issuer, DER. */
  readonly issuer: Uint8Array;
  /** Everything after the leaf, up to and including the accepted root, DER. */
  readonly rest: readonly Uint8Array[];
}

function parse(der: Uint8Array, position: number): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch {
    throw new ApiError(400, `chain[${position}] is not a DER certificate`);
  }
}

/**
 * Checks `chain` (base64 DER, leaf first) for add-chain (`precert` false: no CT poison allowed) or
 * add-pre-chain (`precert` true: the leaf must carry the poison). The chain must end at an accepted
 * root, or at a certificate an accepted root issued (the root is then appended).
 */
export function acceptChain(
  body: unknown,
  roots: readonly X509Certificate[],
  precert: boolean,
  verifiedLinks: VerifiedLinks = new VerifiedLinks(),
): AcceptedChain {
  const list = (body as { chain?: unknown } | null)?.chain;
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_CHAIN_LENGTH) {
    throw new ApiError(
      400,
      `the body must be {"chain": [1..${MAX_CHAIN_LENGTH} base64 DER certificates]}`,
    );
  }
  const ders = list.map((item, i) => {
    if (typeof item !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(item)) {
      throw new ApiError(400, `chain[${i}] is not base64`);
    }
    const der = Buffer.from(item, 'base64');
    if (der.length === 0 || der.length > MAX_CERTIFICATE_BYTES)
      throw new ApiError(400, `chain[${i}] has a bad size`);
    return der;
  });
  const certs = ders.map((der, i) => parse(der, i));

  let hasPoison: boolean;
  try {
    hasPoison = certificateExtensions(ders[0]!).precertificatePoison;
  } catch {
    throw new ApiError(400, 'chain[0] cannot be read');
  }
  if (precert && !hasPoison)
    throw new ApiError(400, 'add-pre-chain needs a precertificate (CT poison extension)');
  if (!precert && hasPoison) throw new ApiError(400, 'add-chain does not take precertificates');

  for (let i = 0; i + 1 < certs.length; i++) {
    const [child, parent] = [certs[i]!, certs[i + 1]!];
    if (!parent.ca || !verifiedLinks.issued(child, parent)) {
      throw new ApiError(400, `chain[${i}] is not issued by chain[${i + 1}]`);
    }
  }
  const last = certs.at(-1)!;
  const rest = ders.slice(1);
  const isRoot = roots.some((root) => Buffer.from(root.raw).equals(last.raw));
  if (!isRoot) {
    const issuer = roots.find(
      (root) => root.ca && last.checkIssued(root) && last.verify(root.publicKey),
    );
    if (!issuer) throw new ApiError(400, 'the chain does not end at an accepted root');
    rest.push(issuer.raw);
  }
  if (rest.length === 0) throw new ApiError(400, 'a root certificate itself cannot be logged');
  return { leaf: ders[0]!, issuer: rest[0]!, rest };
}

/**
 * Remembers chain links whose signatures checked out: every precertificate arrives with the same
 * intermediate and root, and re-verifying that link on each request costs more than the rest. Only
 * CA-to-CA links are remembered (the leaf changes every time); the set is bounded.
 */
export class VerifiedLinks {
  readonly #links = new Set<string>();
  constructor(readonly capacity = 64) {}

  issued(child: X509Certificate, parent: X509Certificate): boolean {
    const key = child.ca ? `${child.fingerprint256}>${parent.fingerprint256}` : undefined;
    if (key !== undefined && this.#links.has(key)) return true;
    const ok = child.checkIssued(parent) && child.verify(parent.publicKey);
    if (ok && key !== undefined) {
      if (this.#links.size >= this.capacity) this.#links.clear();
      this.#links.add(key);
    }
    return ok;
  }
}
