// The OVSDB server: the set of databases it serves (plus the built-in `_Server` database that
// describes them, which IDL clients read first), its remotes, its clients and the locks they
// share. Owns remotes of every kind upstream accepts: passive `punix:`/`ptcp:` listeners, active
// `unix:`/`tcp:` connections kept up with reconnection, and `db:DB,TABLE,COLUMN` remotes whose
// targets are read from the database itself and followed as it changes (how the standard
// startup points ovsdb-server at Manager rows). Promises: a failing remote is logged and retried,
// never fatal; a client's death releases its locks, monitors and triggers; `_Server` reflects
// every add and remove of a database.

import type { Json } from "../json.ts";
import { Database } from "../database.ts";
import { type DatabaseSchema, schemaToJson, serverSchema } from "../schema.ts";
import { OvsdbError } from "../error.ts";
import { convertDatabase as convertDatabaseData } from "../convert.ts";
import { parseOvsJson, toOvsJson } from "../json.ts";
import { LockManager } from "../lock.ts";
import type { Datum } from "../datum.ts";
import { ClientSession, type ServerContext } from "./client_session.ts";
import { Replication } from "./replication.ts";
import { AcceptedSession } from "../../net/jsonrpc_session.ts";
import {
  acceptedStreamName,
  isActiveTarget,
  isPassiveTarget,
  openPassiveStream,
  openStream,
  OVSDB_PORT,
  type PassiveStream,
} from "../../net/stream.ts";
import { errorText } from "../../net/stream.ts";
import { cancelTimer, setTimer } from "../../net/timeval.ts";
import { vlogModule } from "../../net/vlog.ts";
import { Reconnect } from "../../net/reconnect.ts";
import { timeMsec } from "../../net/timeval.ts";

const log = vlogModule("ovsdb_server");
const jsonCodec = { parse: parseOvsJson, stringify: (value: Json) => toOvsJson(value) };

interface Listener {
  name: string;
  stream: PassiveStream;
}

interface ActiveRemote {
  name: string;
  fsm: Reconnect;
  session: ClientSession | undefined;
  timer: number | undefined;
  closed: boolean;
}

export class OvsdbServer implements ServerContext {
  readonly serverId = crypto.randomUUID();
  readonly #databases = new Map<string, Database>();
  readonly #serverDb = new Database(serverSchema());
  readonly #serverRows = new Map<string, string>();
  readonly #clients = new Set<ClientSession>();
  readonly #locks: LockManager<ClientSession>;
  /** Remotes as configured (the --remote values and add-remote), in order. */
  readonly #remotes: string[] = [];
  /** Concrete targets currently open, by name. */
  readonly #listeners = new Map<string, Listener>();
  readonly #actives = new Map<string, ActiveRemote>();
  #nextClient = 0;
  #closed = false;
  /** The active server to replicate from (--sync-from), and whether we are its backup now. */
  #activeServer: string | undefined;
  #replication: Replication | undefined;
  #excluded = new Set<string>();

  constructor() {
    this.#locks = new LockManager<ClientSession>((session, name, event) => {
      session.notify(event, [name]);
    });
    this.#databases.set("_Server", this.#serverDb);
  }

  // ---- databases ----

  database(name: string): Database | undefined {
    return this.#databases.get(name);
  }

  databaseNames(): string[] {
    return [...this.#databases.keys()].sort();
  }

  /** Serves `database`; returns an error text if a database of that name is already served. */
  async addDatabase(database: Database): Promise<string | undefined> {
    if (this.#databases.has(database.name)) return `${database.name}: duplicate database name`;
    this.#databases.set(database.name, database);
    database.onCommit(() => this.#refreshDbRemotes());
    const result = await this.#serverDb.execute([
      "_Server",
      {
        op: "insert",
        table: "Database",
        row: {
          name: database.name,
          model: "standalone",
          connected: true,
          leader: true,
          schema: toOvsJson(schemaToJson(database.schema)),
        },
      },
    ], { internal: true });
    const inserted = Array.isArray(result) ? result[0] : undefined;
    if (inserted && typeof inserted === "object" && !Array.isArray(inserted)) {
      const uuid = (inserted as { uuid?: Json }).uuid;
      if (Array.isArray(uuid) && typeof uuid[1] === "string") {
        this.#serverRows.set(database.name, uuid[1]);
      }
    }
    this.#refreshDbRemotes();
    return undefined;
  }

  /** Stops serving `name` (not `_Server`); clients' monitors of it are cancelled. */
  async removeDatabase(name: string): Promise<Database | undefined> {
    const database = name === "_Server" ? undefined : this.#databases.get(name);
    if (!database) return undefined;
    this.#databases.delete(name);
    for (const client of this.#clients) client.databaseRemoved(database);
    const uuid = this.#serverRows.get(name);
    this.#serverRows.delete(name);
    if (uuid) {
      await this.#serverDb.execute([
        "_Server",
        { op: "delete", table: "Database", where: [["_uuid", "==", ["uuid", uuid]]] },
      ], { internal: true });
    }
    return database;
  }

  /**
   * Converts database `name` to `schema` (the "convert" method): its file is rewritten with the
   * new schema and converted contents, the new database replaces the old, and every client
   * monitoring the old one is told (monitor_canceled) or, when it did not ask to be told,
   * disconnected so that it reconnects to the new one. Throws OvsdbError.
   */
  async convertDatabase(name: string, schema: DatabaseSchema): Promise<void> {
    const old = this.#databases.get(name);
    if (!old || name === "_Server") throw new OvsdbError("unknown database", name);
    if (schema.name !== name) {
      throw new OvsdbError(
        "invalid parameters",
        `new schema name (${schema.name}) does not match database name (${name})`,
      );
    }
    while (old.hasPending) await old.durable();
    const converted = convertDatabaseData(old, schema);
    converted.storage = old.storage;
    old.storage = undefined;
    await converted.compact("converted by ovsdb-server");
    this.#databases.set(name, converted);
    converted.onCommit(() => this.#refreshDbRemotes());
    for (const client of [...this.#clients]) client.databaseReplaced(old);
    const uuid = this.#serverRows.get(name);
    if (uuid) {
      await this.#serverDb.execute([
        "_Server",
        {
          op: "update",
          table: "Database",
          where: [["_uuid", "==", ["uuid", uuid]]],
          row: { schema: toOvsJson(schemaToJson(schema)) },
        },
      ], { internal: true });
    }
    old.close();
  }

  // ---- active-backup replication ----

  /** A backup serves reads only; its data comes from the active server. */
  get readOnly(): boolean {
    return this.#replication !== undefined;
  }

  get activeServer(): string | undefined {
    return this.#activeServer;
  }

  setActiveServer(remote: string): void {
    this.#activeServer = remote;
  }

  /** Becomes a backup of the active server (replication starts). */
  connectActive(): string | undefined {
    if (this.#activeServer === undefined) {
      return "Unable to connect: active server is not specified.";
    }
    this.#replication?.stop();
    this.#replication = new Replication(this, this.#activeServer, this.#excluded);
    this.#replication.start();
    return undefined;
  }

  /** Becomes active (replication stops; clients may write again). */
  disconnectActive(): void {
    this.#replication?.stop();
    this.#replication = undefined;
  }

  /** Sets the "DB:TABLE,…" tables not replicated; returns an error text for a bad list. */
  setExcludedTables(list: string): string | undefined {
    const entries = list.split(",").filter((e) => e !== "");
    for (const entry of entries) {
      const [db, table] = entry.split(":");
      if (!db || !table) return `${entry}: syntax error`;
    }
    this.#excluded = new Set(entries);
    if (this.#replication) this.connectActive();
    return undefined;
  }

  excludedTables(): string[] {
    return [...this.#excluded];
  }

  /** The text of ovsdb-server/sync-status. */
  syncStatus(): string {
    const replication = this.#replication;
    if (!replication) return "state: active\n";
    let text = "state: backup\n";
    if (!replication.connected) return text + `connecting: ${replication.remote}\n`;
    text += `replicating: ${replication.remote}\n`;
    for (const db of replication.databases) text += `database: ${db}\n`;
    if (this.#excluded.size > 0) text += `exclude: ${[...this.#excluded].join(",")}\n`;
    return text;
  }

  // ---- locks ----

  lock(session: ClientSession, name: string, steal: boolean): boolean {
    if (steal) {
      this.#locks.steal(session, name);
      return true;
    }
    return this.#locks.lock(session, name);
  }

  unlock(session: ClientSession, name: string): boolean {
    if (!this.#locks.has(session, name)) return false;
    this.#locks.unlock(session, name);
    return true;
  }

  ownsLock(session: ClientSession, name: string): boolean {
    return this.#locks.owns(session, name);
  }

  releaseLocks(session: ClientSession): void {
    this.#locks.releaseAll(session);
  }

  // ---- clients ----

  get clientCount(): number {
    return this.#clients.size;
  }

  get monitorCount(): number {
    let n = 0;
    for (const client of this.#clients) n += client.monitorCount;
    return n;
  }

  #serve(conn: Deno.Conn, name: string): ClientSession {
    const accepted = new AcceptedSession(conn, name, { connection: jsonCodec });
    const client = new ClientSession(accepted, this);
    this.#clients.add(client);
    accepted.onClose = () => {
      this.#clients.delete(client);
      client.close();
    };
    accepted.start();
    return client;
  }

  // ---- remotes ----

  /** The remotes as configured, sorted as `list-remotes` prints them. */
  listRemotes(): string[] {
    return [...this.#remotes].sort();
  }

  /** Adds a remote; returns an error text for a name upstream would refuse. */
  addRemote(name: string): string | undefined {
    if (!isPassiveTarget(name) && !isActiveTarget(name) && !name.startsWith("db:")) {
      return `"${name}": unknown remote type`;
    }
    if (!this.#remotes.includes(name)) this.#remotes.push(name);
    this.#reconcileRemotes();
    return undefined;
  }

  /** Removes a remote; false when it was not configured. */
  removeRemote(name: string): boolean {
    const index = this.#remotes.indexOf(name);
    if (index < 0) return false;
    this.#remotes.splice(index, 1);
    this.#reconcileRemotes();
    return true;
  }

  #refreshDbRemotes(): void {
    if (this.#remotes.some((r) => r.startsWith("db:"))) this.#reconcileRemotes();
  }

  /** The concrete targets named by a `db:DB,TABLE,COLUMN` remote right now. */
  #resolveDbRemote(remote: string): string[] {
    const [dbName, tableName, columnName] = remote.slice(3).split(",");
    const database = dbName === undefined ? undefined : this.#databases.get(dbName);
    const table = tableName === undefined ? undefined : database?.tables.get(tableName);
    const column = columnName === undefined ? undefined : table?.schema.columns.get(columnName);
    if (!database || !table || !column) return [];
    const targets: string[] = [];
    for (const row of table.iterate()) {
      const datum: Datum | undefined = row.fields[column.index];
      if (!datum) continue;
      const refTable = column.type.key.refTable;
      for (const atom of datum.keys) {
        if (column.type.key.type === "string") targets.push(String(atom));
        else if (refTable !== undefined) {
          // A reference to rows with a "target" column (Manager, Controller).
          const referenced = database.tables.get(refTable);
          const targetColumn = referenced?.schema.columns.get("target");
          const targetRow = referenced?.get(String(atom));
          const target = targetColumn ? targetRow?.fields[targetColumn.index]?.keys[0] : undefined;
          if (typeof target === "string") targets.push(target);
        }
      }
    }
    return targets;
  }

  #reconcileRemotes(): void {
    if (this.#closed) return;
    const wanted = new Set<string>();
    for (const remote of this.#remotes) {
      if (remote.startsWith("db:")) {
        for (const target of this.#resolveDbRemote(remote)) wanted.add(target);
      } else wanted.add(remote);
    }
    for (const [name, listener] of this.#listeners) {
      if (!wanted.has(name)) {
        listener.stream.close();
        this.#listeners.delete(name);
      }
    }
    for (const [name, active] of this.#actives) {
      if (!wanted.has(name)) this.#closeActive(active);
    }
    for (const name of wanted) {
      if (this.#listeners.has(name) || this.#actives.has(name)) continue;
      if (isPassiveTarget(name)) this.#listen(name);
      else if (isActiveTarget(name)) this.#connectActive(name);
    }
  }

  #listen(name: string): void {
    let stream: PassiveStream;
    try {
      stream = openPassiveStream(name, OVSDB_PORT);
    } catch (error) {
      log.err(`${name}: listen failed: ${errorText(error)}`);
      return;
    }
    this.#listeners.set(name, { name, stream });
    (async () => {
      for (;;) {
        let conn: Deno.Conn;
        try {
          conn = await stream.accept();
        } catch {
          return;
        }
        // "tcp:IP:PORT" or "ssl:IP:PORT" for inet peers.
        const peer = acceptedStreamName(conn) ?? `unix#${this.#nextClient++}`;
        this.#serve(conn, peer);
      }
    })();
  }

  #connectActive(name: string): void {
    const active: ActiveRemote = {
      name,
      fsm: new Reconnect(timeMsec()),
      session: undefined,
      timer: undefined,
      closed: false,
    };
    active.fsm.name = name;
    active.fsm.enable(timeMsec());
    this.#actives.set(name, active);
    this.#runActive(active);
  }

  #runActive(active: ActiveRemote): void {
    if (active.closed) return;
    if (active.fsm.run(timeMsec()) === "connect") {
      active.fsm.connecting(timeMsec());
      openStream(active.name, OVSDB_PORT).then((conn) => {
        if (active.closed) {
          conn.close();
          return;
        }
        active.fsm.connected(timeMsec());
        const client = this.#serve(conn, active.name);
        active.session = client;
        const previous = client.close.bind(client);
        client.close = () => {
          previous();
          if (active.closed) return;
          active.session = undefined;
          active.fsm.disconnected(timeMsec(), "eof");
          this.#scheduleActive(active);
        };
      }, (error) => {
        if (active.closed) return;
        active.fsm.connectFailed(timeMsec(), errorText(error));
        this.#scheduleActive(active);
      });
      return;
    }
    this.#scheduleActive(active);
  }

  #scheduleActive(active: ActiveRemote): void {
    if (active.timer !== undefined) cancelTimer(active.timer);
    const timeout = active.fsm.timeout(timeMsec());
    active.timer = timeout === undefined
      ? undefined
      : setTimer(timeout, () => this.#runActive(active));
  }

  #closeActive(active: ActiveRemote): void {
    active.closed = true;
    if (active.timer !== undefined) cancelTimer(active.timer);
    active.session?.close();
    this.#actives.delete(active.name);
  }

  /** Disconnects every client (ovsdb-server/reconnect); they reconnect by themselves. */
  reconnectClients(): void {
    for (const client of [...this.#clients]) client.close();
  }

  /** Stops listening, drops every client and closes every database. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#replication?.stop();
    for (const listener of this.#listeners.values()) listener.stream.close();
    this.#listeners.clear();
    for (const active of [...this.#actives.values()]) this.#closeActive(active);
    for (const client of [...this.#clients]) client.close();
    this.#clients.clear();
    for (const database of this.#databases.values()) database.close();
  }
}
