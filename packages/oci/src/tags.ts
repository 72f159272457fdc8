// Tag names derived from a subject digest: cosign's `sha256-<hex>.sig/.att/.sbom` and the OCI 1.1
// referrers tag schema `sha256-<hex>` used when a registry has no referrers API.
import { parseDigest } from './digest.js';

export type AttachmentKind = 'sig' | 'att' | 'sbom';

/** OCI distribution-spec: `<alg>-<ref>`, the algorithm cut to 32 characters and the hex to 64. */
export function referrersTag(subjectDigest: string): string {
  const [algorithm, hex] = parseDigest(subjectDigest).split(':') as [string, string];
  return `${algorithm.slice(0, 32)}-${hex.slice(0, 64)}`;
}

/** cosign's legacy tag for a subject's signatures (`sig`), attestations (`att`) or SBOM (`sbom`). */
export function attachmentTag(subjectDigest: string, kind: AttachmentKind): string {
  const [algorithm, hex] = parseDigest(subjectDigest).split(':') as [string, string];
  return `${algorithm}-${hex}.${kind}`;
}
