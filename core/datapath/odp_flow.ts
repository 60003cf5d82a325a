// Flow words to datapath key attributes, as upstream's odp_flow_key_from_flow and
// odp_flow_key_from_mask (lib/odp-util.c) build them with the userspace datapath's support
// (recirculation, conntrack fields and tuples, no ND extensions unless asked) and the switch's
// vlan-limit of 1: which attributes a key and a mask carry for a flow. The way back is
// odp_to_flow.ts.
//
// Differences forced by the flow layout: one VLAN header is kept; tunnel transport ports and
// options other than VXLAN GBP are not; NSH is not supported.

import {
  ETH_TYPE_ARP,
  ETH_TYPE_IP,
  ETH_TYPE_IPV6,
  ETH_TYPE_MIN,
  ETH_TYPE_RARP,
  ETH_TYPE_VLAN_8021Q,
  FLOW_NW_FRAG_ANY,
  FLOW_NW_FRAG_LATER,
  type FlowWords,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  MPLS_LSE_WORDS,
  W_ARP_OP,
  W_ARP_SHA,
  W_ARP_THA,
  W_CT_IPV6_DST,
  W_CT_IPV6_SRC,
  W_CT_LABEL,
  W_CT_MARK,
  W_CT_NW_DST,
  W_CT_NW_SRC,
  W_CT_STATE,
  W_CT_TP,
  W_CT_ZONE,
  W_DL_DST,
  W_DL_SRC,
  W_DL_TYPE_VLAN,
  W_DP_HASH,
  W_IN_PORT,
  W_IPV6_DST,
  W_IPV6_LABEL,
  W_IPV6_SRC,
  W_ND_RESERVED,
  W_ND_TARGET,
  W_NW_DST,
  W_NW_MISC,
  W_NW_SRC,
  W_PACKET_TYPE,
  W_PKT_MARK,
  W_RECIRC_ID,
  W_SKB_PRIORITY,
  W_TCP_FLAGS,
  W_TP,
  W_TUN_DST,
  W_TUN_GBP,
  W_TUN_ID,
  W_TUN_IPV6_DST,
  W_TUN_IPV6_SRC,
  W_TUN_MISC,
  W_TUN_SRC,
  W_VLAN_TPID,
} from "./flow.ts";
import { ethTypeIsMpls, ethTypeIsVlan } from "./flow_extract.ts";
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
  putMac,
  TUN_ATTR_CSUM,
  TUN_ATTR_DONT_FRAGMENT,
  TUN_ATTR_ID,
  TUN_ATTR_IPV4_DST,
  TUN_ATTR_IPV4_SRC,
  TUN_ATTR_IPV6_DST,
  TUN_ATTR_IPV6_SRC,
  TUN_ATTR_OAM,
  TUN_ATTR_TOS,
  TUN_ATTR_TTL,
  TUN_ATTR_VXLAN_OPTS,
  VXLAN_EXT_GBP,
} from "./odp_attrs.ts";

/** How well a parsed key fits what a flow key should hold (upstream's odp_key_fitness). */
export type OdpFitness = "perfect" | "too_much" | "too_little" | "error";

/** What the datapath supports in keys (upstream's struct odp_support, for the fields we have). */
export interface OdpSupport {
  /** ND extension attributes (nd_ext); the userspace datapath does not emit them. */
  ndExtensions?: boolean;
  /** ct_tuple4/ct_tuple6; the userspace datapath does. */
  ctOrigTuple?: boolean;
}

export const ODPP_NONE = 0xffffffff;
export const PT_ETH = 0;
export const OFPHTN_ETHERTYPE = 1;
export const MPLS_BOS = 0x100;
export const FLOW_TNL_F_OAM = 1 << 0;
export const FLOW_TNL_F_DONT_FRAGMENT = 1 << 1;
export const FLOW_TNL_F_CSUM = 1 << 2;
export const FLOW_TNL_F_KEY = 1 << 3;
const ND_SOLICIT = 135;
const ND_ADVERT = 136;

// ---------------------------------------------------------------------------------------------
// Flow words to attributes.

export const dlType = (f: FlowWords) => f[W_DL_TYPE_VLAN]! >>> 16;
export const tciOf = (f: FlowWords) => f[W_DL_TYPE_VLAN]! & 0xffff;
export const nwProto = (f: FlowWords) => f[W_NW_MISC]! >>> 24;
export const nwFrag = (f: FlowWords) => f[W_NW_MISC]! & 0xff;

function u32Attr(type: number, v: number): OdpAttr {
  const a = newAttr(type, 4);
  put32(a.data, 0, v);
  return a;
}

function u16Attr(type: number, v: number): OdpAttr {
  const a = newAttr(type, 2);
  put16(a.data, 0, v);
  return a;
}

/** Whether the flow is an ND solicitation or advertisement (upstream's is_nd). */
export function isNd(f: FlowWords): boolean {
  if (dlType(f) === ETH_TYPE_IPV6 && nwProto(f) === IPPROTO_ICMPV6) {
    const tp = f[W_TP]!;
    return (tp & 0xffff) === 0 && (tp >>> 16 === ND_SOLICIT || tp >>> 16 === ND_ADVERT);
  }
  return false;
}

function toOdpFrag(frag: number, isMask: boolean): number {
  if (isMask) return frag & FLOW_NW_FRAG_ANY ? 0xff : 0;
  return !(frag & FLOW_NW_FRAG_ANY) ? 0 : frag & FLOW_NW_FRAG_LATER ? 2 : 1;
}

function tunnelDstSet(f: FlowWords): boolean {
  return f[W_TUN_DST] !== 0 || f[W_TUN_IPV6_DST] !== 0 || f[W_TUN_IPV6_DST + 1] !== 0 ||
    f[W_TUN_IPV6_DST + 2] !== 0 || f[W_TUN_IPV6_DST + 3] !== 0;
}

function tunnelSrcSet(f: FlowWords): boolean {
  return f[W_TUN_SRC] !== 0 || f[W_TUN_IPV6_SRC] !== 0 || f[W_TUN_IPV6_SRC + 1] !== 0 ||
    f[W_TUN_IPV6_SRC + 2] !== 0 || f[W_TUN_IPV6_SRC + 3] !== 0;
}

/**
 * odp_flow_key_from_flow (exportMask false: `flow`'s values) or odp_flow_key_from_mask
 * (exportMask true: `mask`'s values, shaped by `flow`). `mask` may be null for a key.
 */
export function flowToOdpAttrs(
  flow: FlowWords,
  mask: FlowWords | null,
  exportMask: boolean,
  support: OdpSupport = {},
): OdpAttr[] {
  const data = exportMask && mask ? mask : flow;
  const out: OdpAttr[] = [];
  out.push(u32Attr(OVS_KEY_ATTR_PRIORITY, data[W_SKB_PRIORITY]!));
  if (tunnelDstSet(flow) || tunnelSrcSet(flow) || exportMask) out.push(tunnelAttr(data));
  out.push(u32Attr(OVS_KEY_ATTR_SKB_MARK, data[W_PKT_MARK]!));
  out.push(u32Attr(OVS_KEY_ATTR_CT_STATE, data[W_CT_STATE]! & 0xff));
  out.push(u16Attr(OVS_KEY_ATTR_CT_ZONE, data[W_CT_ZONE]! & 0xffff));
  out.push(u32Attr(OVS_KEY_ATTR_CT_MARK, data[W_CT_MARK]!));
  const labels = newAttr(OVS_KEY_ATTR_CT_LABELS, 16);
  for (let i = 0; i < 4; i++) put32(labels.data, 4 * i, data[W_CT_LABEL + i]!);
  out.push(labels);
  const ctProto = (flow[W_CT_ZONE]! >>> 16) & 0xff;
  if (ctProto && (support.ctOrigTuple ?? true)) {
    if (dlType(flow) === ETH_TYPE_IP) {
      const t = newAttr(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4, 16);
      put32(t.data, 0, data[W_CT_NW_SRC]!);
      put32(t.data, 4, data[W_CT_NW_DST]!);
      put32(t.data, 8, data[W_CT_TP]!);
      t.data[12] = (data[W_CT_ZONE]! >>> 16) & 0xff;
      out.push(t);
    } else if (dlType(flow) === ETH_TYPE_IPV6) {
      const t = newAttr(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6, 40);
      for (let i = 0; i < 4; i++) {
        put32(t.data, 4 * i, data[W_CT_IPV6_SRC + i]!);
        put32(t.data, 16 + 4 * i, data[W_CT_IPV6_DST + i]!);
      }
      put32(t.data, 32, data[W_CT_TP]!);
      t.data[36] = (data[W_CT_ZONE]! >>> 16) & 0xff;
      out.push(t);
    }
  }
  out.push(u32Attr(OVS_KEY_ATTR_RECIRC_ID, data[W_RECIRC_ID]!));
  out.push(u32Attr(OVS_KEY_ATTR_DP_HASH, data[W_DP_HASH]!));
  if (exportMask || flow[W_IN_PORT] !== ODPP_NONE) {
    out.push(u32Attr(OVS_KEY_ATTR_IN_PORT, data[W_IN_PORT]!));
  }
  out.push(u32Attr(OVS_KEY_ATTR_PACKET_TYPE, data[W_PACKET_TYPE]!));

  let level = out;
  if (flow[W_PACKET_TYPE] === PT_ETH) {
    const eth = newAttr(OVS_KEY_ATTR_ETHERNET, 12);
    putMac(eth.data, 0, data[W_DL_SRC]!, data[W_DL_SRC + 1]!);
    putMac(eth.data, 6, data[W_DL_DST]!, data[W_DL_DST + 1]!);
    out.push(eth);
    // One VLAN header at most (the switch's vlan-limit).
    const tci = tciOf(flow);
    let tpid = flow[W_VLAN_TPID]! & 0xffff || ETH_TYPE_VLAN_8021Q;
    let truncated = false;
    if (tci === 0) {
      if (ethTypeIsVlan(dlType(flow))) {
        tpid = dlType(flow);
        truncated = true;
      } else {
        tpid = 0;
      }
    }
    if (tpid) {
      out.push(u16Attr(OVS_KEY_ATTR_ETHERTYPE, exportMask ? 0xffff : tpid));
      out.push(u16Attr(OVS_KEY_ATTR_VLAN, tciOf(data)));
      const encap = newNested(OVS_KEY_ATTR_ENCAP);
      out.push(encap);
      if (truncated) return out;
      level = encap.nested!;
    }
  }

  const type = dlType(flow);
  if (type < ETH_TYPE_MIN) {
    if (exportMask) level.push(u16Attr(OVS_KEY_ATTR_ETHERTYPE, 0xffff));
    return out;
  }
  level.push(u16Attr(OVS_KEY_ATTR_ETHERTYPE, dlType(data)));
  if (ethTypeIsVlan(type)) return out;

  const misc = data[W_NW_MISC]!;
  if (type === ETH_TYPE_IP) {
    const a = newAttr(OVS_KEY_ATTR_IPV4, 12);
    put32(a.data, 0, data[W_NW_SRC]!);
    put32(a.data, 4, data[W_NW_DST]!);
    a.data[8] = misc >>> 24;
    a.data[9] = (misc >>> 16) & 0xff;
    a.data[10] = (misc >>> 8) & 0xff;
    a.data[11] = toOdpFrag(misc & 0xff, exportMask);
    level.push(a);
  } else if (type === ETH_TYPE_IPV6) {
    const a = newAttr(OVS_KEY_ATTR_IPV6, 40);
    for (let i = 0; i < 4; i++) {
      put32(a.data, 4 * i, data[W_IPV6_SRC + i]!);
      put32(a.data, 16 + 4 * i, data[W_IPV6_DST + i]!);
    }
    put32(a.data, 32, data[W_IPV6_LABEL]!);
    a.data[36] = misc >>> 24;
    a.data[37] = (misc >>> 16) & 0xff;
    a.data[38] = (misc >>> 8) & 0xff;
    a.data[39] = toOdpFrag(misc & 0xff, exportMask);
    level.push(a);
  } else if (type === ETH_TYPE_ARP || type === ETH_TYPE_RARP) {
    const a = newAttr(OVS_KEY_ATTR_ARP, 24);
    put32(a.data, 0, data[W_NW_SRC]!);
    put32(a.data, 4, data[W_NW_DST]!);
    // The opcode is an 8-bit field (upstream keeps it in nw_proto); all ones means exact.
    const op = data[W_ARP_OP]! & 0xff;
    put16(a.data, 8, op === 0xff ? 0xffff : op);
    putMac(a.data, 10, data[W_ARP_SHA]!, data[W_ARP_SHA + 1]!);
    putMac(a.data, 16, data[W_ARP_THA]!, data[W_ARP_THA + 1]!);
    level.push(a);
  } else if (ethTypeIsMpls(type)) {
    const n = mplsCount(flow);
    const a = newAttr(OVS_KEY_ATTR_MPLS, 4 * n);
    for (let i = 0; i < n; i++) put32(a.data, 4 * i, data[MPLS_LSE_WORDS[i]!]!);
    level.push(a);
  }

  const ipAny = type === ETH_TYPE_IP || type === ETH_TYPE_IPV6;
  if (ipAny && !(nwFrag(flow) & FLOW_NW_FRAG_LATER)) {
    const proto = nwProto(flow);
    if (proto === IPPROTO_TCP || proto === IPPROTO_UDP || proto === IPPROTO_SCTP) {
      const attr = proto === IPPROTO_TCP
        ? OVS_KEY_ATTR_TCP
        : proto === IPPROTO_UDP
        ? OVS_KEY_ATTR_UDP
        : OVS_KEY_ATTR_SCTP;
      level.push(u32Attr(attr, data[W_TP]!));
      const flags = data[W_TCP_FLAGS]! & 0xffff;
      if (proto === IPPROTO_TCP && (flags || (mask && mask[W_TCP_FLAGS]! & 0xffff))) {
        level.push(u16Attr(OVS_KEY_ATTR_TCP_FLAGS, flags));
      }
    } else if (type === ETH_TYPE_IP && proto === IPPROTO_ICMP) {
      level.push(icmpAttr(OVS_KEY_ATTR_ICMP, data));
    } else if (type === ETH_TYPE_IPV6 && proto === IPPROTO_ICMPV6) {
      level.push(icmpAttr(OVS_KEY_ATTR_ICMPV6, data));
      const tp = data[W_TP]!;
      if (isNd(flow) && (!exportMask || (tp >>> 16 === 0xff && (tp & 0xffff) === 0xff))) {
        const nd = newAttr(OVS_KEY_ATTR_ND, 28);
        for (let i = 0; i < 4; i++) put32(nd.data, 4 * i, data[W_ND_TARGET + i]!);
        putMac(nd.data, 16, data[W_ARP_SHA]!, data[W_ARP_SHA + 1]!);
        putMac(nd.data, 22, data[W_ARP_THA]!, data[W_ARP_THA + 1]!);
        level.push(nd);
        const optType = (data[W_TCP_FLAGS]! >>> 16) & 0xff;
        if (support.ndExtensions && (data[W_ND_RESERVED] !== 0 || optType !== 0)) {
          const ext = newAttr(OVS_KEY_ATTR_ND_EXTENSIONS, 8);
          put32(ext.data, 0, data[W_ND_RESERVED]!);
          ext.data[4] = optType;
          level.push(ext);
        }
      }
    }
  }
  return out;
}

function icmpAttr(type: number, data: FlowWords): OdpAttr {
  const a = newAttr(type, 2);
  a.data[0] = (data[W_TP]! >>> 16) & 0xff;
  a.data[1] = data[W_TP]! & 0xff;
  return a;
}

/** upstream's flow_count_mpls_labels: up to the bottom of stack, else the nonzero entries. */
export function mplsCount(flow: FlowWords): number {
  let count = 0;
  for (let i = 0; i < 3; i++) {
    const lse = flow[MPLS_LSE_WORDS[i]!]!;
    if (lse & MPLS_BOS) return i + 1;
    if (lse) count++;
  }
  return count;
}

/** tun_key_to_attr for the tunnel fields the layout has. */
function tunnelAttr(t: FlowWords): OdpAttr {
  const a = newNested(OVS_KEY_ATTR_TUNNEL);
  const kids = a.nested!;
  const flags = t[W_TUN_MISC]! & 0xffff;
  if (t[W_TUN_ID] || t[W_TUN_ID + 1] || flags & FLOW_TNL_F_KEY) {
    const id = newAttr(TUN_ATTR_ID, 8);
    put32(id.data, 0, t[W_TUN_ID]!);
    put32(id.data, 4, t[W_TUN_ID + 1]!);
    kids.push(id);
  }
  if (t[W_TUN_SRC]) kids.push(u32Attr(TUN_ATTR_IPV4_SRC, t[W_TUN_SRC]!));
  if (t[W_TUN_DST]) kids.push(u32Attr(TUN_ATTR_IPV4_DST, t[W_TUN_DST]!));
  const v6: readonly (readonly [number, number])[] = [
    [W_TUN_IPV6_SRC, TUN_ATTR_IPV6_SRC],
    [W_TUN_IPV6_DST, TUN_ATTR_IPV6_DST],
  ];
  for (const [w, type] of v6) {
    if (t[w] || t[w + 1] || t[w + 2] || t[w + 3]) {
      const x = newAttr(type, 16);
      for (let i = 0; i < 4; i++) put32(x.data, 4 * i, t[w + i]!);
      kids.push(x);
    }
  }
  const tos = (t[W_TUN_MISC]! >>> 16) & 0xff;
  if (tos) {
    const x = newAttr(TUN_ATTR_TOS, 1);
    x.data[0] = tos;
    kids.push(x);
  }
  const ttl = newAttr(TUN_ATTR_TTL, 1);
  ttl.data[0] = t[W_TUN_MISC]! >>> 24;
  kids.push(ttl);
  if (flags & FLOW_TNL_F_DONT_FRAGMENT) kids.push(newAttr(TUN_ATTR_DONT_FRAGMENT, 0));
  if (flags & FLOW_TNL_F_CSUM) kids.push(newAttr(TUN_ATTR_CSUM, 0));
  if (flags & FLOW_TNL_F_OAM) kids.push(newAttr(TUN_ATTR_OAM, 0));
  const gbp = t[W_TUN_GBP]! & 0xffffff;
  if (gbp) {
    const opts = newNested(TUN_ATTR_VXLAN_OPTS);
    opts.nested!.push(u32Attr(VXLAN_EXT_GBP, gbp));
    kids.push(opts);
  }
  return a;
}
