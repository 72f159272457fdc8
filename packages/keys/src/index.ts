// @airlock/keys: one Signer interface for every key in Airlock, and its backends.
export { KeysError, type KeysErrorCode } from './errors.js';
export {
  algorithmOf,
  digestOf,
  type SignatureAlgorithm,
  type Signer,
  spkiDer,
  verifySignature,
} from './signer.js';
export { SoftwareSigner } from './software.js';
