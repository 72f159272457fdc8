// `airlock proof verify-inclusion|verify-consistency`: check Merkle proofs offline, from flags or from a
// JSON file (a flat proof, a Rekor v1 log entry, a Sigstore bundle, or a Rekor consistency proof).
import { assertConsistency, assertInclusion, hashLeaf, MerkleError } from '@airlock/merkle';
import type { Command } from 'commander';
import {
  decodeHash,
  decodeHashList,
  decodeUint,
  readBytesFile,
  readJsonFile,
  toHex,
} from '../encoding.js';
import { CheckFailed, UsageError } from '../errors.js';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The fields of an inclusion proof, each still as text, wherever in the document they were. */
interface InclusionFields {
  leafHash?: string | undefined;
  leaf?: Uint8Array | undefined;
  index?: unknown;
  treeSize?: unknown;
  root?: string | undefined;
  proof?: string[] | undefined;
}

function stringList(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new UsageError(`${what} must be a list of hashes`);
  }
  return value;
}

function optionalString(value: unknown, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new UsageError(`${what} must be a string`);
  return value;
}

function proofFromInclusionObject(proof: Json, leaf: Uint8Array | undefined): InclusionFields {
  return {
    leaf,
    leafHash: optionalString(proof.leafHash, 'leafHash'),
    index: proof.logIndex ?? proof.leafIndex ?? proof.index,
    treeSize: proof.treeSize,
    root: optionalString(proof.rootHash ?? proof.root, 'rootHash'),
    proof:
      proof.hashes === undefined && proof.proof === undefined
        ? undefined
        : stringList(proof.hashes ?? proof.proof, 'hashes'),
  };
}

function decodeBody(body: unknown, what: string): Uint8Array {
  if (typeof body !== 'string') throw new UsageError(`${what} must be a base64 string`);
  return decodeHash(what, body);
}

/** Finds the inclusion proof in any of the documents auditors are handed. */
export function inclusionFieldsFromJson(document: unknown): InclusionFields {
  if (!isObject(document)) throw new UsageError('the JSON document must be an object');
  // A Sigstore bundle: the first transparency log entry.
  const material = document.verificationMaterial;
  if (isObject(material) && Array.isArray(material.tlogEntries)) {
    const entry: unknown = material.tlogEntries[0];
    if (!isObject(entry) || !isObject(entry.inclusionProof))
      throw new UsageError('the bundle has no inclusion proof');
    return proofFromInclusionObject(
      entry.inclusionProof,
      decodeBody(entry.canonicalizedBody, 'canonicalizedBody'),
    );
  }
  // A transparency log entry as in a bundle.
  if (isObject(document.inclusionProof)) {
    const leaf =
      document.canonicalizedBody === undefined
        ? undefined
        : decodeBody(document.canonicalizedBody, 'canonicalizedBody');
    return proofFromInclusionObject(document.inclusionProof, leaf);
  }
  // A Rekor v1 LogEntry: { "<uuid>": { body, verification: { inclusionProof } } }.
  const values = Object.values(document);
  if (values.length === 1 && isObject(values[0]) && isObject(values[0].verification)) {
    const entry = values[0];
    const verification = entry.verification as Json;
    if (!isObject(verification.inclusionProof))
      throw new UsageError('the log entry has no inclusion proof');
    return proofFromInclusionObject(verification.inclusionProof, decodeBody(entry.body, 'body'));
  }
  return proofFromInclusionObject(document, undefined);
}

interface InclusionOptions {
  json?: string;
  leafHash?: string;
  leafFile?: string;
  index?: string;
  treeSize?: string;
  root?: string;
  proof?: string[];
}

export function verifyInclusionCommand(options: InclusionOptions): string {
  const fromJson: InclusionFields = options.json
    ? inclusionFieldsFromJson(readJsonFile(options.json))
    : {};
  const leafBytes = options.leafFile ? readBytesFile(options.leafFile) : fromJson.leaf;
  const leafHashText = options.leafHash ?? fromJson.leafHash;
  if (leafBytes && leafHashText) throw new UsageError('give the leaf or its hash, not both');
  let leafHash: Uint8Array;
  if (leafHashText) leafHash = decodeHash('leaf hash', leafHashText);
  else if (leafBytes) leafHash = hashLeaf(leafBytes);
  else throw new UsageError('missing the leaf: --leaf-hash, --leaf-file or --json');

  const index = decodeUint('leaf index', required(options.index ?? fromJson.index, '--index'));
  const treeSize = decodeUint(
    'tree size',
    required(options.treeSize ?? fromJson.treeSize, '--tree-size'),
  );
  const root = decodeHash('root', required(options.root ?? fromJson.root, '--root') as string);
  const proof = decodeHashList('proof', options.proof ?? fromJson.proof ?? []);
  try {
    assertInclusion(leafHash, index, treeSize, proof, root);
  } catch (error) {
    if (error instanceof MerkleError)
      throw new CheckFailed(`inclusion proof rejected: ${error.message}`);
    throw error;
  }
  return `OK: leaf ${toHex(leafHash)} is at index ${index} in the tree of size ${treeSize} with root ${toHex(root)}`;
}

interface ConsistencyOptions {
  json?: string;
  size1?: string;
  size2?: string;
  root1?: string;
  root2?: string;
  proof?: string[];
}

export function verifyConsistencyCommand(options: ConsistencyOptions): string {
  let fromJson: Json = {};
  if (options.json) {
    const document = readJsonFile(options.json);
    if (!isObject(document)) throw new UsageError('the JSON document must be an object');
    fromJson = document;
  }
  const size1 = decodeUint(
    'first size',
    required(options.size1 ?? fromJson.size1 ?? fromJson.firstSize, '--size1'),
  );
  const size2 = decodeUint(
    'second size',
    required(options.size2 ?? fromJson.size2 ?? fromJson.lastSize ?? fromJson.treeSize, '--size2'),
  );
  const root1 = decodeHash(
    'first root',
    required(options.root1 ?? fromJson.root1, '--root1') as string,
  );
  // Rekor's GET /api/v1/log/proof answers {rootHash, hashes}: rootHash is the root at lastSize.
  const root2 = decodeHash(
    'second root',
    required(options.root2 ?? fromJson.root2 ?? fromJson.rootHash, '--root2') as string,
  );
  const proofText =
    options.proof ??
    (fromJson.proof === undefined && fromJson.hashes === undefined
      ? []
      : stringList(fromJson.proof ?? fromJson.hashes, 'proof'));
  const proof = decodeHashList('proof', proofText);
  try {
    assertConsistency(size1, size2, proof, root1, root2);
  } catch (error) {
    if (error instanceof MerkleError)
      throw new CheckFailed(`consistency proof rejected: ${error.message}`);
    throw error;
  }
  return `OK: the tree of size ${size1} with root ${toHex(root1)} is a prefix of the tree of size ${size2} with root ${toHex(root2)}`;
}

function required<T>(value: T | undefined, flag: string): T {
  if (value === undefined || value === null || value === '')
    throw new UsageError(`missing ${flag} (or give it in --json)`);
  return value;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerProofCommands(program: Command, print: (line: string) => void): void {
  const proof = program
    .command('proof')
    .description('verify Merkle inclusion and consistency proofs offline (RFC 9162)');
  proof
    .command('verify-inclusion')
    .description('check that a leaf is in a tree with a given root')
    .option(
      '--json <file>',
      'a proof, a Rekor v1 log entry, a transparency log entry or a Sigstore bundle',
    )
    .option('--leaf-hash <hash>', 'the RFC 6962 leaf hash, hex or base64')
    .option(
      '--leaf-file <file>',
      'the leaf itself (e.g. a canonicalized body); its leaf hash is computed',
    )
    .option('--index <n>', 'the leaf index in the tree')
    .option('--tree-size <n>', 'the tree size the proof is for')
    .option('--root <hash>', 'the root hash of that tree, hex or base64')
    .option('--proof <hashes>', 'proof hashes leaf to root, comma-separated or repeated', collect)
    .action((options: InclusionOptions) => print(verifyInclusionCommand(options)));
  proof
    .command('verify-consistency')
    .description('check that one tree is a prefix of another (the log was not rewritten)')
    .option(
      '--json <file>',
      'a consistency proof (Rekor /api/v1/log/proof answer or {size1,size2,root1,root2,proof})',
    )
    .option('--size1 <n>', 'the older tree size')
    .option('--size2 <n>', 'the newer tree size')
    .option('--root1 <hash>', 'the older root hash, hex or base64')
    .option('--root2 <hash>', 'the newer root hash, hex or base64')
    .option('--proof <hashes>', 'proof hashes, comma-separated or repeated', collect)
    .action((options: ConsistencyOptions) => print(verifyConsistencyCommand(options)));
}
