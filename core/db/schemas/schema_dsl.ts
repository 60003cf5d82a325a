// A small notation for writing OVSDB schemas in TypeScript: base types (`str()`, `int(0, 4095)`,
// `oneOf("a", "b")`, `ref("Port", "weak")`), column shapes (`one`, `optional`, `setOf`, `mapOf`,
// `smap`), column flags (`ephemeral`, `immutable`) and tables, turned into RFC 7047 schema JSON
// by `schemaJson`. Owns only the notation; the schemas themselves live beside it. Promises that
// what it emits parses with core/db/schema.ts exactly as the equivalent hand-written JSON would.

import type { Json, JsonObject } from "../json.ts";

export interface BaseSpec {
  type: "string" | "integer" | "real" | "boolean" | "uuid";
  enum?: string[];
  minInteger?: number;
  maxInteger?: number;
  refTable?: string;
  refType?: "weak";
}

export interface ColumnSpec {
  key: BaseSpec;
  value?: BaseSpec;
  min: number;
  max: number | "unlimited";
  ephemeral?: true;
  immutable?: true;
}

export interface TableSpec {
  isRoot?: true;
  maxRows?: number;
  indexes?: string[][];
  columns: Record<string, ColumnSpec>;
}

export interface SchemaSpec {
  name: string;
  version: string;
  cksum: string;
  tables: Record<string, TableSpec>;
}

export const str = (): BaseSpec => ({ type: "string" });
export const bool = (): BaseSpec => ({ type: "boolean" });
export const real = (): BaseSpec => ({ type: "real" });

/** An integer, optionally bounded below and above. */
export function int(min?: number, max?: number): BaseSpec {
  const base: BaseSpec = { type: "integer" };
  if (min !== undefined) base.minInteger = min;
  if (max !== undefined) base.maxInteger = max;
  return base;
}

/** A string restricted to the given values. */
export const oneOf = (...values: string[]): BaseSpec => ({ type: "string", enum: values });

/** A reference to a row of `table` (strong unless "weak"). */
export function ref(table: string, refType?: "weak"): BaseSpec {
  return refType ? { type: "uuid", refTable: table, refType } : { type: "uuid", refTable: table };
}

/** Exactly one value. */
export const one = (key: BaseSpec): ColumnSpec => ({ key, min: 1, max: 1 });
/** Zero or one value. */
export const optional = (key: BaseSpec): ColumnSpec => ({ key, min: 0, max: 1 });

interface Counts {
  min?: number;
  max?: number;
}

/** A set, empty to unlimited unless bounded. */
export function setOf(key: BaseSpec, counts: Counts = {}): ColumnSpec {
  return { key, min: counts.min ?? 0, max: counts.max ?? "unlimited" };
}

/** A map, empty to unlimited unless bounded. */
export function mapOf(key: BaseSpec, value: BaseSpec, counts: Counts = {}): ColumnSpec {
  return { key, value, min: counts.min ?? 0, max: counts.max ?? "unlimited" };
}

/** The ubiquitous string-to-string map (other_config, external_ids, status …). */
export const smap = (): ColumnSpec => mapOf(str(), str());

/** A column the server does not write to disk. */
export const ephemeral = (column: ColumnSpec): ColumnSpec => ({ ...column, ephemeral: true });
/** A column that cannot change once its row exists. */
export const immutable = (column: ColumnSpec): ColumnSpec => ({ ...column, immutable: true });

export function table(
  options: { isRoot?: true; maxRows?: number; indexes?: string[][] },
  columns: Record<string, ColumnSpec>,
): TableSpec {
  return { ...options, columns };
}

function baseJson(base: BaseSpec): Json {
  const out: JsonObject = { type: base.type };
  if (base.enum) out.enum = ["set", base.enum];
  if (base.minInteger !== undefined) out.minInteger = base.minInteger;
  if (base.maxInteger !== undefined) out.maxInteger = base.maxInteger;
  if (base.refTable !== undefined) out.refTable = base.refTable;
  if (base.refType !== undefined) out.refType = base.refType;
  return out;
}

function columnJson(column: ColumnSpec): JsonObject {
  const type: JsonObject = { key: baseJson(column.key), min: column.min, max: column.max };
  if (column.value) type.value = baseJson(column.value);
  const out: JsonObject = { type };
  if (column.ephemeral) out.ephemeral = true;
  if (column.immutable) out.mutable = false;
  return out;
}

/** RFC 7047 <database-schema> JSON for `spec`. */
export function schemaJson(spec: SchemaSpec): JsonObject {
  const tables: JsonObject = {};
  for (const [name, tableSpec] of Object.entries(spec.tables)) {
    const columns: JsonObject = {};
    for (const [column, columnSpec] of Object.entries(tableSpec.columns)) {
      columns[column] = columnJson(columnSpec);
    }
    const out: JsonObject = { columns };
    if (tableSpec.isRoot) out.isRoot = true;
    if (tableSpec.maxRows !== undefined) out.maxRows = tableSpec.maxRows;
    if (tableSpec.indexes) out.indexes = tableSpec.indexes;
    tables[name] = out;
  }
  return { name: spec.name, version: spec.version, cksum: spec.cksum, tables };
}
