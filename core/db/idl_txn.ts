// A transaction against an IDL replica, as upstream's ovsdb_idl_txn: changes are staged locally
// (reads see them at once), then sent as one OVSDB `transact`. Owns staging (inserts, writes,
// deletes), verification of what the caller read (sent as `wait` operations so a concurrent
// change makes the server refuse the transaction, reported as "try again"), counter increments
// (ovs-vsctl's next_cfg), and translating the server's reply into a status. Promises: nothing is
// sent before `commit`; a failed transaction changes nothing on the server (OVSDB transactions
// are atomic); UUIDs of inserted rows are reported as the server assigned them.

import type { Json } from "../net/json_value.ts";
import type { Atom, Datum } from "./datum.ts";
import { datumEquals, defaultDatum } from "./datum.ts";
import type { Idl } from "./idl.ts";
import { isObject, toOvsJson } from "./json.ts";
import type { TableSchema } from "./schema.ts";
import type { BaseType, OvsdbType } from "./types.ts";

export type TxnStatus = "success" | "unchanged" | "try again" | "not locked" | "error";

export interface TxnResult {
  status: TxnStatus;
  /** The server's error for status "error". */
  error?: string;
  /** Provisional UUID given by `insert` → the UUID the server assigned. */
  inserted: Map<string, string>;
  /** The incremented value, when `increment` was used. */
  incremented?: bigint;
}

interface StagedRow {
  table: TableSchema;
  uuid: string;
  inserted: boolean;
  deleted: boolean;
  /** Columns written, with their new values. */
  writes: Map<string, Datum>;
}

function uuidName(uuid: string): string {
  return `row${uuid.replaceAll("-", "_")}`;
}

const whereUuid = (uuid: string): Json => [["_uuid", "==", ["uuid", uuid]]];

export class IdlTransaction {
  readonly #idl: Idl;
  readonly #rows = new Map<string, StagedRow>();
  /**
   * Columns the caller's decisions depend on, by row, with the values read at verify time: the
   * replica may move on while we are not looking, and the server must check what we saw.
   */
  readonly #verified = new Map<string, { table: TableSchema; columns: Map<string, Datum> }>();
  #comments: string[] = [];
  #increment: { table: TableSchema; uuid: string; column: string } | undefined;
  #assertLock: string | undefined;

  constructor(idl: Idl) {
    this.#idl = idl;
  }

  #table(name: string): TableSchema {
    const table = this.#idl.schema?.tables.get(name);
    if (!table) throw new RangeError(`unknown table ${name}`);
    return table;
  }

  /** Adds a comment to the transaction (ovsdb-server logs it with the commit). */
  comment(text: string): void {
    this.#comments.push(text);
  }

  /** Makes the commit fail unless this client holds `lock` (ovs-vswitchd's writes). */
  assertLock(lock: string): void {
    this.#assertLock = lock;
  }

  /** Stages a new row; returns its provisional UUID (usable in references). */
  insert(tableName: string): string {
    const table = this.#table(tableName);
    const uuid = crypto.randomUUID();
    this.#rows.set(uuid, { table, uuid, inserted: true, deleted: false, writes: new Map() });
    return uuid;
  }

  #staged(tableName: string, uuid: string): StagedRow {
    let row = this.#rows.get(uuid);
    if (!row) {
      const table = this.#table(tableName);
      if (!this.#idl.row(tableName, uuid)) throw new RangeError(`no row ${uuid} in ${tableName}`);
      row = { table, uuid, inserted: false, deleted: false, writes: new Map() };
      this.#rows.set(uuid, row);
    }
    return row;
  }

  /** Stages `column` := `value` in a row (existing or inserted here). */
  write(tableName: string, uuid: string, column: string, value: Datum): void {
    const row = this.#staged(tableName, uuid);
    if (!row.table.columns.has(column)) {
      throw new RangeError(`unknown column ${column} in table ${tableName}`);
    }
    row.writes.set(column, value);
  }

  /** Stages deletion of a row; deleting a row inserted here just forgets it. */
  delete(tableName: string, uuid: string): void {
    const row = this.#staged(tableName, uuid);
    if (row.inserted) this.#rows.delete(uuid);
    else row.deleted = true;
  }

  /** Whether `uuid` is deleted in this transaction. */
  isDeleted(uuid: string): boolean {
    return this.#rows.get(uuid)?.deleted ?? false;
  }

  /** Whether `uuid` was inserted in this transaction. */
  isInserted(uuid: string): boolean {
    return this.#rows.get(uuid)?.inserted ?? false;
  }

  /** The UUIDs of rows inserted into `tableName` here, in insertion order. */
  insertedRows(tableName: string): string[] {
    return [...this.#rows.values()]
      .filter((r) => r.inserted && r.table.name === tableName)
      .map((r) => r.uuid);
  }

  /** A column's value as this transaction sees it (staged write, else the replica). */
  read(tableName: string, uuid: string, column: string): Datum {
    const staged = this.#rows.get(uuid)?.writes.get(column);
    if (staged) return staged;
    const table = this.#table(tableName);
    const type = table.columns.get(column)?.type;
    if (!type) throw new RangeError(`unknown column ${column} in table ${tableName}`);
    return this.#idl.row(tableName, uuid)?.columns.get(column) ?? defaultDatum(type);
  }

  /** Records that the outcome depends on `column` of an existing row staying as read. */
  verify(tableName: string, uuid: string, column: string): void {
    if (this.#rows.get(uuid)?.inserted) return;
    const table = this.#table(tableName);
    let entry = this.#verified.get(uuid);
    if (!entry) {
      entry = { table, columns: new Map() };
      this.#verified.set(uuid, entry);
    }
    if (entry.columns.has(column)) return;
    const type = table.columns.get(column)?.type;
    if (!type) throw new RangeError(`unknown column ${column} in table ${tableName}`);
    const current = this.#idl.row(tableName, uuid)?.columns.get(column) ?? defaultDatum(type);
    entry.columns.set(column, current);
  }

  /** Adds 1 to an integer column at commit time; the result reports the new value. */
  increment(tableName: string, uuid: string, column: string): void {
    this.#increment = { table: this.#table(tableName), uuid, column };
  }

  #atomJson(atom: Atom, base: BaseType): Json {
    if (base.type !== "uuid") return atom;
    const uuid = atom as string;
    const staged = this.#rows.get(uuid);
    return staged?.inserted ? ["named-uuid", uuidName(uuid)] : ["uuid", uuid];
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

  /** The `transact` operations this transaction sends. */
  operations(): Json[] {
    const ops: Json[] = [];
    if (this.#assertLock !== undefined) ops.push({ op: "assert", lock: this.#assertLock });
    for (const [uuid, { table, columns }] of this.#verified) {
      const row: { [column: string]: Json } = {};
      for (const [name, seen] of columns) {
        const type = table.columns.get(name)?.type;
        if (type) row[name] = this.#datumJson(seen, type);
      }
      ops.push({
        op: "wait",
        timeout: 0,
        table: table.name,
        where: whereUuid(uuid),
        columns: [...columns.keys()],
        until: "==",
        rows: [row],
      });
    }
    for (const staged of this.#rows.values()) {
      const { table, uuid } = staged;
      if (staged.deleted) {
        ops.push({ op: "delete", table: table.name, where: whereUuid(uuid) });
        continue;
      }
      const row: { [column: string]: Json } = {};
      const current = staged.inserted ? undefined : this.#idl.row(table.name, uuid);
      for (const [name, value] of staged.writes) {
        const type = table.columns.get(name)?.type;
        if (!type) continue;
        const old = current?.columns.get(name);
        if (old && datumEquals(old, value)) continue;
        if (staged.inserted && datumEquals(value, defaultDatum(type))) continue;
        row[name] = this.#datumJson(value, type);
      }
      if (staged.inserted) {
        ops.push({ op: "insert", table: table.name, row, "uuid-name": uuidName(uuid) });
      } else if (Object.keys(row).length > 0) {
        ops.push({ op: "update", table: table.name, where: whereUuid(uuid), row });
      }
    }
    if (this.#increment) {
      const { table, uuid, column } = this.#increment;
      ops.push({
        op: "mutate",
        table: table.name,
        where: whereUuid(uuid),
        mutations: [[column, "+=", 1]],
      });
      ops.push({ op: "select", table: table.name, where: whereUuid(uuid), columns: [column] });
    }
    if (this.#comments.length > 0) ops.push({ op: "comment", comment: this.#comments.join("\n") });
    return ops;
  }

  /**
   * Whether there is anything to send besides verifications, comments and the increment: as
   * upstream's IDL, a transaction that only increments a counter is "unchanged".
   */
  #hasChanges(): boolean {
    return [...this.#rows.values()].some((r) => r.inserted || r.deleted || r.writes.size > 0);
  }

  /** Sends the transaction and interprets the reply. */
  async commit(): Promise<TxnResult> {
    const inserted = new Map<string, string>();
    if (!this.#hasChanges()) return { status: "unchanged", inserted };
    const ops = this.operations();
    let reply: Json;
    try {
      reply = await this.#idl.call("transact", [this.#idl.database, ...ops]);
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      return { status: "try again", error: text, inserted };
    }
    if (!Array.isArray(reply)) return { status: "error", error: "reply is not an array", inserted };
    for (let i = 0; i < reply.length; i++) {
      const result = reply[i];
      if (!isObject(result) || result["error"] === undefined || result["error"] === null) continue;
      const op = ops[i];
      const kind = isObject(op) ? op["op"] : undefined;
      const error = String(result["error"]);
      if (kind === "wait" && error === "timed out") return { status: "try again", inserted };
      if (error === "not owner") return { status: "not locked", inserted };
      // Upstream reports the server's error object as JSON with sorted members.
      return { status: "error", error: toOvsJson(result, { sort: true }), inserted };
    }
    let incremented: bigint | undefined;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i];
      const result = reply[i];
      if (!isObject(op) || !isObject(result)) continue;
      if (op["op"] === "insert" && typeof op["uuid-name"] === "string") {
        const uuid = result["uuid"];
        if (Array.isArray(uuid) && typeof uuid[1] === "string") {
          const provisional = op["uuid-name"].slice(3).replaceAll("_", "-");
          inserted.set(provisional, uuid[1]);
        }
      }
      if (op["op"] === "select" && this.#increment) {
        const rows = result["rows"];
        const first = Array.isArray(rows) ? rows[0] : undefined;
        const value = isObject(first) ? first[this.#increment.column] : undefined;
        if (typeof value === "bigint" || typeof value === "number") incremented = BigInt(value);
      }
    }
    return incremented === undefined
      ? { status: "success", inserted }
      : { status: "success", inserted, incremented };
  }
}
