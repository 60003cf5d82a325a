// OVSDB types (RFC 7047 <type>, <base-type>, <atomic-type>) as upstream's lib/ovsdb-types.c
// parses and prints them. Owns `BaseType` (an atomic type plus constraints: enum, integer and
// real ranges, string lengths, refTable/refType) and `OvsdbType` (key, optional value, min and
// max counts). Promises: parse errors carry upstream's wording; `typeToJson` prints exactly
// what upstream prints (so schema round trips are byte-identical); the enum datum is stored
// parsed and sorted. Must not know about rows, tables or storage.

import { isObject, type Json, type JsonObject } from "./json.ts";
import { MemberParser, syntaxError } from "./error.ts";
import type { Datum } from "./datum.ts";

export const ATOMIC_TYPES = ["integer", "real", "boolean", "string", "uuid"] as const;
export type AtomicType = typeof ATOMIC_TYPES[number];

export const UINT_MAX = 4294967295;
export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;
export const DBL_MAX = Number.MAX_VALUE;

export type RefType = "strong" | "weak";

export interface BaseType {
  type: AtomicType;
  /** Allowed values, as a set datum of this atomic type (no other constraints then apply). */
  enum?: Datum;
  minInteger: bigint;
  maxInteger: bigint;
  minReal: number;
  maxReal: number;
  minLength: number;
  maxLength: number;
  refTable?: string;
  refType: RefType;
}

export interface OvsdbType {
  key: BaseType;
  value: BaseType | null;
  min: number;
  /** UINT_MAX means "unlimited". */
  max: number;
}

/** A base type of `type` without constraints. */
export function baseType(type: AtomicType): BaseType {
  return {
    type,
    minInteger: INT64_MIN,
    maxInteger: INT64_MAX,
    minReal: -DBL_MAX,
    maxReal: DBL_MAX,
    minLength: 0,
    maxLength: UINT_MAX,
    refType: "strong",
  };
}

/** A scalar type of `type` without constraints. */
export function scalarType(type: AtomicType): OvsdbType {
  return { key: baseType(type), value: null, min: 1, max: 1 };
}

export const UUID_TYPE: OvsdbType = scalarType("uuid");

export function hasConstraints(b: BaseType): boolean {
  return b.enum !== undefined || b.minInteger !== INT64_MIN || b.maxInteger !== INT64_MAX ||
    b.minReal !== -DBL_MAX || b.maxReal !== DBL_MAX || b.minLength !== 0 ||
    b.maxLength !== UINT_MAX || b.refTable !== undefined;
}

export const isScalar = (t: OvsdbType) => t.min === 1 && t.max === 1 && t.value === null;
export const isOptional = (t: OvsdbType) => t.min === 0 && t.max === 1;
export const isOptionalScalar = (t: OvsdbType) => t.value === null && t.min === 0 && t.max === 1;
export const isComposite = (t: OvsdbType) => t.max > 1;
export const isSet = (t: OvsdbType) => t.value === null && (t.min !== 1 || t.max !== 1);
export const isMap = (t: OvsdbType) => t.value !== null;

/** The type of a base type's enum datum: a set of unconstrained atoms. */
export function enumType(type: AtomicType): OvsdbType {
  return { key: baseType(type), value: null, min: 1, max: UINT_MAX };
}

function isAtomicType(s: string): s is AtomicType {
  return (ATOMIC_TYPES as readonly string[]).includes(s);
}

function atomicTypeFromJson(json: Json): AtomicType {
  if (typeof json === "string") {
    if (isAtomicType(json)) return json;
    throw syntaxError(json, null, `"${json}" is not an atomic-type`);
  }
  throw syntaxError(json, null, "atomic-type expected");
}

function optionalUint(p: MemberParser, name: string): number | undefined {
  const json = p.member(name, ["integer"], true);
  if (json === undefined) return undefined;
  const n = BigInt(json as bigint | number);
  if (n < 0n || n > BigInt(UINT_MAX)) {
    throw syntaxError(json, null, `${name} out of valid range 0 to ${UINT_MAX}`);
  }
  return Number(n);
}

type DatumParser = (type: OvsdbType, json: Json) => Datum;
let parseEnumDatum: DatumParser | undefined;

/** Lets datum.ts supply the datum parser (breaking the import cycle). */
export function setEnumDatumParser(parser: DatumParser): void {
  parseEnumDatum = parser;
}

/** Parses a <base-type>. Throws OvsdbError. */
export function baseTypeFromJson(json: Json): BaseType {
  if (typeof json === "string") return baseType(atomicTypeFromJson(json));
  const p = new MemberParser(json, "ovsdb type");
  const typeJson = p.member("type", ["string"]);
  if (p.error || typeJson === undefined) throw p.finish()!;
  const base = baseType(atomicTypeFromJson(typeJson));
  const enumJson = p.member("enum", ["any"], true);
  if (enumJson !== undefined) {
    if (!parseEnumDatum) throw new TypeError("datum parser not registered");
    base.enum = parseEnumDatum(enumType(base.type), enumJson);
  } else if (base.type === "integer") {
    const min = p.member("minInteger", ["integer"], true);
    const max = p.member("maxInteger", ["integer"], true);
    if (min !== undefined) base.minInteger = BigInt(min as bigint | number);
    if (max !== undefined) base.maxInteger = BigInt(max as bigint | number);
    if (base.minInteger > base.maxInteger) {
      throw syntaxError(json, null, "minInteger exceeds maxInteger");
    }
  } else if (base.type === "real") {
    const min = p.member("minReal", ["number"], true);
    const max = p.member("maxReal", ["number"], true);
    if (min !== undefined) base.minReal = Number(min);
    if (max !== undefined) base.maxReal = Number(max);
    if (base.minReal > base.maxReal) throw syntaxError(json, null, "minReal exceeds maxReal");
  } else if (base.type === "string") {
    const min = optionalUint(p, "minLength");
    const max = optionalUint(p, "maxLength");
    if (min !== undefined) base.minLength = min;
    if (max !== undefined) base.maxLength = max;
    if (base.minLength > base.maxLength) {
      throw syntaxError(json, null, "minLength exceeds maxLength");
    }
  } else if (base.type === "uuid") {
    const refTable = p.member("refTable", ["id"], true);
    if (typeof refTable === "string") {
      base.refTable = refTable;
      const refType = p.member("refType", ["id"], true);
      if (typeof refType === "string") {
        if (refType !== "strong" && refType !== "weak") {
          throw syntaxError(
            json,
            null,
            `refType must be "strong" or "weak" (not "${refType}")`,
          );
        }
        base.refType = refType;
      }
    }
  }
  const error = p.finish();
  if (error) throw error;
  return base;
}

type DatumPrinter = (datum: Datum, type: OvsdbType) => Json;
let printEnumDatum: DatumPrinter | undefined;

/** Lets datum.ts supply the datum printer (breaking the import cycle). */
export function setEnumDatumPrinter(printer: DatumPrinter): void {
  printEnumDatum = printer;
}

/** Prints a <base-type> as upstream does. */
export function baseTypeToJson(b: BaseType): Json {
  if (!hasConstraints(b)) return b.type;
  const out: JsonObject = { type: b.type };
  if (b.enum && printEnumDatum) out.enum = printEnumDatum(b.enum, enumType(b.type));
  if (b.type === "integer") {
    if (b.minInteger !== INT64_MIN) out.minInteger = b.minInteger;
    if (b.maxInteger !== INT64_MAX) out.maxInteger = b.maxInteger;
  } else if (b.type === "real") {
    if (b.minReal !== -DBL_MAX) out.minReal = b.minReal;
    if (b.maxReal !== DBL_MAX) out.maxReal = b.maxReal;
  } else if (b.type === "string") {
    if (b.minLength !== 0) out.minLength = BigInt(b.minLength);
    if (b.maxLength !== UINT_MAX) out.maxLength = BigInt(b.maxLength);
  } else if (b.type === "uuid" && b.refTable !== undefined) {
    out.refTable = b.refTable;
    if (b.refType === "weak") out.refType = "weak";
  }
  return out;
}

function countFromJson(json: Json | undefined, fallback: number): number {
  if (json === undefined) return fallback;
  const n = typeof json === "bigint" || (typeof json === "number" && Number.isInteger(json))
    ? BigInt(json)
    : -1n;
  if (n < 0n || n >= BigInt(UINT_MAX)) throw syntaxError(json, null, "bad min or max value");
  return Number(n);
}

/** Parses a <type>. Throws OvsdbError. */
export function typeFromJson(json: Json): OvsdbType {
  if (typeof json === "string") {
    return { key: baseTypeFromJson(json), value: null, min: 1, max: 1 };
  }
  if (!isObject(json)) throw syntaxError(json, null, "ovsdb type expected");
  const p = new MemberParser(json, "ovsdb type");
  const key = p.member("key", ["string", "object"]);
  const value = p.member("value", ["string", "object"], true);
  const min = p.member("min", ["integer"], true);
  const max = p.member("max", ["integer", "string"], true);
  const error = p.finish();
  if (error) throw error;
  const type: OvsdbType = {
    key: baseTypeFromJson(key!),
    value: value === undefined ? null : baseTypeFromJson(value),
    min: countFromJson(min, 1),
    max: max === "unlimited" ? UINT_MAX : countFromJson(max, 1),
  };
  if (type.min > 1 || type.max < 1) {
    throw syntaxError(json, null, "ovsdb type fails constraint checks");
  }
  return type;
}

/** Prints a <type> as upstream does. */
export function typeToJson(t: OvsdbType): Json {
  if (isScalar(t) && !hasConstraints(t.key)) return baseTypeToJson(t.key);
  const out: JsonObject = { key: baseTypeToJson(t.key) };
  if (t.value) out.value = baseTypeToJson(t.value);
  if (t.min !== 1) out.min = BigInt(t.min);
  if (t.max === UINT_MAX) out.max = "unlimited";
  else if (t.max !== 1) out.max = BigInt(t.max);
  return out;
}

/** Upstream's ovsdb_type_to_english(), e.g. "set of up to 2 strings". */
export function typeToEnglish(t: OvsdbType): string {
  if (isScalar(t)) return t.key.type;
  let s = t.value ? "map" : "set";
  if (t.max === UINT_MAX) s += t.min ? ` of ${t.min} or more` : " of";
  else if (t.min) s += ` of ${t.min} to ${t.max}`;
  else s += ` of up to ${t.max}`;
  return t.value ? `${s} (${t.key.type}, ${t.value.type}) pairs` : `${s} ${t.key.type}s`;
}

/** Whether `t` has any strong references. */
export function hasStrongRefs(t: OvsdbType): boolean {
  return (t.key.refTable !== undefined && t.key.refType === "strong") ||
    (t.value !== null && t.value.refTable !== undefined && t.value.refType === "strong");
}

/** Whether `t` has any references. */
export function hasRefs(t: OvsdbType): boolean {
  return t.key.refTable !== undefined || (t.value !== null && t.value.refTable !== undefined);
}
