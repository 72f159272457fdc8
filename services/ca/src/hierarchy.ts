// The CA key ceremony `airlock up` runs once: a self-signed root and, optionally, an intermediate
// under it, each signed through a Signer so the keys can stay in an HSM.
import type { Signer } from '@airlock/keys';
import {
  createIntermediateCertificate,
  createRootCertificate,
  type DistinguishedName,
  pemEncode,
} from '@airlock/x509';
import { CaError } from './ca-error.js';

export const DEFAULT_ROOT_VALIDITY_DAYS = 3650;
/** Shorter than the root's, so the intermediate can be replaced under the same root. */
export const DEFAULT_INTERMEDIATE_VALIDITY_DAYS = 1825;
export const DEFAULT_CA_ORGANIZATION = 'Airlock';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface CaHierarchyOptions {
  readonly rootSigner: Signer;
  /** Without it the root issues leaves itself (as Fulcio's pkcs11ca does). */
  readonly intermediateSigner?: Signer;
  /** Default: O=Airlock, CN=Airlock Root CA. */
  readonly rootSubject?: DistinguishedName;
  /** Default: O=Airlock, CN=Airlock Intermediate CA. */
  readonly intermediateSubject?: DistinguishedName;
  /** Organization for the default subjects (default "Airlock"). */
  readonly organization?: string;
  /** Default: now. */
  readonly notBefore?: Date;
  readonly rootValidityDays?: number;
  readonly intermediateValidityDays?: number;
}

export interface CaHierarchy {
  readonly root: Uint8Array;
  readonly intermediate?: Uint8Array;
  /** What the CA is started with: the issuing certificate first, the root last (DER). */
  readonly chain: readonly Uint8Array[];
  /** The same chain as one PEM text. */
  readonly chainPem: string;
}

function days(value: number | undefined, fallback: number, name: string): number {
  const result = value ?? fallback;
  if (!Number.isSafeInteger(result) || result < 1) {
    throw new CaError('INVALID_CONFIG', `${name} must be a whole number of days, at least 1`);
  }
  return result;
}

export async function createCaHierarchy(options: CaHierarchyOptions): Promise<CaHierarchy> {
  const organization = options.organization ?? DEFAULT_CA_ORGANIZATION;
  const notBefore = new Date(Math.floor((options.notBefore ?? new Date()).getTime() / 1000) * 1000);
  const rootDays = days(options.rootValidityDays, DEFAULT_ROOT_VALIDITY_DAYS, 'rootValidityDays');
  const root = await createRootCertificate({
    signer: options.rootSigner,
    subject: options.rootSubject ?? { organization, commonName: `${organization} Root CA` },
    notBefore,
    notAfter: new Date(notBefore.getTime() + rootDays * DAY_MS),
  });
  if (options.intermediateSigner === undefined) {
    return { root, chain: [root], chainPem: pemEncode(root) };
  }
  const intermediateDays = days(
    options.intermediateValidityDays,
    DEFAULT_INTERMEDIATE_VALIDITY_DAYS,
    'intermediateValidityDays',
  );
  if (intermediateDays > rootDays) {
    throw new CaError('INVALID_CONFIG', 'the intermediate cannot outlive the root');
  }
  const intermediate = await createIntermediateCertificate({
    issuerCert: root,
    issuerSigner: options.rootSigner,
    publicKey: options.intermediateSigner.publicKey,
    subject: options.intermediateSubject ?? {
      organization,
      commonName: `${organization} Intermediate CA`,
    },
    notBefore,
    notAfter: new Date(notBefore.getTime() + intermediateDays * DAY_MS),
  });
  return {
    root,
    intermediate,
    chain: [intermediate, root],
    chainPem: pemEncode(intermediate) + pemEncode(root),
  };
}
