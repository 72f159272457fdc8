// Fulcio-style leaf certificates from a throwaway CA, and hashedrekord entries signed with their keys:
// entries that carry an identity, as a keyless signer's would.
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { SoftwareSigner } from '@airlock/keys';
import { buildLeafTbs, createRootCertificate, pemEncode, signTbs } from '@airlock/x509';

export class TestCa {
  readonly signer = SoftwareSigner.generate('ecdsa-p256-sha256');
  root!: Uint8Array;

  static async create(): Promise<TestCa> {
    const ca = new TestCa();
    const now = Date.now();
    ca.root = await createRootCertificate({
      signer: ca.signer,
      subject: { commonName: 'Airlock test CA', organization: 'Airlock' },
      notBefore: new Date(now - 3600_000),
      notAfter: new Date(now + 365 * 24 * 3600_000),
    });
    return ca;
  }

  /** A hashedrekord entry for a random artifact, signed by a fresh key certified for `email`. */
  async hashedrekord(email: string, issuer = 'https://idp.airlock.test') {
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const tbs = buildLeafTbs({
      issuerCert: this.root,
      publicKey: pair.publicKey,
      notBefore: new Date(Date.now() - 1000),
      subjectAlternativeName: { type: 'email', value: email },
      extensions: { issuer },
    });
    const certificate = await signTbs(tbs, this.signer);
    const artifact = randomBytes(64);
    const digest = createHash('sha256').update(artifact).digest('hex');
    return {
      certificate,
      digest,
      entry: {
        apiVersion: '0.0.1',
        kind: 'hashedrekord',
        spec: {
          data: { hash: { algorithm: 'sha256', value: digest } },
          signature: {
            content: sign('sha256', artifact, pair.privateKey).toString('base64'),
            publicKey: {
              content: Buffer.from(pemEncode(certificate)).toString('base64'),
            },
          },
        },
      },
    };
  }
}
