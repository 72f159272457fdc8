// Where the development stack keeps its state: one folder (default .airlock/), created on first start.
import { join } from 'node:path';

export interface StackLayout {
  readonly dir: string;
  /** SoftHSM token store, its configuration and PIN files. */
  readonly softhsmDir: string;
  readonly softhsmConf: string;
  readonly userPinFile: string;
  readonly soPinFile: string;
  /** Development key files, when SoftHSM is not installed. */
  readonly keysDir: string;
  readonly caChain: string;
  readonly caRoot: string;
  /** The TSA chain: signing certificate, then its root. */
  readonly tsaChain: string;
  readonly tlogDir: string;
  readonly ctlogDir: string;
  readonly trustedRoot: string;
  /** The TUF repository that distributes the trusted root and signing config. */
  readonly tufDir: string;
  /** Hashes of the trust files last published through TUF. */
  readonly tufPublished: string;
  readonly signingConfig: string;
  /** What was decided at the first start (creation time, key backend) and must not change. */
  readonly state: string;
  /** What clients read: service URLs, trust files, key URIs. */
  readonly stackJson: string;
}

export function stackLayout(dir: string): StackLayout {
  const softhsmDir = join(dir, 'softhsm');
  return {
    dir,
    softhsmDir,
    softhsmConf: join(softhsmDir, 'softhsm2.conf'),
    userPinFile: join(softhsmDir, 'user.pin'),
    soPinFile: join(softhsmDir, 'so.pin'),
    keysDir: join(dir, 'keys'),
    caChain: join(dir, 'ca', 'chain.pem'),
    caRoot: join(dir, 'ca', 'root.pem'),
    tsaChain: join(dir, 'tsa', 'chain.pem'),
    tlogDir: join(dir, 'tlog'),
    ctlogDir: join(dir, 'ctlog'),
    trustedRoot: join(dir, 'trusted_root.json'),
    tufDir: join(dir, 'tuf'),
    tufPublished: join(dir, 'tuf-published.json'),
    signingConfig: join(dir, 'signing_config.json'),
    state: join(dir, 'state.json'),
    stackJson: join(dir, 'stack.json'),
  };
}
