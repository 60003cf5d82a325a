// Flow extraction: a frame and its metadata into the flow words of core/datapath/flow.ts, exactly
// as upstream's miniflow_extract (lib/flow.c) fills struct flow for an Ethernet packet with the
// switch's default vlan-limit of 1. Sets the packet's header offsets (l2_5, l3, l4) as upstream
// sets l2_5_ofs, l3_ofs and l4_ofs.
//
// Promises: never throws and never reads outside the frame, whatever the bytes; a truncated or
// malformed header stops extraction where upstream's stops, leaving later fields zero; allocates
// nothing (it runs once per packet). Knows nothing of OpenFlow, tunnels or conntrack state.

import { coverageCounter } from "../net/coverage.ts";
import {
  ETH_TYPE_ARP,
  ETH_TYPE_IP,
  ETH_TYPE_IPV6,
  ETH_TYPE_MIN,
  ETH_TYPE_MPLS,
  ETH_TYPE_MPLS_MCAST,
  ETH_TYPE_NONE,
  ETH_TYPE_RARP,
  ETH_TYPE_VLAN_8021AD,
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
  W_PKT_MARK,
  W_RECIRC_ID,
  W_SKB_PRIORITY,
  W_TCP_FLAGS,
  W_TP,
  W_VLAN_TPID,
} from "./flow.ts";
import type { Packet } from "./packet.ts";

export const IPPROTO_HOPOPTS = 0;
export const IPPROTO_ROUTING = 43;
export const IPPROTO_FRAGMENT = 44;
export const IPPROTO_AH = 51;
export const IPPROTO_DSTOPTS = 60;

export const ND_NEIGHBOR_SOLICIT = 135;
export const ND_NEIGHBOR_ADVERT = 136;
export const ND_OPT_SOURCE_LINKADDR = 1;
export const ND_OPT_TARGET_LINKADDR = 2;

const ipv4TooShort = coverageCounter("miniflow_extract_ipv4_pkt_too_short");
const ipv4LenError = coverageCounter("miniflow_extract_ipv4_pkt_len_error");
const ipv6TooShort = coverageCounter("miniflow_extract_ipv6_pkt_too_short");
const ipv6LenError = coverageCounter("miniflow_extract_ipv6_pkt_len_error");

/** Whether `type` is a VLAN TPID (802.1Q or 802.1ad). */
export function ethTypeIsVlan(type: number): boolean {
  return type === ETH_TYPE_VLAN_8021Q || type === ETH_TYPE_VLAN_8021AD;
}

export function ethTypeIsMpls(type: number): boolean {
  return type === ETH_TYPE_MPLS || type === ETH_TYPE_MPLS_MCAST;
}

/**
 * Parses `packet`'s frame into `key` (every word rewritten). The metadata words come from the
 * packet (in_port, recirc_id, dp_hash, skb_priority, pkt_mark); the rest from the bytes.
 */
export function extractFlow(packet: Packet, key: FlowWords): void {
  key.fill(0);
  key[W_IN_PORT] = packet.inPort;
  key[W_RECIRC_ID] = packet.recircId;
  key[W_DP_HASH] = packet.dpHash;
  key[W_SKB_PRIORITY] = packet.skbPriority;
  key[W_PKT_MARK] = packet.pktMark;
  packet.l2_5 = -1;
  packet.l3 = -1;
  packet.l4 = -1;

  const b = packet.buffer;
  const start = packet.start;
  let at = start;
  let end = start + packet.length;
  if (end - at < 14) return;

  key[W_DL_DST] = (b[at]! << 8) | b[at + 1]!;
  key[W_DL_DST + 1] = word(b, at + 2);
  key[W_DL_SRC] = (b[at + 6]! << 8) | b[at + 7]!;
  key[W_DL_SRC + 1] = word(b, at + 8);
  at += 12;

  // One VLAN tag at most (the default vlan-limit): a second tag's TPID becomes dl_type.
  let tci = 0;
  let type = half(b, at);
  if (ethTypeIsVlan(type) && end - at >= 6) {
    key[W_VLAN_TPID] = type;
    tci = half(b, at + 2) | VLAN_CFI;
    at += 4;
    type = half(b, at);
  }
  at += 2;
  if (type < ETH_TYPE_MIN) {
    // An 802.3 length: only an LLC/SNAP header with an Ethernet OUI carries a type.
    type = ETH_TYPE_NONE;
    if (end - at >= 8 && isSnapHeader(b, at)) {
      const snapType = half(b, at + 6);
      at += 8;
      if (snapType >= ETH_TYPE_MIN) type = snapType;
    }
  }
  key[W_DL_TYPE_VLAN] = ((type << 16) | tci) >>> 0;

  if (ethTypeIsMpls(type)) {
    packet.l2_5 = at;
    let count = 0;
    while (end - at >= 4) {
      if (count < 3) key[MPLS_LSE_WORDS[count]!] = word(b, at);
      count++;
      const bos = b[at + 2]! & 1;
      at += 4;
      if (bos) break;
    }
  }

  packet.l3 = at;
  let nwFrag = 0;
  let nwTos = 0;
  let nwTtl = 0;
  let nwProto = 0;

  if (type === ETH_TYPE_IP) {
    const size = end - at;
    if (size < 20) {
      ipv4TooShort.inc();
      return;
    }
    const ipLen = (b[at]! & 0x0f) * 4;
    if (ipLen < 20 || size < ipLen) {
      ipv4LenError.inc();
      return;
    }
    const totLen = half(b, at + 2);
    if (totLen > size || ipLen > totLen || size - totLen > 0xffff) {
      ipv4LenError.inc();
      return;
    }
    end = at + totLen; // Never parse the Ethernet padding.
    key[W_NW_SRC] = word(b, at + 12);
    key[W_NW_DST] = word(b, at + 16);
    nwTos = b[at + 1]!;
    nwTtl = b[at + 8]!;
    nwProto = b[at + 9]!;
    const fragOff = half(b, at + 6);
    if (fragOff & 0x3fff) {
      nwFrag = FLOW_NW_FRAG_ANY;
      if (fragOff & 0x1fff) nwFrag |= FLOW_NW_FRAG_LATER;
    }
    at += ipLen;
  } else if (type === ETH_TYPE_IPV6) {
    const size = end - at;
    if (size < 40) {
      ipv6TooShort.inc();
      return;
    }
    const plen = half(b, at + 4);
    if (plen + 40 > size || size - (plen + 40) > 0xffff) {
      ipv6LenError.inc();
      return;
    }
    for (let i = 0; i < 4; i++) {
      key[W_IPV6_SRC + i] = word(b, at + 8 + 4 * i);
      key[W_IPV6_DST + i] = word(b, at + 24 + 4 * i);
    }
    const tcFlow = word(b, at);
    nwTos = (tcFlow >>> 20) & 0xff;
    nwTtl = b[at + 7]!;
    nwProto = b[at + 6]!;
    at += 40;
    end = at + plen;

    // Extension headers, as upstream's parse_ipv6_ext_hdrs__.
    for (;;) {
      if (
        nwProto !== IPPROTO_HOPOPTS && nwProto !== IPPROTO_ROUTING &&
        nwProto !== IPPROTO_DSTOPTS && nwProto !== IPPROTO_AH && nwProto !== IPPROTO_FRAGMENT
      ) {
        break;
      }
      if (end - at < 8) return;
      if (nwProto === IPPROTO_FRAGMENT) {
        nwProto = b[at]!;
        const offlg = half(b, at + 2);
        at += 8;
        if (offlg !== 0) {
          nwFrag = FLOW_NW_FRAG_ANY;
          if (offlg & 0xfff8) {
            nwFrag |= FLOW_NW_FRAG_LATER;
            nwProto = IPPROTO_FRAGMENT;
            break;
          }
        }
      } else {
        const len = nwProto === IPPROTO_AH ? (b[at + 1]! + 2) * 4 : (b[at + 1]! + 1) * 8;
        nwProto = b[at]!;
        if (end - at < len) return;
        at += len;
      }
    }
    key[W_IPV6_LABEL] = tcFlow & 0x000fffff;
  } else {
    if (type === ETH_TYPE_ARP || type === ETH_TYPE_RARP) extractArp(b, at, end, key);
    return;
  }

  packet.l4 = at;
  key[W_NW_MISC] = ((nwProto << 24) | (nwTos << 16) | (nwTtl << 8) | nwFrag) >>> 0;
  if (nwFrag & FLOW_NW_FRAG_LATER) return;

  const size = end - at;
  if (nwProto === IPPROTO_TCP) {
    if (size >= 20) {
      const hdrLen = (b[at + 12]! >> 4) * 4;
      if (hdrLen >= 20 && size >= hdrLen) {
        key[W_TCP_FLAGS] = half(b, at + 12) & 0x0fff;
        key[W_TP] = word(b, at);
      }
    }
  } else if (nwProto === IPPROTO_UDP) {
    if (size >= 8) key[W_TP] = word(b, at);
  } else if (nwProto === IPPROTO_SCTP) {
    if (size >= 12) key[W_TP] = word(b, at);
  } else if (nwProto === IPPROTO_ICMP) {
    if (size >= 8) key[W_TP] = ((b[at]! << 16) | b[at + 1]!) >>> 0;
  } else if (nwProto === IPPROTO_IGMP) {
    if (size >= 8) {
      key[W_TP] = ((b[at]! << 16) | b[at + 1]!) >>> 0;
      key[W_ND_RESERVED] = word(b, at + 4);
    }
  } else if (nwProto === IPPROTO_ICMPV6) {
    if (size >= 8) extractIcmpv6(b, at, end, key);
  }
}

function isSnapHeader(b: Uint8Array, at: number): boolean {
  return b[at] === 0xaa && b[at + 1] === 0xaa && b[at + 2] === 0x03 && b[at + 3] === 0 &&
    b[at + 4] === 0 && b[at + 5] === 0;
}

function extractArp(b: Uint8Array, at: number, end: number, key: FlowWords): void {
  if (end - at < 28) return;
  if (half(b, at) !== 1 || half(b, at + 2) !== ETH_TYPE_IP || b[at + 4] !== 6 || b[at + 5] !== 4) {
    return;
  }
  key[W_NW_SRC] = word(b, at + 14);
  key[W_NW_DST] = word(b, at + 24);
  // Only the low 8 bits of the opcode are matched; a larger opcode is not recorded.
  const op = half(b, at + 6);
  if (op <= 0xff) key[W_ARP_OP] = op;
  key[W_ARP_SHA] = (b[at + 8]! << 8) | b[at + 9]!;
  key[W_ARP_SHA + 1] = word(b, at + 10);
  key[W_ARP_THA] = (b[at + 18]! << 8) | b[at + 19]!;
  key[W_ARP_THA + 1] = word(b, at + 20);
}

/** ICMPv6 type and code, and for neighbor discovery the target and link-layer options. */
function extractIcmpv6(b: Uint8Array, at: number, end: number, key: FlowWords): void {
  const icmpType = b[at]!;
  const icmpCode = b[at + 1]!;
  key[W_TP] = ((icmpType << 16) | icmpCode) >>> 0;
  if (icmpCode !== 0 || (icmpType !== ND_NEIGHBOR_SOLICIT && icmpType !== ND_NEIGHBOR_ADVERT)) {
    return;
  }
  key[W_ND_RESERVED] = word(b, at + 4);
  at += 8;
  if (end - at < 16) return;
  const target = at;
  at += 16;
  let optType = 0;
  let sll = -1;
  let tll = -1;
  let valid = true;
  while (end - at >= 8) {
    const optLen = b[at + 1]! * 8;
    if (optLen === 0 || optLen > end - at) break;
    const t = b[at]!;
    if (t === ND_OPT_SOURCE_LINKADDR && optLen === 8) {
      if (sll >= 0 && !macIsZero(b, sll)) {
        valid = false;
        break;
      }
      sll = at + 2;
      if (optType === 0) optType = t;
    } else if (t === ND_OPT_TARGET_LINKADDR && optLen === 8) {
      if (tll >= 0 && !macIsZero(b, tll)) {
        valid = false;
        break;
      }
      tll = at + 2;
      if (optType === 0) optType = t;
    }
    at += optLen;
  }
  // A repeated link-layer option drops the target and both addresses, not the options type.
  key[W_TCP_FLAGS] = optType << 16;
  if (!valid) return;
  for (let i = 0; i < 4; i++) key[W_ND_TARGET + i] = word(b, target + 4 * i);
  if (sll >= 0) {
    key[W_ARP_SHA] = (b[sll]! << 8) | b[sll + 1]!;
    key[W_ARP_SHA + 1] = word(b, sll + 2);
  }
  if (tll >= 0) {
    key[W_ARP_THA] = (b[tll]! << 8) | b[tll + 1]!;
    key[W_ARP_THA + 1] = word(b, tll + 2);
  }
}

function macIsZero(b: Uint8Array, at: number): boolean {
  return (b[at]! | b[at + 1]! | b[at + 2]! | b[at + 3]! | b[at + 4]! | b[at + 5]!) === 0;
}

function half(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}

function word(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}
