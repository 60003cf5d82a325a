// Parsing of datapath flow text into key and mask attributes, as upstream's
// odp_flow_from_string and parse_odp_key_mask_attr (lib/odp-util.c) read it: the same attribute
// and field names, the same scanf conversions, the same leniencies (a trailing comma inside an
// attribute, a later field overriding an earlier one, a "ufid:" prefix skipped) and the same
// error, "syntax error at <the rest of the text from the attribute that failed>".
//
// Promises: every failure is an OdpParseError; the attributes are individually well formed (the
// sequence is checked later, by odp_flow.ts, as upstream's odp_flow_key_to_flow does). Not
// parsed: nsh(...), and the tunnel options geneve, erspan and gtpu (syntax errors here).

import {
  newAttr,
  newNested,
  type OdpAttr,
  OVS_KEY_ATTR_ARP,
  OVS_KEY_ATTR_CT_LABELS,
  OVS_KEY_ATTR_CT_MARK,
  OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4,
  OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6,
  OVS_KEY_ATTR_CT_STATE,
  OVS_KEY_ATTR_CT_ZONE,
  OVS_KEY_ATTR_DP_HASH,
  OVS_KEY_ATTR_ENCAP,
  OVS_KEY_ATTR_ETHERNET,
  OVS_KEY_ATTR_ETHERTYPE,
  OVS_KEY_ATTR_ICMP,
  OVS_KEY_ATTR_ICMPV6,
  OVS_KEY_ATTR_IN_PORT,
  OVS_KEY_ATTR_IPV4,
  OVS_KEY_ATTR_IPV6,
  OVS_KEY_ATTR_MPLS,
  OVS_KEY_ATTR_ND,
  OVS_KEY_ATTR_ND_EXTENSIONS,
  OVS_KEY_ATTR_PACKET_TYPE,
  OVS_KEY_ATTR_PRIORITY,
  OVS_KEY_ATTR_RECIRC_ID,
  OVS_KEY_ATTR_SCTP,
  OVS_KEY_ATTR_SKB_MARK,
  OVS_KEY_ATTR_TCP,
  OVS_KEY_ATTR_TCP_FLAGS,
  OVS_KEY_ATTR_TUNNEL,
  OVS_KEY_ATTR_UDP,
  OVS_KEY_ATTR_VLAN,
  put16,
  put32,
  TUN_ATTR_CSUM,
  TUN_ATTR_DONT_FRAGMENT,
  TUN_ATTR_ID,
  TUN_ATTR_IPV4_DST,
  TUN_ATTR_IPV4_SRC,
  TUN_ATTR_IPV6_DST,
  TUN_ATTR_IPV6_SRC,
  TUN_ATTR_OAM,
  TUN_ATTR_TOS,
  TUN_ATTR_TP_DST,
  TUN_ATTR_TP_SRC,
  TUN_ATTR_TTL,
  TUN_ATTR_VXLAN_OPTS,
  u16,
  VXLAN_EXT_GBP,
} from "./odp_attrs.ts";
import {
  parseIntString,
  scanEthAddr,
  scanInteger,
  scanIpv4Addr,
  scanIpv6Addr,
  scanned,
} from "./odp_text.ts";
import { parseFlagsText, TCP_FLAG_NAMES, TUNNEL_FLAG_NAMES } from "./odp_flags.ts";
import { CT_STATE_NAMES } from "./odp_flags.ts";

/** Datapath flow text that does not parse; the message is upstream's. */
export class OdpParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OdpParseError";
  }
}

/** Key and mask attributes, in text order, as odp_flow_from_string appends them. */
export interface ParsedOdpAttrs {
  key: OdpAttr[];
  mask: OdpAttr[];
}

const DELIMITERS = ", \t\r\n";
const MAX_NESTED = 32;

/** A field's scanner: reads at `pos` into key/mask bytes at `at`; returns the end or -1. */
type FieldScan = (s: string, pos: number, key: Uint8Array, mask: Uint8Array, at: number) => number;

/** Parses flow text (odp_flow_from_string); `portNames` resolves in_port(NAME). */
export function parseOdpAttrs(
  text: string,
  portNames?: (name: string) => number | undefined,
): ParsedOdpAttrs {
  const ctx: Ctx = { depth: 0, portNames };
  const out: ParsedOdpAttrs = { key: [], mask: [] };
  let s = 0;
  for (;;) {
    s = skipSet(text, s, DELIMITERS);
    if (s >= text.length) return out;
    if (text.startsWith("ufid:", s)) {
      if (!isUuidAt(text, s + 5)) throw new OdpParseError(`syntax error at ${text.slice(s)}`);
      s += 5 + 36;
      if (text[s] === " ") s++;
    }
    const end = parseAttr(ctx, text, s, out.key, out.mask);
    if (end < 0) throw new OdpParseError(`syntax error at ${text.slice(s)}`);
    s = end;
  }
}

interface Ctx {
  depth: number;
  portNames: ((name: string) => number | undefined) | undefined;
}

function skipSet(s: string, pos: number, set: string): number {
  while (pos < s.length && set.includes(s[pos]!)) pos++;
  return pos;
}

function isUuidAt(s: string, at: number): boolean {
  return /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/.test(
    s.slice(at, at + 36),
  );
}

function parseAttr(ctx: Ctx, s: string, pos: number, key: OdpAttr[], mask: OdpAttr[]): number {
  ctx.depth++;
  try {
    if (ctx.depth === MAX_NESTED) return -1;
    return parseAttr__(ctx, s, pos, key, mask);
  } finally {
    ctx.depth--;
  }
}

/** Scalar attributes: name, attribute, size, scanner (fully masked ones take no mask). */
interface Single {
  name: string;
  type: number;
  size: number;
  scan: FieldScan;
  fullyMasked?: boolean;
}

/** Structured attributes: name, attribute, size, fields at their struct offsets. */
interface Struct {
  name: string;
  type: number;
  size: number;
  fields: readonly (readonly [string, FieldScan, number])[];
  init?: (key: Uint8Array, mask: Uint8Array) => void;
}

const SINGLES: readonly Single[] = [
  { name: "skb_priority(", type: OVS_KEY_ATTR_PRIORITY, size: 4, scan: scanU32 },
  { name: "skb_mark(", type: OVS_KEY_ATTR_SKB_MARK, size: 4, scan: scanU32 },
  {
    name: "recirc_id(",
    type: OVS_KEY_ATTR_RECIRC_ID,
    size: 4,
    scan: scanU32,
    fullyMasked: true,
  },
  { name: "dp_hash(", type: OVS_KEY_ATTR_DP_HASH, size: 4, scan: scanU32 },
  { name: "ct_state(", type: OVS_KEY_ATTR_CT_STATE, size: 4, scan: scanCtState },
  { name: "ct_zone(", type: OVS_KEY_ATTR_CT_ZONE, size: 2, scan: scanU16 },
  { name: "ct_mark(", type: OVS_KEY_ATTR_CT_MARK, size: 4, scan: scanU32 },
  { name: "ct_label(", type: OVS_KEY_ATTR_CT_LABELS, size: 16, scan: scanU128 },
];

const STRUCTS_BEFORE_PORT: readonly Struct[] = [
  {
    name: "ct_tuple4(",
    type: OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4,
    size: 16,
    fields: [["src=", scanIpv4, 0], ["dst=", scanIpv4, 4], ["proto=", scanU8, 12], [
      "tp_src=",
      scanBe16,
      8,
    ], ["tp_dst=", scanBe16, 10]],
  },
  {
    name: "ct_tuple6(",
    type: OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6,
    size: 40,
    fields: [["src=", scanIn6, 0], ["dst=", scanIn6, 16], ["proto=", scanU8, 36], [
      "tp_src=",
      scanBe16,
      32,
    ], ["tp_dst=", scanBe16, 34]],
  },
];

const STRUCTS: readonly Struct[] = [
  {
    name: "eth(",
    type: OVS_KEY_ATTR_ETHERNET,
    size: 12,
    fields: [["src=", scanEth, 0], ["dst=", scanEth, 6]],
  },
  {
    name: "vlan(",
    type: OVS_KEY_ATTR_VLAN,
    size: 2,
    fields: [["vid=", scanBf16(12, 0), 0], ["pcp=", scanBf16(3, 13), 0], [
      "cfi=",
      scanBf16(1, 12),
      0,
    ]],
    init: (key, mask) => {
      put16(key, 0, 0x1000);
      put16(mask, 0, 0x1000);
    },
  },
];

const SINGLE_ETHERTYPE: Single = {
  name: "eth_type(",
  type: OVS_KEY_ATTR_ETHERTYPE,
  size: 2,
  scan: scanBe16,
};

const STRUCTS_AFTER_MPLS: readonly Struct[] = [
  {
    name: "ipv4(",
    type: OVS_KEY_ATTR_IPV4,
    size: 12,
    fields: [
      ["src=", scanIpv4, 0],
      ["dst=", scanIpv4, 4],
      ["proto=", scanU8, 8],
      ["tos=", scanU8, 9],
      ["ttl=", scanU8, 10],
      ["frag=", scanFrag, 11],
    ],
  },
  {
    name: "ipv6(",
    type: OVS_KEY_ATTR_IPV6,
    size: 40,
    fields: [
      ["src=", scanIn6, 0],
      ["dst=", scanIn6, 16],
      ["label=", scanIpv6Label, 32],
      ["proto=", scanU8, 36],
      ["tclass=", scanU8, 37],
      ["hlimit=", scanU8, 38],
      ["frag=", scanFrag, 39],
    ],
  },
  {
    name: "tcp(",
    type: OVS_KEY_ATTR_TCP,
    size: 4,
    fields: [["src=", scanBe16, 0], ["dst=", scanBe16, 2]],
  },
];

const SINGLE_TCP_FLAGS: Single = {
  name: "tcp_flags(",
  type: OVS_KEY_ATTR_TCP_FLAGS,
  size: 2,
  scan: scanTcpFlags,
};

const STRUCTS_AFTER_TCP_FLAGS: readonly Struct[] = [
  {
    name: "udp(",
    type: OVS_KEY_ATTR_UDP,
    size: 4,
    fields: [["src=", scanBe16, 0], ["dst=", scanBe16, 2]],
  },
  {
    name: "sctp(",
    type: OVS_KEY_ATTR_SCTP,
    size: 4,
    fields: [["src=", scanBe16, 0], ["dst=", scanBe16, 2]],
  },
  {
    name: "icmp(",
    type: OVS_KEY_ATTR_ICMP,
    size: 2,
    fields: [["type=", scanU8, 0], ["code=", scanU8, 1]],
  },
  {
    name: "icmpv6(",
    type: OVS_KEY_ATTR_ICMPV6,
    size: 2,
    fields: [["type=", scanU8, 0], ["code=", scanU8, 1]],
  },
  {
    name: "arp(",
    type: OVS_KEY_ATTR_ARP,
    size: 24,
    fields: [
      ["sip=", scanIpv4, 0],
      ["tip=", scanIpv4, 4],
      ["op=", scanBe16, 8],
      ["sha=", scanEth, 10],
      ["tha=", scanEth, 16],
    ],
  },
  {
    name: "nd(",
    type: OVS_KEY_ATTR_ND,
    size: 28,
    fields: [["target=", scanIn6, 0], ["sll=", scanEth, 16], ["tll=", scanEth, 22]],
  },
  {
    name: "nd_ext(",
    type: OVS_KEY_ATTR_ND_EXTENSIONS,
    size: 8,
    fields: [["nd_reserved=", scanBe32, 0], ["nd_options_type=", scanU8, 4]],
  },
  {
    name: "packet_type(",
    type: OVS_KEY_ATTR_PACKET_TYPE,
    size: 4,
    fields: [["ns=", scanBe16, 0], ["id=", scanBe16, 2]],
  },
];

function parseAttr__(ctx: Ctx, s: string, pos: number, key: OdpAttr[], mask: OdpAttr[]): number {
  for (const single of SINGLES) {
    if (s.startsWith(single.name, pos)) return parseSingle(single, s, pos, key, mask);
  }
  for (const st of STRUCTS_BEFORE_PORT) {
    if (s.startsWith(st.name, pos)) return parseStruct(st, s, pos, key, mask);
  }
  if (s.startsWith("tunnel(", pos)) return parseTunnel(s, pos, key, mask);
  if (s.startsWith("in_port(", pos)) return parseInPort(ctx, s, pos, key, mask);
  for (const st of STRUCTS) {
    if (s.startsWith(st.name, pos)) return parseStruct(st, s, pos, key, mask);
  }
  if (s.startsWith(SINGLE_ETHERTYPE.name, pos)) {
    return parseSingle(SINGLE_ETHERTYPE, s, pos, key, mask);
  }
  if (s.startsWith("mpls(", pos)) return parseMpls(s, pos, key, mask);
  for (const st of STRUCTS_AFTER_MPLS) {
    if (s.startsWith(st.name, pos)) return parseStruct(st, s, pos, key, mask);
  }
  if (s.startsWith(SINGLE_TCP_FLAGS.name, pos)) {
    return parseSingle(SINGLE_TCP_FLAGS, s, pos, key, mask);
  }
  for (const st of STRUCTS_AFTER_TCP_FLAGS) {
    if (s.startsWith(st.name, pos)) return parseStruct(st, s, pos, key, mask);
  }
  if (s.startsWith("encap(", pos)) {
    const k = newNested(OVS_KEY_ATTR_ENCAP);
    const m = newNested(OVS_KEY_ATTR_ENCAP);
    let p = pos + 6;
    for (;;) {
      p = skipSet(s, p, DELIMITERS);
      if (p >= s.length) return -1;
      if (s[p] === ")") break;
      const end = parseAttr(ctx, s, p, k.nested!, m.nested!);
      if (end < 0) return -1;
      p = end;
    }
    key.push(k);
    mask.push(m);
    return p + 1;
  }
  return -1;
}

function parseSingle(d: Single, s: string, pos: number, key: OdpAttr[], mask: OdpAttr[]): number {
  const k = newAttr(d.type, d.size);
  const m = newAttr(d.type, d.size);
  let p = pos + d.name.length;
  if (d.fullyMasked) {
    m.data.fill(0xff);
    p = d.scan(s, p, k.data, NO_MASK, 0);
  } else {
    p = d.scan(s, p, k.data, m.data, 0);
  }
  if (p < 0 || s[p] !== ")") return -1;
  key.push(k);
  mask.push(m);
  return p + 1;
}

/** The SCAN_BEGIN ... SCAN_FINISH loop: fields in any order, comma separated, then ")". */
function parseStruct(d: Struct, s: string, pos: number, key: OdpAttr[], mask: OdpAttr[]): number {
  const k = newAttr(d.type, d.size);
  const m = newAttr(d.type, d.size);
  d.init?.(k.data, m.data);
  let p = pos + d.name.length;
  let scannedField: boolean;
  do {
    scannedField = false;
    for (const [name, scan, at] of d.fields) {
      if (s.startsWith(name, p)) {
        const end = scan(s, p + name.length, k.data, m.data, at);
        if (end < 0) return -1;
        p = end;
        scannedField = true;
        break;
      }
    }
  } while (s[p++] === "," && scannedField);
  if (s[p - 1] !== ")") return -1;
  key.push(k);
  mask.push(m);
  return p;
}

function parseInPort(
  ctx: Ctx,
  s: string,
  pos: number,
  key: OdpAttr[],
  mask: OdpAttr[],
): number {
  const k = newAttr(OVS_KEY_ATTR_IN_PORT, 4);
  const m = newAttr(OVS_KEY_ATTR_IN_PORT, 4);
  let p = scanU32(s, pos + 8, k.data, m.data, 0);
  if (p < 0 && ctx.portNames) {
    const close = s.indexOf(")", pos + 8);
    const name = s.slice(pos + 8, close < 0 ? s.length : close);
    const port = ctx.portNames(name);
    if (port !== undefined) {
      put32(k.data, 0, port);
      m.data.fill(0xff);
      p = pos + 8 + name.length;
    }
  }
  if (p < 0 || s[p] !== ")") return -1;
  key.push(k);
  mask.push(m);
  return p + 1;
}

/** mpls(label=..,tc=..,ttl=..,bos=..[,label=..,...]): a repeated field starts the next entry. */
function parseMpls(s: string, pos: number, key: OdpAttr[], mask: OdpAttr[]): number {
  const max = 3;
  const k = new Uint8Array(4 * max);
  const m = new Uint8Array(4 * max);
  const names = ["label=", "tc=", "ttl=", "bos="];
  const scans = [scanBf32(20, 12), scanBf32(3, 9), scanBf32(8, 0), scanBf32(1, 8)];
  let idx = 0;
  let seen = 0;
  let p = pos + 5;
  let scannedField: boolean;
  let full = false;
  do {
    scannedField = false;
    for (let f = 0; f < names.length; f++) {
      if (!s.startsWith(names[f]!, p)) continue;
      if (seen & (1 << f)) {
        seen = 0;
        if (++idx === max) {
          full = true;
          break;
        }
      }
      const end = scans[f]!(s, p + names[f]!.length, k, m, 4 * idx);
      if (end < 0) return -1;
      p = end;
      seen |= 1 << f;
      scannedField = true;
      break;
    }
    if (full) break;
  } while (s[p++] === "," && scannedField);
  if (full || s[p - 1] !== ")") return -1;
  const n = idx + 1;
  key.push({ type: OVS_KEY_ATTR_MPLS, data: k.slice(0, 4 * n), nested: null });
  mask.push({ type: OVS_KEY_ATTR_MPLS, data: m.slice(0, 4 * n), nested: null });
  return p;
}

// ---------------------------------------------------------------------------------------------
// Tunnel: tunnel(tun_id=..,src=..,dst=..,ipv6_src=..,ipv6_dst=..,tos=..,ttl=..,tp_src=..,
// tp_dst=..,vxlan(gbp(id=..,flags=..)),flags(..)).

interface TunnelField {
  name: string;
  type: number;
  size: number;
  scan: FieldScan;
}

const TUNNEL_FIELDS: readonly TunnelField[] = [
  { name: "tun_id=", type: TUN_ATTR_ID, size: 8, scan: scanBe64 },
  { name: "src=", type: TUN_ATTR_IPV4_SRC, size: 4, scan: scanIpv4 },
  { name: "dst=", type: TUN_ATTR_IPV4_DST, size: 4, scan: scanIpv4 },
  { name: "ipv6_src=", type: TUN_ATTR_IPV6_SRC, size: 16, scan: scanIn6 },
  { name: "ipv6_dst=", type: TUN_ATTR_IPV6_DST, size: 16, scan: scanIn6 },
  { name: "tos=", type: TUN_ATTR_TOS, size: 1, scan: scanU8 },
  { name: "ttl=", type: TUN_ATTR_TTL, size: 1, scan: scanU8 },
  { name: "tp_src=", type: TUN_ATTR_TP_SRC, size: 2, scan: scanBe16 },
  { name: "tp_dst=", type: TUN_ATTR_TP_DST, size: 2, scan: scanBe16 },
];

/** FLOW_TNL_F_* bits and the flag attribute each becomes. */
export const TUNNEL_FLAG_ATTRS: readonly (readonly [number, number])[] = [
  [1 << 1, TUN_ATTR_DONT_FRAGMENT],
  [1 << 2, TUN_ATTR_CSUM],
  [1 << 0, TUN_ATTR_OAM],
];
export const FLOW_TNL_F_KEY = 1 << 3;
const FLOW_TNL_F_MASK = 0xf;

function parseTunnel(s: string, pos: number, key: OdpAttr[], mask: OdpAttr[]): number {
  const k = newNested(OVS_KEY_ATTR_TUNNEL);
  const m = newNested(OVS_KEY_ATTR_TUNNEL);
  let p = pos + 7;
  let scannedField: boolean;
  do {
    scannedField = false;
    const field = TUNNEL_FIELDS.find((f) => s.startsWith(f.name, p));
    if (field) {
      const ka = newAttr(field.type, field.size);
      const ma = newAttr(field.type, field.size);
      ma.data.fill(0xff);
      const end = field.scan(s, p + field.name.length, ka.data, ma.data, 0);
      if (end < 0) return -1;
      p = end;
      k.nested!.push(ka);
      m.nested!.push(ma);
      scannedField = true;
    } else if (s.startsWith("vxlan(gbp(", p)) {
      const end = scanVxlanGbp(s, p + 10, k.nested!, m.nested!);
      if (end < 0) return -1;
      p = end;
      scannedField = true;
    } else if (s.startsWith("flags(", p)) {
      const flags = parseFlagsText(s, p + 6, TUNNEL_FLAG_NAMES, FLOW_TNL_F_MASK, true);
      if (!flags || s[flags.end] !== ")") return -1;
      p = flags.end + 1;
      for (const [bit, type] of TUNNEL_FLAG_ATTRS) {
        if (flags.value & bit) k.nested!.push(newAttr(type, 0));
        if (flags.mask & bit) m.nested!.push(newAttr(type, 0));
      }
      scannedField = true;
    }
  } while (s[p++] === "," && scannedField);
  if (s[p - 1] !== ")") return -1;
  key.push(k);
  mask.push(m);
  return p;
}

/** gbp(id=N[/M],flags=N[/M])) after "vxlan(gbp(": the GBP word id | flags << 16. */
function scanVxlanGbp(s: string, pos: number, key: OdpAttr[], mask: OdpAttr[]): number {
  let p = pos;
  let id = 0;
  let idMask = 0;
  let flags = 0;
  let flagsMask = 0;
  const k = new Uint8Array(2);
  const m = new Uint8Array(2);
  if (s.startsWith("id=", p)) {
    p = scanBe16(s, p + 3, k, m, 0);
    if (p < 0) return -1;
    id = u16(k, 0);
    idMask = u16(m, 0);
  }
  if (s[p] === ",") p++;
  if (s.startsWith("flags=", p)) {
    p = scanU8(s, p + 6, k, m, 0);
    if (p < 0) return -1;
    flags = k[0]!;
    flagsMask = m[0]!;
  }
  if (!s.startsWith("))", p)) return -1;
  // Like upstream's vxlan_gbp_to_attr, a zero word puts no option (key and mask apart).
  const gbp = ((flags << 16) | id) >>> 0;
  const gbpMask = ((flagsMask << 16) | idMask) >>> 0;
  for (const [list, value] of [[key, gbp], [mask, gbpMask]] as const) {
    if (!value) continue;
    const opts = newNested(TUN_ATTR_VXLAN_OPTS);
    const a = newAttr(VXLAN_EXT_GBP, 4);
    put32(a.data, 0, value);
    opts.nested!.push(a);
    list.push(opts);
  }
  return p + 2;
}

// ---------------------------------------------------------------------------------------------
// Field scanners (upstream's scan_*): each writes the key bytes and, unless `mask` is NO_MASK,
// the mask bytes (all ones when no "/mask" follows).

const NO_MASK = new Uint8Array(0);

function wantMask(mask: Uint8Array): boolean {
  return mask !== NO_MASK;
}

function scanUnsigned(
  bits: number,
  s: string,
  pos: number,
  key: Uint8Array,
  mask: Uint8Array,
  at: number,
): number {
  let p = scanInteger(s, pos, 0, bits);
  if (p < 0) return -1;
  putBits(key, at, bits, scanned.value);
  if (wantMask(mask)) {
    const q = s[p] === "/" ? scanInteger(s, p + 1, 0, bits) : -1;
    if (q >= 0) {
      putBits(mask, at, bits, scanned.value);
      p = q;
    } else {
      putBits(mask, at, bits, bits === 32 ? 0xffffffff : (1 << bits) - 1);
    }
  }
  return p;
}

function putBits(d: Uint8Array, at: number, bits: number, v: number): void {
  if (bits === 8) d[at] = v;
  else if (bits === 16) put16(d, at, v);
  else put32(d, at, v);
}

function scanU8(s: string, pos: number, key: Uint8Array, mask: Uint8Array, at: number): number {
  return scanUnsigned(8, s, pos, key, mask, at);
}

function scanU16(s: string, pos: number, key: Uint8Array, mask: Uint8Array, at: number): number {
  return scanUnsigned(16, s, pos, key, mask, at);
}

function scanU32(s: string, pos: number, key: Uint8Array, mask: Uint8Array, at: number): number {
  return scanUnsigned(32, s, pos, key, mask, at);
}

function scanBe16(s: string, pos: number, key: Uint8Array, mask: Uint8Array, at: number): number {
  return scanUnsigned(16, s, pos, key, mask, at);
}

function scanBe32(s: string, pos: number, key: Uint8Array, mask: Uint8Array, at: number): number {
  return scanUnsigned(32, s, pos, key, mask, at);
}

function scanBe64(s: string, pos: number, key: Uint8Array, mask: Uint8Array, at: number): number {
  let p = scanInteger(s, pos, 0, 64);
  if (p < 0) return -1;
  putBig(key, at, scanned.big);
  if (wantMask(mask)) {
    const q = s[p] === "/" ? scanInteger(s, p + 1, 0, 64) : -1;
    if (q >= 0) {
      putBig(mask, at, scanned.big);
      p = q;
    } else {
      mask.fill(0xff, at, at + 8);
    }
  }
  return p;
}

function putBig(d: Uint8Array, at: number, v: bigint): void {
  for (let i = 7; i >= 0; i--) {
    d[at + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

function scanEth(s: string, pos: number, key: Uint8Array, mask: Uint8Array, at: number): number {
  let p = scanEthAddr(s, pos, key, at);
  if (p < 0) return -1;
  if (wantMask(mask)) {
    const q = s[p] === "/" ? scanEthAddr(s, p + 1, mask, at) : -1;
    if (q >= 0) p = q;
    else mask.fill(0xff, at, at + 6);
  }
  return p;
}

function scanIpv4(s: string, pos: number, key: Uint8Array, mask: Uint8Array, at: number): number {
  let p = scanIpv4Addr(s, pos);
  if (p < 0) return -1;
  put32(key, at, scanned.value);
  if (wantMask(mask)) {
    const q = s[p] === "/" ? scanIpv4Addr(s, p + 1) : -1;
    if (q >= 0) {
      put32(mask, at, scanned.value);
      p = q;
    } else {
      put32(mask, at, 0xffffffff);
    }
  }
  return p;
}

function scanIn6(s: string, pos: number, key: Uint8Array, mask: Uint8Array, at: number): number {
  let p = scanIpv6Addr(s, pos, key, at);
  if (p < 0) return -1;
  if (wantMask(mask)) {
    const q = s[p] === "/" ? scanIpv6Addr(s, p + 1, mask, at) : -1;
    if (q >= 0) p = q;
    else mask.fill(0xff, at, at + 16);
  }
  return p;
}

function scanIpv6Label(
  s: string,
  pos: number,
  key: Uint8Array,
  mask: Uint8Array,
  at: number,
): number {
  let p = scanInteger(s, pos, 0, 32);
  if (p < 0 || scanned.value & ~0xfffff) return -1;
  put32(key, at, scanned.value);
  if (wantMask(mask)) {
    const q = s[p] === "/" ? scanInteger(s, p + 1, 0, 32) : -1;
    if (q >= 0 && !(scanned.value & ~0xfffff)) {
      put32(mask, at, scanned.value);
      p = q;
    } else {
      put32(mask, at, 0xfffff);
    }
  }
  return p;
}

function scanFrag(s: string, pos: number, key: Uint8Array, mask: Uint8Array, at: number): number {
  const m = /^[a-z]{1,7}/.exec(s.slice(pos, pos + 7));
  if (!m) return -1;
  const types: Record<string, number> = { no: 0, first: 1, later: 2 };
  const type = types[m[0].toLowerCase()];
  if (type === undefined) return -1;
  key[at] = type;
  if (wantMask(mask)) mask[at] = 0xff;
  return pos + m[0].length;
}

/** A bit field of a 16-bit value (VLAN vid/pcp/cfi): the value must fit in `bits`. */
function scanBf16(bits: number, offset: number): FieldScan {
  return (s, pos, key, mask, at) => {
    let p = scanInteger(s, pos, 0, 16);
    if (p < 0 || scanned.value >> bits) return -1;
    const field = ((1 << bits) - 1) << offset;
    put16(key, at, (u16(key, at) & ~field) | (scanned.value << offset));
    if (wantMask(mask)) {
      const q = s[p] === "/" ? scanInteger(s, p + 1, 0, 16) : -1;
      if (q >= 0) {
        if (scanned.value >> bits) return -1;
        put16(mask, at, (u16(mask, at) & ~field) | (scanned.value << offset));
        p = q;
      } else {
        put16(mask, at, u16(mask, at) | field);
      }
    }
    return p;
  };
}

/** A bit field of a 32-bit value (an MPLS label stack entry's label, tc, ttl, bos). */
function scanBf32(bits: number, offset: number): FieldScan {
  return (s, pos, key, mask, at) => {
    let p = scanInteger(s, pos, 0, 32);
    if (p < 0 || Math.floor(scanned.value / 2 ** bits)) return -1;
    const field = (2 ** bits - 1) * 2 ** offset;
    const read = (d: Uint8Array) =>
      ((d[at]! << 24) | (d[at + 1]! << 16) | (d[at + 2]! << 8) | d[at + 3]!) >>> 0;
    put32(key, at, ((read(key) & ~field) | (scanned.value * 2 ** offset)) >>> 0);
    if (wantMask(mask)) {
      const q = s[p] === "/" ? scanInteger(s, p + 1, 0, 32) : -1;
      if (q >= 0) {
        if (Math.floor(scanned.value / 2 ** bits)) return -1;
        put32(mask, at, ((read(mask) & ~field) | (scanned.value * 2 ** offset)) >>> 0);
        p = q;
      } else {
        put32(mask, at, (read(mask) | field) >>> 0);
      }
    }
    return p;
  };
}

function scanU128(s: string, pos: number, key: Uint8Array, mask: Uint8Array, at: number): number {
  let p = parseIntString(s, pos, key, at, 16);
  if (p < 0) return -1;
  if (wantMask(mask)) {
    if (s[p] === "/") {
      p = parseIntString(s, p + 1, mask, at, 16);
      if (p < 0) return -1;
    } else {
      mask.fill(0xff, at, at + 16);
    }
  }
  return p;
}

function scanTcpFlags(
  s: string,
  pos: number,
  key: Uint8Array,
  mask: Uint8Array,
  at: number,
): number {
  const r = parseFlagsText(s, pos, TCP_FLAG_NAMES, 0x0fff, wantMask(mask));
  if (!r) return -1;
  put16(key, at, r.value);
  if (wantMask(mask)) put16(mask, at, r.mask);
  return r.end;
}

function scanCtState(
  s: string,
  pos: number,
  key: Uint8Array,
  mask: Uint8Array,
  at: number,
): number {
  const r = parseFlagsText(s, pos, CT_STATE_NAMES, 0xff, wantMask(mask));
  if (!r) return -1;
  put32(key, at, r.value);
  if (wantMask(mask)) put32(mask, at, r.mask);
  return r.end;
}
