// The human ("ovs-vsctl") syntax for atoms and datums, as upstream's ovsdb_atom_from_string,
// ovsdb_datum_from_string and their *_to_string counterparts: `a`, `"quoted"`, `[a, b]`,
// `{k=v}`, integer ranges `1-5` in sets, `@name` for named UUIDs. Owns only text conversion.
// Promises: parse failures throw SyntaxError with upstream's message text; printing matches
// upstream byte for byte. Must not know about rows, tables or transactions.

import { formatG, parseOvsJson, quoteString } from "./json.ts";
import type { Atom, Datum, SymbolTable } from "./datum.ts";
import type { AtomicType, BaseType, OvsdbType } from "./types.ts";
import { isMap, typeToEnglish } from "./types.ts";
import { OvsdbError } from "./error.ts";

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

function stringNeedsQuotes(s: string): boolean {
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(s)) return true;
  return s === "true" || s === "false" || UUID_RE.test(s);
}

/** Prints an atom as upstream's ovsdb_atom_to_string(). */
export function atomToString(atom: Atom, type: AtomicType): string {
  switch (type) {
    case "integer":
      return String(atom);
    case "real":
      return formatG(atom as number, 15);
    case "boolean":
      return atom ? "true" : "false";
    case "string":
      return stringNeedsQuotes(atom as string) ? quoteString(atom as string) : (atom as string);
    case "uuid":
      return atom as string;
  }
}

/** Prints a datum as upstream's ovsdb_datum_to_string(). */
export function datumToString(d: Datum, type: OvsdbType): string {
  const map = isMap(type);
  const brackets = type.max > 1 || d.keys.length === 0;
  const parts = d.keys.map((k, i) =>
    map
      ? `${atomToString(k, type.key.type)}=${atomToString(d.values![i]!, type.value!.type)}`
      : atomToString(k, type.key.type)
  );
  const body = parts.join(", ");
  return brackets ? (map ? `{${body}}` : `[${body}]`) : body;
}

const DELIMS = ":=, []{}!<>";

function isDelim(c: string): boolean {
  return DELIMS.includes(c);
}

/** Splits off one token (upstream's ovsdb_token_parse). Returns [token, rest]. */
export function parseToken(s: string): [string, string] {
  let out = "";
  let inQuotes = false;
  let i = 0;
  while (i < s.length) {
    const c = s[i++]!;
    if (c === "\\") {
      if (inQuotes) out += "\\";
      if (i >= s.length) throw new SyntaxError(`${s}: backslash at end of argument`);
      out += s[i++];
    } else if (!inQuotes && isDelim(c)) {
      i--;
      break;
    } else {
      out += c;
      if (c === '"') inQuotes = !inQuotes;
    }
  }
  if (inQuotes) throw new SyntaxError(`${s}: quoted string extends past end of argument`);
  return [out, s.slice(i)];
}

/** An atom and, for an integer range "a-b", its end. */
interface ParsedAtom {
  atom: Atom;
  rangeEnd?: bigint;
}

const INTEGER = /^[-+]?[0-9]+$/;

function atomFromStringRaw(
  s: string,
  base: BaseType,
  symtab: SymbolTable | undefined,
  allowRange: boolean,
): ParsedAtom {
  switch (base.type) {
    case "integer": {
      const range = /^([-+]?[0-9]+)-([-+]?[0-9]+)$/.exec(s);
      if (allowRange && range) {
        const start = BigInt(range[1]!);
        const end = BigInt(range[2]!);
        if (end < start) {
          throw new SyntaxError(`"${s}" is not a valid range. Range end cannot be before start.`);
        }
        return { atom: start, rangeEnd: end };
      }
      if (!INTEGER.test(s)) throw new SyntaxError(`"${s}" is not a valid integer or range`);
      const v = BigInt(s);
      if (v < -(2n ** 63n) || v >= 2n ** 63n) {
        throw new SyntaxError(`"${s}" is not a valid integer or range`);
      }
      return { atom: v };
    }
    case "real": {
      const v = s.trim() === s && s !== "" ? Number(s) : NaN;
      if (!Number.isFinite(v) || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) {
        throw new SyntaxError(`"${s}" is not a valid real number`);
      }
      return { atom: v === 0 ? 0 : v };
    }
    case "boolean":
      if (["true", "yes", "on", "1"].includes(s)) return { atom: true };
      if (["false", "no", "off", "0"].includes(s)) return { atom: false };
      throw new SyntaxError(`"${s}" is not a valid boolean (use "true" or "false")`);
    case "string":
      if (s === "") {
        throw new SyntaxError(
          'An empty string is not valid as input; use "" to represent the empty string',
        );
      }
      if (s.startsWith('"')) {
        if (s.length < 2 || !s.endsWith('"')) {
          throw new SyntaxError(`${s}: missing quote at end of quoted string`);
        }
        try {
          return { atom: parseOvsJson(s) as string };
        } catch (e) {
          throw new SyntaxError(`${s}: ${(e as Error).message}`);
        }
      }
      return { atom: s };
    case "uuid":
      if (s.startsWith("@")) {
        if (!symtab) throw new SyntaxError(`"${s}" is not a valid UUID`);
        const symbol = symtab.insert(s);
        if (base.refTable !== undefined) {
          if (base.refType === "strong") symbol.strongRef = true;
          else symbol.weakRef = true;
        }
        return { atom: symbol.uuid };
      }
      if (!UUID_RE.test(s)) throw new SyntaxError(`"${s}" is not a valid UUID`);
      return { atom: s.toLowerCase() };
  }
}

type ConstraintChecker = (atom: Atom, base: BaseType) => void;
let checkConstraints: ConstraintChecker = () => {};

/** Lets datum.ts supply the constraint checker (breaking the import cycle). */
export function setConstraintChecker(checker: ConstraintChecker): void {
  checkConstraints = checker;
}

const MAX_RANGE = 4096;

function checked(p: ParsedAtom, base: BaseType): ParsedAtom {
  try {
    checkConstraints(p.atom, base);
    if (p.rangeEnd !== undefined) {
      if (base.enum) {
        for (let i = (p.atom as bigint) + 1n; i <= p.rangeEnd; i++) checkConstraints(i, base);
      } else checkConstraints(p.rangeEnd, base);
      const start = p.atom as bigint;
      if (p.rangeEnd - start >= BigInt(MAX_RANGE)) {
        throw new OvsdbError(
          "constraint violation",
          `Range "${start}-${p.rangeEnd}" is too big. Maximum allowed size is ${MAX_RANGE}.`,
        );
      }
    }
  } catch (e) {
    if (e instanceof OvsdbError) throw new SyntaxError(e.toString());
    throw e;
  }
  return p;
}

/** Parses one atom from its string form (upstream's ovsdb_atom_from_string). */
export function atomFromString(s: string, base: BaseType, symtab?: SymbolTable): Atom {
  return checked(atomFromStringRaw(s, base, symtab, false), base).atom;
}

function skipSpaces(s: string): string {
  return s.replace(/^\s+/, "");
}

/** Parses a datum from its string form (upstream's ovsdb_datum_from_string). */
export function datumFromString(s: string, type: OvsdbType, symtab?: SymbolTable): Datum {
  const map = isMap(type);
  const d: Datum = { keys: [], values: map ? [] : null };
  let p = skipSpaces(s);
  let endDelim = "";
  if (p.startsWith(map ? "{" : "[")) {
    endDelim = map ? "}" : "]";
    p = skipSpaces(p.slice(1));
  } else if (p === "") {
    throw new SyntaxError(
      map ? 'use "{}" to specify the empty map' : 'use "[]" to specify the empty set',
    );
  }
  while (p !== "" && p[0] !== endDelim) {
    if (isDelim(p[0]!)) {
      throw new SyntaxError(`${s}: unexpected "${p[0]}" parsing ${typeToEnglish(type)}`);
    }
    const start = p;
    const [keyToken, afterKey] = parseToken(p);
    const key = checked(atomFromStringRaw(keyToken, type.key, symtab, true), type.key);
    p = afterKey;
    let value: Atom | undefined;
    if (map) {
      p = skipSpaces(p);
      if (p[0] !== "=") {
        throw new SyntaxError(`${start}: syntax error at "${p[0] ?? ""}" expecting "="`);
      }
      p = skipSpaces(p.slice(1));
      const [valueToken, afterValue] = parseToken(p);
      value = checked(atomFromStringRaw(valueToken, type.value!, symtab, false), type.value!).atom;
      p = afterValue;
    }
    if (key.rangeEnd !== undefined) {
      for (let i = key.atom as bigint; i <= key.rangeEnd; i++) {
        d.keys.push(i);
        if (d.values) d.values.push(value!);
      }
    } else {
      d.keys.push(key.atom);
      if (d.values) d.values.push(value!);
    }
    p = skipSpaces(p);
    if (p[0] === ",") p = skipSpaces(p.slice(1));
  }
  if ((p[0] ?? "") !== endDelim) {
    throw new SyntaxError(`${s}: missing "${endDelim}" at end of data`);
  }
  if (endDelim) {
    p = skipSpaces(p.slice(1));
    if (p !== "") throw new SyntaxError(`${s}: trailing garbage after "${endDelim}"`);
  }
  const what = map ? "pair(s)" : "value(s)";
  if (d.keys.length < type.min) {
    throw new SyntaxError(
      `${s}: ${d.keys.length} ${what} specified but the minimum number is ${type.min}`,
    );
  }
  if (d.keys.length > type.max) {
    throw new SyntaxError(
      `${s}: ${d.keys.length} ${what} specified but the maximum number is ${type.max}`,
    );
  }
  if (!sortKeys(d)) {
    throw new SyntaxError(
      map ? `${s}: map contains duplicate key` : `${s}: set contains duplicate value`,
    );
  }
  return d;
}

function compare(a: Atom, b: Atom): number {
  if (typeof a === "string" && typeof b === "string") {
    const x = new TextEncoder().encode(a);
    const y = new TextEncoder().encode(b);
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      if (x[i] !== y[i]) return x[i]! - y[i]!;
    }
    return x.length - y.length;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortKeys(d: Datum): boolean {
  const idx = d.keys.map((_, i) => i).sort((i, j) => compare(d.keys[i]!, d.keys[j]!));
  d.keys = idx.map((i) => d.keys[i]!);
  if (d.values) d.values = idx.map((i) => d.values![i]!);
  return d.keys.every((k, i) => i === 0 || compare(d.keys[i - 1]!, k) !== 0);
}
