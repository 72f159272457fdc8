// Third-party vectors (RFC 6962 reference tree, transparency-dev probes, real Rekor proofs) give
// exactly the outcome their sources expect; see ../shared/vectors/merkle/README.md.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  assertInclusion,
  CompactRange,
  EMPTY_ROOT,
  type HashReader,
  hashChildren,
  hashLeaf,
  MemoryHashStore,
  MerkleError,
  proveConsistency,
  proveInclusion,
  rootOfLeafHashes,
  verifyConsistency,
  verifyInclusion,
} from '@airlock/merkle';
import { describe, expect, it } from 'vitest';
import { sharedVectorsPath } from '../../../test/support/shared-vectors.js';

const vectorsDir = sharedVectorsPath('merkle');

function readJson<T>(name: string): T {
  return JSON.parse(readFileSync(join(vectorsDir, name), 'utf8')) as T;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

function fromHex(text: string): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/.test(text)) throw new Error(`not lowercase hex: ${text}`);
  return new Uint8Array(Buffer.from(text, 'hex'));
}

/** Strict base64: Buffer.from ignores junk, so insist the text re-encodes to itself. */
function fromBase64(text: string): Uint8Array {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) throw new Error(`not canonical base64: ${text}`);
  return new Uint8Array(bytes);
}

/**
 * JSON.parse that keeps integers exact: every number token outside a string becomes a bigint
 * (upstream files hold 2^64-1, which a JS number rounds to 2^64). Non-integers are refused.
 */
function parseJsonWithBigInts(text: string): unknown {
  let tagged = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (inString) {
      tagged += char;
      if (char === '\\') tagged += text[++i] ?? '';
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
      tagged += char;
    } else if (char === '-' || (char >= '0' && char <= '9')) {
      const token = /^-?[0-9][0-9eE.+-]*/.exec(text.slice(i))?.[0] ?? char;
      if (!/^-?(?:0|[1-9][0-9]*)$/.test(token)) throw new Error(`not an integer: ${token}`);
      tagged += `{"$bigint":"${token}"}`;
      i += token.length - 1;
    } else {
      tagged += char;
    }
  }
  return JSON.parse(tagged, (_key, value: unknown) =>
    value !== null && typeof value === 'object' && '$bigint' in value
      ? BigInt((value as { $bigint: string }).$bigint)
      : value,
  );
}

function listJsonFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.json'))
    .sort();
}

/** The async path a log takes: a HashReader whose reads resolve later. */
function asyncReader(store: MemoryHashStore): HashReader {
  return { readNodes: async (ids) => store.readNodes(ids) };
}

interface ReferenceTree {
  leafInputs: string[];
  leafHashes: string[];
  nodeHashesByLevel: { levels: string[][] };
  rootByTreeSize: Record<string, string>;
}
const reference = readJson<ReferenceTree>('rfc6962-reference-tree.json');
const referenceLeafHashes = reference.leafHashes.map(fromHex);

function referenceStore(): MemoryHashStore {
  const store = new MemoryHashStore();
  for (const leaf of referenceLeafHashes) store.append(leaf);
  return store;
}

describe('rfc6962-reference-tree.json', () => {
  it('has the 8 leaves and 9 roots the README promises', () => {
    expect(reference.leafInputs).toHaveLength(8);
    expect(reference.leafHashes).toHaveLength(8);
    expect(Object.keys(reference.rootByTreeSize)).toHaveLength(9);
    expect(reference.nodeHashesByLevel.levels.map((level) => level.length)).toEqual([8, 4, 2, 1]);
  });

  it('hashes every leaf input to its leaf hash', () => {
    reference.leafInputs.forEach((input, i) => {
      expect(hex(hashLeaf(fromHex(input)))).toBe(reference.leafHashes[i]);
    });
  });

  it('stores every complete subtree hash at its (level, index)', () => {
    const store = referenceStore();
    reference.nodeHashesByLevel.levels.forEach((hashes, level) => {
      const ids = hashes.map((_, index) => ({ level, index: BigInt(index) }));
      expect(store.readNodes(ids).map(hex)).toEqual(hashes);
    });
  });

  it('refuses nodes the 8-leaf tree does not have', () => {
    const store = referenceStore();
    for (const id of [
      { level: 0, index: -1n },
      { level: 1, index: -2n },
      { level: 0, index: 8n },
      { level: 2, index: 2n },
      { level: 3, index: 1n },
      { level: 4, index: 0n },
    ]) {
      expect(() => store.readNodes([id])).toThrow(
        expect.objectContaining({ name: 'MerkleError', code: 'MISSING_NODE' }),
      );
    }
  });

  it('gives the root of every size 0..8 by CompactRange, rootOfLeafHashes and MemoryHashStore', () => {
    const range = CompactRange.empty();
    const store = new MemoryHashStore();
    for (let size = 0; size <= 8; size++) {
      const want = reference.rootByTreeSize[String(size)];
      expect(want).toBeDefined();
      expect(hex(range.root())).toBe(want);
      expect(hex(store.root())).toBe(want);
      expect(hex(rootOfLeafHashes(referenceLeafHashes.slice(0, size)))).toBe(want);
      const next = referenceLeafHashes[size];
      if (next) {
        range.append(next);
        store.append(next);
      }
    }
    expect(hex(EMPTY_ROOT)).toBe(reference.rootByTreeSize['0']);
  });
});

describe('rfc6962-hasher-vectors.json', () => {
  const { vectors } = readJson<{
    vectors: { op: string; desc: string; want: string; [field: string]: string }[];
  }>('rfc6962-hasher-vectors.json');

  it('has 4 vectors', () => expect(vectors).toHaveLength(4));

  it.each(vectors)('$desc', (vector) => {
    const compute = (): Uint8Array => {
      switch (vector.op) {
        case 'emptyRoot':
          return EMPTY_ROOT;
        case 'hashLeaf':
          return hashLeaf(fromHex(vector.inputHex!));
        case 'hashChildren':
          return hashChildren(fromHex(vector.leftHex!), fromHex(vector.rightHex!));
        default:
          throw new Error(`unknown op ${vector.op}`);
      }
    };
    expect(hex(compute())).toBe(vector.want);
  });
});

describe('golden-proofs.json', () => {
  interface GoldenInclusion {
    leafIndex: number;
    treeSize: number;
    leafInputHex: string;
    leafHash: string;
    proof: string[];
    root: string;
  }
  interface GoldenConsistency {
    size1: number;
    size2: number;
    proof: string[];
    root1: string;
    root2: string;
  }
  const golden = readJson<{ inclusion: GoldenInclusion[]; consistency: GoldenConsistency[] }>(
    'golden-proofs.json',
  );
  const store = referenceStore();
  const root = (size: number) => reference.rootByTreeSize[String(size)];

  it('has 5 inclusion and 5 consistency proofs', () => {
    expect(golden.inclusion).toHaveLength(5);
    expect(golden.consistency).toHaveLength(5);
  });

  it.each(golden.inclusion)(
    'inclusion of leaf $leafIndex in tree of size $treeSize',
    async (vector) => {
      const index = BigInt(vector.leafIndex);
      const size = BigInt(vector.treeSize);
      expect(hex(hashLeaf(fromHex(vector.leafInputHex)))).toBe(vector.leafHash);
      expect(vector.root).toBe(root(vector.treeSize));
      expect(store.inclusionProof(index, size).map(hex)).toEqual(vector.proof);
      expect((await proveInclusion(asyncReader(store), index, size)).map(hex)).toEqual(
        vector.proof,
      );
      expect(
        verifyInclusion(
          fromHex(vector.leafHash),
          index,
          size,
          vector.proof.map(fromHex),
          fromHex(vector.root),
        ),
      ).toBe(true);
    },
  );

  it.each(golden.consistency)('consistency from $size1 to $size2', async (vector) => {
    const size1 = BigInt(vector.size1);
    const size2 = BigInt(vector.size2);
    expect(vector.root1).toBe(root(vector.size1));
    expect(vector.root2).toBe(root(vector.size2));
    expect(store.consistencyProof(size1, size2).map(hex)).toEqual(vector.proof);
    expect((await proveConsistency(asyncReader(store), size1, size2)).map(hex)).toEqual(
      vector.proof,
    );
    expect(
      verifyConsistency(
        size1,
        size2,
        vector.proof.map(fromHex),
        fromHex(vector.root1),
        fromHex(vector.root2),
      ),
    ).toBe(true);
  });
});

interface InclusionProbe {
  file: string;
  desc: string;
  wantErr: boolean;
  leafIndex: bigint;
  treeSize: bigint;
  leafHash: Uint8Array;
  root: Uint8Array;
  proof: Uint8Array[];
}
interface ConsistencyProbe {
  file: string;
  desc: string;
  wantErr: boolean;
  size1: bigint;
  size2: bigint;
  root1: Uint8Array;
  root2: Uint8Array;
  proof: Uint8Array[];
}

const verifyInclusionProbe = (p: InclusionProbe) =>
  verifyInclusion(p.leafHash, p.leafIndex, p.treeSize, p.proof, p.root);
const verifyConsistencyProbe = (p: ConsistencyProbe) =>
  verifyConsistency(p.size1, p.size2, p.proof, p.root1, p.root2);

interface MergedProbes<T> {
  count: number;
  positives: number;
  probes: T[];
}
const mergedInclusion = readJson<MergedProbes<Record<string, unknown>>>(
  'inclusion-probes.shared.json',
);
const mergedConsistency = readJson<MergedProbes<Record<string, unknown>>>(
  'consistency-probes.shared.json',
);

const str = (value: unknown): string => {
  if (typeof value !== 'string') throw new Error(`want a string, got ${typeof value}`);
  return value;
};
const proofOf = (value: unknown, decode: (text: string) => Uint8Array): Uint8Array[] =>
  value === null ? [] : (value as unknown[]).map((hash) => decode(str(hash)));

const inclusionProbes: InclusionProbe[] = mergedInclusion.probes.map((p) => ({
  file: str(p.file),
  desc: str(p.desc),
  wantErr: p.wantErr as boolean,
  leafIndex: BigInt(str(p.leafIndex)),
  treeSize: BigInt(str(p.treeSize)),
  leafHash: fromHex(str(p.leafHash)),
  root: fromHex(str(p.root)),
  proof: proofOf(p.proof, fromHex),
}));
const consistencyProbes: ConsistencyProbe[] = mergedConsistency.probes.map((p) => ({
  file: str(p.file),
  desc: str(p.desc),
  wantErr: p.wantErr as boolean,
  size1: BigInt(str(p.size1)),
  size2: BigInt(str(p.size2)),
  root1: fromHex(str(p.root1)),
  root2: fromHex(str(p.root2)),
  proof: proofOf(p.proof, fromHex),
}));

const upstreamDir = join(vectorsDir, 'transparency-dev');
const upstreamInclusionFiles = listJsonFiles(join(upstreamDir, 'inclusion'));
const upstreamConsistencyFiles = listJsonFiles(join(upstreamDir, 'consistency'));

function readUpstream(kind: string, file: string): Record<string, unknown> {
  const parsed = parseJsonWithBigInts(readFileSync(join(upstreamDir, kind, file), 'utf8'));
  return parsed as Record<string, unknown>;
}
const big = (value: unknown): bigint => {
  if (typeof value !== 'bigint') throw new Error(`want an integer, got ${typeof value}`);
  return value;
};

const upstreamInclusion: InclusionProbe[] = upstreamInclusionFiles.map((file) => {
  const p = readUpstream('inclusion', file);
  return {
    file: `inclusion/${file}`,
    desc: str(p.desc),
    wantErr: p.wantErr as boolean,
    leafIndex: big(p.leafIdx),
    treeSize: big(p.treeSize),
    leafHash: fromBase64(str(p.leafHash)),
    root: fromBase64(str(p.root)),
    proof: proofOf(p.proof, fromBase64),
  };
});
const upstreamConsistency: ConsistencyProbe[] = upstreamConsistencyFiles.map((file) => {
  const p = readUpstream('consistency', file);
  return {
    file: `consistency/${file}`,
    desc: str(p.desc),
    wantErr: p.wantErr as boolean,
    size1: big(p.size1),
    size2: big(p.size2),
    root1: fromBase64(str(p.root1)),
    root2: fromBase64(str(p.root2)),
    proof: proofOf(p.proof, fromBase64),
  };
});

describe('transparency-dev probe counts (nothing silently dropped)', () => {
  // The README's table announces 98 + 98 probes, but the vector set shipped beside this repository
  // holds 65 inclusion and 63 consistency probes (its own `count` fields agree). Every count that can
  // be derived is checked against every other, so a probe lost while reading fails here.
  it('reads every merged inclusion probe and every upstream inclusion file', () => {
    expect(inclusionProbes).toHaveLength(mergedInclusion.count);
    expect(upstreamInclusion).toHaveLength(mergedInclusion.count);
    expect(upstreamInclusion.map((p) => p.file)).toEqual(inclusionProbes.map((p) => p.file).sort());
    expect(inclusionProbes.filter((p) => !p.wantErr)).toHaveLength(mergedInclusion.positives);
    expect(inclusionProbes.length).toBeGreaterThanOrEqual(65);
  });

  it('reads every merged consistency probe and every upstream consistency file', () => {
    expect(consistencyProbes).toHaveLength(mergedConsistency.count);
    expect(upstreamConsistency).toHaveLength(mergedConsistency.count);
    expect(upstreamConsistency.map((p) => p.file)).toEqual(
      consistencyProbes.map((p) => p.file).sort(),
    );
    expect(consistencyProbes.filter((p) => !p.wantErr)).toHaveLength(mergedConsistency.positives);
    expect(consistencyProbes.length).toBeGreaterThanOrEqual(63);
  });

  it('keeps 2^64-1 exact where upstream writes it as a raw JSON number', () => {
    const maxIndex = (1n << 64n) - 1n;
    const upstream = upstreamInclusion.filter((p) => p.leafIndex === maxIndex);
    expect(upstream.length).toBeGreaterThanOrEqual(2);
    expect(upstream.map((p) => p.file).sort()).toEqual(
      inclusionProbes
        .filter((p) => p.leafIndex === maxIndex)
        .map((p) => p.file)
        .sort(),
    );
  });

  it('merged probes say the same as the verbatim upstream files', () => {
    const byFile = new Map<string, unknown>(
      [...inclusionProbes, ...consistencyProbes].map((p) => [p.file, normalise(p)]),
    );
    for (const p of [...upstreamInclusion, ...upstreamConsistency]) {
      expect(normalise(p), p.file).toEqual(byFile.get(p.file));
    }
  });
});

function normalise(probe: InclusionProbe | ConsistencyProbe): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(probe).map(([key, value]) => [
      key,
      value instanceof Uint8Array
        ? hex(value)
        : Array.isArray(value)
          ? value.map((hash: Uint8Array) => hex(hash))
          : value,
    ]),
  );
}

describe('inclusion-probes.shared.json', () => {
  it.each(inclusionProbes)('$file ($desc): wantErr=$wantErr', (probe) => {
    expect(verifyInclusionProbe(probe)).toBe(!probe.wantErr);
  });
});

describe('consistency-probes.shared.json', () => {
  it.each(consistencyProbes)('$file ($desc): wantErr=$wantErr', (probe) => {
    expect(verifyConsistencyProbe(probe)).toBe(!probe.wantErr);
  });
});

describe('transparency-dev upstream files (base64, raw JSON numbers)', () => {
  it.each(upstreamInclusion)('$file: wantErr=$wantErr', (probe) => {
    expect(verifyInclusionProbe(probe)).toBe(!probe.wantErr);
  });
  it.each(upstreamConsistency)('$file: wantErr=$wantErr', (probe) => {
    expect(verifyConsistencyProbe(probe)).toBe(!probe.wantErr);
  });
});

describe('semantics the README fixes (decided deliberately, as transparency-dev does)', () => {
  const root = fromHex(reference.rootByTreeSize['1']!);
  const twelveBytes = new TextEncoder().encode("don't care 1");

  it('refuses consistency from size 0, even 0 -> 0 with equal roots', () => {
    expect(verifyConsistency(0n, 0n, [], EMPTY_ROOT, EMPTY_ROOT)).toBe(false);
    expect(verifyConsistency(0n, 1n, [], EMPTY_ROOT, root)).toBe(false);
  });

  it('accepts equal sizes with an empty proof and byte-equal roots of any length', () => {
    expect(verifyConsistency(1n, 1n, [], twelveBytes, Uint8Array.from(twelveBytes))).toBe(true);
    expect(verifyConsistency(1n, 1n, [], twelveBytes, root)).toBe(false);
    expect(verifyConsistency(1n, 1n, [root], root, root)).toBe(false);
  });

  it('refuses inclusion in the empty tree and for index >= size', () => {
    expect(verifyInclusion(root, 0n, 0n, [], root)).toBe(false);
    expect(verifyInclusion(root, 1n, 1n, [], root)).toBe(false);
    expect(verifyInclusion(root, 0n, 1n, [], root)).toBe(true);
  });
});

describe('rekor-inclusion-proofs.shared.json', () => {
  interface RekorEntry {
    id: string;
    globalLogIndex: string;
    canonicalizedBody: string;
    leafHash: string;
    inclusionProof: { logIndex: string; treeSize: string; rootHash: string; hashes: string[] };
    checkpoint?: { parsed: { rootHashHex: string }; rootMatchesProof: boolean };
    expectedProofValid: boolean;
  }
  const { count, entries } = readJson<{ count: number; entries: RekorEntry[] }>(
    'rekor-inclusion-proofs.shared.json',
  );

  it('reads every entry', () => {
    expect(entries).toHaveLength(count);
    expect(entries.length).toBeGreaterThanOrEqual(17);
    expect(entries.some((entry) => !entry.expectedProofValid)).toBe(true);
  });

  const verifyEntry = (entry: RekorEntry, index: bigint) =>
    verifyInclusion(
      fromHex(entry.leafHash),
      index,
      BigInt(entry.inclusionProof.treeSize),
      entry.inclusionProof.hashes.map(fromHex),
      fromHex(entry.inclusionProof.rootHash),
    );

  it.each(entries)('$id: proof valid = $expectedProofValid', (entry) => {
    expect(hex(hashLeaf(fromBase64(entry.canonicalizedBody)))).toBe(entry.leafHash);
    expect(verifyEntry(entry, BigInt(entry.inclusionProof.logIndex))).toBe(
      entry.expectedProofValid,
    );
    if (entry.checkpoint) {
      expect(entry.checkpoint.parsed.rootHashHex === entry.inclusionProof.rootHash).toBe(
        entry.checkpoint.rootMatchesProof,
      );
    }
  });

  it('fails every valid proof checked at the global index where that differs', () => {
    const sharded = entries.filter(
      (entry) => entry.expectedProofValid && entry.globalLogIndex !== entry.inclusionProof.logIndex,
    );
    expect(sharded.length).toBeGreaterThan(0);
    for (const entry of sharded)
      expect(verifyEntry(entry, BigInt(entry.globalLogIndex))).toBe(false);
  });

  it('explains each invalid proof with a MerkleError', () => {
    for (const entry of entries.filter((e) => !e.expectedProofValid)) {
      expect(() =>
        assertInclusion(
          fromHex(entry.leafHash),
          BigInt(entry.inclusionProof.logIndex),
          BigInt(entry.inclusionProof.treeSize),
          entry.inclusionProof.hashes.map(fromHex),
          fromHex(entry.inclusionProof.rootHash),
        ),
      ).toThrow(MerkleError);
    }
  });
});
