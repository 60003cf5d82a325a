// Rows and tables in memory (upstream's ovsdb/row.c and table.c). Owns `Row` (a UUID and one
// datum per column, by column index), `Table` (rows by UUID, kept in upstream's hash-table
// iteration order so queries return rows in the order upstream does, plus the count of strong
// references each row receives), and row <-> JSON conversion. Promises: committed `Row` objects
// are never mutated (transactions copy before writing); `rowFromJson` reports unknown columns
// and bad data with upstream's errors. Must not decide transaction semantics.

import type { Json, JsonObject } from "./json.ts";
import { isObject } from "./json.ts";
import { syntaxError } from "./error.ts";
import { type Datum, datumFromJson, datumToJson, defaultDatum, type SymbolTable } from "./datum.ts";
import { datumToString } from "./data_string.ts";
import type { ColumnSchema, TableSchema } from "./schema.ts";
import { ChainOrder } from "./hash_order.ts";

export interface Row {
  readonly uuid: string;
  /** One datum per column, by ColumnSchema.index. */
  fields: Datum[];
}

/**
 * Each table's column defaults, shared by every row that keeps them: datums in rows are never
 * changed in place (transactions replace them), so one frozen copy serves all, and a table of
 * many rows with mostly empty columns costs little.
 */
const sharedDefaults = new WeakMap<TableSchema, readonly Datum[]>();

function frozenDatum(d: Datum): Datum {
  Object.freeze(d.keys);
  if (d.values) Object.freeze(d.values);
  return Object.freeze(d);
}

/** A new row of `table` with every column at its default (shared, frozen datums). */
export function newRow(table: TableSchema, uuid: string): Row {
  let defaults = sharedDefaults.get(table);
  if (!defaults) {
    defaults = table.byIndex.map((c) => frozenDatum(defaultDatum(c.type)));
    sharedDefaults.set(table, defaults);
  }
  return { uuid, fields: defaults.slice() };
}

/** A copy of `row` whose fields array may be changed. */
export function cloneRow(row: Row): Row {
  return { uuid: row.uuid, fields: [...row.fields] };
}

/** upstream's uuid_hash(): the first 32 bits of the UUID. */
export function uuidHash(uuid: string): number {
  return parseInt(uuid.slice(0, 8), 16) >>> 0;
}

/** One table's rows. */
export class Table {
  readonly schema: TableSchema;
  readonly rows = new Map<string, Row>();
  /** Number of strong references to each row (absent means 0). */
  readonly refs = new Map<string, number>();
  /** Per schema index, the committed row holding each key (maintained at commit). */
  readonly indexes: Map<string, string>[];
  #order = new ChainOrder<string>();

  constructor(schema: TableSchema) {
    this.schema = schema;
    this.indexes = schema.indexes.map(() => new Map());
  }

  get(uuid: string): Row | undefined {
    return this.rows.get(uuid);
  }

  /** Adds a row (or replaces the row with the same UUID, keeping its position). */
  put(row: Row): void {
    if (!this.rows.has(row.uuid)) this.#order.insert(row.uuid, uuidHash(row.uuid));
    this.rows.set(row.uuid, row);
  }

  remove(uuid: string): void {
    if (this.rows.delete(uuid)) this.#order.remove(uuid, uuidHash(uuid));
  }

  /** Rows in upstream's iteration order. */
  *iterate(): IterableIterator<Row> {
    // A snapshot of the order, so the caller may change the table while iterating.
    for (const uuid of this.#order.items()) {
      const row = this.rows.get(uuid);
      if (row) yield row;
    }
  }

  /**
   * Calls `fn` for each row in upstream's iteration order; cheaper than `iterate`, but `fn`
   * must not change the table.
   */
  forEach(fn: (row: Row) => void): void {
    const rows = this.rows;
    this.#order.forEach((uuid) => {
      const row = rows.get(uuid);
      if (row) fn(row);
    });
  }

  get size(): number {
    return this.rows.size;
  }

  refCount(uuid: string): number {
    return this.refs.get(uuid) ?? 0;
  }
}

/** The `_uuid`/`_version` values of a row as JSON. */
export function rowToJson(row: Row, columns: Iterable<ColumnSchema>): JsonObject {
  const out: JsonObject = {};
  for (const c of columns) out[c.name] = datumToJson(row.fields[c.index]!, c.type);
  return out;
}

/**
 * Parses a <row> for `table` into column datums. With `symtab`, named UUIDs are allowed.
 * Returns the columns given, in the JSON's (upstream) order.
 */
export function rowFromJson(
  json: Json,
  table: TableSchema,
  symtab?: SymbolTable,
): Map<ColumnSchema, Datum> {
  if (!isObject(json)) throw syntaxError(json, null, "row must be JSON object");
  const out = new Map<ColumnSchema, Datum>();
  for (const [name, value] of Object.entries(json)) {
    const column = table.columns.get(name);
    if (!column) {
      throw syntaxError(json, "unknown column", `No column ${name} in table ${table.name}.`);
    }
    out.set(column, datumFromJson(value, column.type, symtab));
  }
  return out;
}

/** Whether rows `a` and `b` agree on `columns`. */
export function rowsEqualOn(
  a: Row,
  b: Row,
  columns: Iterable<ColumnSchema>,
  eq: (x: Datum, y: Datum) => boolean,
): boolean {
  for (const c of columns) if (!eq(a.fields[c.index]!, b.fields[c.index]!)) return false;
  return true;
}

/** Upstream's ovsdb_row_columns_to_string(): values joined as an English list. */
export function rowColumnsToString(row: Row, columns: ColumnSchema[]): string {
  return columns.map((c, i) =>
    englishDelimiter(i, columns.length) + datumToString(row.fields[c.index]!, c.type)
  ).join("");
}

/** Upstream's english_list_delimiter(). */
export function englishDelimiter(i: number, n: number): string {
  if (i === 0) return "";
  if (n === 2) return " and ";
  return i === n - 1 ? ", and " : ", ";
}
