// The tests actions make of the flow they are checked against: a field's prerequisites
// (upstream's mf_are_prereqs_ok / mf_are_match_prereqs_ok over flow words and mask), subfield
// range and writability checks (mf_check_src / mf_check_dst) with upstream's error names, the
// flow's effective Ethernet type, and "inconsistent with the match" (which leaves only OpenFlow
// 1.0, whose actions need not agree with the match).
//
// Promises: pure reads of the flow words, except `inconsistentMatch`, which narrows the check
// context's usable protocols. Throws OfpError only.

import {
  ETH_TYPE_ARP,
  ETH_TYPE_IP,
  ETH_TYPE_IPV6,
  ETH_TYPE_MPLS,
  ETH_TYPE_MPLS_MCAST,
  ETH_TYPE_NSH,
  ETH_TYPE_RARP,
  FLOW_NW_FRAG_LATER,
  type FlowWords,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  VLAN_CFI,
  W_CT_STATE,
  W_DL_TYPE_VLAN,
  W_NW_MISC,
  W_PACKET_TYPE,
  W_TP,
} from "../../datapath/flow.ts";
import { OfpError } from "../errors.ts";
import type { Field } from "../fields.ts";
import { P_OF10_ANY } from "../protocols.ts";
import type { CheckContext } from "./kind.ts";
import { metaFlowWarn } from "./log.ts";
import { OFPHTN_ETHERTYPE, PT_ETH, type Subfield } from "./types.ts";

export const FLOW_DL_TYPE_NONE = 0x05ff;

export const CS_NEW = 1 << 0;
export const CS_ESTABLISHED = 1 << 1;
export const CS_RELATED = 1 << 2;
export const CS_REPLY_DIR = 1 << 3;
export const CS_INVALID = 1 << 4;
export const CS_TRACKED = 1 << 5;
export const CS_SRC_NAT = 1 << 6;
export const CS_DST_NAT = 1 << 7;

/** The flow words a check reads: the flow, and the match's mask when checking a match. */
export interface FlowView {
  flow: FlowWords;
  mask?: FlowWords;
}

export function packetType(flow: FlowWords): number {
  return flow[W_PACKET_TYPE]! >>> 0;
}

/** upstream's get_dl_type: the Ethernet type, also for non-Ethernet packet types. */
export function getDlType(flow: FlowWords): number {
  const pt = packetType(flow);
  if (pt === PT_ETH) return flow[W_DL_TYPE_VLAN]! >>> 16;
  if (pt >>> 16 === OFPHTN_ETHERTYPE) return pt & 0xffff;
  return FLOW_DL_TYPE_NONE;
}

export function setDlType(flow: FlowWords, dlType: number): void {
  flow[W_DL_TYPE_VLAN] = (((dlType & 0xffff) << 16) | (flow[W_DL_TYPE_VLAN]! & 0xffff)) >>> 0;
}

export function vlanTci(flow: FlowWords): number {
  return flow[W_DL_TYPE_VLAN]! & 0xffff;
}

export function setVlanTci(flow: FlowWords, tci: number): void {
  flow[W_DL_TYPE_VLAN] = ((flow[W_DL_TYPE_VLAN]! & 0xffff0000) | (tci & 0xffff)) >>> 0;
}

export function nwProto(flow: FlowWords): number {
  return flow[W_NW_MISC]! >>> 24;
}

export function setNwProto(flow: FlowWords, proto: number): void {
  flow[W_NW_MISC] = ((flow[W_NW_MISC]! & 0x00ffffff) | ((proto & 0xff) << 24)) >>> 0;
}

export function nwFrag(flow: FlowWords): number {
  return flow[W_NW_MISC]! & 0xff;
}

export function isEthTypeMpls(t: number): boolean {
  return t === ETH_TYPE_MPLS || t === ETH_TYPE_MPLS_MCAST;
}

export function isDlTypeIpAny(t: number): boolean {
  return t === ETH_TYPE_IP || t === ETH_TYPE_IPV6;
}

export function isIpAny(flow: FlowWords): boolean {
  return isDlTypeIpAny(getDlType(flow));
}

function isIpProto(flow: FlowWords, proto: number): boolean {
  return isIpAny(flow) && nwProto(flow) === proto;
}

function tpSrc(flow: FlowWords): number {
  return flow[W_TP]! >>> 16;
}

function tpDst(flow: FlowWords): number {
  return flow[W_TP]! & 0xffff;
}

function isIcmpv6(flow: FlowWords): boolean {
  return getDlType(flow) === ETH_TYPE_IPV6 && nwProto(flow) === IPPROTO_ICMPV6;
}

function isNd(flow: FlowWords): boolean {
  return isIcmpv6(flow) && tpDst(flow) === 0 && (tpSrc(flow) === 135 || tpSrc(flow) === 136);
}

/**
 * upstream's is_ct_valid: with a mask (checking a match), the match must ask for a state that
 * implies a valid connection, or for +trk-inv; without one (a flow), a valid state bit is set.
 */
export function isCtValid(v: FlowView): boolean {
  const state = v.flow[W_CT_STATE]!;
  if (v.mask) {
    return (state & (CS_NEW | CS_ESTABLISHED | CS_RELATED | CS_REPLY_DIR | CS_SRC_NAT |
          CS_DST_NAT)) !== 0 ||
      ((state & CS_TRACKED) !== 0 && (v.mask[W_CT_STATE]! & CS_INVALID) !== 0 &&
        (state & CS_INVALID) === 0);
  }
  return (state & (CS_NEW | CS_ESTABLISHED | CS_REPLY_DIR)) !== 0;
}

/** upstream's mf_are_prereqs_ok__. */
export function prereqsOk(f: Field, v: FlowView): boolean {
  const flow = v.flow;
  const dlType = getDlType(flow);
  const notLater = (nwFrag(flow) & FLOW_NW_FRAG_LATER) === 0;
  switch (f.prerequisite) {
    case "none":
      return true;
    case "ethernet":
      return packetType(flow) === PT_ETH;
    case "arp":
      return dlType === ETH_TYPE_ARP || dlType === ETH_TYPE_RARP;
    case "ipv4":
      return dlType === ETH_TYPE_IP;
    case "ipv6":
      return dlType === ETH_TYPE_IPV6;
    case "vlan_vid":
      return packetType(flow) === PT_ETH && (vlanTci(flow) & VLAN_CFI) !== 0;
    case "mpls":
      return isEthTypeMpls(dlType);
    case "ip_any":
      return isDlTypeIpAny(dlType);
    case "nsh":
      return dlType === ETH_TYPE_NSH;
    case "ct":
      return isCtValid(v);
    case "tcp":
      return isIpProto(flow, IPPROTO_TCP) && notLater;
    case "udp":
      return isIpProto(flow, IPPROTO_UDP) && notLater;
    case "sctp":
      return isIpProto(flow, IPPROTO_SCTP) && notLater;
    case "icmpv4":
      return dlType === ETH_TYPE_IP && nwProto(flow) === IPPROTO_ICMP;
    case "icmpv6":
      return isIcmpv6(flow);
    case "nd":
      return isNd(flow);
    case "nd_solicit":
      return isNd(flow) && tpSrc(flow) === 135;
    case "nd_advert":
      return isNd(flow) && tpSrc(flow) === 136;
  }
}

/** upstream's mf_check__ (without a match when `v` is undefined, as decoders call it). */
function checkSubfield(sf: Subfield, v: FlowView | undefined, type: string): void {
  const f = sf.field;
  if (!sf.nBits) {
    metaFlowWarn(`zero bit ${type} field ${f.name}`);
    throw new OfpError("OFPBAC_BAD_SET_LEN");
  }
  if (sf.ofs >= f.nBits) {
    metaFlowWarn(`bit offset ${sf.ofs} exceeds ${f.nBits}-bit width of ${type} field ${f.name}`);
    throw new OfpError("OFPBAC_BAD_SET_LEN");
  }
  if (sf.ofs + sf.nBits > f.nBits) {
    metaFlowWarn(
      `bit offset ${sf.ofs} and width ${sf.nBits} exceeds ${f.nBits}-bit width of ${type} ` +
        `field ${f.name}`,
    );
    throw new OfpError("OFPBAC_BAD_SET_LEN");
  }
  if (v && !prereqsOk(f, v)) {
    metaFlowWarn(`${type} field ${f.name} lacks correct prerequisites`);
    throw new OfpError("OFPBAC_MATCH_INCONSISTENT");
  }
}

/** upstream's mf_check_src. */
export function checkSrc(sf: Subfield, v: FlowView | undefined): void {
  checkSubfield(sf, v, "source");
}

/** upstream's mf_check_dst: also the field must be writable. */
export function checkDst(sf: Subfield, v: FlowView | undefined): void {
  checkSubfield(sf, v, "destination");
  if (!sf.field.writable) {
    metaFlowWarn(`destination field ${sf.field.name} is not writable`);
    throw new OfpError("OFPBAC_BAD_SET_ARGUMENT");
  }
}

/** The match view of a check context (flow as modified so far, and the match's mask). */
export function matchView(cc: CheckContext): FlowView {
  return { flow: cc.flow, mask: cc.mask };
}

/** upstream's inconsistent_match: only OpenFlow 1.0 tolerates this action with this match. */
export function inconsistentMatch(cc: CheckContext): void {
  cc.usable &= P_OF10_ANY;
}

/** upstream's ofpact_check_output_port. */
export function checkOutputPort(port: number, maxPorts: number): void {
  switch (port) {
    case 0xfff8: // IN_PORT
    case 0xfff9: // TABLE
    case 0xfffa: // NORMAL
    case 0xfffb: // FLOOD
    case 0xfffc: // ALL
    case 0xfffd: // CONTROLLER
    case 0xfffe: // LOCAL
      return;
    case 0xffff: // NONE
      throw new OfpError("OFPBAC_BAD_OUT_PORT");
    default:
      if (port < maxPorts) return;
      throw new OfpError("OFPBAC_BAD_OUT_PORT");
  }
}
