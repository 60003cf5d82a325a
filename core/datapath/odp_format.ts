// Formatting of datapath flow key and mask attributes as text, exactly as upstream's
// odp_flow_format and format_odp_key_attr (lib/odp-util.c) print them: which attributes and
// fields are left out when wildcarded, when a "/mask" is printed, the special "eth()" and
// trailing "eth_type(0/0x...)" cases, printf's %#x conventions, inet_ntop for IPv6, and verbose
// mode printing everything. Pure; allocates only the output.

import {
  allBytes,
  attrName,
  findAttr,
  isNestedType,
  maskIsConstant,
  maskIsExact,
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
  u32,
  VXLAN_EXT_GBP,
  wildcardMaskFor,
} from "./odp_attrs.ts";
import {
  CT_STATE_NAMES,
  formatFlags,
  formatFlagsMasked,
  TCP_FLAG_NAMES,
  TUNNEL_FLAG_NAMES,
} from "./odp_flags.ts";
import {
  formatEthAddr,
  formatHexBytes,
  formatIpv4Addr,
  formatIpv6Addr,
  hexAlt,
} from "./odp_text.ts";

export interface OdpFormatOptions {
  /** Names datapath ports for in_port(...) (upstream's portno_names); numbers otherwise. */
  portName?: ((port: number) => string | undefined) | undefined;
  /** Print every attribute and field, wildcarded or not (dpctl's -m, odp_flow_key_format). */
  verbose?: boolean | undefined;
}

/** A growing string with upstream's ds_chomp. */
class Ds {
  s = "";
  put(x: string): void {
    this.s += x;
  }
  chomp(c: string): void {
    if (this.s.endsWith(c)) this.s = this.s.slice(0, -1);
  }
}

/**
 * odp_flow_format: the key attributes with their masks (`mask` null: no mask at all, every
 * attribute printed as exact).
 */
export function formatOdpAttrs(
  key: readonly OdpAttr[],
  mask: readonly OdpAttr[] | null,
  options: OdpFormatOptions = {},
): string {
  const ds = new Ds();
  flowFormat(ds, key, mask, options.portName, options.verbose ?? false);
  return ds.s;
}

function flowFormat(
  ds: Ds,
  key: readonly OdpAttr[],
  mask: readonly OdpAttr[] | null,
  portName: OdpFormatOptions["portName"],
  verbose: boolean,
): void {
  if (!key.length) {
    ds.put("<empty>");
    return;
  }
  const haveMask = mask !== null && mask.length > 0;
  let hasEthtype = false;
  let hasPacketType = false;
  let first = true;
  for (const a of key) {
    let ma = haveMask ? findAttr(mask, a.type) : undefined;
    if (a.type === OVS_KEY_ATTR_ETHERTYPE) hasEthtype = true;
    else if (a.type === OVS_KEY_ATTR_PACKET_TYPE) hasPacketType = true;
    const nested = isNestedType(a.type);
    const wildcard = haveMask ? (ma ? maskIsConstant(ma, 0) : true) : false;
    if (verbose || !wildcard || nested) {
      if (wildcard && !ma) ma = wildcardMaskFor(a);
      if (!first) ds.put(",");
      formatAttr(ds, a, ma, portName, verbose);
      first = false;
    } else if (a.type === OVS_KEY_ATTR_ETHERNET && !hasPacketType) {
      // An Ethernet attribute says the packet is Ethernet even when all wildcarded, unless a
      // packet_type attribute already said so.
      if (!first) ds.put(",");
      ds.put("eth()");
    } else if (a.type === OVS_KEY_ATTR_PACKET_TYPE && wildcard) {
      hasPacketType = false;
    }
  }
  if (!hasEthtype && mask) {
    const ma = findAttr(mask, OVS_KEY_ATTR_ETHERTYPE);
    if (ma) ds.put(`,eth_type(0/0x${hex4(u16(ma.data, 0))})`);
  }
}

function hex4(v: number): string {
  return v.toString(16).padStart(4, "0");
}

function maskEmpty(ma: OdpAttr | undefined): boolean {
  return !ma || allBytes(ma.data, 0);
}

function formatAttr(
  ds: Ds,
  a: OdpAttr,
  ma: OdpAttr | undefined,
  portName: OdpFormatOptions["portName"],
  verbose: boolean,
): void {
  const exact = maskIsExact(ma);
  const k = a.data;
  const m = ma?.data;
  ds.put(attrName(a.type));
  ds.put("(");
  switch (a.type) {
    case OVS_KEY_ATTR_ENCAP: {
      const kids = a.nested ?? [];
      if (ma && ma.nested && ma.nested.length && kids.length) {
        flowFormat(ds, kids, ma.nested, undefined, verbose);
      } else if (kids.length) {
        flowFormat(ds, kids, null, undefined, verbose);
      }
      break;
    }
    case OVS_KEY_ATTR_PRIORITY:
    case OVS_KEY_ATTR_SKB_MARK:
    case OVS_KEY_ATTR_DP_HASH:
    case OVS_KEY_ATTR_RECIRC_ID:
      ds.put(hexAlt(u32(k, 0)));
      if (!exact) ds.put(`/${hexAlt(u32(m!, 0))}`);
      break;
    case OVS_KEY_ATTR_CT_MARK:
      if (verbose || !maskEmpty(ma)) {
        ds.put(hexAlt(u32(k, 0)));
        if (!exact) ds.put(`/${hexAlt(u32(m!, 0))}`);
      }
      break;
    case OVS_KEY_ATTR_CT_STATE:
      if (verbose) {
        ds.put(hexAlt(u32(k, 0)));
        if (!exact) ds.put(`/${hexAlt(maskEmpty(ma) ? 0 : u32(m!, 0))}`);
      } else if (!exact) {
        ds.put(
          formatFlagsMasked(u32(k, 0), maskEmpty(ma) ? 0 : u32(m!, 0), 0xffffffff, CT_STATE_NAMES),
        );
      } else {
        ds.put(formatFlags(u32(k, 0), CT_STATE_NAMES, "|"));
      }
      break;
    case OVS_KEY_ATTR_CT_ZONE:
      if (verbose || !maskEmpty(ma)) {
        ds.put(hexAlt(u16(k, 0)));
        if (!exact) ds.put(`/${hexAlt(u16(m!, 0))}`);
      }
      break;
    case OVS_KEY_ATTR_CT_LABELS:
      if (verbose || (m && !allBytes(m, 0))) {
        ds.put(formatHexBytes(k, 0, 16));
        if (m && !allBytes(m, 0xff)) ds.put(`/${formatHexBytes(m, 0, 16)}`);
      }
      break;
    case OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4:
      formatIpv4(ds, "src", k, m, 0, verbose);
      formatIpv4(ds, "dst", k, m, 4, verbose);
      formatU8u(ds, "proto", k, m, 12, verbose);
      formatBe16(ds, "tp_src", k, m, 8, verbose);
      formatBe16(ds, "tp_dst", k, m, 10, verbose);
      ds.chomp(",");
      break;
    case OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6:
      formatIn6(ds, "src", k, m, 0, verbose);
      formatIn6(ds, "dst", k, m, 16, verbose);
      formatU8u(ds, "proto", k, m, 36, verbose);
      formatBe16(ds, "src_port", k, m, 32, verbose);
      formatBe16(ds, "dst_port", k, m, 34, verbose);
      ds.chomp(",");
      break;
    case OVS_KEY_ATTR_TUNNEL:
      formatTunnel(ds, a, ma, verbose);
      break;
    case OVS_KEY_ATTR_IN_PORT:
      if (exact) {
        const port = u32(k, 0);
        ds.put(portName?.(port) ?? `${port}`);
      } else {
        ds.put(`${u32(k, 0)}/${hexAlt(u32(m!, 0))}`);
      }
      break;
    case OVS_KEY_ATTR_PACKET_TYPE: {
      const pm = m ?? ALL_ONES_4;
      formatBe16(ds, "ns", k, pm, 0, verbose);
      formatBe16x(ds, "id", k, pm, 2, verbose);
      ds.chomp(",");
      break;
    }
    case OVS_KEY_ATTR_ETHERNET:
      formatEth(ds, "src", k, m, 0, verbose);
      formatEth(ds, "dst", k, m, 6, verbose);
      ds.chomp(",");
      break;
    case OVS_KEY_ATTR_VLAN:
      formatVlanTci(ds, u16(k, 0), m ? u16(m, 0) : 0xffff, verbose);
      break;
    case OVS_KEY_ATTR_MPLS: {
      const size = k.length;
      if (!size || size % 4) {
        // Upstream returns here, without the closing parenthesis.
        ds.put(`(bad key length ${size})`);
        return;
      }
      if (!exact && m!.length !== size) {
        ds.put(`(key length ${size} != mask length ${m!.length})`);
        return;
      }
      formatMpls(ds, k, exact ? undefined : m, size / 4);
      break;
    }
    case OVS_KEY_ATTR_ETHERTYPE:
      ds.put(`0x${hex4(u16(k, 0))}`);
      if (!exact) ds.put(`/0x${hex4(u16(m!, 0))}`);
      break;
    case OVS_KEY_ATTR_IPV4:
      formatIpv4(ds, "src", k, m, 0, verbose);
      formatIpv4(ds, "dst", k, m, 4, verbose);
      formatU8u(ds, "proto", k, m, 8, verbose);
      formatU8x(ds, "tos", k, m, 9, verbose);
      formatU8u(ds, "ttl", k, m, 10, verbose);
      formatFrag(ds, "frag", k, m, 11);
      ds.chomp(",");
      break;
    case OVS_KEY_ATTR_IPV6:
      formatIn6(ds, "src", k, m, 0, verbose);
      formatIn6(ds, "dst", k, m, 16, verbose);
      formatIpv6Label(ds, "label", k, m, 32, verbose);
      formatU8u(ds, "proto", k, m, 36, verbose);
      formatU8x(ds, "tclass", k, m, 37, verbose);
      formatU8u(ds, "hlimit", k, m, 38, verbose);
      formatFrag(ds, "frag", k, m, 39);
      ds.chomp(",");
      break;
    case OVS_KEY_ATTR_TCP:
    case OVS_KEY_ATTR_UDP:
    case OVS_KEY_ATTR_SCTP:
      formatBe16(ds, "src", k, m, 0, verbose);
      formatBe16(ds, "dst", k, m, 2, verbose);
      ds.chomp(",");
      break;
    case OVS_KEY_ATTR_TCP_FLAGS:
      if (!exact) {
        ds.put(formatFlagsMasked(u16(k, 0), u16(m!, 0) & 0x0fff, 0x0fff, TCP_FLAG_NAMES));
      } else {
        ds.put(formatFlags(u16(k, 0), TCP_FLAG_NAMES, "|"));
      }
      break;
    case OVS_KEY_ATTR_ICMP:
    case OVS_KEY_ATTR_ICMPV6:
      formatU8u(ds, "type", k, m, 0, verbose);
      formatU8u(ds, "code", k, m, 1, verbose);
      ds.chomp(",");
      break;
    case OVS_KEY_ATTR_ARP:
      formatIpv4(ds, "sip", k, m, 0, verbose);
      formatIpv4(ds, "tip", k, m, 4, verbose);
      formatBe16(ds, "op", k, m, 8, verbose);
      formatEth(ds, "sha", k, m, 10, verbose);
      formatEth(ds, "tha", k, m, 16, verbose);
      ds.chomp(",");
      break;
    case OVS_KEY_ATTR_ND:
      formatIn6(ds, "target", k, m, 0, verbose);
      formatEth(ds, "sll", k, m, 16, verbose);
      formatEth(ds, "tll", k, m, 22, verbose);
      ds.chomp(",");
      break;
    case OVS_KEY_ATTR_ND_EXTENSIONS: {
      const reserved = u32(k, 0);
      ds.put(`nd_reserved=0x${reserved.toString(16)}`);
      ds.put(",");
      formatU8u(ds, "nd_options_type", k, m, 4, verbose);
      ds.chomp(",");
      break;
    }
    default:
      ds.put(genericHex(a));
      if (!exact && ma) ds.put(`/${genericHex(ma)}`);
  }
  ds.put(")");
}

const ALL_ONES_4 = new Uint8Array([0xff, 0xff, 0xff, 0xff]);

function genericHex(a: OdpAttr): string {
  let out = "";
  for (const b of a.data) out += b.toString(16).padStart(2, "0");
  return out;
}

// ---------------------------------------------------------------------------------------------
// Field formatters (format_eth, format_ipv4, ... in upstream): `m` undefined means exact.

function formatEth(
  ds: Ds,
  name: string,
  k: Uint8Array,
  m: Uint8Array | undefined,
  at: number,
  verbose: boolean,
): void {
  const empty = m !== undefined && allBytes(m.subarray(at, at + 6), 0);
  if (!verbose && empty) return;
  const full = m === undefined || allBytes(m.subarray(at, at + 6), 0xff);
  ds.put(`${name}=${formatEthAddr(k, at)}`);
  if (!full) ds.put(`/${formatEthAddr(m!, at)}`);
  ds.put(",");
}

function formatIpv4(
  ds: Ds,
  name: string,
  k: Uint8Array,
  m: Uint8Array | undefined,
  at: number,
  verbose: boolean,
): void {
  const mask = m === undefined ? 0xffffffff : u32(m, at);
  if (!verbose && m !== undefined && mask === 0) return;
  ds.put(`${name}=${formatIpv4Addr(u32(k, at))}`);
  if (mask !== 0xffffffff) ds.put(`/${formatIpv4Addr(mask)}`);
  ds.put(",");
}

function formatIn6(
  ds: Ds,
  name: string,
  k: Uint8Array,
  m: Uint8Array | undefined,
  at: number,
  verbose: boolean,
): void {
  const empty = m !== undefined && allBytes(m.subarray(at, at + 16), 0);
  if (!verbose && empty) return;
  const full = m === undefined || allBytes(m.subarray(at, at + 16), 0xff);
  ds.put(`${name}=${formatIpv6Addr(k, at)}`);
  if (!full) ds.put(`/${formatIpv6Addr(m!, at)}`);
  ds.put(",");
}

function formatIpv6Label(
  ds: Ds,
  name: string,
  k: Uint8Array,
  m: Uint8Array | undefined,
  at: number,
  verbose: boolean,
): void {
  const mask = m === undefined ? 0xffffffff : u32(m, at);
  if (!verbose && m !== undefined && mask === 0) return;
  ds.put(`${name}=${hexAlt(u32(k, at))}`);
  if (m !== undefined && (mask & 0xfffff) !== 0xfffff) ds.put(`/${hexAlt(mask)}`);
  ds.put(",");
}

function formatU8(
  ds: Ds,
  name: string,
  k: Uint8Array,
  m: Uint8Array | undefined,
  at: number,
  verbose: boolean,
  hex: boolean,
): void {
  const mask = m === undefined ? 0xff : m[at]!;
  if (!verbose && m !== undefined && mask === 0) return;
  ds.put(`${name}=${hex ? hexAlt(k[at]!) : k[at]!}`);
  if (mask !== 0xff) ds.put(`/${hexAlt(mask)}`);
  ds.put(",");
}

function formatU8u(
  ds: Ds,
  name: string,
  k: Uint8Array,
  m: Uint8Array | undefined,
  at: number,
  verbose: boolean,
): void {
  formatU8(ds, name, k, m, at, verbose, false);
}

function formatU8x(
  ds: Ds,
  name: string,
  k: Uint8Array,
  m: Uint8Array | undefined,
  at: number,
  verbose: boolean,
): void {
  formatU8(ds, name, k, m, at, verbose, true);
}

function formatBe16(
  ds: Ds,
  name: string,
  k: Uint8Array,
  m: Uint8Array | undefined,
  at: number,
  verbose: boolean,
  hex = false,
): void {
  const mask = m === undefined ? 0xffff : u16(m, at);
  if (!verbose && m !== undefined && mask === 0) return;
  ds.put(`${name}=${hex ? hexAlt(u16(k, at)) : u16(k, at)}`);
  if (mask !== 0xffff) ds.put(`/${hexAlt(mask)}`);
  ds.put(",");
}

function formatBe16x(
  ds: Ds,
  name: string,
  k: Uint8Array,
  m: Uint8Array | undefined,
  at: number,
  verbose: boolean,
): void {
  formatBe16(ds, name, k, m, at, verbose, true);
}

function formatFrag(
  ds: Ds,
  name: string,
  k: Uint8Array,
  m: Uint8Array | undefined,
  at: number,
): void {
  const mask = m === undefined ? 0xff : m[at]!;
  if (mask !== 0 && mask !== 0xff) {
    ds.put(`error: partial mask not supported for frag (${hexAlt(mask)}),`);
  } else if (mask !== 0) {
    ds.put(`${name}=${FRAG_NAMES[k[at]!] ?? "<error>"},`);
  }
}

const FRAG_NAMES: Record<number, string> = { 0: "no", 1: "first", 2: "later" };

/** format_vlan_tci. */
function formatVlanTci(ds: Ds, tci: number, mask: number, verbose: boolean): void {
  const vid = tci & 0xfff;
  const vidMask = mask & 0xfff;
  const pcp = tci >>> 13;
  const pcpMask = mask >>> 13;
  if (verbose || vid || vidMask) {
    ds.put(`vid=${vid}`);
    if (vidMask !== 0xfff) ds.put(`/0x${vidMask.toString(16)}`);
    ds.put(",");
  }
  if (verbose || pcp || pcpMask) {
    ds.put(`pcp=${pcp}`);
    if (pcpMask !== 7) ds.put(`/0x${pcpMask.toString(16)}`);
    ds.put(",");
  }
  if (!(tci & 0x1000)) ds.put("cfi=0,");
  ds.chomp(",");
}

function formatMpls(ds: Ds, k: Uint8Array, m: Uint8Array | undefined, n: number): void {
  for (let i = 0; i < n; i++) {
    const key = u32(k, 4 * i);
    if (!m) {
      ds.put(
        `label=${key >>> 12},tc=${(key >>> 9) & 7},ttl=${key & 0xff},bos=${(key >>> 8) & 1}`,
      );
    } else {
      const mask = u32(m, 4 * i);
      ds.put(
        `label=${key >>> 12}/0x${(mask >>> 12).toString(16)},` +
          `tc=${(key >>> 9) & 7}/${((mask >>> 9) & 7).toString(16)},` +
          `ttl=${key & 0xff}/0x${(mask & 0xff).toString(16)},` +
          `bos=${(key >>> 8) & 1}/${((mask >>> 8) & 1).toString(16)}`,
      );
    }
    ds.put(",");
  }
  ds.chomp(",");
}

// ---------------------------------------------------------------------------------------------
// Tunnel (format_odp_tun_attr), without Geneve, ERSPAN and GTP-U options.

function formatTunnel(ds: Ds, a: OdpAttr, ma: OdpAttr | undefined, verbose: boolean): void {
  let flags = 0;
  let maskFlags = 0;
  for (const t of a.nested ?? []) {
    let tm: OdpAttr | undefined;
    if (ma) tm = findAttr(ma.nested, t.type) ?? wildcardMaskFor(t);
    const k = t.data;
    const m = tm?.data;
    switch (t.type) {
      case TUN_ATTR_ID: {
        const key = bytesToBig(k);
        const mask = m ? bytesToBig(m) : 0n;
        if (verbose || (m && mask)) {
          ds.put(`tun_id=0x${key.toString(16)}`);
          if (m && mask !== 0xffffffffffffffffn) ds.put(`/${hexAlt(mask)}`);
          ds.put(",");
        }
        flags |= 0x8;
        if (tm) maskFlags |= 0x8;
        break;
      }
      case TUN_ATTR_IPV4_SRC:
        formatIpv4(ds, "src", k, m, 0, verbose);
        break;
      case TUN_ATTR_IPV4_DST:
        formatIpv4(ds, "dst", k, m, 0, verbose);
        break;
      case TUN_ATTR_IPV6_SRC:
        formatIn6(ds, "ipv6_src", k, m, 0, verbose);
        break;
      case TUN_ATTR_IPV6_DST:
        formatIn6(ds, "ipv6_dst", k, m, 0, verbose);
        break;
      case TUN_ATTR_TOS:
        formatU8x(ds, "tos", k, m, 0, verbose);
        break;
      case TUN_ATTR_TTL:
        formatU8u(ds, "ttl", k, m, 0, verbose);
        break;
      case TUN_ATTR_DONT_FRAGMENT:
        flags |= 0x2;
        break;
      case TUN_ATTR_CSUM:
        flags |= 0x4;
        break;
      case TUN_ATTR_OAM:
        flags |= 0x1;
        break;
      case TUN_ATTR_TP_SRC:
        formatBe16(ds, "tp_src", k, m, 0, verbose);
        break;
      case TUN_ATTR_TP_DST:
        formatBe16(ds, "tp_dst", k, m, 0, verbose);
        break;
      case TUN_ATTR_VXLAN_OPTS: {
        ds.put("vxlan(");
        for (const o of t.nested ?? []) {
          if (o.type !== VXLAN_EXT_GBP) continue;
          const om = tm ? findAttr(tm.nested, o.type) ?? wildcardMaskFor(o) : undefined;
          const key = u32(o.data, 0);
          const id = new Uint8Array([(key >>> 8) & 0xff, key & 0xff]);
          const gbpFlags = new Uint8Array([(key >>> 16) & 0xff]);
          let idMask: Uint8Array | undefined;
          let flagsMask: Uint8Array | undefined;
          if (om) {
            const mask = u32(om.data, 0);
            idMask = new Uint8Array([(mask >>> 8) & 0xff, mask & 0xff]);
            flagsMask = new Uint8Array([(mask >>> 16) & 0xff]);
          }
          ds.put("gbp(");
          formatBe16(ds, "id", id, idMask, 0, verbose);
          formatU8x(ds, "flags", gbpFlags, flagsMask, 0, verbose);
          ds.chomp(",");
          ds.put("),");
        }
        ds.chomp(",");
        ds.put("),");
        break;
      }
    }
  }
  if (ma) {
    for (const t of ma.nested ?? []) {
      if (t.type === TUN_ATTR_DONT_FRAGMENT) maskFlags |= 0x2;
      else if (t.type === TUN_ATTR_CSUM) maskFlags |= 0x4;
      else if (t.type === TUN_ATTR_OAM) maskFlags |= 0x1;
    }
  }
  // format_tun_flags.
  if (verbose || !ma || maskFlags) {
    ds.put("flags(");
    ds.put(
      ma
        ? formatFlagsMasked(flags, maskFlags & 0xf, 0xf, TUNNEL_FLAG_NAMES)
        : formatFlags(flags, TUNNEL_FLAG_NAMES, "|"),
    );
    ds.put("),");
  }
  ds.chomp(",");
}

function bytesToBig(d: Uint8Array): bigint {
  let v = 0n;
  for (const b of d) v = (v << 8n) | BigInt(b);
  return v;
}
