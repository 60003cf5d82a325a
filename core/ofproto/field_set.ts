// What setting, reading and checking a field means for a Match, beyond plain bits: upstream's
// mf_set / mf_set_value / mf_set_wild / mf_get_value / mf_is_all_wild / mf_is_value_valid /
// mf_is_mask_valid / mf_are_match_prereqs_ok and the usable protocols each field allows. This is
// where dl_vlan sets the VLAN-present bit, dl_vlan=0xffff means "no VLAN", icmp_type claims the
// whole 16-bit tp_src, in_port_oxm maps 32-bit port numbers, nw_tos keeps only the DSCP bits, and
// wildcarding a VID keeps a PCP match. Every parser and decoder sets fields through here so that
// equal meanings give equal words. Pure functions over Match; no I/O.

import {
  ETH_TYPE_ARP,
  ETH_TYPE_IP,
  ETH_TYPE_IPV6,
  ETH_TYPE_MPLS,
  ETH_TYPE_MPLS_MCAST,
  ETH_TYPE_NONE,
  ETH_TYPE_RARP,
  type FlowWords,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  VLAN_CFI,
  VLAN_PCP_MASK,
  VLAN_PCP_SHIFT,
  VLAN_VID_MASK,
  W_ACTSET_OUTPUT,
  W_CT_STATE,
  W_DL_TYPE_VLAN,
  W_IN_PORT,
  W_MPLS_LSE,
  W_NW_MISC,
  W_PACKET_TYPE,
  W_TP,
  W_TUN_MISC,
} from "../datapath/flow.ts";
import { type Field, readField } from "./fields.ts";
import type { Match } from "./match.ts";
import { portFromOfp11Quiet, portToOfp11 } from "./port_text.ts";
import { P_ANY, P_NONE, P_NXM_OF11_UP, P_NXM_OXM_ANY, type Protocols } from "./protocols.ts";
import { ipIsCidr } from "./addr_text.ts";

/** ct_state bits (upstream's CS_*). */
export const CS_NEW = 0x01;
export const CS_ESTABLISHED = 0x02;
export const CS_RELATED = 0x04;
export const CS_REPLY_DIR = 0x08;
export const CS_INVALID = 0x10;
export const CS_TRACKED = 0x20;
export const CS_SRC_NAT = 0x40;
export const CS_DST_NAT = 0x80;
export const CS_SUPPORTED_MASK = 0xff;

/** Tunnel flags: only OAM may be matched (FLOW_TNL_PUB_F_MASK); formatting shows four. */
export const FLOW_TNL_F_OAM = 0x1;
export const FLOW_TNL_F_DONT_FRAGMENT = 0x2;
export const FLOW_TNL_F_CSUM = 0x4;
export const FLOW_TNL_F_KEY = 0x8;
export const FLOW_TNL_PUB_F_MASK = 0x1;
export const FLOW_TNL_F_MASK = 0xf;

export const ND_NEIGHBOR_SOLICIT = 135;
export const ND_NEIGHBOR_ADVERT = 136;

/** packet_type namespaces: 0 is Ethernet, 1 is "an Ethertype follows" (OFPHTN_ETHERTYPE). */
export const PT_ETH = 0;
export const OFPHTN_ETHERTYPE = 1;

const IP_DSCP_MASK = 0xfc;
const IP_ECN_MASK = 0x03;
const FRAG_MASK = 0x03;
const FRAG_LATER = 0x02;
const MPLS_LABEL_BITS = 0xfffff000;
const MPLS_TC_BITS = 0x00000e00;
const MPLS_BOS_BITS = 0x00000100;
const MPLS_TTL_BITS = 0x000000ff;
const IPV6_LABEL_MASK = 0x000fffff;

// ---- small word helpers ----

function setBits(m: Match, word: number, bits: number, value: number, mask: number): void {
  m.mask[word] = ((m.mask[word]! & ~bits) | (mask & bits)) >>> 0;
  m.flow[word] = ((m.flow[word]! & ~bits) | (value & mask & bits)) >>> 0;
}

function orBits(m: Match, word: number, bits: number, value: number, valueBits: number): void {
  m.mask[word] = (m.mask[word]! | bits) >>> 0;
  m.flow[word] = ((m.flow[word]! & ~valueBits) | (value & valueBits)) >>> 0;
}

function clearBits(m: Match, word: number, bits: number): void {
  m.mask[word] = (m.mask[word]! & ~bits) >>> 0;
  m.flow[word] = (m.flow[word]! & ~bits) >>> 0;
}

/** A big-endian byte array of up to 4 bytes as a number. */
export function bytesToNumber(b: Uint8Array): number {
  let v = 0;
  for (let i = 0; i < b.length && i < 4; i++) v = (v * 256 + b[i]!) >>> 0;
  return v;
}

/** `value` as `width` big-endian bytes (width up to 4). */
export function numberToBytes(value: number, width: number): Uint8Array {
  const out = new Uint8Array(width);
  let v = value >>> 0;
  for (let i = width - 1; i >= 0; i--) {
    out[i] = v & 0xff;
    v = Math.floor(v / 256);
  }
  return out;
}

export function isAllOnes(b: Uint8Array): boolean {
  return b.every((x) => x === 0xff);
}

export function isAllZeros(b: Uint8Array): boolean {
  return b.every((x) => x === 0);
}

// ---- packet type ----

export function hasDefaultPacketType(m: Match): boolean {
  return m.flow[W_PACKET_TYPE] === PT_ETH && m.mask[W_PACKET_TYPE] === 0xffffffff;
}

/** match_set_default_packet_type: match Ethernet unless some packet_type is already matched. */
export function setDefaultPacketType(m: Match): void {
  if (m.mask[W_PACKET_TYPE] === 0) {
    m.flow[W_PACKET_TYPE] = PT_ETH;
    m.mask[W_PACKET_TYPE] = 0xffffffff;
  }
}

/** match_add_ethernet_prereq: a data field implies Ethernet; metadata fields do not. */
export function addEthernetPrereq(m: Match, f: Field): void {
  if (f.prereq !== "none") setDefaultPacketType(m);
}

/** get_dl_type: the Ethertype of a flow, through packet_type for non-Ethernet packets. */
export function flowDlType(flow: FlowWords): number {
  const pt = flow[W_PACKET_TYPE]!;
  if (pt === PT_ETH) return flow[W_DL_TYPE_VLAN]! >>> 16;
  if (pt >>> 16 === OFPHTN_ETHERTYPE) return pt & 0xffff;
  return ETH_TYPE_NONE;
}

// ---- VLAN semantics (match_set_dl_vlan & co.) ----

/** match_set_dl_vlan: 0xffff means "no 802.1Q header"; otherwise the VID with the present bit. */
export function setDlVlan(m: Match, vid: number): void {
  const w = W_DL_TYPE_VLAN;
  if (vid === 0xffff) {
    setBits(m, w, 0xffff, 0, 0xffff);
    return;
  }
  const tci = (m.flow[w]! & 0xffff & ~VLAN_VID_MASK) | VLAN_CFI | (vid & VLAN_VID_MASK);
  m.flow[w] = ((m.flow[w]! & 0xffff0000) | tci) >>> 0;
  m.mask[w] = (m.mask[w]! | VLAN_VID_MASK | VLAN_CFI) >>> 0;
}

/** match_set_vlan_vid_masked: an OpenFlow 1.2 vlan_vid (VID plus present bit). */
export function setVlanVidMasked(m: Match, vid: number, mask: number): void {
  const w = W_DL_TYPE_VLAN;
  const vidMask = VLAN_VID_MASK | VLAN_CFI;
  const mk = mask & vidMask;
  m.flow[w] = ((m.flow[w]! & ~vidMask) | (vid & mk)) >>> 0;
  m.mask[w] = ((m.mask[w]! & ~0xffff) | mk | (m.mask[w]! & VLAN_PCP_MASK)) >>> 0;
}

/** match_set_dl_vlan_pcp: the PCP, which implies a VLAN header. */
export function setDlVlanPcp(m: Match, pcp: number): void {
  const w = W_DL_TYPE_VLAN;
  const bits = ((pcp & 7) << VLAN_PCP_SHIFT) | VLAN_CFI;
  m.flow[w] = ((m.flow[w]! & ~VLAN_PCP_MASK) | bits) >>> 0;
  m.mask[w] = (m.mask[w]! | VLAN_CFI | VLAN_PCP_MASK) >>> 0;
}

/** match_set_any_vid: wildcard the VID; with no PCP match left, forget the tag entirely. */
export function setAnyVid(m: Match): void {
  if (m.mask[W_DL_TYPE_VLAN]! & VLAN_PCP_MASK) clearBits(m, W_DL_TYPE_VLAN, VLAN_VID_MASK);
  else clearBits(m, W_DL_TYPE_VLAN, 0xffff);
}

/** match_set_any_pcp. */
export function setAnyPcp(m: Match): void {
  if (m.mask[W_DL_TYPE_VLAN]! & VLAN_VID_MASK) clearBits(m, W_DL_TYPE_VLAN, VLAN_PCP_MASK);
  else clearBits(m, W_DL_TYPE_VLAN, 0xffff);
}

// ---- usable protocols ----

type Of10 = "exact" | "cidr";
type Of11 = "exact" | "bitwise";

/** The OpenFlow 1.0 and 1.1 standard-match support of each field (meta-flow.h's OF1.x lines). */
const STANDARD_MATCH: Record<string, readonly [Of10 | undefined, Of11 | undefined]> = {
  metadata: [undefined, "bitwise"],
  in_port: ["exact", "exact"],
  in_port_oxm: [undefined, "exact"],
  eth_src: ["exact", "bitwise"],
  eth_dst: ["exact", "bitwise"],
  eth_type: ["exact", "exact"],
  vlan_tci: ["exact", "exact"],
  dl_vlan: ["exact", "exact"],
  vlan_vid: ["exact", "exact"],
  dl_vlan_pcp: ["exact", "exact"],
  vlan_pcp: ["exact", "exact"],
  mpls_label: [undefined, "exact"],
  mpls_tc: [undefined, "exact"],
  ip_src: ["cidr", "bitwise"],
  ip_dst: ["cidr", "bitwise"],
  nw_proto: ["exact", "exact"],
  nw_tos: ["exact", "exact"],
  ip_dscp: ["exact", "exact"],
  nw_ecn: [undefined, "exact"],
  arp_op: ["exact", "exact"],
  arp_spa: ["cidr", "bitwise"],
  arp_tpa: ["cidr", "bitwise"],
  tcp_src: ["exact", "exact"],
  tcp_dst: ["exact", "exact"],
  udp_src: ["exact", "exact"],
  udp_dst: ["exact", "exact"],
  sctp_src: [undefined, "exact"],
  sctp_dst: [undefined, "exact"],
  icmp_type: ["exact", "exact"],
  icmp_code: ["exact", "exact"],
};

interface Usable {
  exact: Protocols;
  cidr: Protocols;
  bitwise: Protocols;
}

function protocolSet(of10: boolean, of11: boolean, oxm: boolean): Protocols {
  if (of10 && of11 && oxm) return P_ANY;
  if (of11 && oxm) return P_NXM_OF11_UP;
  if (oxm) return P_NXM_OXM_ANY;
  return P_NONE;
}

const USABLE = new Map<Field, Usable>();

function usableOf(f: Field): Usable {
  const cached = USABLE.get(f);
  if (cached) return cached;
  const [of10, of11] = STANDARD_MATCH[f.name] ?? [undefined, undefined];
  const oxm = f.nxm !== undefined || f.oxm !== undefined;
  let usable: Usable;
  if (f.name === "dl_vlan" || f.name === "dl_vlan_pcp") {
    usable = { exact: P_ANY, cidr: P_NONE, bitwise: P_NONE };
  } else if (!f.maskable) {
    usable = { exact: protocolSet(!!of10, !!of11, oxm), cidr: P_NONE, bitwise: P_NONE };
  } else {
    usable = {
      exact: protocolSet(!!of10, !!of11, oxm),
      cidr: protocolSet(of10 === "cidr", of11 === "bitwise", oxm),
      bitwise: protocolSet(false, of11 === "bitwise", oxm),
    };
  }
  USABLE.set(f, usable);
  return usable;
}

/** The protocols that can express an exact match on `f` (usable_protocols_exact). */
export function usableProtocolsExact(f: Field): Protocols {
  return usableOf(f).exact;
}

/** The protocols that can express a CIDR-masked match on `f`. */
export function usableProtocolsCidr(f: Field): Protocols {
  return usableOf(f).cidr;
}

/** The protocols that can express an arbitrarily masked match on `f`. */
export function usableProtocolsBitwise(f: Field): Protocols {
  return usableOf(f).bitwise;
}

// ---- get ----

/**
 * mf_get_value: the field's value in `words` (a flow or a mask) as upstream presents it:
 * in_port_oxm and actset_output as 32-bit OpenFlow 1.1 port numbers, tun_flags as its public bit.
 */
export function getFieldValue(words: FlowWords, f: Field): Uint8Array {
  switch (f.name) {
    case "in_port_oxm":
      return numberToBytes(portToOfp11(words[W_IN_PORT]! & 0xffff), 4);
    case "actset_output":
      return numberToBytes(portToOfp11(words[W_ACTSET_OUTPUT]! & 0xffff), 4);
    case "tun_flags":
      return numberToBytes(words[W_TUN_MISC]! & FLOW_TNL_PUB_F_MASK, 2);
    default:
      return readField(words, f);
  }
}

/** mf_get: value and mask of `f` in `m`. */
export function getField(m: Match, f: Field): { value: Uint8Array; mask: Uint8Array } {
  return { value: getFieldValue(m.flow, f), mask: getFieldValue(m.mask, f) };
}

/** mf_is_all_wild. */
export function isFieldAllWild(m: Match, f: Field): boolean {
  if (f.name === "tun_flags") return (m.mask[W_TUN_MISC]! & FLOW_TNL_PUB_F_MASK) === 0;
  if (f.nWords === 1) return (m.mask[f.word]! & f.wordMask) === 0;
  for (let w = f.word; w < f.word + f.nWords; w++) if (m.mask[w] !== 0) return false;
  return true;
}

// ---- validity ----

/** mf_is_mask_valid: non-maskable fields take only all-zeros or all-ones. */
export function isFieldMaskValid(f: Field, mask: Uint8Array): boolean {
  return f.maskable || isAllZeros(mask) || isAllOnes(mask);
}

/** mf_is_value_valid: whether the value makes sense to test at all. */
export function isFieldValueValid(f: Field, value: Uint8Array): boolean {
  const v = f.nBytes <= 4 ? bytesToNumber(value) : 0;
  switch (f.name) {
    case "in_port_oxm":
    case "actset_output":
      return v < 0xff00 || v >= 0xffffff00;
    case "nw_tos":
      return (v & ~IP_DSCP_MASK) === 0;
    case "ip_dscp":
      return (v & ~(IP_DSCP_MASK >> 2)) === 0;
    case "nw_ecn":
      return (v & ~IP_ECN_MASK) === 0;
    case "ip_frag":
      return (v & ~FRAG_MASK) === 0;
    case "tcp_flags":
      return (v & ~0x0fff) === 0;
    case "arp_op":
      return (v & 0xff00) === 0;
    case "dl_vlan":
      return (v & (VLAN_CFI | VLAN_PCP_MASK)) === 0;
    case "vlan_vid":
      return (v & VLAN_PCP_MASK) === 0;
    case "dl_vlan_pcp":
    case "vlan_pcp":
      return (v & ~7) === 0;
    case "ipv6_label":
      return (v & ~IPV6_LABEL_MASK) === 0;
    case "mpls_label":
      return (v & ~0xfffff) === 0;
    case "mpls_tc":
      return (v & ~7) === 0;
    case "mpls_bos":
      return (v & ~1) === 0;
    case "tun_flags":
      return (v & ~FLOW_TNL_PUB_F_MASK) === 0;
    case "ct_state":
      return (v & ~CS_SUPPORTED_MASK) === 0;
    default:
      return true;
  }
}

// ---- prerequisites ----

function ipProto(flow: FlowWords): number {
  return flow[W_NW_MISC]! >>> 24;
}

function isIpAnyType(t: number): boolean {
  return t === ETH_TYPE_IP || t === ETH_TYPE_IPV6;
}

function isNd(flow: FlowWords): boolean {
  if (flowDlType(flow) !== ETH_TYPE_IPV6 || ipProto(flow) !== IPPROTO_ICMPV6) return false;
  if ((flow[W_TP]! & 0xffff) !== 0) return false;
  const type = flow[W_TP]! >>> 16;
  return type === ND_NEIGHBOR_SOLICIT || type === ND_NEIGHBOR_ADVERT;
}

/** mf_are_match_prereqs_ok: whether `m` already says enough to match `f`. */
export function arePrereqsOk(m: Match, f: Field): boolean {
  const flow = m.flow;
  const dlType = flowDlType(flow);
  const notLater = (flow[W_NW_MISC]! & FRAG_LATER) === 0;
  switch (f.prereq) {
    case "none":
      return true;
    case "ethernet":
      return flow[W_PACKET_TYPE] === PT_ETH;
    case "arp":
      return dlType === ETH_TYPE_ARP || dlType === ETH_TYPE_RARP;
    case "ipv4":
      return dlType === ETH_TYPE_IP;
    case "ipv6":
      return dlType === ETH_TYPE_IPV6;
    case "vlan_vid":
      return flow[W_PACKET_TYPE] === PT_ETH && (flow[W_DL_TYPE_VLAN]! & VLAN_CFI) !== 0;
    case "mpls":
      return dlType === ETH_TYPE_MPLS || dlType === ETH_TYPE_MPLS_MCAST;
    case "ip_any":
      return isIpAnyType(dlType);
    case "ct": {
      const state = flow[W_CT_STATE]! & 0xff;
      const valid = CS_NEW | CS_ESTABLISHED | CS_RELATED | CS_REPLY_DIR | CS_SRC_NAT | CS_DST_NAT;
      return (state & valid) !== 0 ||
        ((state & CS_TRACKED) !== 0 && (m.mask[W_CT_STATE]! & CS_INVALID) !== 0 &&
          (state & CS_INVALID) === 0);
    }
    case "tcp":
      return isIpAnyType(dlType) && ipProto(flow) === IPPROTO_TCP && notLater;
    case "udp":
      return isIpAnyType(dlType) && ipProto(flow) === IPPROTO_UDP && notLater;
    case "sctp":
      return isIpAnyType(dlType) && ipProto(flow) === IPPROTO_SCTP && notLater;
    case "icmpv4":
      return dlType === ETH_TYPE_IP && ipProto(flow) === IPPROTO_ICMP;
    case "icmpv6":
      return dlType === ETH_TYPE_IPV6 && ipProto(flow) === IPPROTO_ICMPV6;
    case "nd":
      return isNd(flow);
    case "nd_solicit":
      return isNd(flow) && flow[W_TP]! >>> 16 === ND_NEIGHBOR_SOLICIT;
    case "nd_advert":
      return isNd(flow) && flow[W_TP]! >>> 16 === ND_NEIGHBOR_ADVERT;
  }
}

// ---- set ----

const MPLS_BITS: Record<string, readonly [number, number]> = {
  mpls_label: [MPLS_LABEL_BITS, 12],
  mpls_tc: [MPLS_TC_BITS, 9],
  mpls_bos: [MPLS_BOS_BITS, 8],
  mpls_ttl: [MPLS_TTL_BITS, 0],
};

function plainSet(m: Match, f: Field, value: Uint8Array, mask: Uint8Array): void {
  m.set(f, value, mask);
}

/** mf_set_value: match `f` exactly against `value` (the field's width, big-endian). */
export function setFieldValue(m: Match, f: Field, value: Uint8Array): void {
  const v = f.nBytes <= 4 ? bytesToNumber(value) : 0;
  switch (f.name) {
    case "in_port_oxm":
      setBits(m, W_IN_PORT, 0xffff, portFromOfp11Quiet(v), 0xffff);
      return;
    case "actset_output":
      setBits(m, W_ACTSET_OUTPUT, 0xffff, portFromOfp11Quiet(v), 0xffff);
      return;
    case "ct_state":
      setBits(m, W_CT_STATE, 0xff, v, 0xff);
      return;
    case "tun_flags":
      setBits(m, W_TUN_MISC, 0xffff, v, FLOW_TNL_PUB_F_MASK);
      return;
    case "vlan_tci":
      setBits(m, W_DL_TYPE_VLAN, 0xffff, v, 0xffff);
      return;
    case "dl_vlan":
      setDlVlan(m, v);
      return;
    case "vlan_vid":
      setVlanVidMasked(m, v, VLAN_VID_MASK | VLAN_CFI);
      return;
    case "dl_vlan_pcp":
    case "vlan_pcp":
      setDlVlanPcp(m, v);
      return;
    case "mpls_label":
    case "mpls_tc":
    case "mpls_bos":
    case "mpls_ttl": {
      const [bits, shift] = MPLS_BITS[f.name]!;
      orBits(m, W_MPLS_LSE, bits, (v << shift) >>> 0, bits);
      return;
    }
    case "nw_tos":
      orBits(m, W_NW_MISC, IP_DSCP_MASK << 16, (v & IP_DSCP_MASK) << 16, IP_DSCP_MASK << 16);
      return;
    case "ip_dscp":
      orBits(m, W_NW_MISC, IP_DSCP_MASK << 16, ((v << 2) & IP_DSCP_MASK) << 16, IP_DSCP_MASK << 16);
      return;
    case "nw_ecn":
      orBits(m, W_NW_MISC, IP_ECN_MASK << 16, (v & IP_ECN_MASK) << 16, IP_ECN_MASK << 16);
      return;
    case "ip_frag":
      orBits(m, W_NW_MISC, FRAG_MASK, v, FRAG_MASK);
      return;
    case "arp_op":
      // Upstream keeps the ARP opcode in the 8-bit nw_proto.
      plainSet(m, f, numberToBytes(v & 0xff, 2), new Uint8Array([0xff, 0xff]));
      return;
    case "icmp_type":
    case "icmpv6_type":
      setBits(m, W_TP, 0xffff0000, (v & 0xff) << 16, 0xffff0000);
      return;
    case "icmp_code":
    case "icmpv6_code":
      setBits(m, W_TP, 0x0000ffff, v & 0xff, 0x0000ffff);
      return;
    default:
      plainSet(m, f, value, new Uint8Array(f.nBytes).fill(0xff));
  }
}

/** mf_set_wild: stop matching `f`, keeping what neighbours still need (a PCP keeps its tag). */
export function setFieldWild(m: Match, f: Field): void {
  switch (f.name) {
    case "in_port":
    case "in_port_oxm":
      clearBits(m, W_IN_PORT, 0xffff);
      return;
    case "dl_vlan":
    case "vlan_vid":
      setAnyVid(m);
      return;
    case "dl_vlan_pcp":
    case "vlan_pcp":
      setAnyPcp(m);
      return;
    case "vlan_tci":
      clearBits(m, W_DL_TYPE_VLAN, 0xffff);
      return;
    case "mpls_label":
    case "mpls_tc":
    case "mpls_bos":
    case "mpls_ttl":
      clearBits(m, W_MPLS_LSE, MPLS_BITS[f.name]![0]);
      return;
    case "nw_tos":
    case "ip_dscp":
      clearBits(m, W_NW_MISC, IP_DSCP_MASK << 16);
      return;
    case "nw_ecn":
      clearBits(m, W_NW_MISC, IP_ECN_MASK << 16);
      return;
    case "ip_frag":
      clearBits(m, W_NW_MISC, FRAG_MASK);
      return;
    case "tun_flags":
      clearBits(m, W_TUN_MISC, 0xffff);
      return;
    default:
      m.clear(f);
  }
}

/**
 * mf_set: match `f` against `value` under `mask` (exact when omitted or all ones, wildcard when
 * all zeros). Returns the protocols that can express the result (upstream's return value), which
 * is P_NONE, with `m` untouched, for a partial mask on a field that cannot be masked.
 */
export function setFieldInMatch(
  m: Match,
  f: Field,
  value: Uint8Array,
  mask?: Uint8Array,
): Protocols {
  if (!mask || isAllOnes(mask)) {
    setFieldValue(m, f, value);
    return usableProtocolsExact(f);
  }
  if (isAllZeros(mask)) {
    setFieldWild(m, f);
    return P_ANY;
  }
  if (!f.maskable) return P_NONE;
  switch (f.name) {
    case "vlan_tci":
      setBits(m, W_DL_TYPE_VLAN, 0xffff, bytesToNumber(value), bytesToNumber(mask));
      break;
    case "vlan_vid":
      setVlanVidMasked(m, bytesToNumber(value), bytesToNumber(mask));
      break;
    case "ipv6_label":
      // A mask covering every label bit is an exact match of the whole word.
      if ((bytesToNumber(mask) & IPV6_LABEL_MASK) === IPV6_LABEL_MASK) {
        setFieldValue(m, f, value);
      } else {
        plainSet(m, f, value, mask);
      }
      break;
    case "ip_frag":
      setBits(m, W_NW_MISC, FRAG_MASK, bytesToNumber(value), bytesToNumber(mask));
      break;
    case "tun_flags":
      setBits(
        m,
        W_TUN_MISC,
        0xffff,
        bytesToNumber(value),
        bytesToNumber(mask) & FLOW_TNL_PUB_F_MASK,
      );
      break;
    case "ct_state":
      setBits(m, W_CT_STATE, 0xff, bytesToNumber(value), bytesToNumber(mask));
      break;
    default:
      plainSet(m, f, value, mask);
  }
  const usable = usableOf(f);
  if (usable.cidr === usable.bitwise || (f.nBytes === 4 && ipIsCidr(bytesToNumber(mask)))) {
    return usable.cidr;
  }
  return usable.bitwise;
}
