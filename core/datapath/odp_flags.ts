// Flag sets in datapath flow text (TCP flags, conntrack state, tunnel flags): their bit names and
// upstream's parse_flags / format_flags / format_flags_masked (lib/flow.c) over them. Pure.

export type BitNames = (bit: number) => string | undefined;

const TCP_NAMES: Record<number, string> = {
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

/** packet_tcp_flag_to_string. */
export const TCP_FLAG_NAMES: BitNames = (bit) => TCP_NAMES[bit];

const CT_NAMES: Record<number, string> = {
  0x01: "new",
  0x02: "est",
  0x04: "rel",
  0x08: "rpl",
  0x10: "inv",
  0x20: "trk",
  0x40: "snat",
  0x80: "dnat",
};

/** odp_ct_state_to_string (OVS_CS_F_* bits). */
export const CT_STATE_NAMES: BitNames = (bit) => CT_NAMES[bit];

const TUNNEL_NAMES: Record<number, string> = { 0x1: "oam", 0x2: "df", 0x4: "csum", 0x8: "key" };

/** flow_tun_flag_to_string (FLOW_TNL_F_* bits). */
export const TUNNEL_FLAG_NAMES: BitNames = (bit) => TUNNEL_NAMES[bit];

function lowestBit(x: number): number {
  return (x & -x) >>> 0;
}

/** format_flags: the set bits' names joined by `delimiter`, unnamed ones as one hex number. */
export function formatFlags(flags: number, names: BitNames, delimiter: string): string {
  flags >>>= 0;
  if (!flags) return "0";
  const parts: string[] = [];
  let bad = 0;
  while (flags) {
    const bit = lowestBit(flags);
    const name = names(bit);
    if (name) parts.push(name);
    else bad = (bad | bit) >>> 0;
    flags = (flags & ~bit) >>> 0;
  }
  if (bad) parts.push(`0x${bad.toString(16)}`);
  return parts.join(delimiter);
}

/** format_flags_masked without a name: "+syn-ack", "0/0", or format_flags when fully masked. */
export function formatFlagsMasked(
  flags: number,
  mask: number,
  maxMask: number,
  names: BitNames,
): string {
  mask >>>= 0;
  if (mask === maxMask >>> 0) return formatFlags(flags, names, "|");
  if (!mask) return "0/0";
  let out = "";
  while (mask) {
    const bit = lowestBit(mask);
    out += `${flags & bit ? "+" : "-"}${names(bit) ?? "[Unknown]"}`;
    mask = (mask & ~bit) >>> 0;
  }
  return out;
}

export interface ParsedFlags {
  value: number;
  mask: number;
  end: number;
}

/**
 * parse_flags with ')' as the end character: "N/M" numbers, "+a-b" masked names (only with
 * `withMask`), or "a|b|N" unmasked (the mask then all ones). `allowed` limits the bits.
 * Returns undefined where upstream returns an error.
 */
export function parseFlagsText(
  s: string,
  pos: number,
  names: BitNames,
  allowed: number,
  withMask: boolean,
): ParsedFlags | undefined {
  if (withMask) {
    const numeric =
      /^\s*([+-]?(?:0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*))\/\s*([+-]?(?:0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*))/
        .exec(s.slice(pos));
    if (numeric) {
      const value = cInt(numeric[1]!);
      const mask = cInt(numeric[2]!);
      if (value & ~allowed || mask & ~allowed) return undefined;
      return { value, mask, end: pos + numeric[0].length };
    }
  }
  const end = ")";
  let p = pos;
  if (withMask && (s[p] === "+" || s[p] === "-")) {
    let flags = 0;
    let mask = 0;
    while (p < s.length && s[p] !== end) {
      if (s[p] !== "+" && s[p] !== "-") return undefined;
      const set = s[p] === "+";
      p++;
      let found = 0;
      let len = 0;
      for (let bit = 1; bit && bit <= 0x80000000; bit = bit * 2) {
        const name = names(bit >>> 0);
        if (!name) continue;
        const next = s[p + name.length];
        if (!s.startsWith(name, p) || (next !== "+" && next !== "-" && next !== end)) continue;
        found = bit >>> 0;
        len = name.length;
        break;
      }
      if (!found || mask & found || !(found & allowed)) return undefined;
      if (set) flags = (flags | found) >>> 0;
      mask = (mask | found) >>> 0;
      p += len;
    }
    if (p >= s.length) return undefined;
    return { value: flags, mask, end: p };
  }
  let result = 0;
  while (p < s.length && s[p] !== end) {
    const number = /^\s*[+-]?(?:0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/.exec(s.slice(p));
    if (number) {
      const v = cInt(number[0]);
      if (v & ~allowed) return undefined;
      p += number[0].length;
      if (s[p] === "|") p++;
      result = (result | v) >>> 0;
      continue;
    }
    let matched = false;
    for (let bit = 1; bit <= 0x80000000; bit = bit * 2) {
      const name = names(bit >>> 0);
      if (!name) continue;
      const next = s[p + name.length];
      if (s.startsWith(name, p) && (next === "|" || next === end)) {
        if (!((bit >>> 0) & allowed)) return undefined;
        result = (result | bit) >>> 0;
        p += name.length + (next === "|" ? 1 : 0);
        matched = true;
        break;
      }
    }
    if (!matched) return undefined;
  }
  if (p >= s.length) return undefined;
  return { value: result, mask: 0xffffffff, end: p };
}

/** A C integer literal as %i reads it, wrapped to 32 bits. */
function cInt(text: string): number {
  let t = text.trim();
  const negative = t.startsWith("-");
  if (t.startsWith("-") || t.startsWith("+")) t = t.slice(1);
  let v: bigint;
  if (/^0[xX]/.test(t)) v = BigInt(t);
  else if (t.length > 1 && t.startsWith("0")) v = BigInt(`0o${t.slice(1)}`);
  else v = BigInt(t);
  return Number(BigInt.asUintN(32, negative ? -v : v));
}
