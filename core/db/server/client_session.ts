// One client of ovsdb-server: the RFC 7047 methods as upstream's ovsdb/jsonrpc-server.c answers
// them — transact (with blocking "wait" triggers and "cancel"), monitor / monitor_cond /
// monitor_cond_since / monitor_cond_change / monitor_cancel, get_schema, list_dbs,
// get_server_id, lock / steal / unlock, set_db_change_aware, echo. Owns this client's monitors,
// pending triggers and lock requests, and releases all of them when the connection closes.
// Promises: replies carry upstream's error objects; a monitor's updates are sent in commit
// order and never before the reply that created it; a slow client only grows its own queue,
// bounded by the connection's backlog limit.

import type { Json, JsonObject } from "../json.ts";
import { isObject, rawJson } from "../json.ts";
import { OvsdbError, syntaxError } from "../error.ts";
import { type DatabaseSchema, schemaFromJson, schemaToJson } from "../schema.ts";
import type { Database } from "../database.ts";
import type { Monitor, MonitorVersion } from "../monitor.ts";
import type { RowChange } from "../transaction.ts";
import type { AcceptedSession } from "../../net/jsonrpc_session.ts";
import { errorReply, type JsonRpcMessage, notify, reply } from "../../net/jsonrpc.ts";
import { cancelTimer, setTimer, timeMsec } from "../../net/timeval.ts";
import { vlogModule } from "../../net/vlog.ts";

const log = vlogModule("ovsdb_jsonrpc_server");

/** What a session needs from the server it belongs to. */
export interface ServerContext {
  readonly serverId: string;
  /** A backup server refuses writes from its clients. */
  readonly readOnly: boolean;
  database(name: string): Database | undefined;
  databaseNames(): string[];
  lock(session: ClientSession, name: string, steal: boolean): boolean;
  convertDatabase(name: string, schema: DatabaseSchema): Promise<void>;
  unlock(session: ClientSession, name: string): boolean;
  ownsLock(session: ClientSession, name: string): boolean;
  releaseLocks(session: ClientSession): void;
}

interface ActiveMonitor {
  id: Json;
  idKey: string;
  database: Database;
  monitor: Monitor;
  version: MonitorVersion;
  unsubscribe: () => void;
  /** Updates held back until the reply that creates the monitor is sent (then undefined). */
  held: Array<[string, Json[]]> | undefined;
}

interface Trigger {
  id: Json;
  idKey: string;
  database: Database;
  params: Json[];
  started: number;
  timer: number | undefined;
  unsubscribe: () => void;
}

function key(json: Json): string {
  return JSON.stringify(json, (_k, v) => (typeof v === "bigint" ? String(v) : v));
}

function errorJson(error: unknown): JsonObject {
  if (error instanceof OvsdbError) return error.toJson();
  return {
    error: "internal error",
    details: error instanceof Error ? error.message : String(error),
  };
}

export class ClientSession {
  readonly #session: AcceptedSession;
  readonly #server: ServerContext;
  readonly #monitors = new Map<string, ActiveMonitor>();
  readonly #triggers = new Map<string, Trigger>();
  dbChangeAware = false;
  #closed = false;

  constructor(session: AcceptedSession, server: ServerContext) {
    this.#session = session;
    this.#server = server;
    session.onMessage = (message) => this.#receive(message);
  }

  get name(): string {
    return this.#session.connection.name;
  }

  get monitorCount(): number {
    return this.#monitors.size;
  }

  /** Sends a notification (lock events, monitor updates). */
  notify(method: string, params: Json[]): void {
    if (!this.#closed) this.#session.send(notify(method, params));
  }

  #send(message: JsonRpcMessage): void {
    if (!this.#closed) this.#session.send(message);
  }

  #receive(message: JsonRpcMessage): void {
    if (message.type === "notify") {
      if (message.method === "cancel") this.#cancel(message.params);
      return;
    }
    if (message.type !== "request") return;
    try {
      this.#request(message.method, message.params, message.id);
    } catch (error) {
      this.#send(errorReply(errorJson(error), message.id));
    }
  }

  #lookupDatabase(method: string, params: Json[]): Database {
    const name = params[0];
    if (typeof name !== "string") {
      throw syntaxError(params, null, `${method} request params must begin with <db-name>`);
    }
    const database = this.#server.database(name);
    if (!database) {
      throw syntaxError(
        params,
        "unknown database",
        `${method} request specifies unknown database ${name}`,
      );
    }
    return database;
  }

  #request(method: string, params: Json[], id: Json): void {
    switch (method) {
      case "transact":
        this.#transact(this.#lookupDatabase(method, params), params, id);
        return;
      case "convert": {
        const database = this.#lookupDatabase(method, params);
        if (params.length !== 2) throw syntaxError(params, null, "array expected");
        const schema = schemaFromJson(params[1] ?? null);
        this.#server.convertDatabase(database.name, schema).then(
          () => this.#send(reply({}, id)),
          (error) => this.#send(errorReply(errorJson(error), id)),
        );
        return;
      }
      case "monitor":
      case "monitor_cond":
      case "monitor_cond_since": {
        const database = this.#lookupDatabase(method, params);
        const version = method === "monitor" ? 1 : method === "monitor_cond" ? 2 : 3;
        void this.#monitorWhenDurable(database, params, version, id);
        return;
      }
      case "monitor_cond_change":
        this.#send(reply(this.#monitorCondChange(params), id));
        return;
      case "monitor_cancel": {
        const monitor = params.length === 1
          ? this.#monitors.get(key(params[0] ?? null))
          : undefined;
        if (params.length !== 1) this.#send(errorReply("invalid parameters", id));
        else if (!monitor) this.#send(errorReply("unknown monitor", id));
        else {
          this.#dropMonitor(monitor);
          this.#send(reply({}, id));
        }
        return;
      }
      case "get_schema":
        this.#send(reply(schemaToJson(this.#lookupDatabase(method, params).schema), id));
        return;
      case "list_dbs":
        this.#send(reply(this.#server.databaseNames(), id));
        return;
      case "get_server_id":
        this.#send(reply(this.#server.serverId, id));
        return;
      case "lock":
      case "steal": {
        const name = this.#lockName(method, params);
        const locked = this.#server.lock(this, name, method === "steal");
        this.#send(reply({ locked }, id));
        return;
      }
      case "unlock": {
        const name = this.#lockName(method, params);
        if (!this.#server.unlock(this, name)) {
          throw syntaxError(params, null, `${method}: "unlock" without "lock" or "steal"`);
        }
        this.#send(reply({}, id));
        return;
      }
      case "set_db_change_aware": {
        const value = params[0];
        if (params.length !== 1 || typeof value !== "boolean") {
          throw syntaxError(params, null, `${method}: true or false parameter expected`);
        }
        this.dbChangeAware = value;
        this.#send(reply({}, id));
        return;
      }
      case "echo":
        this.#send(reply(params, id));
        return;
      default:
        this.#send(errorReply("unknown method", id));
    }
  }

  #lockName(method: string, params: Json[]): string {
    const name = params[0];
    if (params.length !== 1 || typeof name !== "string") {
      throw syntaxError(params, null, `${method}: lock name expected`);
    }
    return name;
  }

  #transact(database: Database, params: Json[], id: Json): void {
    const idKey = key(id);
    if (this.#triggers.has(idKey)) {
      throw syntaxError(params, null, "transact: duplicate request ID");
    }
    const trigger: Trigger = {
      id,
      idKey,
      database,
      params,
      started: timeMsec(),
      timer: undefined,
      unsubscribe: () => {},
    };
    this.#triggers.set(idKey, trigger);
    this.#runTrigger(trigger);
  }

  /** Runs a transaction; a blocked "wait" retries after each commit and at its timeout. */
  #runTrigger(trigger: Trigger): void {
    const elapsedMs = timeMsec() - trigger.started;
    trigger.database.transact(trigger.params, {
      ownsLock: (name) => this.#server.ownsLock(this, name),
      elapsedMs,
      canBlock: true,
      readOnly: this.#server.readOnly,
    }).then((outcome) => {
      if (this.#closed || !this.#triggers.has(trigger.idKey)) return;
      if (outcome.kind === "results") {
        this.#finishTrigger(trigger);
        this.#send(reply(outcome.results, trigger.id));
        return;
      }
      trigger.unsubscribe();
      const retry = () => {
        trigger.unsubscribe();
        if (trigger.timer !== undefined) cancelTimer(trigger.timer);
        trigger.timer = undefined;
        this.#runTrigger(trigger);
      };
      trigger.unsubscribe = trigger.database.onCommit(() => queueMicrotask(retry));
      if (Number.isFinite(outcome.timeoutMs)) {
        const remaining = Math.max(0, outcome.timeoutMs - (timeMsec() - trigger.started));
        trigger.timer = setTimer(remaining, retry);
      }
    }, (error) => {
      if (this.#closed) return;
      this.#finishTrigger(trigger);
      this.#send(errorReply(errorJson(error), trigger.id));
    });
  }

  #finishTrigger(trigger: Trigger): void {
    trigger.unsubscribe();
    if (trigger.timer !== undefined) cancelTimer(trigger.timer);
    this.#triggers.delete(trigger.idKey);
  }

  /** "cancel" notification: the pending transaction with that id ends with "canceled". */
  #cancel(params: Json[]): void {
    if (params.length !== 1) return;
    const trigger = this.#triggers.get(key(params[0] ?? null));
    if (!trigger) return;
    this.#finishTrigger(trigger);
    this.#send(errorReply({ error: "canceled" }, trigger.id));
  }

  /**
   * Creates a monitor at once, from the contents as committed so far, and sends its reply when
   * those commits are durable, so the reply never shows a transaction that a failed write could
   * still take back. Commits already counted in the initial contents are not reported again
   * when they become durable. Should such a commit fail after all, the initial contents were
   * wrong: the client is disconnected, to resynchronise when it reconnects.
   */
  async #monitorWhenDurable(
    database: Database,
    params: Json[],
    version: MonitorVersion,
    id: Json,
  ): Promise<void> {
    const failures = database.failureCount;
    const seen = database.committedSeq;
    let created: { result: () => Json; active: ActiveMonitor };
    try {
      created = this.#monitorCreate(database, params, version, seen);
    } catch (error) {
      await database.settled(seen);
      this.#send(errorReply(errorJson(error), id));
      return;
    }
    await database.settled(seen);
    if (this.#closed) return;
    if (database.failureCount !== failures) {
      log.warn(`${this.name}: database write failed under a new monitor, disconnecting`);
      this.close();
      return;
    }
    this.#send(reply(created.result(), id));
    const held = created.active.held ?? [];
    created.active.held = undefined;
    for (const [method, notifyParams] of held) this.notify(method, notifyParams);
  }

  #monitorCreate(
    database: Database,
    params: Json[],
    version: MonitorVersion,
    seen: number,
  ): { result: () => Json; active: ActiveMonitor } {
    if ((version === 2 && params.length !== 3) || (version === 3 && params.length !== 4)) {
      throw syntaxError(params, null, "invalid parameters");
    }
    const id = params[1] ?? null;
    const requests = params[2] ?? null;
    if (!isObject(requests)) {
      throw syntaxError(requests, null, "monitor-requests must be object");
    }
    const idKey = key(id);
    if (this.#monitors.has(idKey)) throw syntaxError(id, null, "duplicate monitor ID");
    if (version === 3) {
      const last = params[3];
      if (typeof last !== "string") {
        throw syntaxError(last ?? null, null, "last-txn-id must be string");
      }
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(last)) {
        throw syntaxError(last, null, "last-txn-id must be UUID format.");
      }
    }
    const { monitor, initial } = database.monitor(requests, version);
    const active: ActiveMonitor = {
      id,
      idKey,
      database,
      monitor,
      version,
      unsubscribe: () => {},
      held: [],
    };
    // The id of the newest transaction the initial contents show, once it is durable.
    let initialTxnId = database.lastTxnId;
    active.unsubscribe = database.onCommit((changes, txnId, seq) => {
      if (seq === 0 || seq > seen) this.#onCommit(active, changes, txnId);
      else initialTxnId = txnId;
    });
    this.#monitors.set(idKey, active);
    // We keep no history of transactions, so a reconnecting client always gets the full
    // contents ("found": false), which upstream also answers when its history is too short.
    return {
      result: () => version === 3 ? [false, initialTxnId, initial] : initial,
      active,
    };
  }

  #onCommit(active: ActiveMonitor, changes: RowChange[], txnId: string): void {
    let text: string | undefined;
    try {
      // Serialised once for every monitor with the same parameters.
      text = active.monitor.updateText(changes);
    } catch (error) {
      log.err(`${this.name}: monitor update failed: ${error}`);
      return;
    }
    if (text === undefined) return;
    const updates = rawJson(text);
    const [method, params]: [string, Json[]] = active.version === 1
      ? ["update", [active.id, updates]]
      : active.version === 2
      ? ["update2", [active.id, updates]]
      : ["update3", [active.id, txnId, updates]];
    if (active.held) active.held.push([method, params]);
    else this.notify(method, params);
  }

  #monitorCondChange(params: Json[]): Json {
    if (params.length !== 3) throw syntaxError(params, null, "invalid parameters");
    const active = this.#monitors.get(key(params[0] ?? null));
    if (!active) throw syntaxError(params[0] ?? null, null, "unknown monitor session");
    const newId = params[1] ?? null;
    const newKey = key(newId);
    if (newKey !== active.idKey && this.#monitors.has(newKey)) {
      throw syntaxError(newId, null, "duplicate monitor ID");
    }
    const requests = params[2];
    if (!isObject(requests)) {
      throw syntaxError(requests ?? null, null, "monitor-cond-change-requests must be object");
    }
    const before = active.monitor.initial();
    for (const [table, changes] of Object.entries(requests)) {
      const list = Array.isArray(changes) ? changes : [changes];
      for (const change of list) {
        if (!isObject(change)) continue;
        if (change["columns"] !== undefined) {
          throw syntaxError(change, null, "changing columns is unsupported");
        }
        if (change["where"] !== undefined) active.monitor.setCondition(table, change["where"]);
      }
    }
    const after = active.monitor.initial();
    this.#monitors.delete(active.idKey);
    active.id = newId;
    active.idKey = newKey;
    this.#monitors.set(newKey, active);
    const updates = conditionChangeUpdates(before, after);
    if (updates) {
      this.notify(active.version === 3 ? "update3" : "update2", [
        newId,
        ...(active.version === 3 ? [active.database.lastTxnId] : []),
        updates,
      ]);
    }
    return {};
  }

  #dropMonitor(active: ActiveMonitor): void {
    active.unsubscribe();
    this.#monitors.delete(active.idKey);
  }

  /** Tells clients that asked to be told that a database went away; cancels its monitors. */
  databaseRemoved(database: Database): void {
    for (const active of [...this.#monitors.values()]) {
      if (active.database !== database) continue;
      this.#dropMonitor(active);
      if (this.dbChangeAware) this.notify("monitor_canceled", [active.id]);
    }
    for (const trigger of [...this.#triggers.values()]) {
      if (trigger.database !== database) continue;
      this.#finishTrigger(trigger);
      this.#send(errorReply({ error: "canceled" }, trigger.id));
    }
  }

  /**
   * The database was converted and replaced: clients that asked (set_db_change_aware) get
   * monitor_canceled for its monitors; others are disconnected, as upstream does, and
   * reconnect to the new database.
   */
  databaseReplaced(database: Database): void {
    const affected = [...this.#monitors.values()].some((m) => m.database === database);
    if (!affected) return;
    if (this.dbChangeAware) this.databaseRemoved(database);
    else this.close();
  }

  /** Releases everything this client held; called when its connection closes. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const active of this.#monitors.values()) active.unsubscribe();
    this.#monitors.clear();
    for (const trigger of this.#triggers.values()) {
      trigger.unsubscribe();
      if (trigger.timer !== undefined) cancelTimer(trigger.timer);
    }
    this.#triggers.clear();
    this.#server.releaseLocks(this);
    this.#session.close();
  }
}

/** The update2 rows that make a client's view go from `before` to `after` a condition change. */
function conditionChangeUpdates(before: JsonObject, after: JsonObject): JsonObject | undefined {
  const out: JsonObject = {};
  let any = false;
  const tables = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const table of tables) {
    const old = isObject(before[table]) ? before[table] as JsonObject : {};
    const neu = isObject(after[table]) ? after[table] as JsonObject : {};
    const rows: JsonObject = {};
    for (const uuid of Object.keys(old)) {
      if (!(uuid in neu)) rows[uuid] = { delete: null };
    }
    for (const [uuid, row] of Object.entries(neu)) {
      if (uuid in old) continue;
      const initial = isObject(row) ? row["initial"] ?? row : row;
      rows[uuid] = { insert: initial ?? null };
    }
    if (Object.keys(rows).length > 0) {
      out[table] = rows;
      any = true;
    }
  }
  return any ? out : undefined;
}
