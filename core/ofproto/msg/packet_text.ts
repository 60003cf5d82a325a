// A frame as ofp-print shows it (upstream's ofp_packet_to_string): the flow the frame would
// match, formatted like a match with every field the packet determines exact (upstream's
// flow_format over flow_wildcards_init_for_packet, all-zero metadata left out), followed by the
// L4 checksum, and a newline. Used for packet-in and packet-out data.
//
// Upstream parses up to two VLAN headers here while the datapath flow layout keeps one: the
// second tag is taken out of a copy of the frame before extraction and printed where upstream
// prints it. Non-Ethernet packet types print as upstream's flow of an unparsed frame would.
// Pure: allocates its own scratch packet.

import {
  ETH_TYPE_ARP,
  ETH_TYPE_IP,
  ETH_TYPE_IPV6,
  ETH_TYPE_MPLS,
  ETH_TYPE_MPLS_MCAST,
  ETH_TYPE_RARP,
  FLOW_NW_FRAG_LATER,
  FLOW_WORDS,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_IGMP,
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
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
  W_MPLS_LSE,
  W_ND_TARGET,
  W_NW_DST,
  W_NW_MISC,
  W_NW_SRC,
  W_PACKET_TYPE,
  W_TCP_FLAGS,
  W_TP,
} from "../../datapath/flow.ts";
import { extractFlow } from "../../datapath/flow_extract.ts";
import { Packet } from "../../datapath/packet.ts";
import { formatMatch } from "../match_text.ts";
import { Match } from "../match.ts";

const PT_ETH = 0;

function isVlanType(t: number): boolean {
  return t === 0x8100 || t === 0x88a8;
}

function vlanText(index: number, tci: number): string {
  if (tci & VLAN_CFI) {
    return `dl_vlan${index}=${tci & 0xfff},dl_vlan_pcp${index}=${tci >>> 13},`;
  }
  return `vlan_tci${index}=0x${tci.toString(16).padStart(4, "0")},`;
}

/** The text of frame `data` of packet type `packetType` (upstream's ofp_packet_to_string). */
export function packetToString(data: Uint8Array, packetType = PT_ETH): string {
  // Upstream's second VLAN header: remove it from a copy so extraction sees what follows.
  let frame = data;
  let tci1: number | undefined;
  if (packetType === PT_ETH && data.length >= 18) {
    const t0 = (data[12]! << 8) | data[13]!;
    if (isVlanType(t0)) {
      tci1 = 0;
      const t1 = (data[16]! << 8) | data[17]!;
      if (isVlanType(t1) && data.length >= 22) {
        tci1 = (((data[18]! << 8) | data[19]!) | VLAN_CFI) >>> 0;
        frame = new Uint8Array(data.length - 4);
        frame.set(data.subarray(0, 16));
        frame.set(data.subarray(20), 16);
      }
    }
  }
  const packet = new Packet(frame.length + 512);
  packet.setFrame(frame);
  const m = new Match();
  const flow = m.flow;
  const mask = m.mask;
  if (packetType === PT_ETH) {
    extractFlow(packet, flow);
  } else {
    flow.fill(0);
  }
  flow[W_PACKET_TYPE] = packetType;
  mask[W_PACKET_TYPE] = 0xffffffff;
  const full = (w: number, n = 1) => {
    for (let i = 0; i < n; i++) mask[w + i] = 0xffffffff;
  };
  let dlType: number;
  if (packetType === PT_ETH) {
    full(W_DL_DST, 2);
    full(W_DL_SRC, 2);
    mask[W_DL_TYPE_VLAN] = 0xffffffff;
    dlType = flow[W_DL_TYPE_VLAN]! >>> 16;
  } else {
    dlType = packetType & 0xffff;
  }
  const nwProto = flow[W_NW_MISC]! >>> 24;
  const tpSrc = flow[W_TP]! >>> 16;
  const tpDst = flow[W_TP]! & 0xffff;
  let ipLike = false;
  if (dlType === ETH_TYPE_IP) {
    full(W_NW_SRC);
    full(W_NW_DST);
    ipLike = true;
  } else if (dlType === ETH_TYPE_IPV6) {
    full(W_IPV6_SRC, 4);
    full(W_IPV6_DST, 4);
    mask[W_IPV6_LABEL] = 0x000fffff;
    if (nwProto === IPPROTO_ICMPV6 && tpDst === 0 && (tpSrc === 135 || tpSrc === 136)) {
      full(W_ARP_SHA, 2);
      full(W_ARP_THA, 2);
      full(W_ND_TARGET, 4);
    }
    ipLike = true;
  } else if (dlType === ETH_TYPE_ARP || dlType === ETH_TYPE_RARP) {
    full(W_NW_SRC);
    full(W_NW_DST);
    mask[W_ARP_OP] = 0xffff;
    flow[W_ARP_OP] = flow[W_ARP_OP]! & 0xff;
    full(W_ARP_SHA, 2);
    full(W_ARP_THA, 2);
  } else if (dlType === ETH_TYPE_MPLS || dlType === ETH_TYPE_MPLS_MCAST) {
    full(W_MPLS_LSE);
  }
  if (ipLike) {
    mask[W_NW_MISC] = 0xffffff03;
    if (
      !(flow[W_NW_MISC]! & FLOW_NW_FRAG_LATER) &&
      [IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, IPPROTO_IGMP]
        .includes(nwProto)
    ) {
      mask[W_TP] = 0xffffffff;
      if (nwProto === IPPROTO_TCP) mask[W_TCP_FLAGS] = (mask[W_TCP_FLAGS]! | 0xfff) >>> 0;
    }
  }
  for (let i = 0; i < FLOW_WORDS; i++) flow[i] = (flow[i]! & mask[i]!) >>> 0;
  m.normalize();
  let s = formatMatch(m);
  if (tci1 !== undefined) {
    const at = s.indexOf("dl_src=");
    if (at >= 0) s = s.slice(0, at) + vlanText(1, tci1) + s.slice(at);
  }
  const l4 = packet.l4;
  const l4Size = l4 >= 0 ? packet.start + packet.length - l4 : 0;
  const b = packet.buffer;
  const hex16 = (o: number) => ((b[o]! << 8) | b[o + 1]!).toString(16);
  if (l4 >= 0) {
    if (nwProto === IPPROTO_TCP && l4Size >= 20) s += ` tcp_csum:${hex16(l4 + 16)}`;
    else if (nwProto === IPPROTO_UDP && l4Size >= 8) s += ` udp_csum:${hex16(l4 + 6)}`;
    else if (nwProto === IPPROTO_SCTP && l4Size >= 12) {
      const v = ((b[l4 + 8]! << 24) | (b[l4 + 9]! << 16) | (b[l4 + 10]! << 8) | b[l4 + 11]!) >>> 0;
      s += ` sctp_csum:${v.toString(16)}`;
    } else if (nwProto === IPPROTO_ICMP && l4Size >= 8) s += ` icmp_csum:${hex16(l4 + 2)}`;
    else if (nwProto === IPPROTO_ICMPV6 && l4Size >= 4) s += ` icmp6_csum:${hex16(l4 + 2)}`;
  }
  return s + "\n";
}
