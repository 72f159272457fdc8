// `airlock log info|get|search|inclusion|consistency|mirror|fsck`: audit a transparency log. Every
// verdict is reached with the trusted root (or a pinned key) alone; the log is only asked, never
// believed. Each command prints one OK/FAIL line (or one JSON object with --json) and exits 0/1.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type {
  ConsistencySource,
  FsckProgress,
  FsckReport,
  LogEntry,
  LogKey,
  RekorClient,
  SearchQuery,
  TileSource,
  VerifiedCheckpoint,
  VerifiedLogEntry,
} from '@airlock/audit';

/**
 * @airlock/audit, loaded when a log command runs rather than when the CLI starts: it pulls in the
 * trust and TUF libraries, which every other command would otherwise pay for at start-up.
 */
let auditLib: typeof import('@airlock/audit');
async function loadAudit(): Promise<void> {
  auditLib ??= await import('@airlock/audit');
}

import type { Command } from 'commander';
import { decodeHash, decodeUint, readBytesFile, readJsonFile, toHex } from '../encoding.js';
import { CheckFailed, UsageError } from '../errors.js';

type Print = (line: string) => void;

interface CommonFlags {
  rekorUrl?: string;
  trustedRoot?: string;
  publicKey?: string;
  stackDir: string;
  timeout: string;
  json?: boolean;
}

type LogFlavour = 'v1' | 'v2';

/** What `airlock up` wrote: the default log URL and trusted root. */
function stackDefaults(dir: string): { tlog?: string; trustedRoot?: string } {
  const path = join(resolve(dir), 'stack.json');
  if (!existsSync(path)) return {};
  try {
    const stack = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    return {
      ...(typeof stack.tlog === 'string' ? { tlog: stack.tlog } : {}),
      ...(typeof stack.trustedRoot === 'string' ? { trustedRoot: stack.trustedRoot } : {}),
    };
  } catch {
    throw new UsageError(`${path} is not valid JSON`);
  }
}

function logUrl(flags: CommonFlags): string {
  const url = flags.rekorUrl ?? stackDefaults(flags.stackDir).tlog;
  if (!url)
    throw new UsageError('give --rekor-url (there is no .airlock/stack.json to take it from)');
  return url;
}

/** The log's keys: a pinned --public-key, else the tlogs of --trusted-root (or the stack's). */
function logKey(flags: CommonFlags, url: string | undefined): LogKey {
  if (flags.publicKey) return auditLib.logKeyFromPublicKey(readBytesFile(flags.publicKey), url);
  const rootFile = flags.trustedRoot ?? stackDefaults(flags.stackDir).trustedRoot;
  if (!rootFile) {
    throw new UsageError(
      'give --trusted-root or --public-key: an auditor never trusts the key a log hands out',
    );
  }
  if (!url) throw new UsageError('give --rekor-url: the trusted root lists the log by its URL');
  return auditLib.logKeyFromTrustedRoot(readJsonFile(rootFile), url);
}

function timeoutMs(flags: CommonFlags): number {
  return Number(decodeUint('--timeout', flags.timeout));
}

function flavour(value: string | undefined): LogFlavour {
  if (value === undefined || value === 'v1' || value === 'v2') return value ?? 'v1';
  throw new UsageError(`--log must be v1 or v2, got ${value}`);
}

/** The tlog-tiles prefix of each log the service runs. */
function tilesUrl(url: string, log: LogFlavour): string {
  return log === 'v1' ? `${url.replace(/\/+$/, '')}/api/v1/log/tiles` : url;
}

/** JSON with bigints as decimal strings and bytes as hex: one line, for scripts. */
function jsonLine(value: unknown): string {
  // The original value, not what toJSON made of it: a Buffer would arrive as {type, data}.
  return JSON.stringify(value, function (this: Record<string, unknown>, key, item: unknown) {
    const original = this[key];
    if (typeof original === 'bigint') return original.toString();
    if (original instanceof Uint8Array) return toHex(original);
    return item;
  });
}

/** A failed check whose JSON report is already printed. */
class ReportedCheckFailed extends CheckFailed {}

/** Runs a command; maps audit errors to a failed check (exit 1) or a usage error (exit 2). */
function action<Flags extends { json?: boolean }>(
  print: Print,
  run: (flags: Flags, ...args: string[]) => Promise<void>,
) {
  return async (...args: unknown[]) => {
    await loadAudit();
    // Commander passes the positional arguments first, then the options, then the command.
    const flags = args[args.length - 2] as Flags;
    const positional = args.slice(0, -2) as string[];
    try {
      await run(flags, ...positional);
    } catch (error) {
      const mapped = mapError(error);
      if (mapped instanceof ReportedCheckFailed) throw mapped;
      if (flags.json && (mapped instanceof CheckFailed || mapped instanceof UsageError)) {
        const code = error instanceof auditLib.AuditError ? error.code : undefined;
        print(
          jsonLine({ ok: false, error: { ...(code ? { code } : {}), message: mapped.message } }),
        );
      }
      throw mapped;
    }
  };
}

function mapError(error: unknown): unknown {
  if (!(error instanceof auditLib.AuditError)) return error;
  return auditLib.CHECK_FAILURE_CODES.has(error.code)
    ? new CheckFailed(error.message)
    : new UsageError(error.message);
}

function checkpointSummary(checkpoint: VerifiedCheckpoint) {
  return {
    origin: checkpoint.origin,
    treeSize: checkpoint.size,
    rootHash: checkpoint.rootHash,
    logId: checkpoint.signedBy.logId,
  };
}

/** The body as JSON if it is JSON (Rekor bodies are), else as base64. */
function bodyValue(body: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    return Buffer.from(body).toString('base64');
  }
}

function entrySummary(verified: VerifiedLogEntry) {
  const { entry, inclusion } = verified;
  return {
    uuid: entry.uuid,
    logIndex: entry.logIndex,
    integratedTime: entry.integratedTime,
    logId: entry.logId,
    body: bodyValue(entry.body),
    inclusion: { leafIndex: inclusion.leafIndex, ...checkpointSummary(inclusion.checkpoint) },
    signedEntryTimestamp: verified.setVerified ? 'verified' : 'absent',
  };
}

function entryLine(verified: VerifiedLogEntry): string {
  const { entry, inclusion } = verified;
  return `OK: entry ${entry.logIndex} (${entry.uuid}) is in ${inclusion.checkpoint.origin} at size ${inclusion.checkpoint.size}${verified.setVerified ? '; signed entry timestamp verified' : ''}`;
}

/** The artifact digests a hashedrekord body signs (other kinds name no artifact digest). */
function signedDigest(body: Uint8Array): string | undefined {
  const parsed = bodyValue(body) as {
    kind?: unknown;
    spec?: { data?: { hash?: { algorithm?: unknown; value?: unknown } } };
  };
  const hash = parsed?.spec?.data?.hash;
  return parsed?.kind === 'hashedrekord' && hash?.algorithm === 'sha256'
    ? String(hash.value)
    : undefined;
}

function sha256File(path: string): string {
  return createHash('sha256').update(readBytesFile(path)).digest('hex');
}

function sha256Flag(value: string): string {
  const digest = decodeHash('--sha256', value.replace(/^sha256:/, ''));
  if (digest.length !== 32) throw new UsageError('--sha256 must be a 32-byte SHA-256 digest');
  return toHex(digest);
}

function progressPrinter(warn: Print, what: string, flags: { json?: boolean; quiet?: boolean }) {
  if (flags.quiet) return undefined;
  let last = -1;
  return (progress: FsckProgress) => {
    const total = progress.treeSize;
    const percent = total === 0n ? 100 : Number((progress.entriesDone * 100n) / total);
    if (percent === last && progress.entriesDone !== total) return;
    last = percent;
    const seconds = progress.elapsedMs / 1000;
    const rate =
      seconds > 0 ? Math.round(Number(progress.entriesDone - progress.resumedFrom) / seconds) : 0;
    warn(`${what}: ${progress.entriesDone}/${total} entries (${percent}%), ${rate} entries/s`);
  };
}

/** Stops a long run on Ctrl-C at the next tile, after its state is saved. */
async function withInterrupt<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  try {
    return await run(controller.signal);
  } finally {
    process.removeListener('SIGINT', stop);
  }
}

function addCommon(command: Command, options: { publicKey?: boolean } = {}): Command {
  command
    .option('--rekor-url <url>', 'the log (default: the tlog of .airlock/stack.json)')
    .option(
      '--trusted-root <file>',
      'trusted_root.json listing the log key (default: the stack’s)',
    );
  if (options.publicKey !== false)
    command.option('--public-key <file>', 'pin the log key (PEM or DER) instead of a trusted root');
  return command
    .option('--stack-dir <dir>', 'where airlock up keeps stack.json', '.airlock')
    .option('--timeout <ms>', 'per request', '30000')
    .option('--json', 'print one JSON object');
}

interface GetFlags extends CommonFlags {
  logIndex?: string;
  uuid?: string;
}

interface SearchFlags extends Omit<CommonFlags, 'publicKey'> {
  sha256?: string;
  artifact?: string;
  bundle?: string;
  email?: string;
  publicKey?: string;
  operator?: string;
}

interface InclusionFlags extends CommonFlags {
  bundle?: string;
  logIndex?: string;
  uuid?: string;
  artifact?: string;
  offline?: boolean;
}

interface ConsistencyFlags extends CommonFlags {
  checkpointFile?: string;
  log?: string;
}

interface TreeFlags extends CommonFlags {
  log?: string;
  quiet?: boolean;
  stateFile?: string;
  checkpointFile?: string;
}

async function fetchEntry(client: RekorClient, flags: GetFlags): Promise<LogEntry> {
  if ((flags.logIndex === undefined) === (flags.uuid === undefined))
    throw new UsageError('give exactly one of --log-index and --uuid');
  return flags.logIndex !== undefined
    ? client.entryByIndex(decodeUint('--log-index', flags.logIndex))
    : client.entryByUuid(flags.uuid!);
}

/** `inclusion --bundle`: the bundle's own proof offline, then (unless --offline) the log's answer now. */
async function bundleInclusion(flags: InclusionFlags, print: Print): Promise<void> {
  const { entry } = auditLib.readBundle(readBytesFile(flags.bundle!));
  const url = flags.offline
    ? (flags.rekorUrl ?? stackDefaults(flags.stackDir).tlog)
    : logUrl(flags);
  const key = logKey(flags, url);
  const offline = auditLib.verifyBundleEntry(entry, key, { requireProof: flags.offline === true });
  const results: Record<string, unknown> = {
    uuid: entry.uuid,
    logIndex: entry.logIndex,
    ...(offline.inclusion ? { bundleProof: checkpointSummary(offline.inclusion.checkpoint) } : {}),
    signedEntryTimestamp: offline.setVerified ? 'verified' : 'absent',
  };
  if (!flags.offline) {
    const client = new auditLib.RekorClient(url!, { timeoutMs: timeoutMs(flags) });
    const fetched = await client.entryByUuid(entry.uuid);
    if (fetched.logIndex !== entry.logIndex) {
      throw new CheckFailed(
        `the log holds entry ${entry.uuid} at index ${fetched.logIndex}, the bundle says ${entry.logIndex}`,
      );
    }
    results.log = entrySummary(auditLib.verifyLogEntry(fetched, key)).inclusion;
  }
  const where = (results.log ?? results.bundleProof) as
    | { origin: string; treeSize: bigint }
    | undefined;
  if (!where) throw new CheckFailed('the bundle carries no inclusion proof');
  if (flags.json) print(jsonLine({ ok: true, ...results }));
  else
    print(
      `OK: the bundle's entry ${entry.logIndex} (${entry.uuid}) is in ${where.origin} at size ${where.treeSize}${flags.offline ? ' (offline: the bundle’s own proof)' : ''}`,
    );
}

export function registerLogCommands(program: Command, print: Print, warn: Print): void {
  const log = program
    .command('log')
    .description(
      'audit a transparency log: entries, inclusion, consistency, auditLib.mirror, fsck',
    );

  addCommon(log.command('info').description('the log’s current signed tree head, verified'))
    .option('--log <v1|v2>', 'which of the service’s logs (v2: its tiles checkpoint)', 'v1')
    .action(
      action(print, async (flags: CommonFlags & { log?: string }) => {
        const url = logUrl(flags);
        const key = logKey(flags, url);
        let checkpoint: VerifiedCheckpoint;
        let treeId: bigint | undefined;
        if (flavour(flags.log) === 'v1') {
          const verified = await auditLib.fetchVerifiedLogInfo(
            new auditLib.RekorClient(url, { timeoutMs: timeoutMs(flags) }),
            key,
          );
          checkpoint = verified.checkpoint;
          treeId = verified.info.treeId;
        } else {
          const note = await new auditLib.HttpTileSource(url, {
            timeoutMs: timeoutMs(flags),
          }).readCheckpoint();
          if (note === null) throw new CheckFailed(`${url} serves no checkpoint`);
          checkpoint = auditLib.openLogCheckpoint(note, key);
        }
        if (flags.json) {
          print(
            jsonLine({
              ok: true,
              url,
              ...checkpointSummary(checkpoint),
              ...(treeId !== undefined ? { treeId } : {}),
              checkpoint: checkpoint.note,
            }),
          );
        } else {
          print(
            `OK: ${checkpoint.origin} has ${checkpoint.size} entries, root ${toHex(checkpoint.rootHash)} (checkpoint signed by log ${toHex(checkpoint.signedBy.logId)})`,
          );
        }
      }),
    );

  addCommon(log.command('get').description('one entry, with its inclusion proof and SET verified'))
    .option('--log-index <n>', 'the entry’s index')
    .option('--uuid <uuid>', 'the entry’s UUID (64 hex) or EntryID (80 hex)')
    .action(
      action(print, async (flags: GetFlags) => {
        const url = logUrl(flags);
        const key = logKey(flags, url);
        const entry = await fetchEntry(
          new auditLib.RekorClient(url, { timeoutMs: timeoutMs(flags) }),
          flags,
        );
        const verified = auditLib.verifyLogEntry(entry, key);
        if (flags.json) print(jsonLine({ ok: true, ...entrySummary(verified) }));
        else {
          print(`uuid:            ${entry.uuid}`);
          print(`log index:       ${entry.logIndex}`);
          print(
            `integrated time: ${new Date(Number(entry.integratedTime) * 1000).toISOString()} (${entry.integratedTime})`,
          );
          print(`body:            ${JSON.stringify(bodyValue(entry.body))}`);
          print(entryLine(verified));
        }
      }),
    );

  addCommon(
    log
      .command('search')
      .description('entry UUIDs for an artifact, a bundle, an email or a key (exit 1 if none)'),
    { publicKey: false },
  )
    .option('--sha256 <digest>', 'an artifact’s SHA-256 (hex)')
    .option('--artifact <file>', 'an artifact: searched by its SHA-256')
    .option('--bundle <file>', 'a Sigstore bundle: its log entry')
    .option('--email <address>', 'a signer’s email')
    .option('--public-key <file>', 'a signer’s public key or certificate (PEM or DER)')
    .option('--operator <and|or>', 'how several criteria combine', 'or')
    .action(
      action(print, async (flags: SearchFlags) => {
        const url = logUrl(flags);
        const client = new auditLib.RekorClient(url, { timeoutMs: timeoutMs(flags) });
        let uuids: string[];
        if (flags.bundle) {
          if (flags.sha256 || flags.artifact || flags.email || flags.publicKey)
            throw new UsageError('--bundle is searched alone');
          const { entry } = auditLib.readBundle(readBytesFile(flags.bundle));
          try {
            uuids = [(await client.entryByUuid(entry.uuid)).uuid];
          } catch (error) {
            if (error instanceof auditLib.AuditError && error.code === 'NOT_FOUND') uuids = [];
            else throw error;
          }
        } else {
          if (flags.sha256 && flags.artifact)
            throw new UsageError('give --sha256 or --artifact, not both');
          if (flags.operator !== 'and' && flags.operator !== 'or')
            throw new UsageError('--operator must be and or or');
          const digest = flags.artifact
            ? sha256File(flags.artifact)
            : flags.sha256
              ? sha256Flag(flags.sha256)
              : undefined;
          const query: SearchQuery = {
            ...(digest ? { hash: `sha256:${digest}` } : {}),
            ...(flags.email ? { email: flags.email } : {}),
            ...(flags.publicKey ? { publicKey: readBytesFile(flags.publicKey) } : {}),
            operator: flags.operator,
          };
          if (!digest && !flags.email && !flags.publicKey)
            throw new UsageError(
              'give --sha256, --artifact, --bundle, --email or --public-key to search by',
            );
          uuids = await client.search(query);
        }
        if (flags.json) print(jsonLine({ ok: uuids.length > 0, uuids }));
        else for (const uuid of uuids) print(uuid);
        if (uuids.length === 0) throw new CheckFailed('no entry matches');
      }),
    );

  addCommon(
    log
      .command('inclusion')
      .description('prove that an entry is in the log: checkpoint signature, then Merkle proof'),
  )
    .option('--bundle <file>', 'a Sigstore bundle: its proof, and the log’s proof now')
    .option('--offline', 'with --bundle: only the bundle’s own proof (no network)')
    .option('--log-index <n>', 'the entry at this index')
    .option('--uuid <uuid>', 'the entry with this UUID or EntryID')
    .option('--artifact <file>', 'every entry the log lists for this artifact’s SHA-256')
    .action(
      action(print, async (flags: InclusionFlags) => {
        const given = [flags.bundle, flags.logIndex, flags.uuid, flags.artifact].filter(
          (value) => value !== undefined,
        );
        if (given.length !== 1)
          throw new UsageError('give exactly one of --bundle, --log-index, --uuid and --artifact');
        if (flags.offline && !flags.bundle) throw new UsageError('--offline needs --bundle');
        if (flags.bundle) return bundleInclusion(flags, print);
        const url = logUrl(flags);
        const key = logKey(flags, url);
        const client = new auditLib.RekorClient(url, { timeoutMs: timeoutMs(flags) });
        if (!flags.artifact) {
          const verified = auditLib.verifyLogEntry(await fetchEntry(client, flags), key);
          if (flags.json) print(jsonLine({ ok: true, ...entrySummary(verified) }));
          else print(entryLine(verified));
          return;
        }
        const digest = sha256File(flags.artifact);
        const uuids = await client.search({ hash: `sha256:${digest}` });
        const verified: VerifiedLogEntry[] = [];
        for (const uuid of uuids)
          verified.push(auditLib.verifyLogEntry(await client.entryByUuid(uuid), key));
        // A search index is only a hint: an entry counts if its body signs this very digest.
        const matching = verified.filter((v) => signedDigest(v.entry.body) === digest);
        if (matching.length === 0)
          throw new CheckFailed(`the log holds no entry signing sha256:${digest}`);
        if (flags.json)
          print(jsonLine({ ok: true, sha256: digest, entries: matching.map(entrySummary) }));
        else for (const entry of matching) print(entryLine(entry));
      }),
    );

  addCommon(
    log
      .command('consistency')
      .description(
        'prove the log extends the checkpoint remembered last time, then remember the new one',
      ),
  )
    .option(
      '--checkpoint-file <file>',
      'where the last verified checkpoint is kept (default ~/.airlock/checkpoints/<origin>.json)',
    )
    .option('--log <v1|v2>', 'v1: Rekor v1 API proofs; v2: proofs from the v2 log’s tiles', 'v1')
    .action(
      action(print, async (flags: ConsistencyFlags) => {
        const url = logUrl(flags);
        const key = logKey(flags, url);
        const http = { timeoutMs: timeoutMs(flags) };
        const source: ConsistencySource =
          flavour(flags.log) === 'v1'
            ? { kind: 'rekor-v1', client: new auditLib.RekorClient(url, http) }
            : { kind: 'tiles', tiles: new auditLib.HttpTileSource(url, http) };
        let audit: Awaited<ReturnType<typeof auditLib.auditConsistency>>;
        try {
          audit = await auditLib.auditConsistency({
            source,
            logKey: key,
            logUrl: url,
            ...(flags.checkpointFile ? { checkpointFile: flags.checkpointFile } : {}),
          });
        } catch (error) {
          if (error instanceof auditLib.AuditError && error.code === 'INCONSISTENT') {
            throw new auditLib.AuditError(
              'INCONSISTENT',
              `the log was rewritten or rolled back: ${error.message}`,
              { cause: error },
            );
          }
          throw error;
        }
        if (flags.json) {
          print(
            jsonLine({
              ok: true,
              status: audit.status,
              file: audit.file,
              ...(audit.old ? { old: checkpointSummary(audit.old) } : {}),
              new: checkpointSummary(audit.new),
            }),
          );
        } else if (audit.status === 'first-use') {
          print(
            `OK: first checkpoint of ${audit.new.origin} (size ${audit.new.size}) remembered in ${audit.file}; later runs prove the log extends it`,
          );
        } else {
          print(
            `OK: ${audit.new.origin} grew from ${audit.old!.size} to ${audit.new.size} entries without rewriting any; remembered in ${audit.file}`,
          );
        }
      }),
    );

  addCommon(
    log
      .command('mirror')
      .description(
        'copy the log through its tiles API into DIR (C2SP layout), verifying every hash',
      ),
  )
    .argument(
      '<dir>',
      'the auditLib.mirror folder (created; an existing auditLib.mirror is resumed and updated)',
    )
    .option('--log <v1|v2>', 'which of the service’s logs', 'v1')
    .option('--quiet', 'no progress lines')
    .action(
      action(print, async (flags: TreeFlags, dir: string) => {
        const url = logUrl(flags);
        const key = logKey(flags, url);
        const prefix = tilesUrl(url, flavour(flags.log));
        const onProgress = progressPrinter(warn, 'mirror', flags);
        const report = await withInterrupt((signal) =>
          auditLib.mirror(prefix, resolve(dir), {
            logKey: key,
            http: { timeoutMs: timeoutMs(flags) },
            signal,
            progressIntervalMs: 1000,
            ...(onProgress ? { onProgress } : {}),
          }),
        );
        const { checkpoint } = report;
        if (report.ok) {
          writeMirrorDescription(resolve(dir), { logUrl: url, log: flavour(flags.log), prefix });
        }
        if (flags.json) {
          print(
            jsonLine({
              ok: report.ok,
              dir: resolve(dir),
              ...checkpointSummary(checkpoint),
              previousSize: report.previousSize,
              fetched: report.fetched,
              present: report.present,
              ...(report.problem ? { problem: report.problem } : {}),
            }),
          );
        }
        if (!report.ok) throw new ReportedCheckFailed(report.problem!.message);
        if (!flags.json) {
          print(
            `OK: mirrored ${checkpoint.origin} at size ${checkpoint.size} into ${resolve(dir)} (fetched ${report.fetched.files} files, ${report.fetched.bytes} bytes; ${report.present} already there)`,
          );
        }
      }),
    );

  addCommon(
    log
      .command('fsck')
      .description(
        're-derive every hash of a auditLib.mirror folder or a log URL from its entries and check every checkpoint',
      ),
  )
    .argument('<source>', 'a auditLib.mirror folder or the log’s URL')
    .option('--log <v1|v2>', 'for a URL: which of the service’s logs', 'v1')
    .option(
      '--state-file <file>',
      'where an interrupted run saves its place (default ~/.airlock/fsck/<source>.json)',
    )
    .option(
      '--checkpoint-file <file>',
      'a remembered checkpoint that must also agree (default: the one `log consistency` keeps)',
    )
    .option('--quiet', 'no progress lines')
    .action(
      action(print, async (flags: TreeFlags, target: string) => {
        const isUrl = /^https?:\/\//.test(target);
        let source: TileSource;
        let url: string | undefined;
        if (isUrl) {
          url = target;
          source = new auditLib.HttpTileSource(tilesUrl(target, flavour(flags.log)), {
            timeoutMs: timeoutMs(flags),
          });
        } else {
          const dir = resolve(target);
          if (!existsSync(dir)) throw new UsageError(`no such folder: ${dir}`);
          source = new auditLib.DirTileSource(dir);
          url =
            flags.rekorUrl ??
            readMirrorDescription(dir)?.logUrl ??
            stackDefaults(flags.stackDir).tlog;
        }
        const key = logKey(flags, url);
        const note = await source.readCheckpoint();
        if (note === null) throw new CheckFailed(`${source.location} has no checkpoint`);
        const checkpoint = auditLib.openLogCheckpoint(note, key);
        const rememberedFile =
          flags.checkpointFile ?? auditLib.defaultCheckpointFile(checkpoint.origin);
        const remembered = auditLib.readRememberedCheckpoint(rememberedFile);
        const stateFile =
          flags.stateFile ??
          join(
            homedir(),
            '.airlock',
            'fsck',
            `${createHash('sha256').update(source.location).digest('hex').slice(0, 16)}.json`,
          );
        const onProgress = progressPrinter(warn, 'fsck', flags);
        const report = await withInterrupt((signal) =>
          auditLib.fsck(source, {
            logKey: key,
            checkpoint: note,
            ...(remembered
              ? { extraCheckpoints: [{ location: rememberedFile, note: remembered.note }] }
              : {}),
            stateFile,
            signal,
            progressIntervalMs: 1000,
            ...(onProgress ? { onProgress } : {}),
          }),
        ).catch((error: unknown) => {
          if (error instanceof auditLib.AuditError && error.code === 'ABORTED') {
            throw new auditLib.AuditError(
              'ABORTED',
              `${error.message}; run the same command again to resume`,
            );
          }
          throw error;
        });
        if (flags.json) print(jsonLine(fsckSummary(report)));
        if (!report.ok) throw new ReportedCheckFailed(report.problem!.message);
        if (!flags.json) {
          const seconds = report.seconds.toFixed(1);
          const rate = Math.round(Number(report.entriesChecked) / Math.max(report.seconds, 1e-3));
          print(
            `OK: ${checkpoint.origin} at size ${checkpoint.size}: ${report.entriesChecked} entries re-hashed${report.resumedFrom > 0n ? ` (resumed at ${report.resumedFrom})` : ''}, ${report.tilesCompared} tiles and ${report.checkpointsChecked.length} checkpoints agree, in ${seconds} s (${rate} entries/s)`,
          );
        }
      }),
    );
}

function fsckSummary(report: FsckReport) {
  return {
    ok: report.ok,
    source: report.source,
    ...(report.checkpoint ? checkpointSummary(report.checkpoint) : {}),
    entriesChecked: report.entriesChecked,
    resumedFrom: report.resumedFrom,
    ...(report.resumeRefused !== undefined ? { resumeRefused: report.resumeRefused } : {}),
    tilesCompared: report.tilesCompared,
    checkpointsChecked: report.checkpointsChecked,
    seconds: report.seconds,
    ...(report.problem ? { problem: report.problem } : {}),
  };
}

/** auditLib.mirror.json: where a auditLib.mirror came from, so that auditLib.fsck of the folder finds the log's key. */
interface MirrorDescription {
  logUrl: string;
  log: LogFlavour;
  prefix: string;
}

function writeMirrorDescription(dir: string, description: MirrorDescription): void {
  // Written beside the tiles; no C2SP path is named auditLib.mirror.json.
  const path = join(dir, 'mirror.json');
  writeFileSync(path, `${JSON.stringify(description, null, 2)}\n`);
}

function readMirrorDescription(dir: string): MirrorDescription | undefined {
  const path = join(dir, 'mirror.json');
  if (!existsSync(path)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<MirrorDescription>;
    return typeof parsed.logUrl === 'string' ? (parsed as MirrorDescription) : undefined;
  } catch {
    throw new UsageError(`${path} is not valid JSON`);
  }
}
