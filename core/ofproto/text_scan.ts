// Number scanning exactly as upstream's C code does it, because flow syntax inherits every quirk:
// glibc's strtoull/strtoll (leading blanks, signs, base 0 meaning octal after a leading zero,
// "0x" with no hex digit after it), util.c's str_to_int/str_to_uint and parse_int_string
// (arbitrary-width hex into a byte array), and ovs_scan, upstream's own sscanf, which never fails
// on overflow but keeps the low bits ("300.1.1.1" is 44.1.1.1). Pure functions over strings; they
// return undefined or an error code where C returns false or errno, and never throw.

const U64_MAX = (1n << 64n) - 1n;

/** C's isspace in the C locale. */
export function isCSpace(c: string | undefined): boolean {
  return c === " " || c === "\t" || c === "\n" || c === "\v" || c === "\f" || c === "\r";
}

/** The value of hex digit `c`, or -1. */
export function hexitValue(c: string | undefined): number {
  if (c === undefined || c.length !== 1) return -1;
  const code = c.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}

export interface StrtolResult {
  value: bigint;
  /** Index just past the last character used (the start when nothing was converted). */
  end: number;
  /** Whether the value overflowed (errno ERANGE); `value` is then clamped as C clamps it. */
  range: boolean;
  /** Whether any digit was converted. */
  converted: boolean;
}

function strtoBase(s: string, start: number, base: number): {
  negative: boolean;
  magnitude: bigint;
  overflow: boolean;
  end: number;
  converted: boolean;
} {
  let i = start;
  while (isCSpace(s[i])) i++;
  let negative = false;
  if (s[i] === "+" || s[i] === "-") {
    negative = s[i] === "-";
    i++;
  }
  let b = base;
  const afterSign = i;
  if ((b === 0 || b === 16) && s[i] === "0" && (s[i + 1] === "x" || s[i + 1] === "X")) {
    i += 2;
    b = 16;
  } else if (b === 0) {
    b = s[i] === "0" ? 8 : 10;
  }
  const digitsStart = i;
  let magnitude = 0n;
  let overflow = false;
  const bigBase = BigInt(b);
  for (;;) {
    const d = hexitValue(s[i]);
    if (d < 0 || d >= b) break;
    magnitude = magnitude * bigBase + BigInt(d);
    if (magnitude > U64_MAX) overflow = true;
    i++;
  }
  if (i === digitsStart) {
    // "0x" followed by no hex digit converts the "0" and stops at the "x" (glibc).
    if (b === 16 && digitsStart - afterSign === 2 && s[afterSign] === "0") {
      return { negative, magnitude: 0n, overflow: false, end: afterSign + 1, converted: true };
    }
    return { negative: false, magnitude: 0n, overflow: false, end: start, converted: false };
  }
  return { negative, magnitude, overflow, end: i, converted: true };
}

/** glibc strtoull(s + start, &end, base). */
export function strtoull(s: string, start = 0, base = 0): StrtolResult {
  const r = strtoBase(s, start, base);
  if (!r.converted) return { value: 0n, end: start, range: false, converted: false };
  if (r.overflow) return { value: U64_MAX, end: r.end, range: true, converted: true };
  const value = r.negative ? (-r.magnitude) & U64_MAX : r.magnitude;
  return { value, end: r.end, range: false, converted: true };
}

/** glibc strtoll(s + start, &end, base). */
export function strtoll(s: string, start = 0, base = 0): StrtolResult {
  const r = strtoBase(s, start, base);
  if (!r.converted) return { value: 0n, end: start, range: false, converted: false };
  const max = (1n << 63n) - 1n;
  if (r.negative) {
    if (r.overflow || r.magnitude > max + 1n) {
      return { value: -max - 1n, end: r.end, range: true, converted: true };
    }
    return { value: -r.magnitude, end: r.end, range: false, converted: true };
  }
  if (r.overflow || r.magnitude > max) {
    return { value: max, end: r.end, range: true, converted: true };
  }
  return { value: r.magnitude, end: r.end, range: false, converted: true };
}

/** util.c str_to_llong: the whole string must be a number that fits. */
export function strToLlong(s: string, base = 10): bigint | undefined {
  const r = strtoll(s, 0, base);
  if (!r.converted || r.range || r.end !== s.length) return undefined;
  return r.value;
}

/** util.c str_to_int. */
export function strToInt(s: string, base = 10): number | undefined {
  const v = strToLlong(s, base);
  if (v === undefined || v < -(1n << 31n) || v > (1n << 31n) - 1n) return undefined;
  return Number(v);
}

/** util.c str_to_uint (0 to UINT_MAX). */
export function strToUint(s: string, base = 10): number | undefined {
  const v = strToLlong(s, base);
  if (v === undefined || v < 0n || v > 0xffffffffn) return undefined;
  return Number(v);
}

/** util.c str_to_ullong. */
export function strToUllong(s: string, base = 10): bigint | undefined {
  const r = strtoull(s, 0, base);
  if (!r.converted || r.range || r.end !== s.length) return undefined;
  return r.value;
}

export type IntParse =
  | { ok: true; bytes: Uint8Array; tail: number }
  | { ok: false; error: "ERANGE" | "EINVAL" };

/**
 * util.c parse_int_string: `s` from `start` as a big-endian value of `width` bytes. Hex after
 * "0x" may be any length (blanks between digits are skipped) as long as it fits; anything else
 * goes through strtoull with base 0. `tail` is where parsing stopped.
 */
export function parseIntString(s: string, width: number, start = 0): IntParse {
  if (s.startsWith("0x", start) || s.startsWith("0X", start)) {
    let i = start + 2;
    const hexits: number[] = [];
    for (;;) {
      while (s[i] === " " || s[i] === "\t" || s[i] === "\r" || s[i] === "\n") i++;
      const d = hexitValue(s[i]);
      if (d < 0) break;
      if (d !== 0 || hexits.length) {
        if (Math.ceil((hexits.length + 1) / 2) > width) return { ok: false, error: "ERANGE" };
        hexits.push(d);
      }
      i++;
    }
    const bytes = new Uint8Array(width);
    let idx = width;
    for (let k = hexits.length - 1; k >= 0; k -= 2) {
      idx--;
      bytes[idx] = hexits[k]! + (k > 0 ? hexits[k - 1]! << 4 : 0);
    }
    return { ok: true, bytes, tail: i };
  }
  const r = strtoull(s, start, 0);
  if (r.range) return { ok: false, error: "ERANGE" };
  if (!r.converted) return { ok: false, error: "EINVAL" };
  let value = r.value;
  const bytes = new Uint8Array(width);
  for (let k = width - 1; k >= 0; k--) {
    bytes[k] = Number(value & 0xffn);
    value >>= 8n;
  }
  if (value !== 0n) return { ok: false, error: "ERANGE" };
  return { ok: true, bytes, tail: r.end };
}

/** One converted item of `ovsScan`: integers as bigint, `%n` as number, strings as string. */
export type ScanValue = bigint | number | string;

export interface ScanResult {
  values: ScanValue[];
  /** Index just past the scanned text. */
  end: number;
}

function scanInt(
  s: string,
  pos: number,
  base: number,
  width: number,
): { value: bigint; end: number } | undefined {
  const start = pos;
  let i = pos;
  const negative = s[i] === "-";
  if (s[i] === "-" || s[i] === "+") i++;
  let b = base;
  if ((b === 0 || b === 16) && s[i] === "0" && (s[i + 1] === "x" || s[i + 1] === "X")) {
    b = 16;
    i += 2;
  } else if (b === 0) {
    b = s[i] === "0" ? 8 : 10;
  }
  if (i - start >= width) return undefined;
  let value = 0n;
  let digits = 0;
  const bigBase = BigInt(b);
  while (i - start < width) {
    const d = hexitValue(s[i]);
    if (d < 0 || d >= b) break;
    value = (value * bigBase + BigInt(d)) & U64_MAX;
    digits++;
    i++;
  }
  if (!digits) return undefined;
  if (negative) value = (-value) & U64_MAX;
  return { value, end: i };
}

function storeInt(value: bigint, size: string, signed: boolean): bigint {
  const bits = size === "hh" ? 8 : size === "h" ? 16 : size === "l" || size === "ll" ? 64 : 32;
  return signed ? BigInt.asIntN(bits, value) : BigInt.asUintN(bits, value);
}

/**
 * Upstream's ovs_scan (util.c): sscanf with %d %i %u %x %o (with hh, h, l, ll), %s, %c, %[set],
 * %n and `*`, where an out-of-range integer keeps its low bits instead of failing. Returns the
 * converted values in order, or undefined when any conversion or literal fails.
 */
export function ovsScan(s: string, format: string, start = 0): ScanResult | undefined {
  const values: ScanValue[] = [];
  let pos = start;
  let p = 0;
  while (p < format.length) {
    const c = format[p++]!;
    if (isCSpace(c)) {
      while (isCSpace(s[pos])) pos++;
      continue;
    }
    if (c !== "%") {
      if (s[pos] !== c) return undefined;
      pos++;
      continue;
    }
    if (format[p] === "%") {
      if (s[pos++] !== "%") return undefined;
      p++;
      continue;
    }
    const discard = format[p] === "*";
    if (discard) p++;
    let width = 0;
    while (format[p]! >= "0" && format[p]! <= "9") width = width * 10 + Number(format[p++]);
    if (width === 0) width = Number.MAX_SAFE_INTEGER;
    let size = "";
    if (format[p] === "h" || format[p] === "l") {
      size = format[p]!;
      p++;
      if (format[p] === size) {
        size += size;
        p++;
      }
    } else if ("jLqtz".includes(format[p] ?? "-")) {
      size = "ll";
      p++;
    }
    const conv = format[p++];
    if (conv !== "c" && conv !== "n" && conv !== "[") {
      while (isCSpace(s[pos])) pos++;
    }
    switch (conv) {
      case "d":
      case "i":
      case "u":
      case "o":
      case "x":
      case "X": {
        const base = conv === "i" ? 0 : conv === "o" ? 8 : conv === "x" || conv === "X" ? 16 : 10;
        const r = scanInt(s, pos, base, width);
        if (!r) return undefined;
        pos = r.end;
        if (!discard) values.push(storeInt(r.value, size, conv === "d" || conv === "i"));
        break;
      }
      case "s": {
        let n = 0;
        while (n < width && pos + n < s.length && !isCSpace(s[pos + n])) n++;
        if (!n) return undefined;
        if (!discard) values.push(s.slice(pos, pos + n));
        pos += n;
        break;
      }
      case "[": {
        const complemented = format[p] === "^";
        if (complemented) p++;
        const set = new Set<string>();
        if (format[p] === "]") {
          set.add("]");
          p++;
        }
        while (p < format.length && format[p] !== "]") {
          const a = format[p]!;
          const b = format[p + 2];
          if (format[p + 1] === "-" && b !== undefined && b !== "]" && b > a) {
            for (let k = a.charCodeAt(0); k <= b.charCodeAt(0); k++) {
              set.add(String.fromCharCode(k));
            }
            p += 3;
          } else {
            set.add(a);
            p++;
          }
        }
        if (format[p] === "]") p++;
        let n = 0;
        while (pos + n < s.length && set.has(s[pos + n]!) !== complemented && n < width) n++;
        if (!n) return undefined;
        if (!discard) values.push(s.slice(pos, pos + n));
        pos += n;
        break;
      }
      case "c": {
        const n = width === Number.MAX_SAFE_INTEGER ? 1 : width;
        if (s.length - pos < n) return undefined;
        if (!discard) values.push(s.slice(pos, pos + n));
        pos += n;
        break;
      }
      case "n":
        if (!discard) values.push(pos - start);
        break;
      default:
        return undefined;
    }
  }
  return { values, end: pos };
}
