// Merkle proof throughput over in-memory trees of 10^3..10^7 leaves, against raw SHA-256 measured in
// the same run: `npm run bench -- merkle [--sizes 1000,100000] [--ops 20000]`.
import { hash } from 'node:crypto';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import {
  bitLength,
  CompactRange,
  hashLeaf,
  MemoryHashStore,
  popCount,
  rangeNodes,
  trailingZeros,
  verifyConsistency,
  verifyInclusion,
} from '@airlock/merkle';

const DEFAULT_SIZES = [1e3, 1e4, 1e5, 1e6, 1e7];
const DEFAULT_OPS = 20_000;
/** Untimed calls before each timed loop, so the JIT has settled. */
const WARMUP_OPS = 500;

function option(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}
const sizes = (option('sizes')?.split(',').map(Number) ?? DEFAULT_SIZES).filter((n) => n >= 2);
const ops = Number(option('ops') ?? DEFAULT_OPS);

/** Deterministic indices, so runs on different machines do the same work (mulberry32). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Leaf i is the 8-byte little-endian encoding of i, so any leaf hash can be recomputed on demand. */
const leafBytes = new Uint8Array(8);
const leafView = new DataView(leafBytes.buffer);
function leafHashAt(index: number): Uint8Array {
  leafView.setBigUint64(0, BigInt(index), true);
  return hashLeaf(leafBytes);
}

function time(run: () => void): number {
  const start = performance.now();
  run();
  return performance.now() - start;
}

/** Node hashes verifyConsistency performs: first root over the one-bits, second root over all. */
function consistencyHashCount(size1: bigint, size2: bigint): number {
  const shift = trailingZeros(size1);
  const fullInner = bitLength((size1 - 1n) ^ (size2 - 1n));
  const inner = fullInner - shift;
  const border = popCount((size1 - 1n) >> BigInt(fullInner));
  const mask = ((size1 - 1n) >> BigInt(shift)) & ((1n << BigInt(inner)) - 1n);
  return popCount(mask) + inner + 2 * border;
}

/** The ceiling: `count` bare SHA-256 calls over 65-byte inputs, the size of an interior node's preimage. */
function rawSha256Ms(count: number): number {
  const input = new Uint8Array(65);
  input[0] = 1;
  for (let i = 0; i < WARMUP_OPS; i++) hash('sha256', input, 'buffer');
  return time(() => {
    for (let i = 0; i < count; i++) {
      input[1] = i & 0xff;
      input[2] = (i >> 8) & 0xff;
      hash('sha256', input, 'buffer');
    }
  });
}

interface OperationFigures {
  proveUsPerOp: number;
  proveOpsPerSec: number;
  verifyUsPerOp: number;
  verifyOpsPerSec: number;
  hashesPerVerify: number;
  rawSha256UsForSameHashes: number;
  verifyToRawSha256Ratio: number;
}

function figures(
  proveMs: number,
  verifyMs: number,
  hashes: number,
  rawMs: number,
): OperationFigures {
  return {
    proveUsPerOp: (proveMs * 1000) / ops,
    proveOpsPerSec: ops / (proveMs / 1000),
    verifyUsPerOp: (verifyMs * 1000) / ops,
    verifyOpsPerSec: ops / (verifyMs / 1000),
    hashesPerVerify: hashes / ops,
    rawSha256UsForSameHashes: (rawMs * 1000) / ops,
    verifyToRawSha256Ratio: verifyMs / rawMs,
  };
}

function benchInclusion(store: MemoryHashStore, size: number): OperationFigures {
  const next = random(size);
  const indices = Array.from({ length: ops }, () => Math.floor(next() * size));
  const leafHashes = indices.map(leafHashAt);
  const treeSize = BigInt(size);
  const root = store.root();
  const bigIndices = indices.map(BigInt);

  for (let i = 0; i < WARMUP_OPS; i++) store.inclusionProof(bigIndices[i % ops]!, treeSize);
  const proofs: Uint8Array[][] = new Array(ops);
  const proveMs = time(() => {
    for (let i = 0; i < ops; i++) proofs[i] = store.inclusionProof(bigIndices[i]!, treeSize);
  });

  for (let i = 0; i < WARMUP_OPS; i++)
    verifyInclusion(leafHashes[i % ops]!, bigIndices[i % ops]!, treeSize, proofs[i % ops]!, root);
  let failures = 0;
  const verifyMs = time(() => {
    for (let i = 0; i < ops; i++) {
      if (!verifyInclusion(leafHashes[i]!, bigIndices[i]!, treeSize, proofs[i]!, root)) failures++;
    }
  });
  if (failures > 0)
    throw new Error(`${failures} inclusion proofs failed to verify at size ${size}`);

  // One HN per proof hash: the proof length is exactly the number of node hashes verified.
  const hashes = proofs.reduce((sum, proof) => sum + proof.length, 0);
  return figures(proveMs, verifyMs, hashes, rawSha256Ms(hashes));
}

function benchConsistency(store: MemoryHashStore, size: number): OperationFigures {
  const next = random(size + 1);
  const size2 = BigInt(size);
  const sizes1 = Array.from({ length: ops }, () => BigInt(1 + Math.floor(next() * (size - 1))));
  // Roots of the older trees, from the store's perfect subtrees (untimed).
  const roots1 = sizes1.map((size1) =>
    CompactRange.fromPeaks(size1, store.readNodes(rangeNodes(0n, size1))).root(),
  );
  const root2 = store.root();

  for (let i = 0; i < WARMUP_OPS; i++) store.consistencyProof(sizes1[i % ops]!, size2);
  const proofs: Uint8Array[][] = new Array(ops);
  const proveMs = time(() => {
    for (let i = 0; i < ops; i++) proofs[i] = store.consistencyProof(sizes1[i]!, size2);
  });

  for (let i = 0; i < WARMUP_OPS; i++)
    verifyConsistency(sizes1[i % ops]!, size2, proofs[i % ops]!, roots1[i % ops]!, root2);
  let failures = 0;
  const verifyMs = time(() => {
    for (let i = 0; i < ops; i++) {
      if (!verifyConsistency(sizes1[i]!, size2, proofs[i]!, roots1[i]!, root2)) failures++;
    }
  });
  if (failures > 0)
    throw new Error(`${failures} consistency proofs failed to verify at size ${size}`);

  const hashes = sizes1.reduce((sum, size1) => sum + consistencyHashCount(size1, size2), 0);
  return figures(proveMs, verifyMs, hashes, rawSha256Ms(hashes));
}

interface SizeFigures {
  leaves: number;
  buildMs: number;
  buildUsPerLeaf: number;
  rssMiBAfterBuild: number;
  inclusion: OperationFigures;
  consistency: OperationFigures;
}

function benchSize(size: number): SizeFigures {
  globalThis.gc?.();
  const store = new MemoryHashStore();
  // Build = hash each leaf and append it (a sequencer's work per entry, without I/O).
  const buildMs = time(() => {
    for (let i = 0; i < size; i++) store.append(leafHashAt(i));
  });
  const rssMiBAfterBuild = process.memoryUsage().rss / 2 ** 20;
  return {
    leaves: size,
    buildMs,
    buildUsPerLeaf: (buildMs * 1000) / size,
    rssMiBAfterBuild,
    inclusion: benchInclusion(store, size),
    consistency: benchConsistency(store, size),
  };
}

const fmt = (value: number, digits = 2) =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function printTable(rows: SizeFigures[]): void {
  const header = ['leaves', 'operation', 'µs/op', 'ops/s', 'hashes/op', 'raw SHA µs', 'verify/raw'];
  const lines: string[][] = [header];
  for (const row of rows) {
    const leaves = row.leaves.toLocaleString('en-US');
    lines.push([
      leaves,
      'build (per leaf)',
      fmt(row.buildUsPerLeaf),
      fmt(1e6 / row.buildUsPerLeaf, 0),
      '',
      '',
      `${fmt(row.buildMs / 1000)} s, RSS ${fmt(row.rssMiBAfterBuild, 0)} MiB`,
    ]);
    for (const [name, op] of [
      ['inclusion', row.inclusion],
      ['consistency', row.consistency],
    ] as const) {
      lines.push([
        leaves,
        `${name} prove`,
        fmt(op.proveUsPerOp),
        fmt(op.proveOpsPerSec, 0),
        '',
        '',
        '',
      ]);
      lines.push([
        leaves,
        `${name} verify`,
        fmt(op.verifyUsPerOp),
        fmt(op.verifyOpsPerSec, 0),
        fmt(op.hashesPerVerify, 1),
        fmt(op.rawSha256UsForSameHashes),
        `${fmt(op.verifyToRawSha256Ratio)}×`,
      ]);
    }
  }
  const widths = header.map((_, column) => Math.max(...lines.map((line) => line[column]!.length)));
  for (const line of lines) {
    console.log(
      line
        .map((cell, column) =>
          column < 2 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!),
        )
        .join('  '),
    );
  }
}

const cpu = cpus();
console.log(
  `merkle bench: Node ${process.version}, ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${ops} ops per measurement`,
);
const rows: SizeFigures[] = [];
for (const size of sizes) {
  rows.push(benchSize(size));
  console.error(`  done: ${size.toLocaleString('en-US')} leaves`);
}
console.log('');
printTable(rows);
console.log(
  'raw SHA µs = bare crypto.hash(sha256) over as many 65-byte inputs as one verification hashes;',
);
console.log('verify/raw = verification time / that ceiling (1.00× would be pure hashing).');
console.log(
  JSON.stringify({
    bench: 'merkle',
    node: process.version,
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    opsPerMeasurement: ops,
    sizes: rows,
  }),
);
