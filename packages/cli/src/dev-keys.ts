// Development keys in files, created on first use. They make `airlock up` work on a machine with no
// HSM; every start that uses them says so on stderr. Production keys are `pkcs11:` URIs.

import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SignatureAlgorithm } from '@airlock/keys';

/** Returns the `file:` URI of a development key at `path`, generating the key if it is not there. */
export function ensureDevKey(path: string, algorithm: SignatureAlgorithm): string {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const { privateKey } =
      algorithm === 'ed25519'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('ec', {
            namedCurve: algorithm === 'ecdsa-p256-sha256' ? 'prime256v1' : 'secp384r1',
          });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
    writeFileSync(path, pem, { mode: 0o600, flag: 'wx' });
  }
  return `file:${path}`;
}
