// The IDL: a client's live replica of one database on an ovsdb-server, as upstream's
// lib/ovsdb-idl.c keeps for ovs-vsctl and ovs-vswitchd. Owns the session to the server, the
// schema it fetched, the replica (rows by table and UUID), the monitor that keeps it current,
// and the optional lock. Promises: after `synced` the replica equals the server's committed
// state as of the last update applied; `seqno` changes whenever the replica or connection state
// changes; after a reconnection the replica is rebuilt from scratch. Reads are synchronous and
// never touch the network; writes go through IdlTransaction (idl_txn.ts).

import type { Json } from "../net/json_value.ts";
import { JsonRpcSession } from "../net/jsonrpc_session.ts";
import { OVSDB_PORT } from "../net/stream.ts";
import { vlogModule } from "../net/vlog.ts";
import {
  type Datum,
  datumApplyDiff,
  datumFromJson,
  defaultDatum,
  transientDatumFromJson,
} from "./datum.ts";
import { isObject, parseOvsJson, toOvsJson } from "./json.ts";
import { type DatabaseSchema, schemaFromJson, type TableSchema } from "./schema.ts";

const log = vlogModule("ovsdb_idl");

export interface IdlRow {
  readonly uuid: string;
  readonly table: TableSchema;
  /** Column values; a column never sent by the server holds its default. */
  readonly columns: Map<string, Datum>;
}

export interface IdlOptions {
  /** Name of a lock to acquire (ovs-vswitchd takes "ovs_vswitchd"). */
  lock?: string;
  /** Probe interval in ms for TCP sessions (upstream default 5000). */
  probeInterval?: number;
  /** Log connection progress at DBG (tools) instead of INFO (daemons). */
  quiet?: boolean;
  /**
   * What to replicate, as upstream's ovsdb_idl_add_table/add_column: table → columns (an empty
   * set replicates the rows without any column). Undefined replicates every column of every
   * table. Columns not replicated read as their defaults.
   */
  monitor?: ReadonlyMap<string, ReadonlySet<string>>;
}

const MONITOR_ID = "monid";

export class Idl {
  readonly remote: string;
  readonly database: string;
  /** Called after each change to the replica or the connection. */
  onChange: () => void = () => {};

  schema: DatabaseSchema | undefined;
  /** Whether the initial contents have arrived on the current connection. */
  synced = false;
  /** Whether this client holds its lock (always false without one). */
  hasLock = false;
  /** Whether another client holds the lock we want. */
  lockContended = false;
  /** The last fatal error the server reported for this database, if any. */
  lastError: string | undefined;

  readonly #tables = new Map<string, Map<string, IdlRow>>();
  readonly #session: JsonRpcSession;
  readonly #options: IdlOptions;
  #seqno = 0;
  #syncWaiters: Array<() => void> = [];
  #changeWaiters: Array<() => void> = [];
  #monitorMethod: "monitor_cond" | "monitor" = "monitor_cond";

  constructor(remote: string, database: string, options: IdlOptions = {}) {
    this.remote = remote;
    this.database = database;
    this.#options = options;
    this.#session = new JsonRpcSession(remote, {
      defaultPort: OVSDB_PORT,
      parse: parseOvsJson,
      stringify: (value) => toOvsJson(value),
      ...(options.probeInterval === undefined ? {} : { probeInterval: options.probeInterval }),
      quiet: options.quiet ?? false,
    });
    this.#session.onConnect = () => this.#onConnect();
    this.#session.onDisconnect = () => this.#onDisconnect();
    this.#session.onMessage = (message) => {
      if (message.type === "notify") this.#onNotify(message.method, message.params);
    };
  }

  start(): void {
    this.#session.start();
  }

  close(): void {
    this.#session.close();
  }

  get isConnected(): boolean {
    return this.#session.isConnected;
  }

  /** Changes whenever the replica, the connection or the lock state changes. */
  get seqno(): number {
    return this.#seqno;
  }

  /** Sends a request on the live connection (transactions use this). */
  call(method: string, params: Json[]): Promise<Json> {
    return this.#session.call(method, params);
  }

  /** Resolves once the replica is synced (immediately if it already is). */
  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.#syncWaiters.push(resolve));
  }

  /** Resolves after the next change of `seqno`. */
  waitForChange(): Promise<void> {
    return new Promise((resolve) => this.#changeWaiters.push(resolve));
  }

  /** The rows of `table` (none when the table is unknown or not yet synced). */
  rows(table: string): IterableIterator<IdlRow> {
    return (this.#tables.get(table) ?? new Map<string, IdlRow>()).values();
  }

  /** One row by UUID. */
  row(table: string, uuid: string): IdlRow | undefined {
    return this.#tables.get(table)?.get(uuid);
  }

  /** The first row of `table`, e.g. the single Open_vSwitch row. */
  first(table: string): IdlRow | undefined {
    return this.rows(table).next().value;
  }

  #changed(): void {
    this.#seqno++;
    const waiters = this.#changeWaiters;
    this.#changeWaiters = [];
    for (const resolve of waiters) resolve();
    try {
      this.onChange();
    } catch (error) {
      log.err(`change handler failed: ${error instanceof Error ? error.stack : error}`);
    }
  }

  async #onConnect(): Promise<void> {
    this.synced = false;
    this.hasLock = false;
    this.#tables.clear();
    this.#changed();
    try {
      const schemaJson = await this.#session.call("get_schema", [this.database]);
      this.schema = schemaFromJson(schemaJson);
      if (this.#options.lock !== undefined) {
        const result = await this.#session.call("lock", [this.#options.lock]);
        this.hasLock = isObject(result) && result["locked"] === true;
        this.lockContended = !this.hasLock;
      }
      await this.#monitor();
      this.synced = true;
      this.lastError = undefined;
      this.#changed();
      const waiters = this.#syncWaiters;
      this.#syncWaiters = [];
      for (const resolve of waiters) resolve();
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      this.lastError = text;
      if (this.#session.isConnected) {
        log.warn(`${this.remote}: ${this.database}: ${text}`);
        this.#changed();
      }
    }
  }

  async #monitor(): Promise<void> {
    const schema = this.schema;
    if (!schema) return;
    const requests: { [table: string]: Json } = {};
    const wanted = this.#options.monitor;
    for (const table of schema.tables.values()) {
      const chosen = wanted?.get(table.name);
      if (wanted && !chosen) continue;
      const columns = [...table.columns.keys()].filter((c) =>
        !c.startsWith("_") && (!chosen || chosen.has(c))
      );
      requests[table.name] = this.#monitorMethod === "monitor_cond" ? [{ columns }] : { columns };
    }
    let result: Json;
    try {
      result = await this.#session.call(this.#monitorMethod, [this.database, MONITOR_ID, requests]);
    } catch (error) {
      // A server without conditional monitors (very old) answers "unknown method".
      if (this.#monitorMethod === "monitor_cond" && /unknown method/.test(String(error))) {
        this.#monitorMethod = "monitor";
        return await this.#monitor();
      }
      throw error;
    }
    this.#tables.clear();
    for (const table of schema.tables.values()) this.#tables.set(table.name, new Map());
    this.#applyUpdates(result, this.#monitorMethod === "monitor_cond");
  }

  #onDisconnect(): void {
    this.synced = false;
    this.hasLock = false;
    this.#changed();
  }

  #onNotify(method: string, params: Json[]): void {
    switch (method) {
      case "update2":
      case "update":
        if (params[0] === MONITOR_ID || params.length >= 2) {
          this.#applyUpdates(params[1] ?? null, method === "update2");
          this.#changed();
        }
        break;
      case "locked":
        this.hasLock = true;
        this.lockContended = false;
        this.#changed();
        break;
      case "stolen":
        this.hasLock = false;
        this.lockContended = true;
        this.#changed();
        break;
      case "monitor_canceled":
        // The database went away (or was converted); start over.
        this.#session.forceReconnect();
        break;
    }
  }

  /** Applies a <table-updates> (update) or <table-updates2> (update2) object. */
  #applyUpdates(updates: Json, version2: boolean): void {
    if (!isObject(updates) || !this.schema) return;
    for (const [tableName, rowUpdates] of Object.entries(updates)) {
      const table = this.schema.tables.get(tableName);
      const rows = this.#tables.get(tableName);
      if (!table || !rows || !isObject(rowUpdates)) continue;
      for (const [uuid, update] of Object.entries(rowUpdates)) {
        if (!isObject(update)) continue;
        try {
          if (version2) this.#applyRowUpdate2(table, rows, uuid, update);
          else this.#applyRowUpdate(table, rows, uuid, update);
        } catch (error) {
          log.warn(`error parsing update to ${tableName} row ${uuid}: ${error}`);
        }
      }
    }
  }

  #newRow(table: TableSchema, uuid: string): IdlRow {
    const columns = new Map<string, Datum>();
    for (const column of table.columns.values()) {
      if (!column.name.startsWith("_")) columns.set(column.name, defaultDatum(column.type));
    }
    return { uuid, table, columns };
  }

  #setColumns(row: IdlRow, values: Json): void {
    if (!isObject(values)) return;
    for (const [name, json] of Object.entries(values)) {
      const column = row.table.columns.get(name);
      if (!column || name.startsWith("_")) continue;
      row.columns.set(name, datumFromJson(json, column.type));
    }
  }

  #applyRowUpdate2(
    table: TableSchema,
    rows: Map<string, IdlRow>,
    uuid: string,
    update: { [key: string]: Json },
  ): void {
    if ("delete" in update) {
      rows.delete(uuid);
      return;
    }
    const fresh = update["initial"] ?? update["insert"];
    if (fresh !== undefined) {
      const row = this.#newRow(table, uuid);
      this.#setColumns(row, fresh);
      rows.set(uuid, row);
      return;
    }
    const modify = update["modify"];
    const row = rows.get(uuid);
    if (modify === undefined || !row || !isObject(modify)) return;
    for (const [name, json] of Object.entries(modify)) {
      const column = table.columns.get(name);
      if (!column || name.startsWith("_")) continue;
      const old = row.columns.get(name) ?? defaultDatum(column.type);
      const diff = transientDatumFromJson(json, column.type);
      row.columns.set(name, datumApplyDiff(old, diff, column.type));
    }
  }

  #applyRowUpdate(
    table: TableSchema,
    rows: Map<string, IdlRow>,
    uuid: string,
    update: { [key: string]: Json },
  ): void {
    const next = update["new"];
    if (next === undefined) {
      rows.delete(uuid);
      return;
    }
    let row = rows.get(uuid);
    if (!row) {
      row = this.#newRow(table, uuid);
      rows.set(uuid, row);
    }
    this.#setColumns(row, next);
  }
}
