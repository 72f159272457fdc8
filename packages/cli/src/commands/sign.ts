// `airlock sign-blob`, `attest-blob`, `generate-key-pair` with cosign's flags, and `sign-bundle`, the
// sigstore-conformance signing entry point. Each parses flags, calls @airlock/client, writes files.
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
// @airlock/client (and through it sigstore-js) loads only when a signing command runs, so that other
// commands start fast.
import type { SigningSetupOptions, SignOptions, SignResult } from '@airlock/client';
import type { Command } from 'commander';
import { readBytesFile } from '../encoding.js';
import { CheckFailed, UsageError } from '../errors.js';

type Client = typeof import('@airlock/client');

/** The flags that say where an identity token comes from, shared by every signing command. */
export interface IdentityFlags {
  identityToken?: string;
  devEmail?: string;
  oidcIssuer?: string;
  oidcClientId?: string;
  oidcDeviceFlow?: boolean;
}

/** The key and service flags of every signing command (cosign's names). */
export interface SigningServiceFlags extends IdentityFlags {
  key?: string;
  fulcioUrl?: string;
  rekorUrl?: string;
  timestampServerUrl?: string;
  signingConfig?: string;
  trustedRoot?: string;
  stackDir?: string;
}

interface SigningFlags extends SigningServiceFlags {
  yes?: boolean;
  outputSignature?: string;
  outputCertificate?: string;
  bundle: string;
}

/**
 * Runs library work and turns a ClientError into the CLI's verdict: a new bundle that fails its check
 * against the trusted root is exit 1; everything else the user can fix is exit 2.
 */
async function runClient<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = await import('@airlock/client');
  try {
    return await work(client);
  } catch (error) {
    if (!(error instanceof client.ClientError)) throw error;
    throw error.code === 'CHECK_FAILED'
      ? new CheckFailed(error.message)
      : new UsageError(error.message);
  }
}

function writeOutput(path: string, contents: string | Uint8Array): void {
  try {
    writeFileSync(path, contents);
  } catch (error) {
    throw new UsageError(
      `cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
}

/** Where a terminal user is told how to approve a device login: one block on stderr. */
export interface DeviceLoginTerminal {
  /** A person is at the terminal (stdin and stderr are TTYs). */
  readonly interactive: boolean;
  /** Writes to stderr. */
  readonly warn: (line: string) => void;
}

/** The identity flags as SigningSetupOptions, with the device login instructions going to stderr. */
export function identitySetupOptions(
  flags: IdentityFlags,
  terminal: DeviceLoginTerminal,
): SigningSetupOptions {
  const pick = <K extends keyof SigningSetupOptions>(key: K, value: SigningSetupOptions[K]) =>
    value !== undefined ? { [key]: value } : {};
  return {
    ...pick('identityToken', flags.identityToken),
    ...pick('devEmail', flags.devEmail),
    ...pick('oidcIssuer', flags.oidcIssuer),
    ...pick('oidcClientId', flags.oidcClientId),
    ...pick('oidcDeviceFlow', flags.oidcDeviceFlow),
    interactive: terminal.interactive,
    deviceFlowPrompt: async (instructions) => {
      const { formatDeviceFlowInstructions } = await import('@airlock/client');
      // warn adds the last newline.
      terminal.warn(formatDeviceFlowInstructions(instructions).trimEnd());
    },
  };
}

/** The identity token's sources, in the order they are tried: printed under each signing command's help. */
export const IDENTITY_TOKEN_ORDER_HELP = `
Keyless identity token, the first of:
  1. --identity-token (the token, or the path of a file holding it)
  2. $SIGSTORE_ID_TOKEN
  3. --dev-email: a login to the development stack IdP
  4. a device login (OAuth 2.0 device flow) at --oidc-issuer when given, else at the signing
     config's OpenID provider (oidcUrls) with --oidc-device-flow or when stdin and stderr are a
     terminal: open the page printed on stderr on any device and enter the code.
No other OpenID provider is ever contacted.`;

/** Adds the identity token flags (cosign's names) and the order they are tried in to a command's help. */
export function addIdentityFlags(command: Command): Command {
  return command
    .option(
      '--identity-token <jwt|path>',
      'identity token for the CA: the token or a file holding it',
    )
    .option(
      '--dev-email <address>',
      'get an identity token from the development stack IdP, as this address',
    )
    .option('--oidc-issuer <url>', 'log in at this OpenID provider with the device flow')
    .option('--oidc-client-id <id>', 'OAuth client ID for the device login (default: sigstore)')
    .option(
      '--oidc-device-flow',
      "log in with the device flow at the signing config's OpenID provider, even without a terminal",
    )
    .addHelpText('after', IDENTITY_TOKEN_ORDER_HELP);
}

/** Every signing flag as SigningSetupOptions: what sign-blob, attest-blob, sign and attest share. */
export function setupOptions(
  flags: SigningServiceFlags,
  terminal: DeviceLoginTerminal,
): SigningSetupOptions {
  const pick = <K extends keyof SigningSetupOptions>(key: K, value: SigningSetupOptions[K]) =>
    value !== undefined ? { [key]: value } : {};
  return {
    ...identitySetupOptions(flags, terminal),
    ...pick('key', flags.key),
    ...pick('caUrl', flags.fulcioUrl),
    ...pick('rekorUrl', flags.rekorUrl),
    ...pick('tsaUrl', flags.timestampServerUrl),
    ...pick('signingConfigPath', flags.signingConfig),
    ...pick('trustedRootPath', flags.trustedRoot),
    ...pick('stackDir', flags.stackDir),
  };
}

/** The key, identity and service flags of every signing command (SigningServiceFlags), cosign's names. */
export function addSigningServiceFlags(command: Command): Command {
  return addIdentityFlags(command)
    .option('--key <uri|path>', 'sign with this key: pkcs11:… or file:… URI, or a key file path')
    .option('--fulcio-url <url>', 'certificate authority (Fulcio API) base URL')
    .option('--rekor-url <url>', 'transparency log (Rekor v1 API) base URL')
    .option('--timestamp-server-url <url>', 'RFC 3161 timestamp authority URL')
    .option('--signing-config <file>', 'signing_config.json naming the CA, logs and TSAs')
    .option('--trusted-root <file>', 'trusted_root.json: the new bundle must verify with it')
    .option(
      '--stack-dir <dir>',
      'development stack folder whose stack.json is used when no services are given (default: .airlock)',
    )
    .option('-y, --yes', 'skip confirmation prompts (airlock asks for no confirmation)');
}

/** Flags cosign's sign-blob and attest-blob share, with cosign's names and meanings. */
function addSigningFlags(command: Command): Command {
  return addSigningServiceFlags(command)
    .option('--output-certificate <file>', 'write the signing certificate (PEM) to this file')
    .requiredOption('--bundle <file>', 'write the Sigstore bundle (JSON) to this file');
}

async function signWith<T extends SignResult>(
  flags: SigningFlags,
  terminal: DeviceLoginTerminal,
  sign: (client: Client, options: SignOptions) => Promise<T>,
): Promise<T> {
  return runClient(async (client) => {
    const setup = await client.openSigningSetup(setupOptions(flags, terminal));
    try {
      return await sign(client, setup.signOptions);
    } finally {
      await setup.close();
    }
  });
}

function writeCertificate(
  flags: SigningFlags,
  result: SignResult,
  warn: (line: string) => void,
): void {
  if (flags.outputCertificate === undefined) return;
  if (result.certificatePem === undefined) {
    warn('no certificate written: a --key signature has none');
    return;
  }
  writeOutput(flags.outputCertificate, result.certificatePem);
}

export function registerSignCommands(
  program: Command,
  print: (line: string) => void,
  warn: (line: string) => void,
  interactive = false,
): void {
  const terminal: DeviceLoginTerminal = { interactive, warn };
  addSigningFlags(
    program
      .command('sign-blob')
      .description('sign a file into a Sigstore bundle (keyless, or with --key)')
      .argument('<file>', 'the file to sign'),
  )
    .option('--output-signature <file>', 'write the base64 signature to this file')
    .action(async (file: string, flags: SigningFlags) => {
      const artifact = readBytesFile(file);
      const result = await signWith(flags, terminal, (client, options) =>
        client.signBlob({ ...options, artifact }),
      );
      writeOutput(flags.bundle, JSON.stringify(result.bundle));
      const signature = Buffer.from(result.signature).toString('base64');
      if (flags.outputSignature !== undefined) writeOutput(flags.outputSignature, signature);
      else print(signature);
      writeCertificate(flags, result, warn);
    });

  addSigningFlags(
    program
      .command('attest-blob')
      .description('attest to a file: an in-toto statement in a DSSE bundle')
      .argument('<file>', 'the file the statement is about'),
  )
    .requiredOption('--predicate <file>', 'the predicate (JSON; text for spdx and custom)')
    .option(
      '--type <type>',
      'predicate type: slsaprovenance, slsaprovenance1, cyclonedx, spdx, spdxjson, vuln, openvex, custom, or a URI',
      'custom',
    )
    .option('--output-signature <file>', 'write the DSSE envelope (JSON) to this file')
    .option('--output-attestation <file>', 'write the in-toto statement (JSON) to this file')
    .action(
      async (
        file: string,
        flags: SigningFlags & { predicate: string; type: string; outputAttestation?: string },
      ) => {
        const artifact = readBytesFile(file);
        const predicate = readBytesFile(flags.predicate);
        const result = await signWith(flags, terminal, (client, options) =>
          client.attestBlob({
            ...options,
            artifact,
            artifactName: basename(file),
            predicate,
            type: flags.type,
          }),
        );
        writeOutput(flags.bundle, JSON.stringify(result.bundle));
        const envelope = JSON.stringify(result.envelope);
        if (flags.outputSignature !== undefined) writeOutput(flags.outputSignature, envelope);
        else print(envelope);
        if (flags.outputAttestation !== undefined)
          writeOutput(flags.outputAttestation, JSON.stringify(result.statement));
        writeCertificate(flags, result, warn);
      },
    );

  program
    .command('generate-key-pair')
    .description(
      'generate a P-256 signing key: <prefix>.key (encrypted) and <prefix>.pub, or in a token with --key',
    )
    .option('--output-key-prefix <prefix>', 'file name prefix (default: cosign)')
    .option('--key <uri>', 'create the key in a token: pkcs11:token=…;object=<label>?…')
    .action(async (flags: { outputKeyPrefix?: string; key?: string }) => {
      const generated = await runClient((client) =>
        client.generateSigningKeyPair({
          ...(flags.outputKeyPrefix !== undefined
            ? { outputKeyPrefix: flags.outputKeyPrefix }
            : {}),
          ...(flags.key !== undefined ? { key: flags.key } : {}),
        }),
      );
      if (generated.privateKeyPath !== undefined)
        print(`Private key written to ${generated.privateKeyPath}`);
      else print(`Private key created in the token: ${generated.keyUri}`);
      print(`Public key written to ${generated.publicKeyPath}`);
    });

  program
    .command('sign-bundle')
    .description('sigstore-conformance signing entry point: sign FILE into a bundle')
    .option('--staging', 'use the public staging instance (refused: there is none here)')
    .option('--in-toto', 'FILE is an in-toto statement: sign it as a DSSE envelope')
    .requiredOption('--identity-token <token>', 'the identity token')
    .requiredOption('--bundle <file>', 'where to write the bundle')
    .option('--trusted-root <file>', 'trusted_root.json the new bundle must verify with')
    .option('--signing-config <file>', 'signing_config.json naming the services')
    .argument('<file>', 'the file (or in-toto statement) to sign')
    .action(
      async (
        file: string,
        flags: {
          staging?: boolean;
          inToto?: boolean;
          identityToken: string;
          bundle: string;
          trustedRoot?: string;
          signingConfig?: string;
        },
      ) => {
        if (flags.staging) {
          throw new UsageError(
            '--staging: there is no public staging instance here; give --signing-config and --trusted-root',
          );
        }
        const artifact = readBytesFile(file);
        if (flags.inToto) await runClient(async (client) => client.checkStatement(artifact));
        const result = await signWith(
          {
            identityToken: flags.identityToken,
            bundle: flags.bundle,
            ...(flags.trustedRoot !== undefined ? { trustedRoot: flags.trustedRoot } : {}),
            ...(flags.signingConfig !== undefined ? { signingConfig: flags.signingConfig } : {}),
          },
          // The conformance protocol always passes a token: never a device login here.
          { interactive: false, warn },
          (client, options) =>
            client.signBlob({
              ...options,
              artifact,
              bundleType: flags.inToto ? 'dsseEnvelope' : 'messageSignature',
            }),
        );
        writeOutput(flags.bundle, JSON.stringify(result.bundle));
      },
    );
}
