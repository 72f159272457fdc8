// Reads the sigstore-conformance bundle-verify folders the way the upstream harness does: artifact,
// policy (key.pub, or identity/issuer files, or the defaults) and trusted root for each case.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseBundleJson, type VerificationPolicy } from '@airlock/verify';
import { sharedVectorsPath } from '../../../../test/support/shared-vectors.js';

export const CASES_DIR = sharedVectorsPath('conformance', 'bundle-verify');
export const PRODUCTION_TRUSTED_ROOT = sharedVectorsPath('npm-provenance', 'trusted_root.json');

interface CasesIndex {
  defaults: { identity: string; issuer: string };
  cases: { case: string; expected: 'must-fail' | 'verify-ok' }[];
}

export const CASES_INDEX = JSON.parse(
  readFileSync(sharedVectorsPath('conformance', 'cases.shared.json'), 'utf8'),
) as CasesIndex;

export interface ConformanceCase {
  name: string;
  mustFail: boolean;
  /** The parsed bundle, or the error parsing it raised (the malformed-JSON case). */
  bundle: () => unknown;
  artifact: Buffer;
  artifactSha256: string;
  policy: VerificationPolicy;
  trustedRoot: unknown;
}

export function conformanceCases(): ConformanceCase[] {
  return readdirSync(CASES_DIR)
    .filter((name) => statSync(join(CASES_DIR, name)).isDirectory())
    .sort()
    .map((name) => {
      const dir = join(CASES_DIR, name);
      const file = (f: string) => join(dir, f);
      const artifact = readFileSync(
        existsSync(file('artifact')) ? file('artifact') : join(CASES_DIR, 'a.txt'),
      );
      const policy: VerificationPolicy = existsSync(file('key.pub'))
        ? { publicKey: readFileSync(file('key.pub'), 'utf8') }
        : {
            identity: existsSync(file('identity'))
              ? readFileSync(file('identity'), 'utf8').trim()
              : CASES_INDEX.defaults.identity,
            issuer: existsSync(file('issuer'))
              ? readFileSync(file('issuer'), 'utf8').trim()
              : CASES_INDEX.defaults.issuer,
          };
      const rootFile = existsSync(file('trusted_root.json'))
        ? file('trusted_root.json')
        : PRODUCTION_TRUSTED_ROOT;
      return {
        name,
        mustFail: name.endsWith('_fail'),
        bundle: () => parseBundleJson(readFileSync(file('bundle.sigstore.json'))),
        artifact,
        artifactSha256: createHash('sha256').update(artifact).digest('hex'),
        policy,
        trustedRoot: JSON.parse(readFileSync(rootFile, 'utf8')),
      };
    });
}
