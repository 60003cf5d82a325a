// The commands of ovsdb-client (upstream's ovsdb/ovsdb-client.c): one request/reply exchange or
// one monitor against a server, printed as upstream prints it. Owns the command table, the
// rule that tells a server argument from a database name, and the printing of schemas, dumps
// and monitor updates through table_format.ts. Errors are thrown as ClientError with upstream's
// text; the face prints them. Must not read the command line's options (the face does).

import { JsonRpcConnection } from "../net/jsonrpc_connection.ts";
import { errorText, openStream, OVSDB_PORT } from "../net/stream.ts";
import { ovsRundir } from "../net/dirs.ts";
import type { Json, JsonObject } from "./json.ts";
import { isObject, parseOvsJson, toOvsJson } from "./json.ts";
import { compareDatums, type Datum, datumToJson, transientDatumFromJson } from "./datum.ts";
import { type DatabaseSchema, schemaFromJson, schemaToJson, type TableSchema } from "./schema.ts";
import { Database } from "./database.ts";
import { isDefaultDatum } from "./datum.ts";
import { typeToJson } from "./types.ts";
import { encodeRecord } from "./log.ts";
import { type Cell, type Table, TablePrinter, type TableStyle } from "./table_format.ts";

export class ClientError extends Error {}

export interface ClientContext {
  style: TableStyle;
  /** --force: restore over a differing schema. */
  force?: boolean;
  timestamp: boolean;
  /** Where output goes (stdout in the face). */
  write: (text: string) => void;
}

type Need = "none" | "rpc" | "database";

interface Command {
  need: Need;
  minArgs: number;
  maxArgs: number;
  run: (session: Session, args: string[], context: ClientContext) => Promise<void>;
}

/** A connected server and the database the command works on. */
export interface Session {
  rpc: JsonRpcConnection;
  server: string;
  database: string;
}

const jsonCodec = { parse: parseOvsJson, stringify: (value: Json) => toOvsJson(value) };

export function defaultRemote(): string {
  return `unix:${ovsRundir()}/db.sock`;
}

/** Opens a JSON-RPC connection to `server`, failing with upstream's message. */
export async function connect(server: string): Promise<JsonRpcConnection> {
  let conn: Deno.Conn;
  try {
    conn = await openStream(server, OVSDB_PORT);
  } catch (error) {
    throw new ClientError(`failed to connect to "${server}" (${errorText(error)})`);
  }
  const rpc = new JsonRpcConnection(conn, { name: server, ...jsonCodec });
  rpc.start();
  return rpc;
}

async function call(rpc: JsonRpcConnection, method: string, params: Json[]): Promise<Json> {
  try {
    return await rpc.call(method, params);
  } catch (error) {
    const detail = error instanceof Error && "error" in error
      ? toOvsJson((error as { error: Json }).error, { sort: true })
      : errorText(error);
    if (error instanceof Error && "error" in error) {
      throw new ClientError(`transaction returned error: ${detail}`);
    }
    throw new ClientError(`transaction failed (${detail})`);
  }
}

async function fetchSchema(session: Session): Promise<DatabaseSchema> {
  return schemaFromJson(await call(session.rpc, "get_schema", [session.database]));
}

async function listDbs(rpc: JsonRpcConnection): Promise<string[]> {
  const result = await call(rpc, "list_dbs", []);
  if (!Array.isArray(result)) throw new ClientError("list_dbs response is not array");
  return result.map(String);
}

/** Whether `arg` looks like a server: a letter first, and a colon somewhere (upstream's test). */
function looksLikeServer(arg: string | undefined): arg is string {
  return arg !== undefined && /^[A-Za-z]/.test(arg) && arg.includes(":");
}

/** Connects as upstream's open_rpc does; returns the session and how many arguments it used. */
export async function openSession(
  need: Need,
  minArgs: number,
  args: string[],
  database: string | undefined,
): Promise<[Session, number]> {
  let used = 0;
  let server = defaultRemote();
  if (args.length > minArgs && looksLikeServer(args[0])) {
    server = args[0];
    used = 1;
  }
  const rpc = await connect(server);
  let db = database ?? "";
  if (need === "database" && database === undefined) {
    const dbs = await listDbs(rpc);
    const candidate = args[used];
    if (args.length - used > minArgs && candidate !== undefined && dbs.includes(candidate)) {
      db = candidate;
      used++;
    } else if (dbs.includes("Open_vSwitch")) {
      db = "Open_vSwitch";
    } else {
      const mine = dbs.filter((name) => !name.startsWith("_"));
      if (mine.length !== 1) {
        rpc.close();
        throw new ClientError("could not find a default database, please specify a database name");
      }
      db = mine[0] as string;
    }
  }
  return [{ rpc, server, database: db }, used];
}

function printJson(context: ClientContext, json: Json): void {
  context.write(toOvsJson(json, { sort: true, pretty: context.style.pretty }) + "\n");
}

function printTable(context: ClientContext, printer: TablePrinter, table: Table): void {
  context.write(printer.format({ ...table, timestamp: context.timestamp }));
}

function parseJsonArgument(text: string): Json {
  let json: Json;
  try {
    json = parseOvsJson(text);
  } catch (error) {
    throw new ClientError(`"${text}": ${error instanceof Error ? error.message : error}`);
  }
  return json;
}

async function transact(args: string[], query: boolean, context: ClientContext): Promise<void> {
  const transaction = parseJsonArgument(args[args.length - 1] ?? "");
  if (!Array.isArray(transaction) || typeof transaction[0] !== "string") {
    throw new ClientError("not a valid OVSDB query");
  }
  const abortAt = transaction.length - 1;
  if (query) transaction.push({ op: "abort" });
  const [session] = await openSession("database", 1, args, transaction[0]);
  try {
    const result = await call(session.rpc, "transact", transaction);
    if (query && Array.isArray(result) && result.length === abortAt + 1) {
      const last = result[abortAt];
      if (isObject(last) && last["error"] === "aborted") result.pop();
    }
    printJson(context, result);
  } finally {
    session.rpc.close();
  }
}

function dumpTable(
  printer: TablePrinter,
  context: ClientContext,
  table: TableSchema,
  columnNames: string[],
  rows: Json[],
): void {
  const columns = columnNames
    .filter((name) => name !== "_version")
    .map((name) => table.columns.get(name))
    .filter((c) => c !== undefined)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const data: Datum[][] = rows.map((row, y) => {
    if (!isObject(row)) {
      throw new ClientError(`row ${y} in table ${table.name} response is not a JSON object`);
    }
    return columns.map((column) => {
      const json = row[column.name];
      if (json === undefined) {
        throw new ClientError(
          `row ${y} in table ${table.name} response lacks ${column.name} column`,
        );
      }
      return transientDatumFromJson(json, column.type);
    });
  });
  // Rows in a reproducible order: by value, UUID columns only breaking ties.
  const positions = (uuid: boolean) =>
    columns.flatMap((c, x) => ((c.type.key.type === "uuid") === uuid ? [x] : []));
  const keys = [...positions(false), ...positions(true)];
  data.sort((a, b) => {
    for (const x of keys) {
      const cmp = compareDatums(a[x] as Datum, b[x] as Datum);
      if (cmp) return cmp;
    }
    return 0;
  });
  printTable(context, printer, {
    caption: `${table.name} table`,
    headings: columns.map((c) => c.name),
    rows: data.map((row) =>
      row.map((datum, x): Cell => {
        const type = columns[x]!.type;
        return { json: datumToJson(datum, type), type };
      })
    ),
  });
}

async function dump(session: Session, args: string[], context: ClientContext): Promise<void> {
  const schema = await fetchSchema(session);
  let tables: TableSchema[];
  let custom: string[] | undefined;
  if (args.length > 0) {
    const table = schema.tables.get(args[0] as string);
    if (!table) throw new ClientError(`No table "${args[0]}" found.`);
    for (const name of args.slice(1)) {
      if (!table.columns.has(name)) {
        throw new ClientError(`Table "${args[0]}" has no column ${name}.`);
      }
    }
    tables = [table];
    if (args.length > 1) custom = args.slice(1);
  } else {
    tables = [...schema.tables.values()].sort((
      a,
      b,
    ) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
  const columnsOf = (table: TableSchema) =>
    custom ?? [...table.columns.keys()].filter((name) => name !== "_version");
  const result = await call(session.rpc, "transact", [
    session.database,
    ...tables.map((table): Json => ({
      op: "select",
      table: table.name,
      where: [],
      columns: columnsOf(table),
    })),
  ]);
  if (!Array.isArray(result) || result.length !== tables.length) {
    throw new ClientError(`reply is not array of ${tables.length} elements: ${toOvsJson(result)}`);
  }
  const printer = new TablePrinter(context.style);
  tables.forEach((table, i) => {
    const outcome = result[i];
    const rows = isObject(outcome) ? outcome["rows"] : undefined;
    if (!Array.isArray(rows)) {
      throw new ClientError(
        `${table.name} table reply is not an object with a "rows" member array: ${
          toOvsJson(outcome ?? null)
        }`,
      );
    }
    dumpTable(printer, context, table, columnsOf(table), rows);
  });
}

async function backup(session: Session, context: ClientContext): Promise<void> {
  const schemaJson = await call(session.rpc, "get_schema", [session.database]);
  const schema = schemaFromJson(schemaJson);
  const tables = [...schema.tables.values()];
  const result = await call(session.rpc, "transact", [
    session.database,
    ...tables.map((table): Json => ({ op: "select", table: table.name, where: [] })),
  ]);
  if (!Array.isArray(result)) throw new ClientError("reply is not an array");
  const snapshot: JsonObject = {};
  tables.forEach((table, i) => {
    const rows = isObject(result[i]) ? (result[i] as JsonObject)["rows"] : undefined;
    if (!Array.isArray(rows) || rows.length === 0) return;
    const out: JsonObject = {};
    for (const row of rows) {
      if (!isObject(row)) continue;
      const uuid = row["_uuid"];
      const copy: JsonObject = { ...row };
      delete copy["_uuid"];
      delete copy["_version"];
      if (Array.isArray(uuid) && typeof uuid[1] === "string") out[uuid[1]] = copy;
    }
    snapshot[table.name] = out;
  });
  const decoder = new TextDecoder();
  context.write(decoder.decode(encodeRecord(schemaJson)));
  context.write(decoder.decode(encodeRecord(snapshot)));
}

async function lock(
  session: Session,
  method: string,
  name: string,
  context: ClientContext,
): Promise<void> {
  const result = await call(session.rpc, method, [name]);
  printJson(context, result);
  if (method === "unlock") return;
  // Like upstream, stay and report what happens to the lock until killed.
  session.rpc.onMessage = (message) => {
    if (message.type === "notify" && (message.method === "locked" || message.method === "stolen")) {
      printJson(context, { [message.method]: message.params[0] ?? null });
    }
  };
  await new Promise<void>((resolve) => (session.rpc.onClose = () => resolve()));
}

/** restore: replaces the database's contents with a backup file's, as one transaction. */
async function restore(session: Session, force: boolean): Promise<void> {
  if (Deno.stdin.isTerminal()) {
    throw new ClientError("not reading backup from a terminal; please redirect stdin from a file");
  }
  const bytes = new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer());
  const path = await Deno.makeTempFile({ prefix: "ovsdb-restore-" });
  let backup: Database;
  try {
    await Deno.writeFile(path, bytes);
    backup = await Database.open(path, { readOnly: true, onWarning: () => {} });
  } catch (error) {
    throw new ClientError(error instanceof Error ? error.toString() : String(error));
  } finally {
    await Deno.remove(path).catch(() => {});
  }
  try {
    const online = await fetchSchema(session);
    const same = toOvsJson(schemaToJson(backup.schema), { sort: true }) ===
      toOvsJson(schemaToJson(online), { sort: true });
    if (!same) {
      const why = backup.schema.version !== online.version
        ? `backup schema has version "${backup.schema.version}" but database schema has version "${online.version}"`
        : `backup schema and database schema are both version ${online.version} but still differ`;
      if (!force) {
        throw new ClientError(
          `${why} (use --force to override differences, or "ovsdb-client convert" to change the schema)`,
        );
      }
    }
    const rowName = (uuid: string) => `row${uuid.replaceAll("-", "_")}`;
    const named = (json: Json): Json => {
      if (Array.isArray(json)) {
        if (json.length === 2 && json[0] === "uuid" && typeof json[1] === "string") {
          return ["named-uuid", rowName(json[1])];
        }
        return json.map(named);
      }
      return json;
    };
    const ops: Json[] = [backup.schema.name];
    for (const [name, table] of backup.tables) {
      ops.push({ op: "delete", table: name, where: [] });
      for (const row of table.iterate()) {
        const out: JsonObject = {};
        for (const column of table.schema.columns.values()) {
          if (column.index < 2 || !column.persistent) continue;
          const datum = row.fields[column.index] as Datum;
          if (isDefaultDatum(datum, column.type)) continue;
          out[column.name] = named(datumToJson(datum, column.type));
        }
        ops.push({ op: "insert", table: name, "uuid-name": rowName(row.uuid), row: out });
      }
    }
    const result = await call(session.rpc, "transact", ops);
    if (Array.isArray(result)) {
      for (const outcome of result) {
        if (isObject(outcome) && outcome["error"] !== undefined) {
          throw new ClientError(
            `transaction returned error: ${toOvsJson(outcome, { sort: true })}`,
          );
        }
      }
    }
  } finally {
    backup.close();
  }
}

/** needs-conversion: whether the server's copy of SCHEMA's database has another schema. */
async function needsConversion(args: string[], context: ClientContext): Promise<void> {
  const file = args[args.length - 1] ?? "";
  let schema: DatabaseSchema;
  try {
    schema = schemaFromJson(parseOvsJson(await Deno.readTextFile(file)));
  } catch (error) {
    throw new ClientError(error instanceof Error ? error.toString() : String(error));
  }
  const [session] = await openSession("database", 1, args, schema.name);
  try {
    const online = await fetchSchema(session);
    const same = toOvsJson(schemaToJson(schema), { sort: true }) ===
      toOvsJson(schemaToJson(online), { sort: true });
    context.write(same ? "no\n" : "yes\n");
  } finally {
    session.rpc.close();
  }
}

/** convert: asks the server to convert SCHEMA's database to SCHEMA. */
async function convert(args: string[], _context: ClientContext): Promise<void> {
  const file = args[args.length - 1] ?? "";
  let schemaJson: Json;
  let schema: DatabaseSchema;
  try {
    schemaJson = parseOvsJson(await Deno.readTextFile(file));
    schema = schemaFromJson(schemaJson);
  } catch (error) {
    throw new ClientError(error instanceof Error ? error.toString() : String(error));
  }
  const [session] = await openSession("database", 1, args, schema.name);
  try {
    await call(session.rpc, "convert", [schema.name, schemaJson]);
  } finally {
    session.rpc.close();
  }
}

/** wait: returns once DATABASE on the server is "added", "connected" or "removed". */
async function waitFor(session: Session, args: string[]): Promise<void> {
  const [database = "", state = ""] = args;
  if (!["added", "connected", "removed"].includes(state)) {
    throw new ClientError(`${state}: unknown state (use "added", "connected", or "removed")`);
  }
  for (;;) {
    const result = await call(session.rpc, "transact", [
      "_Server",
      {
        op: "select",
        table: "Database",
        where: [["name", "==", database]],
        columns: ["connected"],
      },
    ]);
    const rows = Array.isArray(result) && isObject(result[0]) ? result[0]["rows"] : undefined;
    const row = Array.isArray(rows) ? rows[0] : undefined;
    if (
      state === "removed"
        ? row === undefined
        : state === "added"
        ? row !== undefined
        : isObject(row) && row["connected"] === true
    ) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export const COMMANDS: Record<string, Command> = {
  restore: {
    need: "database",
    minArgs: 0,
    maxArgs: 0,
    run: (session, _args, context) => restore(session, context.force ?? false),
  },
  wait: { need: "rpc", minArgs: 2, maxArgs: 2, run: (session, args) => waitFor(session, args) },
  "list-dbs": {
    need: "rpc",
    minArgs: 0,
    maxArgs: 0,
    run: async (session, _args, context) => {
      for (const name of await listDbs(session.rpc)) context.write(`${name}\n`);
    },
  },
  "get-schema": {
    need: "database",
    minArgs: 0,
    maxArgs: 0,
    run: async (session, _args, context) =>
      printJson(context, await call(session.rpc, "get_schema", [session.database])),
  },
  "get-schema-version": {
    need: "database",
    minArgs: 0,
    maxArgs: 0,
    run: async (session, _args, context) =>
      context.write(`${(await fetchSchema(session)).version}\n`),
  },
  "get-schema-cksum": {
    need: "database",
    minArgs: 0,
    maxArgs: 0,
    run: async (session, _args, context) =>
      context.write(`${(await fetchSchema(session)).cksum}\n`),
  },
  "list-tables": {
    need: "database",
    minArgs: 0,
    maxArgs: 0,
    run: async (session, _args, context) => {
      const schema = await fetchSchema(session);
      const printer = new TablePrinter(context.style);
      printTable(context, printer, {
        headings: ["Table"],
        rows: [...schema.tables.keys()].map((name) => [{ text: name }]),
      });
    },
  },
  "list-columns": {
    need: "database",
    minArgs: 0,
    maxArgs: 1,
    run: async (session, args, context) => {
      const schema = await fetchSchema(session);
      const only = args[0];
      const rows: Cell[][] = [];
      for (const table of schema.tables.values()) {
        if (only !== undefined && table.name !== only) continue;
        for (const column of table.columns.values()) {
          const cells: Cell[] = [{ text: column.name }, { json: typeToJson(column.type) }];
          rows.push(only === undefined ? [{ text: table.name }, ...cells] : cells);
        }
      }
      const headings = only === undefined ? ["Table", "Column", "Type"] : ["Column", "Type"];
      printTable(context, new TablePrinter(context.style), { headings, rows });
    },
  },
  dump: { need: "database", minArgs: 0, maxArgs: Number.POSITIVE_INFINITY, run: dump },
  backup: {
    need: "database",
    minArgs: 0,
    maxArgs: 0,
    run: (session, _args, context) => backup(session, context),
  },
  lock: {
    need: "rpc",
    minArgs: 1,
    maxArgs: 1,
    run: (s, args, c) => lock(s, "lock", args[0] ?? "", c),
  },
  steal: {
    need: "rpc",
    minArgs: 1,
    maxArgs: 1,
    run: (s, args, c) => lock(s, "steal", args[0] ?? "", c),
  },
  unlock: {
    need: "rpc",
    minArgs: 1,
    maxArgs: 1,
    run: (s, args, c) => lock(s, "unlock", args[0] ?? "", c),
  },
};

/** transact and query manage their own connection (the database comes from the transaction). */
export const SELF_CONNECTING: Record<
  string,
  (args: string[], context: ClientContext) => Promise<void>
> = {
  convert,
  "needs-conversion": needsConversion,
  transact: (args, context) => transact(args, false, context),
  query: (args, context) => transact(args, true, context),
};
