// Conversions between set(...) key attributes and flow words: `keyAttrFromFlow` builds the
// attribute the slow path sets from a flow and a mask (upstream's get_*_key helpers, as
// commit_odp_actions uses them); `keyAttrToFlow` gives the flow-word form packet_edit's setters
// take. Both follow core/datapath/flow.ts's layout; nothing else.

import {
  FLOW_WORDS,
  type FlowWords,
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
  W_MPLS_LSE,
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
} from "./flow.ts";
import {
  type BytesAttrName,
  type BytesKeyAttr,
  newKeyAttr,
  readBytesBE,
  writeBytesBE,
} from "./odp_key_attr.ts";
function putWordBytes(out: Uint8Array, offset: number, flow: FlowWords, word: number, n: number) {
  for (let i = 0; i < n; i++) writeBytesBE(out, offset + 4 * i, 4, flow[word + i]!);
}

function putMac(out: Uint8Array, offset: number, flow: FlowWords, word: number): void {
  const hi = flow[word]!;
  const lo = flow[word + 1]!;
  out[offset] = (hi >>> 8) & 0xff;
  out[offset + 1] = hi & 0xff;
  writeBytesBE(out, offset + 2, 4, lo);
}

function fillFromFlow(name: BytesAttrName, out: Uint8Array, flow: FlowWords, isMask: boolean) {
  const misc = flow[W_NW_MISC]!;
  switch (name) {
    case "skb_priority":
      return writeBytesBE(out, 0, 4, flow[W_SKB_PRIORITY]!);
    case "skb_mark":
      return writeBytesBE(out, 0, 4, flow[W_PKT_MARK]!);
    case "eth":
      putMac(out, 0, flow, W_DL_SRC);
      return putMac(out, 6, flow, W_DL_DST);
    case "vlan":
      return writeBytesBE(out, 0, 2, flow[W_DL_TYPE_VLAN]! & 0xffff);
    case "mpls":
      return writeBytesBE(out, 0, 4, flow[W_MPLS_LSE]!);
    case "ipv4":
      writeBytesBE(out, 0, 4, flow[W_NW_SRC]!);
      writeBytesBE(out, 4, 4, flow[W_NW_DST]!);
      out[8] = misc >>> 24;
      out[9] = (misc >>> 16) & 0xff;
      out[10] = (misc >>> 8) & 0xff;
      out[11] = fragToOdp(misc & 0xff, isMask);
      return;
    case "ipv6":
      putWordBytes(out, 0, flow, W_IPV6_SRC, 4);
      putWordBytes(out, 16, flow, W_IPV6_DST, 4);
      writeBytesBE(out, 32, 4, flow[W_IPV6_LABEL]! & 0xfffff);
      out[36] = misc >>> 24;
      out[37] = (misc >>> 16) & 0xff;
      out[38] = (misc >>> 8) & 0xff;
      out[39] = fragToOdp(misc & 0xff, isMask);
      return;
    case "tcp":
    case "udp":
    case "sctp":
      return writeBytesBE(out, 0, 4, flow[W_TP]!);
    case "icmp":
    case "icmpv6":
      out[0] = (flow[W_TP]! >>> 16) & 0xff;
      out[1] = flow[W_TP]! & 0xff;
      return;
    case "arp":
      writeBytesBE(out, 0, 4, flow[W_NW_SRC]!);
      writeBytesBE(out, 4, 4, flow[W_NW_DST]!);
      writeBytesBE(out, 8, 2, flow[W_ARP_OP]! & 0xffff);
      putMac(out, 10, flow, W_ARP_SHA);
      return putMac(out, 16, flow, W_ARP_THA);
    case "nd":
      putWordBytes(out, 0, flow, W_ND_TARGET, 4);
      putMac(out, 16, flow, W_ARP_SHA);
      return putMac(out, 22, flow, W_ARP_THA);
    default:
      throw new RangeError(`no flow mapping for set(${name}(...))`);
  }
}

function fragToOdp(nwFrag: number, isMask: boolean): number {
  if (isMask) return nwFrag ? 0xff : 0;
  if (!(nwFrag & 1)) return 0;
  return nwFrag & 2 ? 2 : 1;
}

/**
 * The `name` attribute holding `flow`'s values under `mask` (upstream's get_*_key helpers): the
 * slow path builds set/set-masked actions from what it changed. Without a mask, exact.
 */
export function keyAttrFromFlow(
  name: BytesAttrName,
  flow: FlowWords,
  mask?: FlowWords,
): BytesKeyAttr {
  const attr = newKeyAttr(name);
  fillFromFlow(name, attr.key, flow, false);
  if (mask) {
    fillFromFlow(name, attr.mask, mask, true);
    for (let i = 0; i < attr.key.length; i++) attr.key[i] = attr.key[i]! & attr.mask[i]!;
  } else {
    attr.mask.fill(0xff);
  }
  return attr;
}

function macToWords(bytes: Uint8Array, offset: number, flow: FlowWords, word: number): void {
  flow[word] = (bytes[offset]! << 8) | bytes[offset + 1]!;
  flow[word + 1] = readBytesBE(bytes, offset + 2, 4);
}

function bytesToWords(bytes: Uint8Array, offset: number, flow: FlowWords, word: number, n: number) {
  for (let i = 0; i < n; i++) flow[word + i] = readBytesBE(bytes, offset + 4 * i, 4);
}

function fillFlow(name: BytesAttrName, b: Uint8Array, flow: FlowWords): void {
  switch (name) {
    case "skb_priority":
      flow[W_SKB_PRIORITY] = readBytesBE(b, 0, 4);
      return;
    case "skb_mark":
      flow[W_PKT_MARK] = readBytesBE(b, 0, 4);
      return;
    case "eth":
      macToWords(b, 0, flow, W_DL_SRC);
      macToWords(b, 6, flow, W_DL_DST);
      return;
    case "vlan":
      flow[W_DL_TYPE_VLAN] = readBytesBE(b, 0, 2);
      return;
    case "mpls":
      flow[W_MPLS_LSE] = readBytesBE(b, 0, 4);
      return;
    case "ipv4":
      flow[W_NW_SRC] = readBytesBE(b, 0, 4);
      flow[W_NW_DST] = readBytesBE(b, 4, 4);
      flow[W_NW_MISC] = ((b[8]! << 24) | (b[9]! << 16) | (b[10]! << 8)) >>> 0;
      return;
    case "ipv6":
      bytesToWords(b, 0, flow, W_IPV6_SRC, 4);
      bytesToWords(b, 16, flow, W_IPV6_DST, 4);
      flow[W_IPV6_LABEL] = readBytesBE(b, 32, 4);
      flow[W_NW_MISC] = ((b[36]! << 24) | (b[37]! << 16) | (b[38]! << 8)) >>> 0;
      return;
    case "tcp":
    case "udp":
    case "sctp":
      flow[W_TP] = readBytesBE(b, 0, 4);
      return;
    case "icmp":
    case "icmpv6":
      flow[W_TP] = ((b[0]! << 16) | b[1]!) >>> 0;
      return;
    case "arp":
      flow[W_NW_SRC] = readBytesBE(b, 0, 4);
      flow[W_NW_DST] = readBytesBE(b, 4, 4);
      flow[W_ARP_OP] = readBytesBE(b, 8, 2);
      macToWords(b, 10, flow, W_ARP_SHA);
      macToWords(b, 16, flow, W_ARP_THA);
      return;
    case "nd":
      bytesToWords(b, 0, flow, W_ND_TARGET, 4);
      macToWords(b, 16, flow, W_ARP_SHA);
      macToWords(b, 22, flow, W_ARP_THA);
      return;
    case "nd_ext":
      flow[W_ND_RESERVED] = readBytesBE(b, 0, 4);
      flow[W_TCP_FLAGS] = b[4]! << 16;
      return;
    case "recirc_id":
      flow[W_RECIRC_ID] = readBytesBE(b, 0, 4);
      return;
    case "dp_hash":
      flow[W_DP_HASH] = readBytesBE(b, 0, 4);
      return;
    case "in_port":
      flow[W_IN_PORT] = readBytesBE(b, 0, 4);
      return;
    case "eth_type":
      flow[W_DL_TYPE_VLAN] = readBytesBE(b, 0, 2) << 16;
      return;
  }
}

/** The attribute's key and mask as flow words (the layout packet_edit's setters take). */
export function keyAttrToFlow(attr: BytesKeyAttr): { key: FlowWords; mask: FlowWords } {
  const key = new Uint32Array(FLOW_WORDS);
  const mask = new Uint32Array(FLOW_WORDS);
  fillFlow(attr.name, attr.key, key);
  fillFlow(attr.name, attr.mask, mask);
  return { key, mask };
}
