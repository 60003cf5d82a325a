// Active-backup replication (ovsdb-server --sync-from): while the server is a backup it keeps a
// session to the active server, monitors every table of every database both serve (except the
// excluded ones), resets its copy from the monitor's initial contents and applies each update,
// keeping row UUIDs. Clients of a backup may read but not write (the server is read-only then).
// Owns the session to the active server and the exclusion list; knows nothing of client sessions.
// Promises: a reset or update that fails is logged and the copy is reset again on reconnection,
// never half-applied (each is one transaction).

import type { Json, JsonObject } from "../json.ts";
import { isObject, parseOvsJson, toOvsJson } from "../json.ts";
import type { Database } from "../database.ts";
import { JsonRpcSession } from "../../net/jsonrpc_session.ts";
import { OVSDB_PORT } from "../../net/stream.ts";
import { vlogModule } from "../../net/vlog.ts";

const log = vlogModule("replication");

export interface ReplicaHost {
  /** The databases this server serves, by name (including _Server). */
  database(name: string): Database | undefined;
  databaseNames(): string[];
}

export class Replication {
  readonly remote: string;
  /** "DB:TABLE" entries excluded from replication. */
  exclude: Set<string>;
  readonly #host: ReplicaHost;
  readonly #session: JsonRpcSession;
  #replicating: string[] = [];

  constructor(host: ReplicaHost, remote: string, exclude: Set<string>) {
    this.#host = host;
    this.remote = remote;
    this.exclude = exclude;
    this.#session = new JsonRpcSession(remote, {
      defaultPort: OVSDB_PORT,
      parse: parseOvsJson,
      stringify: (value) => toOvsJson(value),
    });
    this.#session.onConnect = () => void this.#synchronise();
    this.#session.onMessage = (message) => {
      if (message.type === "notify" && message.method === "update") {
        const dbName = message.params[0];
        const database = typeof dbName === "string" ? this.#host.database(dbName) : undefined;
        if (database) void this.#apply(database, message.params[1] ?? null, false);
      }
    };
  }

  start(): void {
    this.#session.start();
  }

  stop(): void {
    this.#session.close();
    this.#replicating = [];
  }

  get connected(): boolean {
    return this.#session.isConnected;
  }

  /** Databases being replicated right now. */
  get databases(): string[] {
    return [...this.#replicating];
  }

  async #synchronise(): Promise<void> {
    try {
      const remoteDbs = await this.#session.call("list_dbs", []);
      const names = Array.isArray(remoteDbs) ? remoteDbs.map(String) : [];
      const replicated: string[] = [];
      for (const name of this.#host.databaseNames()) {
        const database = this.#host.database(name);
        if (name === "_Server" || !database || !names.includes(name)) continue;
        const requests: JsonObject = {};
        for (const table of database.schema.tables.values()) {
          if (this.exclude.has(`${name}:${table.name}`)) continue;
          requests[table.name] = {
            columns: [...table.columns.keys()].filter((c) => !c.startsWith("_")),
          };
        }
        const initial = await this.#session.call("monitor", [name, name, requests]);
        log.info("Monitor request received. Resetting the database");
        await this.#apply(database, initial, true);
        replicated.push(name);
      }
      this.#replicating = replicated;
    } catch (error) {
      log.warn(
        `${this.remote}: replication failed (${error instanceof Error ? error.message : error})`,
      );
    }
  }

  /**
   * Applies <table-updates> as one transaction. With `reset` (a monitor's initial contents) the
   * replicated tables become exactly those rows: rows the active server lacks are deleted, rows
   * both have are updated, the rest inserted under their own UUIDs.
   */
  async #apply(database: Database, updates: Json, reset: boolean): Promise<void> {
    const ops: Json[] = [database.name];
    const tables = isObject(updates) ? updates : {};
    if (reset) {
      for (const [name, table] of database.tables) {
        if (this.exclude.has(`${database.name}:${name}`)) continue;
        const wanted = isObject(tables[name]) ? tables[name] as JsonObject : {};
        for (const row of table.iterate()) {
          const where = [["_uuid", "==", ["uuid", row.uuid]]];
          const update = wanted[row.uuid];
          if (!isObject(update) || update["new"] === undefined) {
            ops.push({ op: "delete", table: name, where });
          }
        }
      }
    }
    for (const [table, rows] of Object.entries(tables)) {
      if (!isObject(rows)) continue;
      const local = database.tables.get(table);
      for (const [uuid, update] of Object.entries(rows)) {
        if (!isObject(update)) continue;
        const neu = update["new"];
        const where = [["_uuid", "==", ["uuid", uuid]]];
        const exists = local?.get(uuid) !== undefined;
        if (neu === undefined) ops.push({ op: "delete", table, where });
        else if (reset ? !exists : update["old"] === undefined) {
          ops.push({ op: "insert", table, uuid, row: withoutReserved(neu) });
        } else ops.push({ op: "update", table, where, row: withoutReserved(neu) });
      }
    }
    const results = await database.execute(ops, { internal: true });
    if (Array.isArray(results)) {
      const failed = results.find((r) => isObject(r) && r["error"] !== undefined);
      if (failed) log.err(`unexpected ovsdb error: ${toOvsJson(failed, { sort: true })}`);
    }
  }
}

function withoutReserved(row: Json): JsonObject {
  const out: JsonObject = {};
  if (!isObject(row)) return out;
  for (const [column, value] of Object.entries(row)) {
    if (!column.startsWith("_")) out[column] = value;
  }
  return out;
}
