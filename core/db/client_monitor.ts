// ovsdb-client's `monitor`: asks the server for a version-1 monitor of the named tables and
// columns (or ALL), then prints the initial contents and every update as upstream does — one table
// per update with "row" and "action" columns, a modified row as an "old" line with only the
// changed columns and a "new" line with all of them. Runs until the connection closes or the
// process is killed. Owns only this command.

import type { Json, JsonObject } from "./json.ts";
import { isObject } from "./json.ts";
import { hashOrder } from "./hash_order.ts";
import type { ColumnSchema, TableSchema } from "./schema.ts";
import { schemaFromJson } from "./schema.ts";
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
    for (const column of [...table.columns.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (column.name !== "_uuid" && column.name !== "_version") add(column);
    }
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

export async function monitorCommand(args: string[], context: ClientContext): Promise<void> {
  const [session, used] = await openSession("database", 1, args, undefined);
  const rest = args.slice(used);
  const tableName = rest[0];
  if (tableName === undefined) {
    session.rpc.close();
    throw new ClientError("invalid syntax for 'monitor' (use --help for help)");
  }
  try {
    const schema = schemaFromJson(await session.rpc.call("get_schema", [session.database]));
    const requests: JsonObject = {};
    const monitored: Monitored[] = [];
    const tables = tableName === "ALL"
      ? [...schema.tables.values()].sort((a, b) => (a.name < b.name ? -1 : 1))
      : [schema.tables.get(tableName)];
    for (const table of tables) {
      if (!table) {
        throw new ClientError(
          `${session.server}: ${session.database} does not have a table named "${tableName}"`,
        );
      }
      const columns: ColumnSchema[] = [];
      const args = rest.length > 1 ? rest.slice(1) : [""];
      requests[table.name] = args.map((arg) =>
        parseColumns(arg, session.server, session.database, table, columns)
      );
      monitored.push({ table, columns });
    }
    const printer = new TablePrinter(context.style);
    session.rpc.onMessage = (message) => {
      if (message.type === "notify" && message.method === "update") {
        printUpdates(context, printer, message.params[1] ?? null, monitored, false);
      }
    };
    const closed = new Promise<void>((resolve) => (session.rpc.onClose = () => resolve()));
    const initial = await session.rpc.call("monitor", [session.database, null, requests]);
    printUpdates(context, printer, initial, monitored, true);
    await closed;
  } catch (error) {
    if (error instanceof ClientError) throw error;
    throw new ClientError(error instanceof Error ? error.message : String(error));
  } finally {
    session.rpc.close();
  }
}
