// `airlock trust …`: maintain trusted_root.json and the TUF repository that distributes it — add or
// rotate a CA, log, CT log or TSA key without invalidating old signatures, publish new targets,
// re-sign timestamp/snapshot before they expire, rotate the TUF root. Thin: @airlock/trust does the work.
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { readBytesFile } from '../encoding.js';
import { UsageError } from '../errors.js';

type Kind = 'ca' | 'tsa' | 'tlog' | 'ctlog';
const KINDS: Record<Kind, 'certificateAuthority' | 'timestampAuthority' | 'tlog' | 'ctlog'> = {
  ca: 'certificateAuthority',
  tsa: 'timestampAuthority',
  tlog: 'tlog',
  ctlog: 'ctlog',
};

interface EntryFlags {
  trustedRoot: string;
  kind: string;
  url: string;
  publicKey?: string;
  chain?: string;
  origin?: string;
  start?: string;
  at?: string;
  replaces?: string;
}

function kindOf(value: string): Kind {
  if (!(value in KINDS))
    throw new UsageError(`--kind must be one of ${Object.keys(KINDS).join(', ')}`);
  return value as Kind;
}

function readText(path: string): string {
  return Buffer.from(readBytesFile(path)).toString('utf8');
}

function readJsonFile(path: string, what: string): unknown {
  try {
    return JSON.parse(readText(path));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${what} ${path} is not valid JSON`);
  }
}

/** The entry a flag set describes: a log (URL + public key) or an authority (URI + chain). */
function entryOf(flags: EntryFlags) {
  const kind = kindOf(flags.kind);
  if (kind === 'tlog' || kind === 'ctlog') {
    if (!flags.publicKey) throw new UsageError(`--kind ${kind} needs --public-key <pem file>`);
    return {
      kind: KINDS[kind] as 'tlog' | 'ctlog',
      entry: {
        baseUrl: flags.url,
        publicKey: readText(flags.publicKey),
        ...(flags.origin ? { origin: flags.origin } : {}),
      },
    };
  }
  if (!flags.chain)
    throw new UsageError(`--kind ${kind} needs --chain <pem file> (leaf-most first, root last)`);
  return {
    kind: KINDS[kind] as 'certificateAuthority' | 'timestampAuthority',
    entry: { uri: flags.url, chain: readText(flags.chain) },
  };
}

async function trustLibrary() {
  const trust = await import('@airlock/trust');
  return trust;
}

/** Runs `work`, turning the library's errors (bad input files, bad keys) into one-line usage errors. */
async function withTrustErrors<T>(work: () => Promise<T>): Promise<T> {
  const { TrustError } = await trustLibrary();
  try {
    return await work();
  } catch (error) {
    if (error instanceof TrustError) throw new UsageError(error.message);
    throw error;
  }
}

async function openSigners(uris: readonly string[]) {
  const { openSigner } = await import('@airlock/keys');
  return Promise.all(uris.map((uri) => openSigner(uri)));
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerTrustCommands(program: Command, print: (line: string) => void): void {
  const trust = program
    .command('trust')
    .description('maintain trusted_root.json and the TUF repository that distributes it');

  const withEntry = (command: Command) =>
    command
      .requiredOption('--trusted-root <file>', 'trusted_root.json to update in place')
      .requiredOption('--kind <kind>', 'ca, tsa, tlog or ctlog')
      .requiredOption('--url <url>', 'the log base URL, or the CA / TSA URI')
      .option('--public-key <file>', 'the log key (PEM), for tlog and ctlog')
      .option('--chain <file>', 'the certificate chain (PEM, leaf-most first), for ca and tsa')
      .option('--origin <name>', 'a Rekor v2 log checkpoint origin (needed for Ed25519 log keys)');

  withEntry(trust.command('add'))
    .description('add a key or authority, valid from --start (default now)')
    .option('--start <time>', 'RFC 3339 start of validity (default: now)')
    .action(async (flags: EntryFlags) => {
      const { addKey } = await trustLibrary();
      const root = readJsonFile(flags.trustedRoot, 'trusted root');
      const { kind, entry } = entryOf(flags);
      const validFor = { start: flags.start ?? new Date().toISOString() };
      const updated = await withTrustErrors(async () =>
        addKey(root as never, { kind, entry: { ...entry, validFor } } as never),
      );
      writeFileSync(flags.trustedRoot, `${JSON.stringify(updated, null, 2)}\n`);
      print(`added ${flags.kind} ${flags.url} to ${flags.trustedRoot}`);
    });

  withEntry(trust.command('rotate'))
    .description(
      'end the current entry at --at and start the new key then; old signatures keep verifying',
    )
    .option('--at <time>', 'RFC 3339 rotation time (default: now)')
    .option('--replaces <url|logId>', 'which entry ends (default: the one with the same URL)')
    .action(async (flags: EntryFlags) => {
      const { rotate } = await trustLibrary();
      const root = readJsonFile(flags.trustedRoot, 'trusted root');
      const { kind, entry } = entryOf(flags);
      const updated = await withTrustErrors(async () =>
        rotate(
          root as never,
          {
            kind,
            entry,
            at: flags.at ?? new Date().toISOString(),
            ...(flags.replaces ? { replaces: flags.replaces } : {}),
          } as never,
        ),
      );
      writeFileSync(flags.trustedRoot, `${JSON.stringify(updated, null, 2)}\n`);
      print(`rotated ${flags.kind} ${flags.url} in ${flags.trustedRoot}`);
    });

  trust
    .command('publish')
    .description('publish trusted_root.json (and signing_config) as new TUF targets')
    .requiredOption('--repository <dir>', 'the TUF repository folder')
    .requiredOption('--trusted-root <file>', 'trusted_root.json to publish')
    .option('--signing-config <file>', 'signing_config.v0.2.json to publish')
    .requiredOption('--targets-key <uri>', 'key URI of the targets role')
    .requiredOption('--snapshot-key <uri>', 'key URI of the snapshot role')
    .requiredOption('--timestamp-key <uri>', 'key URI of the timestamp role')
    .action(
      async (flags: {
        repository: string;
        trustedRoot: string;
        signingConfig?: string;
        targetsKey: string;
        snapshotKey: string;
        timestampKey: string;
      }) => {
        const { openRepository, parseTrustedRoot, SIGNING_CONFIG_TARGET, TRUSTED_ROOT_TARGET } =
          await trustLibrary();
        const trustedRoot = readText(flags.trustedRoot);
        await withTrustErrors(async () => parseTrustedRoot(JSON.parse(trustedRoot)));
        const targets = [{ name: TRUSTED_ROOT_TARGET, content: trustedRoot }];
        if (flags.signingConfig)
          targets.push({ name: SIGNING_CONFIG_TARGET, content: readText(flags.signingConfig) });
        const signers = await openSigners([
          flags.targetsKey,
          flags.snapshotKey,
          flags.timestampKey,
        ]);
        try {
          await withTrustErrors(async () => {
            const repository = await openRepository(flags.repository);
            await repository.addTargets(targets, {
              targetsSigner: signers[0]!,
              snapshotSigner: signers[1]!,
              timestampSigner: signers[2]!,
            });
          });
        } finally {
          await Promise.all(signers.map((signer) => signer.close()));
        }
        print(`published ${targets.map((t) => t.name).join(', ')}`);
      },
    );

  trust
    .command('refresh')
    .description('re-sign timestamp (and snapshot) metadata that is due, before it expires')
    .requiredOption('--repository <dir>', 'the TUF repository folder')
    .requiredOption('--snapshot-key <uri>', 'key URI of the snapshot role')
    .requiredOption('--timestamp-key <uri>', 'key URI of the timestamp role')
    .action(async (flags: { repository: string; snapshotKey: string; timestampKey: string }) => {
      const { openRepository } = await trustLibrary();
      const signers = await openSigners([flags.snapshotKey, flags.timestampKey]);
      try {
        const result = await withTrustErrors(async () =>
          (await openRepository(flags.repository)).refresh({
            snapshotSigner: signers[0]!,
            timestampSigner: signers[1]!,
          }),
        );
        print(
          result.renewed.length > 0
            ? `re-signed ${result.renewed.join(' and ')}`
            : 'nothing was due',
        );
        if (result.ceremonyDue.length > 0)
          print(`a signing ceremony is due for: ${result.ceremonyDue.join(', ')}`);
      } finally {
        await Promise.all(signers.map((signer) => signer.close()));
      }
    });

  trust
    .command('rotate-root')
    .description(
      'write the next root.json, signed by a threshold of the old keys and of the new ones',
    )
    .requiredOption('--repository <dir>', 'the TUF repository folder')
    .requiredOption('--old-key <uri>', 'a current root key (repeat for a threshold)', collect)
    .requiredOption(
      '--new-key <uri>',
      'a root key of the new root (repeat; may repeat old keys)',
      collect,
    )
    .option('--threshold <n>', 'signatures the new root needs', '1')
    .action(
      async (flags: {
        repository: string;
        oldKey: string[];
        newKey: string[];
        threshold: string;
      }) => {
        const threshold = Number(flags.threshold);
        if (!Number.isInteger(threshold) || threshold < 1)
          throw new UsageError('--threshold must be a positive integer');
        const { openRepository } = await trustLibrary();
        const oldSigners = await openSigners(flags.oldKey);
        const newSigners = await openSigners(flags.newKey);
        try {
          await withTrustErrors(async () =>
            (await openRepository(flags.repository)).rotateRoot({
              newKeys: newSigners.map((signer) => signer.publicKey),
              threshold,
              oldSigners,
              newSigners,
            }),
          );
          const status = await (await openRepository(flags.repository)).status();
          print(`root is now version ${status.roles.root.version}`);
        } finally {
          await Promise.all([...oldSigners, ...newSigners].map((signer) => signer.close()));
        }
      },
    );

  trust
    .command('show')
    .description('print a trusted root’s entries and their validity windows')
    .requiredOption('--trusted-root <file>', 'trusted_root.json')
    .action(async (flags: { trustedRoot: string }) => {
      const { parseTrustedRoot } = await trustLibrary();
      const root = await withTrustErrors(async () =>
        parseTrustedRoot(readJsonFile(flags.trustedRoot, 'trusted root')),
      );
      const window = (v: { start: string; end?: string }) => `${v.start} .. ${v.end ?? 'open'}`;
      for (const ca of root.certificateAuthorities)
        print(`ca     ${ca.uri}  ${window(ca.validFor)}`);
      for (const log of root.tlogs)
        print(`tlog   ${log.baseUrl}  ${log.logId.keyId}  ${window(log.publicKey.validFor)}`);
      for (const log of root.ctlogs)
        print(`ctlog  ${log.baseUrl}  ${log.logId.keyId}  ${window(log.publicKey.validFor)}`);
      for (const tsa of root.timestampAuthorities)
        print(`tsa    ${tsa.uri}  ${window(tsa.validFor)}`);
    });
}
