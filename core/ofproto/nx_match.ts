// Whole matches as NXM (OpenFlow 1.0 Nicira extensions) and OXM (OpenFlow 1.2 to 1.5), byte for
// byte as upstream's nx_put_raw writes them: its field order, its choice of which headers a
// version uses (NXM registers before 1.5, xregs from 1.5; vlan_vid/vlan_pcp in OXM, vlan_tci in
// NXM), its implied packet_type entry, the NXM cookie pseudo-field, and the `ofp_match` OXM
// wrapper padded to 8. Decoding applies every check nx_pull_raw makes (unknown field, duplicate,
// prerequisite, bad mask or value, lengths), each as an OfpError with upstream's name.

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
  W_NW_MISC,
  W_PACKET_TYPE,
  W_TP,
} from "../datapath/flow.ts";
import { OfpError } from "./errors.ts";
import { type Field, field, OFP15 } from "./fields.ts";
import { Match } from "./match.ts";
import { WireReader, WireWriter } from "./wire.ts";
import {
  addEthernetPrereq,
  arePrereqsOk,
  flowDlType,
  getFieldValue,
  hasDefaultPacketType,
  isFieldAllWild,
  isFieldMaskValid,
  isFieldValueValid,
  ND_NEIGHBOR_ADVERT,
  ND_NEIGHBOR_SOLICIT,
  numberToBytes,
  setFieldInMatch,
} from "./field_set.ts";
import { portToOfp11 } from "./port_text.ts";
import { NXM_NX_COOKIE, pullEntry, putEntry, putHeader, wildHeader } from "./nxm_header.ts";

// Single headers and entries live in nxm_header.ts; re-exported so one import serves both.
export * from "./nxm_header.ts";

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

/** OFPMT_OXM, the ofp_match type of OpenFlow 1.2+. */
export const OFPMT_OXM = 1;
export const OFPMT_STANDARD = 0;

class Putter {
  impliedEthernet = false;
  constructor(readonly w: WireWriter, readonly version: number) {}

  /** nxm_put__: always writes (exact unless a mask is given). */
  exact(fld: Field, value: Uint8Array): void {
    putEntry(this.w, fld, this.version, value);
    if (fld.prereq !== "none") this.impliedEthernet = true;
  }

  /** nxm_put: nothing for an all-zero mask, exact for all ones, else masked. */
  masked(fld: Field, value: Uint8Array, mask: Uint8Array): void {
    if (mask.every((b) => b === 0)) return;
    putEntry(this.w, fld, this.version, value, mask);
    if (fld.prereq !== "none") this.impliedEthernet = true;
  }

  /** A field straight from the match's words. */
  field(m: Match, fld: Field): void {
    this.masked(fld, getFieldValue(m.flow, fld), getFieldValue(m.mask, fld));
  }
}

const u8 = (v: number) => new Uint8Array([v & 0xff]);

function putIp(p: Putter, m: Match, version: number): void {
  const flow = m.flow;
  const mask = m.mask;
  if (flowDlType(flow) === ETH_TYPE_IP) {
    p.field(m, FF.ipSrc);
    p.field(m, FF.ipDst);
  } else {
    p.field(m, FF.ipv6Src);
    p.field(m, FF.ipv6Dst);
  }
  const fragMask = mask[W_NW_MISC]! & 3;
  p.masked(FF.ipFrag, u8(flow[W_NW_MISC]! & 3), u8(fragMask === 3 ? 0xff : fragMask));
  const tos = (flow[W_NW_MISC]! >>> 16) & 0xff;
  const tosMask = (mask[W_NW_MISC]! >>> 16) & 0xff;
  if (tosMask & 0xfc) {
    if (version) p.exact(FF.ipDscp, u8(tos >>> 2));
    else p.exact(FF.nwTos, u8(tos & 0xfc));
  }
  if (tosMask & 0x03) p.exact(FF.nwEcn, u8(tos & 0x03));
  if ((mask[W_NW_MISC]! >>> 8) & 0xff) p.exact(FF.nwTtl, u8(flow[W_NW_MISC]! >>> 8));
  p.field(m, FF.ipv6Label);
  if (!(mask[W_NW_MISC]! >>> 24)) return;
  const proto = flow[W_NW_MISC]! >>> 24;
  p.exact(FF.nwProto, u8(proto));
  const dlType = flowDlType(flow);
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
    if (mask[W_TP]! >>> 16) p.exact(FF.icmpType, u8(flow[W_TP]! >>> 16));
    if (mask[W_TP]! & 0xffff) p.exact(FF.icmpCode, u8(flow[W_TP]!));
  } else if (dlType === ETH_TYPE_IPV6 && proto === IPPROTO_ICMPV6) {
    if (mask[W_TP]! >>> 16) p.exact(FF.icmpv6Type, u8(flow[W_TP]! >>> 16));
    if (mask[W_TP]! & 0xffff) p.exact(FF.icmpv6Code, u8(flow[W_TP]!));
    const type = flow[W_TP]! >>> 16;
    const isNd = (flow[W_TP]! & 0xffff) === 0 &&
      (type === ND_NEIGHBOR_SOLICIT || type === ND_NEIGHBOR_ADVERT);
    if (isNd) {
      if (getFieldValue(mask, FF.ndReserved).some((b) => b)) {
        p.exact(FF.ndReserved, getFieldValue(flow, FF.ndReserved));
      }
      p.field(m, FF.ndTarget);
      if (getFieldValue(mask, FF.ndOptionsType)[0]) {
        p.exact(FF.ndOptionsType, getFieldValue(flow, FF.ndOptionsType));
      }
      if (type === ND_NEIGHBOR_SOLICIT) p.field(m, FF.ndSll);
      if (type === ND_NEIGHBOR_ADVERT) p.field(m, FF.ndTll);
    }
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
  const body = new WireWriter();
  const p = new Putter(body, version);
  const flow = m.flow;
  const mask = m.mask;

  if (mask[W_PACKET_TYPE] && !hasDefaultPacketType(m)) p.field(m, FF.packetType);
  if (mask[FF.dpHash.word]) p.field(m, FF.dpHash);
  if (mask[FF.recircId.word]) p.exact(FF.recircId, getFieldValue(flow, FF.recircId));
  if (mask[FF.conjId.word]) p.exact(FF.conjId, getFieldValue(flow, FF.conjId));
  if (mask[W_IN_PORT]! & 0xffff) {
    const port = flow[W_IN_PORT]! & 0xffff;
    if (version) p.exact(FF.inPortOxm, numberToBytes(portToOfp11(port), 4));
    else p.exact(FF.inPort, numberToBytes(port, 2));
  }
  if (mask[W_ACTSET_OUTPUT]! & 0xffff) {
    p.exact(FF.actsetOutput, numberToBytes(portToOfp11(flow[W_ACTSET_OUTPUT]! & 0xffff), 4));
  }

  p.field(m, FF.ethSrc);
  p.field(m, FF.ethDst);
  p.field(m, FF.ethType);

  const tci = flow[W_DL_TYPE_VLAN]! & 0xffff;
  const tciMask = mask[W_DL_TYPE_VLAN]! & 0xffff;
  if (version) {
    const vidCfi = VLAN_VID_MASK | VLAN_CFI;
    const vid = tci & vidCfi;
    const vidMask = tciMask & vidCfi;
    if (vidMask === vidCfi) p.exact(FF.vlanVid, numberToBytes(vid, 2));
    else if (vidMask) p.masked(FF.vlanVid, numberToBytes(vid, 2), numberToBytes(vidMask, 2));
    if (vid && tciMask >>> 13) p.exact(FF.vlanPcp, u8(tci >>> 13));
  } else {
    p.masked(FF.vlanTci, numberToBytes(tci, 2), numberToBytes(tciMask, 2));
  }

  const dlType = flowDlType(flow);
  if (dlType === ETH_TYPE_MPLS || dlType === ETH_TYPE_MPLS_MCAST) {
    const lse = flow[W_MPLS_LSE]!;
    const lseMask = mask[W_MPLS_LSE]!;
    if (lseMask & 0x00000e00) p.exact(FF.mplsTc, u8((lse >>> 9) & 7));
    if (lseMask & 0x00000100) p.exact(FF.mplsBos, u8((lse >>> 8) & 1));
    if (lseMask & 0x000000ff) p.exact(FF.mplsTtl, u8(lse & 0xff));
    if (lseMask & 0xfffff000) p.exact(FF.mplsLabel, numberToBytes(lse >>> 12, 4));
  }

  if (dlType === ETH_TYPE_IP || dlType === ETH_TYPE_IPV6) {
    putIp(p, m, version);
  } else if (dlType === ETH_TYPE_ARP || dlType === ETH_TYPE_RARP) {
    if (getFieldValue(mask, FF.arpOp).some((b) => b)) {
      p.exact(FF.arpOp, getFieldValue(flow, FF.arpOp));
    }
    p.field(m, FF.arpSpa);
    p.field(m, FF.arpTpa);
    p.field(m, FF.arpSha);
    p.field(m, FF.arpTha);
  }

  p.field(m, FF.tunId);
  p.masked(
    FF.tunFlags,
    numberToBytes(flow[FF.tunFlags.word]! & 0xffff, 2),
    numberToBytes(mask[FF.tunFlags.word]! & 0xffff, 2),
  );
  p.field(m, FF.tunSrc);
  p.field(m, FF.tunDst);
  p.field(m, FF.tunIpv6Src);
  p.field(m, FF.tunIpv6Dst);
  p.field(m, FF.tunGbpId);
  p.field(m, FF.tunGbpFlags);

  if (version < OFP15) { for (const reg of REGS) p.field(m, reg); }
  else for (const xreg of XREGS) p.field(m, xreg);

  p.field(m, FF.pktMark);
  p.field(m, FF.ctState);
  p.field(m, FF.ctZone);
  p.field(m, FF.ctMark);
  p.field(m, FF.ctLabel);
  p.field(m, FF.ctNwSrc);
  p.field(m, FF.ctIpv6Src);
  p.field(m, FF.ctNwDst);
  p.field(m, FF.ctIpv6Dst);
  if ((flow[W_CT_ZONE]! >>> 16) & 0xff) {
    p.field(m, FF.ctNwProto);
    p.field(m, FF.ctTpSrc);
    p.field(m, FF.ctTpDst);
  }
  p.field(m, FF.metadata);

  if (cookieMask) {
    const masked = BigInt.asUintN(64, cookieMask) !== (1n << 64n) - 1n;
    putHeader(body, masked ? wildHeader(NXM_NX_COOKIE) : NXM_NX_COOKIE);
    body.u64(cookie & cookieMask);
    if (masked) body.u64(cookieMask);
  }

  if (hasDefaultPacketType(m) && !p.impliedEthernet) {
    putEntry(w, FF.packetType, version, numberToBytes(flow[W_PACKET_TYPE]!, 4));
  }
  w.bytes(body.finish());
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

export interface PullOptions {
  /** Check prerequisites and refuse unknown fields (upstream's strict mode); default true. */
  strict?: boolean;
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
  const strict = opts.strict ?? true;
  const m = new Match();
  const r = new WireReader(bytes, 0, bytes.length, "OFPBMC_BAD_LEN");
  if (cookie) {
    cookie.cookie = 0n;
    cookie.mask = 0n;
  }
  while (r.remaining > 0) {
    const entry = pullEntry(r, { allowCookie: cookie !== undefined });
    const fld = entry.field;
    if (entry.unknownField) {
      if (!strict) continue;
      throw new OfpError("OFPBMC_BAD_FIELD", "unknown field in match");
    }
    if (fld) {
      if (!isFieldMaskValid(fld, entry.mask)) {
        throw new OfpError("OFPBMC_BAD_MASK", `bad mask for field ${fld.name}`);
      }
      if (!isFieldValueValid(fld, entry.value)) {
        throw new OfpError("OFPBMC_BAD_VALUE", `bad value for field ${fld.name}`);
      }
    }
    if (!fld) {
      if (!cookie) throw new OfpError("OFPBMC_BAD_FIELD", "cookie not allowed here");
      if (cookie.mask) throw new OfpError("OFPBMC_DUP_FIELD", "duplicate cookie");
      cookie.cookie = bigOf(entry.value);
      cookie.mask = bigOf(entry.mask);
      continue;
    }
    if (strict && !arePrereqsOk(m, fld)) {
      throw new OfpError("OFPBMC_BAD_PREREQ", `prerequisites not met for ${fld.name}`);
    }
    if (!isFieldAllWild(m, fld)) {
      throw new OfpError("OFPBMC_DUP_FIELD", `duplicate field ${fld.name}`);
    }
    setFieldInMatch(m, fld, entry.value, entry.mask);
    addEthernetPrereq(m, fld);
  }
  return m;
}

function bigOf(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
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
  const bytes = r.bytes(padded).subarray(0, matchLen);
  return pullRawMatch(bytes, opts, cookie);
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
  const bytes = r.bytes(padded).subarray(4, len);
  return pullRawMatch(bytes, opts);
}
