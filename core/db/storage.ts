// Durable storage of a standalone database in upstream's file format (ovsdb/log.c): one file of
// records, the first being the schema, then one record per committed transaction. Owns the file
// handle, appending with fdatasync before returning, detection and truncation of a torn or
// corrupt tail on open (logged, never fatal: every complete record is kept), and compaction by
// writing a snapshot to a temporary file that is synced and atomically renamed over the original.
// Promises: `append`/`appendMany` resolve only once the records are on stable storage (one
// fdatasync per batch); appends and compactions are serialised in call order.
// Must not interpret records beyond the JSON (database.ts and file_txn.ts do that).

import { decodeLog, encodeRecords, type LogRecord } from "./log.ts";
import type { Json } from "./json.ts";
import { OvsdbError } from "./error.ts";
import { coverageCounter } from "../net/coverage.ts";

const syncCounter = coverageCounter("ovsdb_log_sync");
const recordCounter = coverageCounter("ovsdb_log_record");

export interface OpenedLog {
  storage: FileStorage;
  records: LogRecord[];
  /** The problem found at the end of the file, if any (the bad tail is truncated on write). */
  tailError?: OvsdbError;
}

/** The C library's text for the system error behind `e` ("No such file or directory"). */
export function strerror(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const i = message.indexOf(" (os error");
  return i >= 0 ? message.slice(0, i) : message;
}

function ioError(details: string, e: unknown): OvsdbError {
  const error = new OvsdbError("I/O error", details);
  error.ioError = strerror(e);
  return error;
}

export class FileStorage {
  readonly path: string;
  #file: Deno.FsFile | undefined;
  #offset: number;
  #queue: Promise<void> = Promise.resolve();
  #needsTruncate: boolean;
  /** Whether the file position is known to be at `#offset` (no seek needed before writing). */
  #positioned = false;

  private constructor(
    path: string,
    file: Deno.FsFile | undefined,
    offset: number,
    truncate: boolean,
  ) {
    this.path = path;
    this.#file = file;
    this.#offset = offset;
    this.#needsTruncate = truncate;
  }

  /** Opens `path` and reads all its records. Throws OvsdbError if unreadable. */
  static async open(path: string, options: { readOnly?: boolean } = {}): Promise<OpenedLog> {
    let data: Uint8Array;
    try {
      data = await Deno.readFile(path);
    } catch (e) {
      throw ioError(`${path}: open failed`, e);
    }
    const decoded = decodeLog(data, path);
    if (decoded.records.length === 0) {
      throw decoded.error ?? new OvsdbError("ovsdb error", `${path}: cannot identify file type`);
    }
    let file: Deno.FsFile | undefined;
    if (!options.readOnly) {
      try {
        file = await Deno.open(path, { read: true, write: true });
      } catch (e) {
        throw ioError(`${path}: open failed`, e);
      }
    }
    const storage = new FileStorage(path, file, decoded.goodEnd, decoded.goodEnd < data.length);
    const out: OpenedLog = { storage, records: decoded.records };
    if (decoded.error) out.tailError = decoded.error;
    return out;
  }

  /** Creates a new file at `path` holding `records` (fails if it exists). */
  static async create(path: string, records: Json[]): Promise<FileStorage> {
    const bytes = encodeRecords(records);
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path, { read: true, write: true, createNew: true, mode: 0o640 });
    } catch (e) {
      throw ioError(`${path}: create failed`, e);
    }
    try {
      await writeAll(file, bytes);
      await file.syncData();
    } catch (e) {
      file.close();
      throw ioError(`${path}: write failed`, e);
    }
    return new FileStorage(path, file, bytes.length, false);
  }

  /** Appends one record and waits until it is durable. Appends run one at a time. */
  append(json: Json): Promise<void> {
    return this.appendMany([json]);
  }

  /**
   * Appends records with one write and one fdatasync (group commit) and waits until they are
   * durable. On failure none of them is kept: the file is truncated back. The fdatasync runs on
   * the thread pool, so the caller's event loop goes on meanwhile; with `inline` it runs on this
   * thread, which is quicker for a lone record when nothing else could run meanwhile anyway.
   */
  appendMany(records: Json[], inline = false): Promise<void> {
    const record = encodeRecords(records);
    const run = async () => {
      const file = this.#file;
      if (!file) {
        // As upstream: a read-only log fails the write when it tries to truncate.
        const e = new OvsdbError(
          "I/O error",
          `${this.path}: cannot truncate to length ${this.#offset}`,
        );
        e.ioError = "Invalid argument";
        throw e;
      }
      try {
        if (this.#needsTruncate) {
          await file.truncate(this.#offset);
          this.#needsTruncate = false;
          this.#positioned = false;
        }
        // The write is a few microseconds in the page cache: do it synchronously, and seek only
        // when the position may have moved.
        if (!this.#positioned) {
          file.seekSync(this.#offset, Deno.SeekMode.Start);
          this.#positioned = true;
        }
        writeAllSync(file, record);
        if (inline) file.syncDataSync();
        else await file.syncData();
        syncCounter.inc();
        recordCounter.inc(records.length);
        this.#offset += record.length;
      } catch (e) {
        this.#positioned = false;
        try {
          await file.truncate(this.#offset);
        } catch {
          // The next append retries the truncation.
          this.#needsTruncate = true;
        }
        throw ioError(`${this.path}: write failed`, e);
      }
    };
    const p = this.#queue.then(run);
    this.#queue = p.catch(() => {});
    return p;
  }

  /** Replaces the file with `records` (a snapshot), atomically. */
  compact(records: Json[]): Promise<void> {
    const run = async () => {
      const tmp = `${this.path}.tmp`;
      const bytes = encodeRecords(records);
      let file: Deno.FsFile | undefined;
      try {
        file = await Deno.open(tmp, {
          read: true,
          write: true,
          create: true,
          truncate: true,
          mode: 0o640,
        });
        await writeAll(file, bytes);
        await file.syncData();
        await Deno.rename(tmp, this.path);
      } catch (e) {
        file?.close();
        await Deno.remove(tmp).catch(() => {});
        throw ioError(`${this.path}: compaction failed`, e);
      }
      this.#file?.close();
      this.#file = file;
      this.#offset = bytes.length;
      this.#needsTruncate = false;
      this.#positioned = false;
      await syncDirectory(this.path);
    };
    const p = this.#queue.then(run);
    this.#queue = p.catch(() => {});
    return p;
  }

  /** Bytes of good data in the file. */
  get size(): number {
    return this.#offset;
  }

  close(): void {
    this.#file?.close();
    this.#file = undefined;
  }
}

function writeAllSync(file: Deno.FsFile, bytes: Uint8Array): void {
  let n = 0;
  while (n < bytes.length) n += file.writeSync(bytes.subarray(n));
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let n = 0;
  while (n < bytes.length) n += await file.write(bytes.subarray(n));
}

/** Syncs the directory holding `path`, so that a rename into it is durable. */
export async function syncDirectory(path: string): Promise<void> {
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) || "/" : ".";
  try {
    const d = await Deno.open(dir, { read: true });
    try {
      await d.sync();
    } finally {
      d.close();
    }
  } catch {
    // Not every platform can sync a directory; the rename itself is still atomic.
  }
}
