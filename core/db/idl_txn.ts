// A transaction against an IDL replica, with upstream's ovsdb_idl_txn semantics: changes are
// staged locally (reads through the transaction see whole-column writes at once), then sent as
// one OVSDB `transact`. Owns staging (inserts, writes, deletes, partial set/map updates),
// verification of what the caller read (sent as `wait` operations, so a concurrent change makes
// the server refuse the transaction, reported as "try again"), counter increments (ovs-vsctl's
// next_cfg), dry runs (an `abort` at the end) and turning the server's reply into a status.
//
// Promises, as upstream: nothing is sent before `commit`, and nothing at all when the
// transaction changes nothing ("unchanged"); deletions of rows outside root tables are left to
// the server's garbage collection (no `delete` operation); inserting the only row of a
// single-row table first waits for that table to be empty; partial updates are sent as
// `mutate` operations and are not visible to `read`; UUIDs of inserted rows are reported as the
// server assigned them. Must not touch the replica itself (the IDL owns it).

import type { Json } from "../net/json_value.ts";
import { vlogModule } from "../net/vlog.ts";
import {
  type Atom,
  atomEquals,
  atomToJson,
  cloneDatum,
  type Datum,
  datumEquals,
  defaultDatum,
  findKey,
  isDefaultDatum,
  sortUniqueDatum,
} from "./datum.ts";
import type { Idl, IdlRow } from "./idl.ts";
import { isObject, toOvsJson } from "./json.ts";
import type { TableSchema } from "./schema.ts";
import type { OvsdbType } from "./types.ts";
import { JsonRpcError } from "../net/jsonrpc_connection.ts";

const log = vlogModule("ovsdb_idl");

export type TxnStatus = "success" | "unchanged" | "try again" | "not locked" | "error";

export interface TxnResult {
  status: TxnStatus;
  /** The server's error for status "error" (its reply object as sorted JSON, as upstream). */
  error?: string;
  /** Provisional UUID given by `insert` → the UUID the server assigned. */
  inserted: Map<string, string>;
  /** The incremented value, when `increment` was used and the transaction committed. */
  incremented?: bigint;
}

type MapOp = { kind: "insert" | "update" | "delete"; key: Atom; value: Atom | undefined };
type SetOp = { kind: "insert" | "delete"; key: Atom };

interface StagedRow {
  table: TableSchema;
  uuid: string;
  /** The replica's row (upstream's old datum); undefined for rows inserted here. */
  base: IdlRow | undefined;
  deleted: boolean;
  /** Inserted with a caller-chosen UUID that the server keeps (create --id=<uuid>). */
  persistUuid: boolean;
  /** Whole-column writes, in the order first written. */
  written: Map<string, Datum>;
  /** Columns whose replica value the commit must find unchanged, with the value read. */
  prereqs: Map<string, Datum>;
  /** Partial map updates by column, one per key (later ones replace earlier ones). */
  mapOps: Map<string, Map<string, MapOp>>;
  /** Partial set updates by column, one per element. */
  setOps: Map<string, Map<string, SetOp>>;
}

/** Upstream's name for an inserted row in `named-uuid` references. */
export function rowName(uuid: string): string {
  return `row${uuid.replaceAll("-", "_")}`;
}

const whereUuid = (uuid: string): Json => [["_uuid", "==", ["uuid", uuid]]];

/** A key that identifies an atom within one column's partial operations. */
function atomKey(atom: Atom): string {
  return `${typeof atom}:${String(atom)}`;
}

export class IdlTransaction {
  readonly #idl: Idl;
  readonly #rows = new Map<string, StagedRow>();
  #comments: string[] = [];
  #increment: { table: TableSchema; uuid: string; column: string; force: boolean } | undefined;
  #assertLock: string | undefined;
  #dryRun = false;
  #generation = 0;

  constructor(idl: Idl) {
    this.#idl = idl;
  }

  /**
   * Changes whenever a staged insert, write or delete changes what `read` and `exists` answer,
   * so callers may cache what they derive from the transaction's view (ovs-vsctl's bridge and
   * port cache) and know when it went stale.
   */
  get generation(): number {
    return this.#generation;
  }

  #table(name: string): TableSchema {
    const table = this.#idl.schema?.tables.get(name);
    if (!table) throw new RangeError(`unknown table ${name}`);
    return table;
  }

  #type(table: TableSchema, column: string): OvsdbType {
    const type = table.columns.get(column)?.type;
    if (!type) throw new RangeError(`unknown column ${column} in table ${table.name}`);
    return type;
  }

  /** Adds a comment to the transaction (ovsdb-server logs it with the commit). */
  comment(text: string): void {
    this.#comments.push(text);
  }

  /** Makes the commit fail unless this client holds `lock` (ovs-vswitchd's writes). */
  assertLock(lock: string): void {
    this.#assertLock = lock;
  }

  /** Sends the transaction with a final `abort`: the server checks it but keeps nothing. */
  setDryRun(): void {
    this.#dryRun = true;
  }

  /**
   * Stages a new row and returns its provisional UUID (usable in references). With `uuid`, the
   * row gets that UUID and keeps it on the server (upstream's insert_persist_uuid).
   */
  insert(tableName: string, uuid?: string): string {
    const table = this.#table(tableName);
    const id = uuid ?? crypto.randomUUID();
    this.#generation++;
    this.#rows.set(id, {
      table,
      uuid: id,
      base: undefined,
      deleted: false,
      persistUuid: uuid !== undefined,
      written: new Map(),
      prereqs: new Map(),
      mapOps: new Map(),
      setOps: new Map(),
    });
    return id;
  }

  #staged(tableName: string, uuid: string): StagedRow {
    let row = this.#rows.get(uuid);
    if (!row) {
      const table = this.#table(tableName);
      const base = this.#idl.row(tableName, uuid);
      if (!base) throw new RangeError(`no row ${uuid} in ${tableName}`);
      row = {
        table,
        uuid,
        base,
        deleted: false,
        persistUuid: false,
        written: new Map(),
        prereqs: new Map(),
        mapOps: new Map(),
        setOps: new Map(),
      };
      this.#rows.set(uuid, row);
    }
    return row;
  }

  /** Stages `column` := `value` (sorted, duplicates dropped) in an existing or inserted row. */
  write(tableName: string, uuid: string, column: string, value: Datum): void {
    const row = this.#staged(tableName, uuid);
    this.#type(row.table, column);
    const datum = cloneDatum(value);
    sortUniqueDatum(datum);
    row.written.set(column, datum);
    this.#generation++;
  }

  /** Stages deletion of a row; deleting a row inserted here just forgets it. */
  delete(tableName: string, uuid: string): void {
    const row = this.#staged(tableName, uuid);
    if (!row.base) this.#rows.delete(uuid);
    else row.deleted = true;
    this.#generation++;
  }

  /** Whether `uuid` is deleted in this transaction. */
  isDeleted(uuid: string): boolean {
    return this.#rows.get(uuid)?.deleted ?? false;
  }

  /** Whether `uuid` was inserted in this transaction (and not deleted again). */
  isInserted(uuid: string): boolean {
    const row = this.#rows.get(uuid);
    return row !== undefined && row.base === undefined;
  }

  /** Whether row `uuid` of `tableName` exists as this transaction sees it. */
  exists(tableName: string, uuid: string): boolean {
    const row = this.#rows.get(uuid);
    if (row) return !row.deleted && row.table.name === tableName;
    return this.#idl.row(tableName, uuid) !== undefined;
  }

  /** The UUIDs of rows inserted into `tableName` here, in insertion order. */
  insertedRows(tableName: string): string[] {
    const out: string[] = [];
    for (const row of this.#rows.values()) {
      if (!row.base && row.table.name === tableName) out.push(row.uuid);
    }
    return out;
  }

  /** The UUIDs of the rows of `tableName` as this transaction sees them. */
  rowUuids(tableName: string): string[] {
    const out: string[] = [];
    for (const row of this.#idl.rows(tableName)) {
      if (!this.#rows.get(row.uuid)?.deleted) out.push(row.uuid);
    }
    out.push(...this.insertedRows(tableName));
    return out;
  }

  /** A column's value as this transaction sees it (whole-column write, else the replica). */
  read(tableName: string, uuid: string, column: string): Datum {
    const staged = this.#rows.get(uuid);
    const written = staged?.written.get(column);
    if (written) return written;
    const table = staged?.table ?? this.#table(tableName);
    const type = this.#type(table, column);
    const base = staged ? staged.base : this.#idl.row(tableName, uuid);
    return base?.columns.get(column) ?? defaultDatum(type);
  }

  /**
   * Records that the outcome depends on `column` of an existing row staying as the replica has
   * it. A no-op for rows inserted here and for columns already written here.
   */
  verify(tableName: string, uuid: string, column: string): void {
    const existing = this.#rows.get(uuid);
    if (existing && (!existing.base || existing.written.has(column))) return;
    const row = existing ?? this.#staged(tableName, uuid);
    if (row.prereqs.has(column)) return;
    const type = this.#type(row.table, column);
    row.prereqs.set(column, row.base?.columns.get(column) ?? defaultDatum(type));
  }

  /** Inserts (or, for an existing key, replaces) one pair of a map column at commit time. */
  writePartialMap(tableName: string, uuid: string, column: string, key: Atom, value: Atom): void {
    const row = this.#staged(tableName, uuid);
    const current = this.read(tableName, uuid, column);
    const kind = findKey(current, key) >= 0 ? "update" : "insert";
    this.#addMapOp(row, column, { kind, key, value });
  }

  /** Deletes the pair with `key` from a map column at commit time. */
  deletePartialMap(tableName: string, uuid: string, column: string, key: Atom): void {
    this.#addMapOp(this.#staged(tableName, uuid), column, {
      kind: "delete",
      key,
      value: undefined,
    });
  }

  #addMapOp(row: StagedRow, column: string, op: MapOp): void {
    this.#type(row.table, column);
    let ops = row.mapOps.get(column);
    if (!ops) row.mapOps.set(column, ops = new Map());
    const id = atomKey(op.key);
    const previous = ops.get(id);
    if (previous?.kind === "insert" && op.kind === "delete") ops.delete(id);
    else ops.set(id, op);
  }

  /** Adds one element to a set column at commit time. */
  writePartialSet(tableName: string, uuid: string, column: string, element: Atom): void {
    this.#addSetOp(this.#staged(tableName, uuid), column, { kind: "insert", key: element });
  }

  /** Removes one element from a set column at commit time. */
  deletePartialSet(tableName: string, uuid: string, column: string, element: Atom): void {
    this.#addSetOp(this.#staged(tableName, uuid), column, { kind: "delete", key: element });
  }

  #addSetOp(row: StagedRow, column: string, op: SetOp): void {
    this.#type(row.table, column);
    let ops = row.setOps.get(column);
    if (!ops) row.setOps.set(column, ops = new Map());
    const id = atomKey(op.key);
    const previous = ops.get(id);
    if (previous?.kind === "insert" && op.kind === "delete") ops.delete(id);
    else ops.set(id, op);
  }

  /**
   * Adds 1 to an integer column at commit time; the result reports the new value. Unless
   * `force`, a transaction that changes nothing else does not increment (and stays unchanged).
   */
  increment(tableName: string, uuid: string, column: string, force = false): void {
    this.#increment = { table: this.#table(tableName), uuid, column, force };
  }

  /** A reference to `uuid`: a row inserted here is named by its uuid-name. */
  #uuidJson(uuid: string): Json {
    const row = this.#rows.get(uuid);
    return row && !row.base && !row.persistUuid ? ["named-uuid", rowName(uuid)] : ["uuid", uuid];
  }

  #atomJson(atom: Atom, type: OvsdbType["key"]): Json {
    return type.type === "uuid" ? this.#uuidJson(atom as string) : atomToJson(atom, type.type);
  }

  /** RFC 7047 notation, with rows inserted here referred to by their uuid-name. */
  #datumJson(datum: Datum, type: OvsdbType): Json {
    const value = type.value;
    if (value) {
      return [
        "map",
        datum.keys.map((key, i) => [
          this.#atomJson(key, type.key),
          this.#atomJson(datum.values?.[i] as Atom, value),
        ]),
      ];
    }
    if (datum.keys.length === 1) return this.#atomJson(datum.keys[0] as Atom, type.key);
    return ["set", datum.keys.map((key) => this.#atomJson(key, type.key))];
  }

  #where(uuid: string): Json {
    return [["_uuid", "==", this.#uuidJson(uuid)]];
  }

  /** The mutations for a row's partial updates (upstream's extract_mutations). */
  #mutations(row: StagedRow): Json[] {
    const out: Json[] = [];
    for (const [column, ops] of row.mapOps) {
      const type = this.#type(row.table, column);
      const old = row.written.get(column) ?? row.base?.columns.get(column) ?? defaultDatum(type);
      const deletes: Json[] = [];
      const inserts: Json[] = [];
      for (const op of ops.values()) {
        const at = findKey(old, op.key);
        if (op.kind === "update" && at >= 0 && atomEquals(old.values?.[at] as Atom, op.value!)) {
          continue;
        }
        if (op.kind === "delete" && at < 0) {
          log.warn("Trying to delete a key that doesn't exist in the map.");
          continue;
        }
        const key = this.#atomJson(op.key, type.key);
        if (op.kind !== "insert") deletes.push(key);
        if (op.kind !== "delete" && type.value) {
          inserts.push([key, this.#atomJson(op.value as Atom, type.value)]);
        }
      }
      if (deletes.length) out.push([column, "delete", ["set", deletes]]);
      if (inserts.length) out.push([column, "insert", ["map", inserts]]);
    }
    for (const [column, ops] of row.setOps) {
      const type = this.#type(row.table, column);
      const old = row.written.get(column) ?? row.base?.columns.get(column) ?? defaultDatum(type);
      const deletes: Json[] = [];
      const inserts: Json[] = [];
      for (const op of ops.values()) {
        if (op.kind === "insert") {
          inserts.push(this.#atomJson(op.key, type.key));
        } else if (findKey(old, op.key) < 0) {
          log.warn("Trying to delete a key that doesn't exist in the set.");
        } else {
          deletes.push(this.#atomJson(op.key, type.key));
        }
      }
      if (deletes.length) out.push([column, "delete", ["set", deletes]]);
      if (inserts.length) out.push([column, "insert", ["set", inserts]]);
    }
    return out;
  }

  /**
   * The `transact` operations, and whether anything changes (upstream sends nothing and reports
   * "unchanged" otherwise). Also where each inserted row's result will be, and the increment's.
   */
  #build(): { ops: Json[]; changes: boolean; inserts: Map<number, string>; incAt: number } {
    const ops: Json[] = [];
    const inserts = new Map<number, string>();
    if (this.#assertLock !== undefined) ops.push({ op: "assert", lock: this.#assertLock });
    for (const row of this.#rows.values()) {
      if (row.prereqs.size === 0 || !row.base) continue;
      const values: { [column: string]: Json } = {};
      for (const [name, seen] of row.prereqs) {
        values[name] = this.#datumJson(seen, this.#type(row.table, name));
      }
      ops.push({
        op: "wait",
        table: row.table.name,
        timeout: 0,
        where: whereUuid(row.uuid),
        until: "==",
        columns: [...row.prereqs.keys()],
        rows: [values],
      });
    }
    let changes = false;
    for (const table of this.#idl.schema?.tables.values() ?? []) {
      if (table.maxRows !== 1) continue;
      const before = [...this.#idl.rows(table.name)].length;
      const after = this.rowUuids(table.name).length;
      if (before === 0 && after === 1) {
        ops.push({ op: "wait", table: table.name, where: [], timeout: 0, until: "==", rows: [] });
      }
    }
    for (const row of this.#rows.values()) {
      const table = row.table;
      if (row.deleted) {
        if (table.isRoot) {
          ops.push({ op: "delete", table: table.name, where: whereUuid(row.uuid) });
          changes = true;
        }
        continue;
      }
      if (!row.base || row.written.size > 0) {
        const values: { [column: string]: Json } = {};
        for (const [name, value] of row.written) {
          const type = this.#type(table, name);
          if (row.base || !isDefaultDatum(value, type)) values[name] = this.#datumJson(value, type);
          const old = row.base?.columns.get(name) ?? defaultDatum(type);
          if (row.base && !datumEquals(old, value)) changes = true;
        }
        if (!row.base) {
          changes = true;
          inserts.set(ops.length, row.uuid);
          ops.push({
            op: "insert",
            table: table.name,
            ...(row.persistUuid ? { uuid: row.uuid } : { "uuid-name": rowName(row.uuid) }),
            row: values,
          });
        } else if (Object.keys(values).length > 0) {
          ops.push({ op: "update", table: table.name, where: whereUuid(row.uuid), row: values });
        }
      }
      if (row.mapOps.size > 0 || row.setOps.size > 0) {
        const mutations = this.#mutations(row);
        if (mutations.length > 0) {
          ops.push({ op: "mutate", table: table.name, where: this.#where(row.uuid), mutations });
          changes = true;
        }
      }
    }
    let incAt = -1;
    if (this.#increment && (changes || this.#increment.force)) {
      changes = true;
      const { table, uuid, column } = this.#increment;
      incAt = ops.length;
      ops.push({
        op: "mutate",
        table: table.name,
        where: this.#where(uuid),
        mutations: [[column, "+=", 1]],
      });
      ops.push({ op: "select", table: table.name, where: this.#where(uuid), columns: [column] });
    }
    if (this.#comments.length > 0) ops.push({ op: "comment", comment: this.#comments.join("\n") });
    if (this.#dryRun) ops.push({ op: "abort" });
    return { ops, changes, inserts, incAt };
  }

  /** The `transact` operations this transaction would send (for tests and debugging). */
  operations(): Json[] {
    return this.#build().ops;
  }

  /** Sends the transaction and interprets the reply as upstream's IDL does. */
  async commit(): Promise<TxnResult> {
    const inserted = new Map<string, string>();
    const { ops, changes, inserts, incAt } = this.#build();
    if (!changes) return { status: "unchanged", inserted };
    if (!this.#idl.isConnected) return { status: "try again", inserted };
    let reply: Json;
    try {
      reply = await this.#idl.call("transact", [this.#idl.database, ...ops]);
    } catch (error) {
      if (error instanceof JsonRpcError && error.error !== "canceled") {
        return { status: "error", error: toOvsJson(error.error, { sort: true }), inserted };
      }
      return { status: "try again", inserted };
    }
    if (!Array.isArray(reply)) {
      log.warn('reply to "transact" is not JSON array');
      return { status: "error", error: toOvsJson(reply, { sort: true }), inserted };
    }
    let hard = 0;
    let soft = 0;
    let lock = 0;
    let error: string | undefined;
    const fail = (result: Json) => {
      hard++;
      error ??= toOvsJson(result, { sort: true });
    };
    for (const result of reply) {
      if (result === null) {
        soft++;
        continue;
      }
      if (!isObject(result)) {
        fail(result);
        log.warn("operation reply is not JSON null or object");
        continue;
      }
      const kind = result["error"];
      if (kind === undefined) continue;
      if (typeof kind !== "string") {
        fail(result);
        log.warn('"error" in reply is not JSON string');
      } else if (kind === "timed out" || kind === "unknown database") {
        soft++;
      } else if (kind === "not owner") {
        lock++;
      } else if (kind === "not allowed") {
        fail(result);
      } else if (kind !== "aborted") {
        fail(result);
        log.warn(`transaction error: ${toOvsJson(result, { sort: true })}`);
      }
    }
    let incremented: bigint | undefined;
    if (!hard && !soft && !lock) {
      if (incAt >= 0) {
        const select = reply[incAt + 1];
        const rows = isObject(select) ? select["rows"] : undefined;
        const first = Array.isArray(rows) && rows.length === 1 ? rows[0] : undefined;
        const value = isObject(first) ? first[this.#increment?.column ?? ""] : undefined;
        if (typeof value === "bigint" || typeof value === "number") incremented = BigInt(value);
        else hard++;
      }
      for (const [at, provisional] of inserts) {
        const result = reply[at];
        const uuid = isObject(result) ? result["uuid"] : undefined;
        if (Array.isArray(uuid) && uuid[0] === "uuid" && typeof uuid[1] === "string") {
          inserted.set(provisional, uuid[1]);
        } else hard++;
      }
    }
    if (hard) return { status: "error", error: error ?? "no error details available", inserted };
    if (lock) return { status: "not locked", inserted };
    if (soft) return { status: "try again", inserted };
    return incremented === undefined
      ? { status: "success", inserted }
      : { status: "success", inserted, incremented };
  }
}
