// The SubjectKeyIdentifier / AuthorityKeyIdentifier pair every certificate Airlock issues carries:
// verifiers (sigstore-js first) build chains by matching a certificate's AKI to its issuer's SKI.
import { AuthorityKeyIdentifier, KeyIdentifier, SubjectKeyIdentifier } from '@peculiar/asn1-x509';
import { subjectKeyIdentifierOf } from './certificate.js';
import { OID } from './oids.js';
import { der, extension } from './tbs-builder.js';

/** SKI of `spki` (the certified key) and AKI = `issuerKeyIdentifier` (the issuer's SKI), both non-critical. */
export function keyIdentifierExtensions(spki: Uint8Array, issuerKeyIdentifier: Uint8Array) {
  return [
    extension(
      OID.subjectKeyIdentifier,
      false,
      der(new SubjectKeyIdentifier(subjectKeyIdentifierOf(spki))),
    ),
    extension(
      OID.authorityKeyIdentifier,
      false,
      der(new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(issuerKeyIdentifier) })),
    ),
  ];
}
