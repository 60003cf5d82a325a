// ovsdb-client's `monitor`, `monitor-cond` and `monitor-cond-since`: asks the server for a
// monitor (version 1, 2 or 3) of the named tables and columns (or ALL), optionally with a
// condition, then prints the initial contents and every update as upstream does — one table per
// update with "row" and "action" columns. Version 1 shows a modified row as an "old" line with
// the changed columns and a "new" line with all of them; versions 2 and 3 show one line per row
// (initial, insert, delete, or modify with the changed columns). Runs until the connection closes
// or the process is killed. Owns only these commands.

import type { Json, JsonObject } from "./json.ts";
import { isObject } from "./json.ts";
import { hashOrder } from "./hash_order.ts";
import type { ColumnSchema, TableSchema } from "./schema.ts";
import { schemaFromJson } from "./schema.ts";
import { conditionFromJson } from "./condition.ts";
import { parseOvsJson } from "./json.ts";
import { type Cell, TablePrinter } from "./table_format.ts";
import { type ClientContext, ClientError, openSession } from "./client.ts";

interface Monitored {
  table: TableSchema;
  columns: ColumnSchema[];
}

/** One "COLUMN,COLUMN,!insert,..." argument: the request and the columns it adds. */
function parseColumns(
  arg: string,
  server: string,
  database: string,
  table: TableSchema,
  columns: ColumnSchema[],
): JsonObject {
  const select = { initial: true, insert: true, delete: true, modify: true };
  const names: string[] = [];
  const add = (column: ColumnSchema) => {
    if (columns.some((c) => c.name === column.name)) {
      throw new ClientError(`${server}: column "${column.name}" mentioned multiple times`);
    }
    columns.push(column);
    names.push(column.name);
  };
  for (const token of arg.split(",").filter((t) => t !== "")) {
    const flag = /^!(initial|insert|delete|modify)$/.exec(token)?.[1];
    if (flag) {
      select[flag as keyof typeof select] = false;
      continue;
    }
    const column = table.columns.get(token);
    if (!column) {
      throw new ClientError(
        `${server}: table "${table.name}" in ${database} does not have a column named "${token}"`,
      );
    }
    add(column);
  }
  if (names.length === 0) {
    // Every column by name, then _version, as Open vSwitch 3.1's client asks for them.
    for (const column of [...table.columns.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (column.name !== "_uuid" && column.name !== "_version") add(column);
    }
    const version = table.columns.get("_version");
    if (version) add(version);
  }
  const request: JsonObject = { columns: names };
  if (!select.initial || !select.insert || !select.delete || !select.modify) {
    request.select = select;
  }
  return request;
}

function rowCells(
  row: Json | undefined,
  uuid: string,
  action: string,
  columns: ColumnSchema[],
): Cell[] {
  const cells: Cell[] = [{ text: uuid }, { text: action }];
  for (const column of columns) {
    const value = isObject(row) ? row[column.name] : undefined;
    cells.push(value === undefined ? { text: "" } : { json: value, type: column.type });
  }
  return cells;
}

/** Prints a <table-updates2> (versions 2 and 3). */
function printUpdates2(
  context: ClientContext,
  printer: TablePrinter,
  updates: Json,
  monitored: Monitored[],
): void {
  if (!isObject(updates)) return;
  for (const { table, columns } of monitored) {
    const tableUpdate = updates[table.name];
    if (!isObject(tableUpdate)) continue;
    const rows: Cell[][] = [];
    for (const uuid of hashOrder(Object.keys(tableUpdate))) {
      const update = tableUpdate[uuid];
      if (!isObject(update)) continue;
      for (const op of ["delete", "initial", "modify", "insert"]) {
        if (!(op in update)) continue;
        rows.push(
          op === "delete"
            ? [{ text: uuid }, { text: op }, ...columns.map((): Cell => ({ text: "" }))]
            : rowCells(update[op], uuid, op, columns),
        );
        break;
      }
    }
    context.write(printer.format({
      ...(monitored.length > 1 ? { caption: table.name } : {}),
      headings: ["row", "action", ...columns.map((c) => c.name)],
      rows,
      timestamp: context.timestamp,
    }));
  }
}

function printUpdates(
  context: ClientContext,
  printer: TablePrinter,
  updates: Json,
  monitored: Monitored[],
  initial: boolean,
): void {
  if (!isObject(updates)) return;
  for (const { table, columns } of monitored) {
    const tableUpdate = updates[table.name];
    if (!isObject(tableUpdate)) continue;
    const rows: Cell[][] = [];
    for (const uuid of hashOrder(Object.keys(tableUpdate))) {
      const update = tableUpdate[uuid];
      if (!isObject(update)) continue;
      const oldRow = update["old"];
      const newRow = update["new"];
      if (initial) rows.push(rowCells(newRow, uuid, "initial", columns));
      else if (oldRow === undefined) rows.push(rowCells(newRow, uuid, "insert", columns));
      else if (newRow === undefined) rows.push(rowCells(oldRow, uuid, "delete", columns));
      else {
        rows.push(rowCells(oldRow, uuid, "old", columns));
        rows.push(rowCells(newRow, "", "new", columns));
      }
    }
    context.write(printer.format({
      ...(monitored.length > 1 ? { caption: table.name } : {}),
      headings: ["row", "action", ...columns.map((c) => c.name)],
      rows,
      timestamp: context.timestamp,
    }));
  }
}

export type MonitorVersion = 1 | 2 | 3;

const METHODS = { 1: "monitor", 2: "monitor_cond", 3: "monitor_cond_since" } as const;
const NAMES = { 1: "monitor", 2: "monitor-cond", 3: "monitor-cond-since" } as const;

export async function monitorCommand(
  args: string[],
  context: ClientContext,
  version: MonitorVersion = 1,
): Promise<void> {
  const minArgs = version === 1 ? 1 : 2;
  const [session, used] = await openSession("database", minArgs, args, undefined);
  let rest = args.slice(used);
  let lastId = "00000000-0000-0000-0000-000000000000";
  if (
    version === 3 &&
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(rest[0] ?? "")
  ) {
    lastId = rest[0] as string;
    rest = rest.slice(1);
  }
  let condition: Json | undefined;
  if (version > 1) {
    const text = rest[0] ?? "";
    try {
      condition = parseOvsJson(text);
    } catch (error) {
      session.rpc.close();
      throw new ClientError(`"${text}": ${error instanceof Error ? error.message : error}`);
    }
    rest = rest.slice(1);
  }
  const tableName = rest[0];
  if (tableName === undefined) {
    session.rpc.close();
    throw new ClientError(`invalid syntax for '${NAMES[version]}' (use --help for help)`);
  }
  try {
    const schema = schemaFromJson(await session.rpc.call("get_schema", [session.database]));
    const requests: JsonObject = {};
    const monitored: Monitored[] = [];
    if (tableName === "ALL" && condition !== undefined) {
      throw new ClientError("ALL tables are not allowed with condition");
    }
    const tables = tableName === "ALL"
      ? [...schema.tables.values()].sort((a, b) => (a.name < b.name ? -1 : 1))
      : [schema.tables.get(tableName)];
    for (const table of tables) {
      if (!table) {
        throw new ClientError(
          version === 1
            ? `${session.server}: ${session.database} does not have a table named "${tableName}"`
            : `${session.database} does not have a table named "${tableName}"`,
        );
      }
      if (condition !== undefined) conditionFromJson(table, condition);
      const columns: ColumnSchema[] = [];
      const args = rest.length > 1 ? rest.slice(1) : [""];
      requests[table.name] = args.map((arg, i) => {
        const request = parseColumns(arg, session.server, session.database, table, columns);
        if (i === 0 && condition !== undefined) request.where = condition;
        return request;
      });
      monitored.push({ table, columns });
    }
    const printer = new TablePrinter(context.style);
    session.rpc.onMessage = (message) => {
      if (message.type !== "notify" || message.params[0] !== null) return;
      if (message.method === "update" && version === 1) {
        printUpdates(context, printer, message.params[1] ?? null, monitored, false);
      } else if (message.method === "update2" && version === 2) {
        printUpdates2(context, printer, message.params[1] ?? null, monitored);
      } else if (message.method === "update3" && version === 3) {
        context.write(`\nlast_id: ${message.params[1]}`);
        printUpdates2(context, printer, message.params[2] ?? null, monitored);
      }
    };
    const closed = new Promise<void>((resolve) => (session.rpc.onClose = () => resolve()));
    const params: Json[] = [session.database, null, requests];
    if (version === 3) params.push(lastId);
    const result = await session.rpc.call(METHODS[version], params);
    if (version === 1) printUpdates(context, printer, result, monitored, true);
    else if (version === 2) printUpdates2(context, printer, result, monitored);
    else if (Array.isArray(result)) {
      context.write(`found: ${result[0] === true ? "true" : "false"}, last_id: ${result[1]}\n`);
      printUpdates2(context, printer, result[2] ?? null, monitored);
    }
    await closed;
  } catch (error) {
    if (error instanceof ClientError) throw error;
    throw new ClientError(error instanceof Error ? String(error) : String(error));
  } finally {
    session.rpc.close();
  }
}
