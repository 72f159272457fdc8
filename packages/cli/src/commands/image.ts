// Container images with cosign's verbs and flags: `sign`, `attest`, `verify`, `verify-attestation`,
// `attach sbom`, `download`, `tree`, `triangulate`. A tag is resolved to a digest first and only the
// digest is ever signed or verified; registries are untrusted storage, so everything read from one is
// checked against that digest.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
// Registry, signing and verification libraries load only when an image command runs.
import type { SignOptions } from '@airlock/client';
import type {
  CosignClient,
  Descriptor,
  FetchedManifest,
  ImageReference,
  OciError,
  TagSummary,
} from '@airlock/oci';
import type { VerificationPolicy } from '@airlock/verify';
import type { Command } from 'commander';
import { readBytesFile } from '../encoding.js';
import { CheckFailed, UsageError } from '../errors.js';
import type { ItemVerdict } from '../image-checks.js';
import {
  addSigningServiceFlags,
  type DeviceLoginTerminal,
  type IdentityFlags,
  setupOptions,
} from './sign.js';

type Oci = typeof import('@airlock/oci');
type Client = typeof import('@airlock/client');
type Print = (line: string) => void;

interface RegistryFlags {
  allowInsecureRegistry?: boolean;
  allowHttpRegistry?: boolean;
  registryCacert?: string;
}

interface SigningFlags extends RegistryFlags, IdentityFlags {
  key?: string;
  fulcioUrl?: string;
  rekorUrl?: string;
  timestampServerUrl?: string;
  signingConfig?: string;
  trustedRoot?: string;
  stackDir?: string;
  yes?: boolean;
  newBundleFormat?: boolean;
  registryReferrersMode: string;
}

interface PolicyFlags extends RegistryFlags {
  key?: string;
  certificateIdentity?: string;
  certificateIdentityRegexp?: string;
  certificateOidcIssuer?: string;
  certificateOidcIssuerRegexp?: string;
  trustedRoot?: string;
  stackDir?: string;
  type?: string;
}

/** An opened registry: the reference as given, and a cosign client speaking to its registry. */
interface Registry {
  readonly oci: Oci;
  readonly ref: ImageReference;
  readonly cosign: CosignClient;
}

// --- registry access and its failures ---

/** Messages from TLS stacks and libraries may span lines; the CLI prints one. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * A registry failure as the CLI's verdict: content that does not match its digest, or that names
 * another image, is a failed check (exit 1); the rest (reference, network, auth) is for the user.
 */
function registryFailure(error: OciError): Error {
  const message = oneLine(`registry: ${error.code}: ${error.message}`);
  return error.code === 'DIGEST_MISMATCH' || error.code === 'SUBJECT_MISMATCH'
    ? new CheckFailed(message)
    : new UsageError(message);
}

/** Runs an image command, turning @airlock/oci's and @airlock/client's errors into verdicts. */
async function runImageCommand(work: (oci: Oci) => Promise<void>): Promise<void> {
  const oci = await import('@airlock/oci');
  try {
    await work(oci);
  } catch (error) {
    if (error instanceof oci.OciError) throw registryFailure(error);
    if (error instanceof Error && error.name === 'ClientError') {
      const { ClientError } = await import('@airlock/client');
      if (error instanceof ClientError) {
        throw error.code === 'CHECK_FAILED'
          ? new CheckFailed(error.message)
          : new UsageError(error.message);
      }
    }
    throw error;
  }
}

function readText(path: string): string {
  return Buffer.from(readBytesFile(path)).toString('utf8');
}

/**
 * A registry client for the image's registry: credentials from the docker config, plain HTTP only
 * to this registry and only when asked, TLS verified always (a private CA via --registry-cacert).
 */
async function openRegistry(oci: Oci, image: string, flags: RegistryFlags): Promise<Registry> {
  const ref = oci.parseReference(image);
  const plainHttp = flags.allowHttpRegistry === true || flags.allowInsecureRegistry === true;
  const registry = new oci.RegistryClient({
    credentials: await oci.loadDockerConfig(),
    allowHttp: plainHttp ? [oci.apiHost(ref.registry)] : false,
    ...(flags.registryCacert !== undefined ? { tls: { ca: readText(flags.registryCacert) } } : {}),
  });
  return { oci, ref, cosign: new oci.CosignClient(registry) };
}

/**
 * The image a reference names now, fetched and checked against its digest, and that digest pinned
 * into the reference: everything after this addresses the image by digest, so a tag moved meanwhile
 * changes nothing.
 */
async function resolveSubject({
  oci,
  ref,
  cosign,
}: Registry): Promise<{ subject: FetchedManifest; pinned: ImageReference }> {
  const subject = await cosign.registry.resolve(ref);
  return { subject, pinned: oci.referenceWithDigest(ref, subject.digest) };
}

/** The pinned reference, and for a tag which tag named it: so the user sees what was used. */
function describeTarget(oci: Oci, ref: ImageReference, pinned: ImageReference): string {
  const tag = ref.digest === undefined ? ` (${oci.formatReference(ref)} names it now)` : '';
  return `${oci.formatReference(pinned)}${tag}`;
}

function addRegistryFlags(command: Command): Command {
  return command
    .option(
      '--allow-insecure-registry',
      "allow plain HTTP to the image's registry (TLS certificates are still verified: see --registry-cacert)",
    )
    .option('--allow-http-registry', "allow plain HTTP to the image's registry")
    .option('--registry-cacert <file>', "PEM CA bundle to verify the registry's TLS certificate");
}

// --- signing ---

async function withSigningSetup(
  flags: SigningFlags,
  terminal: DeviceLoginTerminal,
  sign: (client: Client, options: SignOptions) => Promise<void>,
): Promise<void> {
  const client = await import('@airlock/client');
  const setup = await client.openSigningSetup(setupOptions(flags, terminal));
  try {
    await sign(client, setup.signOptions);
  } finally {
    await setup.close();
  }
}

/**
 * Where a new signature or attestation goes. The legacy tags are the default, as in cosign v2; a
 * bundle referrer (OCI 1.1, with the tag-schema index on registries without the referrers API) with
 * --new-bundle-format or --registry-referrers-mode oci-1-1.
 */
function storesReferrer(flags: SigningFlags): boolean {
  const mode = flags.registryReferrersMode;
  if (mode !== 'legacy' && mode !== 'oci-1-1') {
    throw new UsageError(`--registry-referrers-mode must be legacy or oci-1-1, not ${mode}`);
  }
  return flags.newBundleFormat === true || mode === 'oci-1-1';
}

/** The legacy annotation holds a Rekor v1 entry's signed timestamp; a Rekor v2 log gives none. */
function requireSetLog(options: SignOptions): void {
  if (!options.tlogs.some((tlog) => tlog.majorApiVersion === 1)) {
    throw new UsageError(
      'the legacy .sig/.att layout needs a Rekor v1 log (it keeps a signed entry timestamp, not an inclusion proof): use --new-bundle-format',
    );
  }
}

/** An in-toto subject names a SHA-256: an image addressed by SHA-512 cannot be attested here. */
function requireSha256(digest: string): void {
  if (!digest.startsWith('sha256:')) {
    throw new UsageError(`${digest}: only sha256 image digests can be signed as in-toto subjects`);
  }
}

/** The statement the client built must name exactly the digest being signed. */
function checkStatementSubject(
  statement: { readonly subject: readonly { readonly digest: { readonly sha256: string } }[] },
  digest: string,
): void {
  const named = statement.subject.map((s) => `sha256:${s.digest.sha256}`);
  if (named.length !== 1 || named[0] !== digest) {
    throw new CheckFailed(`the statement names ${named.join(', ')}, not ${digest}`);
  }
}

async function pushBundleReferrer(
  registry: Registry,
  pinned: ImageReference,
  bundle: unknown,
  what: string,
  print: Print,
): Promise<void> {
  const { oci, cosign, ref } = registry;
  const attached = await cosign.attachBundleReferrer({
    ref: pinned,
    bundle: new TextEncoder().encode(JSON.stringify(bundle)),
  });
  const index = attached.referrersTagUpdated
    ? `, listed in ${oci.formatReference(oci.referenceWithTag(pinned, oci.referrersTag(attached.subject.digest)))}`
    : '';
  print(
    `Pushed ${what} for ${describeTarget(oci, ref, pinned)} as referrer ${attached.manifestDigest}${index}`,
  );
}

async function signImage(
  image: string,
  flags: SigningFlags,
  print: Print,
  terminal: DeviceLoginTerminal,
) {
  const referrer = storesReferrer(flags);
  await runImageCommand(async (oci) => {
    const registry = await openRegistry(oci, image, flags);
    const { subject, pinned } = await resolveSubject(registry);
    const dockerReference = oci.dockerReferenceOf(registry.ref);
    await withSigningSetup(flags, terminal, async (client, options) => {
      if (referrer) {
        // cosign v3: an in-toto statement of its sign type about the digest, in a bundle referrer.
        requireSha256(subject.digest);
        const result = await client.attestBlob({
          ...options,
          artifact: subject.bytes,
          artifactName: dockerReference,
          predicate: '{}',
          type: oci.COSIGN_SIGN_PREDICATE_TYPE,
        });
        checkStatementSubject(result.statement, subject.digest);
        await pushBundleReferrer(registry, pinned, result.bundle, 'a signature bundle', print);
        return;
      }
      requireSetLog(options);
      const { rekorBundleOf, firstTimestampOf } = await import('../image-checks.js');
      const payload = oci.buildSimpleSigningPayload({ dockerReference, digest: subject.digest });
      const result = await client.signBlob({ ...options, artifact: payload });
      const rekorBundle = rekorBundleOf(result.bundle);
      if (rekorBundle === undefined) {
        throw new UsageError('the log gave no signed entry timestamp: use --new-bundle-format');
      }
      const timestamp = firstTimestampOf(result.bundle);
      // Attached by digest: the payload names it, and the tag may have moved since it was read.
      const attached = await registry.cosign.attachSignature({
        ref: pinned,
        payload,
        signature: result.signature,
        bundle: rekorBundle,
        ...(result.certificatePem !== undefined ? { certificatePem: result.certificatePem } : {}),
        ...(timestamp !== undefined ? { rfc3161Timestamp: timestamp } : {}),
      });
      print(
        `Pushed signature for ${describeTarget(oci, registry.ref, pinned)} to ${oci.formatReference(oci.referenceWithTag(pinned, attached.tag))}`,
      );
    });
  });
}

async function attestImage(
  image: string,
  flags: SigningFlags & { predicate: string; type: string },
  print: Print,
  terminal: DeviceLoginTerminal,
) {
  const referrer = storesReferrer(flags);
  const predicate = readBytesFile(flags.predicate);
  await runImageCommand(async (oci) => {
    const registry = await openRegistry(oci, image, flags);
    const { subject, pinned } = await resolveSubject(registry);
    requireSha256(subject.digest);
    await withSigningSetup(flags, terminal, async (client, options) => {
      if (!referrer) requireSetLog(options);
      // The manifest bytes hash to the digest (checked when fetched): the statement's subject.
      const result = await client.attestBlob({
        ...options,
        artifact: subject.bytes,
        artifactName: oci.dockerReferenceOf(registry.ref),
        predicate,
        type: flags.type,
      });
      checkStatementSubject(result.statement, subject.digest);
      if (referrer) {
        await pushBundleReferrer(registry, pinned, result.bundle, 'an attestation bundle', print);
        return;
      }
      const { rekorBundleOf } = await import('../image-checks.js');
      const rekorBundle = rekorBundleOf(result.bundle);
      if (rekorBundle === undefined) {
        throw new UsageError('the log gave no signed entry timestamp: use --new-bundle-format');
      }
      const attached = await registry.cosign.attachAttestation({
        ref: pinned,
        envelope: new TextEncoder().encode(JSON.stringify(result.envelope)),
        bundle: rekorBundle,
        ...(result.certificatePem !== undefined ? { certificatePem: result.certificatePem } : {}),
      });
      print(
        `Pushed ${result.statement.predicateType} attestation for ${describeTarget(oci, registry.ref, pinned)} to ${oci.formatReference(oci.referenceWithTag(pinned, attached.tag))}`,
      );
    });
  });
}

function addSigningFlags(command: Command): Command {
  return addSigningServiceFlags(addRegistryFlags(command))
    .option(
      '--new-bundle-format',
      'store a Sigstore bundle v0.3 as an OCI 1.1 referrer (default: the legacy .sig/.att tags)',
    )
    .option(
      '--registry-referrers-mode <mode>',
      'legacy: tags unless --new-bundle-format; oci-1-1: always a bundle referrer',
      'legacy',
    );
}

// --- verification ---

/** --trusted-root, else the development stack's; never anything from the internet. */
function loadTrustedRoot(flags: PolicyFlags): unknown {
  let path = flags.trustedRoot;
  if (path === undefined) {
    const stackJson = join(resolve(flags.stackDir ?? '.airlock'), 'stack.json');
    if (existsSync(stackJson)) {
      const stack = JSON.parse(readFileSync(stackJson, 'utf8')) as { trustedRoot?: unknown };
      if (typeof stack.trustedRoot === 'string') path = stack.trustedRoot;
    }
  }
  if (path === undefined) {
    throw new UsageError(
      'no trusted root: give --trusted-root (or run where the development stack wrote .airlock/)',
    );
  }
  try {
    return JSON.parse(readText(path));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`trusted root ${path} is not valid JSON`);
  }
}

function checkRegexp(flag: string, pattern: string | undefined): void {
  if (pattern === undefined) return;
  try {
    new RegExp(pattern);
  } catch {
    throw new UsageError(`${flag} is not a regular expression`);
  }
}

/** `--key`: a PEM public key file, or a key in a token (`pkcs11:` URI) whose public half is read. */
async function publicKeyOf(key: string): Promise<KeyObject> {
  if (/^pkcs11:/i.test(key)) {
    const { readPublicKey } = await import('@airlock/keys');
    return readPublicKey(key);
  }
  try {
    return createPublicKey(readText(key));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`--key ${key} is not a PEM public key`);
  }
}

async function policyOf(flags: PolicyFlags): Promise<VerificationPolicy> {
  const identity = flags.certificateIdentity ?? flags.certificateIdentityRegexp;
  const issuer = flags.certificateOidcIssuer ?? flags.certificateOidcIssuerRegexp;
  if (flags.key !== undefined) {
    if (identity !== undefined || issuer !== undefined) {
      throw new UsageError('give --key or a certificate identity and issuer, not both');
    }
    return { publicKey: await publicKeyOf(flags.key) };
  }
  // As cosign: keyless verification names both who signed and which IdP vouched for them.
  if (identity === undefined || issuer === undefined) {
    throw new UsageError(
      'keyless verification needs --certificate-identity(-regexp) and --certificate-oidc-issuer(-regexp), or --key',
    );
  }
  checkRegexp('--certificate-identity-regexp', flags.certificateIdentityRegexp);
  checkRegexp('--certificate-oidc-issuer-regexp', flags.certificateOidcIssuerRegexp);
  const pick = (key: string, value: string | undefined) =>
    value !== undefined ? { [key]: value } : {};
  return {
    ...pick('identity', flags.certificateIdentity),
    ...pick('identityRegexp', flags.certificateIdentityRegexp),
    ...pick('issuer', flags.certificateOidcIssuer),
    ...pick('issuerRegexp', flags.certificateOidcIssuerRegexp),
  };
}

async function predicateTypeOf(type: string): Promise<string> {
  const { ClientError, predicateTypeOf: resolveType } = await import('@airlock/client');
  try {
    return resolveType(type);
  } catch (error) {
    if (error instanceof ClientError) throw new UsageError(`--type: ${error.message}`);
    throw error;
  }
}

/**
 * Verifies every signature (or attestation) attached to the digest the reference names now, in
 * both layouts. Passes when at least one verifies under the policy; prints each verdict and how
 * many were checked. Fails, in one line, when none does.
 */
async function verifyImage(
  image: string,
  flags: PolicyFlags,
  kind: 'signature' | 'attestation',
  print: Print,
  warn: Print,
) {
  const policy = await policyOf(flags);
  const trustedRoot = loadTrustedRoot(flags);
  const wantedType =
    kind === 'attestation' && flags.type !== undefined
      ? await predicateTypeOf(flags.type)
      : undefined;
  await runImageCommand(async (oci) => {
    const registry = await openRegistry(oci, image, flags);
    const { subject, pinned } = await resolveSubject(registry);
    const checks = await import('../image-checks.js');
    const context = { subjectDigest: subject.digest, trustedRoot, policy };
    let verdicts: ItemVerdict[];
    let skipped = 0;
    if (kind === 'signature') {
      const listing = await registry.cosign.listSignatures(pinned);
      verdicts = [
        ...listing.found.map((item) => checks.checkSignature(item, context)),
        ...listing.rejected.map(checks.rejectedVerdict),
      ];
    } else {
      const listing = await registry.cosign.listAttestations(pinned);
      // Selected by the statement's (as yet unverified) type; the verified one is compared below.
      const selected = listing.found.filter(
        (item) => wantedType === undefined || item.predicateType === wantedType,
      );
      skipped = listing.found.length - selected.length;
      verdicts = [
        ...selected.map((item) => {
          const verdict = checks.checkAttestation(item, context);
          return verdict.ok && wantedType !== undefined && verdict.predicateType !== wantedType
            ? { ok: false as const, where: verdict.where, reason: 'predicate type changed' }
            : verdict;
        }),
        ...listing.rejected.map(checks.rejectedVerdict),
      ];
    }
    const noun = wantedType === undefined ? `${kind}s` : `${wantedType} ${kind}s`;
    const valid = verdicts.filter((v) => v.ok);
    const target = oci.formatReference(pinned);
    const others = skipped === 0 ? '' : ` (${skipped} of other types not checked)`;
    if (valid.length === 0) {
      const reasons = verdicts
        .filter((v) => !v.ok)
        .map((v) => oneLine(`${v.where}: ${v.reason}`))
        .join('; ');
      throw new CheckFailed(
        verdicts.length === 0
          ? `no ${noun} attached to ${target}${others}`
          : `none of the ${verdicts.length} ${noun} checked on ${target} verifies: ${reasons}`,
      );
    }
    for (const verdict of verdicts) {
      if (verdict.ok) {
        const type = kind === 'attestation' ? ` ${verdict.predicateType}` : '';
        print(`OK ${verdict.where}${type}: signed by ${verdict.signer}`);
      } else {
        warn(oneLine(`refused ${verdict.where}: ${verdict.reason}`));
      }
    }
    print(
      `Verified OK: ${valid.length} of ${verdicts.length} ${noun} checked on ${describeTarget(oci, registry.ref, pinned)}${others}`,
    );
  });
}

function addPolicyFlags(command: Command): Command {
  return addRegistryFlags(command)
    .option(
      '--certificate-identity <identity>',
      'the signer: the certificate SAN (email or URI), exactly',
    )
    .option(
      '--certificate-identity-regexp <regexp>',
      'the signer, as a regular expression matched against the whole SAN',
    )
    .option(
      '--certificate-oidc-issuer <url>',
      'the OIDC issuer that vouched for the signer, exactly',
    )
    .option('--certificate-oidc-issuer-regexp <regexp>', 'the OIDC issuer, as a regular expression')
    .option(
      '--key <file|uri>',
      'verify against this public key (PEM file, or pkcs11: URI) instead of a certificate identity',
    )
    .option('--trusted-root <file>', "trusted_root.json (default: the development stack's)")
    .option('--stack-dir <dir>', 'development stack folder holding stack.json (default: .airlock)');
}

// --- attach sbom, download, tree, triangulate ---

/** cosign's SBOM media types, by --type and input format. */
const SBOM_MEDIA_TYPES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  spdx: { json: 'text/spdx+json', text: 'text/spdx' },
  cyclonedx: { json: 'application/vnd.cyclonedx+json', xml: 'application/vnd.cyclonedx+xml' },
  syft: { json: 'application/vnd.syft+json' },
};

function sbomMediaType(sbom: Uint8Array, type: string, inputFormat: string | undefined): string {
  const formats = SBOM_MEDIA_TYPES[type];
  if (formats === undefined) {
    throw new UsageError(`--type must be one of ${Object.keys(SBOM_MEDIA_TYPES).join(', ')}`);
  }
  const text = Buffer.from(sbom).toString('utf8').trimStart();
  const format =
    inputFormat ?? (text.startsWith('{') ? 'json' : text.startsWith('<') ? 'xml' : 'text');
  const mediaType = formats[format];
  if (mediaType === undefined) {
    throw new UsageError(
      `a ${type} SBOM cannot be ${format}: use ${Object.keys(formats).join(' or ')}`,
    );
  }
  if (format === 'json') {
    try {
      JSON.parse(text);
    } catch {
      throw new UsageError(`the ${type} SBOM is not valid JSON`);
    }
  }
  return mediaType;
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

function treeLines(
  oci: Oci,
  pinned: ImageReference,
  label: string,
  summary: TagSummary | undefined,
  describe: (layer: Descriptor) => string,
): string[] {
  if (summary === undefined) return [];
  const tagRef = oci.formatReference(oci.referenceWithTag(pinned, summary.tag));
  return [
    `└── ${label} (${tagRef})`,
    ...summary.layers.map((layer) => `    └── ${layer.digest}${describe(layer)}`),
  ];
}

function registerInspectionCommands(program: Command, print: Print, warn: Print): void {
  const attach = program.command('attach').description('attach artifacts to an image');
  addRegistryFlags(
    attach
      .command('sbom')
      .description("attach an SBOM under the image's .sbom tag (unsigned: prefer attest)")
      .argument('<image>', 'the image: tag or digest reference'),
  )
    .requiredOption('--sbom <file>', 'the SBOM to attach')
    .option('--type <type>', 'spdx, cyclonedx or syft', 'spdx')
    .option('--input-format <format>', 'json, xml or text (default: from the content)')
    .action(
      async (
        image: string,
        flags: RegistryFlags & { sbom: string; type: string; inputFormat?: string },
      ) => {
        const sbom = readBytesFile(flags.sbom);
        const mediaType = sbomMediaType(sbom, flags.type, flags.inputFormat);
        await runImageCommand(async (oci) => {
          const registry = await openRegistry(oci, image, flags);
          const { pinned } = await resolveSubject(registry);
          const attached = await registry.cosign.attachSbom({ ref: pinned, sbom, mediaType });
          print(
            `Pushed ${mediaType} SBOM for ${describeTarget(oci, registry.ref, pinned)} to ${oci.formatReference(oci.referenceWithTag(pinned, attached.tag))}`,
          );
        });
      },
    );

  const download = program
    .command('download')
    .description('print what is attached to an image, as stored (nothing is verified)');
  const downloadCommand = (name: string, description: string) =>
    addRegistryFlags(
      download
        .command(name)
        .description(description)
        .argument('<image>', 'the image: tag or digest reference'),
    );

  downloadCommand(
    'signature',
    'print each signature: legacy layers as cosign prints them, bundles as JSON',
  ).action(async (image: string, flags: RegistryFlags) =>
    runImageCommand(async (oci) => {
      const registry = await openRegistry(oci, image, flags);
      const { pinned } = await resolveSubject(registry);
      const listing = await registry.cosign.listSignatures(pinned);
      for (const item of listing.found) {
        if (!item.namesSubject)
          warn(
            `note: a signature here names another image: ${item.layout === 'legacy-tag' ? item.namedDigest : item.namedDigests.join(', ')}`,
          );
        if (item.layout === 'referrer') {
          print(JSON.stringify(item.bundle));
          continue;
        }
        print(
          JSON.stringify({
            Base64Signature: base64(item.signature),
            Payload: base64(item.payload),
            ...(item.certificatePem !== undefined ? { Cert: item.certificatePem } : {}),
            ...(item.chainPem !== undefined ? { Chain: item.chainPem } : {}),
            ...(item.rekorBundle !== undefined ? { Bundle: item.rekorBundle } : {}),
            ...(item.rfc3161Timestamp !== undefined
              ? { RFC3161Timestamp: base64(item.rfc3161Timestamp) }
              : {}),
          }),
        );
      }
      for (const rejected of listing.rejected)
        warn(`unreadable: ${rejected.location} ${rejected.digest}: ${rejected.error.message}`);
      if (listing.found.length === 0) {
        throw new CheckFailed(`no signatures attached to ${oci.formatReference(pinned)}`);
      }
    }),
  );

  downloadCommand(
    'attestation',
    'print each attestation: DSSE envelopes and bundles as JSON',
  ).action(async (image: string, flags: RegistryFlags) =>
    runImageCommand(async (oci) => {
      const registry = await openRegistry(oci, image, flags);
      const { pinned } = await resolveSubject(registry);
      const listing = await registry.cosign.listAttestations(pinned);
      for (const item of listing.found) {
        if (!item.namesSubject)
          warn(`note: an attestation here names other subjects: ${item.namedDigests.join(', ')}`);
        print(
          item.layout === 'referrer'
            ? JSON.stringify(item.bundle)
            : Buffer.from(item.envelopeBytes).toString('utf8').trimEnd(),
        );
      }
      for (const rejected of listing.rejected)
        warn(`unreadable: ${rejected.location} ${rejected.digest}: ${rejected.error.message}`);
      if (listing.found.length === 0) {
        throw new CheckFailed(`no attestations attached to ${oci.formatReference(pinned)}`);
      }
    }),
  );

  downloadCommand('sbom', 'print the SBOM attached with attach sbom').action(
    async (image: string, flags: RegistryFlags) =>
      runImageCommand(async (oci) => {
        const registry = await openRegistry(oci, image, flags);
        const { pinned } = await resolveSubject(registry);
        const listing = await registry.cosign.listSboms(pinned);
        if (listing.found.length === 0) {
          throw new CheckFailed(`no SBOM attached to ${oci.formatReference(pinned)}`);
        }
        warn('note: an attached SBOM is not signed; an SBOM attestation (verify-attestation) is');
        for (const item of listing.found) print(Buffer.from(item.sbom).toString('utf8').trimEnd());
      }),
  );

  addRegistryFlags(
    program
      .command('tree')
      .description('list the signatures, attestations, SBOMs and referrers attached to an image')
      .argument('<image>', 'the image: tag or digest reference'),
  ).action(async (image: string, flags: RegistryFlags) =>
    runImageCommand(async (oci) => {
      const registry = await openRegistry(oci, image, flags);
      const { pinned } = await resolveSubject(registry);
      const tree = await registry.cosign.tree(pinned);
      const lines = [
        ...treeLines(oci, pinned, 'Signatures', tree.signatures, (layer) =>
          layer.annotations?.[oci.ANNOTATION_CERTIFICATE] !== undefined ? ' keyless' : ' key',
        ),
        ...treeLines(oci, pinned, 'Attestations', tree.attestations, (layer) => {
          const type = layer.annotations?.[oci.ANNOTATION_PREDICATE_TYPE];
          return type === undefined ? '' : ` ${type}`;
        }),
        ...treeLines(oci, pinned, 'SBOMs', tree.sboms, (layer) => ` ${layer.mediaType}`),
      ];
      const referrers = tree.referrers.manifests;
      if (referrers.length > 0) {
        const source =
          tree.referrers.source === 'api'
            ? 'referrers API'
            : oci.formatReference(oci.referenceWithTag(pinned, oci.referrersTag(pinned.digest!)));
        lines.push(`└── Referrers (${source})`);
        for (const referrer of referrers) {
          const predicateType = referrer.annotations?.[oci.ANNOTATION_BUNDLE_PREDICATE_TYPE];
          lines.push(
            `    └── ${referrer.digest} ${referrer.artifactType ?? referrer.mediaType}${predicateType === undefined ? '' : ` ${predicateType}`}`,
          );
        }
      }
      const target = oci.formatReference(pinned);
      if (lines.length === 0) print(`No artifacts attached to ${target}`);
      else print([`Artifacts attached to ${target}`, ...lines].join('\n'));
    }),
  );

  addRegistryFlags(
    program
      .command('triangulate')
      .description('print the reference where artifacts of an image are stored')
      .argument('<image>', 'the image: tag or digest reference'),
  )
    .option(
      '--type <type>',
      'signature, attestation, sbom, digest, or referrers (the referrers tag-schema index)',
      'signature',
    )
    .action(async (image: string, flags: RegistryFlags & { type: string }) =>
      runImageCommand(async (oci) => {
        const suffixes: Record<string, 'sig' | 'att' | 'sbom'> = {
          signature: 'sig',
          attestation: 'att',
          sbom: 'sbom',
        };
        const suffix = suffixes[flags.type];
        if (suffix === undefined && flags.type !== 'digest' && flags.type !== 'referrers') {
          throw new UsageError('--type must be signature, attestation, sbom, digest or referrers');
        }
        const registry = await openRegistry(oci, image, flags);
        const digest = await registry.cosign.resolveDigest(registry.ref);
        const tag =
          suffix !== undefined
            ? oci.attachmentTag(digest, suffix)
            : flags.type === 'referrers'
              ? oci.referrersTag(digest)
              : undefined;
        print(
          oci.formatReference(
            tag === undefined
              ? oci.referenceWithDigest(registry.ref, digest)
              : oci.referenceWithTag(registry.ref, tag),
          ),
        );
      }),
    );
}

export function registerImageCommands(
  program: Command,
  print: Print,
  warn: Print,
  interactive: boolean,
): void {
  const terminal: DeviceLoginTerminal = { interactive, warn };
  addSigningFlags(
    program
      .command('sign')
      .description('sign a container image: its digest, never a tag (keyless, or with --key)')
      .argument('<image>', 'the image: tag (resolved to its digest now) or digest reference'),
  ).action((image: string, flags: SigningFlags) => signImage(image, flags, print, terminal));

  addSigningFlags(
    program
      .command('attest')
      .description('attest to a container image: an in-toto statement about its digest')
      .argument('<image>', 'the image: tag (resolved to its digest now) or digest reference'),
  )
    .requiredOption('--predicate <file>', 'the predicate (JSON; text for spdx and custom)')
    .option(
      '--type <type>',
      'predicate type: slsaprovenance, slsaprovenance1, cyclonedx, spdx, spdxjson, vuln, openvex, custom, or a URI',
      'custom',
    )
    .action((image: string, flags: SigningFlags & { predicate: string; type: string }) =>
      attestImage(image, flags, print, terminal),
    );

  addPolicyFlags(
    program
      .command('verify')
      .description(
        'verify the signatures of the digest an image reference names now (legacy tags and referrers)',
      )
      .argument('<image>', 'the image: tag or digest reference'),
  ).action((image: string, flags: PolicyFlags) =>
    verifyImage(image, flags, 'signature', print, warn),
  );

  addPolicyFlags(
    program
      .command('verify-attestation')
      .description('verify the attestations of the digest an image reference names now')
      .argument('<image>', 'the image: tag or digest reference'),
  )
    .option('--type <type>', 'only attestations of this predicate type (cosign shorthand or URI)')
    .action((image: string, flags: PolicyFlags) =>
      verifyImage(image, flags, 'attestation', print, warn),
    );

  registerInspectionCommands(program, print, warn);
}
