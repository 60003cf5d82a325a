// The flow-key attributes a datapath `set(...)` action carries (upstream's OVS_KEY_ATTR_* payloads
// inside OVS_ACTION_ATTR_SET / SET_MASKED): their byte layout, their text in upstream's exact
// syntax (format_odp_key_attr / parse_odp_key_mask_attr for the attributes a set can hold), and
// their construction from flow words. One table describes each attribute's fields and drives
// formatting, parsing and the executor's field reads.
//
// Parsing is in odp_key_attr_parse.ts, conversion to and from flow words in odp_key_attr_flow.ts.
// Layout promise: a bytes attribute has `key` and `mask` of the same length; multi-byte fields are
// big-endian at the offsets in ATTRS (our own packing, not the C structs'); a mask of all ones
// means an unmasked set. `nlSize` is the C struct's size, used only to account Netlink lengths.
// Tunnel metadata is a structured attribute of its own (TunnelKey). Never imports core/ofproto.

import { formatIpv4, formatIpv6, formatMac, hexAlt } from "./scan.ts";

export type FieldKind =
  | "eth"
  | "ipv4"
  | "in6"
  | "u8u"
  | "u8x"
  | "be16"
  | "be16x"
  | "frag"
  | "label"
  | "reserved";

export interface FieldDesc {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  readonly kind: FieldKind;
}

/** How an attribute's text looks: named fields, one number, or a special syntax. */
export type AttrShape = "fields" | "u32" | "port" | "ethertype" | "vlan" | "mpls";

export interface AttrDesc {
  readonly name: BytesAttrName;
  readonly shape: AttrShape;
  /** Bytes of key (and of mask); MPLS is a multiple of 4. */
  readonly size: number;
  /** The kernel struct's size, for Netlink length accounting. */
  readonly nlSize: number;
  readonly fields: readonly FieldDesc[];
  /** recirc_id's mask is not scanned: the value is always exact. */
  readonly fullyMasked?: boolean;
}

export type BytesAttrName =
  | "skb_priority"
  | "skb_mark"
  | "recirc_id"
  | "dp_hash"
  | "in_port"
  | "eth"
  | "vlan"
  | "eth_type"
  | "mpls"
  | "ipv4"
  | "ipv6"
  | "tcp"
  | "udp"
  | "sctp"
  | "icmp"
  | "icmpv6"
  | "arp"
  | "nd"
  | "nd_ext";

export type KeyAttrName = BytesAttrName | "tunnel";

/** A bytes attribute: key and mask in the ATTRS layout. */
export interface BytesKeyAttr {
  readonly name: BytesAttrName;
  readonly key: Uint8Array;
  readonly mask: Uint8Array;
}

/** FLOW_TNL_F_* bits as upstream numbers them. */
export const TNL_F_OAM = 1;
export const TNL_F_DONT_FRAGMENT = 2;
export const TNL_F_CSUM = 4;
export const TNL_F_KEY = 8;

/** Tunnel metadata a set(tunnel(...)) action gives the packet (upstream's struct flow_tnl). */
export interface TunnelKey {
  tunId: bigint;
  ipv4Src: number;
  ipv4Dst: number;
  ipv6Src: Uint8Array;
  ipv6Dst: Uint8Array;
  tos: number;
  ttl: number;
  tpSrc: number;
  tpDst: number;
  /** TNL_F_* bits. */
  flags: number;
  gbpId: number;
  gbpFlags: number;
  /** ERSPAN version 1 or 2, 0 when absent. */
  erspanVer: number;
  erspanIdx: number;
  erspanDir: number;
  erspanHwid: number;
}

export interface TunnelKeyAttr {
  readonly name: "tunnel";
  readonly tunnel: TunnelKey;
}

export type KeyAttr = BytesKeyAttr | TunnelKeyAttr;

function f(name: string, offset: number, size: number, kind: FieldKind): FieldDesc {
  return { name, offset, size, kind };
}

const L4_FIELDS = [f("src", 0, 2, "be16"), f("dst", 2, 2, "be16")];
const ICMP_FIELDS = [f("type", 0, 1, "u8u"), f("code", 1, 1, "u8u")];

export const ATTR_LIST: readonly AttrDesc[] = [
  { name: "skb_priority", shape: "u32", size: 4, nlSize: 4, fields: [] },
  { name: "skb_mark", shape: "u32", size: 4, nlSize: 4, fields: [] },
  { name: "recirc_id", shape: "u32", size: 4, nlSize: 4, fields: [], fullyMasked: true },
  { name: "dp_hash", shape: "u32", size: 4, nlSize: 4, fields: [] },
  { name: "in_port", shape: "port", size: 4, nlSize: 4, fields: [] },
  {
    name: "eth",
    shape: "fields",
    size: 12,
    nlSize: 12,
    fields: [f("src", 0, 6, "eth"), f("dst", 6, 6, "eth")],
  },
  { name: "vlan", shape: "vlan", size: 2, nlSize: 2, fields: [] },
  { name: "eth_type", shape: "ethertype", size: 2, nlSize: 2, fields: [] },
  { name: "mpls", shape: "mpls", size: 4, nlSize: 4, fields: [] },
  {
    name: "ipv4",
    shape: "fields",
    size: 12,
    nlSize: 12,
    fields: [
      f("src", 0, 4, "ipv4"),
      f("dst", 4, 4, "ipv4"),
      f("proto", 8, 1, "u8u"),
      f("tos", 9, 1, "u8x"),
      f("ttl", 10, 1, "u8u"),
      f("frag", 11, 1, "frag"),
    ],
  },
  {
    name: "ipv6",
    shape: "fields",
    size: 40,
    nlSize: 40,
    fields: [
      f("src", 0, 16, "in6"),
      f("dst", 16, 16, "in6"),
      f("label", 32, 4, "label"),
      f("proto", 36, 1, "u8u"),
      f("tclass", 37, 1, "u8x"),
      f("hlimit", 38, 1, "u8u"),
      f("frag", 39, 1, "frag"),
    ],
  },
  { name: "tcp", shape: "fields", size: 4, nlSize: 4, fields: L4_FIELDS },
  { name: "udp", shape: "fields", size: 4, nlSize: 4, fields: L4_FIELDS },
  { name: "sctp", shape: "fields", size: 4, nlSize: 4, fields: L4_FIELDS },
  { name: "icmp", shape: "fields", size: 2, nlSize: 2, fields: ICMP_FIELDS },
  { name: "icmpv6", shape: "fields", size: 2, nlSize: 2, fields: ICMP_FIELDS },
  {
    name: "arp",
    shape: "fields",
    size: 22,
    nlSize: 24,
    fields: [
      f("sip", 0, 4, "ipv4"),
      f("tip", 4, 4, "ipv4"),
      f("op", 8, 2, "be16"),
      f("sha", 10, 6, "eth"),
      f("tha", 16, 6, "eth"),
    ],
  },
  {
    name: "nd",
    shape: "fields",
    size: 28,
    nlSize: 28,
    fields: [f("target", 0, 16, "in6"), f("sll", 16, 6, "eth"), f("tll", 22, 6, "eth")],
  },
  {
    name: "nd_ext",
    shape: "fields",
    size: 5,
    nlSize: 8,
    fields: [f("nd_reserved", 0, 4, "reserved"), f("nd_options_type", 4, 1, "u8u")],
  },
];

export const ATTRS: ReadonlyMap<BytesAttrName, AttrDesc> = new Map(
  ATTR_LIST.map((a) => [a.name, a]),
);

export function attrDesc(name: BytesAttrName): AttrDesc {
  const desc = ATTRS.get(name);
  if (!desc) throw new RangeError(`unknown key attribute ${name}`);
  return desc;
}

/** The descriptor of field `field` of attribute `name` (for executors and builders). */
export function attrField(name: BytesAttrName, field: string): FieldDesc {
  const desc = attrDesc(name).fields.find((x) => x.name === field);
  if (!desc) throw new RangeError(`attribute ${name} has no field ${field}`);
  return desc;
}

/** Reads a field of up to 4 bytes as an unsigned big-endian number. */
export function readBytesBE(bytes: Uint8Array, offset: number, size: number): number {
  let v = 0;
  for (let i = 0; i < size; i++) v = (v * 256) + bytes[offset + i]!;
  return v;
}

export function writeBytesBE(bytes: Uint8Array, offset: number, size: number, value: number): void {
  for (let i = size - 1; i >= 0; i--) {
    bytes[offset + i] = value & 0xff;
    value = Math.floor(value / 256);
  }
}

/** A fresh attribute with zero key and zero mask (`mpls` with `labels` entries). */
export function newKeyAttr(name: BytesAttrName, labels = 1): BytesKeyAttr {
  const size = name === "mpls" ? 4 * labels : attrDesc(name).size;
  return { name, key: new Uint8Array(size), mask: new Uint8Array(size) };
}

/** Sets field `field` to `value` under `mask` (default: exact). Numbers or bytes. */
export function setKeyField(
  attr: BytesKeyAttr,
  field: string,
  value: number | Uint8Array,
  mask?: number | Uint8Array,
): BytesKeyAttr {
  const desc = attrField(attr.name, field);
  if (typeof value === "number") {
    writeBytesBE(attr.key, desc.offset, desc.size, value);
  } else {
    attr.key.set(value.subarray(0, desc.size), desc.offset);
  }
  if (mask === undefined) {
    attr.mask.fill(0xff, desc.offset, desc.offset + desc.size);
  } else if (typeof mask === "number") {
    writeBytesBE(attr.mask, desc.offset, desc.size, mask);
  } else {
    attr.mask.set(mask.subarray(0, desc.size), desc.offset);
  }
  return attr;
}

export function isAllOnes(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0xff) return false;
  return true;
}

export function isAllZeros(bytes: Uint8Array, offset = 0, size = bytes.length - offset): boolean {
  for (let i = offset; i < offset + size; i++) if (bytes[i] !== 0) return false;
  return true;
}

export function newTunnelKey(): TunnelKey {
  return {
    tunId: 0n,
    ipv4Src: 0,
    ipv4Dst: 0,
    ipv6Src: new Uint8Array(16),
    ipv6Dst: new Uint8Array(16),
    tos: 0,
    ttl: 0,
    tpSrc: 0,
    tpDst: 0,
    flags: 0,
    gbpId: 0,
    gbpFlags: 0,
    erspanVer: 0,
    erspanIdx: 0,
    erspanDir: 0,
    erspanHwid: 0,
  };
}

// ---------------------------------------------------------------------------------------------
// Formatting.

export const FRAG_NAMES = ["no", "first", "later"];

function formatField(
  out: string[],
  fd: FieldDesc,
  key: Uint8Array,
  mask: Uint8Array | undefined,
  verbose: boolean,
): void {
  const { name, offset, size, kind } = fd;
  const empty = mask !== undefined && isAllZeros(mask, offset, size);
  if (kind === "frag") {
    const m = mask ? mask[offset]! : 0xff;
    if (m !== 0 && m !== 0xff) {
      out.push(`error: partial mask not supported for frag (${hexAlt(m)})`);
    } else if (m !== 0) {
      out.push(`${name}=${FRAG_NAMES[key[offset]!] ?? "<error>"}`);
    }
    return;
  }
  if (kind === "reserved") {
    out.push(`${name}=0x${readBytesBE(key, offset, size).toString(16)}`);
    return;
  }
  if (!verbose && empty) return;
  const full = mask === undefined ||
    (kind === "label"
      ? (readBytesBE(mask, offset, size) & 0xfffff) === 0xfffff
      : isAllOnes(mask.subarray(offset, offset + size)));
  const value = readBytesBE(key, offset, Math.min(size, 4));
  const maskValue = mask ? readBytesBE(mask, offset, Math.min(size, 4)) : 0;
  switch (kind) {
    case "eth":
      out.push(
        full
          ? `${name}=${formatMac(key, offset)}`
          : `${name}=${formatMac(key, offset)}/${formatMac(mask!, offset)}`,
      );
      return;
    case "ipv4":
      out.push(
        `${name}=${formatIpv4(value)}${full ? "" : "/" + formatIpv4(maskValue)}`,
      );
      return;
    case "in6":
      out.push(
        `${name}=${formatIpv6(key, offset)}${full ? "" : "/" + formatIpv6(mask!, offset)}`,
      );
      return;
    case "label":
    case "u8x":
    case "be16x":
      out.push(`${name}=${hexAlt(value)}${full ? "" : "/" + hexAlt(maskValue)}`);
      return;
    case "u8u":
    case "be16":
      out.push(`${name}=${value}${full ? "" : "/" + hexAlt(maskValue)}`);
      return;
  }
}

function formatVlanTci(tci: number, mask: number, verbose: boolean): string {
  const parts: string[] = [];
  const vid = tci & 0xfff;
  const vidMask = mask & 0xfff;
  const pcp = tci >> 13;
  const pcpMask = mask >> 13;
  if (verbose || vid || vidMask) {
    parts.push(`vid=${vid}${vidMask !== 0xfff ? "/0x" + vidMask.toString(16) : ""}`);
  }
  if (verbose || pcp || pcpMask) {
    parts.push(`pcp=${pcp}${pcpMask !== 7 ? "/0x" + pcpMask.toString(16) : ""}`);
  }
  if (!(tci & 0x1000)) parts.push("cfi=0");
  return parts.join(",");
}

/** upstream's format_vlan_tci, for push_vlan and vlan(). */
export function formatVlan(tci: number, mask = 0xffff, verbose = false): string {
  return formatVlanTci(tci, mask, verbose);
}

export function formatMplsLse(lse: number): string {
  return `label=${lse >>> 12},tc=${(lse >>> 9) & 7},ttl=${lse & 0xff},bos=${(lse >>> 8) & 1}`;
}

/**
 * An attribute's text (`ipv4(src=...)`), as format_odp_key_attr writes it: with no mask
 * (unmasked set) every field in verbose form, with a mask only the fields it covers.
 */
export function formatKeyAttr(
  attr: KeyAttr,
  masked: boolean,
  portName?: (port: number) => string | undefined,
): string {
  if (attr.name === "tunnel") return `tunnel(${formatTunnel(attr.tunnel)})`;
  const desc = attrDesc(attr.name);
  const key = attr.key;
  const mask = masked ? attr.mask : undefined;
  const exact = mask === undefined || isAllOnes(mask);
  const verbose = !masked;
  let body: string;
  switch (desc.shape) {
    case "u32": {
      const v = readBytesBE(key, 0, 4);
      body = hexAlt(v) + (exact ? "" : "/" + hexAlt(readBytesBE(mask!, 0, 4)));
      break;
    }
    case "port": {
      const v = readBytesBE(key, 0, 4);
      body = exact ? (portName?.(v) ?? String(v)) : `${v}/${hexAlt(readBytesBE(mask!, 0, 4))}`;
      break;
    }
    case "ethertype": {
      const hex4 = (n: number) => "0x" + n.toString(16).padStart(4, "0");
      body = hex4(readBytesBE(key, 0, 2)) + (exact ? "" : "/" + hex4(readBytesBE(mask!, 0, 2)));
      break;
    }
    case "vlan":
      body = formatVlanTci(
        readBytesBE(key, 0, 2),
        mask ? readBytesBE(mask, 0, 2) : 0xffff,
        verbose,
      );
      break;
    case "mpls": {
      const parts: string[] = [];
      for (let i = 0; i + 4 <= key.length; i += 4) {
        const k = readBytesBE(key, i, 4);
        if (exact) {
          parts.push(formatMplsLse(k));
        } else {
          const m = readBytesBE(mask!, i, 4);
          parts.push(
            `label=${k >>> 12}/0x${(m >>> 12).toString(16)},tc=${(k >>> 9) & 7}/${
              ((m >>> 9) & 7).toString(16)
            },ttl=${k & 0xff}/0x${(m & 0xff).toString(16)},bos=${(k >>> 8) & 1}/${
              ((m >>> 8) & 1).toString(16)
            }`,
          );
        }
      }
      body = parts.join(",");
      break;
    }
    case "fields": {
      const out: string[] = [];
      for (const fd of desc.fields) formatField(out, fd, key, mask, verbose);
      body = out.join(",");
      break;
    }
  }
  return `${attr.name}(${body})`;
}

export const TUN_FLAG_NAMES: [number, string][] = [
  [TNL_F_OAM, "oam"],
  [TNL_F_DONT_FRAGMENT, "df"],
  [TNL_F_CSUM, "csum"],
  [TNL_F_KEY, "key"],
];

export function ipv6IsSet(bytes: Uint8Array): boolean {
  return !isAllZeros(bytes);
}

/** The inside of tunnel(...): the attributes tun_key_to_attr would emit, fully masked. */
export function formatTunnel(t: TunnelKey): string {
  const out: string[] = [];
  let flags = t.flags & (TNL_F_OAM | TNL_F_DONT_FRAGMENT | TNL_F_CSUM);
  if (t.tunId !== 0n || t.flags & TNL_F_KEY) {
    out.push(`tun_id=0x${t.tunId.toString(16)}`);
    flags |= TNL_F_KEY;
  }
  if (t.ipv4Src) out.push(`src=${formatIpv4(t.ipv4Src)}`);
  if (t.ipv4Dst) out.push(`dst=${formatIpv4(t.ipv4Dst)}`);
  if (ipv6IsSet(t.ipv6Src)) out.push(`ipv6_src=${formatIpv6(t.ipv6Src)}`);
  if (ipv6IsSet(t.ipv6Dst)) out.push(`ipv6_dst=${formatIpv6(t.ipv6Dst)}`);
  if (t.tos) out.push(`tos=${hexAlt(t.tos)}`);
  out.push(`ttl=${t.ttl}`);
  if (t.tpSrc) out.push(`tp_src=${t.tpSrc}`);
  if (t.tpDst) out.push(`tp_dst=${t.tpDst}`);
  if (t.gbpId || t.gbpFlags) out.push(`vxlan(gbp(id=${t.gbpId},flags=${hexAlt(t.gbpFlags)}))`);
  if (t.erspanVer === 1) {
    out.push(`erspan(ver=1,idx=${hexAlt(t.erspanIdx)})`);
  } else if (t.erspanVer === 2) {
    out.push(`erspan(ver=2,dir=${t.erspanDir},hwid=${hexAlt(t.erspanHwid)})`);
  }
  const names = TUN_FLAG_NAMES.filter(([bit]) => flags & bit).map(([, name]) => name);
  out.push(`flags(${names.join("|")})`);
  return out.join(",");
}

/** Bytes this attribute takes inside a Netlink message, header included. */
export function keyAttrNlSize(attr: KeyAttr, masked: boolean): number {
  if (attr.name === "tunnel") return 4 + tunnelNlSize(attr.tunnel);
  const payload = attr.name === "mpls" ? attr.key.length : attrDesc(attr.name).nlSize;
  return 4 + align4(masked ? 2 * payload : payload);
}

function tunnelNlSize(t: TunnelKey): number {
  let n = 0;
  if (t.tunId !== 0n || t.flags & TNL_F_KEY) n += 12;
  if (t.ipv4Src) n += 8;
  if (t.ipv4Dst) n += 8;
  if (ipv6IsSet(t.ipv6Src)) n += 20;
  if (ipv6IsSet(t.ipv6Dst)) n += 20;
  if (t.tos) n += 8;
  n += 8;
  if (t.flags & TNL_F_DONT_FRAGMENT) n += 4;
  if (t.flags & TNL_F_CSUM) n += 4;
  if (t.tpSrc) n += 8;
  if (t.tpDst) n += 8;
  if (t.flags & TNL_F_OAM) n += 4;
  if (t.gbpId || t.gbpFlags) n += 12;
  if (t.erspanVer) n += 12;
  return n;
}

export function align4(n: number): number {
  return (n + 3) & ~3;
}
