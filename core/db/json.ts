// JSON exactly as upstream Open vSwitch reads and writes it (lib/json.c). Owns the OVSDB view of
// the shared `Json` type: integers are `bigint` (64-bit exact, as upstream's JSON_INTEGER) and
// reals are `number` (JSON_REAL). Promises: `parseOvsJson` classifies numbers as upstream does
// ("1.0" and "1e2" are integers, "1.5" is a real), rejects malformed input with upstream-style
// messages ("line L, column C, byte B: ..."), and never throws anything but SyntaxError;
// `toOvsJson` prints compact or pretty text byte-identical to upstream's, with reals as
// "%.15g", upstream's escapes, and object members in upstream's hash order (or sorted, as
// JSSF_SORT). A plain JS `number` that is an integer prints like an integer, so values from
// core/net's parser print correctly too. Must not do I/O.

import type { Json, JsonObject } from "../net/json_value.ts";
import { hashOrderDistinct } from "./hash_order.ts";

export type { Json, JsonObject };

const MAX_DEPTH = 1000;

/** Formats `x` like C's printf("%.*g", precision, x). */
export function formatG(x: number, precision = 15): string {
  if (Number.isNaN(x)) return x < 0 ? "-nan" : "nan";
  if (!Number.isFinite(x)) return x < 0 ? "-inf" : "inf";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const p = Math.max(1, precision);
  const exp = x.toExponential(p - 1);
  const eIndex = exp.indexOf("e");
  const e = Number(exp.slice(eIndex + 1));
  if (e < -4 || e >= p) {
    let mantissa = exp.slice(0, eIndex);
    if (mantissa.includes(".")) mantissa = mantissa.replace(/0+$/, "").replace(/\.$/, "");
    const sign = e < 0 ? "-" : "+";
    const digits = String(Math.abs(e)).padStart(2, "0");
    return `${mantissa}e${sign}${digits}`;
  }
  let fixed = x.toFixed(Math.max(0, p - 1 - e));
  if (fixed.includes(".")) fixed = fixed.replace(/0+$/, "").replace(/\.$/, "");
  return fixed;
}

const ESCAPES: Record<number, string> = { 8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r" };

/** Serialises a string as upstream's json_serialize_string. */
export function quoteString(s: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c) continue;
    out += s.slice(start, i);
    start = i + 1;
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += "\\\\";
    else out += ESCAPES[c] ?? `\\u${c.toString(16).padStart(4, "0")}`;
  }
  return out + s.slice(start) + '"';
}

export interface SerializeOptions {
  /** Pretty-print with two-space indentation (upstream's JSSF_PRETTY). */
  pretty?: boolean;
  /** Sort object members by name (JSSF_SORT); otherwise upstream's hash order. */
  sort?: boolean;
  /** Keep JS insertion order for object members (for tests and local use). */
  insertionOrder?: boolean;
}

function numberText(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  return formatG(x, 15);
}

/**
 * JSON text serialised beforehand, to be spliced verbatim into a larger value by `toOvsJson`
 * (how one monitor update is serialised once for every client that receives it). Only this
 * module's serialiser understands it.
 */
class RawJson {
  constructor(readonly text: string) {}
}

/** Wraps already serialised JSON `text` so `toOvsJson` copies it as is. */
export function rawJson(text: string): Json {
  return new RawJson(text) as unknown as Json;
}

/** Compact serialisation in upstream's hash order: the hot path of every reply and record. */
function compact(v: Json): string {
  switch (typeof v) {
    case "string":
      return quoteString(v);
    case "bigint":
      return v.toString();
    case "number":
      return numberText(v);
    case "boolean":
      return v ? "true" : "false";
  }
  if (v === null) return "null";
  if (Array.isArray(v)) {
    const n = v.length;
    if (n === 0) return "[]";
    let out = "[" + compact(v[0]!);
    for (let i = 1; i < n; i++) out += "," + compact(v[i]!);
    return out + "]";
  }
  if (v instanceof RawJson) return v.text;
  const keys = hashOrderDistinct(Object.keys(v));
  const n = keys.length;
  if (n === 0) return "{}";
  let out = "{";
  for (let i = 0; i < n; i++) {
    const k = keys[i]!;
    if (i) out += ",";
    out += quoteString(k) + ":" + compact(v[k]!);
  }
  return out + "}";
}

/** Serialises `value` as upstream's json_to_string(). */
export function toOvsJson(value: Json, options: SerializeOptions = {}): string {
  if (!options.pretty && !options.sort && !options.insertionOrder) return compact(value);
  const parts: string[] = [];
  const pretty = options.pretty === true;
  const orderKeys = (obj: JsonObject): readonly string[] => {
    const keys = Object.keys(obj);
    if (options.sort) return keys.sort(compareBytes);
    if (options.insertionOrder) return keys;
    return hashOrderDistinct(keys);
  };
  const indent = (depth: number) => {
    if (pretty) parts.push("\n" + " ".repeat(2 * depth));
  };
  const emit = (v: Json, depth: number): void => {
    if (v === null) parts.push("null");
    else if (v === true) parts.push("true");
    else if (v === false) parts.push("false");
    else if (typeof v === "bigint") parts.push(v.toString());
    else if (typeof v === "number") parts.push(numberText(v));
    else if (typeof v === "string") parts.push(quoteString(v));
    else if (Array.isArray(v)) {
      parts.push("[");
      if (v.length > 0) {
        indent(depth + 1);
        v.forEach((e, i) => {
          if (i) {
            parts.push(",");
            indent(depth + 1);
          }
          emit(e, depth + 1);
        });
      }
      parts.push("]");
    } else if (v instanceof RawJson) {
      parts.push(v.text);
    } else {
      parts.push("{");
      indent(depth + 1);
      orderKeys(v).forEach((k, i) => {
        if (i) {
          parts.push(",");
          indent(depth + 1);
        }
        parts.push(quoteString(k), pretty ? ": " : ":");
        emit(v[k]!, depth + 1);
      });
      parts.push("}");
    }
  };
  emit(value, 0);
  return parts.join("");
}

/** Compares two strings by their UTF-8 bytes (C's strcmp on UTF-8). */
export function compareBytes(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // UTF-16 order is code point order except that surrogates (U+10000 and up) sort below
    // U+E000..U+FFFF: lift them above that range.
    if (x >= 0xd800 && x < 0xe000) x += 0x10000;
    if (y >= 0xd800 && y < 0xe000) y += 0x10000;
    return x < y ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const UNDERFLOW = /[eE]-[0-9]{3}/;
const LONG_DIGITS = /[0-9]{16}/;

/** Why the native parser's value cannot be used as is. */
const SLOW = Symbol("slow");

interface NumberScan {
  numbers: boolean;
  zero: boolean;
}

/**
 * Turns the numbers of a value from JSON.parse into upstream's types in place: integers (any
 * whose decimal value is whole) become bigint, others stay reals. Returns SLOW when the double
 * cannot tell (a 64-bit integer beyond 2^53, an out-of-range real) or nesting is too deep, so
 * the exact parser must decide.
 */
function typeNumbers(v: unknown, depth: number, scan: NumberScan): unknown {
  if (typeof v === "number") {
    scan.numbers = true;
    if (Number.isSafeInteger(v)) {
      if (v === 0) scan.zero = true;
      return BigInt(v);
    }
    if (Number.isInteger(v) || !Number.isFinite(v)) return SLOW;
    return v;
  }
  if (typeof v !== "object" || v === null) return v;
  if (depth >= MAX_DEPTH) return SLOW;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const e = v[i];
      if (typeof e === "string") continue;
      const t = typeNumbers(e, depth + 1, scan);
      if (t === SLOW) return SLOW;
      if (t !== e) v[i] = t;
    }
    return v;
  }
  const obj = v as Record<string, unknown>;
  for (const k in obj) {
    const e = obj[k];
    if (typeof e === "string") continue;
    const t = typeNumbers(e, depth + 1, scan);
    if (t === SLOW) return SLOW;
    if (t !== e) obj[k] = t;
  }
  return v;
}

/**
 * Parses one JSON text as upstream's json_from_string(). Throws SyntaxError. Well-formed text
 * goes through the native parser, its numbers then typed as upstream types them; anything the
 * native result cannot settle exactly (malformed text, for upstream's error message; escaped NUL
 * bytes; numbers needing more than a double's precision) goes through the exact parser.
 */
export function parseOvsJson(text: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return parseExact(text);
  }
  if (typeof value === "string") return value.includes("\0") ? parseExact(text) : value;
  if (text.includes("\\u0000")) return parseExact(text);
  const scan: NumberScan = { numbers: false, zero: false };
  let typed: unknown;
  try {
    typed = typeNumbers(value, 0, scan);
  } catch {
    // Nesting deep enough to exhaust the stack: the exact parser reports the depth limit.
    return parseExact(text);
  }
  if (typed === SLOW) return parseExact(text);
  // A run of 16+ digits may be a number the double rounded; a zero may be an underflow.
  if (scan.numbers && (LONG_DIGITS.test(text) || (scan.zero && UNDERFLOW.test(text)))) {
    return parseExact(text);
  }
  return typed as Json;
}

/** The exact parser: upstream's number rules and error messages. Throws SyntaxError. */
export function parseExact(text: string): Json {
  let pos = 0;
  let line = 0;
  let lineStart = 0;
  const fail = (msg: string): never => {
    const byte = new TextEncoder().encode(text.slice(0, pos)).length;
    throw new SyntaxError(`line ${line}, column ${pos - lineStart}, byte ${byte}: ${msg}`);
  };
  const skipSpace = () => {
    while (pos < text.length) {
      const c = text[pos];
      if (c === "\n") {
        line++;
        pos++;
        lineStart = pos;
      } else if (c === " " || c === "\t" || c === "\r") pos++;
      else break;
    }
  };
  const parseNumber = (): Json => {
    const m = /^[-+.0-9eE]*/.exec(text.slice(pos));
    const token = m ? m[0] : "";
    pos += token.length;
    return numberFromToken(token, fail);
  };
  const parseString = (): string => {
    pos++;
    let out = "";
    let start = pos;
    for (;;) {
      if (pos >= text.length) fail("unexpected end of input in quoted string");
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        out += text.slice(start, pos);
        pos++;
        return out;
      }
      if (c < 0x20) {
        fail(`U+${c.toString(16).toUpperCase().padStart(4, "0")} must be escaped in quoted string`);
      }
      if (c === 0x5c) {
        out += text.slice(start, pos);
        pos++;
        const e = text[pos];
        const simple: Record<string, string> = {
          '"': '"',
          "\\": "\\",
          "/": "/",
          b: "\b",
          f: "\f",
          n: "\n",
          r: "\r",
          t: "\t",
        };
        if (e !== undefined && simple[e] !== undefined) {
          out += simple[e];
          pos++;
        } else if (e === "u") {
          const hex = text.slice(pos + 1, pos + 5);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail("malformed \\u escape");
          let cp = parseInt(hex, 16);
          pos += 5;
          if (cp >= 0xd800 && cp < 0xdc00 && text.startsWith("\\u", pos)) {
            const lo = parseInt(text.slice(pos + 2, pos + 6), 16);
            if (lo >= 0xdc00 && lo < 0xe000) {
              cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
              pos += 6;
            }
          }
          if (cp === 0) fail("null bytes not supported in quoted strings");
          out += String.fromCodePoint(cp);
        } else {
          fail(`bad escape \\${e ?? ""}`);
        }
        start = pos;
        continue;
      }
      pos++;
    }
  };
  const parseValue = (depth: number): Json => {
    if (depth > MAX_DEPTH) fail(`input exceeds maximum nesting depth ${MAX_DEPTH}`);
    skipSpace();
    if (pos >= text.length) fail("unexpected end of input");
    const c = text[pos]!;
    if (c === "{") {
      pos++;
      const obj: JsonObject = {};
      skipSpace();
      if (text[pos] === "}") {
        pos++;
        return obj;
      }
      for (;;) {
        skipSpace();
        if (text[pos] !== '"') fail("syntax error parsing object expecting string");
        const key = parseString();
        skipSpace();
        if (text[pos] !== ":") fail("syntax error parsing object expecting ':'");
        pos++;
        const v = parseValue(depth + 1);
        if (key === "__proto__") {
          Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true });
        } else obj[key] = v;
        skipSpace();
        if (text[pos] === ",") {
          pos++;
          continue;
        }
        if (text[pos] === "}") {
          pos++;
          return obj;
        }
        fail("syntax error expecting '}' or ','");
      }
    }
    if (c === "[") {
      pos++;
      const arr: Json[] = [];
      skipSpace();
      if (text[pos] === "]") {
        pos++;
        return arr;
      }
      for (;;) {
        arr.push(parseValue(depth + 1));
        skipSpace();
        if (text[pos] === ",") {
          pos++;
          continue;
        }
        if (text[pos] === "]") {
          pos++;
          return arr;
        }
        fail("syntax error expecting ']' or ','");
      }
    }
    if (c === '"') return parseString();
    if (c === "-" || (c >= "0" && c <= "9")) return parseNumber();
    if (c >= "a" && c <= "z") {
      const m = /^[a-zA-Z]+/.exec(text.slice(pos))![0];
      pos += m.length;
      if (m === "true") return true;
      if (m === "false") return false;
      if (m === "null") return null;
      fail(`invalid keyword '${m}'`);
    }
    const cp = text.codePointAt(pos)!;
    return fail(
      cp >= 0x20 && cp < 0x7f
        ? `invalid character '${c}'`
        : `invalid character U+${cp.toString(16).padStart(4, "0")}`,
    );
  };
  skipSpace();
  if (pos >= text.length) fail("empty input stream");
  const value = parseValue(0);
  skipSpace();
  if (pos < text.length) fail("trailing garbage at end of input");
  return value;
}

function numberFromToken(token: string, fail: (msg: string) => never): Json {
  const m = /^(-?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([-+]?)([0-9]*))?$/.exec(token);
  if (!m) return fail("syntax error in number");
  const [, sign, intPart = "", frac, expSign, expDigits] = m;
  if (intPart === "") return fail("'-' must be followed by digit");
  if (intPart.length > 1 && intPart[0] === "0") return fail("leading zeros not allowed");
  if (frac !== undefined && frac === "") return fail("decimal point must be followed by digit");
  if (expDigits !== undefined && expDigits === "") {
    return fail("exponent must contain at least one digit");
  }
  let digits = intPart + (frac ?? "");
  let pow10 = -(frac ?? "").length + (expDigits ? Number((expSign ?? "") + expDigits) : 0);
  digits = digits.replace(/^0+/, "");
  if (digits === "") return 0n;
  while (pow10 < 0 && digits.endsWith("0")) {
    digits = digits.slice(0, -1);
    pow10++;
  }
  if (pow10 >= 0 && pow10 < 20 && digits.length + pow10 <= 20) {
    const v = BigInt(digits + "0".repeat(pow10)) * (sign === "-" ? -1n : 1n);
    if (v >= INT64_MIN && v <= INT64_MAX) return v;
  }
  const real = Number(token);
  if (!Number.isFinite(real)) return fail("number outside valid range");
  return real;
}

/** Whether `v` is a JSON object. */
export function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Whether `v` is a JSON integer (bigint, or a JS number holding an integer). */
export function isInteger(v: Json | undefined): v is bigint | number {
  return typeof v === "bigint" || (typeof v === "number" && Number.isInteger(v));
}

/** Upstream's json_type_to_string() names. */
export function jsonTypeName(v: Json): string {
  if (v === null) return "null";
  if (typeof v === "boolean") return "boolean";
  if (typeof v === "string") return "string";
  if (typeof v === "number" || typeof v === "bigint") return "number";
  return Array.isArray(v) ? "array" : "object";
}
