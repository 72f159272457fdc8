// LogStore on one SQLite file (better-sqlite3, WAL, synchronous=FULL): the embedded default.
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { LogError } from './errors.js';
import type { Batch, LogStore, StoredEntry, TreeState } from './store.js';

const SCHEMA = readFileSync(new URL('../sql/schema.sql', import.meta.url), 'utf8');

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(chunks);
}

function split32(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += 32) out.push(bytes.subarray(i, i + 32));
  return out;
}

interface CheckpointRow {
  tree_size: bigint;
  root_hash: Buffer;
  peaks: Buffer;
  note: string;
}

export interface SqliteLogStoreOptions {
  /** Open read-only (mirrors, auditors' tools). */
  readonly?: boolean;
}

export class SqliteLogStore implements LogStore {
  readonly #db: Database.Database;
  readonly #statements;

  constructor(path: string, options: SqliteLogStoreOptions = {}) {
    try {
      this.#db = new Database(path, {
        readonly: options.readonly ?? false,
        fileMustExist: options.readonly ?? false,
      });
    } catch (error) {
      throw new LogError(
        'STORAGE',
        `cannot open log database ${path}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    if (!options.readonly) {
      this.#db.exec(SCHEMA);
      const columns = (this.#db.pragma('table_info(entries)') as { name: string }[]).map(
        (c) => c.name,
      );
      if (!columns.includes('extra_data')) {
        this.#db.close();
        throw new LogError(
          'CORRUPT',
          `${path} was written by an older Airlock whose schema this version cannot read`,
        );
      }
      // FULL: a commit is on disk when it returns, so an acknowledged entry survives power loss too.
      this.#db.pragma('synchronous = FULL');
    }
    this.#db.pragma('busy_timeout = 5000');
    // 64 MiB of page cache: proofs and dedup lookups touch many pages of a large tree.
    this.#db.pragma('cache_size = -65536');
    const db = this.#db;
    this.#statements = {
      latest: db
        .prepare(
          'SELECT tree_size, root_hash, peaks, note FROM checkpoints ORDER BY tree_size DESC LIMIT 1',
        )
        .safeIntegers(true),
      insertEntry: db.prepare(
        'INSERT INTO entries (idx, leaf_hash, body, integrated_time, extra_data) VALUES (?, ?, ?, ?, ?)',
      ),
      insertKey: db.prepare('INSERT OR IGNORE INTO search_keys (key, idx) VALUES (?, ?)'),
      upsertTile: db.prepare(
        'INSERT INTO tiles (level, tile_index, hashes) VALUES (?, ?, ?) ON CONFLICT (level, tile_index) DO UPDATE SET hashes = excluded.hashes WHERE length(excluded.hashes) > length(tiles.hashes)',
      ),
      insertCheckpoint: db.prepare(
        'INSERT INTO checkpoints (tree_size, root_hash, peaks, note) VALUES (?, ?, ?, ?)',
      ),
      byLeafHash: db
        .prepare('SELECT idx FROM entries WHERE leaf_hash = ?')
        .safeIntegers(true)
        .pluck(),
      entries: db
        .prepare(
          'SELECT idx, leaf_hash, body, integrated_time, extra_data FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx',
        )
        .safeIntegers(true),
      tile: db.prepare('SELECT hashes FROM tiles WHERE level = ? AND tile_index = ?').pluck(),
      search: db
        .prepare('SELECT idx FROM search_keys WHERE key = ? ORDER BY idx LIMIT ?')
        .safeIntegers(true)
        .pluck(),
      checkpoints: db
        .prepare(
          'SELECT tree_size, note FROM checkpoints WHERE tree_size >= ? ORDER BY tree_size LIMIT ?',
        )
        .safeIntegers(true),
    };
  }

  #latest(): TreeState | null {
    const row = this.#statements.latest.get() as CheckpointRow | undefined;
    if (!row) return null;
    return {
      size: row.tree_size,
      rootHash: row.root_hash,
      peaks: split32(row.peaks),
      checkpoint: row.note,
    };
  }

  async latestTreeState(): Promise<TreeState | null> {
    return this.#latest();
  }

  async commitBatch(batch: Batch): Promise<void> {
    const s = this.#statements;
    const commit = this.#db.transaction(() => {
      const stored = this.#latest()?.size ?? 0n;
      if (stored !== batch.fromSize) {
        throw new LogError(
          'CONFLICT',
          `the store is at tree size ${stored}, the batch starts at ${batch.fromSize}`,
        );
      }
      let index = batch.fromSize;
      for (const entry of batch.entries) {
        s.insertEntry.run(
          index,
          entry.leafHash,
          entry.body,
          entry.integratedTime,
          entry.extraData ?? null,
        );
        for (const key of entry.searchKeys) s.insertKey.run(key, index);
        index++;
      }
      for (const tile of batch.tiles) s.upsertTile.run(tile.level, tile.index, tile.hashes);
      const { state } = batch;
      s.insertCheckpoint.run(state.size, state.rootHash, concat(state.peaks), state.checkpoint);
    });
    try {
      commit.immediate();
    } catch (error) {
      if (error instanceof LogError) throw error;
      throw new LogError('STORAGE', `could not commit batch: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  async findByLeafHashes(leafHashes: readonly Uint8Array[]): Promise<(bigint | null)[]> {
    return leafHashes.map(
      (hash) => (this.#statements.byLeafHash.get(hash) as bigint | undefined) ?? null,
    );
  }

  async readEntries(begin: bigint, end: bigint): Promise<StoredEntry[]> {
    const rows = this.#statements.entries.all(begin, end) as {
      idx: bigint;
      leaf_hash: Buffer;
      body: Buffer;
      integrated_time: bigint;
      extra_data: Buffer | null;
    }[];
    return rows.map((row) => ({
      index: row.idx,
      leafHash: row.leaf_hash,
      body: row.body,
      integratedTime: Number(row.integrated_time),
      ...(row.extra_data ? { extraData: row.extra_data } : {}),
    }));
  }

  async readTile(level: number, index: bigint): Promise<Uint8Array | null> {
    return (this.#statements.tile.get(level, index) as Buffer | undefined) ?? null;
  }

  async search(key: string, limit: number): Promise<bigint[]> {
    return this.#statements.search.all(key, limit) as bigint[];
  }

  async checkpoints(fromSize: bigint, limit: number): Promise<{ size: bigint; note: string }[]> {
    const rows = this.#statements.checkpoints.all(fromSize, limit) as {
      tree_size: bigint;
      note: string;
    }[];
    return rows.map((row) => ({ size: row.tree_size, note: row.note }));
  }

  /** A value kept with the log (its tree ID, its origin), set once at creation. */
  getMeta(key: string): string | null {
    const row = this.#db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(key) as
      | string
      | undefined;
    return row ?? null;
  }

  setMeta(key: string, value: string): void {
    this.#db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run(key, value);
  }

  async close(): Promise<void> {
    this.#db.close();
  }
}
