// Datapath key attributes to flow words, as upstream's odp_flow_key_to_flow and
// odp_flow_key_to_mask (lib/odp-util.c) read them with the switch's vlan-limit of 1: the
// fitness of a parsed key (perfect, too much, too little, error), upstream's error texts, and
// the mask conventions (a missing recirc_id is exact, a missing VLAN is an exact "no VLAN").
//
// Differences forced by the flow layout: one VLAN header is kept; tunnel transport ports and
// options other than VXLAN GBP are dropped; no NSH.

import {
  ETH_TYPE_ARP,
  ETH_TYPE_IP,
  ETH_TYPE_IPV6,
  ETH_TYPE_MIN,
  ETH_TYPE_MPLS,
  ETH_TYPE_NONE,
  ETH_TYPE_RARP,
  FLOW_NW_FRAG_ANY,
  FLOW_NW_FRAG_LATER,
  type FlowWords,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  MPLS_LSE_WORDS,
  VLAN_CFI,
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
  allBytes,
  attrName,
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
} from "./odp_attrs.ts";
import { formatOdpAttrs } from "./odp_format.ts";

import {
  dlType,
  FLOW_TNL_F_CSUM,
  FLOW_TNL_F_DONT_FRAGMENT,
  FLOW_TNL_F_KEY,
  FLOW_TNL_F_OAM,
  isNd,
  MPLS_BOS,
  nwFrag,
  nwProto,
  type OdpFitness,
  ODPP_NONE,
  OFPHTN_ETHERTYPE,
  PT_ETH,
  tciOf,
} from "./odp_flow.ts";

// ---------------------------------------------------------------------------------------------
// Attributes to flow words.

/** Error text of an ODP_FIT_ERROR conversion, as upstream builds it. */
export class FitError {
  message = "";
}

type Attrs = Map<number, OdpAttr>;

interface Level {
  attrs: Attrs;
  present: number;
}

function bit(type: number): number {
  return 2 ** type;
}

function has(present: number, type: number): boolean {
  return Math.floor(present / bit(type)) % 2 === 1;
}

/** Bitwise or/and-not on attribute sets (types up to 30 fit in 31 bits). */
function or(a: number, b: number): number {
  return (a | b) >>> 0;
}

function parseLevel(list: readonly OdpAttr[], err: FitError): Level | undefined {
  const attrs: Attrs = new Map();
  let present = 0;
  for (const a of list) {
    if (attrs.has(a.type)) {
      err.message = `duplicate ${attrName(a.type)} attribute in flow key`;
      return undefined;
    }
    attrs.set(a.type, a);
    present = or(present, bit(a.type));
  }
  return { attrs, present };
}

function checkExpectations(present: number, expected: number): OdpFitness {
  if ((expected & ~present) >>> 0) return "too_little";
  if ((present & ~expected) >>> 0) return "too_much";
  return "perfect";
}

/**
 * odp_flow_key_to_flow (`src` null) or odp_flow_key_to_mask (`src` the key's flow words):
 * fills `flow` (every word rewritten) and returns the fitness; on "error", `err.message` says
 * why, with upstream's suffix naming the key or mask in error.
 */
export function odpAttrsToFlow(
  list: readonly OdpAttr[],
  flow: FlowWords,
  src: FlowWords | null,
  err: FitError,
): OdpFitness {
  const fitness = attrsToFlow(list, flow, src, err);
  if (fitness === "error") {
    const text = formatOdpAttrs(list, null, { verbose: true });
    err.message = src
      ? `${err.message}; the flow mask in error is: ${text}`
      : `${err.message}; the flow key in error is: ${text}`;
  }
  return fitness;
}

function attrsToFlow(
  list: readonly OdpAttr[],
  flow: FlowWords,
  src: FlowWords | null,
  err: FitError,
): OdpFitness {
  const isMask = src !== null;
  const srcFlow = src ?? flow;
  flow.fill(0);
  const level = parseLevel(list, err);
  if (!level) return "error";
  const { attrs, present } = level;
  let expected = 0;
  const get = (type: number) => attrs.get(type)!;

  if (has(present, OVS_KEY_ATTR_RECIRC_ID)) {
    flow[W_RECIRC_ID] = u32(get(OVS_KEY_ATTR_RECIRC_ID).data, 0);
    expected = or(expected, bit(OVS_KEY_ATTR_RECIRC_ID));
  } else if (isMask) {
    flow[W_RECIRC_ID] = 0xffffffff;
  }
  const simple: readonly (readonly [number, number])[] = [
    [OVS_KEY_ATTR_DP_HASH, W_DP_HASH],
    [OVS_KEY_ATTR_PRIORITY, W_SKB_PRIORITY],
    [OVS_KEY_ATTR_SKB_MARK, W_PKT_MARK],
    [OVS_KEY_ATTR_CT_MARK, W_CT_MARK],
  ];
  for (const [type, w] of simple) {
    if (has(present, type)) {
      flow[w] = u32(get(type).data, 0);
      expected = or(expected, bit(type));
    }
  }
  if (has(present, OVS_KEY_ATTR_CT_STATE)) {
    flow[W_CT_STATE] = u32(get(OVS_KEY_ATTR_CT_STATE).data, 0) & 0xff;
    expected = or(expected, bit(OVS_KEY_ATTR_CT_STATE));
  }
  if (has(present, OVS_KEY_ATTR_CT_ZONE)) {
    flow[W_CT_ZONE] = (flow[W_CT_ZONE]! & 0xffff0000) | u16(get(OVS_KEY_ATTR_CT_ZONE).data, 0);
    expected = or(expected, bit(OVS_KEY_ATTR_CT_ZONE));
  }
  if (has(present, OVS_KEY_ATTR_CT_LABELS)) {
    const d = get(OVS_KEY_ATTR_CT_LABELS).data;
    for (let i = 0; i < 4; i++) flow[W_CT_LABEL + i] = u32(d, 4 * i);
    expected = or(expected, bit(OVS_KEY_ATTR_CT_LABELS));
  }
  if (has(present, OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4)) {
    const d = get(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4).data;
    flow[W_CT_NW_SRC] = u32(d, 0);
    flow[W_CT_NW_DST] = u32(d, 4);
    flow[W_CT_TP] = u32(d, 8);
    flow[W_CT_ZONE] = ((flow[W_CT_ZONE]! & 0xffff) | (d[12]! << 16)) >>> 0;
    expected = or(expected, bit(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4));
  }
  if (has(present, OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6)) {
    const d = get(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6).data;
    for (let i = 0; i < 4; i++) {
      flow[W_CT_IPV6_SRC + i] = u32(d, 4 * i);
      flow[W_CT_IPV6_DST + i] = u32(d, 16 + 4 * i);
    }
    flow[W_CT_TP] = u32(d, 32);
    flow[W_CT_ZONE] = ((flow[W_CT_ZONE]! & 0xffff) | (d[36]! << 16)) >>> 0;
    expected = or(expected, bit(OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6));
  }
  if (has(present, OVS_KEY_ATTR_TUNNEL)) {
    const res = tunnelFromAttr(get(OVS_KEY_ATTR_TUNNEL), flow, err);
    if (res === "error") return "error";
    if (res === "perfect") expected = or(expected, bit(OVS_KEY_ATTR_TUNNEL));
  }
  if (has(present, OVS_KEY_ATTR_IN_PORT)) {
    flow[W_IN_PORT] = u32(get(OVS_KEY_ATTR_IN_PORT).data, 0);
    expected = or(expected, bit(OVS_KEY_ATTR_IN_PORT));
  } else if (!isMask) {
    flow[W_IN_PORT] = ODPP_NONE;
  }
  if (has(present, OVS_KEY_ATTR_PACKET_TYPE)) {
    flow[W_PACKET_TYPE] = u32(get(OVS_KEY_ATTR_PACKET_TYPE).data, 0);
    expected = or(expected, bit(OVS_KEY_ATTR_PACKET_TYPE));
    if (srcFlow[W_PACKET_TYPE]! >>> 16 === OFPHTN_ETHERTYPE) {
      setDlType(flow, flow[W_PACKET_TYPE]! & 0xffff);
    }
  } else if (!isMask) {
    flow[W_PACKET_TYPE] = PT_ETH;
  }
  if (has(present, OVS_KEY_ATTR_ETHERNET)) {
    const d = get(OVS_KEY_ATTR_ETHERNET).data;
    flow[W_DL_SRC] = u16(d, 0);
    flow[W_DL_SRC + 1] = u32(d, 2);
    flow[W_DL_DST] = u16(d, 6);
    flow[W_DL_DST + 1] = u32(d, 8);
    if (!isMask) flow[W_PACKET_TYPE] = PT_ETH;
    expected = or(expected, bit(OVS_KEY_ATTR_ETHERNET));
  } else if (has(present, OVS_KEY_ATTR_ETHERTYPE)) {
    const type = u16(get(OVS_KEY_ATTR_ETHERTYPE).data, 0);
    if (!isMask) flow[W_PACKET_TYPE] = ((OFPHTN_ETHERTYPE << 16) | type) >>> 0;
    expected = or(expected, bit(OVS_KEY_ATTR_ETHERTYPE));
  }

  const e = { expected };
  if (!parseEthertype(level, e, flow, srcFlow, isMask, err)) return "error";
  const vlan = isMask ? (tciOf(srcFlow) & VLAN_CFI) !== 0 : ethTypeIsVlan(dlType(srcFlow));
  if (vlan) return parse8021qOnward(level, e.expected, flow, srcFlow, isMask, err);
  if (isMask) {
    // A missing VLAN mask means an exact match on "no VLAN".
    flow[W_VLAN_TPID] = 0xffff;
    setTci(flow, 0xffff);
    if (has(present, OVS_KEY_ATTR_VLAN)) {
      setTci(flow, u16(get(OVS_KEY_ATTR_VLAN).data, 0));
      e.expected = or(e.expected, bit(OVS_KEY_ATTR_VLAN));
    }
  }
  return parseL25Onward(level, e, flow, srcFlow, isMask, true, err);
}

function setDlType(f: FlowWords, type: number): void {
  f[W_DL_TYPE_VLAN] = ((type << 16) | (f[W_DL_TYPE_VLAN]! & 0xffff)) >>> 0;
}

function setTci(f: FlowWords, tci: number): void {
  f[W_DL_TYPE_VLAN] = ((f[W_DL_TYPE_VLAN]! & 0xffff0000) | tci) >>> 0;
}

function parseEthertype(
  level: Level,
  e: { expected: number },
  flow: FlowWords,
  src: FlowWords,
  isMask: boolean,
  err: FitError,
): boolean {
  const { attrs, present } = level;
  if (has(present, OVS_KEY_ATTR_ETHERTYPE)) {
    const type = u16(attrs.get(OVS_KEY_ATTR_ETHERTYPE)!.data, 0);
    setDlType(flow, type);
    if (!isMask && type < ETH_TYPE_MIN) {
      err.message = `invalid Ethertype ${type} in flow key`;
      return false;
    }
    if (isMask && dlType(src) < ETH_TYPE_MIN && type !== 0xffff) {
      err.message = `can't bitwise match non-Ethernet II "Ethertype" ${
        hexAlt(dlType(src))
      } (with mask ${hexAlt(type)})`;
      return false;
    }
    e.expected = or(e.expected, bit(OVS_KEY_ATTR_ETHERTYPE));
  } else if (!isMask) {
    if (has(present, OVS_KEY_ATTR_IPV4)) setDlType(flow, ETH_TYPE_IP);
    else if (has(present, OVS_KEY_ATTR_IPV6)) setDlType(flow, ETH_TYPE_IPV6);
    else if (has(present, OVS_KEY_ATTR_MPLS)) setDlType(flow, ETH_TYPE_MPLS);
    else setDlType(flow, ETH_TYPE_NONE);
  } else if (src[W_PACKET_TYPE] !== PT_ETH) {
    setDlType(flow, 0xffff);
  } else if (dlType(src) < ETH_TYPE_MIN) {
    err.message = "mask expected for non-Ethernet II frame";
    return false;
  }
  return true;
}

function hexAlt(v: number): string {
  return v ? `0x${v.toString(16)}` : "0";
}

function parse8021qOnward(
  outer: Level,
  expected: number,
  flow: FlowWords,
  src: FlowWords,
  isMask: boolean,
  err: FitError,
): OdpFitness {
  let level = outer;
  const { attrs, present } = level;
  const encap = has(present, OVS_KEY_ATTR_ENCAP) ? attrs.get(OVS_KEY_ATTR_ENCAP)! : undefined;
  if (!isMask) {
    expected = or(expected, or(bit(OVS_KEY_ATTR_VLAN), bit(OVS_KEY_ATTR_ENCAP)));
  } else {
    if (has(present, OVS_KEY_ATTR_VLAN)) expected = or(expected, bit(OVS_KEY_ATTR_VLAN));
    if (has(present, OVS_KEY_ATTR_ENCAP)) expected = or(expected, bit(OVS_KEY_ATTR_ENCAP));
  }
  const fitness = checkExpectations(present, expected);
  flow[W_VLAN_TPID] = dlType(flow);
  setDlType(flow, 0);
  const tci = has(present, OVS_KEY_ATTR_VLAN) ? u16(attrs.get(OVS_KEY_ATTR_VLAN)!.data, 0) : 0;
  setTci(flow, tci);
  if (!isMask) {
    if (!has(present, OVS_KEY_ATTR_VLAN) || !encap) return "too_little";
    if (tci === 0) {
      // A truncated 802.1Q header.
      if (fitness === "perfect" && encap.nested!.length) return "too_much";
      return fitness;
    }
    if (!(tci & VLAN_CFI)) {
      err.message = `OVS_KEY_ATTR_VLAN 0x${
        tci.toString(16).padStart(4, "0")
      } is nonzero but CFI bit is not set`;
      return "error";
    }
  } else if (!encap) {
    return fitness;
  }
  const inner = parseLevel(encap!.nested!, err);
  if (!inner) return "error";
  level = inner;
  const e = { expected: 0 };
  if (!parseEthertype(level, e, flow, src, isMask, err)) return "error";
  const encapFitness = parseL25Onward(level, e, flow, src, isMask, false, err);
  if (encapFitness !== "perfect") return encapFitness;
  return checkExpectations(level.present, e.expected);
}

function parseL25Onward(
  level: Level,
  e: { expected: number },
  flow: FlowWords,
  src: FlowWords,
  isMask: boolean,
  needCheck: boolean,
  err: FitError,
): OdpFitness {
  const { attrs, present } = level;
  const expect = (type: number) => {
    e.expected = or(e.expected, bit(type));
  };
  const srcType = dlType(src);
  let checkAttr: OdpAttr | undefined;
  let checkBit = -1;
  const done = (): OdpFitness => needCheck ? checkExpectations(present, e.expected) : "perfect";

  if (ethTypeIsMpls(srcType)) {
    if (!isMask || has(present, OVS_KEY_ATTR_MPLS)) expect(OVS_KEY_ATTR_MPLS);
    if (has(present, OVS_KEY_ATTR_MPLS)) {
      const d = attrs.get(OVS_KEY_ATTR_MPLS)!.data;
      const n = d.length / 4;
      if (!d.length || d.length % 4) {
        err.message = `MPLS LSEs have invalid length ${d.length}`;
        return "error";
      }
      for (let i = 0; i < n && i < 3; i++) flow[MPLS_LSE_WORDS[i]!] = u32(d, 4 * i);
      if (n > 3) return "too_much";
      if (!isMask) {
        for (let i = 0; i < n - 1; i++) {
          if (u32(d, 4 * i) & MPLS_BOS) {
            err.message = "MPLS BOS set in non-innermost label";
            return "error";
          }
        }
        if (n < 3 && !(u32(d, 4 * (n - 1)) & MPLS_BOS)) return "too_little";
      }
    }
    return done();
  } else if (srcType === ETH_TYPE_IP || srcType === ETH_TYPE_IPV6) {
    const v4 = srcType === ETH_TYPE_IP;
    const type = v4 ? OVS_KEY_ATTR_IPV4 : OVS_KEY_ATTR_IPV6;
    if (!isMask) expect(type);
    if (has(present, type)) {
      const a = attrs.get(type)!;
      const d = a.data;
      const base = v4 ? 8 : 36;
      if (v4) {
        flow[W_NW_SRC] = u32(d, 0);
        flow[W_NW_DST] = u32(d, 4);
      } else {
        for (let i = 0; i < 4; i++) {
          flow[W_IPV6_SRC + i] = u32(d, 4 * i);
          flow[W_IPV6_DST + i] = u32(d, 16 + 4 * i);
        }
        flow[W_IPV6_LABEL] = u32(d, 32);
      }
      const frag = fromOdpFrag(d[base + 3]!, isMask);
      flow[W_NW_MISC] = ((d[base]! << 24) | (d[base + 1]! << 16) | (d[base + 2]! << 8) | frag) >>>
        0;
      if (frag > 3) {
        err.message = `OVS_KEY_ATTR_IPV${v4 ? 4 : 6} has invalid nw_frag ${hexAlt(frag)}`;
        return "error";
      }
      if (isMask) {
        checkAttr = a;
        checkBit = type;
      }
    }
  } else if (srcType === ETH_TYPE_ARP || srcType === ETH_TYPE_RARP) {
    if (!isMask) expect(OVS_KEY_ATTR_ARP);
    if (has(present, OVS_KEY_ATTR_ARP)) {
      const a = attrs.get(OVS_KEY_ATTR_ARP)!;
      const d = a.data;
      const op = u16(d, 8);
      if (!isMask && op & 0xff00) {
        err.message = `unsupported ARP opcode ${op} in flow key`;
        return "error";
      }
      flow[W_NW_SRC] = u32(d, 0);
      flow[W_NW_DST] = u32(d, 4);
      flow[W_ARP_OP] = op & 0xff;
      flow[W_ARP_SHA] = u16(d, 10);
      flow[W_ARP_SHA + 1] = u32(d, 12);
      flow[W_ARP_THA] = u16(d, 16);
      flow[W_ARP_THA + 1] = u32(d, 18);
      if (isMask) {
        checkAttr = a;
        checkBit = OVS_KEY_ATTR_ARP;
      }
    }
  } else {
    return done();
  }
  if (checkAttr) {
    if (!allBytes(checkAttr.data, 0) && dlType(flow) !== 0xffff) {
      err.message = `unexpected L3 matching with masked Ethertype ${hexAlt(srcType)}/${
        hexAlt(dlType(flow))
      }`;
      return "error";
    }
    expect(checkBit);
  }

  const srcProto = nwProto(src);
  const ipAny = srcType === ETH_TYPE_IP || srcType === ETH_TYPE_IPV6;
  const later = (nwFrag(src) & FLOW_NW_FRAG_LATER) !== 0;
  let l4Bit = -1;
  if (
    ipAny && !later &&
    (srcProto === IPPROTO_TCP || srcProto === IPPROTO_UDP || srcProto === IPPROTO_SCTP)
  ) {
    const type = srcProto === IPPROTO_TCP
      ? OVS_KEY_ATTR_TCP
      : srcProto === IPPROTO_UDP
      ? OVS_KEY_ATTR_UDP
      : OVS_KEY_ATTR_SCTP;
    if (!isMask) expect(type);
    if (has(present, type)) {
      flow[W_TP] = u32(attrs.get(type)!.data, 0);
      l4Bit = type;
    }
    if (srcProto === IPPROTO_TCP && has(present, OVS_KEY_ATTR_TCP_FLAGS)) {
      expect(OVS_KEY_ATTR_TCP_FLAGS);
      flow[W_TCP_FLAGS] = u16(attrs.get(OVS_KEY_ATTR_TCP_FLAGS)!.data, 0);
    }
  } else if (
    !later && ((srcProto === IPPROTO_ICMP && srcType === ETH_TYPE_IP) ||
      (srcProto === IPPROTO_ICMPV6 && srcType === ETH_TYPE_IPV6))
  ) {
    const type = srcProto === IPPROTO_ICMP ? OVS_KEY_ATTR_ICMP : OVS_KEY_ATTR_ICMPV6;
    if (!isMask) expect(type);
    if (has(present, type)) {
      const d = attrs.get(type)!.data;
      flow[W_TP] = ((d[0]! << 16) | d[1]!) >>> 0;
      l4Bit = type;
      if (type === OVS_KEY_ATTR_ICMPV6 && isNd(src)) {
        const fit = parseNd(level, e, flow, isMask, err);
        if (fit) return fit;
      }
    }
  }
  if (isMask && l4Bit >= 0) {
    if (flow[W_TP] !== 0 && nwProto(flow) !== 0xff) {
      err.message = "flow matches on L4 ports but does not define an L4 protocol";
      return "error";
    }
    expect(l4Bit);
  }
  return done();
}

/** The ND and ND extension attributes of an ND key or mask; a fitness only when failing. */
function parseNd(
  level: Level,
  e: { expected: number },
  flow: FlowWords,
  isMask: boolean,
  err: FitError,
): OdpFitness | undefined {
  const { attrs, present } = level;
  const tpExact = () => flow[W_TP] === 0x00ff00ff;
  if (!isMask) e.expected = or(e.expected, bit(OVS_KEY_ATTR_ND));
  if (has(present, OVS_KEY_ATTR_ND)) {
    const d = attrs.get(OVS_KEY_ATTR_ND)!.data;
    for (let i = 0; i < 4; i++) flow[W_ND_TARGET + i] = u32(d, 4 * i);
    flow[W_ARP_SHA] = u16(d, 16);
    flow[W_ARP_SHA + 1] = u32(d, 18);
    flow[W_ARP_THA] = u16(d, 22);
    flow[W_ARP_THA + 1] = u32(d, 24);
    if (isMask) {
      if (!allBytes(d, 0) && !tpExact()) {
        err.message = `ICMP (src,dst) masks should be (0xff,0xff) but are actually (${
          hexAlt(flow[W_TP]! >>> 16)
        },${hexAlt(flow[W_TP]! & 0xffff)})`;
        return "error";
      }
      e.expected = or(e.expected, bit(OVS_KEY_ATTR_ND));
    }
  }
  if (has(present, OVS_KEY_ATTR_ND_EXTENSIONS)) {
    const d = attrs.get(OVS_KEY_ATTR_ND_EXTENSIONS)!.data;
    if (!isMask) e.expected = or(e.expected, bit(OVS_KEY_ATTR_ND_EXTENSIONS));
    flow[W_ND_RESERVED] = u32(d, 0);
    flow[W_TCP_FLAGS] = (d[4]! << 16) >>> 0;
    if (isMask) {
      if (!allBytes(d, 0) && !tpExact()) return "error";
      e.expected = or(e.expected, bit(OVS_KEY_ATTR_ND_EXTENSIONS));
    }
  }
  return undefined;
}

function fromOdpFrag(frag: number, isMask: boolean): number {
  if (isMask) return frag ? 3 : 0;
  if (frag > 2) return 0xff;
  return frag === 0 ? 0 : frag === 1 ? FLOW_NW_FRAG_ANY : FLOW_NW_FRAG_ANY | FLOW_NW_FRAG_LATER;
}

/** odp_tun_key_from_attr__ for the tunnel fields the layout has. */
function tunnelFromAttr(a: OdpAttr, flow: FlowWords, err: FitError): OdpFitness {
  let flags = 0;
  let tos = 0;
  let ttl = 0;
  let haveTtl = false;
  let unknown = false;
  for (const t of a.nested ?? []) {
    const d = t.data;
    switch (t.type) {
      case TUN_ATTR_ID:
        flow[W_TUN_ID] = u32(d, 0);
        flow[W_TUN_ID + 1] = u32(d, 4);
        flags |= FLOW_TNL_F_KEY;
        break;
      case TUN_ATTR_IPV4_SRC:
        flow[W_TUN_SRC] = u32(d, 0);
        break;
      case TUN_ATTR_IPV4_DST:
        flow[W_TUN_DST] = u32(d, 0);
        break;
      case TUN_ATTR_IPV6_SRC:
        for (let i = 0; i < 4; i++) flow[W_TUN_IPV6_SRC + i] = u32(d, 4 * i);
        break;
      case TUN_ATTR_IPV6_DST:
        for (let i = 0; i < 4; i++) flow[W_TUN_IPV6_DST + i] = u32(d, 4 * i);
        break;
      case TUN_ATTR_TOS:
        tos = d[0]!;
        break;
      case TUN_ATTR_TTL:
        ttl = d[0]!;
        haveTtl = true;
        break;
      case TUN_ATTR_DONT_FRAGMENT:
        flags |= FLOW_TNL_F_DONT_FRAGMENT;
        break;
      case TUN_ATTR_CSUM:
        flags |= FLOW_TNL_F_CSUM;
        break;
      case TUN_ATTR_OAM:
        flags |= FLOW_TNL_F_OAM;
        break;
      case TUN_ATTR_TP_SRC:
      case TUN_ATTR_TP_DST:
        // The flow layout has no tunnel transport ports.
        break;
      case TUN_ATTR_VXLAN_OPTS:
        for (const o of t.nested ?? []) {
          if (o.type === VXLAN_EXT_GBP) flow[W_TUN_GBP] = u32(o.data, 0) & 0xffffff;
        }
        break;
      default:
        unknown = true;
    }
  }
  flow[W_TUN_MISC] = ((ttl << 24) | (tos << 16) | flags) >>> 0;
  if (!haveTtl) {
    err.message = "tunnel options missing TTL";
    return "error";
  }
  return unknown ? "too_much" : "perfect";
}
