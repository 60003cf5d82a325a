// In-place header rewrites on a Packet, as upstream's packets.c and odp-execute.c's set actions
// make them: Ethernet addresses, VLAN and MPLS push/pop, the MPLS label stack entry, IPv4, IPv6,
// TCP/UDP/SCTP ports, ICMP type and code, ARP and IPv6 neighbor discovery fields.
//
// Promises: checksums stay right through incremental updates (IPv4 header, TCP, UDP with a zero
// checksum left zero over IPv4, ICMPv4, ICMPv6, SCTP's CRC32c recomputed); an L4 checksum left
// pending for offload stays pending, its stored pseudo-header sum adjusted only for pseudo-header
// changes; pushes use the headroom (moving the frame only when it is used up); nothing allocates.
// Offsets (l2_5, l3, l4) must come from extractFlow on the current frame, as upstream's dp_packet
// offsets must; rewrites check bounds and skip a header the frame is too short for. The masked
// setters take (key, mask) flow words as odp-execute takes an attribute and its mask: a bit set
// in the mask takes the key's bit, the others keep the packet's (a null mask sets every field).

import {
  checksumPartial,
  crc32c,
  foldChecksum,
  pseudoHeaderIpv6,
  readU16,
  readU32,
  recalcChecksum16,
  recalcChecksum32,
  recalcPending32,
  writeU16,
  writeU32,
} from "./checksum.ts";
import {
  type FlowWords,
  IPPROTO_ICMPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  W_ARP_OP,
  W_ARP_SHA,
  W_ARP_THA,
  W_DL_DST,
  W_DL_SRC,
  W_IPV6_DST,
  W_IPV6_LABEL,
  W_IPV6_SRC,
  W_ND_RESERVED,
  W_ND_TARGET,
  W_NW_DST,
  W_NW_MISC,
  W_NW_SRC,
  W_TCP_FLAGS,
  W_TP,
} from "./flow.ts";
import {
  ethTypeIsMpls,
  ethTypeIsVlan,
  IPPROTO_AH,
  IPPROTO_DSTOPTS,
  IPPROTO_FRAGMENT,
  IPPROTO_HOPOPTS,
  IPPROTO_ROUTING,
  ND_OPT_SOURCE_LINKADDR,
  ND_OPT_TARGET_LINKADDR,
} from "./flow_extract.ts";
import { type Packet, PACKET_HEADROOM } from "./packet.ts";

const VLAN_CFI = 0x1000;
const ND_MSG_LEN = 24;

// ---------------------------------------------------------------------------------------------
// Where things are.

/** The end of the L4 data: the IP header's length, never the Ethernet padding after it. */
export function l4End(p: Packet): number {
  const frameEnd = p.start + p.length;
  if (p.l3 < 0 || p.l3 >= frameEnd) return frameEnd;
  const version = p.buffer[p.l3]! >> 4;
  if (version === 4 && p.l3 + 4 <= frameEnd) {
    return Math.min(frameEnd, p.l3 + readU16(p.buffer, p.l3 + 2));
  }
  if (version === 6 && p.l3 + 6 <= frameEnd) {
    return Math.min(frameEnd, p.l3 + 40 + readU16(p.buffer, p.l3 + 4));
  }
  return frameEnd;
}

/** Bytes of L4 data (upstream's dp_packet_l4_size), 0 without an L4 header. */
export function l4Size(p: Packet): number {
  return p.l4 < 0 ? 0 : Math.max(0, l4End(p) - p.l4);
}

/** Whether the checksum field at absolute `at` is the one a sender left pending for offload. */
function pendingAt(p: Packet, at: number): boolean {
  return p.csumStart >= 0 && p.start + p.csumStart + p.csumOffset === at;
}

/** Updates the L4 checksum at `at` for a pseudo-header (address) change of a 32-bit word. */
function l4PseudoUpdate32(p: Packet, at: number, oldValue: number, newValue: number): void {
  const b = p.buffer;
  const value = readU16(b, at);
  writeU16(
    b,
    at,
    pendingAt(p, at)
      ? recalcPending32(value, oldValue, newValue)
      : recalcChecksum32(value, oldValue, newValue),
  );
}

/** Updates the L4 checksum at `at` for a change inside the L4 data (nothing if pending). */
function l4DataUpdate16(p: Packet, at: number, oldValue: number, newValue: number): void {
  if (pendingAt(p, at)) return;
  writeU16(p.buffer, at, recalcChecksum16(readU16(p.buffer, at), oldValue, newValue));
}

// ---------------------------------------------------------------------------------------------
// Ethernet.

/** Sets the Ethernet source address (`hi`: first two bytes, `lo`: last four, as flow words). */
export function setEthSrc(p: Packet, hi: number, lo: number): void {
  if (p.length < 14) return;
  writeU16(p.buffer, p.start + 6, hi);
  writeU32(p.buffer, p.start + 8, lo);
}

export function setEthDst(p: Packet, hi: number, lo: number): void {
  if (p.length < 14) return;
  writeU16(p.buffer, p.start, hi);
  writeU32(p.buffer, p.start + 2, lo);
}

/** set(eth(src=..,dst=..)), masked or not (odp_eth_set_addrs). */
export function setEthernet(p: Packet, key: FlowWords, mask: FlowWords | null): void {
  if (p.length < 14) return;
  const b = p.buffer;
  const s = p.start;
  writeMasked16(b, s, key[W_DL_DST]!, mask ? mask[W_DL_DST]! : 0xffff);
  writeMasked32(b, s + 2, key[W_DL_DST + 1]!, mask ? mask[W_DL_DST + 1]! : 0xffffffff);
  writeMasked16(b, s + 6, key[W_DL_SRC]!, mask ? mask[W_DL_SRC]! : 0xffff);
  writeMasked32(b, s + 8, key[W_DL_SRC + 1]!, mask ? mask[W_DL_SRC + 1]! : 0xffffffff);
}

// ---------------------------------------------------------------------------------------------
// VLAN and MPLS.

/**
 * Makes at least `n` bytes of headroom, moving the frame back to the standard headroom when the
 * pushes have used it up. Returns false when the buffer has no room at all.
 */
function ensureHeadroom(p: Packet, n: number): boolean {
  if (p.start >= n) return true;
  const target = Math.max(n, PACKET_HEADROOM);
  if (target + p.length > p.buffer.length) return false;
  const shift = target - p.start;
  p.buffer.copyWithin(target, p.start, p.start + p.length);
  p.start = target;
  if (p.l2_5 >= 0) p.l2_5 += shift;
  if (p.l3 >= 0) p.l3 += shift;
  if (p.l4 >= 0) p.l4 += shift;
  return true;
}

/** Grows the frame by `n` bytes at its front, moving the first `keep` bytes back over them. */
function openFront(p: Packet, n: number, keep: number): boolean {
  if (!ensureHeadroom(p, n)) return false;
  p.buffer.copyWithin(p.start - n, p.start, p.start + keep);
  p.start -= n;
  p.length += n;
  if (p.csumStart >= 0) p.csumStart += n;
  return true;
}

/** Shrinks the frame by `n` bytes, moving the first `keep` bytes forward over them. */
function closeFront(p: Packet, n: number, keep: number): void {
  p.buffer.copyWithin(p.start + n, p.start, p.start + keep);
  p.start += n;
  p.length -= n;
  if (p.csumStart >= 0) p.csumStart -= n;
}

/** Inserts an 802.1Q/802.1ad header after the addresses (the CFI bit of `tci` is not sent). */
export function pushVlan(p: Packet, tpid: number, tci: number): boolean {
  if (p.length < 12 || !openFront(p, 4, 12)) return false;
  writeU16(p.buffer, p.start + 12, tpid);
  writeU16(p.buffer, p.start + 14, tci & ~VLAN_CFI & 0xffff);
  return true;
}

/** Removes the outermost VLAN header, if there is one (eth_pop_vlan). */
export function popVlan(p: Packet): void {
  if (p.length < 18 || !ethTypeIsVlan(readU16(p.buffer, p.start + 12))) return;
  closeFront(p, 4, 12);
}

/** Writes the Ethertype that precedes the L2.5/L3 header (upstream's set_ethertype). */
function setEthertype(p: Packet, type: number): void {
  if (p.length < 14) return;
  if (ethTypeIsVlan(readU16(p.buffer, p.start + 12))) {
    const next = p.l2_5 >= 0 ? p.l2_5 : p.l3;
    if (next - 2 >= p.start + 12) writeU16(p.buffer, next - 2, type);
  } else {
    writeU16(p.buffer, p.start + 12, type);
  }
}

/** Pushes `lse` as the outermost MPLS label, setting the Ethertype to `ethertype` (an MPLS one). */
export function pushMpls(p: Packet, ethertype: number, lse: number): boolean {
  if (!ethTypeIsMpls(ethertype) || p.l3 < p.start + 14) return false;
  if (p.l2_5 < 0) p.l2_5 = p.l3;
  setEthertype(p, ethertype);
  const l2Len = p.l2_5 - p.start;
  if (!openFront(p, 4, l2Len)) return false;
  p.l2_5 = p.start + l2Len;
  writeU32(p.buffer, p.l2_5, lse);
  return true;
}

/**
 * Pops the outermost MPLS label, setting the Ethertype to `ethertype` when it was the bottom of
 * the stack (pop_mpls).
 */
export function popMpls(p: Packet, ethertype: number): void {
  if (p.l2_5 < 0 || p.l2_5 + 4 > p.start + p.length) return;
  const l2Len = p.l2_5 - p.start;
  setEthertype(p, ethertype);
  const bos = (p.buffer[p.l2_5 + 2]! & 1) !== 0;
  closeFront(p, 4, l2Len);
  p.l2_5 = bos ? -1 : p.start + l2Len;
}

/** Sets the outermost MPLS label stack entry, under `mask` (all ones: the whole entry). */
export function setMplsLse(p: Packet, lse: number, mask = 0xffffffff): void {
  if (p.l2_5 < 0 || p.l2_5 + 4 > p.start + p.length) return;
  writeMasked32(p.buffer, p.l2_5, lse, mask);
}

// ---------------------------------------------------------------------------------------------
// IPv4.

function ipv4Ok(p: Packet): boolean {
  return p.l3 >= 0 && p.l3 + 20 <= p.start + p.length;
}

/** Changes an IPv4 address (`offset` 12 source, 16 destination) with every checksum it is in. */
function setIpv4Addr(p: Packet, offset: number, addr: number): void {
  const b = p.buffer;
  const at = p.l3 + offset;
  const old = readU32(b, at);
  addr >>>= 0;
  if (old === addr) return;
  const proto = b[p.l3 + 9]!;
  const size = l4Size(p);
  if (proto === IPPROTO_TCP && size >= 20) {
    l4PseudoUpdate32(p, p.l4 + 16, old, addr);
  } else if (proto === IPPROTO_UDP && size >= 8) {
    const csumAt = p.l4 + 6;
    if (pendingAt(p, csumAt)) {
      l4PseudoUpdate32(p, csumAt, old, addr);
    } else if (readU16(b, csumAt) !== 0) {
      // A zero UDP checksum over IPv4 means "none" and stays so; a computed 0 is sent as 0xffff.
      const sum = recalcChecksum32(readU16(b, csumAt), old, addr);
      writeU16(b, csumAt, sum === 0 ? 0xffff : sum);
    }
  }
  writeU16(b, p.l3 + 10, recalcChecksum32(readU16(b, p.l3 + 10), old, addr));
  writeU32(b, at, addr);
}

export function setIpv4Src(p: Packet, addr: number): void {
  if (ipv4Ok(p)) setIpv4Addr(p, 12, addr);
}

export function setIpv4Dst(p: Packet, addr: number): void {
  if (ipv4Ok(p)) setIpv4Addr(p, 16, addr);
}

export function setIpv4Tos(p: Packet, tos: number): void {
  if (!ipv4Ok(p)) return;
  const b = p.buffer;
  const old = b[p.l3 + 1]!;
  tos &= 0xff;
  if (old === tos) return;
  writeU16(b, p.l3 + 10, recalcChecksum16(readU16(b, p.l3 + 10), old, tos));
  b[p.l3 + 1] = tos;
}

export function setIpv4Ttl(p: Packet, ttl: number): void {
  if (!ipv4Ok(p)) return;
  const b = p.buffer;
  const old = b[p.l3 + 8]!;
  ttl &= 0xff;
  if (old === ttl) return;
  writeU16(b, p.l3 + 10, recalcChecksum16(readU16(b, p.l3 + 10), old << 8, ttl << 8));
  b[p.l3 + 8] = ttl;
}

/**
 * set(ipv4(src,dst,tos,ttl)) from flow words (W_NW_SRC, W_NW_DST, the tos and ttl bytes of
 * W_NW_MISC); masked: only fields with mask bits, each (old & ~mask) | (key & mask).
 */
export function setIpv4(p: Packet, key: FlowWords, mask: FlowWords | null): void {
  if (!ipv4Ok(p)) return;
  const b = p.buffer;
  const tos = (key[W_NW_MISC]! >>> 16) & 0xff;
  const ttl = (key[W_NW_MISC]! >>> 8) & 0xff;
  if (!mask) {
    setIpv4Addr(p, 12, key[W_NW_SRC]!);
    setIpv4Addr(p, 16, key[W_NW_DST]!);
    setIpv4Tos(p, tos);
    setIpv4Ttl(p, ttl);
    return;
  }
  const srcMask = mask[W_NW_SRC]!;
  if (srcMask) setIpv4Addr(p, 12, masked32(readU32(b, p.l3 + 12), key[W_NW_SRC]!, srcMask));
  const dstMask = mask[W_NW_DST]!;
  if (dstMask) setIpv4Addr(p, 16, masked32(readU32(b, p.l3 + 16), key[W_NW_DST]!, dstMask));
  const tosMask = (mask[W_NW_MISC]! >>> 16) & 0xff;
  if (tosMask) setIpv4Tos(p, (b[p.l3 + 1]! & ~tosMask) | (tos & tosMask));
  const ttlMask = (mask[W_NW_MISC]! >>> 8) & 0xff;
  if (ttlMask) setIpv4Ttl(p, (b[p.l3 + 8]! & ~ttlMask) | (ttl & ttlMask));
}

// ---------------------------------------------------------------------------------------------
// IPv6.

function ipv6Ok(p: Packet): boolean {
  return p.l3 >= 0 && p.l3 + 40 <= p.start + p.length;
}

/**
 * Walks the extension headers between the IPv6 header and L4 (upstream's packet_rh_present):
 * returns the terminal next header in the low byte, bit 8 set if a routing header with segments
 * left is present (then the destination address does not enter the L4 checksum), bit 9 set if
 * the L4 checksum should not be updated (a non-first fragment).
 */
function ipv6Walk(p: Packet): number {
  const b = p.buffer;
  let at = p.l3 + 40;
  const limit = p.l4 >= 0 ? p.l4 : at;
  let next = b[p.l3 + 6]!;
  let noCsum = 0;
  for (;;) {
    if (
      next !== IPPROTO_HOPOPTS && next !== IPPROTO_ROUTING && next !== IPPROTO_DSTOPTS &&
      next !== IPPROTO_AH && next !== IPPROTO_FRAGMENT
    ) {
      return next | noCsum;
    }
    if (limit - at < 8) return next | noCsum;
    let len: number;
    if (next === IPPROTO_AH) {
      len = (b[at + 1]! + 2) * 4;
    } else if (next === IPPROTO_FRAGMENT) {
      const offlg = readU16(b, at + 2);
      const firstFragment = (offlg & 0xfff8) === 0 && (offlg & 1) !== 0;
      noCsum = firstFragment ? 0 : 0x200;
      len = 8;
    } else if (next === IPPROTO_ROUTING) {
      if (b[at + 3]! > 0) return next | noCsum | 0x100;
      len = (b[at + 1]! + 1) * 8;
    } else {
      len = (b[at + 1]! + 1) * 8;
    }
    next = b[at]!;
    if (limit - at < len) return next | noCsum;
    at += len;
  }
}

/**
 * Rewrites one IPv6 address at absolute `at` from four words, updating the L4 checksum: as a
 * pseudo-header field (`inPseudo`, the IPv6 addresses) or as L4 data (the ND target).
 */
function setIpv6Addr(
  p: Packet,
  at: number,
  proto: number,
  recalc: boolean,
  inPseudo: boolean,
  words: FlowWords,
  first: number,
  mask: FlowWords | null,
): void {
  const b = p.buffer;
  const size = l4Size(p);
  let csumAt = -1;
  if (recalc) {
    if (proto === IPPROTO_TCP && size >= 20) csumAt = p.l4 + 16;
    else if (proto === IPPROTO_UDP && size >= 8) csumAt = p.l4 + 6;
    else if (proto === IPPROTO_ICMPV6 && size >= 4) csumAt = p.l4 + 2;
    // A zero UDP checksum is left alone, as upstream does.
    if (
      csumAt >= 0 && proto === IPPROTO_UDP && !pendingAt(p, csumAt) && readU16(b, csumAt) === 0
    ) {
      csumAt = -1;
    }
  }
  for (let i = 0; i < 4; i++) {
    const old = readU32(b, at + 4 * i);
    const value = mask
      ? masked32(old, words[first + i]!, mask[first + i]!)
      : words[first + i]! >>> 0;
    if (old === value) continue;
    if (csumAt >= 0 && inPseudo) {
      l4PseudoUpdate32(p, csumAt, old, value);
    } else if (csumAt >= 0) {
      l4DataUpdate16(p, csumAt, old >>> 16, value >>> 16);
      l4DataUpdate16(p, csumAt, old & 0xffff, value & 0xffff);
    }
    writeU32(b, at + 4 * i, value);
  }
  if (csumAt >= 0 && proto === IPPROTO_UDP && !pendingAt(p, csumAt) && readU16(b, csumAt) === 0) {
    writeU16(b, csumAt, 0xffff);
  }
}

/**
 * set(ipv6(src,dst,tclass,label,hlimit)) from flow words (W_IPV6_SRC, W_IPV6_DST, the tos byte
 * of W_NW_MISC as traffic class, W_IPV6_LABEL, the ttl byte as hop limit), masked or not.
 */
export function setIpv6(p: Packet, key: FlowWords, mask: FlowWords | null): void {
  if (!ipv6Ok(p)) return;
  const b = p.buffer;
  const walk = ipv6Walk(p);
  const proto = walk & 0xff;
  const recalc = (walk & 0x200) === 0;
  const routed = (walk & 0x100) !== 0;
  setIpv6Addr(p, p.l3 + 8, proto, recalc, true, key, W_IPV6_SRC, mask);
  setIpv6Addr(p, p.l3 + 24, proto, recalc && !routed, true, key, W_IPV6_DST, mask);

  const flowWord = readU32(b, p.l3);
  const oldTc = (flowWord >>> 20) & 0xff;
  const oldLabel = flowWord & 0xfffff;
  const tc = (key[W_NW_MISC]! >>> 16) & 0xff;
  const label = key[W_IPV6_LABEL]! & 0xfffff;
  const hlimit = (key[W_NW_MISC]! >>> 8) & 0xff;
  const tcMask = mask ? (mask[W_NW_MISC]! >>> 16) & 0xff : 0xff;
  const labelMask = mask ? mask[W_IPV6_LABEL]! & 0xfffff : 0xfffff;
  const hlMask = mask ? (mask[W_NW_MISC]! >>> 8) & 0xff : 0xff;
  const newTc = (oldTc & ~tcMask) | (tc & tcMask);
  const newLabel = (oldLabel & ~labelMask) | (label & labelMask);
  writeU32(b, p.l3, ((flowWord & 0xf0000000) | (newTc << 20) | newLabel) >>> 0);
  b[p.l3 + 7] = (b[p.l3 + 7]! & ~hlMask) | (hlimit & hlMask);
}

// ---------------------------------------------------------------------------------------------
// Transport ports, ICMP.

function tcpOk(p: Packet): boolean {
  const size = l4Size(p);
  if (size < 20) return false;
  const len = (p.buffer[p.l4 + 12]! >> 4) * 4;
  return len >= 20 && len <= size;
}

function setPort(p: Packet, at: number, port: number, csumAt: number): void {
  const old = readU16(p.buffer, at);
  port &= 0xffff;
  if (old === port) return;
  if (csumAt >= 0) l4DataUpdate16(p, csumAt, old, port);
  writeU16(p.buffer, at, port);
}

export function setTcpPorts(p: Packet, src: number, dst: number): void {
  if (!tcpOk(p)) return;
  setPort(p, p.l4, src, p.l4 + 16);
  setPort(p, p.l4 + 2, dst, p.l4 + 16);
}

export function setUdpPorts(p: Packet, src: number, dst: number): void {
  if (l4Size(p) < 8) return;
  const csumAt = p.l4 + 6;
  if (pendingAt(p, csumAt)) {
    setPort(p, p.l4, src, csumAt);
    setPort(p, p.l4 + 2, dst, csumAt);
  } else if (readU16(p.buffer, csumAt) !== 0) {
    setPort(p, p.l4, src, csumAt);
    setPort(p, p.l4 + 2, dst, csumAt);
    if (readU16(p.buffer, csumAt) === 0) writeU16(p.buffer, csumAt, 0xffff);
  } else {
    setPort(p, p.l4, src, -1);
    setPort(p, p.l4 + 2, dst, -1);
  }
}

/** Sets SCTP ports, keeping the CRC32c as right (or as wrong) as it was, as upstream does. */
export function setSctpPorts(p: Packet, src: number, dst: number): void {
  if (l4Size(p) < 12) return;
  const b = p.buffer;
  const end = p.l4 + l4Size(p);
  if (p.csumStart >= 0) {
    writeU16(b, p.l4, src);
    writeU16(b, p.l4 + 2, dst);
    return;
  }
  const oldCsum = readU32(b, p.l4 + 8);
  writeU32(b, p.l4 + 8, 0);
  const oldCorrect = crc32c(b, p.l4, end);
  writeU16(b, p.l4, src);
  writeU16(b, p.l4 + 2, dst);
  const newCorrect = crc32c(b, p.l4, end);
  writeU32(b, p.l4 + 8, (oldCsum ^ oldCorrect ^ newCorrect) >>> 0);
}

/** set(tcp/udp/sctp(src,dst)) from W_TP, masked or not. */
export function setTcp(p: Packet, key: FlowWords, mask: FlowWords | null): void {
  if (!tcpOk(p)) return;
  const ports = maskedPortsWord(p, key, mask);
  setTcpPorts(p, ports >>> 16, ports & 0xffff);
}

export function setUdp(p: Packet, key: FlowWords, mask: FlowWords | null): void {
  if (l4Size(p) < 8) return;
  const ports = maskedPortsWord(p, key, mask);
  setUdpPorts(p, ports >>> 16, ports & 0xffff);
}

export function setSctp(p: Packet, key: FlowWords, mask: FlowWords | null): void {
  if (l4Size(p) < 12) return;
  const ports = maskedPortsWord(p, key, mask);
  setSctpPorts(p, ports >>> 16, ports & 0xffff);
}

function maskedPortsWord(p: Packet, key: FlowWords, mask: FlowWords | null): number {
  const old = readU32(p.buffer, p.l4);
  return mask ? masked32(old, key[W_TP]!, mask[W_TP]!) : key[W_TP]! >>> 0;
}

/** Sets ICMP (v4 or v6) type and code (packet_set_icmp). */
export function setIcmpTypeCode(p: Packet, type: number, code: number): void {
  if (l4Size(p) < 8) return;
  const b = p.buffer;
  const old = readU16(b, p.l4);
  const value = ((type & 0xff) << 8) | (code & 0xff);
  if (old === value) return;
  writeU16(b, p.l4, value);
  l4DataUpdate16(p, p.l4 + 2, old, value);
}

/** set(icmp(type,code)) or set(icmpv6(..)) from W_TP (type in tp_src, code in tp_dst). */
export function setIcmp(p: Packet, key: FlowWords): void {
  setIcmpTypeCode(p, (key[W_TP]! >>> 16) & 0xff, key[W_TP]! & 0xff);
}

// ---------------------------------------------------------------------------------------------
// ARP, ND.

/**
 * set(arp(sip,tip,op,sha,tha)) from flow words (W_NW_SRC, W_NW_DST, W_ARP_OP, W_ARP_SHA,
 * W_ARP_THA), masked or not (upstream's set_arp).
 */
export function setArp(p: Packet, key: FlowWords, mask: FlowWords | null): void {
  if (p.l3 < 0 || p.l3 + 28 > p.start + p.length) return;
  const b = p.buffer;
  const a = p.l3;
  writeMasked16(b, a + 6, key[W_ARP_OP]!, mask ? mask[W_ARP_OP]! : 0xffff);
  writeMasked16(b, a + 8, key[W_ARP_SHA]!, mask ? mask[W_ARP_SHA]! : 0xffff);
  writeMasked32(b, a + 10, key[W_ARP_SHA + 1]!, mask ? mask[W_ARP_SHA + 1]! : 0xffffffff);
  writeMasked32(b, a + 14, key[W_NW_SRC]!, mask ? mask[W_NW_SRC]! : 0xffffffff);
  writeMasked16(b, a + 18, key[W_ARP_THA]!, mask ? mask[W_ARP_THA]! : 0xffff);
  writeMasked32(b, a + 20, key[W_ARP_THA + 1]!, mask ? mask[W_ARP_THA + 1]! : 0xffffffff);
  writeMasked32(b, a + 24, key[W_NW_DST]!, mask ? mask[W_NW_DST]! : 0xffffffff);
}

/**
 * set(nd(target,sll,tll)): the target (its checksum updated) and the first source or target
 * link-layer option (upstream's packet_set_nd and odp_set_nd, including their option walk).
 */
export function setNd(p: Packet, key: FlowWords, mask: FlowWords | null): void {
  const size = l4Size(p);
  if (size < ND_MSG_LEN) return;
  const b = p.buffer;
  const l4 = p.l4;
  const end = l4 + size;
  setIpv6Addr(p, l4 + 8, IPPROTO_ICMPV6, true, false, key, W_ND_TARGET, mask);
  let opt = l4 + ND_MSG_LEN;
  let remain = size - ND_MSG_LEN;
  while (remain >= 8 && opt + 8 <= end && b[opt + 1] !== 0) {
    const type = b[opt]!;
    const len = b[opt + 1]!;
    if ((type === ND_OPT_SOURCE_LINKADDR || type === ND_OPT_TARGET_LINKADDR) && len === 1) {
      const w = type === ND_OPT_SOURCE_LINKADDR ? W_ARP_SHA : W_ARP_THA;
      const hi = readU16(b, opt + 2);
      const lo = readU32(b, opt + 4);
      const newHi = mask ? masked16(hi, key[w]!, mask[w]!) : key[w]! & 0xffff;
      const newLo = mask ? masked32(lo, key[w + 1]!, mask[w + 1]!) : key[w + 1]! >>> 0;
      if (hi !== newHi || lo !== newLo) {
        l4DataUpdate16(p, l4 + 2, hi, newHi);
        l4DataUpdate16(p, l4 + 2, lo >>> 16, newLo >>> 16);
        l4DataUpdate16(p, l4 + 2, lo & 0xffff, newLo & 0xffff);
        writeU16(b, opt + 2, newHi);
        writeU32(b, opt + 4, newLo);
      }
      break;
    }
    // Upstream steps by this option's length but counts down by the next one's.
    opt += len * 8;
    if (opt + 2 > end) break;
    remain -= b[opt + 1]! * 8;
  }
}

/**
 * set(nd_ext(nd_reserved,nd_options_type)): the reserved word and the first option's type
 * (from W_ND_RESERVED and bits 16-23 of W_TCP_FLAGS), then the ICMPv6 checksum recomputed
 * (left alone when pending), as upstream's packet_set_nd_ext.
 */
export function setNdExt(p: Packet, key: FlowWords, mask: FlowWords | null): void {
  const size = l4Size(p);
  if (size < ND_MSG_LEN) return;
  const b = p.buffer;
  const l4 = p.l4;
  const optType = (key[W_TCP_FLAGS]! >>> 16) & 0xff;
  if (!mask || mask[W_ND_RESERVED]) writeU32(b, l4 + 4, key[W_ND_RESERVED]!);
  if ((!mask || (mask[W_TCP_FLAGS]! >>> 16) & 0xff) && l4 + ND_MSG_LEN < p.start + p.length) {
    b[l4 + ND_MSG_LEN] = optType;
  }
  if (pendingAt(p, l4 + 2)) return;
  writeU16(b, l4 + 2, 0);
  const plen = readU16(b, p.l3 + 4);
  const pseudo = pseudoHeaderIpv6(b, p.l3, IPPROTO_ICMPV6, plen);
  writeU16(b, l4 + 2, foldChecksum(checksumPartial(b, l4, l4 + size, pseudo)));
}

// ---------------------------------------------------------------------------------------------
// Bits.

function masked32(old: number, value: number, mask: number): number {
  return ((old & ~mask) | (value & mask)) >>> 0;
}

function masked16(old: number, value: number, mask: number): number {
  return ((old & ~mask) | (value & mask)) & 0xffff;
}

function writeMasked16(b: Uint8Array, at: number, value: number, mask: number): void {
  writeU16(b, at, masked16(readU16(b, at), value, mask));
}

function writeMasked32(b: Uint8Array, at: number, value: number, mask: number): void {
  writeU32(b, at, masked32(readU32(b, at), value, mask));
}
