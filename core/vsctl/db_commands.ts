// ovs-vsctl's generic database commands (upstream's lib/db-ctl-base.c): get, set, add, remove,
// clear, list, find, create and destroy on any table, with upstream's record naming, column
// prefixes, COLUMN:KEY syntax, `@name` symbols and value syntax (core/db/data_string.ts).
// Changes are staged in the context's transaction; list and find print through table_format.

import {
  type Atom,
  cloneDatum,
  compareDatums,
  type Datum,
  datumExcludesAll,
  datumIncludesAll,
  datumToJson,
  findKey,
  SymbolTable,
} from "../db/datum.ts";
import {
  atomFromString,
  atomToString,
  datumFromString,
  datumToString,
  parseToken,
} from "../db/data_string.ts";
import type { ColumnSchema, TableSchema } from "../db/schema.ts";
import { type Cell, TablePrinter, type TableStyle } from "../db/table_format.ts";
import type { CommandSpec } from "./bridge_commands.ts";
import {
  type Context,
  findColumn,
  findTable,
  getRow,
  read,
  rowsOf,
  VsctlError,
} from "./context.ts";

type Row = { uuid: string; table: TableSchema };

/** The table style chosen by the global options; set by the face before commands run. */
export const listStyle: { style: TableStyle } = {
  style: { format: "list", cellFormat: "string", headings: true, pretty: false },
};

function symbolTable(ctx: Context): SymbolTable {
  const symtab = new SymbolTable();
  for (const [name, uuid] of ctx.symbols) {
    symtab.symbols.set(name, { uuid, created: true, strongRef: false, weakRef: false });
  }
  return symtab;
}

function parseValue(ctx: Context, text: string, column: ColumnSchema): Datum {
  try {
    return datumFromString(text, column.type, symbolTable(ctx));
  } catch (error) {
    throw new VsctlError(error instanceof Error ? error.message : String(error));
  }
}

function parseAtom(ctx: Context, text: string, column: ColumnSchema, which: "key" | "value"): Atom {
  const base = which === "key" ? column.type.key : column.type.value;
  if (!base) throw new VsctlError(`cannot specify key to get for non-map column ${column.name}`);
  try {
    return atomFromString(text, base, symbolTable(ctx));
  } catch (error) {
    throw new VsctlError(error instanceof Error ? error.message : String(error));
  }
}

/** Splits "COLUMN[:KEY][=VALUE]" as upstream's parse_column_key_value. */
function splitColumnKeyValue(
  arg: string,
): { column: string; key?: string; op?: string; value?: string } {
  const [column, afterColumn] = parseToken(arg);
  let rest = afterColumn;
  let key: string | undefined;
  if (rest.startsWith(":")) {
    const [token, afterKey] = parseToken(rest.slice(1));
    key = token;
    rest = afterKey;
  }
  const op = /^(\{not-in\}|\{in\}|\{!=\}|\{<=\}|\{>=\}|\{=\}|\{<\}|\{>\}|!=|<=|>=|=|<|>)/.exec(rest)
    ?.[1];
  if (op === undefined) return key === undefined ? { column } : { column, key };
  const value = rest.slice(op.length);
  return key === undefined ? { column, op, value } : { column, key, op, value };
}

/** `COLUMN[:KEY]=VALUE` applied to `row` (used by set, create and add-port). */
export function setColumn(ctx: Context, row: Row, arg: string): void {
  const parsed = splitColumnKeyValue(arg);
  if (parsed.op !== "=" || parsed.value === undefined) {
    throw new VsctlError(`${arg}: missing value`);
  }
  const column = findColumn(row.table, parsed.column);
  if (!column.mutable && !ctx.txn.isInserted(row.uuid)) {
    throw new VsctlError(
      `cannot modify read-only column ${column.name} in table ${row.table.name}`,
    );
  }
  if (parsed.key !== undefined) {
    if (!column.type.value) {
      throw new VsctlError(`cannot specify key to set for non-map column ${column.name}`);
    }
    const key = parseAtom(ctx, parsed.key, column, "key");
    const value = parseAtom(ctx, parsed.value, column, "value");
    const datum = cloneDatum(read(ctx, row, column.name));
    const at = findKey(datum, key);
    if (at >= 0) datum.values![at] = value;
    else {
      datum.keys.push(key);
      datum.values!.push(value);
      sortMap(datum);
    }
    ctx.txn.verify(row.table.name, row.uuid, column.name);
    ctx.txn.write(row.table.name, row.uuid, column.name, datum);
  } else {
    ctx.txn.write(row.table.name, row.uuid, column.name, parseValue(ctx, parsed.value, column));
  }
}

function sortMap(datum: Datum): void {
  const order = datum.keys.map((_, i) => i).sort((a, b) => {
    const x = datum.keys[a] as Atom;
    const y = datum.keys[b] as Atom;
    return x < y ? -1 : x > y ? 1 : 0;
  });
  datum.keys = order.map((i) => datum.keys[i] as Atom);
  if (datum.values) datum.values = order.map((i) => datum.values![i] as Atom);
}

function recordArg(ctx: Context, mustExist = true): Row | undefined {
  const table = findTable(ctx, ctx.args[0] ?? "");
  return getRow(ctx, table, ctx.args[1] ?? "", mustExist && !ctx.options.has("--if-exists"));
}

function get(ctx: Context): void {
  const row = recordArg(ctx);
  if (!row) return;
  const id = ctx.options.get("--id");
  if (id !== undefined) {
    if (!id.startsWith("@")) throw new VsctlError(`--id=${id}: id must begin with "@"`);
    ctx.symbols.set(id, row.uuid);
  }
  for (const arg of ctx.args.slice(2)) {
    const parsed = splitColumnKeyValue(arg);
    const column = findColumn(row.table, parsed.column);
    const datum = read(ctx, row, column.name);
    if (parsed.key === undefined) {
      ctx.output.push(`${datumToString(datum, column.type)}\n`);
      continue;
    }
    if (!column.type.value) {
      throw new VsctlError(`cannot specify key to get for non-map column ${column.name}`);
    }
    const key = parseAtom(ctx, parsed.key, column, "key");
    const at = findKey(datum, key);
    if (at < 0) {
      if (ctx.options.has("--if-exists")) {
        ctx.output.push("\n");
        continue;
      }
      throw new VsctlError(
        `no key "${parsed.key}" in ${row.table.name} record "${ctx.args[1]}" column ${column.name}`,
      );
    }
    ctx.output.push(`${atomToString(datum.values![at] as Atom, column.type.value.type)}\n`);
  }
}

function setCommand(ctx: Context): void {
  const row = recordArg(ctx);
  if (!row) return;
  for (const arg of ctx.args.slice(2)) setColumn(ctx, row, arg);
}

function addOrRemove(ctx: Context, adding: boolean): void {
  const row = recordArg(ctx);
  if (!row) return;
  const column = findColumn(row.table, ctx.args[2] ?? "");
  const datum = cloneDatum(read(ctx, row, column.name));
  for (const arg of ctx.args.slice(3)) {
    const wanted = column.type.value && !adding && !arg.includes("=")
      ? { keys: [parseAtom(ctx, arg, column, "key")], values: null }
      : parseValue(ctx, arg, {
        ...column,
        type: { ...column.type, min: 0, max: Number.MAX_SAFE_INTEGER },
      });
    wanted.keys.forEach((key, i) => {
      const at = findKey(datum, key);
      if (adding) {
        if (at >= 0) return;
        datum.keys.push(key);
        if (datum.values) datum.values.push(wanted.values?.[i] as Atom);
      } else if (at >= 0 && (wanted.values === null || datum.values?.[at] === wanted.values[i])) {
        datum.keys.splice(at, 1);
        datum.values?.splice(at, 1);
      }
    });
  }
  sortMap(datum);
  if (datum.keys.length > column.type.max) {
    throw new VsctlError(
      `"${
        adding ? "add" : "remove"
      }" operation would put ${datum.keys.length} values in column ${column.name} of table ${row.table.name} but the maximum number is ${column.type.max}`,
    );
  }
  if (datum.keys.length < column.type.min) {
    throw new VsctlError(
      `"remove" operation would put ${datum.keys.length} values in column ${column.name} of table ${row.table.name} but the minimum number is ${column.type.min}`,
    );
  }
  ctx.txn.verify(row.table.name, row.uuid, column.name);
  ctx.txn.write(row.table.name, row.uuid, column.name, datum);
}

function clear(ctx: Context): void {
  const row = recordArg(ctx);
  if (!row) return;
  for (const name of ctx.args.slice(2)) {
    const column = findColumn(row.table, name);
    if (column.type.min > 0) {
      throw new VsctlError(
        `"clear" operation cannot be applied to column ${column.name} of table ${row.table.name}, which is not allowed to be empty`,
      );
    }
    ctx.txn.write(row.table.name, row.uuid, column.name, {
      keys: [],
      values: column.type.value ? [] : null,
    });
  }
}

function create(ctx: Context): void {
  const table = findTable(ctx, ctx.args[0] ?? "");
  const uuid = ctx.txn.insert(table.name);
  const id = ctx.options.get("--id");
  if (id !== undefined) {
    if (!id.startsWith("@")) throw new VsctlError(`--id=${id}: id must begin with "@"`);
    ctx.symbols.set(id, uuid);
  }
  for (const arg of ctx.args.slice(1)) setColumn(ctx, { uuid, table }, arg);
  ctx.output.push(`${uuid}\n`);
}

function destroy(ctx: Context): void {
  const table = findTable(ctx, ctx.args[0] ?? "");
  if (ctx.options.has("--all")) {
    if (ctx.args.length > 1) {
      throw new VsctlError("--all and records argument should not be specified together");
    }
    for (const row of rowsOf(ctx, table.name)) ctx.txn.delete(table.name, row.uuid);
    return;
  }
  for (const id of ctx.args.slice(1)) {
    const row = getRow(ctx, table, id, !ctx.options.has("--if-exists"));
    if (row) ctx.txn.delete(table.name, row.uuid);
  }
}

function listColumns(ctx: Context, table: TableSchema): ColumnSchema[] {
  const wanted = ctx.options.get("--columns");
  if (wanted === undefined) {
    const uuid = table.columns.get("_uuid");
    const rest = [...table.columns.values()]
      .filter((c) => !c.name.startsWith("_"))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    return uuid ? [uuid, ...rest] : rest;
  }
  return wanted.split(",").map((name) => findColumn(table, name));
}

function printRows(ctx: Context, table: TableSchema, rows: Row[]): void {
  const columns = listColumns(ctx, table);
  const style = listStyle.style;
  const cells = rows.map((row) =>
    columns.map((column): Cell => {
      if (column.name === "_uuid") {
        return style.cellFormat === "json" ? { json: ["uuid", row.uuid] } : { text: row.uuid };
      }
      const datum = read(ctx, row, column.name);
      return { json: datumToJson(datum, column.type), type: column.type };
    })
  );
  ctx.output.push(
    new TablePrinter(style).format({ headings: columns.map((c) => c.name), rows: cells }),
  );
}

function list(ctx: Context): void {
  const table = findTable(ctx, ctx.args[0] ?? "");
  const rows = ctx.args.length > 1
    ? ctx.args.slice(1).map((id) => getRow(ctx, table, id, !ctx.options.has("--if-exists"))).filter(
      (r) => r !== undefined,
    )
    : rowsOf(ctx, table.name);
  printRows(ctx, table, rows);
}

/** Thrown by wait-until while its condition does not hold: the run waits for a change. */
export class WaitForChange extends Error {}

function waitUntil(ctx: Context): void {
  const table = findTable(ctx, ctx.args[0] ?? "");
  const row = getRow(ctx, table, ctx.args[1] ?? "", false);
  if (!row || !matching(ctx, table, ctx.args.slice(2), [row]).length) throw new WaitForChange();
}

/** Upstream's includes_all(a, b): every element of `a` is also in `b`. */
const within = (a: Datum, b: Datum) => datumIncludesAll(b, a);

/** Upstream's relational operators of find and wait-until, over whole datums. */
function relop(op: string, a: Datum, b: Datum): boolean {
  const cmp = () => compareDatums(a, b);
  switch (op) {
    case "=":
    case "{=}":
      return cmp() === 0;
    case "!=":
    case "{!=}":
      return cmp() !== 0;
    case "<":
      return cmp() < 0;
    case ">":
      return cmp() > 0;
    case "<=":
      return cmp() <= 0;
    case ">=":
      return cmp() >= 0;
    case "{<}":
      return b.keys.length > a.keys.length && within(a, b);
    case "{>}":
      return a.keys.length > b.keys.length && within(b, a);
    case "{<=}":
    case "{in}":
      return within(a, b);
    case "{>=}":
      return within(b, a);
    case "{not-in}":
      return datumExcludesAll(a, b);
    default:
      return false;
  }
}

function matching(ctx: Context, table: TableSchema, args: string[], rows: Row[]): Row[] {
  const conditions = args.map((arg) => {
    const parsed = splitColumnKeyValue(arg);
    if (parsed.op === undefined || parsed.value === undefined) {
      throw new VsctlError(`${arg}: missing value`);
    }
    const column = findColumn(table, parsed.column);
    // Like upstream, a whole-column value must fit the column's own type.
    if (parsed.key === undefined) {
      return { parsed, column, want: parseValue(ctx, parsed.value, column) };
    }
    const value = column.type.value;
    if (!value) {
      throw new VsctlError(`cannot specify key to check for non-map column ${column.name}`);
    }
    const keyType = {
      ...column,
      type: { key: value, value: null, min: 0, max: Number.MAX_SAFE_INTEGER },
    };
    return {
      parsed,
      column,
      key: parseAtom(ctx, parsed.key, column, "key"),
      want: parseValue(ctx, parsed.value, keyType),
    };
  });
  return rows.filter((row) =>
    conditions.every(({ parsed, column, key, want }) => {
      const have = column.name === "_uuid"
        ? { keys: [row.uuid], values: null }
        : read(ctx, row, column.name);
      const op = parsed.op as string;
      if (key === undefined) return relop(op, have, want);
      const at = findKey(have, key);
      if (at < 0 && !op.startsWith("{")) return false;
      const a: Datum = at < 0
        ? { keys: [], values: null }
        : { keys: [have.values![at] as Atom], values: null };
      return relop(op, a, want);
    })
  );
}

function find(ctx: Context): void {
  const table = findTable(ctx, ctx.args[0] ?? "");
  printRows(ctx, table, matching(ctx, table, ctx.args.slice(1), rowsOf(ctx, table.name)));
}

export const DB_COMMANDS: CommandSpec[] = [
  // A comment for the database log; it changes nothing.
  { name: "comment", minArgs: 0, maxArgs: Number.POSITIVE_INFINITY, options: [], run: () => {} },
  {
    name: "get",
    minArgs: 2,
    maxArgs: Number.POSITIVE_INFINITY,
    options: ["--if-exists", "--id="],
    run: get,
  },
  {
    name: "set",
    minArgs: 3,
    maxArgs: Number.POSITIVE_INFINITY,
    options: ["--if-exists"],
    run: setCommand,
  },
  {
    name: "add",
    minArgs: 4,
    maxArgs: Number.POSITIVE_INFINITY,
    options: ["--if-exists"],
    run: (c) => addOrRemove(c, true),
  },
  {
    name: "remove",
    minArgs: 4,
    maxArgs: Number.POSITIVE_INFINITY,
    options: ["--if-exists"],
    run: (c) => addOrRemove(c, false),
  },
  {
    name: "clear",
    minArgs: 3,
    maxArgs: Number.POSITIVE_INFINITY,
    options: ["--if-exists"],
    run: clear,
  },
  {
    name: "list",
    minArgs: 1,
    maxArgs: Number.POSITIVE_INFINITY,
    options: ["--if-exists", "--columns="],
    run: list,
  },
  {
    name: "find",
    minArgs: 1,
    maxArgs: Number.POSITIVE_INFINITY,
    options: ["--columns="],
    run: find,
  },
  {
    name: "create",
    minArgs: 2,
    maxArgs: Number.POSITIVE_INFINITY,
    options: ["--id="],
    run: create,
  },
  {
    name: "destroy",
    minArgs: 1,
    maxArgs: Number.POSITIVE_INFINITY,
    options: ["--if-exists", "--all"],
    run: destroy,
  },
  {
    name: "wait-until",
    minArgs: 2,
    maxArgs: Number.POSITIVE_INFINITY,
    options: [],
    run: waitUntil,
  },
];
