// The flow as translation works on it: the shared flow words (core/datapath/flow.ts) plus three
// words our layout has no room for and translation cannot do without — the second VLAN header and
// MPLS label stack entries 1 and 2 (upstream keeps two VLAN headers and three LSEs in struct
// flow; push_vlan on a tagged packet and push_mpls on an MPLS packet need them). Inputs never fill
// them (flow extraction keeps one of each); translation's pushes and pops do, and the megaflow
// mask handed back is the first FLOW_WORDS words. Also here: the small upstream flow helpers
// translation calls (flow_push_vlan_uninit, flow_pop_mpls, is_nd, mf_are_prereqs_ok, ...), each
// un-wildcarding exactly what upstream's does.
//
// Conventions: upstream's `nw_proto` for ARP is the low byte of the opcode; here ARP's opcode
// lives in W_ARP_OP, so `nwProto()` reads it there for ARP flows, and masking "nw_proto" of an
// ARP flow masks W_ARP_OP. The outer VLAN's TPID is W_VLAN_TPID (0 means 0x8100 when a tag is
// present, which `normalizeVlanTpid` makes explicit). No allocation on any path here.

import {
  ETH_TYPE_ARP,
  ETH_TYPE_IP,
  ETH_TYPE_IPV6,
  ETH_TYPE_MPLS,
  ETH_TYPE_MPLS_MCAST,
  ETH_TYPE_NONE,
  ETH_TYPE_RARP,
  ETH_TYPE_VLAN_8021AD,
  ETH_TYPE_VLAN_8021Q,
  FLOW_NW_FRAG_LATER,
  FLOW_WORDS,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  VLAN_CFI,
  VLAN_PCP_MASK,
  VLAN_PCP_SHIFT,
  VLAN_VID_MASK,
  W_ARP_OP,
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
  W_DL_TYPE_VLAN,
  W_DP_HASH,
  W_IN_PORT,
  W_MPLS_LSE,
  W_MPLS_LSE_MORE,
  W_NW_MISC,
  W_NW_SRC,
  W_PACKET_TYPE,
  W_TP,
  W_VLAN_TPID,
} from "../../datapath/flow.ts";
import { type Field, readField, writeField } from "../fields.ts";
import { portFromOfp11Quiet } from "../port_text.ts";

/**
 * The inner (second) VLAN header: TPID in the high 16 bits, TCI in the low 16. The shared flow
 * layout has no room for it, so it lives in a word after FLOW_WORDS.
 */
export const XW_VLAN2 = FLOW_WORDS;
/** MPLS label stack entries 1 and 2 (entry 0 is W_MPLS_LSE): the shared layout's words. */
export const XW_MPLS1 = W_MPLS_LSE_MORE;
export const XW_MPLS2 = W_MPLS_LSE_MORE + 1;
export const XFLOW_WORDS = FLOW_WORDS + 1;

export const FLOW_MAX_VLAN_HEADERS = 2;
export const FLOW_MAX_MPLS_LABELS = 3;

export const MPLS_BOS_MASK = 0x00000100;
export const MPLS_TTL_MASK = 0x000000ff;
export const MPLS_TC_MASK = 0x00000e00;
export const MPLS_LABEL_MASK = 0xfffff000;

export const IP_DSCP_MASK = 0xfc;
export const IP_ECN_MASK = 0x03;

export const PT_ETH = 0;
export const OFPHTN_ETHERTYPE = 1;

/** ct_state bits that imply a valid connection (upstream's CS_VALID_MASK). */
const CS_NEW = 0x01;
const CS_ESTABLISHED = 0x02;
const CS_REPLY_DIR = 0x08;
const CS_VALID_MASK = CS_NEW | CS_ESTABLISHED | CS_REPLY_DIR;

const ND_NEIGHBOR_SOLICIT = 135;
const ND_NEIGHBOR_ADVERT = 136;

export type XFlow = Uint32Array;

export function newXFlow(): XFlow {
  return new Uint32Array(XFLOW_WORDS);
}

// ---- Ethernet and packet type ----

export function isEthernet(flow: XFlow, wc: XFlow | undefined): boolean {
  if (wc) wc[W_PACKET_TYPE] = 0xffffffff;
  return flow[W_PACKET_TYPE] === PT_ETH;
}

export function rawDlType(flow: XFlow): number {
  return flow[W_DL_TYPE_VLAN]! >>> 16;
}

export function setDlType(flow: XFlow, type: number): void {
  flow[W_DL_TYPE_VLAN] = (((type & 0xffff) << 16) | (flow[W_DL_TYPE_VLAN]! & 0xffff)) >>> 0;
}

/** get_dl_type: dl_type for Ethernet, the packet type's Ethertype for L3 packets. */
export function getDlType(flow: XFlow): number {
  const pt = flow[W_PACKET_TYPE]!;
  if (pt === PT_ETH) return rawDlType(flow);
  if (pt >>> 16 === OFPHTN_ETHERTYPE) return pt & 0xffff;
  return ETH_TYPE_NONE;
}

export function isIpAnyType(type: number): boolean {
  return type === ETH_TYPE_IP || type === ETH_TYPE_IPV6;
}

export function isIpAny(flow: XFlow): boolean {
  return isIpAnyType(getDlType(flow));
}

export function ethTypeMpls(type: number): boolean {
  return type === ETH_TYPE_MPLS || type === ETH_TYPE_MPLS_MCAST;
}

export function ethTypeVlan(type: number): boolean {
  return type === ETH_TYPE_VLAN_8021Q || type === ETH_TYPE_VLAN_8021AD;
}

// ---- L3 fields ----

function isArpType(type: number): boolean {
  return type === ETH_TYPE_ARP || type === ETH_TYPE_RARP;
}

/** upstream's flow->nw_proto (the ARP opcode for ARP flows). */
export function nwProto(flow: XFlow): number {
  if (isArpType(rawDlType(flow))) return flow[W_ARP_OP]! & 0xffff;
  return flow[W_NW_MISC]! >>> 24;
}

/** Un-wildcards upstream's nw_proto (the ARP opcode for ARP flows). */
export function maskNwProto(flow: XFlow, wc: XFlow): void {
  if (isArpType(rawDlType(flow))) wc[W_ARP_OP] = (wc[W_ARP_OP]! | 0xffff) >>> 0;
  else wc[W_NW_MISC] = (wc[W_NW_MISC]! | 0xff000000) >>> 0;
}

export function nwTos(flow: XFlow): number {
  return (flow[W_NW_MISC]! >>> 16) & 0xff;
}

export function setNwTos(flow: XFlow, tos: number): void {
  flow[W_NW_MISC] = ((flow[W_NW_MISC]! & ~0x00ff0000) | ((tos & 0xff) << 16)) >>> 0;
}

export function nwTtl(flow: XFlow): number {
  return (flow[W_NW_MISC]! >>> 8) & 0xff;
}

export function setNwTtl(flow: XFlow, ttl: number): void {
  flow[W_NW_MISC] = ((flow[W_NW_MISC]! & ~0x0000ff00) | ((ttl & 0xff) << 8)) >>> 0;
}

export function nwFrag(flow: XFlow): number {
  return flow[W_NW_MISC]! & 0xff;
}

export function tpSrc(flow: XFlow): number {
  return flow[W_TP]! >>> 16;
}

export function tpDst(flow: XFlow): number {
  return flow[W_TP]! & 0xffff;
}

export function maskTpSrc(wc: XFlow, bits = 0xffff): void {
  wc[W_TP] = (wc[W_TP]! | (bits << 16)) >>> 0;
}

export function maskTpDst(wc: XFlow, bits = 0xffff): void {
  wc[W_TP] = (wc[W_TP]! | bits) >>> 0;
}

function isIpProto(flow: XFlow, proto: number, wc: XFlow | undefined): boolean {
  if (!isIpAny(flow)) return false;
  if (wc) wc[W_NW_MISC] = (wc[W_NW_MISC]! | 0xff000000) >>> 0;
  return flow[W_NW_MISC]! >>> 24 === proto;
}

export function isTcp(flow: XFlow, wc: XFlow | undefined): boolean {
  return isIpProto(flow, IPPROTO_TCP, wc);
}

export function isUdp(flow: XFlow, wc: XFlow | undefined): boolean {
  return isIpProto(flow, IPPROTO_UDP, wc);
}

export function isSctp(flow: XFlow, wc: XFlow | undefined): boolean {
  return isIpProto(flow, IPPROTO_SCTP, wc);
}

export function isIcmpv4(flow: XFlow, wc: XFlow | undefined): boolean {
  if (getDlType(flow) !== ETH_TYPE_IP) return false;
  if (wc) wc[W_NW_MISC] = (wc[W_NW_MISC]! | 0xff000000) >>> 0;
  return flow[W_NW_MISC]! >>> 24 === IPPROTO_ICMP;
}

export function isIcmpv6(flow: XFlow, wc: XFlow | undefined): boolean {
  if (getDlType(flow) !== ETH_TYPE_IPV6) return false;
  if (wc) wc[W_NW_MISC] = (wc[W_NW_MISC]! | 0xff000000) >>> 0;
  return flow[W_NW_MISC]! >>> 24 === IPPROTO_ICMPV6;
}

export function isNd(flow: XFlow, wc: XFlow | undefined): boolean {
  if (!isIcmpv6(flow, wc)) return false;
  if (wc) maskTpDst(wc);
  if (tpDst(flow) !== 0) return false;
  if (wc) maskTpSrc(wc);
  const t = tpSrc(flow);
  return t === ND_NEIGHBOR_SOLICIT || t === ND_NEIGHBOR_ADVERT;
}

export function isVlan(flow: XFlow, wc: XFlow | undefined): boolean {
  if (!isEthernet(flow, wc)) return false;
  if (wc) wc[W_DL_TYPE_VLAN] = (wc[W_DL_TYPE_VLAN]! | VLAN_CFI) >>> 0;
  return (flow[W_DL_TYPE_VLAN]! & VLAN_CFI) !== 0;
}

export function isCtValid(flow: XFlow, wc: XFlow | undefined): boolean {
  if (wc) wc[W_CT_STATE] = (wc[W_CT_STATE]! | CS_VALID_MASK) >>> 0;
  return (flow[W_CT_STATE]! & CS_VALID_MASK) !== 0;
}

/** The STP multicast destination 01:80:c2:00:00:00 with an 802.2 frame. */
export function isStp(flow: XFlow): boolean {
  return rawDlType(flow) === ETH_TYPE_NONE && (flow[W_DL_DST]! & 0xffff) === 0x0180 &&
    flow[W_DL_DST + 1] === 0xc2000000;
}

// ---- VLAN headers (index 0 outermost) ----

/** The TCI of VLAN header `i`. */
export function vlanTci(flow: XFlow, i: number): number {
  return i === 0 ? flow[W_DL_TYPE_VLAN]! & 0xffff : flow[XW_VLAN2]! & 0xffff;
}

/** The TPID of VLAN header `i` (as stored; see normalizeVlanTpid). */
export function vlanTpid(flow: XFlow, i: number): number {
  return i === 0 ? flow[W_VLAN_TPID]! & 0xffff : flow[XW_VLAN2]! >>> 16;
}

/** TPID and TCI of header `i` as one comparable number (upstream's qtag). */
export function vlanQtag(flow: XFlow, i: number): number {
  return ((vlanTpid(flow, i) << 16) | vlanTci(flow, i)) >>> 0;
}

export function setVlan(flow: XFlow, i: number, tpid: number, tci: number): void {
  if (i === 0) {
    flow[W_DL_TYPE_VLAN] = ((flow[W_DL_TYPE_VLAN]! & 0xffff0000) | (tci & 0xffff)) >>> 0;
    flow[W_VLAN_TPID] = tpid & 0xffff;
  } else {
    flow[XW_VLAN2] = (((tpid & 0xffff) << 16) | (tci & 0xffff)) >>> 0;
  }
}

export function setVlanTci(flow: XFlow, i: number, tci: number): void {
  setVlan(flow, i, vlanTpid(flow, i), tci);
}

/** Un-wildcards all of VLAN header `i` (TPID and TCI). */
export function maskVlanAll(wc: XFlow, i: number): void {
  setVlan(wc, i, 0xffff, 0xffff);
}

/** Ors `bits` into the TCI mask of VLAN header `i`. */
export function maskVlanTci(wc: XFlow, i: number, bits: number): void {
  setVlanTci(wc, i, vlanTci(wc, i) | bits);
}

/** flow_fix_vlan_tpid: a present tag with no TPID recorded is 802.1Q. */
export function normalizeVlanTpid(flow: XFlow): void {
  if (flow[W_VLAN_TPID] === 0 && flow[W_DL_TYPE_VLAN]! & VLAN_CFI) {
    flow[W_VLAN_TPID] = ETH_TYPE_VLAN_8021Q;
  }
}

export function countVlanHeaders(flow: XFlow): number {
  let i = 0;
  for (; i < FLOW_MAX_VLAN_HEADERS; i++) if (!(vlanTci(flow, i) & VLAN_CFI)) break;
  return i;
}

/** flow_push_vlan_uninit: shifts the headers inward, leaving header 0 zero. */
export function pushVlanUninit(flow: XFlow, wc: XFlow | undefined): void {
  if (wc) {
    const n = countVlanHeaders(flow);
    for (let i = 0; i < n; i++) maskVlanAll(wc, i);
  }
  setVlan(flow, 1, vlanTpid(flow, 0), vlanTci(flow, 0));
  setVlan(flow, 0, 0, 0);
}

/** flow_pop_vlan. */
export function popVlan(flow: XFlow, wc: XFlow | undefined): void {
  const n = countVlanHeaders(flow);
  if (n > 1) {
    if (wc) maskVlanAll(wc, 1);
    setVlan(flow, 0, vlanTpid(flow, 1), vlanTci(flow, 1));
  }
  if (n > 0) setVlan(flow, n - 1, 0, 0);
}

// ---- MPLS label stack ----

const LSE_WORDS = [W_MPLS_LSE, XW_MPLS1, XW_MPLS2];

export function mplsLse(flow: XFlow, i: number): number {
  return flow[LSE_WORDS[i]!]!;
}

export function setMplsLse(flow: XFlow, i: number, lse: number): void {
  flow[LSE_WORDS[i]!] = lse >>> 0;
}

export function orMplsLseMask(wc: XFlow, i: number, bits: number): void {
  const w = LSE_WORDS[i]!;
  wc[w] = (wc[w]! | bits) >>> 0;
}

/** flow_count_mpls_labels. */
export function countMplsLabels(flow: XFlow, wc: XFlow | undefined): number {
  if (!ethTypeMpls(rawDlType(flow))) return 0;
  let cnt = 0;
  for (let i = 0; i < FLOW_MAX_MPLS_LABELS; i++) {
    if (wc) orMplsLseMask(wc, i, MPLS_BOS_MASK);
    const lse = mplsLse(flow, i);
    if (lse & MPLS_BOS_MASK) return i + 1;
    if (lse) cnt++;
  }
  return cnt;
}

/** flow_count_common_mpls_labels. */
export function countCommonMplsLabels(
  a: XFlow,
  an: number,
  b: XFlow,
  bn: number,
  wc: XFlow | undefined,
): number {
  const minN = Math.min(an, bn);
  let common = 0;
  for (let i = 0; i < minN; i++) {
    if (wc) {
      orMplsLseMask(wc, an - 1 - i, 0xffffffff);
      orMplsLseMask(wc, bn - 1 - i, 0xffffffff);
    }
    if (mplsLse(a, an - 1 - i) !== mplsLse(b, bn - 1 - i)) break;
    common++;
  }
  return common;
}

function mplsLseValues(ttl: number, tc: number, bos: number, label: number): number {
  return ((label << 12) | ((tc & 7) << 9) | ((bos & 1) << 8) | (ttl & 0xff)) >>> 0;
}

/** flow_push_mpls. */
export function pushMpls(
  flow: XFlow,
  n: number,
  ethertype: number,
  wc: XFlow | undefined,
  clearL3: boolean,
): void {
  if (n) {
    if (wc) { for (let i = 0; i < n; i++) orMplsLseMask(wc, i, 0xffffffff); }
    for (let i = n; i >= 1; i--) setMplsLse(flow, i, mplsLse(flow, i - 1));
    setMplsLse(flow, 0, mplsLse(flow, 1) & ~MPLS_BOS_MASK);
  } else {
    let label = 0;
    let tc = 0;
    let ttl = 64;
    if (rawDlType(flow) === ETH_TYPE_IPV6) label = 2;
    if (isIpAny(flow)) {
      tc = (nwTos(flow) & IP_DSCP_MASK) >> 2;
      if (wc) wc[W_NW_MISC] = (wc[W_NW_MISC]! | (IP_DSCP_MASK << 16) | 0xff00) >>> 0;
      if (nwTtl(flow)) ttl = nwTtl(flow);
    }
    setMplsLse(flow, 0, mplsLseValues(ttl, tc, 1, label));
    if (clearL3) {
      // Everything after the L2 segment (the MPLS entries 1-2 live outside it and stay).
      flow.fill(0, W_NW_SRC, W_VLAN_TPID);
      flow[W_DP_HASH] = 0;
    }
  }
  setDlType(flow, ethertype);
}

/** flow_pop_mpls: false when there is nothing to pop or the bottom is unknown. */
export function popMpls(flow: XFlow, n: number, ethertype: number, wc: XFlow | undefined): boolean {
  if (n === 0) return false;
  if (n === FLOW_MAX_MPLS_LABELS) {
    if (wc) orMplsLseMask(wc, n - 1, MPLS_BOS_MASK);
    if (!(mplsLse(flow, n - 1) & MPLS_BOS_MASK)) return false;
  }
  if (wc) { for (let i = 1; i < n; i++) orMplsLseMask(wc, i, 0xffffffff); }
  for (let i = 1; i < n; i++) setMplsLse(flow, i - 1, mplsLse(flow, i));
  setMplsLse(flow, n - 1, 0);
  setDlType(flow, ethertype);
  return true;
}

// ---- conntrack ----

/** flow_clear_conntrack. */
export function clearConntrack(flow: XFlow): void {
  flow[W_CT_STATE] = 0;
  flow[W_CT_ZONE] = 0;
  flow[W_CT_MARK] = 0;
  flow.fill(0, W_CT_LABEL, W_CT_LABEL + 4);
  flow[W_CT_TP] = 0;
  const type = rawDlType(flow);
  if (type === ETH_TYPE_IP) {
    flow[W_CT_NW_SRC] = 0;
    flow[W_CT_NW_DST] = 0;
  } else if (type === ETH_TYPE_IPV6) {
    flow.fill(0, W_CT_IPV6_SRC, W_CT_IPV6_SRC + 4);
    flow.fill(0, W_CT_IPV6_DST, W_CT_IPV6_DST + 4);
  }
}

// ---- fields (meta-flow) ----

/** mf_are_prereqs_ok with un-wildcarding of what was examined. */
export function prereqsOk(f: Field, flow: XFlow, wc: XFlow | undefined): boolean {
  const type = getDlType(flow);
  switch (f.prereq) {
    case "none":
      return true;
    case "ethernet":
      return isEthernet(flow, wc);
    case "arp":
      return isArpType(type);
    case "ipv4":
      return type === ETH_TYPE_IP;
    case "ipv6":
      return type === ETH_TYPE_IPV6;
    case "vlan_vid":
      return isVlan(flow, wc);
    case "mpls":
      return ethTypeMpls(type);
    case "ip_any":
      return isIpAnyType(type);
    case "ct":
      return isCtValid(flow, wc);
    case "tcp":
      return isTcp(flow, wc) && !(nwFrag(flow) & FLOW_NW_FRAG_LATER);
    case "udp":
      return isUdp(flow, wc) && !(nwFrag(flow) & FLOW_NW_FRAG_LATER);
    case "sctp":
      return isSctp(flow, wc) && !(nwFrag(flow) & FLOW_NW_FRAG_LATER);
    case "icmpv4":
      return isIcmpv4(flow, wc);
    case "icmpv6":
      return isIcmpv6(flow, wc);
    case "nd":
      return isNd(flow, wc);
    case "nd_solicit":
      return isNd(flow, wc) && tpSrc(flow) === ND_NEIGHBOR_SOLICIT;
    case "nd_advert":
      return isNd(flow, wc) && tpSrc(flow) === ND_NEIGHBOR_ADVERT;
  }
}

function u16Of(v: Uint8Array): number {
  return ((v[0] ?? 0) << 8) | (v[1] ?? 0);
}

/**
 * mf_set_flow_value: stores `value` (the field's width, big-endian) into `words`, with the
 * semantics upstream gives the VLAN fields and the 32-bit port field. Used on flows and, as
 * upstream does, on wildcard masks.
 */
export function setFlowValue(words: XFlow, f: Field, value: Uint8Array): void {
  switch (f.name) {
    case "vlan_tci":
      setVlanTci(words, 0, u16Of(value));
      normalizeVlanTpid(words);
      return;
    case "dl_vlan": {
      const vid = u16Of(value);
      if (vid === 0xffff) {
        setVlanTci(words, 0, 0);
      } else {
        setVlanTci(
          words,
          0,
          (vlanTci(words, 0) & ~VLAN_VID_MASK) | VLAN_CFI | (vid & VLAN_VID_MASK),
        );
      }
      normalizeVlanTpid(words);
      return;
    }
    case "vlan_vid": {
      const mask = VLAN_VID_MASK | VLAN_CFI;
      setVlanTci(words, 0, (vlanTci(words, 0) & ~mask) | (u16Of(value) & mask));
      normalizeVlanTpid(words);
      return;
    }
    case "dl_vlan_pcp":
    case "vlan_pcp": {
      const pcp = (value[0] ?? 0) & 7;
      setVlanTci(
        words,
        0,
        (vlanTci(words, 0) & ~VLAN_PCP_MASK) | (pcp << VLAN_PCP_SHIFT) | VLAN_CFI,
      );
      normalizeVlanTpid(words);
      return;
    }
    case "in_port_oxm": {
      const p = (((value[0] ?? 0) << 24) | ((value[1] ?? 0) << 16) | ((value[2] ?? 0) << 8) |
        (value[3] ?? 0)) >>> 0;
      words[W_IN_PORT] = portFromOfp11Quiet(p);
      return;
    }
    default:
      writeField(words, f, value);
  }
}

/** mf_set_flow_value_masked: only the bits of `mask` change. */
export function setFlowValueMasked(
  words: XFlow,
  f: Field,
  value: Uint8Array,
  mask: Uint8Array,
): void {
  const cur = readField(words, f);
  for (let i = 0; i < f.nBytes; i++) {
    cur[i] = ((value[i] ?? 0) & (mask[i] ?? 0)) | (cur[i]! & ~(mask[i] ?? 0));
  }
  setFlowValue(words, f, cur);
}

/** mf_mask_field_masked: ors `mask` into the field's wildcard bits. */
export function maskFieldMasked(wc: XFlow, f: Field, mask: Uint8Array): void {
  const m = f.name === "dl_vlan" ? Uint8Array.of((mask[0] ?? 0) & 0x0f, mask[1] ?? 0) : mask;
  const cur = readField(wc, f);
  for (let i = 0; i < f.nBytes; i++) cur[i] = cur[i]! | (m[i] ?? 0);
  setFlowValue(wc, f, cur);
}
