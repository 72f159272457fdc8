-- Schema of one transparency log in SQLite. Entries, tiles, the tree state and the checkpoint that
-- signs it change together, in one transaction per batch: after a crash the file holds either all of
-- a batch or none of it.

PRAGMA journal_mode = WAL;

CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

-- One row per leaf, at its index. leaf_hash is the RFC 6962 leaf hash of body (Rekor's entry UUID);
-- its unique index is the deduplication index.
-- extra_data is kept with the entry but not hashed (a CT log's certificate chain).
CREATE TABLE IF NOT EXISTS entries (
  idx             INTEGER PRIMARY KEY,
  leaf_hash       BLOB NOT NULL,
  body            BLOB NOT NULL,
  integrated_time INTEGER NOT NULL,
  extra_data      BLOB
);
CREATE UNIQUE INDEX IF NOT EXISTS entries_by_leaf_hash ON entries (leaf_hash);

-- Search keys (artifact digest, key fingerprint, identity) to entry indices.
CREATE TABLE IF NOT EXISTS search_keys (
  key TEXT NOT NULL,
  idx INTEGER NOT NULL,
  PRIMARY KEY (key, idx)
) WITHOUT ROWID;

-- The newest version of every hash tile: hashes of tree level 8*level, tile_index*256 onwards.
-- A partial tile only ever grows, so every older partial tile is a prefix of the stored one.
CREATE TABLE IF NOT EXISTS tiles (
  level      INTEGER NOT NULL,
  tile_index INTEGER NOT NULL,
  hashes     BLOB NOT NULL,
  PRIMARY KEY (level, tile_index)
) WITHOUT ROWID;

-- Every checkpoint the log has published, by tree size. The newest row is the current tree state.
CREATE TABLE IF NOT EXISTS checkpoints (
  tree_size INTEGER PRIMARY KEY,
  root_hash BLOB NOT NULL,
  peaks     BLOB NOT NULL,
  note      TEXT NOT NULL
);
