// Whole matches as NXM (OpenFlow 1.0 Nicira extensions) and OXM (OpenFlow 1.2 to 1.5), byte for
// byte as upstream's nx_put_raw writes them: its field order, its choice of which headers a
// version uses (NXM registers before 1.5, xregs from 1.5; vlan_vid/vlan_pcp in OXM, vlan_tci in
// NXM), its implied packet_type entry, the NXM cookie pseudo-field, and the `ofp_match` OXM
// wrapper padded to 8. Decoding applies every check nx_pull_raw makes (unknown field, duplicate,
// prerequisite, bad mask or value, lengths), each as an OfpError with upstream's name, and logs
// upstream's warnings (nx_match module) for inconsistent masks and impossible header lengths.
//
// Both directions work on flow words and plain numbers, never building a byte array per entry:
// a flow dump decodes and a flow file encodes tens of thousands of these, and allocating typed
// arrays dominates any codec that does. tun_metadata<n> entries (tun_metadata.ts) are the one
// exception, being rare and of variable length.

import {
  ETH_TYPE_ARP,
  ETH_TYPE_IP,
  ETH_TYPE_IPV6,
  ETH_TYPE_MPLS,
  ETH_TYPE_MPLS_MCAST,
  ETH_TYPE_RARP,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  VLAN_CFI,
  VLAN_VID_MASK,
  W_ACTSET_OUTPUT,
  W_CT_ZONE,
  W_DL_TYPE_VLAN,
  W_IN_PORT,
  W_MPLS_LSE,
  W_ND_RESERVED,
  W_NSH_BASE,
  W_NSH_CONTEXT,
  W_NSH_PATH,
  W_NW_MISC,
  W_PACKET_TYPE,
  W_TCP_FLAGS,
  W_TP,
  W_TUN_ERSPAN,
  W_TUN_ERSPAN_IDX,
  W_TUN_GTPU,
  W_TUN_MISC,
} from "../datapath/flow.ts";
import { RateLimit, vlogModule } from "../net/vlog.ts";
import { OfpError, ParseError } from "./errors.ts";
import { type Field, field, OFP15 } from "./fields.ts";
import { Match } from "./match.ts";
import { WireReader, WireWriter } from "./wire.ts";
import {
  addEthernetPrereq,
  arePrereqsOk,
  flowDlType,
  getFieldNumber,
  hasDefaultPacketType,
  isFieldAllWild,
  isFieldMaskValidNumber,
  isFieldValueValidNumber,
  ND_NEIGHBOR_ADVERT,
  ND_NEIGHBOR_SOLICIT,
  setFieldInMatch,
  setFieldNumber,
  setWideFieldFromBytes,
} from "./field_set.ts";
import { portToOfp11 } from "./port_text.ts";
import { codeByHeaderKey, codeFor, NXM_NX_COOKIE, putHeader, wildHeader } from "./nxm_header.ts";
import {
  TUN_METADATA_FIELD_BYTES,
  tunMetadataEntries,
  tunMetadataIndex,
  type TunMetadataMap,
} from "./tun_metadata.ts";

// Single headers and entries live in nxm_header.ts; re-exported so one import serves both.
export * from "./nxm_header.ts";

const log = vlogModule("nx_match");
const rl = new RateLimit(1, 5);

const f = (name: string) => field(name);
const FF = {
  packetType: f("packet_type"),
  dpHash: f("dp_hash"),
  recircId: f("recirc_id"),
  conjId: f("conj_id"),
  inPort: f("in_port"),
  inPortOxm: f("in_port_oxm"),
  actsetOutput: f("actset_output"),
  ethSrc: f("eth_src"),
  ethDst: f("eth_dst"),
  ethType: f("eth_type"),
  vlanTci: f("vlan_tci"),
  vlanVid: f("vlan_vid"),
  vlanPcp: f("vlan_pcp"),
  mplsLabel: f("mpls_label"),
  mplsTc: f("mpls_tc"),
  mplsBos: f("mpls_bos"),
  mplsTtl: f("mpls_ttl"),
  ipSrc: f("ip_src"),
  ipDst: f("ip_dst"),
  ipv6Src: f("ipv6_src"),
  ipv6Dst: f("ipv6_dst"),
  ipv6Label: f("ipv6_label"),
  ipFrag: f("ip_frag"),
  nwTos: f("nw_tos"),
  ipDscp: f("ip_dscp"),
  nwEcn: f("nw_ecn"),
  nwTtl: f("nw_ttl"),
  nwProto: f("nw_proto"),
  tcpSrc: f("tcp_src"),
  tcpDst: f("tcp_dst"),
  tcpFlags: f("tcp_flags"),
  udpSrc: f("udp_src"),
  udpDst: f("udp_dst"),
  sctpSrc: f("sctp_src"),
  sctpDst: f("sctp_dst"),
  icmpType: f("icmp_type"),
  icmpCode: f("icmp_code"),
  icmpv6Type: f("icmpv6_type"),
  icmpv6Code: f("icmpv6_code"),
  ndReserved: f("nd_reserved"),
  ndTarget: f("nd_target"),
  ndOptionsType: f("nd_options_type"),
  ndSll: f("nd_sll"),
  ndTll: f("nd_tll"),
  arpOp: f("arp_op"),
  arpSpa: f("arp_spa"),
  arpTpa: f("arp_tpa"),
  arpSha: f("arp_sha"),
  arpTha: f("arp_tha"),
  tunId: f("tun_id"),
  tunFlags: f("tun_flags"),
  tunSrc: f("tun_src"),
  tunDst: f("tun_dst"),
  tunIpv6Src: f("tun_ipv6_src"),
  tunIpv6Dst: f("tun_ipv6_dst"),
  tunGbpId: f("tun_gbp_id"),
  tunGbpFlags: f("tun_gbp_flags"),
  erspanIdx: f("tun_erspan_idx"),
  erspanVer: f("tun_erspan_ver"),
  erspanDir: f("tun_erspan_dir"),
  erspanHwid: f("tun_erspan_hwid"),
  gtpuFlags: f("tun_gtpu_flags"),
  gtpuMsgtype: f("tun_gtpu_msgtype"),
  nshFlags: f("nsh_flags"),
  nshTtl: f("nsh_ttl"),
  nshMdtype: f("nsh_mdtype"),
  nshNp: f("nsh_np"),
  nshSpi: f("nsh_spi"),
  nshSi: f("nsh_si"),
  pktMark: f("pkt_mark"),
  ctState: f("ct_state"),
  ctZone: f("ct_zone"),
  ctMark: f("ct_mark"),
  ctLabel: f("ct_label"),
  ctNwSrc: f("ct_nw_src"),
  ctNwDst: f("ct_nw_dst"),
  ctIpv6Src: f("ct_ipv6_src"),
  ctIpv6Dst: f("ct_ipv6_dst"),
  ctNwProto: f("ct_nw_proto"),
  ctTpSrc: f("ct_tp_src"),
  ctTpDst: f("ct_tp_dst"),
  metadata: f("metadata"),
};
const REGS = Array.from({ length: 16 }, (_, i) => f(`reg${i}`));
const XREGS = Array.from({ length: 8 }, (_, i) => f(`xreg${i}`));
const NSH_CONTEXT = Array.from({ length: 4 }, (_, i) => f(`nsh_c${i + 1}`));
const TUN_METADATA = Array.from({ length: 64 }, (_, i) => f(`tun_metadata${i}`));

/** OFPMT_OXM, the ofp_match type of OpenFlow 1.2+. */
export const OFPMT_OXM = 1;
export const OFPMT_STANDARD = 0;

// ---- encoding ----

/** A field's header in one version: the exact and masked words and its experimenter id. */
interface PutCode {
  exact: number;
  masked: number;
  experimenter: number;
  isExperimenter: boolean;
}

/** PutCode per version (0 = NXM, then 1 to 6) and field id, made on first use. */
const PUT_CODES: (PutCode | undefined)[][] = Array.from({ length: 7 }, () => []);

function putCodeOf(fld: Field, version: number): PutCode {
  const cached = PUT_CODES[version]![fld.id];
  if (cached) return cached;
  const code = codeFor(fld, version);
  if (!code) throw new RangeError(`field ${fld.name} has no NXM or OXM header`);
  const isExperimenter = code.oxmClass === 0xffff;
  const exp = isExperimenter ? 4 : 0;
  const base = ((code.oxmClass << 16) | (code.fieldNo << 9)) >>> 0;
  const made: PutCode = {
    exact: (base | (fld.nBytes + exp)) >>> 0,
    masked: (base | 0x100 | (2 * fld.nBytes + exp)) >>> 0,
    experimenter: code.experimenter,
    isExperimenter,
  };
  PUT_CODES[version]![fld.id] = made;
  return made;
}

function fullOf(fld: Field): number {
  return fld.nBytes >= 4 ? 0xffffffff : (1 << (8 * fld.nBytes)) - 1;
}

/** Writes entries of one match: nxm_put_* with the implied-Ethernet bookkeeping. */
class Entries {
  w: WireWriter = new WireWriter(0);
  version = 0;
  impliedEthernet = false;

  #header(fld: Field, masked: boolean): void {
    const code = putCodeOf(fld, this.version);
    this.w.u32(masked ? code.masked : code.exact);
    if (code.isExperimenter) this.w.u32(code.experimenter);
    if (fld.prerequisite !== "none") this.impliedEthernet = true;
  }

  #value(fld: Field, v: number): void {
    if (fld.nBytes === 1) this.w.u8(v);
    else if (fld.nBytes === 2) this.w.u16(v);
    else this.w.u32(v);
  }

  /** nxm_put__ for a field of up to 4 bytes: always written, exact. */
  exact(fld: Field, v: number): void {
    this.#header(fld, false);
    this.#value(fld, v);
  }

  /** nxm_put: nothing for an all-zero mask, exact for all ones, else masked. */
  masked(fld: Field, v: number, mask: number): void {
    if (!mask) return;
    if (mask >>> 0 === fullOf(fld) >>> 0) {
      this.exact(fld, v);
      return;
    }
    this.#header(fld, true);
    this.#value(fld, v);
    this.#value(fld, mask);
  }

  /** A field of up to 4 bytes straight from the match, as mf_get_value reads it. */
  field(m: Match, fld: Field): void {
    this.masked(fld, getFieldNumber(m.flow, fld), getFieldNumber(m.mask, fld));
  }

  /** A field wider than 4 bytes (Ethernet, 64- and 128-bit) straight from the match's words. */
  wide(m: Match, fld: Field): void {
    const mask = m.mask;
    const first = fld.word;
    const last = first + fld.nWords - 1;
    const top = fld.nBytes === 6 ? 0xffff : 0xffffffff;
    let any = false;
    let ones = (mask[first]! & top) >>> 0 === top;
    for (let i = first; i <= last; i++) {
      if (mask[i]) any = true;
      if (i > first && mask[i] !== 0xffffffff) ones = false;
    }
    if (!any) return;
    this.#header(fld, !ones);
    this.#words(m.flow, fld);
    if (!ones) this.#words(mask, fld);
  }

  #words(words: Uint32Array, fld: Field): void {
    let i = fld.word;
    if (fld.nBytes === 6) this.w.u16(words[i++]! & 0xffff);
    for (const end = fld.word + fld.nWords; i < end; i++) this.w.u32(words[i]!);
  }

  /** An entry of `len` value bytes (and mask bytes when given) under a variable-length header. */
  variable(fld: Field, value: Uint8Array, mask: Uint8Array | undefined): void {
    const code = putCodeOf(fld, this.version);
    const exp = code.isExperimenter ? 4 : 0;
    const base = code.exact & 0xffff0000 | (code.exact & 0xfe00);
    this.w.u32(mask ? base | 0x100 | (2 * value.length + exp) : base | (value.length + exp));
    if (code.isExperimenter) this.w.u32(code.experimenter);
    this.w.bytes(value);
    if (mask) this.w.bytes(mask);
  }
}

const entries = new Entries();

function putIp(p: Entries, m: Match, version: number): void {
  const flow = m.flow;
  const mask = m.mask;
  const dlType = flowDlType(flow);
  if (dlType === ETH_TYPE_IP) {
    p.field(m, FF.ipSrc);
    p.field(m, FF.ipDst);
  } else {
    p.wide(m, FF.ipv6Src);
    p.wide(m, FF.ipv6Dst);
  }
  const misc = flow[W_NW_MISC]!;
  const miscMask = mask[W_NW_MISC]!;
  const fragMask = miscMask & 3;
  p.masked(FF.ipFrag, misc & 3, fragMask === 3 ? 0xff : fragMask);
  const tos = (misc >>> 16) & 0xff;
  const tosMask = (miscMask >>> 16) & 0xff;
  if (tosMask & 0xfc) {
    if (version) p.exact(FF.ipDscp, tos >>> 2);
    else p.exact(FF.nwTos, tos & 0xfc);
  }
  if (tosMask & 0x03) p.exact(FF.nwEcn, tos & 0x03);
  if ((miscMask >>> 8) & 0xff) p.exact(FF.nwTtl, (misc >>> 8) & 0xff);
  p.field(m, FF.ipv6Label);
  if (!(miscMask >>> 24)) return;
  const proto = misc >>> 24;
  p.exact(FF.nwProto, proto);
  const tp = flow[W_TP]!;
  const tpMask = mask[W_TP]!;
  if (proto === IPPROTO_TCP) {
    p.field(m, FF.tcpSrc);
    p.field(m, FF.tcpDst);
    p.field(m, FF.tcpFlags);
  } else if (proto === IPPROTO_UDP) {
    p.field(m, FF.udpSrc);
    p.field(m, FF.udpDst);
  } else if (proto === IPPROTO_SCTP) {
    p.field(m, FF.sctpSrc);
    p.field(m, FF.sctpDst);
  } else if (dlType === ETH_TYPE_IP && proto === IPPROTO_ICMP) {
    if (tpMask >>> 16) p.exact(FF.icmpType, (tp >>> 16) & 0xff);
    if (tpMask & 0xffff) p.exact(FF.icmpCode, tp & 0xff);
  } else if (dlType === ETH_TYPE_IPV6 && proto === IPPROTO_ICMPV6) {
    if (tpMask >>> 16) p.exact(FF.icmpv6Type, (tp >>> 16) & 0xff);
    if (tpMask & 0xffff) p.exact(FF.icmpv6Code, tp & 0xff);
    const type = tp >>> 16;
    const isNd = (tp & 0xffff) === 0 &&
      (type === ND_NEIGHBOR_SOLICIT || type === ND_NEIGHBOR_ADVERT);
    if (isNd) {
      if (mask[W_ND_RESERVED]) p.exact(FF.ndReserved, flow[W_ND_RESERVED]!);
      p.wide(m, FF.ndTarget);
      if ((mask[W_TCP_FLAGS]! >>> 16) & 0xff) {
        p.exact(FF.ndOptionsType, (flow[W_TCP_FLAGS]! >>> 16) & 0xff);
      }
      if (type === ND_NEIGHBOR_SOLICIT) p.wide(m, FF.ndSll);
      if (type === ND_NEIGHBOR_ADVERT) p.wide(m, FF.ndTll);
    }
  }
}

function putTunnel(p: Entries, m: Match): void {
  const flow = m.flow;
  const mask = m.mask;
  p.wide(m, FF.tunId);
  p.masked(FF.tunFlags, flow[W_TUN_MISC]! & 0xffff, mask[W_TUN_MISC]! & 0xffff);
  p.field(m, FF.tunSrc);
  p.field(m, FF.tunDst);
  p.wide(m, FF.tunIpv6Src);
  p.wide(m, FF.tunIpv6Dst);
  p.field(m, FF.tunGbpId);
  p.field(m, FF.tunGbpFlags);
  // Written without nxm_put's bookkeeping, as tun_metadata_to_nx_match does.
  if (m.tunMd || m.tunTable) {
    for (const e of tunMetadataEntries(m)) p.variable(TUN_METADATA[e.index]!, e.value, e.mask);
  }
  if (mask[W_TUN_ERSPAN_IDX]) {
    p.masked(FF.erspanIdx, flow[W_TUN_ERSPAN_IDX]!, mask[W_TUN_ERSPAN_IDX]!);
  }
  if (mask[W_TUN_ERSPAN]) {
    p.field(m, FF.erspanVer);
    p.field(m, FF.erspanDir);
    p.field(m, FF.erspanHwid);
  }
  if (mask[W_TUN_GTPU]) {
    p.field(m, FF.gtpuFlags);
    p.field(m, FF.gtpuMsgtype);
  }
}

function putNsh(p: Entries, m: Match): void {
  const mask = m.mask;
  if (mask[W_NSH_BASE]) {
    p.field(m, FF.nshFlags);
    p.field(m, FF.nshTtl);
    p.field(m, FF.nshMdtype);
    p.field(m, FF.nshNp);
  }
  if (mask[W_NSH_PATH]) {
    const spiMask = mask[W_NSH_PATH]! >>> 8;
    p.masked(FF.nshSpi, m.flow[W_NSH_PATH]! >>> 8, spiMask === 0xffffff ? 0xffffffff : spiMask);
    p.field(m, FF.nshSi);
  }
  for (let i = 0; i < 4; i++) {
    if (mask[W_NSH_CONTEXT + i]) p.field(m, NSH_CONTEXT[i]!);
  }
}

/**
 * nx_put_raw: the entries expressing `m` in NXM (`version` 0) or in the OXM of `version`
 * (0x03 = OpenFlow 1.2 ... 0x06 = 1.5), without padding; empty for a catch-all match. A cookie
 * mask other than zero adds NXM_NX_COOKIE (NXM flow mods and stats requests).
 */
export function putRawMatch(
  w: WireWriter,
  m: Match,
  version: number,
  cookie = 0n,
  cookieMask = 0n,
): void {
  const start = w.length;
  const p = entries;
  p.w = w;
  p.version = version;
  p.impliedEthernet = false;
  const flow = m.flow;
  const mask = m.mask;

  if (mask[W_PACKET_TYPE] && !hasDefaultPacketType(m)) p.field(m, FF.packetType);
  if (mask[FF.dpHash.word]) p.field(m, FF.dpHash);
  if (mask[FF.recircId.word]) p.exact(FF.recircId, flow[FF.recircId.word]!);
  if (mask[FF.conjId.word]) p.exact(FF.conjId, flow[FF.conjId.word]!);
  if (mask[W_IN_PORT]! & 0xffff) {
    const port = flow[W_IN_PORT]! & 0xffff;
    if (version) p.exact(FF.inPortOxm, portToOfp11(port) >>> 0);
    else p.exact(FF.inPort, port);
  }
  if (mask[W_ACTSET_OUTPUT]! & 0xffff) {
    p.exact(FF.actsetOutput, portToOfp11(flow[W_ACTSET_OUTPUT]! & 0xffff) >>> 0);
  }

  p.wide(m, FF.ethSrc);
  p.wide(m, FF.ethDst);
  p.field(m, FF.ethType);

  const tci = flow[W_DL_TYPE_VLAN]! & 0xffff;
  const tciMask = mask[W_DL_TYPE_VLAN]! & 0xffff;
  if (version) {
    const vidCfi = VLAN_VID_MASK | VLAN_CFI;
    const vid = tci & vidCfi;
    const vidMask = tciMask & vidCfi;
    if (vidMask === vidCfi) p.exact(FF.vlanVid, vid);
    else if (vidMask) p.masked(FF.vlanVid, vid, vidMask);
    if (vid && tciMask >>> 13) p.exact(FF.vlanPcp, tci >>> 13);
  } else {
    p.masked(FF.vlanTci, tci, tciMask);
  }

  const dlType = flowDlType(flow);
  if (dlType === ETH_TYPE_MPLS || dlType === ETH_TYPE_MPLS_MCAST) {
    const lse = flow[W_MPLS_LSE]!;
    const lseMask = mask[W_MPLS_LSE]!;
    if (lseMask & 0x00000e00) p.exact(FF.mplsTc, (lse >>> 9) & 7);
    if (lseMask & 0x00000100) p.exact(FF.mplsBos, (lse >>> 8) & 1);
    if (lseMask & 0x000000ff) p.exact(FF.mplsTtl, lse & 0xff);
    if (lseMask & 0xfffff000) p.exact(FF.mplsLabel, lse >>> 12);
  }

  if (dlType === ETH_TYPE_IP || dlType === ETH_TYPE_IPV6) {
    putIp(p, m, version);
  } else if (dlType === ETH_TYPE_ARP || dlType === ETH_TYPE_RARP) {
    if (getFieldNumber(mask, FF.arpOp)) p.exact(FF.arpOp, getFieldNumber(flow, FF.arpOp));
    p.field(m, FF.arpSpa);
    p.field(m, FF.arpTpa);
    p.wide(m, FF.arpSha);
    p.wide(m, FF.arpTha);
  }

  putTunnel(p, m);
  putNsh(p, m);

  if (version < OFP15) { for (const reg of REGS) if (mask[reg.word]) p.field(m, reg); }
  else for (const xreg of XREGS) p.wide(m, xreg);

  p.field(m, FF.pktMark);
  p.field(m, FF.ctState);
  p.field(m, FF.ctZone);
  p.field(m, FF.ctMark);
  p.wide(m, FF.ctLabel);
  p.field(m, FF.ctNwSrc);
  p.wide(m, FF.ctIpv6Src);
  p.field(m, FF.ctNwDst);
  p.wide(m, FF.ctIpv6Dst);
  if ((flow[W_CT_ZONE]! >>> 16) & 0xff) {
    p.field(m, FF.ctNwProto);
    p.field(m, FF.ctTpSrc);
    p.field(m, FF.ctTpDst);
  }
  p.wide(m, FF.metadata);

  if (cookieMask) {
    const masked = BigInt.asUintN(64, cookieMask) !== (1n << 64n) - 1n;
    putHeader(w, masked ? wildHeader(NXM_NX_COOKIE) : NXM_NX_COOKIE);
    w.u64(cookie & cookieMask);
    if (masked) w.u64(cookieMask);
  }

  if (hasDefaultPacketType(m) && !p.impliedEthernet) {
    const code = putCodeOf(FF.packetType, version);
    const entry = new Uint8Array(8);
    new DataView(entry.buffer).setUint32(0, code.exact);
    new DataView(entry.buffer).setUint32(4, flow[W_PACKET_TYPE]!);
    w.insertAt(start, entry);
  }
}

/** nx_put_match: NXM entries padded to 8; returns the unpadded length (the nx_match_len). */
export function putNxMatch(w: WireWriter, m: Match, cookie = 0n, cookieMask = 0n): number {
  const start = w.length;
  putRawMatch(w, m, 0, cookie, cookieMask);
  const len = w.length - start;
  w.padTo(8, start);
  return len;
}

/** oxm_put_match: the ofp_match wrapper (type OXM, length) and entries, padded to 8. */
export function putOxmMatch(w: WireWriter, m: Match, version: number): number {
  const start = w.length;
  w.u16(OFPMT_OXM);
  w.u16(0);
  putRawMatch(w, m, version);
  const len = w.length - start;
  w.setU16(start + 2, len);
  w.padTo(8, start);
  return len;
}

/** The NXM bytes of a match (no padding), e.g. for tests and nx_match_to_string. */
export function encodeNxm(m: Match, version = 0): Uint8Array {
  const w = new WireWriter();
  putRawMatch(w, m, version);
  return w.finish();
}

// ---- decoding ----

export interface PullOptions {
  /** Check prerequisites and refuse unknown fields (upstream's strict mode); default true. */
  strict?: boolean;
  /**
   * The switch's TLV map. With one, tun_metadata<n> must be mapped (else
   * NXFMFC_INVALID_TLV_FIELD) and is as long as its mapping, as upstream's switch decodes it;
   * without one (ovs-ofctl) each match places its own.
   */
  tunTable?: TunMetadataMap | undefined;
}

function u32At(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

function numberAt(b: Uint8Array, at: number, width: number): number {
  if (width === 1) return b[at]!;
  if (width === 2) return (b[at]! << 8) | b[at + 1]!;
  return u32At(b, at);
}

function bigAt(b: Uint8Array, at: number): bigint {
  return (BigInt(u32At(b, at)) << 32n) | BigInt(u32At(b, at + 4));
}

/** NXM_HEADER_FMT: vendor:class:field:hasmask:length. */
function headerText(word: number, experimenter: number): string {
  return `${experimenter}:${word >>> 16}:${(word >>> 9) & 0x7f}:${(word >>> 8) & 1}:${word & 0xff}`;
}

const badLen = (why: string) => new OfpError("OFPBMC_BAD_LEN", why);

/** A tun_metadata entry's value and mask, right-aligned in the field's 124 bytes. */
function variableEntry(
  bytes: Uint8Array,
  valueAt: number,
  width: number,
  hasMask: boolean,
  limit: number,
): { value: Uint8Array; mask: Uint8Array | undefined } {
  const copy = Math.min(width, limit);
  const at = TUN_METADATA_FIELD_BYTES - copy;
  const value = new Uint8Array(TUN_METADATA_FIELD_BYTES);
  value.set(bytes.subarray(valueAt, valueAt + copy), at);
  if (!hasMask) return { value, mask: undefined };
  const mask = new Uint8Array(TUN_METADATA_FIELD_BYTES);
  mask.set(bytes.subarray(valueAt + width, valueAt + width + copy), at);
  return { value, mask };
}

/**
 * nx_pull_raw over `bytes[start, end)`: entries to a Match. `cookie` receives NXM_NX_COOKIE when
 * given (otherwise the cookie is OFPBMC_BAD_FIELD).
 */
function pullRange(
  bytes: Uint8Array,
  start: number,
  end: number,
  opts: PullOptions,
  cookie: { cookie: bigint; mask: bigint } | undefined,
): Match {
  const strict = opts.strict ?? true;
  const tunTable = opts.tunTable;
  const m = new Match();
  if (tunTable) m.tunTable = tunTable;
  if (cookie) {
    cookie.cookie = 0n;
    cookie.mask = 0n;
  }
  let at = start;
  while (at < end) {
    if (end - at < 4) throw badLen("partial OXM header");
    const word = u32At(bytes, at);
    const oxmClass = word >>> 16;
    const isExperimenter = oxmClass === 0xffff;
    if (isExperimenter && end - at < 8) throw badLen("partial experimenter OXM header");
    const experimenter = isExperimenter ? u32At(bytes, at + 4) : 0;
    const expLen = isExperimenter ? 4 : 0;
    const length = word & 0xff;
    if (length < expLen) {
      log.rateLimited(
        rl,
        "warn",
        `OXM header ${headerText(word, experimenter)} has invalid length ${length} (minimum is ${
          4 + expLen
        })`,
      );
      throw badLen("OXM header with invalid length");
    }
    at += 4 + expLen;
    const hasMask = (word & 0x100) !== 0;
    const payload = length - expLen;
    const width = hasMask ? payload >>> 1 : payload;
    const fieldNo = (word >>> 9) & 0x7f;
    const code = codeByHeaderKey(oxmClass, fieldNo, experimenter);
    let fld: Field | undefined;
    if (code && (code.length === width + expLen || code.field.variable)) fld = code.field;
    const isCookie = !fld && cookie !== undefined && oxmClass === 1 && fieldNo === 30 &&
      length === (hasMask ? 16 : 8);
    if (fld?.variable && tunTable && !tunTable.loc(tunMetadataIndex(fld))) {
      throw new OfpError("NXFMFC_INVALID_TLV_FIELD");
    }
    if (end - at < payload) throw badLen(`OXM entry needs ${payload} bytes`);
    const valueAt = at;
    at += payload;
    if (hasMask) {
      for (let i = 0; i < width; i++) {
        if (bytes[valueAt + i]! & ~bytes[valueAt + width + i]!) {
          // Upstream asks the rate limiter twice (VLOG_DROP_WARN, then VLOG_WARN_RL).
          if (rl.take() !== undefined) {
            log.rateLimited(
              rl,
              "warn",
              `Rejecting NXM/OXM entry ${
                headerText(word, experimenter)
              } with 1-bits in value for bits wildcarded by the mask.`,
            );
          }
          throw new OfpError("OFPBMC_BAD_WILDCARDS", "value has bits the mask wildcards");
        }
      }
    }
    if (!fld) {
      if (isCookie) {
        if (cookie.mask) throw new OfpError("OFPBMC_DUP_FIELD", "duplicate cookie");
        cookie.cookie = bigAt(bytes, valueAt);
        cookie.mask = hasMask ? bigAt(bytes, valueAt + 8) : 0xffffffffffffffffn;
        continue;
      }
      if (!strict) continue;
      throw new OfpError("OFPBMC_BAD_FIELD", "unknown field in match");
    }
    if (fld.variable) {
      const limit = tunTable?.loc(tunMetadataIndex(fld))?.len ?? TUN_METADATA_FIELD_BYTES;
      const { value, mask } = variableEntry(bytes, valueAt, width, hasMask, limit);
      if (strict && !arePrereqsOk(m, fld)) throw prereqError(fld);
      if (!isFieldAllWild(m, fld)) throw dupError(fld);
      try {
        setFieldInMatch(m, fld, value, mask);
      } catch (e) {
        if (e instanceof ParseError) throw new OfpError("OFPBMC_BAD_VALUE", e.message);
        throw e;
      }
    } else if (fld.nBytes <= 4) {
      const v = numberAt(bytes, valueAt, width);
      const mk = hasMask ? numberAt(bytes, valueAt + width, width) : fullOf(fld);
      if (!isFieldMaskValidNumber(fld, mk)) {
        throw new OfpError("OFPBMC_BAD_MASK", `bad mask for field ${fld.name}`);
      }
      if (!isFieldValueValidNumber(fld, v)) {
        throw new OfpError("OFPBMC_BAD_VALUE", `bad value for field ${fld.name}`);
      }
      if (strict && !arePrereqsOk(m, fld)) throw prereqError(fld);
      if (!isFieldAllWild(m, fld)) throw dupError(fld);
      setFieldNumber(m, fld, v, mk);
    } else {
      if (strict && !arePrereqsOk(m, fld)) throw prereqError(fld);
      if (!isFieldAllWild(m, fld)) throw dupError(fld);
      setWideFieldFromBytes(m, fld, bytes, valueAt, hasMask);
    }
    addEthernetPrereq(m, fld);
  }
  return m;
}

function prereqError(fld: Field): OfpError {
  return new OfpError("OFPBMC_BAD_PREREQ", `prerequisites not met for ${fld.name}`);
}

function dupError(fld: Field): OfpError {
  return new OfpError("OFPBMC_DUP_FIELD", `duplicate field ${fld.name}`);
}

/**
 * nx_pull_raw: entries to a Match. `cookie` receives NXM_NX_COOKIE when given (otherwise the
 * cookie is OFPBMC_BAD_FIELD).
 */
export function pullRawMatch(
  bytes: Uint8Array,
  opts: PullOptions = {},
  cookie?: { cookie: bigint; mask: bigint },
): Match {
  return pullRange(bytes, 0, bytes.length, opts, cookie);
}

/**
 * nx_pull_match: an NXM match of `matchLen` bytes at the reader, which also skips its padding to
 * 8 (OFPBMC_BAD_LEN when the message is shorter).
 */
export function pullNxMatch(
  r: WireReader,
  matchLen: number,
  opts: PullOptions = {},
  cookie?: { cookie: bigint; mask: bigint },
): Match {
  const padded = Math.ceil(matchLen / 8) * 8;
  if (r.remaining < padded) throw new OfpError("OFPBMC_BAD_LEN", "nx_match longer than message");
  const start = r.offset;
  r.skip(padded);
  return pullRange(r.data, start, start + matchLen, opts, cookie);
}

/** oxm_pull_match: an ofp_match of type OXM at the reader, padding included. */
export function pullOxmMatch(r: WireReader, opts: PullOptions = {}): Match {
  if (r.remaining < 4) throw new OfpError("OFPBMC_BAD_LEN", "short ofp_match");
  const type = r.peekU16();
  const len = r.peekU16(2);
  if (len < 4) throw new OfpError("OFPBMC_BAD_LEN", "ofp_match length too short");
  if (type !== OFPMT_OXM) throw new OfpError("OFPBMC_BAD_TYPE", `match type ${type}`);
  const padded = Math.ceil(len / 8) * 8;
  if (r.remaining < padded) throw new OfpError("OFPBMC_BAD_LEN", "oxm longer than message");
  const start = r.offset;
  r.skip(padded);
  return pullRange(r.data, start + 4, start + len, opts, undefined);
}
