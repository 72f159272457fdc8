// @airlock/merkle: RFC 6962/9162 Merkle trees for transparency logs. Pure: no I/O, no dependencies.
export { bitLength, popCount, trailingZeros } from './bits.js';
export { CompactRange, type NodeVisitor, rootOfLeafHashes } from './compact-range.js';
export { MAX_UINT64, MerkleError, type MerkleErrorCode } from './errors.js';
export { bytesEqual, EMPTY_ROOT, HASH_SIZE, hashChildren, hashLeaf, sha256 } from './hash.js';
export {
  consistencyProofNodes,
  inclusionProofNodes,
  type NodeId,
  nodeCoverage,
  nodeId,
  ProofNodes,
  rangeNodes,
  rangeSize,
} from './nodes.js';
export { type HashReader, MemoryHashStore, proveConsistency, proveInclusion } from './store.js';
export {
  entryBundlePath,
  formatEntryBundle,
  formatTileIndex,
  MAX_BUNDLED_ENTRY,
  parseEntryBundle,
  parseTilePath,
  TILE_HEIGHT,
  TILE_WIDTH,
  type TileFetcher,
  TileHashReader,
  type TileId,
  type TilePath,
  tileHashes,
  tileLevelExtent,
  tilePath,
  tilesAddedBetween,
} from './tiles.js';
export {
  assertConsistency,
  assertInclusion,
  rootFromInclusionProof,
  verifyConsistency,
  verifyInclusion,
} from './verify.js';
