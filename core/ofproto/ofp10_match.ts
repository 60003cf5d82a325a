// The OpenFlow 1.0 ofp_match (40 bytes: wildcard bits, CIDR widths for nw_src/nw_dst, fixed
// fields), both directions, as upstream's ofputil_match_from_ofp10_match /
// ofputil_match_to_ofp10_match: OFP_VLAN_NONE for "no 802.1Q header", only the DSCP bits of
// nw_tos, the ARP opcode in nw_proto, Ethernet packet_type implied by any data field. What 1.0
// cannot say (masks other than CIDR, IPv6, registers ...) is simply not written: callers choose
// OpenFlow 1.0 only when the match's usable protocols allow it. Also the raw `ofp10_match_to_string`
// that ofp-print shows at high verbosity.

import {
  ETH_TYPE_ARP,
  ETH_TYPE_IP,
  ETH_TYPE_MPLS,
  ETH_TYPE_MPLS_MCAST,
  ETH_TYPE_RARP,
  IPPROTO_ICMP,
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  VLAN_CFI,
  VLAN_PCP_MASK,
  VLAN_VID_MASK,
  W_ARP_OP,
  W_DL_DST,
  W_DL_SRC,
  W_DL_TYPE_VLAN,
  W_IN_PORT,
  W_NW_DST,
  W_NW_MISC,
  W_NW_SRC,
  W_TP,
} from "../datapath/flow.ts";
import { field, readField, writeField } from "./fields.ts";
import { Match } from "./match.ts";
import type { WireReader, WireWriter } from "./wire.ts";
import { formatEthernet, formatIpv4, ipCountCidrBits } from "./addr_text.ts";
import { setDefaultPacketType } from "./field_set.ts";
import { formatPort, type PortMap } from "./port_text.ts";

export const OFPFW10_IN_PORT = 1 << 0;
export const OFPFW10_DL_VLAN = 1 << 1;
export const OFPFW10_DL_SRC = 1 << 2;
export const OFPFW10_DL_DST = 1 << 3;
export const OFPFW10_DL_TYPE = 1 << 4;
export const OFPFW10_NW_PROTO = 1 << 5;
export const OFPFW10_TP_SRC = 1 << 6;
export const OFPFW10_TP_DST = 1 << 7;
export const OFPFW10_NW_SRC_SHIFT = 8;
export const OFPFW10_NW_SRC_MASK = 0x3f << 8;
export const OFPFW10_NW_SRC_ALL = 32 << 8;
export const OFPFW10_NW_DST_SHIFT = 14;
export const OFPFW10_NW_DST_MASK = 0x3f << 14;
export const OFPFW10_NW_DST_ALL = 32 << 14;
export const OFPFW10_DL_VLAN_PCP = 1 << 20;
export const OFPFW10_NW_TOS = 1 << 21;
export const OFPFW10_ALL = (1 << 22) - 1;
/** dl_vlan value meaning "no 802.1Q header". */
export const OFP10_VLAN_NONE = 0xffff;
export const OFP10_MATCH_LEN = 40;

const ETH_SRC = field("eth_src");
const ETH_DST = field("eth_dst");
const DATA_BITS = OFPFW10_NW_TOS | OFPFW10_NW_PROTO | OFPFW10_TP_SRC | OFPFW10_TP_DST |
  OFPFW10_DL_SRC | OFPFW10_DL_DST | OFPFW10_DL_TYPE | OFPFW10_DL_VLAN | OFPFW10_DL_VLAN_PCP;

/** The fields of an ofp10_match as they are on the wire. */
export interface Ofp10Match {
  wildcards: number;
  inPort: number;
  dlSrc: Uint8Array;
  dlDst: Uint8Array;
  dlVlan: number;
  dlVlanPcp: number;
  dlType: number;
  nwTos: number;
  nwProto: number;
  nwSrc: number;
  nwDst: number;
  tpSrc: number;
  tpDst: number;
}

function wcbitsToNetmask(wcbits: number): number {
  const w = wcbits & 0x3f;
  return w < 32 ? (~((1 << w) - 1) >>> 0) & 0xffffffff : 0;
}

function netmaskToWcbits(mask: number): number {
  return 32 - ipCountCidrBits(mask);
}

function isArp(dlType: number): boolean {
  return dlType === ETH_TYPE_ARP || dlType === ETH_TYPE_RARP;
}

/** Reads the 40-byte structure. */
export function pullOfp10Match(r: WireReader): Ofp10Match {
  const wildcards = r.u32();
  const inPort = r.u16();
  const dlSrc = r.bytes(6).slice();
  const dlDst = r.bytes(6).slice();
  const dlVlan = r.u16();
  const dlVlanPcp = r.u8();
  r.skip(1);
  const dlType = r.u16();
  const nwTos = r.u8();
  const nwProto = r.u8();
  r.skip(2);
  const nwSrc = r.u32();
  const nwDst = r.u32();
  const tpSrc = r.u16();
  const tpDst = r.u16();
  return {
    wildcards,
    inPort,
    dlSrc,
    dlDst,
    dlVlan,
    dlVlanPcp,
    dlType,
    nwTos,
    nwProto,
    nwSrc,
    nwDst,
    tpSrc,
    tpDst,
  };
}

/** Writes the 40-byte structure. */
export function putOfp10Match(w: WireWriter, om: Ofp10Match): void {
  w.u32(om.wildcards).u16(om.inPort).bytes(om.dlSrc).bytes(om.dlDst).u16(om.dlVlan)
    .u8(om.dlVlanPcp).zeros(1).u16(om.dlType).u8(om.nwTos).u8(om.nwProto).zeros(2)
    .u32(om.nwSrc).u32(om.nwDst).u16(om.tpSrc).u16(om.tpDst);
}

/** ofputil_match_from_ofp10_match (no normalization; see normalizeMatch). */
export function matchFromOfp10(om: Ofp10Match): Match {
  const w = (om.wildcards >>> 0) & OFPFW10_ALL;
  const m = new Match();
  const flow = m.flow;
  const mask = m.mask;

  if (!(w & OFPFW10_IN_PORT)) mask[W_IN_PORT] = 0xffff;
  let misc = 0;
  if (!(w & OFPFW10_NW_TOS)) misc |= 0xfc << 16;
  const nwSrcMask = wcbitsToNetmask(w >>> OFPFW10_NW_SRC_SHIFT);
  const nwDstMask = wcbitsToNetmask(w >>> OFPFW10_NW_DST_SHIFT);
  if (!(w & OFPFW10_TP_SRC)) mask[W_TP] = (mask[W_TP]! | 0xffff0000) >>> 0;
  if (!(w & OFPFW10_TP_DST)) mask[W_TP] = (mask[W_TP]! | 0x0000ffff) >>> 0;
  if (!(w & OFPFW10_DL_SRC)) writeField(mask, ETH_SRC, new Uint8Array(6).fill(0xff));
  if (!(w & OFPFW10_DL_DST)) writeField(mask, ETH_DST, new Uint8Array(6).fill(0xff));
  let typeVlanMask = 0;
  if (!(w & OFPFW10_DL_TYPE)) typeVlanMask |= 0xffff0000;
  if (!(w & OFPFW10_DL_VLAN_PCP)) typeVlanMask |= VLAN_PCP_MASK | VLAN_CFI;
  if (!(w & OFPFW10_DL_VLAN)) typeVlanMask |= VLAN_VID_MASK | VLAN_CFI;

  if ((w & DATA_BITS) !== DATA_BITS || nwSrcMask || nwDstMask) setDefaultPacketType(m);

  // The ARP opcode travels in nw_proto; we keep it in its own word.
  const arp = !(w & OFPFW10_DL_TYPE) && isArp(om.dlType);
  if (!(w & OFPFW10_NW_PROTO)) {
    if (arp) mask[W_ARP_OP] = 0xffff;
    else misc |= 0xff000000;
  }
  mask[W_NW_MISC] = misc >>> 0;
  mask[W_NW_SRC] = nwSrcMask;
  mask[W_NW_DST] = nwDstMask;

  flow[W_NW_SRC] = om.nwSrc >>> 0;
  flow[W_NW_DST] = om.nwDst >>> 0;
  flow[W_IN_PORT] = om.inPort;
  flow[W_TP] = ((om.tpSrc << 16) | om.tpDst) >>> 0;
  writeField(flow, ETH_SRC, om.dlSrc);
  writeField(flow, ETH_DST, om.dlDst);
  if (arp) flow[W_ARP_OP] = om.nwProto;
  flow[W_NW_MISC] = ((om.nwProto << 24) | ((om.nwTos & 0xfc) << 16)) >>> 0;

  let tci: number;
  if (!(w & OFPFW10_DL_VLAN) && om.dlVlan === OFP10_VLAN_NONE) {
    tci = 0;
    typeVlanMask = (typeVlanMask & 0xffff0000) | 0xffff;
  } else {
    const vid = om.dlVlan & VLAN_VID_MASK;
    const pcp = (om.dlVlanPcp << 13) & VLAN_PCP_MASK;
    tci = (vid | pcp | VLAN_CFI) & typeVlanMask;
  }
  mask[W_DL_TYPE_VLAN] = typeVlanMask >>> 0;
  flow[W_DL_TYPE_VLAN] = ((om.dlType << 16) | tci) >>> 0;
  m.normalize();
  return m;
}

/** ofputil_match_to_ofp10_match. */
export function matchToOfp10(m: Match): Ofp10Match {
  const flow = m.flow;
  const mask = m.mask;
  const dlTypeMask = mask[W_DL_TYPE_VLAN]! >>> 16;
  const dlType = flow[W_DL_TYPE_VLAN]! >>> 16;
  const arp = isArp(dlType);
  const nwProtoMask = arp ? mask[W_ARP_OP]! & 0xffff : mask[W_NW_MISC]! >>> 24;
  const nwProto = arp ? flow[W_ARP_OP]! & 0xff : flow[W_NW_MISC]! >>> 24;
  let w = 0;
  if (!(mask[W_IN_PORT]! & 0xffff)) w |= OFPFW10_IN_PORT;
  if (!dlTypeMask) w |= OFPFW10_DL_TYPE;
  if (!nwProtoMask) w |= OFPFW10_NW_PROTO;
  w |= netmaskToWcbits(mask[W_NW_SRC]!) << OFPFW10_NW_SRC_SHIFT;
  w |= netmaskToWcbits(mask[W_NW_DST]!) << OFPFW10_NW_DST_SHIFT;
  if (!(mask[W_NW_MISC]! & (0xfc << 16))) w |= OFPFW10_NW_TOS;
  if (!(mask[W_TP]! >>> 16)) w |= OFPFW10_TP_SRC;
  if (!(mask[W_TP]! & 0xffff)) w |= OFPFW10_TP_DST;
  if (!mask[W_DL_SRC] && !mask[W_DL_SRC + 1]) w |= OFPFW10_DL_SRC;
  if (!mask[W_DL_DST] && !mask[W_DL_DST + 1]) w |= OFPFW10_DL_DST;

  let dlVlan = 0;
  let dlVlanPcp = 0;
  const tciMask = mask[W_DL_TYPE_VLAN]! & 0xffff;
  const tci = flow[W_DL_TYPE_VLAN]! & 0xffff;
  if (tciMask === 0) {
    w |= OFPFW10_DL_VLAN | OFPFW10_DL_VLAN_PCP;
  } else if (tciMask & VLAN_CFI && !(tci & VLAN_CFI)) {
    dlVlan = OFP10_VLAN_NONE;
  } else {
    if (!(tciMask & VLAN_VID_MASK)) w |= OFPFW10_DL_VLAN;
    else dlVlan = tci & VLAN_VID_MASK;
    if (!(tciMask & VLAN_PCP_MASK)) w |= OFPFW10_DL_VLAN_PCP;
    else dlVlanPcp = tci >>> 13;
  }
  return {
    wildcards: w >>> 0,
    inPort: flow[W_IN_PORT]! & 0xffff,
    dlSrc: readField(flow, ETH_SRC),
    dlDst: readField(flow, ETH_DST),
    dlVlan,
    dlVlanPcp,
    dlType,
    nwTos: (flow[W_NW_MISC]! >>> 16) & 0xfc,
    nwProto,
    nwSrc: flow[W_NW_SRC]!,
    nwDst: flow[W_NW_DST]!,
    tpSrc: flow[W_TP]! >>> 16,
    tpDst: flow[W_TP]! & 0xffff,
  };
}

/** Decodes the 40-byte ofp10_match at the reader into a Match. */
export function decodeOfp10Match(r: WireReader): Match {
  return matchFromOfp10(pullOfp10Match(r));
}

/** Encodes `m` as a 40-byte ofp10_match. */
export function encodeOfp10Match(w: WireWriter, m: Match): void {
  putOfp10Match(w, matchToOfp10(m));
}

function wild(out: string[], leader: string, isWild: boolean, verbosity: number, text: string) {
  if (isWild && verbosity < 2) return;
  out.push(`${leader}${isWild ? "*" : text}`);
}

/** ofp10_match_to_string: the raw structure, wildcarded fields shown as "*" at verbosity 2+. */
export function ofp10MatchToString(om: Ofp10Match, portMap?: PortMap, verbosity = 0): string {
  const w = om.wildcards >>> 0;
  const out: string[] = [];
  let skipType = false;
  let skipProto = false;
  if (!(w & OFPFW10_DL_TYPE)) {
    skipType = true;
    if (om.dlType === ETH_TYPE_IP) {
      if (!(w & OFPFW10_NW_PROTO)) {
        skipProto = true;
        const names: Record<number, string> = {
          [IPPROTO_ICMP]: "icmp",
          [IPPROTO_TCP]: "tcp",
          [IPPROTO_UDP]: "udp",
          [IPPROTO_SCTP]: "sctp",
        };
        const name = names[om.nwProto];
        if (name) {
          out.push(name);
        } else {
          out.push("ip");
          skipProto = false;
        }
      } else {
        out.push("ip");
      }
    } else if (om.dlType === ETH_TYPE_ARP) out.push("arp");
    else if (om.dlType === ETH_TYPE_RARP) out.push("rarp");
    else if (om.dlType === ETH_TYPE_MPLS) out.push("mpls");
    else if (om.dlType === ETH_TYPE_MPLS_MCAST) out.push("mplsm");
    else skipType = false;
  }
  wild(out, "in_port=", !!(w & OFPFW10_IN_PORT), verbosity, formatPort(om.inPort, portMap));
  wild(out, "dl_vlan=", !!(w & OFPFW10_DL_VLAN), verbosity, `${om.dlVlan}`);
  wild(out, "dl_vlan_pcp=", !!(w & OFPFW10_DL_VLAN_PCP), verbosity, `${om.dlVlanPcp}`);
  wild(out, "dl_src=", !!(w & OFPFW10_DL_SRC), verbosity, formatEthernet(om.dlSrc));
  wild(out, "dl_dst=", !!(w & OFPFW10_DL_DST), verbosity, formatEthernet(om.dlDst));
  if (!skipType) {
    wild(
      out,
      "dl_type=",
      !!(w & OFPFW10_DL_TYPE),
      verbosity,
      `0x${om.dlType.toString(16).padStart(4, "0")}`,
    );
  }
  const ipNetmask = (leader: string, ip: number, wildBits: number) => {
    if (wildBits >= 32 && verbosity < 2) return;
    if (wildBits < 32) {
      out.push(`${leader}${formatIpv4(ip)}${wildBits ? `/${32 - wildBits}` : ""}`);
    } else {
      out.push(`${leader}*`);
    }
  };
  ipNetmask("nw_src=", om.nwSrc, (w & OFPFW10_NW_SRC_MASK) >>> OFPFW10_NW_SRC_SHIFT);
  ipNetmask("nw_dst=", om.nwDst, (w & OFPFW10_NW_DST_MASK) >>> OFPFW10_NW_DST_SHIFT);
  if (!skipProto) {
    const leader = isArp(om.dlType) ? "arp_op=" : "nw_proto=";
    wild(out, leader, !!(w & OFPFW10_NW_PROTO), verbosity, `${om.nwProto}`);
  }
  wild(out, "nw_tos=", !!(w & OFPFW10_NW_TOS), verbosity, `${om.nwTos}`);
  if (om.nwProto === IPPROTO_ICMP) {
    wild(out, "icmp_type=", !!(w & OFPFW10_TP_SRC), verbosity, `${om.tpSrc}`);
    wild(out, "icmp_code=", !!(w & OFPFW10_TP_DST), verbosity, `${om.tpDst}`);
  } else {
    wild(out, "tp_src=", !!(w & OFPFW10_TP_SRC), verbosity, `${om.tpSrc}`);
    wild(out, "tp_dst=", !!(w & OFPFW10_TP_DST), verbosity, `${om.tpDst}`);
  }
  return out.join(",");
}
