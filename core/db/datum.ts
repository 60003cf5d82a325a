// OVSDB atoms and datums (lib/ovsdb-data.c): values of columns. An `Atom` is a bigint
// (integer), number (real), boolean, or string (string, or a UUID in canonical lowercase form —
// the column type says which). A `Datum` holds sorted unique keys and, for maps, parallel values.
// Owns RFC 7047 JSON notation in both directions (["set",...], ["map",...], ["uuid",...],
// ["named-uuid",...] through a symbol table), upstream's canonical ordering, constraint
// checks with upstream's details texts, and the set algebra mutations and file diffs need.
// Promises: every datum this module returns is sorted and unique; parse errors are OvsdbError.
// Must not know about rows, tables or transactions.

import { compareBytes, formatG, type Json } from "./json.ts";
import { isId, OvsdbError, syntaxError } from "./error.ts";
import {
  type BaseType,
  enumType,
  isComposite,
  isMap,
  type OvsdbType,
  setEnumDatumParser,
  setEnumDatumPrinter,
  UINT_MAX,
} from "./types.ts";
import { atomToString, datumToString, setConstraintChecker } from "./data_string.ts";

export type Atom = bigint | number | boolean | string;

export interface Datum {
  keys: Atom[];
  /** Parallel to `keys` for maps; null for sets and scalars. */
  values: Atom[] | null;
}

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** Whether `s` is a UUID in upstream's accepted syntax. */
export function isUuid(s: string): boolean {
  return UUID_RE.test(s);
}

export const ZERO_UUID = "00000000-0000-0000-0000-000000000000";

/** A named-uuid symbol, as upstream's ovsdb_symbol. */
export interface OvsdbSymbol {
  uuid: string;
  created: boolean;
  strongRef: boolean;
  weakRef: boolean;
}

/** Named UUIDs of one transaction. */
export class SymbolTable {
  readonly symbols = new Map<string, OvsdbSymbol>();

  /** The symbol `name`, created with a fresh UUID if new. */
  insert(name: string): OvsdbSymbol {
    let s = this.symbols.get(name);
    if (!s) {
      s = { uuid: crypto.randomUUID(), created: false, strongRef: false, weakRef: false };
      this.symbols.set(name, s);
    }
    return s;
  }
}

/** The default atom of `type`: 0, 0.0, false, "", all-zeros UUID. */
export function defaultAtom(type: BaseType["type"]): Atom {
  switch (type) {
    case "integer":
      return 0n;
    case "real":
      return 0;
    case "boolean":
      return false;
    case "string":
      return "";
    case "uuid":
      return ZERO_UUID;
  }
}

/** The default datum of `type`: empty unless min is 1. */
export function defaultDatum(type: OvsdbType): Datum {
  if (type.min === 0) return { keys: [], values: type.value ? [] : null };
  return {
    keys: [defaultAtom(type.key.type)],
    values: type.value ? [defaultAtom(type.value.type)] : null,
  };
}

export function isDefaultDatum(d: Datum, type: OvsdbType): boolean {
  if (type.min === 0) return d.keys.length === 0;
  return d.keys.length === 1 && atomEquals(d.keys[0]!, defaultAtom(type.key.type)) &&
    (!type.value || atomEquals(d.values![0]!, defaultAtom(type.value.type)));
}

/** Three-way comparison of atoms of one type, as upstream orders them. */
export function compareAtoms(a: Atom, b: Atom): number {
  if (typeof a === "string" && typeof b === "string") return compareBytes(a, b);
  if (typeof a === "boolean" && typeof b === "boolean") return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

export function atomEquals(a: Atom, b: Atom): boolean {
  return compareAtoms(a, b) === 0;
}

/** Three-way comparison of datums (keys, then values), as upstream's datum_compare_3way. */
export function compareDatums(a: Datum, b: Datum): number {
  if (a.keys.length !== b.keys.length) return a.keys.length < b.keys.length ? -1 : 1;
  for (let i = 0; i < a.keys.length; i++) {
    const c = compareAtoms(a.keys[i]!, b.keys[i]!);
    if (c) return c;
  }
  if (a.values && b.values) {
    for (let i = 0; i < a.values.length; i++) {
      const c = compareAtoms(a.values[i]!, b.values[i]!);
      if (c) return c;
    }
  }
  return 0;
}

export function datumEquals(a: Datum, b: Datum): boolean {
  return compareDatums(a, b) === 0;
}

export function cloneDatum(d: Datum): Datum {
  return { keys: [...d.keys], values: d.values ? [...d.values] : null };
}

/** Index of `key` in sorted `d`, or -1. */
export function findKey(d: Datum, key: Atom): number {
  let lo = 0;
  let hi = d.keys.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = compareAtoms(d.keys[mid]!, key);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Whether `d`'s keys are already strictly increasing (sorted, no repeats). */
function isSortedUnique(d: Datum): boolean {
  const keys = d.keys;
  for (let i = 1; i < keys.length; i++) if (compareAtoms(keys[i - 1]!, keys[i]!) >= 0) return false;
  return true;
}

/** Sorts `d` in place by key; throws when keys repeat (upstream's ovsdb_datum_sort). */
export function sortDatum(d: Datum): void {
  if (d.keys.length < 2 || isSortedUnique(d)) return;
  const idx = d.keys.map((_, i) => i);
  idx.sort((i, j) => compareAtoms(d.keys[i]!, d.keys[j]!));
  d.keys = idx.map((i) => d.keys[i]!);
  if (d.values) d.values = idx.map((i) => d.values![i]!);
  for (let i = 0; i + 1 < d.keys.length; i++) {
    if (atomEquals(d.keys[i]!, d.keys[i + 1]!)) {
      throw new OvsdbError(
        "ovsdb error",
        d.values ? "map contains duplicate key" : "set contains duplicate",
      );
    }
  }
}

/** Sorts and removes duplicate keys (first occurrence wins). */
export function sortUniqueDatum(d: Datum): void {
  if (d.keys.length < 2 || isSortedUnique(d)) return;
  const idx = d.keys.map((_, i) => i);
  idx.sort((i, j) => compareAtoms(d.keys[i]!, d.keys[j]!) || i - j);
  const keep = idx.filter((i, n) => n === 0 || !atomEquals(d.keys[idx[n - 1]!]!, d.keys[i]!));
  d.keys = keep.map((i) => d.keys[i]!);
  if (d.values) d.values = keep.map((i) => d.values![i]!);
}

/** Checks `atom` against the constraints of `base` (UUID refs are checked at commit). */
export function checkAtomConstraints(atom: Atom, base: BaseType): void {
  if (base.enum && findKey(base.enum, atom) < 0) {
    throw new OvsdbError(
      "constraint violation",
      `${atomToString(atom, base.type)} is not one of the allowed values (${
        datumToString(base.enum, enumType(base.type))
      })`,
    );
  }
  if (base.type === "integer" && typeof atom === "bigint") {
    const { minInteger: min, maxInteger: max } = base;
    if (atom >= min && atom <= max) return;
    const hasMin = min !== -(2n ** 63n);
    const hasMax = max !== 2n ** 63n - 1n;
    if (hasMin && hasMax) {
      throw new OvsdbError(
        "constraint violation",
        `${atom} is not in the valid range ${min} to ${max} (inclusive)`,
      );
    }
    if (hasMin) {
      throw new OvsdbError(
        "constraint violation",
        `${atom} is less than minimum allowed value ${min}`,
      );
    }
    throw new OvsdbError(
      "constraint violation",
      `${atom} is greater than maximum allowed value ${max}`,
    );
  }
  if (base.type === "real" && typeof atom === "number") {
    const { minReal: min, maxReal: max } = base;
    if (atom >= min && atom <= max) return;
    const hasMin = min !== -Number.MAX_VALUE;
    const hasMax = max !== Number.MAX_VALUE;
    const g = (x: number) => formatG(x, 15);
    if (hasMin && hasMax) {
      throw new OvsdbError(
        "constraint violation",
        `${g(atom)} is not in the valid range ${g(min)} to ${g(max)} (inclusive)`,
      );
    }
    if (hasMin) {
      throw new OvsdbError(
        "constraint violation",
        `${g(atom)} is less than minimum allowed value ${g(min)}`,
      );
    }
    throw new OvsdbError(
      "constraint violation",
      `${g(atom)} is greater than maximum allowed value ${g(max)}`,
    );
  }
  if (base.type === "string" && typeof atom === "string") {
    const n = [...atom].length;
    if (n < base.minLength) {
      throw new OvsdbError(
        "constraint violation",
        `"${atom}" length ${n} is less than minimum allowed length ${base.minLength}`,
      );
    }
    if (n > base.maxLength) {
      throw new OvsdbError(
        "constraint violation",
        `"${atom}" length ${n} is greater than maximum allowed length ${base.maxLength}`,
      );
    }
  }
}

/** Checks every atom of `d` against `type`'s constraints. */
export function checkDatumConstraints(d: Datum, type: OvsdbType): void {
  for (const k of d.keys) checkAtomConstraints(k, type.key);
  if (d.values && type.value) { for (const v of d.values) checkAtomConstraints(v, type.value); }
}

function unwrap(json: Json, name: string, valueType: "string" | "array"): Json | undefined {
  if (
    Array.isArray(json) && json.length === 2 && json[0] === name &&
    (valueType === "string" ? typeof json[1] === "string" : Array.isArray(json[1]))
  ) return json[1];
  return undefined;
}

function parseUuidAtom(json: Json, base: BaseType, symtab?: SymbolTable): string {
  const plain = unwrap(json, "uuid", "string");
  if (typeof plain === "string") {
    if (!isUuid(plain)) throw syntaxError(json, null, `"${plain}" is not a valid UUID`);
    return plain.toLowerCase();
  }
  if (symtab) {
    const named = unwrap(json, "named-uuid", "string");
    if (typeof named === "string") {
      if (!isId(named)) throw syntaxError(json, null, "named-uuid string is not a valid <id>");
      const symbol = symtab.insert(named);
      if (base.refTable !== undefined) {
        if (base.refType === "strong") symbol.strongRef = true;
        else symbol.weakRef = true;
      }
      return symbol.uuid;
    }
  }
  throw syntaxError(json, null, `expected ["uuid", <string>]`);
}

/** Parses an atom without checking constraints. Throws OvsdbError. */
export function atomFromJsonUnchecked(json: Json, base: BaseType, symtab?: SymbolTable): Atom {
  switch (base.type) {
    case "integer":
      if (typeof json === "bigint") return json;
      if (typeof json === "number" && Number.isSafeInteger(json)) return BigInt(json);
      break;
    case "real":
      if (typeof json === "number") return json;
      if (typeof json === "bigint") return Number(json);
      break;
    case "boolean":
      if (typeof json === "boolean") return json;
      break;
    case "string":
      if (typeof json === "string") return json;
      break;
    case "uuid":
      return parseUuidAtom(json, base, symtab);
  }
  throw syntaxError(json, null, `expected ${base.type}`);
}

/** Parses an atom and checks its constraints. Throws OvsdbError. */
export function atomFromJson(json: Json, base: BaseType, symtab?: SymbolTable): Atom {
  const atom = atomFromJsonUnchecked(json, base, symtab);
  checkAtomConstraints(atom, base);
  return atom;
}

/** Prints an atom in RFC 7047 notation. */
export function atomToJson(atom: Atom, type: BaseType["type"]): Json {
  if (type === "uuid") return ["uuid", atom as string];
  return atom;
}

/** Parses a datum of `type` (count, constraints and duplicates checked). Throws OvsdbError. */
export function datumFromJson(json: Json, type: OvsdbType, symtab?: SymbolTable): Datum {
  const map = isMap(type);
  if (map || (Array.isArray(json) && json.length > 0 && json[0] === "set")) {
    const kind = map ? "map" : "set";
    const inner = unwrap(json, kind, "array");
    if (!Array.isArray(inner)) throw syntaxError(json, null, `expected ["${kind}", <array>]`);
    const n = inner.length;
    if (n < type.min || n > type.max) {
      if (type.min === 1 && type.max === 1) {
        throw syntaxError(json, null, `${kind} must have exactly one member but ${n} are present`);
      }
      throw syntaxError(
        json,
        null,
        `${kind} must have ${type.min} to ${type.max} members but ${n} are present`,
      );
    }
    // Arrays of exactly the right size: a datum may live as long as its row, and arrays grown
    // by push keep room for 16 or more atoms.
    const keys = new Array<Atom>(n);
    const values = map ? new Array<Atom>(n) : null;
    for (let i = 0; i < n; i++) {
      const element = inner[i]!;
      if (values) {
        if (!Array.isArray(element) || element.length !== 2) {
          throw syntaxError(element, null, "expected 2-element array");
        }
        keys[i] = atomFromJson(element[0]!, type.key, symtab);
        values[i] = atomFromJson(element[1]!, type.value!, symtab);
      } else {
        keys[i] = atomFromJson(element, type.key, symtab);
      }
    }
    const d: Datum = { keys, values };
    sortDatum(d);
    return d;
  }
  return { keys: [atomFromJson(json, type.key, symtab)], values: null };
}

/** Parses a datum ignoring count limits (upstream's transient datum, used for diffs). */
export function transientDatumFromJson(json: Json, type: OvsdbType): Datum {
  return datumFromJson(json, { ...type, min: 0, max: UINT_MAX });
}

/** Prints a datum in RFC 7047 notation, as upstream's ovsdb_datum_to_json(). */
export function datumToJson(d: Datum, type: OvsdbType): Json {
  if (type.value) {
    return [
      "map",
      d.keys.map((
        k,
        i,
      ) => [atomToJson(k, type.key.type), atomToJson(d.values![i]!, type.value!.type)]),
    ];
  }
  if (d.keys.length === 1) return atomToJson(d.keys[0]!, type.key.type);
  return ["set", d.keys.map((k) => atomToJson(k, type.key.type))];
}

/** `d` with arrays of exactly its size (push-built arrays keep spare room). */
export function compactDatum(d: Datum): Datum {
  return { keys: d.keys.slice(), values: d.values ? d.values.slice() : null };
}

/** Union: adds keys of `b` missing from `a` (existing map keys keep their values). */
export function datumUnion(a: Datum, b: Datum): Datum {
  const out = cloneDatum(a);
  for (let i = 0; i < b.keys.length; i++) {
    if (findKey(a, b.keys[i]!) < 0) {
      out.keys.push(b.keys[i]!);
      if (out.values) out.values.push(b.values ? b.values[i]! : b.keys[i]!);
    }
  }
  sortUniqueDatum(out);
  return compactDatum(out);
}

/**
 * Subtracts `b` from `a`. For maps, a key-only `b` (values null) removes by key; a map `b`
 * removes only pairs whose key and value both match.
 */
export function datumSubtract(a: Datum, b: Datum): Datum {
  const out: Datum = { keys: [], values: a.values ? [] : null };
  for (let i = 0; i < a.keys.length; i++) {
    const j = findKey(b, a.keys[i]!);
    const remove = j >= 0 && (!a.values || !b.values || atomEquals(a.values[i]!, b.values[j]!));
    if (!remove) {
      out.keys.push(a.keys[i]!);
      if (out.values) out.values.push(a.values![i]!);
    }
  }
  return compactDatum(out);
}

/** Whether every key (and, for maps, pair) of `b` is in `a`. */
export function datumIncludesAll(a: Datum, b: Datum): boolean {
  return b.keys.every((k, i) => {
    const j = findKey(a, k);
    return j >= 0 && (!a.values || !b.values || atomEquals(a.values[j]!, b.values[i]!));
  });
}

/** Whether no key (or, for maps, pair) of `b` is in `a`. */
export function datumExcludesAll(a: Datum, b: Datum): boolean {
  return b.keys.every((k, i) => {
    const j = findKey(a, k);
    return j < 0 ||
      (a.values !== null && b.values !== null && !atomEquals(a.values[j]!, b.values[i]!));
  });
}

/** Upstream's ovsdb_datum_diff(): what to apply to `old` to get `new`. */
export function datumDiff(old: Datum, neu: Datum, type: OvsdbType): Datum {
  if (!isComposite(type)) return cloneDatum(neu);
  const out: Datum = { keys: [], values: type.value ? [] : null };
  const push = (d: Datum, i: number) => {
    out.keys.push(d.keys[i]!);
    if (out.values) out.values.push(d.values![i]!);
  };
  let o = 0;
  let n = 0;
  while (o < old.keys.length && n < neu.keys.length) {
    const c = compareAtoms(old.keys[o]!, neu.keys[n]!);
    if (c < 0) push(old, o++);
    else if (c > 0) push(neu, n++);
    else {
      if (type.value && !atomEquals(old.values![o]!, neu.values![n]!)) push(neu, n);
      o++;
      n++;
    }
  }
  while (o < old.keys.length) push(old, o++);
  while (n < neu.keys.length) push(neu, n++);
  return out;
}

/** Upstream's ovsdb_datum_apply_diff(). Throws when the result breaks `type`'s counts. */
export function datumApplyDiff(a: Datum, diff: Datum, type: OvsdbType): Datum {
  if (!isComposite(type)) return cloneDatum(diff);
  // Both are sorted: one merge pass. A key only in the diff is added, a key in both is removed
  // (or, for a map with a different value, takes the diff's value).
  const map = type.value !== null;
  const out: Datum = { keys: [], values: map ? [] : null };
  let i = 0;
  let j = 0;
  const ak = a.keys;
  const dk = diff.keys;
  while (i < ak.length || j < dk.length) {
    const c = i >= ak.length ? 1 : j >= dk.length ? -1 : compareAtoms(ak[i]!, dk[j]!);
    if (c < 0) {
      out.keys.push(ak[i]!);
      if (map) out.values!.push(a.values![i]!);
      i++;
    } else if (c > 0) {
      out.keys.push(dk[j]!);
      if (map) out.values!.push(diff.values![j]!);
      j++;
    } else {
      if (map && !atomEquals(diff.values![j]!, a.values![i]!)) {
        out.keys.push(dk[j]!);
        out.values!.push(diff.values![j]!);
      }
      i++;
      j++;
    }
  }
  if (out.keys.length < type.min || out.keys.length > type.max) {
    throw new OvsdbError("ovsdb error", "Datum crated by diff has size error");
  }
  return compactDatum(out);
}

setEnumDatumParser((type, json) => datumFromJson(json, type));
setEnumDatumPrinter((d, type) => datumToJson(d, type));
setConstraintChecker(checkAtomConstraints);
