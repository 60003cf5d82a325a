// Text building blocks of the actions syntax, with upstream's exact behaviour: the key-value
// tokenizer every `actions=` string goes through (ofputil_parse_key_value, with its parenthesis
// nesting and the `(x)->y` special case), C-style number parsing (strtoul/strtoull with base
// prefixes, wrap-around of negative values, the exact error texts of str_to_u8/u16/u32/u64),
// hex-byte strings and the printf-style number formats the formatters need.
//
// Promises: parse helpers throw ParseError with upstream's message and nothing else; the
// tokenizer never fails (it returns undefined at the end of the input). No I/O, no state.

import { ParseError } from "../errors.ts";

/** One step of ofputil_parse_key_value over a string. */
export class KeyValueScanner {
  #s: string;
  #pos = 0;

  constructor(s: string) {
    this.#s = s;
  }

  /** The next key and value (the value is "" when there is none), or undefined at the end. */
  next(): { key: string; value: string } | undefined {
    const s = this.#s;
    while (this.#pos < s.length && ", \t\r\n".includes(s[this.#pos]!)) this.#pos++;
    if (this.#pos >= s.length) return undefined;

    const keyStart = this.#pos;
    let keyEnd = keyStart;
    while (keyEnd < s.length && !":=(, \t\r\n".includes(s[keyEnd]!)) keyEnd++;
    const key = s.slice(keyStart, keyEnd);
    const keyDelim = keyEnd < s.length ? s[keyEnd]! : "";
    this.#pos = keyEnd + (keyDelim !== "" ? 1 : 0);

    let delims: string;
    if (keyDelim === ":" || keyDelim === "=") {
      delims = ", \t\r\n";
    } else if (keyDelim === "(") {
      delims = ")";
    } else {
      return { key, value: "" };
    }

    const valueStart = this.#pos;
    let valueLen = scanValue(s, valueStart, delims);
    // "(x)->y": the value runs on past the closing parenthesis.
    if (
      keyDelim === "(" && s[valueStart + valueLen] === ")" &&
      s[valueStart + valueLen + 1] === "-" && s[valueStart + valueLen + 2] === ">"
    ) {
      valueLen += scanValue(s, valueStart + valueLen, ", \t\r\n");
    }
    const value = s.slice(valueStart, valueStart + valueLen);
    const valueDelimPresent = valueStart + valueLen < s.length;
    this.#pos = valueStart + valueLen + (valueDelimPresent ? 1 : 0);
    return { key, value };
  }
}

/** Length of the value starting at `start`, up to a delimiter outside parentheses. */
function scanValue(s: string, start: number, delims: string): number {
  let n = 0;
  for (;;) {
    const c = s[start + n];
    if (c === undefined || delims.includes(c)) return n;
    if (c === "(") {
      let level = 0;
      do {
        const d = s[start + n];
        if (d === undefined) return n;
        if (d === "(") level++;
        else if (d === ")") level--;
        n++;
      } while (level > 0);
    } else {
      n++;
    }
  }
}

const C_SPACE = " \t\n\v\f\r";

function digitValue(c: string | undefined): number {
  if (c === undefined) return 99;
  const code = c.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 122) return code - 87;
  if (code >= 65 && code <= 90) return code - 55;
  return 99;
}

/**
 * C's strtoull/strtoll core over `s` from `start`: leading space, sign, base prefix (base 0 or
 * 16 accept "0x"), digits. Returns the magnitude, the sign, where parsing stopped (`start` when
 * nothing was converted) and whether the magnitude overflowed 64 bits.
 */
export function cStrtoNum(
  s: string,
  start = 0,
  base = 0,
): { magnitude: bigint; negative: boolean; end: number; overflow: boolean } {
  let i = start;
  while (i < s.length && C_SPACE.includes(s[i]!)) i++;
  let negative = false;
  if (s[i] === "+" || s[i] === "-") {
    negative = s[i] === "-";
    i++;
  }
  if (
    (base === 0 || base === 16) && s[i] === "0" && (s[i + 1] === "x" || s[i + 1] === "X") &&
    digitValue(s[i + 2]) < 16
  ) {
    base = 16;
    i += 2;
  } else if (base === 0) {
    base = s[i] === "0" ? 8 : 10;
  }
  const digitsStart = i;
  let magnitude = 0n;
  let overflow = false;
  const b = BigInt(base);
  while (digitValue(s[i]) < base) {
    magnitude = magnitude * b + BigInt(digitValue(s[i]));
    if (magnitude > 0xffffffffffffffffn) overflow = true;
    i++;
  }
  if (i === digitsStart) return { magnitude: 0n, negative: false, end: start, overflow: false };
  return { magnitude, negative, end: i, overflow };
}

/** C's strtoull: the value modulo 2^64 (negative inputs wrap), or undefined on ERANGE. */
function strtoull(s: string, base = 0): { value: bigint; end: number } | undefined {
  const r = cStrtoNum(s, 0, base);
  if (r.overflow) return undefined;
  return { value: r.negative ? BigInt.asUintN(64, -r.magnitude) : r.magnitude, end: r.end };
}

/** upstream's str_to_llong: the whole string must be a signed 64-bit number. */
export function strToLlong(s: string, base = 0): bigint | undefined {
  const r = cStrtoNum(s, 0, base);
  if (r.end === 0 || r.end !== s.length) return undefined;
  const value = r.negative ? -r.magnitude : r.magnitude;
  if (r.overflow || value > 0x7fffffffffffffffn || value < -0x8000000000000000n) return undefined;
  return value;
}

/** upstream's str_to_int (base 0): a whole-string number within int32 range. */
export function strToInt(s: string, base = 0): number | undefined {
  const v = strToLlong(s, base);
  if (v === undefined || v < -0x80000000n || v > 0x7fffffffn) return undefined;
  return Number(v);
}

/** upstream's str_to_uint (base 10 when asked): a whole-string number within uint32 range. */
export function strToUint(s: string, base = 10): number | undefined {
  const v = strToLlong(s, base);
  if (v === undefined || v < 0n || v > 0xffffffffn) return undefined;
  return Number(v);
}

/** C's atoi: leading number, 0 when there is none (wraps like a C int). */
export function atoi(s: string): number {
  const r = cStrtoNum(s, 0, 10);
  const v = r.negative ? -r.magnitude : r.magnitude;
  return Number(BigInt.asIntN(32, v));
}

/** C's strtoull(s, NULL, 0) as used by learn's cookie: garbage after the number is ignored. */
export function strtoullLoose(s: string): bigint {
  const r = cStrtoNum(s, 0, 0);
  if (r.overflow) return 0xffffffffffffffffn;
  return r.negative ? BigInt.asUintN(64, -r.magnitude) : r.magnitude;
}

export function strToU8(s: string, name: string): number {
  const v = strToInt(s);
  if (v === undefined || v < 0 || v > 255) throw new ParseError(`invalid ${name} "${s}"`);
  return v;
}

export function strToU16(s: string, name: string | null): number {
  const v = strToInt(s);
  if (v === undefined || v < 0 || v > 65535) throw new ParseError(`invalid ${name} "${s}"`);
  return v;
}

/** upstream's str_to_u32: strtoul, whose unsigned long result is truncated to 32 bits. */
export function strToU32(s: string): number {
  if (s === "") throw new ParseError("missing required numeric argument");
  const r = strtoull(s);
  if (r === undefined || r.end !== s.length) throw new ParseError(`invalid numeric format ${s}`);
  return Number(r.value & 0xffffffffn);
}

export function strToU64(s: string): bigint {
  if (s === "") throw new ParseError("missing required numeric argument");
  const r = strtoull(s);
  if (r === undefined || r.end !== s.length) throw new ParseError(`invalid numeric format ${s}`);
  return r.value;
}

/**
 * upstream's parse_int_string: a hex ("0x...", any number of digits that fit `width` bytes) or
 * C integer into `width` big-endian bytes. Returns the bytes and where parsing stopped, or an
 * error kind ("range" when the value does not fit, "invalid" when nothing parses).
 */
export function parseIntString(
  s: string,
  width: number,
): { value: Uint8Array; tail: number } | { error: "range" | "invalid" } {
  const value = new Uint8Array(width);
  if (s.startsWith("0x") || s.startsWith("0X")) {
    let i = 2;
    const hexits: number[] = [];
    for (;;) {
      while (i < s.length && " \t\r\n".includes(s[i]!)) i++;
      const d = digitValue(s[i]);
      if (d >= 16) break;
      if (d !== 0 || hexits.length) {
        if (Math.ceil((hexits.length + 1) / 2) > width) return { error: "range" };
        hexits.push(d);
      }
      i++;
    }
    let idx = width;
    for (let k = hexits.length - 1; k >= 0; k -= 2) {
      idx--;
      value[idx] = hexits[k]! + (k > 0 ? hexits[k - 1]! << 4 : 0);
    }
    return { value, tail: i };
  }
  const r = strtoull(s);
  if (r === undefined) return { error: "range" };
  if (r.end === 0) return { error: "invalid" };
  let v = r.value;
  for (let i = width - 1; i >= 0; i--) {
    value[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  if (v) return { error: "range" };
  return { value, tail: r.end };
}

/**
 * upstream's ofpbuf_put_hex: pairs of hex digits, separated by optional spaces and dots. Returns
 * the bytes and the unparsed rest (empty when everything was hex).
 */
export function parseHexBytes(s: string): { bytes: Uint8Array; rest: string } {
  const out: number[] = [];
  let i = 0;
  for (;;) {
    while (i < s.length && " .\t\r\n".includes(s[i]!)) i++;
    const hi = digitValue(s[i]);
    const lo = digitValue(s[i + 1]);
    if (hi >= 16 || lo >= 16) return { bytes: Uint8Array.from(out), rest: s.slice(i) };
    out.push(hi * 16 + lo);
    i += 2;
  }
}

/** printf("%#x"): "0" for zero, else "0x" and lowercase hex. */
export function hexAlt(v: number | bigint): string {
  return v === 0 || v === 0n ? "0" : `0x${v.toString(16)}`;
}

/** printf("0x%04x"). */
export function hex04(v: number): string {
  return `0x${v.toString(16).padStart(4, "0")}`;
}

/** Bytes as "01.02.ab" (upstream's format_hex_arg). */
export function hexDotted(data: Uint8Array): string {
  return Array.from(data, (b) => b.toString(16).padStart(2, "0")).join(".");
}

/** upstream's ds_put_hex: "0x" and the bytes without leading zeros, or "0". */
export function hexTrimmed(data: Uint8Array): string {
  let out = "";
  for (const b of data) {
    if (out) out += b.toString(16).padStart(2, "0");
    else if (b) out = `0x${b.toString(16)}`;
  }
  return out || "0";
}

/** C's strcasecmp equality. */
export function sameNoCase(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** C's strtok_r over `delims`: the non-empty tokens, in order, each with where it starts. */
export function strtok(s: string, delims: string): { token: string; start: number }[] {
  const out: { token: string; start: number }[] = [];
  let i = 0;
  while (i < s.length) {
    while (i < s.length && delims.includes(s[i]!)) i++;
    if (i >= s.length) break;
    const start = i;
    while (i < s.length && !delims.includes(s[i]!)) i++;
    out.push({ token: s.slice(start, i), start });
  }
  return out;
}

/** A stateful strtok_r, for parsers that change delimiters between calls as upstream's do. */
export class Strtok {
  #s: string;
  #pos = 0;

  constructor(s: string) {
    this.#s = s;
  }

  next(delims: string): string | undefined {
    const s = this.#s;
    let i = this.#pos;
    while (i < s.length && delims.includes(s[i]!)) i++;
    if (i >= s.length) {
      this.#pos = s.length;
      return undefined;
    }
    const start = i;
    while (i < s.length && !delims.includes(s[i]!)) i++;
    // strtok_r consumes the one delimiter that ends the token.
    this.#pos = i < s.length ? i + 1 : i;
    return s.slice(start, i);
  }

  /** The unconsumed rest (strtok_r with an empty delimiter set). */
  rest(): string | undefined {
    if (this.#pos >= this.#s.length) return undefined;
    const r = this.#s.slice(this.#pos);
    this.#pos = this.#s.length;
    return r;
  }
}

/** An Ethernet address as "xx:xx:xx:xx:xx:xx". */
export function formatMac(mac: Uint8Array): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join(":");
}

/** An IPv4 address (host-order number) as a dotted quad. */
export function formatIpv4(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 0xff}.${(ip >>> 8) & 0xff}.${ip & 0xff}`;
}

/** glibc's inet_pton(AF_INET): exactly four decimal parts 0..255 without leading zeros. */
export function inetPton4(s: string): number | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  let ip = 0;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    ip = ip * 256 + v;
  }
  return ip >>> 0;
}

/** glibc's inet_pton(AF_INET6): the 16 bytes, or undefined. */
export function inetPton6(s: string): Uint8Array | undefined {
  const out = new Uint8Array(16);
  if (!/^[0-9A-Fa-f:.]+$/.test(s)) return undefined;
  const dbl = s.indexOf("::");
  if (dbl !== s.lastIndexOf("::") && dbl >= 0) return undefined;
  const head = dbl >= 0 ? s.slice(0, dbl) : s;
  const tail = dbl >= 0 ? s.slice(dbl + 2) : "";
  const groups = (part: string): number[] | undefined => {
    if (part === "") return [];
    const words: number[] = [];
    const items = part.split(":");
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      if (item.includes(".")) {
        if (i !== items.length - 1) return undefined;
        const v4 = inetPton4(item);
        if (v4 === undefined) return undefined;
        words.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9A-Fa-f]{1,4}$/.test(item)) return undefined;
        words.push(Number.parseInt(item, 16));
      }
    }
    return words;
  };
  const h = groups(head);
  const t = groups(tail);
  if (!h || !t) return undefined;
  if (tail.includes(".") && dbl < 0) return undefined;
  if (head.includes(".") && dbl >= 0) return undefined;
  const total = h.length + t.length;
  if (dbl >= 0 ? total > 7 : total !== 8) return undefined;
  const words = [...h, ...new Array<number>(8 - total).fill(0), ...t];
  words.forEach((w, i) => {
    out[2 * i] = w >>> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/** glibc's inet_ntop(AF_INET6), including its IPv4-compatible and -mapped forms. */
export function formatIpv6(addr: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((addr[2 * i]! << 8) | addr[2 * i + 1]!);
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) best = -1;
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (best >= 0 && i >= best && i < best + bestLen) {
      if (i === best) out += ":";
      continue;
    }
    if (i !== 0) out += ":";
    if (i === 6 && best === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      return out + `${addr[12]}.${addr[13]}.${addr[14]}.${addr[15]}`;
    }
    out += words[i]!.toString(16);
  }
  if (best >= 0 && best + bestLen === 8) out += ":";
  return out;
}
