// Text primitives of the datapath flow syntax, exactly as upstream reads and writes them:
// ovs_scan's %i/%x/%u conversions (optional spaces and sign, 0x and octal prefixes, values
// wrapped to the destination's width), ETH_ADDR_SCAN_FMT, IP_SCAN_FMT, IPV6_SCAN_FMT with
// inet_pton, parse_int_string for 128-bit values, and the printing side (printf's %#x, ETH_ADDR_FMT,
// IP_FMT, inet_ntop, ds_put_hex). Scanners return the position after what they read, or -1
// when the text does not fit; they never throw. Pure functions.

function hexit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

export function skipSpaces(s: string, pos: number): number {
  while (pos < s.length && isSpace(s.charCodeAt(pos))) pos++;
  return pos;
}

/** The result of the last successful scan (kept in one place so scanning allocates little). */
export const scanned = { value: 0, big: 0n };

/**
 * One ovs_scan integer conversion into a destination of `bits` bits (8, 16, 32 or 64), `base` 0
 * for %i, 10 for %d/%u, 16 for %x, 8 for %o. Stores the value in `scanned.value` (and
 * `scanned.big` for 64 bits).
 */
export function scanInteger(s: string, pos: number, base: number, bits: number): number {
  let p = skipSpaces(s, pos);
  const negative = s[p] === "-";
  if (s[p] === "-" || s[p] === "+") p++;
  if ((base === 0 || base === 16) && s[p] === "0" && (s[p + 1] === "x" || s[p + 1] === "X")) {
    base = 16;
    p += 2;
  } else if (base === 0) {
    base = s[p] === "0" ? 8 : 10;
  }
  const start = p;
  if (bits === 64) {
    let big = 0n;
    const b = BigInt(base);
    for (; p < s.length; p++) {
      const d = hexit(s.charCodeAt(p));
      if (d < 0 || d >= base) break;
      big = BigInt.asUintN(64, big * b + BigInt(d));
    }
    if (p === start) return -1;
    scanned.big = BigInt.asUintN(64, negative ? -big : big);
    scanned.value = Number(scanned.big & 0xffffffffn);
    return p;
  }
  let value = 0;
  for (; p < s.length; p++) {
    const d = hexit(s.charCodeAt(p));
    if (d < 0 || d >= base) break;
    value = (value * base + d) % 0x100000000;
  }
  if (p === start) return -1;
  if (negative) value = (0x100000000 - value) % 0x100000000;
  scanned.value = bits === 32 ? value >>> 0 : value & ((1 << bits) - 1);
  return p;
}

/** Matches `literal` exactly at `pos` (a format's literal characters). */
export function scanLiteral(s: string, pos: number, literal: string): number {
  return s.startsWith(literal, pos) ? pos + literal.length : -1;
}

/** ETH_ADDR_SCAN_FMT: six %hhx separated by ':' into `out[at..at+6)`. */
export function scanEthAddr(s: string, pos: number, out: Uint8Array, at: number): number {
  let p = pos;
  for (let i = 0; i < 6; i++) {
    if (i > 0) {
      if (s[p] !== ":") return -1;
      p++;
    }
    p = scanInteger(s, p, 16, 8);
    if (p < 0) return -1;
    out[at + i] = scanned.value;
  }
  return p;
}

/** IP_SCAN_FMT: four %hhu separated by '.'; the address goes to `scanned.value`. */
export function scanIpv4Addr(s: string, pos: number): number {
  let p = pos;
  let addr = 0;
  for (let i = 0; i < 4; i++) {
    if (i > 0) {
      if (s[p] !== ".") return -1;
      p++;
    }
    p = scanInteger(s, p, 10, 8);
    if (p < 0) return -1;
    addr = addr * 256 + scanned.value;
  }
  scanned.value = addr >>> 0;
  return p;
}

const IPV6_CHARS = /^[0-9a-fA-F:.]{1,46}/;

/** IPV6_SCAN_FMT ("%46[0-9a-fA-F:.]") then inet_pton into `out[at..at+16)`. */
export function scanIpv6Addr(s: string, pos: number, out: Uint8Array, at: number): number {
  const p = skipSpaces(s, pos);
  const m = IPV6_CHARS.exec(s.slice(p, p + 46));
  if (!m) return -1;
  if (!inetPton6(m[0], out, at)) return -1;
  return p + m[0].length;
}

/** glibc's inet_pton(AF_INET6): the whole text must be one address. */
export function inetPton6(text: string, out: Uint8Array, at: number): boolean {
  const words = new Array<number>(8).fill(0);
  let n = 0;
  let gap = -1;
  let i = 0;
  if (text.startsWith("::")) {
    gap = 0;
    i = 2;
    if (text.length === 2) {
      out.fill(0, at, at + 16);
      return true;
    }
  } else if (text.startsWith(":")) {
    return false;
  }
  while (i < text.length) {
    // An embedded IPv4 address ends the text.
    const rest = text.slice(i);
    if (rest.includes(".")) {
      if (n > 6 || !/^\d{1,3}(\.\d{1,3}){3}$/.test(rest)) return false;
      const parts = rest.split(".").map(Number);
      if (parts.some((x) => x > 255)) return false;
      if (rest.split(".").some((x) => x.length > 1 && x.startsWith("0"))) return false;
      words[n++] = (parts[0]! << 8) | parts[1]!;
      words[n++] = (parts[2]! << 8) | parts[3]!;
      i = text.length;
      break;
    }
    let j = i;
    let v = 0;
    while (j < text.length && j - i < 5 && hexit(text.charCodeAt(j)) >= 0) {
      v = v * 16 + hexit(text.charCodeAt(j));
      j++;
    }
    if (j === i || j - i > 4 || n >= 8) return false;
    words[n++] = v;
    if (j === text.length) {
      i = j;
      break;
    }
    if (text[j] !== ":") return false;
    if (text[j + 1] === ":") {
      if (gap >= 0) return false;
      gap = n;
      i = j + 2;
      if (i === text.length) break;
    } else {
      i = j + 1;
      if (i === text.length) return false;
    }
  }
  if (gap >= 0) {
    if (n === 8) return false;
    const tail = words.slice(gap, n);
    for (let k = gap; k < 8; k++) words[k] = 0;
    for (let k = 0; k < tail.length; k++) words[8 - tail.length + k] = tail[k]!;
  } else if (n !== 8) {
    return false;
  }
  for (let k = 0; k < 8; k++) {
    out[at + 2 * k] = words[k]! >> 8;
    out[at + 2 * k + 1] = words[k]! & 0xff;
  }
  return true;
}

/**
 * parse_int_string for a `width`-byte big-endian value into `out[at..]`: "0x" hex (spaces
 * allowed between hexits, any count up to the width) or a strtoull number. Returns the position
 * after it, or -1 on error.
 */
export function parseIntString(
  s: string,
  pos: number,
  out: Uint8Array,
  at: number,
  width: number,
): number {
  if (s.startsWith("0x", pos) || s.startsWith("0X", pos)) {
    let p = pos + 2;
    const hexits: number[] = [];
    for (;;) {
      while (p < s.length && " \t\r\n".includes(s[p]!)) p++;
      const h = p < s.length ? hexit(s.charCodeAt(p)) : -1;
      if (h < 0) break;
      if (h !== 0 || hexits.length) {
        if (Math.ceil((hexits.length + 1) / 2) > width) return -1;
        hexits.push(h);
      }
      p++;
    }
    out.fill(0, at, at + width);
    let idx = width;
    for (let i = hexits.length - 1; i >= 0; i -= 2) {
      idx--;
      out[at + idx] = hexits[i]! + (i > 0 ? hexits[i - 1]! << 4 : 0);
    }
    return p;
  }
  // strtoull(s, &tail, 0).
  let p = skipSpaces(s, pos);
  const negative = s[p] === "-";
  if (s[p] === "-" || s[p] === "+") p++;
  let base = 10;
  if (s[p] === "0" && (s[p + 1] === "x" || s[p + 1] === "X") && hexit(s.charCodeAt(p + 2)) >= 0) {
    base = 16;
    p += 2;
  } else if (s[p] === "0") {
    base = 8;
  }
  const start = p;
  let value = 0n;
  for (; p < s.length; p++) {
    const d = hexit(s.charCodeAt(p));
    if (d < 0 || d >= base) break;
    value = value * BigInt(base) + BigInt(d);
  }
  if (p === start) return -1;
  if (value > 0xffffffffffffffffn) return -1;
  if (negative) value = BigInt.asUintN(64, -value);
  if (width < 8 && value >> BigInt(width * 8)) return -1;
  for (let i = width - 1; i >= 0; i--) {
    out[at + i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return p;
}

// ---------------------------------------------------------------------------------------------
// Printing.

/** printf("%#x"): 0 prints as "0", anything else as "0x..." in lowercase. */
export function hexAlt(value: number | bigint): string {
  return value ? `0x${value.toString(16)}` : "0";
}

export function formatEthAddr(d: Uint8Array, at: number): string {
  let out = "";
  for (let i = 0; i < 6; i++) {
    if (i) out += ":";
    out += d[at + i]!.toString(16).padStart(2, "0");
  }
  return out;
}

export function formatIpv4Addr(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}

/** glibc's inet_ntop(AF_INET6). */
export function formatIpv6Addr(d: Uint8Array, at: number): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((d[at + 2 * i]! << 8) | d[at + 2 * i + 1]!);
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (w[i] === 0) {
      if (curBase < 0) {
        curBase = i;
        curLen = 1;
      } else {
        curLen++;
      }
    } else if (curBase >= 0) {
      if (bestBase < 0 || curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
      curBase = -1;
    }
  }
  if (curBase >= 0 && (bestBase < 0 || curLen > bestLen)) {
    bestBase = curBase;
    bestLen = curLen;
  }
  if (bestBase >= 0 && bestLen < 2) bestBase = -1;
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ":";
      continue;
    }
    if (i) out += ":";
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
      out += `${d[at + 12]}.${d[at + 13]}.${d[at + 14]}.${d[at + 15]}`;
      break;
    }
    out += w[i]!.toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) out += ":";
  return out;
}

/** ds_put_hex: the bytes as one hexadecimal number without leading zeros ("0" when zero). */
export function formatHexBytes(d: Uint8Array, at: number, len: number): string {
  let out = "";
  for (let i = 0; i < len; i++) {
    const v = d[at + i]!;
    if (out) out += v.toString(16).padStart(2, "0");
    else if (v) out = `0x${v.toString(16)}`;
  }
  return out || "0";
}
