// The conntrack datapath action ct(...) as a model and as text (upstream's
// format_odp_conntrack_action, parse_conntrack_action and their NAT parts). Only the model and
// its text live here: executing conntrack is not implemented by this datapath (the executor
// treats ct as a no-op and says so). The model mirrors the attributes upstream would emit, so a
// parsed action formats back exactly as upstream prints it. No I/O.

import { formatIpv4, formatIpv6, parseIpv6, scanDecimal, scanHex, scanIpv4 } from "./scan.ts";

export interface CtNat {
  /** Source or destination NAT; both false for a bare `nat`. */
  src: boolean;
  dst: boolean;
  /** Address range, 4 or 16 bytes each; `max` only when above `min`. */
  ipMin?: Uint8Array;
  ipMax?: Uint8Array;
  protoMin?: number;
  protoMax?: number;
  persistent: boolean;
  hash: boolean;
  random: boolean;
}

export interface CtAction {
  type: "ct";
  commit: boolean;
  forceCommit: boolean;
  /** 0 when absent. */
  zone: number;
  mark?: { value: number; mask: number };
  label?: { value: bigint; mask: bigint };
  helper?: string;
  timeout?: string;
  nat?: CtNat;
}

function hexAlt32(v: number): string {
  return v === 0 ? "0" : "0x" + (v >>> 0).toString(16);
}

function hex128(v: bigint): string {
  return v === 0n ? "0" : "0x" + v.toString(16);
}

function formatAddr(bytes: Uint8Array, bracket: boolean): string {
  if (bytes.length === 4) {
    return formatIpv4(((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0);
  }
  const text = formatIpv6(bytes);
  return bracket ? `[${text}]` : text;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return 0;
}

function formatNat(nat: CtNat): string {
  let text = "nat";
  if (!nat.src && !nat.dst) return text;
  text += "(" + (nat.src ? "src" : "dst");
  if (nat.ipMin) {
    const bracket = nat.ipMin.length === 16 && !!nat.protoMin;
    text += "=" + formatAddr(nat.ipMin, bracket);
    if (nat.ipMax && compareBytes(nat.ipMax, nat.ipMin) !== 0) {
      text += "-" + formatAddr(nat.ipMax, bracket);
    }
    if (nat.protoMin) {
      text += `:${nat.protoMin}`;
      if (nat.protoMax && nat.protoMax !== nat.protoMin) text += `-${nat.protoMax}`;
    }
  }
  text += ",";
  if (nat.persistent) text += "persistent,";
  if (nat.hash) text += "hash,";
  if (nat.random) text += "random,";
  return text.replace(/,$/, "") + ")";
}

export function formatCtAction(ct: CtAction): string {
  const parts: string[] = [];
  if (ct.commit) parts.push("commit");
  if (ct.forceCommit) parts.push("force_commit");
  if (ct.zone) parts.push(`zone=${ct.zone}`);
  if (ct.mark) parts.push(`mark=${hexAlt32(ct.mark.value)}/${hexAlt32(ct.mark.mask)}`);
  if (ct.label) {
    const allOnes = ct.label.mask === (1n << 128n) - 1n;
    parts.push(
      `label=${hex128(ct.label.value)}${allOnes ? "" : "/" + hex128(ct.label.mask)}`,
    );
  }
  if (ct.helper !== undefined) parts.push(`helper=${ct.helper}`);
  if (ct.timeout !== undefined) parts.push(`timeout=${ct.timeout}`);
  if (ct.nat) parts.push(formatNat(ct.nat));
  return parts.length ? `ct(${parts.join(",")})` : "ct";
}

const DELIMITERS = ", \t\r\n";
const DELIMITERS_END = ", \t\r\n)";

function skip(s: string, p: number, set: string): number {
  while (p < s.length && set.includes(s[p]!)) p++;
  return p;
}

function span(s: string, p: number, stop: string): number {
  let q = p;
  while (q < s.length && !stop.includes(s[q]!)) q++;
  return q - p;
}

/** A u128 as parse_int_string reads it: 0x hex up to 32 digits, or a decimal up to 64 bits. */
function scanU128(s: string, pos: number): { value: bigint; end: number } | undefined {
  if (s.startsWith("0x", pos) || s.startsWith("0X", pos)) {
    const m = /^[0-9a-fA-F]*/.exec(s.slice(pos + 2))!;
    const digits = m[0].replace(/^0+/, "");
    if (digits.length > 32) return undefined;
    return { value: m[0] ? BigInt("0x" + m[0]) : 0n, end: pos + 2 + m[0].length };
  }
  const d = /^[0-9]+/.exec(s.slice(pos));
  if (!d) return undefined;
  const value = BigInt(d[0]);
  if (value >= 1n << 64n) return undefined;
  return { value, end: pos + d[0].length };
}

function ipv4Bytes(v: number): Uint8Array {
  return new Uint8Array([v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
}

interface NatParams {
  snat: boolean;
  dnat: boolean;
  addrLen: number;
  min: Uint8Array;
  max: Uint8Array;
  protoMin: number;
  protoMax: number;
  persistent: boolean;
  hash: boolean;
  random: boolean;
}

function scanIpv6Token(s: string, p: number): { bytes: Uint8Array; end: number } | undefined {
  const bracket = s[p] === "[";
  const start = bracket ? p + 1 : p;
  let q = start;
  while (q < s.length && q - start < 46 && /[0-9a-fA-F:.]/.test(s[q]!)) q++;
  if (q === start) return undefined;
  const bytes = parseIpv6(s.slice(start, q));
  if (!bytes) return undefined;
  if (bracket) {
    if (s[q] !== "]") return undefined;
    q++;
  }
  return { bytes, end: q };
}

function scanNatRange(s: string, pos: number, p: NatParams): number | undefined {
  if (s[pos] !== "=") return pos;
  let q = pos + 1;
  const v4 = scanIpv4(s, q);
  if (v4) {
    p.addrLen = 4;
    p.min = ipv4Bytes(v4.value);
    q = v4.end;
    if (s[q] === "-") {
      const max = scanIpv4(s, q + 1);
      if (!max) return undefined;
      p.max = ipv4Bytes(max.value);
      q = max.end;
    }
  } else {
    const v6 = scanIpv6Token(s, q);
    if (!v6) return undefined;
    p.addrLen = 16;
    p.min = v6.bytes;
    q = v6.end;
    if (s[q] === "-") {
      const max = scanIpv6Token(s, q + 1);
      if (!max) return undefined;
      p.max = max.bytes;
      q = max.end;
    }
  }
  if (s[q] === ":") {
    const min = scanDecimal(s, q + 1, 16);
    if (min) {
      p.protoMin = min.value;
      q = min.end;
      if (s[q] === "-") {
        const max = scanDecimal(s, q + 1, 16);
        if (!max) return undefined;
        p.protoMax = max.value;
        q = max.end;
      }
    }
  }
  return q;
}

function scanNat(s: string, pos: number): { nat: CtNat; end: number } | undefined | "error" {
  if (!s.startsWith("nat", pos)) return undefined;
  let q = pos + 3;
  const p: NatParams = {
    snat: false,
    dnat: false,
    addrLen: 0,
    min: new Uint8Array(16),
    max: new Uint8Array(16),
    protoMin: 0,
    protoMax: 0,
    persistent: false,
    hash: false,
    random: false,
  };
  if (s[q] === "(") {
    q++;
    const close = s.indexOf(")", q);
    if (close < 0) return "error";
    while (q < close) {
      q = skip(s, q, DELIMITERS);
      let r: number | undefined;
      if (s.startsWith("src", q)) {
        r = scanNatRange(s, q + 3, p);
        p.snat = true;
      } else if (s.startsWith("dst", q)) {
        r = scanNatRange(s, q + 3, p);
        p.dnat = true;
      } else if (s.startsWith("persistent", q)) {
        r = q + 10;
        p.persistent = true;
      } else if (s.startsWith("hash", q)) {
        r = q + 4;
        p.hash = true;
      } else if (s.startsWith("random", q)) {
        r = q + 6;
        p.random = true;
      }
      if (r === undefined) return "error";
      q = r;
    }
    if (p.snat && p.dnat) return "error";
    const min = p.min.subarray(0, p.addrLen);
    const max = p.max.subarray(0, p.addrLen);
    if (
      (p.addrLen !== 0 && max.some((b) => b !== 0) && compareBytes(max, min) < 0) ||
      (p.protoMax && p.protoMax < p.protoMin)
    ) {
      return "error";
    }
    if (p.hash && p.random) return "error";
    q++;
  }
  const nat: CtNat = {
    src: p.snat,
    dst: !p.snat && p.dnat,
    persistent: false,
    hash: false,
    random: false,
  };
  if ((p.snat || p.dnat) && p.addrLen) {
    const min = p.min.slice(0, p.addrLen);
    const max = p.max.slice(0, p.addrLen);
    nat.ipMin = min;
    if (compareBytes(max, min) > 0) nat.ipMax = max;
    if (p.protoMin) {
      nat.protoMin = p.protoMin;
      if (p.protoMax && p.protoMax > p.protoMin) nat.protoMax = p.protoMax;
    }
    nat.persistent = p.persistent;
    nat.hash = p.hash;
    nat.random = p.random;
  }
  return { nat, end: q };
}

/** ct[(...)] at `pos`: the action and its end, undefined if not "ct", "error" if malformed. */
export function parseCtAction(
  s: string,
  pos: number,
): { ct: CtAction; end: number } | undefined | "error" {
  if (!s.startsWith("ct", pos)) return undefined;
  let q = pos + 2;
  const ct: CtAction = { type: "ct", commit: false, forceCommit: false, zone: 0 };
  if (s[q] === "(") {
    q++;
    for (;;) {
      q = skip(s, q, DELIMITERS);
      if (q >= s.length) return "error";
      if (s[q] === ")") break;
      if (s.startsWith("commit", q)) {
        ct.commit = true;
        q += 6;
      } else if (s.startsWith("force_commit", q)) {
        ct.forceCommit = true;
        q += 12;
      } else if (s.startsWith("zone=", q)) {
        const v = scanDecimal(s, q + 5, 16);
        if (!v) return "error";
        ct.zone = v.value;
        q = v.end;
      } else if (s.startsWith("mark=", q)) {
        const v = scanHex(s, q + 5, 32);
        if (!v) return "error";
        q = v.end;
        let mask = 0xffffffff;
        if (s[q] === "/") {
          const m = scanHex(s, q + 1, 32);
          if (m) {
            mask = Number(m.value);
            q = m.end;
          }
        }
        ct.mark = { value: Number(v.value), mask };
      } else if (s.startsWith("label=", q)) {
        const v = scanU128(s, q + 6);
        if (!v) return "error";
        q = v.end;
        let mask = (1n << 128n) - 1n;
        if (s[q] === "/") {
          const m = scanU128(s, q + 1);
          if (!m) return "error";
          mask = m.value;
          q = m.end;
        }
        ct.label = { value: v.value, mask };
      } else if (s.startsWith("helper=", q) || s.startsWith("timeout=", q)) {
        const isHelper = s.startsWith("helper=", q);
        q += isHelper ? 7 : 8;
        const len = span(s, q, DELIMITERS_END);
        if (!len || len > (isHelper ? 15 : 31)) return "error";
        if (isHelper) ct.helper = s.slice(q, q + len);
        else ct.timeout = s.slice(q, q + len);
        q += len;
      } else {
        const nat = scanNat(s, q);
        if (nat === undefined || nat === "error") return "error";
        ct.nat = nat.nat;
        q = nat.end;
      }
    }
    q++;
  }
  if (ct.commit && ct.forceCommit) return "error";
  if (ct.commit) ct.forceCommit = false;
  if (ct.mark && ct.mark.mask === 0) delete ct.mark;
  if (ct.label && ct.label.mask === 0n) delete ct.label;
  return { ct, end: q };
}

/** Bytes of the ct action's Netlink attribute. */
export function ctNlSize(ct: CtAction): number {
  let n = 4;
  if (ct.commit || ct.forceCommit) n += 4;
  if (ct.zone) n += 8;
  if (ct.mark) n += 12;
  if (ct.label) n += 36;
  if (ct.helper !== undefined) n += 4 + ((ct.helper.length + 1 + 3) & ~3);
  if (ct.timeout !== undefined) n += 4 + ((ct.timeout.length + 1 + 3) & ~3);
  if (ct.nat) {
    n += 4;
    const nat = ct.nat;
    if (nat.src || nat.dst) n += 4;
    if (nat.ipMin) n += 4 + nat.ipMin.length;
    if (nat.ipMax) n += 4 + nat.ipMax.length;
    if (nat.protoMin) n += 8;
    if (nat.protoMax) n += 8;
    if (nat.persistent) n += 4;
    if (nat.hash) n += 4;
    if (nat.random) n += 4;
  }
  return n;
}
