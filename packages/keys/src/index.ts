// @airlock/keys: one Signer interface for every key in Airlock, its backends, and key URIs.
export { ecdsaRawToDer } from './ecdsa-der.js';
export { KeysError, type KeysErrorCode } from './errors.js';
export { type ReadKeyFileOptions, readKeyFile, writeEncryptedKeyFile } from './file.js';
export { generateKey, listTokenKeys, readPublicKey } from './manage.js';
export { type OpenedSigner, type OpenSignerOptions, openPkcs11Token, openSigner } from './open.js';
export {
  DEFAULT_PKCS11_SESSIONS,
  generateKeyPair,
  listKeys,
  type Pkcs11Handle,
  type Pkcs11KeyInfo,
  type Pkcs11KeySelector,
  type Pkcs11KeySpec,
  Pkcs11Signer,
  Pkcs11Token,
  type Pkcs11TokenOptions,
} from './pkcs11.js';
export {
  algorithmOf,
  digestOf,
  type SignatureAlgorithm,
  type Signer,
  spkiDer,
  verifySignature,
} from './signer.js';
export { SoftwareSigner } from './software.js';
export {
  type CredentialOptions,
  type FileKeyUri,
  formatPkcs11Uri,
  KEY_PASSWORD_ENV,
  type KeyUri,
  PKCS11_PIN_ENV,
  type Pkcs11ObjectType,
  type Pkcs11Uri,
  parseFileKeyUri,
  parseKeyUri,
  parsePkcs11Uri,
  resolveKeyFilePassword,
  resolvePkcs11Pin,
} from './uri.js';
