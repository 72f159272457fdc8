// Offline bundle verification: bundles/s through @airlock/verify's verifyBundle and, on the same real
// bundles in the same run, through sigstore-js's own verifier; then the whole-process wall time of
// `airlock verify-blob` and `airlock --version` next to `node -e 0`, with where the startup goes.
// `npm run bench -- client [--ms 300] [--runs 15]`. The last line printed is one JSON object.

import { spawnSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Artifact, type VerificationPolicy, verifyBundle } from '@airlock/verify';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import {
  type KeyFinderFunc,
  type VerificationPolicy as SigstorePolicy,
  type TrustMaterial,
  toSignedEntity,
  toTrustMaterial,
  Verifier,
} from '@sigstore/verify';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI_BIN = join(REPO, 'packages', 'cli', 'dist', 'bin.js');
/** The same minimums verifyBundle applies by default, so both verifiers demand the same evidence. */
const THRESHOLDS = { tlogThreshold: 1, ctlogThreshold: 1, timestampThreshold: 1 } as const;
/** Each measurement follows an untimed run of this share of its length, so the JIT has settled. */
const WARMUP_SHARE = 0.3;
/** Each measurement is cut into this many slices, alternating between the verifiers compared. */
const SLICES = 5;

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`--${name} must be a positive integer`);
  return value;
}

function vectors(...parts: string[]): string {
  const path = join(REPO, '..', 'shared', 'vectors', ...parts);
  if (!existsSync(path)) {
    throw new Error(`test vectors not found at ${path}: shared/ must sit beside the repository`);
  }
  return path;
}

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));

// ---------------------------------------------------------------------------------------------------
// The bundles: every verify-ok conformance case and every genuine npm attestation, each with what
// both verifiers need (artifact, trusted root, policy), as the verify package's tests use them.

interface BenchCase {
  readonly name: string;
  readonly bundle: unknown;
  readonly trustedRoot: unknown;
  readonly airlock: { readonly artifact: Artifact; readonly policy: VerificationPolicy };
  readonly sigstore: {
    /** Message signatures need the artifact's bytes; sigstore-js does not read DSSE subjects. */
    readonly artifact?: Buffer;
    readonly keys?: KeyFinderFunc;
    readonly policy?: SigstorePolicy;
  };
}

const PRODUCTION_ROOT_PATH = vectors('npm-provenance', 'trusted_root.json');

/** A key that vouches for any hint within [start, end]: how both verifiers see a key policy. */
function keyFinder(publicKey: KeyObject, start?: Date, end?: Date): KeyFinderFunc {
  return () => ({
    publicKey,
    validFor: (date) =>
      (start === undefined || date >= start) && (end === undefined || date <= end),
  });
}

function conformanceCases(): BenchCase[] {
  const root = vectors('conformance', 'bundle-verify');
  const index = readJson(vectors('conformance', 'cases.shared.json')) as {
    defaults: { identity: string; issuer: string };
    cases: { case: string; expected: string }[];
  };
  const productionRoot = readJson(PRODUCTION_ROOT_PATH);
  return index.cases
    .filter((c) => c.expected === 'verify-ok' && statSync(join(root, c.case)).isDirectory())
    .map(({ case: name }) => {
      const file = (f: string) => join(root, name, f);
      const artifact = readFileSync(
        existsSync(file('artifact')) ? file('artifact') : join(root, 'a.txt'),
      );
      const trustedRoot = existsSync(file('trusted_root.json'))
        ? readJson(file('trusted_root.json'))
        : productionRoot;
      const bundle = readJson(file('bundle.sigstore.json'));
      if (existsSync(file('key.pub'))) {
        const pem = readFileSync(file('key.pub'), 'utf8');
        return {
          name: `conformance/${name}`,
          bundle,
          trustedRoot,
          airlock: { artifact: { bytes: artifact }, policy: { publicKey: pem } },
          sigstore: { artifact, keys: keyFinder(createPublicKey(pem)) },
        };
      }
      const read = (f: string, fallback: string) =>
        existsSync(file(f)) ? readFileSync(file(f), 'utf8').trim() : fallback;
      const identity = read('identity', index.defaults.identity);
      const issuer = read('issuer', index.defaults.issuer);
      return {
        name: `conformance/${name}`,
        bundle,
        trustedRoot,
        airlock: { artifact: { bytes: artifact }, policy: { identity, issuer } },
        sigstore: {
          artifact,
          policy: { subjectAlternativeName: identity, extensions: { issuer } },
        },
      };
    });
}

interface NpmBundleMeta {
  file: string;
  expected: string;
  verifyPolicy:
    | { kind: 'certificate-identity'; certificateIdentity: string; certificateOidcIssuer: string }
    | { kind: 'public-key'; keyHint: string };
}

function npmCases(): BenchCase[] {
  const dir = vectors('npm-provenance');
  const trustedRoot = readJson(PRODUCTION_ROOT_PATH);
  const registryKeys = (
    readJson(join(dir, 'npm-registry-keys.json')) as {
      keys: {
        keyId: string;
        keyUsage: string;
        publicKey: { rawBytes: string; validFor: { start: string; end?: string } };
      }[];
    }
  ).keys;
  const index = readJson(join(dir, 'index.shared.json')) as { valid: { dir: string }[] };
  return index.valid.flatMap(({ dir: caseDir }) => {
    const meta = readJson(join(dir, caseDir, 'meta.json')) as {
      package: string;
      subjectSha512Hex: string;
      tarballSha512Hex?: string;
      bundles: Record<string, NpmBundleMeta>;
    };
    const artifact: Artifact = {
      digest: { algorithm: 'sha512', hex: meta.tarballSha512Hex ?? meta.subjectSha512Hex },
    };
    return Object.entries(meta.bundles)
      .filter(([, bundle]) => bundle.expected === 'verify-ok')
      .map(([role, bundleMeta]): BenchCase => {
        const bundle = readJson(join(dir, caseDir, bundleMeta.file));
        const name = `npm/${meta.package} ${role}`;
        const policy = bundleMeta.verifyPolicy;
        if (policy.kind === 'certificate-identity') {
          return {
            name,
            bundle,
            trustedRoot,
            airlock: {
              artifact,
              policy: {
                identity: policy.certificateIdentity,
                issuer: policy.certificateOidcIssuer,
              },
            },
            sigstore: {
              policy: {
                subjectAlternativeName: policy.certificateIdentity,
                extensions: { issuer: policy.certificateOidcIssuer },
              },
            },
          };
        }
        const key = registryKeys.find(
          (k) => k.keyId === policy.keyHint && k.keyUsage === 'npm:attestations',
        );
        if (key === undefined) throw new Error(`no npm registry key ${policy.keyHint}`);
        const publicKey = createPublicKey({
          key: Buffer.from(key.publicKey.rawBytes, 'base64'),
          format: 'der',
          type: 'spki',
        });
        const start = new Date(key.publicKey.validFor.start);
        const end =
          key.publicKey.validFor.end === undefined
            ? undefined
            : new Date(key.publicKey.validFor.end);
        return {
          name,
          bundle,
          trustedRoot,
          airlock: {
            artifact,
            policy: {
              publicKey,
              keyId: key.keyId,
              validFor: { start, ...(end === undefined ? {} : { end }) },
            },
          },
          sigstore: { keys: keyFinder(publicKey, start, end) },
        };
      });
  });
}

// ---------------------------------------------------------------------------------------------------
// The three ways of verifying one bundle, each starting from the parsed JSON.

type VerifyOne = (benchCase: BenchCase) => void;

const airlockVerify: VerifyOne = (c) => {
  verifyBundle({
    bundle: c.bundle,
    artifact: c.airlock.artifact,
    trustedRoot: c.trustedRoot,
    policy: c.airlock.policy,
  });
};

/** sigstore-js doing the same work per bundle as verifyBundle: the trusted root is read each time. */
const sigstoreVerify: VerifyOne = (c) => {
  const trust = toTrustMaterial(TrustedRoot.fromJSON(c.trustedRoot), c.sigstore.keys);
  const entity = toSignedEntity(bundleFromJSON(c.bundle), c.sigstore.artifact);
  new Verifier(trust, THRESHOLDS).verify(entity, c.sigstore.policy);
};

/** sigstore-js as `sigstore.createVerifier` runs it: trust material built once, reused for every bundle. */
function sigstoreReusedVerify(): VerifyOne {
  const built = new Map<BenchCase, TrustMaterial>();
  return (c) => {
    let trust = built.get(c);
    if (trust === undefined) {
      trust = toTrustMaterial(TrustedRoot.fromJSON(c.trustedRoot), c.sigstore.keys);
      built.set(c, trust);
    }
    const entity = toSignedEntity(bundleFromJSON(c.bundle), c.sigstore.artifact);
    new Verifier(trust, THRESHOLDS).verify(entity, c.sigstore.policy);
  };
}

function refusal(run: VerifyOne, c: BenchCase): string | undefined {
  try {
    run(c);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message.split('\n')[0] : String(error);
  }
}

interface Slice {
  readonly calls: number;
  readonly wallMs: number;
  /** This process's CPU time (user + system): what the verification itself cost. */
  readonly cpuMs: number;
}

/** `run` over `cases` round-robin, in whole rounds (every bundle weighs the same) for at least `ms`. */
function timedRounds(run: VerifyOne, cases: readonly BenchCase[], ms: number): Slice {
  let calls = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let wallMs = 0;
  do {
    for (const c of cases) run(c);
    calls += cases.length;
    wallMs = performance.now() - started;
  } while (wallMs < ms);
  const cpu = process.cpuUsage(cpuBefore);
  return { calls, wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

interface Rate {
  /** Calls per second of wall time. */
  readonly wall: number;
  /** Calls per second of CPU time: the same on an idle machine, and steadier on a busy one. */
  readonly cpu: number;
}

/**
 * Rates of several verifiers on the same bundles, measured in alternating slices (each after an
 * untimed warm-up), the median slice of each: load from other processes hits all of them alike.
 */
function compareRates(runs: readonly VerifyOne[], cases: readonly BenchCase[], ms: number): Rate[] {
  for (const run of runs) timedRounds(run, cases, ms * WARMUP_SHARE);
  globalThis.gc?.();
  const slices: Slice[][] = runs.map(() => []);
  for (let round = 0; round < SLICES; round++) {
    runs.forEach((run, i) => {
      slices[i]!.push(timedRounds(run, cases, ms / SLICES));
    });
  }
  return slices.map((list) => ({
    wall: median(list.map((slice) => slice.calls / (slice.wallMs / 1000))),
    cpu: median(list.map((slice) => slice.calls / (slice.cpuMs / 1000))),
  }));
}

// ---------------------------------------------------------------------------------------------------
// Whole processes, spawned one after another.

interface ProcessTiming {
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function timeProcess(args: readonly string[], runs: number, expect?: RegExp): ProcessTiming {
  const times: number[] = [];
  // One untimed run fills the page cache for the modules it reads.
  for (let i = 0; i <= runs; i++) {
    const started = performance.now();
    const result = spawnSync(process.execPath, args, { cwd: REPO, encoding: 'utf8' });
    const ms = performance.now() - started;
    if (result.status !== 0 || (expect !== undefined && !expect.test(result.stdout))) {
      throw new Error(
        `node ${args.join(' ')} failed (${result.status}): ${result.stdout}${result.stderr}`,
      );
    }
    if (i > 0) times.push(ms);
  }
  return {
    medianMs: round(median(times), 1),
    minMs: round(Math.min(...times), 1),
    maxMs: round(Math.max(...times), 1),
  };
}

interface StartupPhases {
  /** From spawn to the first line of script: Node's own start. */
  readonly nodeStartMs: number;
  /** Importing the CLI's command tree (main.js and everything it imports statically). */
  readonly commandTreeMs: number;
  /** Importing @airlock/verify and the sigstore-js libraries under it. */
  readonly verifyImportMs: number;
  /** runCli itself: reading the files, the first (cold) verification, printing. */
  readonly runMs: number;
  /** After runCli returned until the parent saw the process end. */
  readonly exitMs: number;
}

/**
 * verify-blob's process cut into phases: a script with no static imports times the CLI's own
 * imports and its run, and the parent times the whole process around it.
 */
function startupPhases(argv: readonly string[], runs: number): StartupPhases {
  const mainUrl = pathToFileURL(join(REPO, 'packages', 'cli', 'dist', 'main.js')).href;
  const verifyUrl = pathToFileURL(join(REPO, 'packages', 'verify', 'dist', 'index.js')).href;
  const script = [
    'const t0 = performance.now();',
    `const { runCli } = await import(${JSON.stringify(mainUrl)});`,
    'const t1 = performance.now();',
    `await import(${JSON.stringify(verifyUrl)});`,
    'const t2 = performance.now();',
    'let out = "";',
    `const code = await runCli(${JSON.stringify(argv)}, { stdout: (t) => { out += t; }, stderr: (t) => { out += t; } });`,
    'const t3 = performance.now();',
    'process.stdout.write(JSON.stringify({ t0, t1, t2, t3, code, out }));',
  ].join('\n');
  const samples: (StartupPhases & { totalMs: number })[] = [];
  for (let i = 0; i <= runs; i++) {
    const started = performance.now();
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: REPO,
      encoding: 'utf8',
    });
    const totalMs = performance.now() - started;
    const probe = JSON.parse(result.stdout || '{}') as {
      t0: number;
      t1: number;
      t2: number;
      t3: number;
      code: number;
      out: string;
    };
    if (result.status !== 0 || probe.code !== 0 || !probe.out.startsWith('Verified OK')) {
      throw new Error(`startup probe failed: ${result.stdout}${result.stderr}`);
    }
    if (i === 0) continue;
    samples.push({
      nodeStartMs: probe.t0,
      commandTreeMs: probe.t1 - probe.t0,
      verifyImportMs: probe.t2 - probe.t1,
      runMs: probe.t3 - probe.t2,
      exitMs: totalMs - probe.t3,
      totalMs,
    });
  }
  const phase = (key: keyof StartupPhases) => round(median(samples.map((s) => s[key])), 1);
  return {
    nodeStartMs: phase('nodeStartMs'),
    commandTreeMs: phase('commandTreeMs'),
    verifyImportMs: phase('verifyImportMs'),
    runMs: phase('runMs'),
    exitMs: phase('exitMs'),
  };
}

// ---------------------------------------------------------------------------------------------------

const round = (value: number, digits = 0) => Number(value.toFixed(digits));

/** The hardware's own speed for scale: bare P-256 verifications per CPU second (node:crypto). */
function rawP256VerifyPerSecond(ms: number): number {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const message = Buffer.alloc(300, 7);
  const signature = sign('sha256', message, privateKey);
  for (let i = 0; i < 200; i++) verify('sha256', message, publicKey, signature);
  let calls = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  while (performance.now() - started < ms) {
    for (let i = 0; i < 100; i++) verify('sha256', message, publicKey, signature);
    calls += 100;
  }
  const cpu = process.cpuUsage(cpuBefore);
  return calls / ((cpu.user + cpu.system) / 1e6);
}

function printTable(header: readonly string[], rows: readonly (readonly string[])[]): void {
  const lines = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...lines.map((line) => line[column]!.length)));
  for (const line of lines) {
    console.log(
      line
        .map((cell, column) =>
          column === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[column]!),
        )
        .join('  '),
    );
  }
}

function main(): void {
  const ms = option('ms', 300);
  const runs = option('runs', 15);
  const cpu = cpus()[0]?.model ?? 'unknown';
  console.log(
    `client bench: Node ${process.version}, ${cpus().length} × ${cpu}, load ${loadavg()[0]!.toFixed(2)}, ${ms} ms per measurement, ${runs} process runs`,
  );

  const cases = [...conformanceCases(), ...npmCases()];
  const sigstoreReused = sigstoreReusedVerify();
  const refusedByAirlock = cases.flatMap((c) => {
    const why = refusal(airlockVerify, c);
    return why === undefined ? [] : [{ name: c.name, why }];
  });
  if (refusedByAirlock.length > 0) {
    throw new Error(`verifyBundle refuses genuine bundles: ${JSON.stringify(refusedByAirlock)}`);
  }
  const refusedBySigstore = cases.flatMap((c) => {
    const why = refusal(sigstoreVerify, c);
    return why === undefined ? [] : [{ name: c.name, why }];
  });
  const common = cases.filter((c) => !refusedBySigstore.some((r) => r.name === c.name));

  // Per bundle: each verifier on that bundle alone.
  const none: Rate = { wall: Number.NaN, cpu: Number.NaN };
  const perBundle = cases.map((c) => {
    const [airlock, sigstore = none, reused = none] = compareRates(
      common.includes(c) ? [airlockVerify, sigstoreVerify, sigstoreReused] : [airlockVerify],
      [c],
      ms,
    );
    return { name: c.name, airlock: airlock!, sigstore, reused };
  });
  console.error('  done: per-bundle rates');

  // The mix: every bundle both accept, round-robin.
  const [mixAirlock, mixSigstore, mixReused] = compareRates(
    [airlockVerify, sigstoreVerify, sigstoreReused],
    common,
    ms * 10,
  );
  const mix = { airlock: mixAirlock!, sigstore: mixSigstore!, reused: mixReused! };
  const rawVerify = rawP256VerifyPerSecond(ms * 3);
  console.error('  done: mixed rates');

  // Whole processes.
  const conformanceDefaults = (
    readJson(vectors('conformance', 'cases.shared.json')) as {
      defaults: { identity: string; issuer: string };
    }
  ).defaults;
  const blob = vectors('conformance', 'bundle-verify', 'a.txt');
  const cliBundle = vectors(
    'conformance',
    'bundle-verify',
    'happy-path-v0.3',
    'bundle.sigstore.json',
  );
  const verifyBlobArgs = [
    CLI_BIN,
    'verify-blob',
    blob,
    '--bundle',
    cliBundle,
    '--trusted-root',
    PRODUCTION_ROOT_PATH,
    '--certificate-identity',
    conformanceDefaults.identity,
    '--certificate-oidc-issuer',
    conformanceDefaults.issuer,
  ];
  const nodeBare = timeProcess(['-e', '0'], runs);
  const version = timeProcess([CLI_BIN, '--version'], runs, /^\d+\.\d+\.\d+/);
  const verifyBlob = timeProcess(verifyBlobArgs, runs, /^Verified OK/);
  // Where verify-blob's time goes, phase by phase, in the same kind of process.
  const phases = startupPhases(verifyBlobArgs.slice(1), runs);
  console.error('  done: processes');

  console.log('');
  const fmt = (value: number, digits = 0) =>
    Number.isNaN(value)
      ? '—'
      : value.toLocaleString('en-US', {
          minimumFractionDigits: digits,
          maximumFractionDigits: digits,
        });
  printTable(
    ['bundle', 'airlock/s', 'sigstore-js/s', 'airlock÷sjs', 'sjs reused/s', 'airlock÷reused'],
    [
      ...[...perBundle, { name: `MIX of ${common.length} bundles both accept`, ...mix }].map(
        (row) => [
          row.name,
          fmt(row.airlock.cpu),
          fmt(row.sigstore.cpu),
          `${fmt(row.airlock.cpu / row.sigstore.cpu, 2)}×`,
          fmt(row.reused.cpu),
          `${fmt(row.airlock.cpu / row.reused.cpu, 2)}×`,
        ],
      ),
    ],
  );
  console.log(
    `bundles per second of CPU time (medians of ${SLICES} alternating slices; wall-clock rates are in the JSON line);`,
  );
  console.log(
    'sigstore-js = TrustedRoot.fromJSON + toTrustMaterial + bundleFromJSON + toSignedEntity + Verifier.verify per bundle',
  );
  console.log(
    '(the same work verifyBundle does); "reused" builds the trust material once per trusted root, as sigstore.createVerifier does.',
  );
  console.log(`raw ECDSA P-256 verify (node:crypto), for scale: ${fmt(rawVerify)} per CPU second`);
  for (const refused of refusedBySigstore) {
    console.log(`sigstore-js refuses ${refused.name}: ${refused.why}`);
  }

  console.log('');
  printTable(
    ['process (wall time, sequential spawns)', 'median ms', 'min ms', 'max ms', '÷ node -e 0'],
    (
      [
        ['node -e 0', nodeBare],
        ['airlock --version', version],
        ['airlock verify-blob (happy-path-v0.3)', verifyBlob],
      ] as const
    ).map(([name, timing]) => [
      name,
      fmt(timing.medianMs, 1),
      fmt(timing.minMs, 1),
      fmt(timing.maxMs, 1),
      `${fmt(timing.medianMs / nodeBare.medianMs, 2)}×`,
    ]),
  );
  console.log('');
  console.log(`verify-blob, phase by phase (medians of ${runs} probe processes):`);
  printTable(
    ['phase', 'ms'],
    [
      ['node start (spawn to first line of script)', fmt(phases.nodeStartMs, 1)],
      ['import the command tree (cli/dist/main.js)', fmt(phases.commandTreeMs, 1)],
      ['import @airlock/verify + sigstore-js', fmt(phases.verifyImportMs, 1)],
      ['runCli: read files, cold verification, print', fmt(phases.runMs, 1)],
      ['exit', fmt(phases.exitMs, 1)],
    ],
  );
  console.log(
    `(a warm in-process verification of the same bundle takes ${fmt(1000 / (perBundle.find((row) => row.name === 'conformance/happy-path-v0.3')?.airlock.cpu ?? Number.NaN), 1)} ms of CPU)`,
  );

  console.log(
    JSON.stringify({
      bench: 'client',
      node: process.version,
      cpu,
      cores: cpus().length,
      loadAverage: round(loadavg()[0]!, 2),
      bundles: cases.length,
      commonBundles: common.length,
      mixAirlockPerCpuSecond: round(mix.airlock.cpu),
      mixSigstoreJsPerCpuSecond: round(mix.sigstore.cpu),
      mixSigstoreJsReusedTrustPerCpuSecond: round(mix.reused.cpu),
      mixAirlockToSigstoreJs: round(mix.airlock.cpu / mix.sigstore.cpu, 3),
      mixAirlockToSigstoreJsReused: round(mix.airlock.cpu / mix.reused.cpu, 3),
      mixAirlockPerWallSecond: round(mix.airlock.wall),
      mixSigstoreJsPerWallSecond: round(mix.sigstore.wall),
      mixSigstoreJsReusedTrustPerWallSecond: round(mix.reused.wall),
      rawP256VerifyPerSecond: round(rawVerify),
      perBundle: perBundle.map((row) => ({
        name: row.name,
        airlockPerCpuSecond: round(row.airlock.cpu),
        sigstoreJsPerCpuSecond: Number.isNaN(row.sigstore.cpu) ? null : round(row.sigstore.cpu),
        sigstoreJsReusedPerCpuSecond: Number.isNaN(row.reused.cpu) ? null : round(row.reused.cpu),
        airlockPerWallSecond: round(row.airlock.wall),
        sigstoreJsPerWallSecond: Number.isNaN(row.sigstore.wall) ? null : round(row.sigstore.wall),
        sigstoreJsReusedPerWallSecond: Number.isNaN(row.reused.wall)
          ? null
          : round(row.reused.wall),
      })),
      sigstoreJsRefuses: refusedBySigstore,
      process: {
        runs,
        nodeBare,
        version,
        verifyBlob,
        verifyBlobPhases: phases,
        verifyBlobToNodeBare: round(verifyBlob.medianMs / nodeBare.medianMs, 2),
        versionToNodeBare: round(version.medianMs / nodeBare.medianMs, 2),
      },
    }),
  );
}

main();
