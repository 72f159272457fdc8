// `airlock verify-blob`, `verify-blob-attestation` and the conformance entry point `verify-bundle`:
// offline verification with cosign's flags; a failed check prints one line and exits 1.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { readBytesFile } from '../encoding.js';
import { CheckFailed, UsageError } from '../errors.js';

interface VerifyFlags {
  bundle: string;
  certificateIdentity?: string;
  certificateIdentityRegexp?: string;
  certificateOidcIssuer?: string;
  certificateOidcIssuerRegexp?: string;
  key?: string;
  trustedRoot?: string;
  type?: string;
  staging?: boolean;
}

const SHA256_DIGEST = /^sha256:([0-9a-fA-F]{64})$/;

/** `FILE` or `sha256:<hex>` (a digest only when no file has that name, as the conformance suite says). */
function artifactOf(
  argument: string,
): { bytes: Uint8Array } | { digest: { algorithm: 'sha256'; hex: string } } {
  const match = SHA256_DIGEST.exec(argument);
  if (match && !existsSync(argument))
    return { digest: { algorithm: 'sha256', hex: match[1]!.toLowerCase() } };
  return { bytes: readBytesFile(argument) };
}

function readJson(path: string, what: string): unknown {
  const text = readBytesFile(path);
  try {
    return JSON.parse(Buffer.from(text).toString('utf8'));
  } catch {
    throw new UsageError(`${what} ${path} is not valid JSON`);
  }
}

/** --trusted-root, else the local stack's; never anything from the internet. */
function trustedRootPath(flag: string | undefined): string {
  if (flag) return flag;
  const stackJson = join(resolve('.airlock'), 'stack.json');
  if (existsSync(stackJson)) {
    const { trustedRoot } = JSON.parse(readFileSync(stackJson, 'utf8')) as { trustedRoot?: string };
    if (trustedRoot) return trustedRoot;
  }
  throw new UsageError(
    'no trusted root: give --trusted-root (or run inside a folder where npm start wrote .airlock/)',
  );
}

function policyOf(flags: VerifyFlags) {
  if (flags.key) {
    if (flags.certificateIdentity || flags.certificateIdentityRegexp) {
      throw new UsageError('give --key or a certificate identity, not both');
    }
    return { publicKey: Buffer.from(readBytesFile(flags.key)).toString('utf8') };
  }
  const identity = flags.certificateIdentity ?? flags.certificateIdentityRegexp;
  const issuer = flags.certificateOidcIssuer ?? flags.certificateOidcIssuerRegexp;
  // As cosign: keyless verification names both who signed and which IdP vouched for them.
  if (!identity || !issuer) {
    throw new UsageError(
      'keyless verification needs --certificate-identity(-regexp) and --certificate-oidc-issuer(-regexp), or --key',
    );
  }
  return {
    ...(flags.certificateIdentity ? { identity: flags.certificateIdentity } : {}),
    ...(flags.certificateIdentityRegexp ? { identityRegexp: flags.certificateIdentityRegexp } : {}),
    ...(flags.certificateOidcIssuer ? { issuer: flags.certificateOidcIssuer } : {}),
    ...(flags.certificateOidcIssuerRegexp
      ? { issuerRegexp: flags.certificateOidcIssuerRegexp }
      : {}),
  };
}

async function verify(
  argument: string,
  flags: VerifyFlags,
  expectAttestation: boolean,
): Promise<string> {
  if (flags.staging)
    throw new UsageError('there is no public staging instance here; pass --trusted-root');
  const { parseBundleJson, VerifyError, verifyBundle } = await import('@airlock/verify');
  const bundleBytes = readBytesFile(flags.bundle);
  const trustedRoot = readJson(trustedRootPath(flags.trustedRoot), 'trusted root');
  const policy = policyOf(flags);
  const artifact = artifactOf(argument);
  const wantedType = flags.type ? await predicateType(flags.type) : undefined;
  try {
    // A bundle that does not parse fails verification (exit 1); a file that cannot be read is a usage error.
    const bundle = parseBundleJson(bundleBytes);
    const result = verifyBundle({ bundle, artifact, trustedRoot, policy });
    if (expectAttestation && !result.statement)
      throw new CheckFailed('the bundle holds no attestation');
    if (wantedType && result.statement?.predicateType !== wantedType) {
      throw new CheckFailed(
        `the attestation's predicate type is ${result.statement?.predicateType}, not ${wantedType}`,
      );
    }
    const who = result.identity ? `${result.identity} (issuer ${result.issuer})` : 'the given key';
    return `Verified OK: signed by ${who}`;
  } catch (error) {
    if (error instanceof VerifyError) throw new CheckFailed(`${error.code}: ${error.message}`);
    throw error;
  }
}

/** The predicate type a --type names, with the shorthands attest-blob writes (cosign's). */
async function predicateType(type: string): Promise<string> {
  const { ClientError, predicateTypeOf } = await import('@airlock/client');
  try {
    return predicateTypeOf(type);
  } catch (error) {
    if (error instanceof ClientError) throw new UsageError(error.message);
    throw error;
  }
}

function withPolicyFlags(command: Command): Command {
  return command
    .requiredOption('--bundle <file>', 'the Sigstore bundle to verify')
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
      '--key <file>',
      'verify against this public key (PEM) instead of a certificate identity',
    )
    .option('--trusted-root <file>', "trusted_root.json (default: the local stack's)");
}

export function registerVerifyCommands(program: Command, print: (line: string) => void): void {
  withPolicyFlags(program.command('verify-blob'))
    .description('verify a signed blob offline (FILE, or sha256:<hex>)')
    .argument('<file>', 'the artifact, or sha256:<hex> of it')
    .action(async (file: string, flags: VerifyFlags) => print(await verify(file, flags, false)));
  withPolicyFlags(program.command('verify-blob-attestation'))
    .description(
      'verify an in-toto attestation about a blob offline (its subject must be the blob)',
    )
    .argument('<file>', 'the artifact, or sha256:<hex> of it')
    .option('--type <type>', 'the predicate type it must have (cosign shorthand or URI)')
    .action(async (file: string, flags: VerifyFlags) => print(await verify(file, flags, true)));
  withPolicyFlags(program.command('verify-bundle'))
    .description('sigstore-conformance entry point: verify a bundle against FILE_OR_DIGEST')
    .argument('<file-or-digest>', 'the artifact, or sha256:<hex>')
    .option('--staging', 'refused: there is no public staging instance in an air gap')
    .action(async (file: string, flags: VerifyFlags) => print(await verify(file, flags, false)));
}
