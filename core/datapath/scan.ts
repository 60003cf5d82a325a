// The scanf-like primitives the datapath's text syntaxes are built from (upstream's ovs_scan with
// %i, %u, %x, ETH_ADDR_SCAN_FMT, IP_SCAN_FMT, IPV6_SCAN_FMT + inet_pton), and the matching
// formatters (ETH_ADDR_FMT, IP_FMT, inet_ntop). Each scanner takes a string and a position and
// returns the value and the position after it, or undefined when the text does not fit; none
// throws. Pure functions, no state.

export interface Scanned<T> {
  value: T;
  end: number;
}

const DIGITS = /[0-9a-fA-F]/;

function digitValue(c: string): number {
  const code = c.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return 99;
}

function skipSpace(s: string, pos: number): number {
  while (pos < s.length && " \t\r\n\f\v".includes(s[pos]!)) pos++;
  return pos;
}

/**
 * strtol-style integer as `%i` reads it: optional space and sign, then 0x hex, 0 octal or decimal.
 * `bits` wraps the result like the C destination width (a negative value wraps around).
 */
export function scanInt(s: string, pos: number, bits = 32): Scanned<number> | undefined {
  const big = scanIntBig(s, pos, bits);
  if (!big) return undefined;
  return { value: Number(big.value), end: big.end };
}

/** `%i` into a destination of `bits` bits, as a bigint (for 64-bit fields). */
export function scanIntBig(s: string, pos: number, bits = 64): Scanned<bigint> | undefined {
  let p = skipSpace(s, pos);
  let negative = false;
  if (s[p] === "+" || s[p] === "-") {
    negative = s[p] === "-";
    p++;
  }
  let base = 10;
  if (s[p] === "0" && (s[p + 1] === "x" || s[p + 1] === "X") && DIGITS.test(s[p + 2] ?? "")) {
    base = 16;
    p += 2;
  } else if (s[p] === "0") {
    base = 8;
  }
  const start = p;
  let value = 0n;
  while (p < s.length && digitValue(s[p]!) < base) {
    value = value * BigInt(base) + BigInt(digitValue(s[p]!));
    p++;
  }
  if (p === start) return undefined;
  if (negative) value = -value;
  return { value: BigInt.asUintN(bits, value), end: p };
}

/** `%u`/`%d` style: decimal only (after optional space and sign). */
export function scanDecimal(s: string, pos: number, bits = 32): Scanned<number> | undefined {
  let p = skipSpace(s, pos);
  let negative = false;
  if (s[p] === "+" || s[p] === "-") {
    negative = s[p] === "-";
    p++;
  }
  const start = p;
  let value = 0n;
  while (p < s.length && s[p]! >= "0" && s[p]! <= "9") {
    value = value * 10n + BigInt(s.charCodeAt(p) - 48);
    p++;
  }
  if (p === start) return undefined;
  return { value: Number(BigInt.asUintN(bits, negative ? -value : value)), end: p };
}

/** `%x` style: hex digits, an optional 0x prefix accepted as strtoul does. */
export function scanHex(s: string, pos: number, bits = 32): Scanned<bigint> | undefined {
  let p = skipSpace(s, pos);
  if (s[p] === "0" && (s[p + 1] === "x" || s[p + 1] === "X") && DIGITS.test(s[p + 2] ?? "")) {
    p += 2;
  }
  const start = p;
  let value = 0n;
  while (p < s.length && DIGITS.test(s[p]!)) {
    value = value * 16n + BigInt(digitValue(s[p]!));
    p++;
  }
  if (p === start) return undefined;
  return { value: BigInt.asUintN(bits, value), end: p };
}

/** A literal at `pos`. */
export function scanLiteral(s: string, pos: number, literal: string): number | undefined {
  return s.startsWith(literal, pos) ? pos + literal.length : undefined;
}

/** ETH_ADDR_SCAN_FMT: six `%hhx` separated by colons, into `out` at `offset`. */
export function scanMac(s: string, pos: number, out: Uint8Array, offset = 0): number | undefined {
  let p = pos;
  for (let i = 0; i < 6; i++) {
    if (i > 0) {
      if (s[p] !== ":") return undefined;
      p++;
    }
    const byte = scanHex(s, p, 8);
    if (!byte) return undefined;
    out[offset + i] = Number(byte.value);
    p = byte.end;
  }
  return p;
}

/** IP_SCAN_FMT: four `%hhu` separated by dots. */
export function scanIpv4(s: string, pos: number): Scanned<number> | undefined {
  let p = pos;
  let value = 0;
  for (let i = 0; i < 4; i++) {
    if (i > 0) {
      if (s[p] !== ".") return undefined;
      p++;
    }
    const part = scanDecimal(s, p, 8);
    if (!part) return undefined;
    value = ((value << 8) | part.value) >>> 0;
    p = part.end;
  }
  return { value, end: p };
}

/** IPV6_SCAN_FMT then inet_pton: the longest run of address characters, which must parse. */
export function scanIpv6(s: string, pos: number, out: Uint8Array, offset = 0): number | undefined {
  let p = pos;
  while (p < s.length && p - pos < 46 && /[0-9a-fA-F:.]/.test(s[p]!)) p++;
  if (p === pos) return undefined;
  const bytes = parseIpv6(s.slice(pos, p));
  if (!bytes) return undefined;
  out.set(bytes, offset);
  return p;
}

/** inet_pton(AF_INET6): 16 bytes, or undefined. */
export function parseIpv6(text: string): Uint8Array | undefined {
  let head = text;
  const lastColon = text.lastIndexOf(":");
  if (lastColon >= 0 && text.includes(".", lastColon)) {
    const v4 = text.slice(lastColon + 1);
    if (!/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4)) return undefined;
    const parts = v4.split(".").map(Number);
    if (parts.some((part) => part > 255)) return undefined;
    const [a = 0, b = 0, c = 0, d = 0] = parts;
    head = text.slice(0, lastColon + 1) + ((a << 8) | b).toString(16) + ":" +
      ((c << 8) | d).toString(16);
  }
  const halves = head.split("::");
  if (halves.length > 2) return undefined;
  const parse = (part: string): number[] | undefined => {
    if (part === "") return [];
    const result: number[] = [];
    for (const g of part.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      result.push(parseInt(g, 16));
    }
    return result;
  };
  const left = parse(halves[0]!);
  const right = halves.length === 2 ? parse(halves[1]!) : [];
  if (!left || !right) return undefined;
  let groups = left;
  if (halves.length === 2) {
    const missing = 8 - left.length - right.length;
    if (missing < 1) return undefined;
    groups = [...left, ...new Array<number>(missing).fill(0), ...right];
  }
  if (groups.length !== 8) return undefined;
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[i * 2] = groups[i]! >> 8;
    out[i * 2 + 1] = groups[i]! & 0xff;
  }
  return out;
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, "0");
}

/** ETH_ADDR_FMT. */
export function formatMac(bytes: Uint8Array, offset = 0): string {
  let text = hex2(bytes[offset]!);
  for (let i = 1; i < 6; i++) text += ":" + hex2(bytes[offset + i]!);
  return text;
}

/** IP_FMT of a host-order 32-bit value. */
export function formatIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 0xff}.${(value >>> 8) & 0xff}.${value & 0xff}`;
}

/** inet_ntop(AF_INET6), as glibc writes it. */
export function formatIpv6(bytes: Uint8Array, offset = 0): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) {
    words.push((bytes[offset + 2 * i]! << 8) | bytes[offset + 2 * i + 1]!);
  }
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      if (curBase === -1) {
        curBase = i;
        curLen = 1;
      } else {
        curLen++;
      }
    } else if (curBase !== -1) {
      if (bestBase === -1 || curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
      curBase = -1;
    }
  }
  if (curBase !== -1 && (bestBase === -1 || curLen > bestLen)) {
    bestBase = curBase;
    bestLen = curLen;
  }
  if (bestBase !== -1 && bestLen < 2) bestBase = -1;
  let text = "";
  for (let i = 0; i < 8; i++) {
    if (bestBase !== -1 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) text += ":";
      continue;
    }
    if (i !== 0) text += ":";
    if (
      i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))
    ) {
      text += `${bytes[offset + 12]}.${bytes[offset + 13]}.${bytes[offset + 14]}.${
        bytes[offset + 15]
      }`;
      return text;
    }
    text += words[i]!.toString(16);
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) text += ":";
  return text;
}

/** `%#x`: "0" for zero, else 0x-prefixed lowercase hex. */
export function hexAlt(value: number | bigint): string {
  const v = typeof value === "bigint" ? value : BigInt(value >>> 0);
  return v === 0n ? "0" : "0x" + v.toString(16);
}
