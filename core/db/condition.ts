// Conditions (RFC 7047 <condition>, "where" clauses) as upstream's ovsdb/condition.c: parsing
// with type checks and relaxed argument types per function, and evaluation against a row.
// Owns `Clause`, `conditionFromJson`, `evaluateCondition`, `conditionToJson`. Promises: every
// function (<, <=, ==, !=, >=, >, includes, excludes, and the literal true/false clauses) works
// on every column type exactly as upstream evaluates it; errors use upstream's wording.
// Must not modify rows.

import type { Json } from "./json.ts";
import { syntaxError } from "./error.ts";
import {
  compareAtoms,
  type Datum,
  datumEquals,
  datumExcludesAll,
  datumFromJson,
  datumIncludesAll,
  datumToJson,
  type SymbolTable,
} from "./datum.ts";
import { isOptionalScalar, isScalar, type OvsdbType, typeToEnglish, UINT_MAX } from "./types.ts";
import type { ColumnSchema, TableSchema } from "./schema.ts";
import type { Row } from "./table.ts";

export const FUNCTIONS = ["<", "<=", "==", "!=", ">=", ">", "includes", "excludes"] as const;
export type ConditionFunction = typeof FUNCTIONS[number] | "true" | "false";

export interface Clause {
  fn: ConditionFunction;
  column: ColumnSchema;
  arg: Datum;
}

function isFunction(s: string): s is typeof FUNCTIONS[number] {
  return (FUNCTIONS as readonly string[]).includes(s);
}

function clauseFromJson(table: TableSchema, json: Json, symtab?: SymbolTable): Clause {
  const uuidColumn = table.columns.get("_uuid")!;
  if (typeof json === "boolean") {
    return { fn: json ? "true" : "false", column: uuidColumn, arg: { keys: [], values: null } };
  }
  if (
    !Array.isArray(json) || json.length !== 3 || typeof json[0] !== "string" ||
    typeof json[1] !== "string"
  ) throw syntaxError(json, null, "Parse error in condition.");
  const column = table.columns.get(json[0]);
  if (!column) {
    throw syntaxError(json, "unknown column", `No column ${json[0]} in table ${table.name}.`);
  }
  const fname = json[1];
  if (!isFunction(fname)) {
    throw syntaxError(undefined, "unknown function", `No function named ${fname}.`);
  }
  let type: OvsdbType = column.type;
  switch (fname) {
    case "<":
    case "<=":
    case ">":
    case ">=":
      if (
        !(isScalar(type) || isOptionalScalar(type)) ||
        (type.key.type !== "integer" && type.key.type !== "real")
      ) {
        throw syntaxError(
          json,
          null,
          `Type mismatch: "${fname}" operator may not be applied to column ${column.name} of type ${
            typeToEnglish(type)
          }.`,
        );
      }
      type = { ...type, min: 1 };
      break;
    case "excludes":
      if (!isScalar(type)) type = { ...type, min: 0, max: UINT_MAX };
      break;
    case "includes":
      if (!isScalar(type)) type = { ...type, min: 0 };
      break;
    default:
      break;
  }
  return { fn: fname, column, arg: datumFromJson(json[2]!, type, symtab) };
}

/** Parses a <condition> array for `table`. Throws OvsdbError. */
export function conditionFromJson(table: TableSchema, json: Json, symtab?: SymbolTable): Clause[] {
  if (!Array.isArray(json)) throw syntaxError(json, null, "Parse error in condition.");
  return json.map((c) => clauseFromJson(table, c, symtab));
}

/** Prints a condition back to JSON. */
export function conditionToJson(clauses: Clause[]): Json {
  return clauses.map((c) =>
    c.fn === "true" || c.fn === "false"
      ? c.fn === "true"
      : [c.column.name, c.fn, datumToJson(c.arg, c.column.type)]
  );
}

function compareResult(fn: ConditionFunction, cmp: number): boolean {
  switch (fn) {
    case "<":
      return cmp < 0;
    case "<=":
      return cmp <= 0;
    case "==":
    case "includes":
      return cmp === 0;
    case "!=":
    case "excludes":
      return cmp !== 0;
    case ">=":
      return cmp >= 0;
    case ">":
      return cmp > 0;
    case "true":
      return true;
    case "false":
      return false;
  }
}

/** Whether `field` satisfies one clause. */
export function evaluateClause(field: Datum, c: Clause): boolean {
  if (c.fn === "true" || c.fn === "false") return c.fn === "true";
  const type = c.column.type;
  const relational = c.fn === "<" || c.fn === "<=" || c.fn === ">" || c.fn === ">=";
  if (isOptionalScalar(type) && field.keys.length === 0 && relational) return false;
  if (
    (isScalar(type) || isOptionalScalar(type)) && field.keys.length === 1 &&
    c.arg.keys.length === 1
  ) return compareResult(c.fn, compareAtoms(field.keys[0]!, c.arg.keys[0]!));
  switch (c.fn) {
    case "==":
      return datumEquals(field, c.arg);
    case "!=":
      return !datumEquals(field, c.arg);
    case "includes":
      return datumIncludesAll(field, c.arg);
    case "excludes":
      return datumExcludesAll(field, c.arg);
    default:
      return false;
  }
}

/** Whether `row` satisfies every clause. */
export function evaluateCondition(row: Row, clauses: Clause[]): boolean {
  return clauses.every((c) => evaluateClause(row.fields[c.column.index]!, c));
}

/** The UUID a condition pins with `["_uuid", "==", ...]`, if any (for fast lookup). */
export function conditionUuid(clauses: Clause[]): string | undefined {
  const c = clauses.find((c) => c.fn === "==" && c.column.index === 0 && c.arg.keys.length === 1);
  return c ? (c.arg.keys[0] as string) : undefined;
}
