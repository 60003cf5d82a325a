// The datapath flow key as a list of attributes, the in-memory form of upstream's OVS_KEY_ATTR_*
// netlink attributes: each has its upstream type number and its payload in the byte layout of
// the kernel's struct (ovs_key_ipv4 and so on, big-endian fields, padding included), nested ones
// (encap, tunnel) a list of children. The text parser (odp_parse.ts), the formatter
// (odp_format.ts) and the flow-words conversion (odp_flow.ts) meet here, so each follows
// upstream's code over the same shapes. Owns only the model and its byte helpers.

export const OVS_KEY_ATTR_ENCAP = 1;
export const OVS_KEY_ATTR_PRIORITY = 2;
export const OVS_KEY_ATTR_IN_PORT = 3;
export const OVS_KEY_ATTR_ETHERNET = 4;
export const OVS_KEY_ATTR_VLAN = 5;
export const OVS_KEY_ATTR_ETHERTYPE = 6;
export const OVS_KEY_ATTR_IPV4 = 7;
export const OVS_KEY_ATTR_IPV6 = 8;
export const OVS_KEY_ATTR_TCP = 9;
export const OVS_KEY_ATTR_UDP = 10;
export const OVS_KEY_ATTR_ICMP = 11;
export const OVS_KEY_ATTR_ICMPV6 = 12;
export const OVS_KEY_ATTR_ARP = 13;
export const OVS_KEY_ATTR_ND = 14;
export const OVS_KEY_ATTR_SKB_MARK = 15;
export const OVS_KEY_ATTR_TUNNEL = 16;
export const OVS_KEY_ATTR_SCTP = 17;
export const OVS_KEY_ATTR_TCP_FLAGS = 18;
export const OVS_KEY_ATTR_DP_HASH = 19;
export const OVS_KEY_ATTR_RECIRC_ID = 20;
export const OVS_KEY_ATTR_MPLS = 21;
export const OVS_KEY_ATTR_CT_STATE = 22;
export const OVS_KEY_ATTR_CT_ZONE = 23;
export const OVS_KEY_ATTR_CT_MARK = 24;
export const OVS_KEY_ATTR_CT_LABELS = 25;
export const OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4 = 26;
export const OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6 = 27;
export const OVS_KEY_ATTR_PACKET_TYPE = 29;
export const OVS_KEY_ATTR_ND_EXTENSIONS = 30;

/** Tunnel sub-attributes (OVS_TUNNEL_KEY_ATTR_*). */
export const TUN_ATTR_ID = 0;
export const TUN_ATTR_IPV4_SRC = 1;
export const TUN_ATTR_IPV4_DST = 2;
export const TUN_ATTR_TOS = 3;
export const TUN_ATTR_TTL = 4;
export const TUN_ATTR_DONT_FRAGMENT = 5;
export const TUN_ATTR_CSUM = 6;
export const TUN_ATTR_OAM = 7;
export const TUN_ATTR_TP_SRC = 9;
export const TUN_ATTR_TP_DST = 10;
export const TUN_ATTR_VXLAN_OPTS = 11;
export const TUN_ATTR_IPV6_SRC = 12;
export const TUN_ATTR_IPV6_DST = 13;
/** OVS_VXLAN_EXT_GBP inside TUN_ATTR_VXLAN_OPTS. */
export const VXLAN_EXT_GBP = 1;

/** One attribute: a payload in the kernel struct's byte layout, or children if nested. */
export interface OdpAttr {
  type: number;
  data: Uint8Array;
  nested: OdpAttr[] | null;
}

const NAMES: Record<number, string> = {
  [OVS_KEY_ATTR_ENCAP]: "encap",
  [OVS_KEY_ATTR_PRIORITY]: "skb_priority",
  [OVS_KEY_ATTR_SKB_MARK]: "skb_mark",
  [OVS_KEY_ATTR_CT_STATE]: "ct_state",
  [OVS_KEY_ATTR_CT_ZONE]: "ct_zone",
  [OVS_KEY_ATTR_CT_MARK]: "ct_mark",
  [OVS_KEY_ATTR_CT_LABELS]: "ct_label",
  [OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4]: "ct_tuple4",
  [OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6]: "ct_tuple6",
  [OVS_KEY_ATTR_TUNNEL]: "tunnel",
  [OVS_KEY_ATTR_IN_PORT]: "in_port",
  [OVS_KEY_ATTR_ETHERNET]: "eth",
  [OVS_KEY_ATTR_VLAN]: "vlan",
  [OVS_KEY_ATTR_ETHERTYPE]: "eth_type",
  [OVS_KEY_ATTR_IPV4]: "ipv4",
  [OVS_KEY_ATTR_IPV6]: "ipv6",
  [OVS_KEY_ATTR_TCP]: "tcp",
  [OVS_KEY_ATTR_TCP_FLAGS]: "tcp_flags",
  [OVS_KEY_ATTR_UDP]: "udp",
  [OVS_KEY_ATTR_SCTP]: "sctp",
  [OVS_KEY_ATTR_ICMP]: "icmp",
  [OVS_KEY_ATTR_ICMPV6]: "icmpv6",
  [OVS_KEY_ATTR_ARP]: "arp",
  [OVS_KEY_ATTR_ND]: "nd",
  [OVS_KEY_ATTR_ND_EXTENSIONS]: "nd_ext",
  [OVS_KEY_ATTR_MPLS]: "mpls",
  [OVS_KEY_ATTR_DP_HASH]: "dp_hash",
  [OVS_KEY_ATTR_RECIRC_ID]: "recirc_id",
  [OVS_KEY_ATTR_PACKET_TYPE]: "packet_type",
};

/** The attribute's name in flow text (upstream's ovs_key_attr_to_string). */
export function attrName(type: number): string {
  return NAMES[type] ?? `key${type}`;
}

/** Payload sizes of the fixed-size attributes (the kernel structs, with their padding). */
export const ATTR_SIZES: Record<number, number> = {
  [OVS_KEY_ATTR_PRIORITY]: 4,
  [OVS_KEY_ATTR_SKB_MARK]: 4,
  [OVS_KEY_ATTR_DP_HASH]: 4,
  [OVS_KEY_ATTR_RECIRC_ID]: 4,
  [OVS_KEY_ATTR_IN_PORT]: 4,
  [OVS_KEY_ATTR_ETHERNET]: 12,
  [OVS_KEY_ATTR_VLAN]: 2,
  [OVS_KEY_ATTR_ETHERTYPE]: 2,
  [OVS_KEY_ATTR_IPV4]: 12,
  [OVS_KEY_ATTR_IPV6]: 40,
  [OVS_KEY_ATTR_TCP]: 4,
  [OVS_KEY_ATTR_TCP_FLAGS]: 2,
  [OVS_KEY_ATTR_UDP]: 4,
  [OVS_KEY_ATTR_SCTP]: 4,
  [OVS_KEY_ATTR_ICMP]: 2,
  [OVS_KEY_ATTR_ICMPV6]: 2,
  [OVS_KEY_ATTR_ARP]: 24,
  [OVS_KEY_ATTR_ND]: 28,
  [OVS_KEY_ATTR_ND_EXTENSIONS]: 8,
  [OVS_KEY_ATTR_CT_STATE]: 4,
  [OVS_KEY_ATTR_CT_ZONE]: 2,
  [OVS_KEY_ATTR_CT_MARK]: 4,
  [OVS_KEY_ATTR_CT_LABELS]: 16,
  [OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4]: 16,
  [OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6]: 40,
  [OVS_KEY_ATTR_PACKET_TYPE]: 4,
};

export function isNestedType(type: number): boolean {
  return type === OVS_KEY_ATTR_ENCAP || type === OVS_KEY_ATTR_TUNNEL;
}

export function newAttr(type: number, size: number): OdpAttr {
  return { type, data: new Uint8Array(size), nested: null };
}

export function newNested(type: number): OdpAttr {
  return { type, data: new Uint8Array(0), nested: [] };
}

/** The first attribute of `type` in `attrs` (upstream's nl_attr_find__). */
export function findAttr(attrs: readonly OdpAttr[] | null, type: number): OdpAttr | undefined {
  if (!attrs) return undefined;
  for (const a of attrs) if (a.type === type) return a;
  return undefined;
}

/** The payload size as netlink counts it (children with their 4-byte headers, padded). */
export function attrSize(a: OdpAttr): number {
  if (!a.nested) return a.data.length;
  let n = 0;
  for (const c of a.nested) n += 4 + ((attrSize(c) + 3) & ~3);
  return n;
}

export function allBytes(data: Uint8Array, value: number, length = data.length): boolean {
  for (let i = 0; i < length; i++) if (data[i] !== value) return false;
  return true;
}

/**
 * Whether a mask attribute is all zeros (`constant` 0) or all ones (-1), as upstream's
 * odp_mask_is_constant__ judges it for formatting: per field for IPv6 and TCP flags, without the
 * padding for ARP and conntrack tuples; nested attributes count their netlink headers.
 */
export function maskIsConstant(ma: OdpAttr, constant: 0 | -1): boolean {
  const byte = constant ? 0xff : 0;
  const d = ma.data;
  switch (ma.type) {
    case OVS_KEY_ATTR_ENCAP:
      return false;
    case OVS_KEY_ATTR_TUNNEL:
      // The payload holds the children's netlink headers, which are never all 0 or all 1.
      return attrSize(ma) === 0;
    case OVS_KEY_ATTR_TCP_FLAGS:
      return (u16(d, 0) & 0x0fff) === (constant ? 0x0fff : 0);
    case OVS_KEY_ATTR_IPV6:
      return (u32(d, 32) & 0xfffff) === (constant ? 0xfffff : 0) && d[36] === byte &&
        d[37] === byte && d[38] === byte && d[39] === byte && allBytes(d, byte, 32);
    case OVS_KEY_ATTR_ARP:
      return allBytes(d, byte, 22);
    case OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4:
      return allBytes(d, byte, 13);
    case OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6:
      return allBytes(d, byte, 37);
    default:
      return ATTR_SIZES[ma.type] !== undefined || ma.type === OVS_KEY_ATTR_MPLS
        ? allBytes(d, byte)
        : false;
  }
}

export function maskIsExact(ma: OdpAttr | undefined): boolean {
  return ma ? maskIsConstant(ma, -1) : true;
}

/** An all-zero mask shaped like `a` (upstream's generate_all_wildcard_mask). */
export function wildcardMaskFor(a: OdpAttr): OdpAttr {
  if (!a.nested) return { type: a.type, data: new Uint8Array(a.data.length), nested: null };
  return { type: a.type, data: new Uint8Array(0), nested: a.nested.map(wildcardMaskFor) };
}

export function u16(d: Uint8Array, at: number): number {
  return (d[at]! << 8) | d[at + 1]!;
}

export function u32(d: Uint8Array, at: number): number {
  return ((d[at]! << 24) | (d[at + 1]! << 16) | (d[at + 2]! << 8) | d[at + 3]!) >>> 0;
}

export function put16(d: Uint8Array, at: number, v: number): void {
  d[at] = (v >>> 8) & 0xff;
  d[at + 1] = v & 0xff;
}

export function put32(d: Uint8Array, at: number, v: number): void {
  d[at] = (v >>> 24) & 0xff;
  d[at + 1] = (v >>> 16) & 0xff;
  d[at + 2] = (v >>> 8) & 0xff;
  d[at + 3] = v & 0xff;
}

/** Writes a MAC held as flow words (first two bytes in `hi`, last four in `lo`). */
export function putMac(d: Uint8Array, at: number, hi: number, lo: number): void {
  put16(d, at, hi);
  put32(d, at + 2, lo);
}
