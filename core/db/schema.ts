// Database schemas (RFC 7047 <database-schema>) as upstream's ovsdb/ovsdb.c, table.c and
// column.c parse, validate and print them. Owns `DatabaseSchema`, `TableSchema`, `ColumnSchema`
// and the built-in `_Server` schema. Promises: validation errors use upstream's wording; every
// table has the implicit `_uuid` and `_version` columns (indexes 0 and 1); tables and columns
// are kept in upstream's iteration order (hash order), which is the order upstream prints and
// processes them; `schemaToJson` round-trips byte-identically with upstream. Must not hold data.

import { type Json, type JsonObject, parseOvsJson } from "./json.ts";
import { isId, MemberParser, syntaxError } from "./error.ts";
import {
  hasRefs,
  isComposite,
  type OvsdbType,
  typeFromJson,
  typeToJson,
  UINT_MAX,
  UUID_TYPE,
} from "./types.ts";
import { hashOrder } from "./hash_order.ts";
import "./datum.ts"; // Registers the enum datum parser and printer used by types.ts.

export interface ColumnSchema {
  name: string;
  /** Position in the table's row arrays; 0 is _uuid, 1 is _version. */
  index: number;
  type: OvsdbType;
  mutable: boolean;
  persistent: boolean;
}

export interface TableSchema {
  name: string;
  mutable: boolean;
  isRoot: boolean;
  maxRows: number;
  /** Columns in upstream's iteration order. */
  columns: Map<string, ColumnSchema>;
  /** Columns by index. */
  byIndex: ColumnSchema[];
  indexes: ColumnSchema[][];
}

export interface DatabaseSchema {
  name: string;
  version: string;
  cksum: string;
  /** Tables in upstream's iteration order. */
  tables: Map<string, TableSchema>;
}

const VERSION = /^(\d+)\.(\d+)\.(\d+)$/;

/** Whether `s` is a schema version "x.y.z". */
export function isValidVersion(s: string): boolean {
  const m = VERSION.exec(s);
  return m !== null && m.slice(1).every((p) => Number(p) <= 2147483647);
}

function column(
  name: string,
  index: number,
  type: OvsdbType,
  mutable: boolean,
  persistent: boolean,
): ColumnSchema {
  return { name, index, type, mutable, persistent };
}

function columnFromJson(json: Json, name: string, index: number): ColumnSchema {
  const p = new MemberParser(json, `schema for column ${name}`);
  const mutableJson = p.member("mutable", ["boolean"], true);
  const ephemeral = p.member("ephemeral", ["boolean"], true);
  const typeJson = p.member("type", ["string", "object"]);
  const error = p.finish();
  if (error) throw error;
  const type = typeFromJson(typeJson!);
  let mutable = mutableJson !== false;
  if (
    !mutable &&
    ((type.key.refTable !== undefined && type.key.refType === "weak") ||
      (type.value?.refTable !== undefined && type.value.refType === "weak"))
  ) mutable = true;
  return column(name, index, type, mutable, ephemeral !== true);
}

/** Parses a column set (an array of distinct column names). */
export function columnSetFromJson(json: Json | undefined, table: TableSchema): ColumnSchema[] {
  if (json === undefined) return [...table.columns.values()];
  const bad = () => syntaxError(json, null, "array of distinct column names expected");
  if (!Array.isArray(json)) throw bad();
  const out: ColumnSchema[] = [];
  for (const elem of json) {
    if (typeof elem !== "string") throw bad();
    const c = table.columns.get(elem);
    if (!c) throw syntaxError(json, null, `${elem} is not a valid column name`);
    if (out.includes(c)) throw bad();
    out.push(c);
  }
  return out;
}

function tableFromJson(json: Json, name: string): TableSchema {
  const p = new MemberParser(json, `table schema for table ${name}`);
  const columns = p.member("columns", ["object"]);
  const mutable = p.member("mutable", ["boolean"], true);
  const maxRows = p.member("maxRows", ["integer"], true);
  const isRoot = p.member("isRoot", ["boolean"], true);
  const indexes = p.member("indexes", ["array"], true);
  const error = p.finish();
  if (error) throw error;
  let max = UINT_MAX;
  if (maxRows !== undefined) {
    const n = BigInt(maxRows as bigint | number);
    if (n <= 0n) throw syntaxError(json, null, "maxRows must be at least 1");
    max = n > BigInt(UINT_MAX) ? UINT_MAX : Number(n);
  }
  const cols = columns as JsonObject;
  if (Object.keys(cols).length === 0) {
    throw syntaxError(json, null, "table must have at least one column");
  }
  const list: ColumnSchema[] = [
    column("_uuid", 0, UUID_TYPE, false, true),
    column("_version", 1, UUID_TYPE, false, false),
  ];
  for (const colName of hashOrder(Object.keys(cols))) {
    if (colName.startsWith("_")) {
      throw syntaxError(json, null, 'names beginning with "_" are reserved');
    }
    if (!isId(colName)) throw syntaxError(json, null, "name must be a valid id");
    list.push(columnFromJson(cols[colName]!, colName, list.length));
  }
  const byName = new Map(list.map((c) => [c.name, c]));
  const table: TableSchema = {
    name,
    mutable: mutable !== false,
    isRoot: isRoot === true,
    maxRows: max,
    columns: new Map(hashOrder(list.map((c) => c.name)).map((n) => [n, byName.get(n)!])),
    byIndex: list,
    indexes: [],
  };
  for (const indexJson of (indexes as Json[] | undefined) ?? []) {
    const set = columnSetFromJson(indexJson, table);
    if (set.length === 0) throw syntaxError(json, null, "index must have at least one column");
    for (const c of set) {
      if (!c.persistent) {
        throw syntaxError(json, null, `ephemeral columns (such as ${c.name}) may not be indexed`);
      }
    }
    table.indexes.push(set);
  }
  return table;
}

/** Parses and validates a database schema. Throws OvsdbError. */
export function schemaFromJson(json: Json): DatabaseSchema {
  const p = new MemberParser(json, "database schema");
  const name = p.member("name", ["id"]);
  const version = p.member("version", ["string"], true);
  const cksum = p.member("cksum", ["string"], true);
  const tables = p.member("tables", ["object"]);
  const error = p.finish();
  if (error) throw error;
  if (typeof version === "string" && !isValidVersion(version)) {
    throw syntaxError(json, null, `schema version "${version}" not in format x.y.z`);
  }
  const schema: DatabaseSchema = {
    name: name as string,
    version: (version as string | undefined) ?? "",
    cksum: (cksum as string | undefined) ?? "",
    tables: new Map(),
  };
  const tablesJson = tables as JsonObject;
  for (const tableName of hashOrder(Object.keys(tablesJson))) {
    if (tableName.startsWith("_")) {
      throw syntaxError(json, null, 'names beginning with "_" are reserved');
    }
    if (!isId(tableName)) throw syntaxError(json, null, "name must be a valid id");
    schema.tables.set(tableName, tableFromJson(tablesJson[tableName]!, tableName));
  }
  schema.tables = new Map(hashOrder(schema.tables.keys()).map((n) => [n, schema.tables.get(n)!]));
  const all = [...schema.tables.values()];
  if (!all.some((t) => t.isRoot)) { for (const t of all) t.isRoot = true; }
  for (const t of all) {
    for (const c of t.columns.values()) {
      for (const [base, which] of [[c.type.key, "key"], [c.type.value, "value"]] as const) {
        if (!base || base.type !== "uuid" || base.refTable === undefined) continue;
        const ref = schema.tables.get(base.refTable);
        if (!ref) {
          throw syntaxError(
            undefined,
            null,
            `column ${c.name} ${which} refers to undefined table ${base.refTable}`,
          );
        }
        if (base.refType === "strong" && !ref.isRoot) c.persistent = true;
      }
    }
  }
  return schema;
}

/** Parses schema text (a .ovsschema file's contents). Throws OvsdbError or SyntaxError. */
export function schemaFromText(text: string): DatabaseSchema {
  return schemaFromJson(parseOvsJson(text));
}

function columnToJson(c: ColumnSchema): JsonObject {
  const out: JsonObject = {};
  if (!c.mutable) out.mutable = false;
  if (!c.persistent) out.ephemeral = true;
  out.type = typeToJson(c.type);
  return out;
}

/** Prints a schema as upstream's ovsdb_schema_to_json(). */
export function schemaToJson(schema: DatabaseSchema): JsonObject {
  const out: JsonObject = { name: schema.name };
  if (schema.version) out.version = schema.version;
  if (schema.cksum) out.cksum = schema.cksum;
  const all = [...schema.tables.values()];
  const defaultIsRoot = all.every((t) => t.isRoot);
  const tables: JsonObject = {};
  for (const t of all) {
    const tj: JsonObject = {};
    if (!t.mutable) tj.mutable = false;
    if (defaultIsRoot !== t.isRoot) tj.isRoot = t.isRoot;
    const cols: JsonObject = {};
    for (const c of t.columns.values()) if (!c.name.startsWith("_")) cols[c.name] = columnToJson(c);
    tj.columns = cols;
    if (t.maxRows !== UINT_MAX) tj.maxRows = BigInt(t.maxRows);
    if (t.indexes.length) tj.indexes = t.indexes.map((set) => set.map((c) => c.name));
    tables[t.name] = tj;
  }
  out.tables = tables;
  return out;
}

/** Whether any column of `table` holds references. */
export function tableHasRefs(table: TableSchema): boolean {
  return [...table.columns.values()].some((c) => hasRefs(c.type));
}

/** Whether `c` holds more than one value. */
export function columnIsComposite(c: ColumnSchema): boolean {
  return isComposite(c.type);
}

/** The `_Server` database schema that ovsdb-server serves. */
export const SERVER_SCHEMA_JSON: JsonObject = {
  name: "_Server",
  version: "1.2.0",
  cksum: "3009684573 744",
  tables: {
    Database: {
      columns: {
        name: { type: "string" },
        model: {
          type: {
            key: { type: "string", enum: ["set", ["standalone", "clustered", "relay"]] },
          },
        },
        connected: { type: "boolean" },
        leader: { type: "boolean" },
        schema: { type: { key: { type: "string" }, min: 0n, max: 1n } },
        cid: { type: { key: { type: "uuid" }, min: 0n, max: 1n } },
        sid: { type: { key: { type: "uuid" }, min: 0n, max: 1n } },
        index: { type: { key: { type: "integer" }, min: 0n, max: 1n } },
      },
      isRoot: true,
    },
  },
};

/** A fresh parse of the `_Server` schema. */
export function serverSchema(): DatabaseSchema {
  return schemaFromJson(SERVER_SCHEMA_JSON);
}
