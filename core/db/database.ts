// One OVSDB database: schema, tables, optional file storage, monitors. This is the object a
// server calls. Owns running "transact" requests atomically (execute, commit-time checks,
// durable append to the file, then monitor notification); opening, creating and compacting
// database files (on demand and automatically, on upstream's schedule); and the snapshot helpers
// ovsdb-tool uses. Transactions run one after another in memory, each seeing the previous one's
// result, while their records go to disk in groups: every record written while one fdatasync
// is under way shares the next one (group commit). Promises: a transaction's reply is returned
// only after its record — and every record before it — is synced to disk; a failed write takes
// back every transaction not yet durable, newest first, so nothing unacknowledged survives and
// nothing acknowledged is lost; listeners hear only durable transactions, in commit order.
// Every in-memory commit that goes to the file gets a sequence number; a request that changed
// nothing waits only for the commits it could have seen (those numbered up to then), so replies
// leave in commit order and a steady stream of writers never starves a reader. A group is synced
// on the thread pool, so requests keep arriving and committing meanwhile and form the next group;
// a lone transaction after a lone transaction is synced inline instead, which spares a sequential
// client the thread-pool round trip. Must not do network I/O or parse command lines.

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

/**
 * Told of each durable transaction: its changes, its txn id, and its commit sequence number (0
 * for one that wrote nothing to the file and is told at once).
 */
export type CommitListener = (changes: RowChange[], txnId: string, seq: number) => void;

export interface OpenOptions {
  readOnly?: boolean;
  /** Fail on a torn or corrupt tail instead of ignoring it (ovsdb-tool's behaviour). */
  strict?: boolean;
  /** Told about a torn or corrupt tail that was ignored; by default it is logged (WARN). */
  onWarning?: (message: string) => void;
}

interface PendingCommit {
  seq: number;
  txn: Transaction;
  changes: RowChange[];
  record: JsonObject;
  /** Set when its group failed to reach the disk (the transaction was taken back). */
  error?: unknown;
}

interface SeqWaiter {
  seq: number;
  resolve: () => void;
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
  /** Transactions committed in memory whose records are not yet written, oldest first. */
  #pending: PendingCommit[] = [];
  #flushing = false;
  #flushQueued = false;
  /** Size of the last group written (inline sync when it and the next are both 1). */
  #lastGroup = 0;
  /** A moving average of how long a group takes to become durable, in ms. */
  #syncMs = 0;
  /** Sequence number of the newest in-memory commit bound for the file. */
  #commitSeq = 0;
  /** Every commit up to this number is durable or was taken back. */
  #settledSeq = 0;
  /** How many groups failed to reach the disk (their transactions taken back). */
  #failures = 0;
  /** Waiters for a sequence number to settle, in nondecreasing order. */
  #waiters: SeqWaiter[] = [];
  #waiterHead = 0;
  #compacting: Promise<void> | undefined;
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
    return this.#transact(params, ctx);
  }

  /** Whether transactions are committed in memory but not yet durable. */
  get hasPending(): boolean {
    return this.#settledSeq < this.#commitSeq || this.#flushing;
  }

  /** Sequence number of the newest in-memory commit (durable or not). */
  get committedSeq(): number {
    return this.#commitSeq;
  }

  /** How many group writes have failed so far (each took back its transactions). */
  get failureCount(): number {
    return this.#failures;
  }

  /** Resolves once every transaction committed so far is durable (or was taken back). */
  durable(): Promise<void> {
    return this.settled(this.#commitSeq);
  }

  /**
   * Resolves once commit `seq` and all before it are durable or taken back. Waiters resolve in
   * the order they asked, so replies that wait here leave in request order.
   */
  settled(seq: number): Promise<void> {
    if (seq <= this.#settledSeq) return Promise.resolve();
    return new Promise<void>((resolve) => this.#waiters.push({ seq, resolve }));
  }

  #settle(seq: number): void {
    if (seq > this.#settledSeq) this.#settledSeq = seq;
    const waiters = this.#waiters;
    let head = this.#waiterHead;
    while (head < waiters.length && waiters[head]!.seq <= this.#settledSeq) {
      waiters[head++]!.resolve();
    }
    if (head === waiters.length) {
      this.#waiters = [];
      head = 0;
    } else if (head > 1024) {
      this.#waiters = waiters.slice(head);
      head = 0;
    }
    this.#waiterHead = head;
  }

  async #transact(params: Json, ctx: TransactContext): Promise<TransactOutcome> {
    // Everything up to the in-memory commit is synchronous, so transactions never interleave.
    const txn = new Transaction(this.tables);
    const outcome = executeOperations(this.schema, this.tables, txn, params, ctx);
    // A request that commits nothing may have read changes not yet durable: it is answered
    // once they are, and no earlier than the requests before it.
    if (outcome.kind === "blocked" || outcome.failed || ctx.dryRun) {
      txn.abort();
      if (outcome.kind === "blocked") return outcome;
      await this.settled(this.#commitSeq);
      return { kind: "results", results: outcome.badParams ?? outcome.results };
    }
    const results = outcome.results;
    let changed: boolean;
    try {
      changed = txn.precommit();
    } catch (e) {
      txn.abort();
      results.push(toErrorJson(e));
      await this.settled(this.#commitSeq);
      return { kind: "results", results };
    }
    if (!changed) {
      txn.abort();
      await this.settled(this.#commitSeq);
      return { kind: "results", results };
    }
    const changes = txn.changes();
    const record = changesToFileJson(changes);
    txn.commit();
    if (!this.storage || !record) {
      this.#announce(changes, 0);
      await this.settled(this.#commitSeq);
      return { kind: "results", results };
    }
    const comment = txn.comments.length ? txn.comments.join("\n") : undefined;
    const pending: PendingCommit = {
      seq: ++this.#commitSeq,
      txn,
      changes,
      record: annotate(record, comment, Date.now()),
    };
    this.#pending.push(pending);
    this.#queueFlush();
    await this.settled(pending.seq);
    if (pending.error !== undefined) {
      results.push(toErrorJson(pending.error));
      return { kind: "results", results };
    }
    if (this.autoCompact && this.shouldCompact()) {
      log.info(`${this.name}: compacting database automatically`);
      this.compact().catch((e) => log.warn(`${this.name}: compaction failed (${String(e)})`));
    }
    return { kind: "results", results };
  }

  #announce(changes: RowChange[], seq: number): void {
    this.lastTxnId = crypto.randomUUID();
    for (const fn of this.#listeners) fn(changes, this.lastTxnId, seq);
  }

  /**
   * Starts writing once the current burst of requests has been executed (a microtask later), so
   * requests that arrived together share one group.
   */
  #queueFlush(): void {
    if (this.#flushing || this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(() => {
      this.#flushQueued = false;
      void this.#flush();
    });
  }

  /**
   * Lets the event loop run (reading and executing requests) until `target` commits are pending
   * or half a sync's time has passed, at most 2 ms.
   */
  async #gather(target: number): Promise<void> {
    const deadline = performance.now() + Math.min(2, this.#syncMs / 2);
    const channel = new MessageChannel();
    try {
      while (this.#pending.length < target && performance.now() < deadline) {
        await new Promise<void>((resolve) => {
          channel.port1.onmessage = () => resolve();
          channel.port2.postMessage(null);
        });
      }
    } finally {
      channel.port1.close();
      channel.port2.close();
    }
  }

  /** Writes pending records, one group per fdatasync, until none are left. */
  async #flush(): Promise<void> {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      while (this.#pending.length > 0) {
        // Clients that shared the last group are likely to send again at once: wait a little
        // (a fraction of a sync) for them, so that they share the next one too.
        if (this.#lastGroup > 1 && this.#pending.length < this.#lastGroup) {
          await this.#gather(this.#lastGroup);
        }
        const storage = this.storage;
        const group = this.#pending;
        this.#pending = [];
        const last = group[group.length - 1]!.seq;
        try {
          if (!storage) throw new OvsdbError("I/O error", `${this.name}: database closed`);
          const inline = group.length === 1 && this.#lastGroup === 1;
          this.#lastGroup = group.length;
          const started = performance.now();
          await storage.appendMany(group.map((p) => p.record), inline);
          this.#syncMs = 0.8 * this.#syncMs + 0.2 * (performance.now() - started);
        } catch (e) {
          // Take back this group and everything committed after it, newest first.
          const undone = group.concat(this.#pending);
          this.#pending = [];
          for (let i = undone.length - 1; i >= 0; i--) undone[i]!.txn.rollback();
          for (const p of undone) p.error = e;
          this.#failures++;
          this.#settle(undone[undone.length - 1]!.seq);
          continue;
        }
        for (const p of group) {
          this.nTransactions++;
          this.#announce(p.changes, p.seq);
        }
        this.#settle(last);
      }
    } finally {
      this.#flushing = false;
    }
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
    this.#compacting ??= (async () => {
      try {
        if (!this.storage) return;
        // The snapshot must hold exactly what is durable: wait until nothing is in flight,
        // then take it and queue the rewrite in one synchronous step.
        await this.durable();
        while (this.hasPending) await this.durable();
        await this.storage.compact([schemaToJson(this.schema), this.snapshot(comment)]);
        this.nTransactions = 0;
        this.#scheduleSnapshot();
      } finally {
        this.#compacting = undefined;
      }
    })();
    return this.#compacting;
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
