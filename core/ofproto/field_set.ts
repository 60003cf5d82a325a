// What setting, reading and checking a field means for a Match, beyond plain bits: upstream's
// mf_set / mf_set_value / mf_set_wild / mf_get_value / mf_is_all_wild / mf_is_value_valid /
// mf_is_mask_valid / mf_are_match_prereqs_ok and the usable protocols each field allows. This is
// where dl_vlan sets the VLAN-present bit, dl_vlan=0xffff means "no VLAN", icmp_type claims the
// whole 16-bit tp_src, in_port_oxm maps 32-bit port numbers, nw_tos keeps only the DSCP bits,
// wildcarding a VID keeps a PCP match, the ERSPAN and GTP-U setters keep upstream's
// value-as-mask, nsh_spi and nsh_si share the NSH path header, and tun_metadata<n> goes through
// tun_metadata.ts. Every parser and decoder sets fields through here so that
// equal meanings give equal words. Pure functions over Match; no I/O.

import {
  ETH_TYPE_ARP,
  ETH_TYPE_IP,
  ETH_TYPE_IPV6,
  ETH_TYPE_MPLS,
  ETH_TYPE_MPLS_MCAST,
  ETH_TYPE_NONE,
  ETH_TYPE_NSH,
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
  W_NSH_PATH,
  W_NW_MISC,
  W_PACKET_TYPE,
  W_TP,
  W_TUN_MISC,
} from "../datapath/flow.ts";
import { ParseError } from "./errors.ts";
import { type Field, FIELDS, readField } from "./fields.ts";
import type { Match } from "./match.ts";
import {
  getTunMetadataMatch,
  isTunMetadataPresent,
  setTunMetadataMatch,
  tunMetadataIndex,
} from "./tun_metadata.ts";
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

/** NSH values: the 24-bit service path id above the 8-bit service index (nsh_path_hdr). */
const NSH_SPI_MASK = 0xffffff00;
const NSH_SI_MASK = 0x000000ff;

/** tun_metadata_set_match, with its complaint as a ParseError. */
function setTunMetadata(
  m: Match,
  f: Field,
  value: Uint8Array | undefined,
  mask: Uint8Array | undefined,
): void {
  const error = setTunMetadataMatch(m, f, value, mask);
  if (error) throw new ParseError(error);
}

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
  if (f.prerequisite !== "none") setDefaultPacketType(m);
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

// ---- what each field means beyond its bits ----

// Every field falls into one of these kinds; the setters below switch on the kind (a small
// integer per field id) rather than on names, since decoders call them for every entry.
const PLAIN = 0;
const IN_PORT_OXM = 1;
const ACTSET_OUTPUT = 2;
const CT_STATE = 3;
const TUN_FLAGS = 4;
const VLAN_TCI = 5;
const DL_VLAN = 6;
const VLAN_VID = 7;
const VLAN_PCP = 8;
const MPLS_LABEL = 9;
const MPLS_TC = 10;
const MPLS_BOS = 11;
const MPLS_TTL = 12;
const NW_TOS = 13;
const IP_DSCP = 14;
const NW_ECN = 15;
const IP_FRAG = 16;
const ARP_OP = 17;
const ICMP_TYPE = 18;
const ICMP_CODE = 19;
/**
 * The ERSPAN and GTP-U fields, whose setters upstream writes with the value where the mask
 * belongs (match_set_tun_erspan_ver_masked stores `ver` as the mask, and so on).
 */
const VALUE_AS_MASK = 20;
const NSH_SPI = 21;
const NSH_SI = 22;
const IPV6_LABEL = 23;
const IN_PORT = 24;
const VARIABLE = 25;
const TCP_FLAGS = 26;
const NSH_TTL = 27;
const NSH_MDTYPE = 28;

const KIND_BY_NAME: Readonly<Record<string, number>> = {
  in_port: IN_PORT,
  in_port_oxm: IN_PORT_OXM,
  actset_output: ACTSET_OUTPUT,
  ct_state: CT_STATE,
  tun_flags: TUN_FLAGS,
  vlan_tci: VLAN_TCI,
  dl_vlan: DL_VLAN,
  vlan_vid: VLAN_VID,
  dl_vlan_pcp: VLAN_PCP,
  vlan_pcp: VLAN_PCP,
  mpls_label: MPLS_LABEL,
  mpls_tc: MPLS_TC,
  mpls_bos: MPLS_BOS,
  mpls_ttl: MPLS_TTL,
  nw_tos: NW_TOS,
  ip_dscp: IP_DSCP,
  nw_ecn: NW_ECN,
  ip_frag: IP_FRAG,
  arp_op: ARP_OP,
  icmp_type: ICMP_TYPE,
  icmpv6_type: ICMP_TYPE,
  icmp_code: ICMP_CODE,
  icmpv6_code: ICMP_CODE,
  tun_erspan_ver: VALUE_AS_MASK,
  tun_erspan_dir: VALUE_AS_MASK,
  tun_erspan_hwid: VALUE_AS_MASK,
  tun_gtpu_flags: VALUE_AS_MASK,
  tun_gtpu_msgtype: VALUE_AS_MASK,
  nsh_spi: NSH_SPI,
  nsh_si: NSH_SI,
  nsh_ttl: NSH_TTL,
  nsh_mdtype: NSH_MDTYPE,
  ipv6_label: IPV6_LABEL,
  tcp_flags: TCP_FLAGS,
};

const KINDS = new Uint8Array(FIELDS.length);
for (const f of FIELDS) KINDS[f.id] = f.variable ? VARIABLE : KIND_BY_NAME[f.name] ?? PLAIN;

/** All ones over a field of up to 4 bytes. */
function fullMask(f: Field): number {
  return f.nBytes >= 4 ? 0xffffffff : (1 << (8 * f.nBytes)) - 1;
}

const MPLS_BITS = [MPLS_LABEL_BITS, MPLS_TC_BITS, MPLS_BOS_BITS, MPLS_TTL_BITS];
const MPLS_SHIFTS = [12, 9, 8, 0];

// ---- get ----

/**
 * mf_get_value for a field of up to 4 bytes, as a number: in_port_oxm and actset_output as
 * 32-bit OpenFlow 1.1 port numbers, tun_flags as its public bit, an all-ones nsh_spi as all ones.
 */
export function getFieldNumber(words: FlowWords, f: Field): number {
  switch (KINDS[f.id]) {
    case IN_PORT_OXM:
      return portToOfp11(words[W_IN_PORT]! & 0xffff) >>> 0;
    case ACTSET_OUTPUT:
      return portToOfp11(words[W_ACTSET_OUTPUT]! & 0xffff) >>> 0;
    case TUN_FLAGS:
      return words[W_TUN_MISC]! & FLOW_TNL_PUB_F_MASK;
    case NSH_SPI: {
      const spi = words[W_NSH_PATH]! >>> 8;
      return spi === 0xffffff ? 0xffffffff : spi;
    }
    default:
      return ((words[f.word]! & f.wordMask) >>> f.shift) >>> 0;
  }
}

/**
 * mf_get_value: the field's value in `words` (a flow or a mask) as upstream presents it, as
 * big-endian bytes of its width (see getFieldNumber).
 */
export function getFieldValue(words: FlowWords, f: Field): Uint8Array {
  if (f.nBytes <= 4) return numberToBytes(getFieldNumber(words, f), f.nBytes);
  return readField(words, f);
}

/**
 * mf_get: value and mask of `f` in `m` (tun_metadata<n> right-aligned in its 124 bytes, as
 * ovs-ofctl reads it through the match's own allocation).
 */
export function getField(m: Match, f: Field): { value: Uint8Array; mask: Uint8Array } {
  if (f.variable) return getTunMetadataMatch(m, tunMetadataIndex(f));
  return { value: getFieldValue(m.flow, f), mask: getFieldValue(m.mask, f) };
}

/** mf_is_all_wild. */
export function isFieldAllWild(m: Match, f: Field): boolean {
  switch (KINDS[f.id]) {
    case VARIABLE:
      return !isTunMetadataPresent(m.mask, tunMetadataIndex(f));
    case TUN_FLAGS:
      return (m.mask[W_TUN_MISC]! & FLOW_TNL_PUB_F_MASK) === 0;
  }
  if (f.nWords === 1) return (m.mask[f.word]! & f.wordMask) === 0;
  for (let w = f.word; w < f.word + f.nWords; w++) if (m.mask[w] !== 0) return false;
  return true;
}

// ---- validity ----

/** mf_is_mask_valid: non-maskable fields take only all-zeros or all-ones. */
export function isFieldMaskValid(f: Field, mask: Uint8Array): boolean {
  return f.maskable || isAllZeros(mask) || isAllOnes(mask);
}

/** mf_is_mask_valid for a field of up to 4 bytes, the mask as a number. */
export function isFieldMaskValidNumber(f: Field, mask: number): boolean {
  return f.maskable || mask === 0 || mask >>> 0 === fullMask(f) >>> 0;
}

/** mf_is_value_valid for a field of up to 4 bytes, the value as a number. */
export function isFieldValueValidNumber(f: Field, v: number): boolean {
  switch (KINDS[f.id]) {
    case IN_PORT_OXM:
    case ACTSET_OUTPUT:
      return v < 0xff00 || v >= 0xffffff00;
    case NW_TOS:
      return (v & ~IP_DSCP_MASK) === 0;
    case IP_DSCP:
      return (v & ~(IP_DSCP_MASK >> 2)) === 0;
    case NW_ECN:
      return (v & ~IP_ECN_MASK) === 0;
    case IP_FRAG:
      return (v & ~FRAG_MASK) === 0;
    case TCP_FLAGS:
      return (v & ~0x0fff) === 0;
    case ARP_OP:
      return (v & 0xff00) === 0;
    case DL_VLAN:
      return (v & (VLAN_CFI | VLAN_PCP_MASK)) === 0;
    case VLAN_VID:
      return (v & VLAN_PCP_MASK) === 0;
    case VLAN_PCP:
      return (v & ~7) === 0;
    case IPV6_LABEL:
      return (v & ~IPV6_LABEL_MASK) === 0;
    case MPLS_LABEL:
      return (v & ~0xfffff) === 0;
    case MPLS_TC:
      return (v & ~7) === 0;
    case MPLS_BOS:
      return (v & ~1) === 0;
    case TUN_FLAGS:
      return (v & ~FLOW_TNL_PUB_F_MASK) === 0;
    case CT_STATE:
      return (v & ~CS_SUPPORTED_MASK) === 0;
    case NSH_TTL:
      return v <= 63;
    case NSH_MDTYPE:
      return v === 1 || v === 2;
    case NSH_SPI:
      return (v & 0xff000000) === 0;
    default:
      return true;
  }
}

/** mf_is_value_valid: whether the value makes sense to test at all. */
export function isFieldValueValid(f: Field, value: Uint8Array): boolean {
  return f.nBytes > 4 || isFieldValueValidNumber(f, bytesToNumber(value));
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
  if (f.prerequisite === "none") return true;
  const dlType = flowDlType(flow);
  const notLater = (flow[W_NW_MISC]! & FRAG_LATER) === 0;
  switch (f.prerequisite) {
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
    case "nsh":
      return dlType === ETH_TYPE_NSH;
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

/** Match.set for a one-word field, with numbers: `value` under `mask`, the field's own bits. */
function plainSetNumber(m: Match, f: Field, value: number, mask: number): void {
  const w = f.word;
  const bits = f.wordMask;
  const mw = ((mask << f.shift) & bits) >>> 0;
  m.mask[w] = ((m.mask[w]! & ~bits) | mw) >>> 0;
  m.flow[w] = ((m.flow[w]! & ~bits) | ((value << f.shift) & mw)) >>> 0;
}

function setValueAsMask(m: Match, f: Field, value: number, mask: number): void {
  const w = f.word;
  const bits = f.wordMask;
  m.mask[w] = ((m.mask[w]! & ~bits) | (((value & 0xff) << f.shift) & bits)) >>> 0;
  m.flow[w] = ((m.flow[w]! & ~bits) | (((value & mask & 0xff) << f.shift) & bits)) >>> 0;
}

/** mf_set_value for a field of up to 4 bytes, the value as a number. */
export function setFieldValueNumber(m: Match, f: Field, v: number): void {
  const kind = KINDS[f.id]!;
  switch (kind) {
    case IN_PORT_OXM:
      setBits(m, W_IN_PORT, 0xffff, portFromOfp11Quiet(v >>> 0), 0xffff);
      return;
    case ACTSET_OUTPUT:
      setBits(m, W_ACTSET_OUTPUT, 0xffff, portFromOfp11Quiet(v >>> 0), 0xffff);
      return;
    case CT_STATE:
      setBits(m, W_CT_STATE, 0xff, v, 0xff);
      return;
    case TUN_FLAGS:
      setBits(m, W_TUN_MISC, 0xffff, v, FLOW_TNL_PUB_F_MASK);
      return;
    case VLAN_TCI:
      setBits(m, W_DL_TYPE_VLAN, 0xffff, v, 0xffff);
      return;
    case DL_VLAN:
      setDlVlan(m, v);
      return;
    case VLAN_VID:
      setVlanVidMasked(m, v, VLAN_VID_MASK | VLAN_CFI);
      return;
    case VLAN_PCP:
      setDlVlanPcp(m, v);
      return;
    case MPLS_LABEL:
    case MPLS_TC:
    case MPLS_BOS:
    case MPLS_TTL: {
      const bits = MPLS_BITS[kind - MPLS_LABEL]!;
      orBits(m, W_MPLS_LSE, bits, (v << MPLS_SHIFTS[kind - MPLS_LABEL]!) >>> 0, bits);
      return;
    }
    case NW_TOS:
      orBits(m, W_NW_MISC, IP_DSCP_MASK << 16, (v & IP_DSCP_MASK) << 16, IP_DSCP_MASK << 16);
      return;
    case IP_DSCP:
      orBits(m, W_NW_MISC, IP_DSCP_MASK << 16, ((v << 2) & IP_DSCP_MASK) << 16, IP_DSCP_MASK << 16);
      return;
    case NW_ECN:
      orBits(m, W_NW_MISC, IP_ECN_MASK << 16, (v & IP_ECN_MASK) << 16, IP_ECN_MASK << 16);
      return;
    case IP_FRAG:
      orBits(m, W_NW_MISC, FRAG_MASK, v, FRAG_MASK);
      return;
    case ARP_OP:
      // Upstream keeps the ARP opcode in the 8-bit nw_proto.
      plainSetNumber(m, f, v & 0xff, 0xffff);
      return;
    case ICMP_TYPE:
      setBits(m, W_TP, 0xffff0000, (v & 0xff) << 16, 0xffff0000);
      return;
    case ICMP_CODE:
      setBits(m, W_TP, 0x0000ffff, v & 0xff, 0x0000ffff);
      return;
    case VALUE_AS_MASK:
      setValueAsMask(m, f, v, 0xff);
      return;
    case NSH_SPI:
      orBits(m, W_NSH_PATH, NSH_SPI_MASK, (v << 8) >>> 0, NSH_SPI_MASK);
      return;
    case NSH_SI:
      orBits(m, W_NSH_PATH, NSH_SI_MASK, v, NSH_SI_MASK);
      return;
    default:
      plainSetNumber(m, f, v, fullMask(f));
  }
}

/** mf_set_value: match `f` exactly against `value` (the field's width, big-endian). */
export function setFieldValue(m: Match, f: Field, value: Uint8Array): void {
  if (f.variable) setTunMetadata(m, f, value, undefined);
  else if (f.nBytes <= 4) setFieldValueNumber(m, f, bytesToNumber(value));
  else m.set(f, value);
}

/** mf_set_wild: stop matching `f`, keeping what neighbours still need (a PCP keeps its tag). */
export function setFieldWild(m: Match, f: Field): void {
  const kind = KINDS[f.id]!;
  switch (kind) {
    case VARIABLE:
      // Upstream "wildcards" a tun_metadata field by matching its presence with no bytes.
      setTunMetadata(m, f, undefined, undefined);
      return;
    case IN_PORT:
    case IN_PORT_OXM:
      clearBits(m, W_IN_PORT, 0xffff);
      return;
    case DL_VLAN:
    case VLAN_VID:
      setAnyVid(m);
      return;
    case VLAN_PCP:
      setAnyPcp(m);
      return;
    case VLAN_TCI:
      clearBits(m, W_DL_TYPE_VLAN, 0xffff);
      return;
    case MPLS_LABEL:
    case MPLS_TC:
    case MPLS_BOS:
    case MPLS_TTL:
      clearBits(m, W_MPLS_LSE, MPLS_BITS[kind - MPLS_LABEL]!);
      return;
    case NW_TOS:
    case IP_DSCP:
      clearBits(m, W_NW_MISC, IP_DSCP_MASK << 16);
      return;
    case NW_ECN:
      clearBits(m, W_NW_MISC, IP_ECN_MASK << 16);
      return;
    case IP_FRAG:
      clearBits(m, W_NW_MISC, FRAG_MASK);
      return;
    case TUN_FLAGS:
      clearBits(m, W_TUN_MISC, 0xffff);
      return;
    case NSH_SPI:
      clearBits(m, W_NSH_PATH, NSH_SPI_MASK);
      return;
    case NSH_SI:
      clearBits(m, W_NSH_PATH, NSH_SI_MASK);
      return;
    default:
      if (f.nWords === 1) clearBits(m, f.word, f.wordMask);
      else m.clear(f);
  }
}

function usableFor(f: Field, mask: number): Protocols {
  const usable = usableOf(f);
  if (usable.cidr === usable.bitwise || (f.nBytes === 4 && ipIsCidr(mask))) return usable.cidr;
  return usable.bitwise;
}

/**
 * mf_set for a field of up to 4 bytes, value and mask as numbers (the field's width): what the
 * decoders call for every entry, without allocating.
 */
export function setFieldNumber(m: Match, f: Field, value: number, mask: number): Protocols {
  const full = fullMask(f);
  if (mask >>> 0 === full >>> 0) {
    setFieldValueNumber(m, f, value);
    return usableOf(f).exact;
  }
  if (mask === 0) {
    setFieldWild(m, f);
    return P_ANY;
  }
  if (!f.maskable) return P_NONE;
  switch (KINDS[f.id]) {
    case VALUE_AS_MASK:
      setValueAsMask(m, f, value, mask);
      break;
    case VLAN_TCI:
      setBits(m, W_DL_TYPE_VLAN, 0xffff, value, mask);
      break;
    case VLAN_VID:
      setVlanVidMasked(m, value, mask);
      break;
    case IPV6_LABEL:
      // A mask covering every label bit is an exact match of the whole word.
      if ((mask & IPV6_LABEL_MASK) === IPV6_LABEL_MASK) setFieldValueNumber(m, f, value);
      else plainSetNumber(m, f, value, mask);
      break;
    case IP_FRAG:
      setBits(m, W_NW_MISC, FRAG_MASK, value, mask);
      break;
    case TUN_FLAGS:
      setBits(m, W_TUN_MISC, 0xffff, value, mask & FLOW_TNL_PUB_F_MASK);
      break;
    case CT_STATE:
      setBits(m, W_CT_STATE, 0xff, value, mask);
      break;
    default:
      plainSetNumber(m, f, value, mask);
  }
  return usableFor(f, mask);
}

/**
 * mf_set: match `f` against `value` under `mask` (exact when omitted or all ones, wildcard when
 * all zeros). Returns the protocols that can express the result (upstream's return value), which
 * is P_NONE, with `m` untouched, for a partial mask on a field that cannot be masked. A
 * tun_metadata<n> that cannot be placed (set twice, option area full) throws ParseError with
 * upstream's text.
 */
export function setFieldInMatch(
  m: Match,
  f: Field,
  value: Uint8Array,
  mask?: Uint8Array,
): Protocols {
  if (f.variable) {
    // tun_metadata matches the field's presence even under an all-zero mask.
    if (!mask || isAllOnes(mask)) {
      setTunMetadata(m, f, value, undefined);
      return usableOf(f).exact;
    }
    setTunMetadata(m, f, value, mask);
    return usableFor(f, 0);
  }
  if (f.nBytes <= 4) {
    return setFieldNumber(m, f, bytesToNumber(value), mask ? bytesToNumber(mask) : fullMask(f));
  }
  if (!mask || isAllOnes(mask)) {
    m.set(f, value);
    return usableOf(f).exact;
  }
  if (isAllZeros(mask)) {
    m.clear(f);
    return P_ANY;
  }
  m.set(f, value, mask);
  return usableFor(f, 0);
}

/**
 * mf_set for a field wider than 4 bytes straight from wire bytes (`n` of value at `at`, then
 * `n` of mask when `masked`), as the decoders read them: the same result as setFieldInMatch for
 * these plain fields, without building arrays. `n` must be the field's width.
 */
export function setWideFieldFromBytes(
  m: Match,
  f: Field,
  bytes: Uint8Array,
  at: number,
  masked: boolean,
): void {
  const n = f.nBytes;
  let byte = n - 1;
  for (let w = f.word + f.nWords - 1; w >= f.word && byte >= 0; w--) {
    let v = 0;
    let mk = 0;
    for (let k = 0; k < 4 && byte >= 0; k++, byte--) {
      const b = bytes[at + byte]!;
      v = (v | (b << (8 * k))) >>> 0;
      mk = (mk | ((masked ? bytes[at + n + byte]! : 0xff) << (8 * k))) >>> 0;
    }
    m.mask[w] = mk;
    m.flow[w] = (v & mk) >>> 0;
  }
}
