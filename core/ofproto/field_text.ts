// A field's value (and mask) from text and to text, for every FieldFormat, exactly as upstream's
// mf_parse / mf_parse_value / mf_format: integers in decimal or any-width hex with "/mask",
// Ethernet and IP addresses with masks or prefixes, port names, fragment names, the flag
// languages of tcp_flags, ct_state and tun_flags ("+syn-ack", "trk|new", "0x12/0xff"), and
// packet_type "(ns,type)". Errors are ParseError with upstream's wording. Also re-exports the
// Match semantics of field_set.ts (setFieldInMatch & co.) so that parsers need one import.

import { ParseError } from "./errors.ts";
import type { Field } from "./fields.ts";
import {
  formatEthernetMasked,
  formatIpv4Masked,
  formatIpv6Masked,
  parseEthernetMasked,
  parseIpv4Masked,
  parseIpv6Masked,
} from "./addr_text.ts";
import {
  formatPort,
  parsePort,
  portFromOfp11Quiet,
  type PortMap,
  portToOfp11,
} from "./port_text.ts";
import { ovsScan, parseIntString } from "./text_scan.ts";
import {
  bytesToNumber,
  CS_SUPPORTED_MASK,
  FLOW_TNL_PUB_F_MASK,
  isAllOnes,
  isAllZeros,
  isFieldMaskValid,
  numberToBytes,
} from "./field_set.ts";

export * from "./field_set.ts";

// ---- flag names ----

const TCP_FLAG_NAMES: Record<number, string> = {
  0x001: "fin",
  0x002: "syn",
  0x004: "rst",
  0x008: "psh",
  0x010: "ack",
  0x020: "urg",
  0x040: "ece",
  0x080: "cwr",
  0x100: "ns",
  0x200: "[200]",
  0x400: "[400]",
  0x800: "[800]",
};

const CT_STATE_NAMES: Record<number, string> = {
  0x01: "new",
  0x02: "est",
  0x04: "rel",
  0x08: "rpl",
  0x10: "inv",
  0x20: "trk",
  0x40: "snat",
  0x80: "dnat",
};

const TUN_FLAG_NAMES: Record<number, string> = {
  0x1: "oam",
  0x2: "df",
  0x4: "csum",
  0x8: "key",
};

export type BitNamer = (bit: number) => string | undefined;

/** packet_tcp_flag_to_string. */
export const tcpFlagName: BitNamer = (bit) => TCP_FLAG_NAMES[bit];
/** ct_state_to_string. */
export const ctStateName: BitNamer = (bit) => CT_STATE_NAMES[bit];
/** flow_tun_flag_to_string. */
export const tunFlagName: BitNamer = (bit) => TUN_FLAG_NAMES[bit];

/** format_flags: names joined by `del`, unknown bits as one hex number, "0" when none. */
export function formatFlags(flags: number, name: BitNamer, del = "|"): string {
  if (!flags) return "0";
  const parts: string[] = [];
  let bad = 0;
  let rest = flags >>> 0;
  while (rest) {
    const bit = (rest & -rest) >>> 0;
    const s = name(bit);
    if (s !== undefined) parts.push(s);
    else bad = (bad | bit) >>> 0;
    rest = (rest & ~bit) >>> 0;
  }
  if (bad) parts.push(`0x${bad.toString(16)}`);
  return parts.join(del);
}

/** format_flags_masked (without a name): "+syn-ack" style unless every bit is matched. */
export function formatFlagsMasked(
  flags: number,
  mask: number,
  maxMask: number,
  name: BitNamer,
): string {
  if (mask >>> 0 === maxMask >>> 0) return formatFlags(flags, name, "|");
  if (!mask) return "0/0";
  let out = "";
  let rest = mask >>> 0;
  while (rest) {
    const bit = (rest & -rest) >>> 0;
    out += `${flags & bit ? "+" : "-"}${name(bit) ?? "[Unknown]"}`;
    rest = (rest & ~bit) >>> 0;
  }
  return out;
}

/**
 * parse_flags: "name|name|0x10", "+name-name" (with `withMask`), or "value/mask" numbers (with
 * `withMask`); bits outside `allowed` are refused. Returns flags and mask (all ones for the
 * unmasked form).
 */
export function parseFlags(
  s: string,
  name: BitNamer,
  fieldName: string,
  allowed: number,
  withMask: boolean,
  end = "",
): { flags: number; mask: number; consumed: number } {
  const atEnd = (i: number) => (end === "" ? i >= s.length : s[i] === end || i >= s.length);
  const unknown = (at: string) => new ParseError(`${at}: unknown ${fieldName} flag(s)`);
  if (withMask) {
    const numeric = ovsScan(s, "%i/%i%n");
    if (numeric && (numeric.values[2] as number) > 0) {
      const flags = Number(BigInt.asUintN(32, numeric.values[0] as bigint));
      const mask = Number(BigInt.asUintN(32, numeric.values[1] as bigint));
      if ((flags & ~allowed) || (mask & ~allowed)) throw unknown(s);
      return { flags, mask, consumed: numeric.values[2] as number };
    }
  }
  if (withMask && (s[0] === "+" || s[0] === "-")) {
    let flags = 0;
    let mask = 0;
    let i = 0;
    while (!atEnd(i)) {
      const sign = s[i];
      if (sign !== "+" && sign !== "-") {
        throw new ParseError(
          `${s.slice(i)}: ${fieldName} must be preceded by '+' (for SET) or '-' (NOT SET)`,
        );
      }
      i++;
      let matched = 0;
      for (let b = 0; b < 32; b++) {
        const bit = (1 << b) >>> 0;
        const fname = name(bit);
        if (fname === undefined) continue;
        const next = s[i + fname.length];
        if (
          !s.startsWith(fname, i) ||
          (next !== "+" && next !== "-" && !atEnd(i + fname.length))
        ) {
          continue;
        }
        if (mask & bit) {
          throw new ParseError(
            `${s.slice(i)}: Each ${fieldName} flag can be specified only once`,
          );
        }
        if (!(bit & allowed)) throw unknown(s.slice(i));
        if (sign === "+") flags = (flags | bit) >>> 0;
        mask = (mask | bit) >>> 0;
        matched = fname.length;
        break;
      }
      if (!matched) throw unknown(s.slice(i));
      i += matched;
    }
    return { flags, mask, consumed: i };
  }
  let result = 0;
  let n = 0;
  while (!atEnd(n)) {
    const numeric = ovsScan(s, "%lli%n", n);
    if (numeric) {
      const value = BigInt.asUintN(64, numeric.values[0] as bigint);
      // C widens ~allowed from 32 bits, so bits above 31 are never refused.
      if (value & BigInt(~allowed >>> 0)) throw unknown(s);
      const n0 = numeric.values[1] as number;
      n += n0 + (s[n + n0] === "|" ? 1 : 0);
      result = (result | Number(value)) >>> 0;
      continue;
    }
    let matched = false;
    for (let b = 0; b < 32; b++) {
      const bit = (1 << b) >>> 0;
      const fname = name(bit);
      if (fname === undefined) continue;
      const next = n + fname.length;
      if (s.startsWith(fname, n) && (s[next] === "|" || atEnd(next))) {
        if (!(bit & allowed)) throw unknown(s);
        result = (result | bit) >>> 0;
        n = next + (s[next] === "|" ? 1 : 0);
        matched = true;
        break;
      }
    }
    if (!matched) throw unknown(s);
  }
  return { flags: result, mask: 0xffffffff, consumed: n };
}

// ---- fragments ----

const FRAG_ANY = 1;
const FRAG_LATER = 2;

/** upstream's all_frags table: name, mask, value (first match wins when formatting). */
const FRAGS: ReadonlyArray<readonly [string, number, number]> = [
  ["no", FRAG_ANY | FRAG_LATER, 0],
  ["first", FRAG_ANY | FRAG_LATER, FRAG_ANY],
  ["later", FRAG_ANY | FRAG_LATER, FRAG_ANY | FRAG_LATER],
  ["no", FRAG_ANY, 0],
  ["yes", FRAG_ANY, FRAG_ANY],
  ["not_later", FRAG_LATER, 0],
  ["later", FRAG_LATER, FRAG_LATER],
];

function formatFrag(value: number, mask: number): string {
  const m = mask & 3;
  const v = value & m;
  for (const [name, fm, fv] of FRAGS) if (v === fv && m === fm) return name;
  return "<error>";
}

// ---- packet type ----

function putU16Masked(value: number, mask: number): string {
  if (!mask) return "*";
  let out = value > 9 ? `0x${value.toString(16)}` : `${value}`;
  if (mask !== 0xffff) out += `/0x${mask.toString(16)}`;
  return out;
}

/** format_packet_type_masked: "eth" for Ethernet, else "packet_type=(ns,type)". */
export function formatPacketTypeMasked(value: number, mask: number): string {
  if (value === 0 && mask >>> 0 === 0xffffffff) return "eth";
  return `packet_type=(${putU16Masked(value >>> 16, mask >>> 16)},${
    putU16Masked(value & 0xffff, mask & 0xffff)
  })`;
}

function parsePacketType(s0: string): Uint8Array {
  let s = s0;
  const fail = (at: string, what: string) =>
    new ParseError(`${at}: bad syntax for packet type ${what}`);
  if (!s.startsWith("(")) throw fail(s, "missing '('");
  s = s.slice(1);
  const ns = parseIntString(s, 2);
  if (!ns.ok) throw fail(s, "ns");
  if (s[ns.tail] !== ",") throw fail(s, "missing ','");
  s = s.slice(ns.tail + 1);
  const type = parseIntString(s, 2);
  if (!type.ok) throw fail(s, "ns_type");
  if (s[type.tail] !== ")") throw fail(s, "missing ')'");
  const out = new Uint8Array(4);
  out.set(ns.bytes, 0);
  out.set(type.bytes, 2);
  return out;
}

// ---- integers ----

/** ds_put_hex: "0x" and the bytes without leading zeros, or "0". */
export function formatHexBytes(b: Uint8Array): string {
  let out = "";
  for (let i = 0; i < b.length; i++) {
    if (out) out += b[i]!.toString(16).padStart(2, "0");
    else if (b[i]) out = `0x${b[i]!.toString(16)}`;
  }
  return out || "0";
}

function parseInteger(f: Field, s: string): { value: Uint8Array; mask: Uint8Array } {
  const fail = (error: "ERANGE" | "EINVAL" | undefined, what: string) =>
    new ParseError(
      error === "ERANGE"
        ? `${s}: ${what} too large for ${f.nBytes}-byte field ${f.name}`
        : `${s}: bad syntax for ${f.name} ${what}`,
    );
  const v = parseIntString(s, f.nBytes);
  if (!v.ok) throw fail(v.error, "value");
  if (v.tail < s.length && s[v.tail] !== "/") throw fail(undefined, "value");
  if (s[v.tail] !== "/") return { value: v.bytes, mask: new Uint8Array(f.nBytes).fill(0xff) };
  const m = parseIntString(s, f.nBytes, v.tail + 1);
  if (!m.ok) throw fail(m.error, "mask");
  if (m.tail !== s.length) throw fail(undefined, "mask");
  return { value: v.bytes, mask: m.bytes };
}

function formatInteger(f: Field, value: Uint8Array, mask: Uint8Array | undefined): string {
  let out: string;
  if (f.format === "hexadecimal") {
    out = formatHexBytes(value);
  } else {
    let v = 0n;
    for (let i = 0; i < f.nBytes && i < 8; i++) v = (v << 8n) | BigInt(value[i] ?? 0);
    out = BigInt.asIntN(64, v).toString();
  }
  if (mask) out += `/${formatHexBytes(mask)}`;
  return out;
}

// ---- mf_parse / mf_format ----

/** mf_parse: `s` as a value and mask of `f` ("*" wildcards everything). */
export function parseFieldValue(
  f: Field,
  s: string,
  portMap?: PortMap,
): { value: Uint8Array; mask: Uint8Array } {
  if (s === "*") return { value: new Uint8Array(f.nBytes), mask: new Uint8Array(f.nBytes) };
  let value: Uint8Array;
  let mask: Uint8Array;
  switch (f.format) {
    case "decimal":
    case "hexadecimal":
      ({ value, mask } = parseInteger(f, s));
      break;
    case "ct_state": {
      const r = parseFlags(s, ctStateName, "ct_state", CS_SUPPORTED_MASK, true);
      value = numberToBytes(r.flags, 4);
      mask = numberToBytes(r.mask, 4);
      break;
    }
    case "ethernet":
      ({ value, mask } = parseEthernetMasked(s));
      break;
    case "ipv4": {
      const r = parseIpv4Masked(s);
      value = numberToBytes(r.ip, 4);
      mask = numberToBytes(r.mask, 4);
      break;
    }
    case "ipv6": {
      const r = parseIpv6Masked(s);
      value = r.addr;
      mask = r.mask;
      break;
    }
    case "ofp_port": {
      const port = parsePort(s, portMap);
      if (port === undefined) throw new ParseError(`${s}: invalid or unknown port for ${f.name}`);
      value = numberToBytes(port, 2);
      mask = numberToBytes(0xffff, 2);
      break;
    }
    case "ofp_port_oxm": {
      const port = parsePort(s, portMap);
      if (port === undefined) throw new ParseError(`${s}: port value out of range for ${f.name}`);
      value = numberToBytes(portToOfp11(port), 4);
      mask = numberToBytes(0xffffffff, 4);
      break;
    }
    case "frag": {
      const entry = FRAGS.find(([name]) => name === s.toLowerCase());
      if (!entry) {
        throw new ParseError(
          `${s}: unknown fragment type (valid types are "no", "yes", "first", "later", ` +
            `"not_later"`,
        );
      }
      value = new Uint8Array([entry[2]]);
      mask = new Uint8Array([(entry[1] | 0xfc) & 0xff]);
      break;
    }
    case "tunnel_flags": {
      const r = parseFlags(s, tunFlagName, "tunnel", FLOW_TNL_PUB_F_MASK, true);
      value = numberToBytes(r.flags & 0xffff, 2);
      mask = numberToBytes(r.mask & 0xffff, 2);
      break;
    }
    case "tcp_flags": {
      const r = parseFlags(s, tcpFlagName, "TCP", 0x0fff, true);
      value = numberToBytes(r.flags & 0xffff, 2);
      mask = numberToBytes(r.mask & 0xffff, 2);
      break;
    }
    case "packet_type":
      value = parsePacketType(s);
      mask = numberToBytes(0xffffffff, 4);
      break;
  }
  if (!isFieldMaskValid(f, mask)) throw new ParseError(`${s}: invalid mask for field ${f.name}`);
  return { value, mask };
}

/** mf_parse_value: as parseFieldValue, but only an exact value is acceptable. */
export function parseFieldExactValue(f: Field, s: string, portMap?: PortMap): Uint8Array {
  const { value, mask } = parseFieldValue(f, s, portMap);
  if (!isAllOnes(mask)) throw new ParseError(`${s}: wildcards not allowed here`);
  return value;
}

/**
 * mf_format: `value` under `mask` as text ("ANY" for an all-zero mask; an absent or all-ones
 * mask is exact).
 */
export function formatFieldValue(
  f: Field,
  value: Uint8Array,
  mask?: Uint8Array,
  portMap?: PortMap,
): string {
  let m = mask;
  if (m) {
    if (isAllZeros(m)) return "ANY";
    if (isAllOnes(m)) m = undefined;
  }
  switch (f.format) {
    case "ofp_port_oxm":
      if (!m) return formatPort(portFromOfp11Quiet(bytesToNumber(value)), portMap);
      return formatInteger(f, value, m);
    case "ofp_port":
      if (!m) return formatPort(bytesToNumber(value), portMap);
      return formatInteger(f, value, m);
    case "decimal":
    case "hexadecimal":
      return formatInteger(f, value, m);
    case "ct_state":
      return formatFlagsMasked(
        bytesToNumber(value),
        m ? bytesToNumber(m) : 0xffffffff,
        0xffff,
        ctStateName,
      );
    case "ethernet":
      return formatEthernetMasked(value, m);
    case "ipv4":
      return formatIpv4Masked(bytesToNumber(value), m ? bytesToNumber(m) : 0xffffffff);
    case "ipv6":
      return formatIpv6Masked(value, m);
    case "frag":
      return formatFrag(value[0] ?? 0, m ? m[0] ?? 0 : 0xff);
    case "tunnel_flags":
      return formatFlagsMasked(
        bytesToNumber(value),
        (m ? bytesToNumber(m) : 0xffff) & FLOW_TNL_PUB_F_MASK,
        FLOW_TNL_PUB_F_MASK,
        tunFlagName,
      );
    case "tcp_flags":
      return formatFlagsMasked(
        bytesToNumber(value),
        (m ? bytesToNumber(m) : 0xffff) & 0x0fff,
        0x0fff,
        tcpFlagName,
      );
    case "packet_type":
      return formatPacketTypeMasked(bytesToNumber(value), m ? bytesToNumber(m) : 0xffffffff);
  }
}
