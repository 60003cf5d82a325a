// One OVSDB database: schema, tables, optional file storage, monitors. This is the object a
// server calls. Owns running "transact" requests atomically (execute, commit-time checks,
// durable append to the file, then monitor notification), serialising transactions so each
// sees the previous one's result; opening, creating and compacting database files (on demand
// and automatically, on upstream's schedule); and the snapshot helpers ovsdb-tool uses.
// Promises: a transaction's reply is returned only
// after its record is synced to disk; a failed transaction leaves no trace; monitors see only
// committed changes, in commit order. Must not do network I/O or parse command lines.

import { type Json, type JsonObject } from "./json.ts";
import { OvsdbError } from "./error.ts";
import { type DatabaseSchema, schemaFromJson, schemaToJson } from "./schema.ts";
import { Table } from "./table.ts";
import { type RowChange, Transaction } from "./transaction.ts";
import { executeOperations, type ExecutionContext } from "./execution.ts";
import { FileStorage } from "./storage.ts";
import { annotate, changesToFileJson, replayFileTxn } from "./file_txn.ts";
import { Monitor, type MonitorVersion } from "./monitor.ts";
import { datumToJson, isDefaultDatum } from "./datum.ts";
import { vlogModule } from "../net/vlog.ts";
import { timeMsec } from "../net/timeval.ts";

const log = vlogModule("ovsdb_log");

/** What a transact request produced. */
export type TransactOutcome =
  /** What to send as the RFC 7047 "result": normally the results array, but a single error
   * object when the params are not ["db-name", ...] (as upstream replies). */
  | { kind: "results"; results: Json }
  /** A "wait" is not yet satisfied: retry after the next commit, or give up at timeoutMs. */
  | { kind: "blocked"; timeoutMs: number };

/** Per-request context from the server. */
export interface TransactContext extends ExecutionContext {
  /** Run the operations but neither check nor commit: results of the operations only. */
  dryRun?: boolean;
}

export type CommitListener = (changes: RowChange[], txnId: string) => void;

export interface OpenOptions {
  readOnly?: boolean;
  /** Fail on a torn or corrupt tail instead of ignoring it (ovsdb-tool's behaviour). */
  strict?: boolean;
  /** Told about a torn or corrupt tail that was ignored; by default it is logged (WARN). */
  onWarning?: (message: string) => void;
}

function tablesFor(schema: DatabaseSchema): Map<string, Table> {
  return new Map([...schema.tables.values()].map((t) => [t.name, new Table(t)]));
}

export class Database {
  readonly schema: DatabaseSchema;
  readonly tables: Map<string, Table>;
  storage: FileStorage | undefined;
  /** UUID of the last committed transaction (for monitor_cond_since / update3). */
  lastTxnId = "00000000-0000-0000-0000-000000000000";
  /** Records in the file since it was opened or last compacted. */
  nTransactions = 0;
  /** Whether to compact the file automatically, on upstream's schedule. */
  autoCompact = true;
  readonly #listeners = new Set<CommitListener>();
  #queue: Promise<unknown> = Promise.resolve();
  /** File size right after opening or compacting (upstream's log "base"). */
  #base = 0;
  #snapshotMin = Infinity;
  #snapshotMax = Infinity;

  constructor(schema: DatabaseSchema, storage?: FileStorage) {
    this.schema = schema;
    this.tables = tablesFor(schema);
    this.storage = storage;
    this.#scheduleSnapshot();
  }

  /** Upstream's schedule: not before 10 to 20 minutes from now, and at least once a day. */
  #scheduleSnapshot(): void {
    this.#base = this.storage?.size ?? 0;
    if (!this.storage) return;
    const now = timeMsec();
    this.#snapshotMin = now + 10 * 60 * 1000 + Math.floor(Math.random() * 10 * 60 * 1000);
    this.#snapshotMax = now + 24 * 60 * 60 * 1000;
  }

  /**
   * Whether upstream would compact now: past the minimum time, with at least 100 records and
   * a file over 10 MB that has more than doubled since the last compaction, or past a day with
   * any records at all.
   */
  shouldCompact(now = timeMsec()): boolean {
    if (!this.storage || now < this.#snapshotMin) return false;
    if (now >= this.#snapshotMax) return this.nTransactions > 0;
    const size = this.storage.size;
    return this.nTransactions >= 100 && size > 10 * 1024 * 1024 && size / 2 > this.#base;
  }

  get name(): string {
    return this.schema.name;
  }

  /** Creates a database file at `path` for `schema`. */
  static async create(path: string, schema: DatabaseSchema): Promise<Database> {
    const storage = await FileStorage.create(path, [schemaToJson(schema)]);
    return new Database(schema, storage);
  }

  /** Opens the database file at `path`, replaying its transactions. */
  static async open(path: string, options: OpenOptions = {}): Promise<Database> {
    const opened = await FileStorage.open(path, { readOnly: options.readOnly ?? false });
    try {
      if (opened.tailError && options.strict) throw opened.tailError;
      const [first, ...rest] = opened.records;
      const schema = schemaFromJson(first!.json);
      const db = new Database(schema, opened.storage);
      db.nTransactions = opened.records.length;
      for (const record of rest) {
        try {
          db.replay(record.json);
        } catch (e) {
          if (!(e instanceof OvsdbError)) throw e;
          throw e.wrap(`${path}: bad transaction at offset ${record.offset}`);
        }
      }
      if (opened.tailError) {
        const message = `${opened.tailError.details}; ignoring the rest of the file`;
        if (options.onWarning) options.onWarning(message);
        else log.warn(message);
      }
      return db;
    } catch (e) {
      opened.storage.close();
      throw e;
    }
  }

  /** Applies one file transaction record (no storage write, no monitors). Throws OvsdbError. */
  replay(json: Json): void {
    const txn = new Transaction(this.tables);
    try {
      replayFileTxn(json, this.tables, txn);
      txn.precommit();
      txn.commit();
    } catch (e) {
      txn.abort();
      throw e;
    }
  }

  /** Registers `fn` to hear every committed transaction; returns an unsubscribe function. */
  onCommit(fn: CommitListener): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Runs one "transact" request (params = ["db-name", operation...]). */
  transact(params: Json, ctx: TransactContext = {}): Promise<TransactOutcome> {
    const run = () => this.#transact(params, ctx);
    const p = this.#queue.then(run, run);
    this.#queue = p.catch(() => {});
    return p;
  }

  async #transact(params: Json, ctx: TransactContext): Promise<TransactOutcome> {
    const txn = new Transaction(this.tables);
    const outcome = executeOperations(this.schema, this.tables, txn, params, ctx);
    if (outcome.kind === "blocked" || outcome.failed || ctx.dryRun) {
      txn.abort();
      if (outcome.kind === "blocked") return outcome;
      return { kind: "results", results: outcome.badParams ?? outcome.results };
    }
    const results = outcome.results;
    let changed: boolean;
    try {
      changed = txn.precommit();
    } catch (e) {
      txn.abort();
      results.push(toErrorJson(e));
      return { kind: "results", results };
    }
    if (!changed) {
      txn.abort();
      return { kind: "results", results };
    }
    const changes = txn.changes();
    const record = changesToFileJson(changes);
    if (this.storage && record) {
      const comment = txn.comments.length ? txn.comments.join("\n") : undefined;
      // Until the record is durable, readers outside the queue (monitor requests, snapshots)
      // see the previous state.
      txn.hide();
      try {
        await this.storage.append(annotate(record, comment, Date.now()));
        this.nTransactions++;
      } catch (e) {
        txn.abort();
        results.push(toErrorJson(e));
        return { kind: "results", results };
      }
      txn.show();
    }
    txn.commit();
    this.lastTxnId = crypto.randomUUID();
    for (const fn of this.#listeners) fn(changes, this.lastTxnId);
    if (this.autoCompact && this.shouldCompact()) {
      log.info(`${this.name}: compacting database automatically`);
      this.compact().catch((e) => log.warn(`${this.name}: compaction failed (${String(e)})`));
    }
    return { kind: "results", results };
  }

  /** Convenience: transact and return the result (a blocked wait becomes "not supported"). */
  async execute(params: Json, ctx: TransactContext = {}): Promise<Json> {
    const out = await this.transact(params, { ...ctx, canBlock: false });
    return out.kind === "results" ? out.results : [];
  }

  /** Creates a monitor and returns it with its initial contents. Throws OvsdbError. */
  monitor(requests: Json, version: MonitorVersion): { monitor: Monitor; initial: JsonObject } {
    const monitor = new Monitor(this.tables, requests, version);
    return { monitor, initial: monitor.initial() };
  }

  /** The whole database as one file transaction record (a snapshot). */
  snapshot(comment?: string, isDiff = true): JsonObject {
    const out: JsonObject = {};
    for (const table of this.tables.values()) {
      for (const row of table.iterate()) {
        const obj: JsonObject = {};
        for (const c of table.schema.columns.values()) {
          if (c.index === 0 || !c.persistent) continue;
          const d = row.fields[c.index]!;
          if (isDefaultDatum(d, c.type)) continue;
          obj[c.name] = datumToJson(d, c.type);
        }
        const t = (out[table.schema.name] ??= {}) as JsonObject;
        t[row.uuid] = obj;
      }
    }
    const record = annotate(out, comment, Date.now());
    if (!isDiff) delete record._is_diff;
    return record;
  }

  /**
   * Rewrites the file as schema plus one snapshot record, between transactions (upstream's
   * online compaction, with its comment).
   */
  compact(comment = "compacting database online"): Promise<void> {
    const run = async () => {
      if (!this.storage) return;
      await this.storage.compact([schemaToJson(this.schema), this.snapshot(comment)]);
      this.nTransactions = 0;
      this.#scheduleSnapshot();
    };
    const p = this.#queue.then(run, run);
    this.#queue = p.catch(() => {});
    return p;
  }

  close(): void {
    this.storage?.close();
    this.storage = undefined;
  }
}

function toErrorJson(e: unknown): JsonObject {
  if (e instanceof OvsdbError) return e.toJson();
  return { error: "internal error", details: e instanceof Error ? e.message : String(e) };
}
