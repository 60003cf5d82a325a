// The OpenFlow 1.1 standard match (ofp11_match, 88 bytes: ofp_match header, 32-bit in_port,
// wildcard bits, Ethernet and IPv4 masks, MPLS, metadata with mask), both directions, as
// upstream's ofputil_match_from_ofp11_match / ofputil_match_to_ofp11_match, including its value
// checks (OFPBMC_BAD_VALUE for impossible VLANs, PCPs, TOS and ports, OFPBMC_BAD_FIELD for ICMP
// types above 255) and `pullOfp11Match`, which also accepts the OXM form (OpenFlow 1.2+).

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
  W_DL_TYPE_VLAN,
  W_IN_PORT,
  W_MPLS_LSE,
  W_NW_DST,
  W_NW_MISC,
  W_NW_SRC,
  W_TP,
} from "../datapath/flow.ts";
import { OfpError } from "./errors.ts";
import { field, readField, readFieldBig } from "./fields.ts";
import { Match } from "./match.ts";
import type { WireReader, WireWriter } from "./wire.ts";
import {
  numberToBytes,
  setDefaultPacketType,
  setFieldInMatch,
  setFieldValue,
} from "./field_set.ts";
import { OFPP11_MAX, OFPP_MAX, portFromOfp11Quiet, portToOfp11 } from "./port_text.ts";
import { OFPMT_OXM, OFPMT_STANDARD, type PullOptions, pullOxmMatch } from "./nx_match.ts";

export const OFPFW11_IN_PORT = 1 << 0;
export const OFPFW11_DL_VLAN = 1 << 1;
export const OFPFW11_DL_VLAN_PCP = 1 << 2;
export const OFPFW11_DL_TYPE = 1 << 3;
export const OFPFW11_NW_TOS = 1 << 4;
export const OFPFW11_NW_PROTO = 1 << 5;
export const OFPFW11_TP_SRC = 1 << 6;
export const OFPFW11_TP_DST = 1 << 7;
export const OFPFW11_MPLS_LABEL = 1 << 8;
export const OFPFW11_MPLS_TC = 1 << 9;
export const OFPFW11_ALL = (1 << 10) - 1;
export const OFPVID11_ANY = 0xfffe;
export const OFPVID11_NONE = 0xffff;
export const OFPMT11_STANDARD_LENGTH = 88;

const F = {
  ethSrc: field("eth_src"),
  ethDst: field("eth_dst"),
  ethType: field("eth_type"),
  inPort: field("in_port"),
  nwProto: field("nw_proto"),
  arpOp: field("arp_op"),
  nwTos: field("nw_tos"),
  ipSrc: field("ip_src"),
  ipDst: field("ip_dst"),
  tpSrc: field("tcp_src"),
  tpDst: field("tcp_dst"),
  icmpType: field("icmp_type"),
  icmpCode: field("icmp_code"),
  mplsLabel: field("mpls_label"),
  mplsTc: field("mpls_tc"),
  metadata: field("metadata"),
};

/** The fields of an ofp11_match as they are on the wire (masks as sent: 1 bits wildcard). */
export interface Ofp11Match {
  inPort: number;
  wildcards: number;
  dlSrc: Uint8Array;
  dlSrcMask: Uint8Array;
  dlDst: Uint8Array;
  dlDstMask: Uint8Array;
  dlVlan: number;
  dlVlanPcp: number;
  dlType: number;
  nwTos: number;
  nwProto: number;
  nwSrc: number;
  nwSrcMask: number;
  nwDst: number;
  nwDstMask: number;
  tpSrc: number;
  tpDst: number;
  mplsLabel: number;
  mplsTc: number;
  metadata: bigint;
  metadataMask: bigint;
}

/** Reads the 88-byte structure, header included (its type and length are the caller's). */
export function readOfp11Match(r: WireReader): Ofp11Match {
  r.skip(4);
  const inPort = r.u32();
  const wildcards = r.u32();
  const dlSrc = r.bytes(6).slice();
  const dlSrcMask = r.bytes(6).slice();
  const dlDst = r.bytes(6).slice();
  const dlDstMask = r.bytes(6).slice();
  const dlVlan = r.u16();
  const dlVlanPcp = r.u8();
  r.skip(1);
  const dlType = r.u16();
  const nwTos = r.u8();
  const nwProto = r.u8();
  const nwSrc = r.u32();
  const nwSrcMask = r.u32();
  const nwDst = r.u32();
  const nwDstMask = r.u32();
  const tpSrc = r.u16();
  const tpDst = r.u16();
  const mplsLabel = r.u32();
  const mplsTc = r.u8();
  r.skip(3);
  const metadata = r.u64();
  const metadataMask = r.u64();
  return {
    inPort,
    wildcards,
    dlSrc,
    dlSrcMask,
    dlDst,
    dlDstMask,
    dlVlan,
    dlVlanPcp,
    dlType,
    nwTos,
    nwProto,
    nwSrc,
    nwSrcMask,
    nwDst,
    nwDstMask,
    tpSrc,
    tpDst,
    mplsLabel,
    mplsTc,
    metadata,
    metadataMask,
  };
}

/** Writes the 88-byte structure with its OFPMT_STANDARD header. */
export function writeOfp11Match(w: WireWriter, om: Ofp11Match): void {
  w.u16(OFPMT_STANDARD).u16(OFPMT11_STANDARD_LENGTH).u32(om.inPort).u32(om.wildcards)
    .bytes(om.dlSrc).bytes(om.dlSrcMask).bytes(om.dlDst).bytes(om.dlDstMask)
    .u16(om.dlVlan).u8(om.dlVlanPcp).zeros(1).u16(om.dlType).u8(om.nwTos).u8(om.nwProto)
    .u32(om.nwSrc).u32(om.nwSrcMask).u32(om.nwDst).u32(om.nwDstMask).u16(om.tpSrc)
    .u16(om.tpDst).u32(om.mplsLabel).u8(om.mplsTc).zeros(3).u64(om.metadata)
    .u64(om.metadataMask);
}

const invert = (b: Uint8Array) => b.map((x) => ~x & 0xff);
const b4 = (v: number) => numberToBytes(v >>> 0, 4);
const b8 = (v: bigint) => {
  const out = new Uint8Array(8);
  let x = BigInt.asUintN(64, v);
  for (let i = 7; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
};

/** ofputil_match_from_ofp11_match. */
export function matchFromOfp11(om: Ofp11Match): Match {
  const wc = om.wildcards & 0xffff;
  const m = new Match();
  if (!(wc & OFPFW11_IN_PORT)) {
    const p = om.inPort >>> 0;
    if (p >= OFPP_MAX && p < OFPP11_MAX) throw new OfpError("OFPBMC_BAD_VALUE", `in_port ${p}`);
    setFieldValue(m, F.inPort, numberToBytes(portFromOfp11Quiet(p), 2));
  }
  const srcMask = invert(om.dlSrcMask);
  const dstMask = invert(om.dlDstMask);
  if (srcMask.some((b) => b) || dstMask.some((b) => b)) {
    setFieldInMatch(m, F.ethSrc, om.dlSrc, srcMask);
    setFieldInMatch(m, F.ethDst, om.dlDst, dstMask);
    setDefaultPacketType(m);
  }
  if (!(wc & OFPFW11_DL_VLAN)) {
    const w = W_DL_TYPE_VLAN;
    const setTci = (tci: number, mask: number) => {
      m.flow[w] = ((m.flow[w]! & 0xffff0000) | tci) >>> 0;
      m.mask[w] = ((m.mask[w]! & 0xffff0000) | mask) >>> 0;
    };
    if (om.dlVlan === OFPVID11_NONE) {
      setTci(0, 0xffff);
    } else {
      if (om.dlVlan === OFPVID11_ANY) setTci(VLAN_CFI, VLAN_CFI);
      else if (om.dlVlan < 4096) setTci(VLAN_CFI | om.dlVlan, VLAN_CFI | VLAN_VID_MASK);
      else throw new OfpError("OFPBMC_BAD_VALUE", `dl_vlan ${om.dlVlan}`);
      if (!(wc & OFPFW11_DL_VLAN_PCP)) {
        if (om.dlVlanPcp > 7) throw new OfpError("OFPBMC_BAD_VALUE", `dl_vlan_pcp ${om.dlVlanPcp}`);
        m.flow[w] = (m.flow[w]! | (om.dlVlanPcp << 13)) >>> 0;
        m.mask[w] = (m.mask[w]! | VLAN_PCP_MASK) >>> 0;
      }
    }
    setDefaultPacketType(m);
  }
  if (!(wc & OFPFW11_DL_TYPE)) {
    setFieldValue(m, F.ethType, numberToBytes(om.dlType, 2));
    setDefaultPacketType(m);
  }
  const dlType = m.flow[W_DL_TYPE_VLAN]! >>> 16;
  const ipv4 = dlType === ETH_TYPE_IP;
  const arp = dlType === ETH_TYPE_ARP || dlType === ETH_TYPE_RARP;
  if (ipv4 && !(wc & OFPFW11_NW_TOS)) {
    if (om.nwTos & ~0xfc) throw new OfpError("OFPBMC_BAD_VALUE", `nw_tos ${om.nwTos}`);
    setFieldValue(m, F.nwTos, new Uint8Array([om.nwTos]));
  }
  if (ipv4 || arp) {
    if (!(wc & OFPFW11_NW_PROTO)) {
      if (arp) setFieldValue(m, F.arpOp, numberToBytes(om.nwProto, 2));
      else setFieldValue(m, F.nwProto, new Uint8Array([om.nwProto]));
    }
    setMasked32(m, W_NW_SRC, om.nwSrc, ~om.nwSrcMask >>> 0);
    setMasked32(m, W_NW_DST, om.nwDst, ~om.nwDstMask >>> 0);
  }
  const tpAll = OFPFW11_TP_SRC | OFPFW11_TP_DST;
  if (ipv4 && (wc & tpAll) !== tpAll) {
    const proto = m.flow[W_NW_MISC]! >>> 24;
    if (proto === IPPROTO_ICMP) {
      if (!(wc & OFPFW11_TP_SRC)) {
        if (om.tpSrc >= 0x100) throw new OfpError("OFPBMC_BAD_FIELD", `icmp_type ${om.tpSrc}`);
        setFieldValue(m, F.icmpType, new Uint8Array([om.tpSrc]));
      }
      if (!(wc & OFPFW11_TP_DST)) {
        if (om.tpDst >= 0x100) throw new OfpError("OFPBMC_BAD_FIELD", `icmp_code ${om.tpDst}`);
        setFieldValue(m, F.icmpCode, new Uint8Array([om.tpDst]));
      }
    } else if (proto === IPPROTO_TCP || proto === IPPROTO_UDP || proto === IPPROTO_SCTP) {
      if (!(wc & OFPFW11_TP_SRC)) setFieldValue(m, F.tpSrc, numberToBytes(om.tpSrc, 2));
      if (!(wc & OFPFW11_TP_DST)) setFieldValue(m, F.tpDst, numberToBytes(om.tpDst, 2));
    }
  }
  if (dlType === ETH_TYPE_MPLS || dlType === ETH_TYPE_MPLS_MCAST) {
    if (!(wc & OFPFW11_MPLS_LABEL)) setFieldValue(m, F.mplsLabel, b4(om.mplsLabel));
    if (!(wc & OFPFW11_MPLS_TC)) setFieldValue(m, F.mplsTc, new Uint8Array([om.mplsTc]));
  }
  setFieldInMatch(m, F.metadata, b8(om.metadata), invert(b8(om.metadataMask)));
  return m;
}

function setMasked32(m: Match, word: number, value: number, mask: number): void {
  m.mask[word] = mask >>> 0;
  m.flow[word] = (value & mask) >>> 0;
}

/** ofputil_match_to_ofp11_match. */
export function matchToOfp11(m: Match): Ofp11Match {
  const flow = m.flow;
  const mask = m.mask;
  let wc = 0;
  let inPort = 0;
  if (!(mask[W_IN_PORT]! & 0xffff)) wc |= OFPFW11_IN_PORT;
  else inPort = portToOfp11(flow[W_IN_PORT]! & 0xffff);

  let dlVlan = 0;
  let dlVlanPcp = 0;
  const tci = flow[W_DL_TYPE_VLAN]! & 0xffff;
  const tciMask = mask[W_DL_TYPE_VLAN]! & 0xffff;
  if (tciMask === 0) {
    wc |= OFPFW11_DL_VLAN | OFPFW11_DL_VLAN_PCP;
  } else if (tciMask & VLAN_CFI && !(tci & VLAN_CFI)) {
    dlVlan = OFPVID11_NONE;
    wc |= OFPFW11_DL_VLAN_PCP;
  } else {
    dlVlan = tciMask & VLAN_VID_MASK ? tci & VLAN_VID_MASK : OFPVID11_ANY;
    if (!(tciMask & VLAN_PCP_MASK)) wc |= OFPFW11_DL_VLAN_PCP;
    else dlVlanPcp = tci >>> 13;
  }

  let dlType = 0;
  if (!(mask[W_DL_TYPE_VLAN]! >>> 16)) wc |= OFPFW11_DL_TYPE;
  else dlType = flow[W_DL_TYPE_VLAN]! >>> 16;

  let nwTos = 0;
  if (!(mask[W_NW_MISC]! & (0xfc << 16))) wc |= OFPFW11_NW_TOS;
  else nwTos = (flow[W_NW_MISC]! >>> 16) & 0xfc;

  const arp = (flow[W_DL_TYPE_VLAN]! >>> 16) === ETH_TYPE_ARP ||
    (flow[W_DL_TYPE_VLAN]! >>> 16) === ETH_TYPE_RARP;
  const protoMask = arp ? mask[W_ARP_OP]! & 0xffff : mask[W_NW_MISC]! >>> 24;
  let nwProto = 0;
  if (!protoMask) wc |= OFPFW11_NW_PROTO;
  else nwProto = arp ? flow[W_ARP_OP]! & 0xff : flow[W_NW_MISC]! >>> 24;

  let tpSrc = 0;
  let tpDst = 0;
  if (!(mask[W_TP]! >>> 16)) wc |= OFPFW11_TP_SRC;
  else tpSrc = flow[W_TP]! >>> 16;
  if (!(mask[W_TP]! & 0xffff)) wc |= OFPFW11_TP_DST;
  else tpDst = flow[W_TP]! & 0xffff;

  let mplsLabel = 0;
  let mplsTc = 0;
  const lse = flow[W_MPLS_LSE]!;
  const lseMask = mask[W_MPLS_LSE]!;
  if (!(lseMask & 0xfffff000)) wc |= OFPFW11_MPLS_LABEL;
  else mplsLabel = lse >>> 12;
  if (!(lseMask & 0x00000e00)) wc |= OFPFW11_MPLS_TC;
  else mplsTc = (lse >>> 9) & 7;

  return {
    inPort,
    wildcards: wc,
    dlSrc: readField(flow, F.ethSrc),
    dlSrcMask: invert(readField(mask, F.ethSrc)),
    dlDst: readField(flow, F.ethDst),
    dlDstMask: invert(readField(mask, F.ethDst)),
    dlVlan,
    dlVlanPcp,
    dlType,
    nwTos,
    nwProto,
    nwSrc: flow[W_NW_SRC]!,
    nwSrcMask: ~mask[W_NW_SRC]! >>> 0,
    nwDst: flow[W_NW_DST]!,
    nwDstMask: ~mask[W_NW_DST]! >>> 0,
    tpSrc,
    tpDst,
    mplsLabel,
    mplsTc,
    metadata: readFieldBig(flow, F.metadata),
    metadataMask: BigInt.asUintN(64, ~readFieldBig(mask, F.metadata)),
  };
}

/** Encodes `m` as an 88-byte OFPMT_STANDARD match. */
export function encodeOfp11Match(w: WireWriter, m: Match): void {
  writeOfp11Match(w, matchToOfp11(m));
}

/**
 * ofputil_pull_ofp11_match: a standard (88-byte) or OXM match at the reader, by its type;
 * returns the match and the bytes it occupied (padding included).
 */
export function pullOfp11Match(
  r: WireReader,
  opts: PullOptions = {},
): { match: Match; paddedLength: number } {
  if (r.remaining < 4) throw new OfpError("OFPBMC_BAD_LEN", "short ofp_match");
  const type = r.peekU16();
  const len = r.peekU16(2);
  if (type === OFPMT_STANDARD) {
    if (len !== OFPMT11_STANDARD_LENGTH || r.remaining < OFPMT11_STANDARD_LENGTH) {
      throw new OfpError("OFPBMC_BAD_LEN", `standard match length ${len}`);
    }
    return { match: matchFromOfp11(readOfp11Match(r)), paddedLength: len };
  }
  if (type === OFPMT_OXM) {
    const start = r.offset;
    const match = pullOxmMatch(r, opts);
    return { match, paddedLength: r.offset - start };
  }
  throw new OfpError("OFPBMC_BAD_TYPE", `match type ${type}`);
}
