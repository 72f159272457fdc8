// A Signer over a private key held by node:crypto in this process: for tests, for the development
// default (`file:` keys) and for the client's ephemeral keyless keys. Production keys live in an HSM.
import { createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { KeysError } from './errors.js';
import { algorithmOf, digestOf, type SignatureAlgorithm, type Signer } from './signer.js';

export class SoftwareSigner implements Signer {
  readonly algorithm: SignatureAlgorithm;
  readonly publicKey: KeyObject;
  readonly #privateKey: KeyObject;

  constructor(privateKey: KeyObject) {
    if (privateKey.type !== 'private')
      throw new KeysError('UNSUPPORTED_KEY', 'a signer needs a private key');
    this.algorithm = algorithmOf(privateKey);
    this.publicKey = createPublicKey(privateKey);
    this.#privateKey = privateKey;
  }

  static generate(algorithm: SignatureAlgorithm): SoftwareSigner {
    const { privateKey } =
      algorithm === 'ed25519'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('ec', {
            namedCurve: algorithm === 'ecdsa-p256-sha256' ? 'prime256v1' : 'secp384r1',
          });
    return new SoftwareSigner(privateKey);
  }

  async sign(message: Uint8Array): Promise<Uint8Array> {
    return sign(digestOf(this.algorithm), message, this.#privateKey);
  }

  /** The private key, for writing it to an encrypted file. Never log it. */
  exportPrivateKey(): KeyObject {
    return this.#privateKey;
  }
}
