// Frame composition: the frame that flow extraction would parse back into the given flow words,
// as upstream's flow_compose and packet_expand (lib/flow.c) build it for `netdev-dummy/receive
// PORT FLOW` and `ofproto/trace`'s generated packets. Lengths and checksums (IPv4 header, TCP,
// UDP, ICMP, IGMP, ICMPv6) are right; fields the flow does not describe are zero; the payload is
// the bytes 0, 1, 2, ... as upstream's, only where upstream puts one.
//
// Promises: writes into a caller's Packet (frame at the standard headroom, header offsets set,
// metadata untouched) and allocates nothing. Does not validate the flow: a flow that no frame
// could produce gives the same best-effort frame upstream gives.

import {
  checksumPartial,
  foldChecksum,
  internetChecksum,
  ipv4HeaderChecksum,
  pseudoHeaderIpv4,
  pseudoHeaderIpv6,
  writeU16,
  writeU32,
} from "./checksum.ts";
import {
  ETH_TYPE_ARP,
  ETH_TYPE_IP,
  ETH_TYPE_IPV6,
  ETH_TYPE_NONE,
  ETH_TYPE_RARP,
  ETH_TYPE_VLAN_8021Q,
  FLOW_NW_FRAG_ANY,
  FLOW_NW_FRAG_LATER,
  type FlowWords,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_IGMP,
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  MPLS_LSE_WORDS,
  VLAN_CFI,
  W_ARP_OP,
  W_ARP_SHA,
  W_ARP_THA,
  W_DL_DST,
  W_DL_SRC,
  W_DL_TYPE_VLAN,
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
  W_VLAN_TPID,
} from "./flow.ts";
import { ethTypeIsMpls, ND_NEIGHBOR_ADVERT, ND_NEIGHBOR_SOLICIT } from "./flow_extract.ts";
import { type Packet, PACKET_HEADROOM } from "./packet.ts";
import { pushMpls, pushVlan } from "./packet_edit.ts";

/** Upstream's minimum Ethernet frame without FCS (ETH_TOTAL_MIN). */
export const ETH_TOTAL_MIN = 60;
/** The payload length netdev-dummy/receive gives a frame composed from a flow without --len. */
export const DEFAULT_L7_LENGTH = 64;

const TCP_FIN = 0x001;
const TCP_SYN = 0x002;
const TCP_RST = 0x004;
const ICMP4_ECHO_REPLY = 0;
const ICMP4_ECHO_REQUEST = 8;
const ICMP6_ECHO_REQUEST = 128;
const ICMP6_ECHO_REPLY = 129;
const MPLS_BOS = 0x100;

/**
 * Composes into `packet` a frame for `flow` with an L7 payload of `l7Length` bytes where the
 * protocol carries one (upstream's flow_compose with a null l7).
 */
export function composeFlow(packet: Packet, flow: FlowWords, l7Length = 0): void {
  const b = packet.buffer;
  packet.start = PACKET_HEADROOM;
  packet.length = 0;
  packet.l2_5 = -1;
  packet.l3 = -1;
  packet.l4 = -1;
  const s = packet.start;
  const dlType = flow[W_DL_TYPE_VLAN]! >>> 16;
  const tci = flow[W_DL_TYPE_VLAN]! & 0xffff;

  writeU16(b, s, flow[W_DL_DST]!);
  writeU32(b, s + 2, flow[W_DL_DST + 1]!);
  writeU16(b, s + 6, flow[W_DL_SRC]!);
  writeU32(b, s + 8, flow[W_DL_SRC + 1]!);
  writeU16(b, s + 12, dlType);
  packet.length = 14;
  packet.l3 = s + 14;
  if (dlType === ETH_TYPE_NONE) {
    writeU16(b, s + 12, packet.length);
    return;
  }
  if (tci & VLAN_CFI) pushVlan(packet, flow[W_VLAN_TPID]! || ETH_TYPE_VLAN_8021Q, tci);

  const misc = flow[W_NW_MISC]!;
  const nwProto = misc >>> 24;
  const nwTos = (misc >>> 16) & 0xff;
  const nwTtl = (misc >>> 8) & 0xff;
  const nwFrag = misc & 0xff;
  const l3 = packet.l3;

  if (dlType === ETH_TYPE_IP) {
    b.fill(0, l3, l3 + 20);
    b[l3] = 0x45;
    b[l3 + 1] = nwTos;
    b[l3 + 8] = nwTtl;
    b[l3 + 9] = nwProto;
    writeU32(b, l3 + 12, flow[W_NW_SRC]!);
    writeU32(b, l3 + 16, flow[W_NW_DST]!);
    if (nwFrag & FLOW_NW_FRAG_ANY) {
      writeU16(b, l3 + 6, nwFrag & FLOW_NW_FRAG_LATER ? 0x2000 | 100 : 0x2000);
    }
    packet.length += 20;
    packet.l4 = l3 + 20;
    const l4Length = composeL4(packet, flow, l7Length);
    writeU16(b, l3 + 2, 20 + l4Length);
    writeU16(b, l3 + 10, ipv4HeaderChecksum(b, l3));
    composeL4Checksum(packet, flow);
  } else if (dlType === ETH_TYPE_IPV6) {
    b.fill(0, l3, l3 + 40);
    writeU32(b, l3, ((6 << 28) | (nwTos << 20) | (flow[W_IPV6_LABEL]! & 0xfffff)) >>> 0);
    b[l3 + 6] = nwProto;
    b[l3 + 7] = nwTtl;
    for (let i = 0; i < 4; i++) {
      writeU32(b, l3 + 8 + 4 * i, flow[W_IPV6_SRC + i]!);
      writeU32(b, l3 + 24 + 4 * i, flow[W_IPV6_DST + i]!);
    }
    packet.length += 40;
    packet.l4 = l3 + 40;
    const l4Length = composeL4(packet, flow, l7Length);
    writeU16(b, l3 + 4, l4Length);
    composeL4Checksum(packet, flow);
  } else if (dlType === ETH_TYPE_ARP || dlType === ETH_TYPE_RARP) {
    b.fill(0, l3, l3 + 28);
    writeU16(b, l3, 1);
    writeU16(b, l3 + 2, ETH_TYPE_IP);
    b[l3 + 4] = 6;
    b[l3 + 5] = 4;
    const op = flow[W_ARP_OP]! & 0xffff;
    writeU16(b, l3 + 6, op);
    if (op === 1 || op === 2) {
      writeU16(b, l3 + 8, flow[W_ARP_SHA]!);
      writeU32(b, l3 + 10, flow[W_ARP_SHA + 1]!);
      writeU32(b, l3 + 14, flow[W_NW_SRC]!);
      writeU16(b, l3 + 18, flow[W_ARP_THA]!);
      writeU32(b, l3 + 20, flow[W_ARP_THA + 1]!);
      writeU32(b, l3 + 24, flow[W_NW_DST]!);
    }
    packet.length += 28;
  }

  if (ethTypeIsMpls(dlType)) {
    // Entries up to the bottom of stack, or all three; pushed innermost first.
    let n = 1;
    for (; n < 3; n++) if (flow[MPLS_LSE_WORDS[n - 1]!]! & MPLS_BOS) break;
    while (n > 0) pushMpls(packet, dlType, flow[MPLS_LSE_WORDS[--n]!]!);
  }
}

/** Appends the L4 header (and payload) at packet.l4; returns the L4 length. */
function composeL4(packet: Packet, flow: FlowWords, l7Length: number): number {
  const b = packet.buffer;
  const l4 = packet.l4;
  const frag = flow[W_NW_MISC]! & 0xff;
  if ((frag & FLOW_NW_FRAG_ANY) && (frag & FLOW_NW_FRAG_LATER)) return 0;
  const proto = flow[W_NW_MISC]! >>> 24;
  const tpSrc = flow[W_TP]! >>> 16;
  const tpDst = flow[W_TP]! & 0xffff;
  const before = packet.length;

  if (proto === IPPROTO_TCP) {
    b.fill(0, l4, l4 + 20);
    writeU16(b, l4, tpSrc);
    writeU16(b, l4 + 2, tpDst);
    const flags = flow[W_TCP_FLAGS]! & 0x0fff;
    writeU16(b, l4 + 12, flags | (5 << 12));
    packet.length += 20;
    if (!(flags & (TCP_SYN | TCP_FIN | TCP_RST))) appendPayload(packet, l7Length);
  } else if (proto === IPPROTO_UDP) {
    b.fill(0, l4, l4 + 8);
    writeU16(b, l4, tpSrc);
    writeU16(b, l4 + 2, tpDst);
    writeU16(b, l4 + 4, 8 + l7Length);
    packet.length += 8;
    appendPayload(packet, l7Length);
  } else if (proto === IPPROTO_SCTP) {
    b.fill(0, l4, l4 + 12);
    writeU16(b, l4, tpSrc);
    writeU16(b, l4 + 2, tpDst);
    packet.length += 12;
  } else if (proto === IPPROTO_ICMP) {
    b.fill(0, l4, l4 + 8);
    const type = tpSrc & 0xff;
    const code = tpDst & 0xff;
    b[l4] = type;
    b[l4 + 1] = code;
    packet.length += 8;
    if ((type === ICMP4_ECHO_REQUEST || type === ICMP4_ECHO_REPLY) && code === 0) {
      appendPayload(packet, l7Length);
    }
  } else if (proto === IPPROTO_IGMP) {
    b.fill(0, l4, l4 + 8);
    b[l4] = tpSrc & 0xff;
    b[l4 + 1] = tpDst & 0xff;
    writeU32(b, l4 + 4, flow[W_ND_RESERVED]!);
    packet.length += 8;
  } else if (proto === IPPROTO_ICMPV6) {
    b.fill(0, l4, l4 + 8);
    const type = tpSrc & 0xff;
    const code = tpDst & 0xff;
    b[l4] = type;
    b[l4 + 1] = code;
    writeU32(b, l4 + 4, flow[W_ND_RESERVED]!);
    packet.length += 8;
    if (code === 0 && (type === ND_NEIGHBOR_SOLICIT || type === ND_NEIGHBOR_ADVERT)) {
      let at = l4 + 8;
      for (let i = 0; i < 4; i++) writeU32(b, at + 4 * i, flow[W_ND_TARGET + i]!);
      at += 16;
      packet.length += 16;
      at = appendLinkLayerOption(packet, at, 1, flow, W_ARP_SHA);
      appendLinkLayerOption(packet, at, 2, flow, W_ARP_THA);
    } else if (code === 0 && (type === ICMP6_ECHO_REQUEST || type === ICMP6_ECHO_REPLY)) {
      appendPayload(packet, l7Length);
    }
  }
  return packet.length - before;
}

/** Appends an ND link-layer address option unless the address is zero; returns the new end. */
function appendLinkLayerOption(
  packet: Packet,
  at: number,
  type: number,
  flow: FlowWords,
  w: number,
): number {
  if ((flow[w]! | flow[w + 1]!) === 0) return at;
  const b = packet.buffer;
  b[at] = type;
  b[at + 1] = 1;
  writeU16(b, at + 2, flow[w]!);
  writeU32(b, at + 4, flow[w + 1]!);
  packet.length += 8;
  return at + 8;
}

function appendPayload(packet: Packet, n: number): void {
  const b = packet.buffer;
  const at = packet.start + packet.length;
  for (let i = 0; i < n; i++) b[at + i] = i & 0xff;
  packet.length += n;
}

/** Fills the L4 checksum for the frame as it now is (upstream's flow_compose_l4_csum). */
function composeL4Checksum(packet: Packet, flow: FlowWords): void {
  const b = packet.buffer;
  const frag = flow[W_NW_MISC]! & 0xff;
  if ((frag & FLOW_NW_FRAG_ANY) && (frag & FLOW_NW_FRAG_LATER)) return;
  const proto = flow[W_NW_MISC]! >>> 24;
  const l3 = packet.l3;
  const l4 = packet.l4;
  const end = packet.start + packet.length;
  const l4Length = end - l4;
  const isIpv6 = (flow[W_DL_TYPE_VLAN]! >>> 16) === ETH_TYPE_IPV6;
  // Upstream takes the pseudo-header length from the IP header, as composed.
  const headerLength = isIpv6 ? (b[l3 + 4]! << 8) | b[l3 + 5]! : ((b[l3 + 2]! << 8) | b[l3 + 3]!) -
    20;
  const pseudo = isIpv6
    ? pseudoHeaderIpv6(b, l3, proto, headerLength)
    : pseudoHeaderIpv4(b, l3, proto, headerLength);

  if (proto === IPPROTO_TCP && l4Length >= 20) {
    writeU16(b, l4 + 16, 0);
    writeU16(b, l4 + 16, foldChecksum(checksumPartial(b, l4, end, pseudo)));
  } else if (proto === IPPROTO_UDP && l4Length >= 8) {
    writeU16(b, l4 + 6, 0);
    const sum = foldChecksum(checksumPartial(b, l4, end, pseudo));
    writeU16(b, l4 + 6, sum === 0 ? 0xffff : sum);
  } else if ((proto === IPPROTO_ICMP || proto === IPPROTO_IGMP) && l4Length >= 8) {
    writeU16(b, l4 + 2, 0);
    writeU16(b, l4 + 2, internetChecksum(b, l4, end));
  } else if (proto === IPPROTO_ICMPV6 && l4Length >= 8) {
    writeU16(b, l4 + 2, 0);
    writeU16(b, l4 + 2, foldChecksum(checksumPartial(b, l4, end, pseudo)));
  }
}

/**
 * Pads a composed frame with zeros to `size` bytes (more than its length), fixing the IP and
 * UDP lengths and the checksums as upstream's packet_expand does (including its UDP length,
 * which counts the padding twice).
 */
export function expandComposed(packet: Packet, flow: FlowWords, size: number): void {
  const extra = size - packet.length;
  if (extra <= 0) return;
  const b = packet.buffer;
  b.fill(0, packet.start + packet.length, packet.start + size);
  packet.length = size;
  const dlType = flow[W_DL_TYPE_VLAN]! >>> 16;
  if (dlType === ETH_TYPE_NONE) {
    writeU16(b, packet.start + 12, size);
    return;
  }
  if (dlType !== ETH_TYPE_IP && dlType !== ETH_TYPE_IPV6) return;
  const l3 = packet.l3;
  const l4 = packet.l4;
  const l4Length = packet.start + packet.length - l4;
  if (dlType === ETH_TYPE_IP) {
    writeU16(b, l3 + 2, l4 - l3 + l4Length);
    writeU16(b, l3 + 10, 0);
    writeU16(b, l3 + 10, ipv4HeaderChecksum(b, l3));
  } else {
    writeU16(b, l3 + 4, l4Length);
  }
  const frag = flow[W_NW_MISC]! & 0xff;
  const later = (frag & FLOW_NW_FRAG_ANY) && (frag & FLOW_NW_FRAG_LATER);
  if (!later && flow[W_NW_MISC]! >>> 24 === IPPROTO_UDP) {
    writeU16(b, l4 + 4, l4Length + extra);
  }
  composeL4Checksum(packet, flow);
}

/**
 * The frame netdev-dummy/receive makes from a parsed flow: with no requested length, the flow's
 * frame with the default 64-byte payload; with one, the frame without payload padded to it.
 * Returns false when the frame is already longer than the requested length (upstream then
 * receives nothing).
 */
export function composeForLength(packet: Packet, flow: FlowWords, length?: number): boolean {
  if (length === undefined || length === 0) {
    composeFlow(packet, flow, DEFAULT_L7_LENGTH);
    return true;
  }
  composeFlow(packet, flow, 0);
  if (packet.length > length) return false;
  expandComposed(packet, flow, length);
  return true;
}
