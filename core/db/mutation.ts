// Mutations (RFC 7047 <mutation>) as upstream's ovsdb/mutation.c: parsing with per-mutator type
// checks, and execution on a row's datums with upstream's overflow, domain and count errors.
// Owns `Mutation`, `mutationsFromJson`, `applyMutations`. Promises: a failed mutation leaves the
// caller's datums untouched (results are returned, not written in place); errors carry
// upstream's tags and details ("domain error", "range error", "constraint violation").
// Must not touch tables or transactions.

import type { Json } from "./json.ts";
import { OvsdbError, syntaxError } from "./error.ts";
import {
  type Atom,
  checkAtomConstraints,
  type Datum,
  datumFromJson,
  datumSubtract,
  datumUnion,
  sortDatum,
  type SymbolTable,
} from "./datum.ts";
import {
  baseType,
  isMap,
  isScalar,
  isSet,
  type OvsdbType,
  typeToEnglish,
  UINT_MAX,
} from "./types.ts";
import type { ColumnSchema, TableSchema } from "./schema.ts";

export const MUTATORS = ["+=", "-=", "*=", "/=", "%=", "insert", "delete"] as const;
export type Mutator = typeof MUTATORS[number];

export interface Mutation {
  column: ColumnSchema;
  mutator: Mutator;
  /** The argument's type (relaxed from the column's). */
  type: OvsdbType;
  arg: Datum;
}

function isMutator(s: string): s is Mutator {
  return (MUTATORS as readonly string[]).includes(s);
}

function mutationFromJson(table: TableSchema, json: Json, symtab?: SymbolTable): Mutation {
  if (
    !Array.isArray(json) || json.length !== 3 || typeof json[0] !== "string" ||
    typeof json[1] !== "string"
  ) throw syntaxError(json, null, "Parse error in mutation.");
  const column = table.columns.get(json[0]);
  if (!column) {
    throw syntaxError(json, "unknown column", `No column ${json[0]} in table ${table.name}.`);
  }
  if (!column.mutable) {
    throw syntaxError(
      json,
      "constraint violation",
      `Cannot mutate immutable column ${json[0]} in table ${table.name}.`,
    );
  }
  const name = json[1];
  if (!isMutator(name)) {
    throw syntaxError(undefined, "unknown mutator", `No mutator named ${name}.`);
  }
  const ct = column.type;
  const mismatch = () =>
    syntaxError(
      json,
      null,
      `Type mismatch: "${name}" operator may not be applied to column ${column.name} of type ${
        typeToEnglish(ct)
      }.`,
    );
  if (name === "insert" || name === "delete") {
    if (!isSet(ct) && !isMap(ct)) throw mismatch();
    const type: OvsdbType = { ...ct, min: 0, max: name === "delete" ? UINT_MAX : ct.max };
    try {
      return { column, mutator: name, type, arg: datumFromJson(json[2]!, type, symtab) };
    } catch (e) {
      if (!(isMap(ct) && name === "delete")) throw e;
      const keysOnly: OvsdbType = { ...type, value: null };
      return {
        column,
        mutator: name,
        type: keysOnly,
        arg: datumFromJson(json[2]!, keysOnly, symtab),
      };
    }
  }
  if (
    (!isScalar(ct) && !isSet(ct)) || (ct.key.type !== "integer" && ct.key.type !== "real") ||
    (name === "%=" && ct.key.type === "real")
  ) throw mismatch();
  const type: OvsdbType = { key: baseType(ct.key.type), value: null, min: 1, max: 1 };
  return { column, mutator: name, type, arg: datumFromJson(json[2]!, type, symtab) };
}

/** Parses a <mutation> array for `table`. Throws OvsdbError. */
export function mutationsFromJson(
  table: TableSchema,
  json: Json,
  symtab?: SymbolTable,
): Mutation[] {
  if (!Array.isArray(json)) throw syntaxError(json, null, "Parse error in mutation.");
  return json.map((m) => mutationFromJson(table, m, symtab));
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function rangeError(m: Mutator): OvsdbError {
  return new OvsdbError("range error", `Result of "${m}" operation is out of range.`);
}

function scalarOp(m: Mutator, x: Atom, y: Atom): Atom {
  if (typeof x === "bigint" && typeof y === "bigint") {
    let r: bigint;
    switch (m) {
      case "+=":
        r = x + y;
        break;
      case "-=":
        r = x - y;
        break;
      case "*=":
        r = x * y;
        break;
      default:
        if (y === 0n) throw new OvsdbError("domain error", "Division by zero.");
        r = m === "/=" ? x / y : x % y;
    }
    if (r < INT64_MIN || r > INT64_MAX) throw rangeError(m);
    return r;
  }
  const a = x as number;
  const b = y as number;
  let r: number;
  switch (m) {
    case "+=":
      r = a + b;
      break;
    case "-=":
      r = a - b;
      break;
    case "*=":
      r = a * b;
      break;
    case "/=":
      if (b === 0) throw new OvsdbError("domain error", "Division by zero.");
      r = a / b;
      break;
    default:
      throw new OvsdbError("ovsdb error", "Operation not supported.");
  }
  if (!(r >= -Number.MAX_VALUE && r <= Number.MAX_VALUE)) throw rangeError(m);
  return r;
}

function checkCount(d: Datum, type: OvsdbType): void {
  if (d.keys.length < type.min || d.keys.length > type.max) {
    throw new OvsdbError(
      "constraint violation",
      `Attempted to store ${d.keys.length} elements in ${typeToEnglish(type)}.`,
    );
  }
}

/** Applies `mutations` to `fields` (by column index), returning the new fields. */
export function applyMutations(fields: Datum[], mutations: Mutation[]): Datum[] {
  const out = [...fields];
  for (const m of mutations) {
    const dst = out[m.column.index]!;
    const type = m.column.type;
    if (m.mutator === "insert") {
      const result = datumUnion(dst, m.arg);
      checkCount(result, type);
      out[m.column.index] = result;
    } else if (m.mutator === "delete") {
      const result = datumSubtract(dst, m.arg);
      checkCount(result, type);
      out[m.column.index] = result;
    } else {
      const y = m.arg.keys[0]!;
      const keys = dst.keys.map((x) => scalarOp(m.mutator, x, y));
      for (const k of keys) checkAtomConstraints(k, type.key);
      const result: Datum = { keys, values: null };
      try {
        sortDatum(result);
      } catch {
        throw new OvsdbError(
          "constraint violation",
          `Result of "${m.mutator}" operation contains duplicates.`,
        );
      }
      out[m.column.index] = result;
    }
  }
  return out;
}
