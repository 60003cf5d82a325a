// The flow: every header field and piece of metadata a packet can be matched on, laid out as a
// fixed array of 32-bit words (upstream's struct flow, in words). One layout serves the
// datapath's flow keys and masks, OpenFlow matches and the classifier, so a key extracted from a
// frame, a megaflow mask and an OpenFlow rule are compared word by word with no conversion.
//
// Conventions this file promises and every user relies on:
// - A field of up to 32 bits lives in one word at a bit offset; wider fields (MACs, 64- and
//   128-bit values) take consecutive words, most significant word first, with the least
//   significant bit of the field at bit 0 of the field's last word (a MAC's first word holds its
//   first two bytes in its low 16 bits).
// - Values in words are host integers read big-endian from the wire (dl_type 0x0800 is 0x0800).
// - A mask word has a 1 for every bit that matters; a masked key keeps key & mask.
// Owns the layout only; what the words mean to OpenFlow (field names, prerequisites) lives in
// core/ofproto/fields.ts, and how frames fill them in core/datapath/flow_extract.ts.

/** Input port: a datapath port number in datapath keys, an OpenFlow port number in matches. */
export const W_IN_PORT = 0;
export const W_RECIRC_ID = 1;
export const W_DP_HASH = 2;
export const W_SKB_PRIORITY = 3;
export const W_PKT_MARK = 4;
/** ct_state in the low 8 bits. */
export const W_CT_STATE = 5;
/** ct_zone in the low 16 bits, ct_nw_proto in bits 16-23. */
export const W_CT_ZONE = 6;
export const W_CT_MARK = 7;
/** ct_label, 4 words. */
export const W_CT_LABEL = 8;
export const W_CONJ_ID = 12;
/** actset_output: an OpenFlow port number in the low 16 bits. */
export const W_ACTSET_OUTPUT = 13;
export const W_PACKET_TYPE = 14;
/** metadata, 2 words. */
export const W_METADATA = 15;
/** reg0..reg15, one word each; xregN is regs 2N and 2N+1, xxregN regs 4N..4N+3. */
export const W_REGS = 17;
export const N_REGS = 16;
/** tun_id, 2 words. */
export const W_TUN_ID = 33;
export const W_TUN_SRC = 35;
export const W_TUN_DST = 36;
/** tun_ipv6_src and tun_ipv6_dst, 4 words each. */
export const W_TUN_IPV6_SRC = 37;
export const W_TUN_IPV6_DST = 41;
/** tun_flags in the low 16 bits, tun_tos in bits 16-23, tun_ttl in bits 24-31. */
export const W_TUN_MISC = 45;
/** tun_gbp_id in the low 16 bits, tun_gbp_flags in bits 16-23. */
export const W_TUN_GBP = 46;
/** dl_dst and dl_src, 2 words each (first two bytes in the low half of the first word). */
export const W_DL_DST = 47;
export const W_DL_SRC = 49;
/** dl_type in the high 16 bits, vlan_tci in the low 16 (VLAN_CFI set when a tag is present). */
export const W_DL_TYPE_VLAN = 51;
/** The first MPLS label stack entry: label(20) tc(3) bos(1) ttl(8). */
export const W_MPLS_LSE = 52;
/** IPv4 source/destination, or ARP SPA/TPA. */
export const W_NW_SRC = 53;
export const W_NW_DST = 54;
export const W_IPV6_SRC = 55;
export const W_IPV6_DST = 59;
/** ipv6_label in the low 20 bits. */
export const W_IPV6_LABEL = 63;
/** nw_proto in bits 24-31, nw_tos in bits 16-23, nw_ttl in bits 8-15, nw_frag in bits 0-7. */
export const W_NW_MISC = 64;
/** arp_op in the low 16 bits. */
export const W_ARP_OP = 65;
export const W_CT_NW_SRC = 66;
export const W_CT_NW_DST = 67;
export const W_CT_IPV6_SRC = 68;
export const W_CT_IPV6_DST = 72;
/**
 * tp_src in the high 16 bits, tp_dst in the low 16 (TCP, UDP, SCTP ports; ICMP type and code
 * in the low byte of each).
 */
export const W_TP = 76;
/** ct_tp_src in the high 16 bits, ct_tp_dst in the low 16. */
export const W_CT_TP = 77;
/** tcp_flags in the low 12 bits, nd_options_type in bits 16-23. */
export const W_TCP_FLAGS = 78;
export const W_ND_TARGET = 79;
/** arp_sha/nd_sll and arp_tha/nd_tll, 2 words each. */
export const W_ARP_SHA = 83;
export const W_ARP_THA = 85;
/** The ND reserved word (or IGMP group address). */
export const W_ND_RESERVED = 87;
/**
 * The VLAN header's TPID (0x8100 or 0x88a8) in the low 16 bits, set by flow extraction when a
 * tag is present; 0 with a tag present means 0x8100 (as upstream's flow_fix_vlan_tpid). Lives
 * after the L4 fields only because it was added last; nothing in OpenFlow matches it.
 */
export const W_VLAN_TPID = 88;
/**
 * The second and third MPLS label stack entries (2 words; upstream's flow keeps three, the
 * first is W_MPLS_LSE). Only the datapath key uses them; OpenFlow matches the first entry.
 */
export const W_MPLS_LSE_MORE = 89;
/** The words of MPLS label stack entries 0, 1 and 2 (FLOW_MAX_MPLS_LABELS is 3). */
export const MPLS_LSE_WORDS: readonly number[] = [W_MPLS_LSE, W_MPLS_LSE_MORE, W_MPLS_LSE_MORE + 1];

export const FLOW_WORDS = 91;

// ---- Words after the datapath's: matches only ----
//
// Fields the datapath never extracts from a packet (it parses no NSH, ERSPAN or GTP-U header and
// no Geneve option) live after FLOW_WORDS, so datapath keys and megaflow masks stay FLOW_WORDS
// long and the per-packet cost of clearing and hashing them does not grow. OpenFlow matches
// (core/ofproto/match.ts) and the classifier use MATCH_WORDS words: a flow key shorter than that
// reads as zeros there, which is what a packet without those headers has.

/**
 * Words FLOW_WORDS .. FLOW_WORDS + XLATE_SCRATCH_WORDS - 1 belong to translation's own state
 * (xlate keeps the inner VLAN header in the first); matches keep them zero.
 */
export const XLATE_SCRATCH_WORDS = 4;
/** tun_erspan_idx (upstream keeps all 32 bits of the index and of its mask). */
export const W_TUN_ERSPAN_IDX = FLOW_WORDS + XLATE_SCRATCH_WORDS;
/** tun_erspan_ver in bits 24-31, tun_erspan_dir in bits 16-23, tun_erspan_hwid in bits 8-15. */
export const W_TUN_ERSPAN = W_TUN_ERSPAN_IDX + 1;
/** tun_gtpu_flags in bits 8-15, tun_gtpu_msgtype in bits 0-7. */
export const W_TUN_GTPU = W_TUN_ERSPAN + 1;
/** NSH base header: nsh_flags in bits 24-31, nsh_ttl 16-23, nsh_mdtype 8-15, nsh_np 0-7. */
export const W_NSH_BASE = W_TUN_GTPU + 1;
/** NSH path header as on the wire: nsh_spi in bits 8-31, nsh_si in bits 0-7. */
export const W_NSH_PATH = W_NSH_BASE + 1;
/** nsh_c1 .. nsh_c4, one word each. */
export const W_NSH_CONTEXT = W_NSH_PATH + 1;
/**
 * Which tun_metadata<n> are present (2 words, a 64-bit map with bit n for tun_metadata<n>, most
 * significant word first). In a mask, bit n set means the match looks at tun_metadata<n>.
 */
export const W_TUN_METADATA_PRESENT = W_NSH_CONTEXT + 4;
/**
 * The 256 bytes of tunnel option data (upstream's TUN_METADATA_TOT_OPT_SIZE), byte i in word
 * W_TUN_METADATA_OPTS + (i >> 2) at bits 24 - 8 * (i & 3): where each tun_metadata<n> sits is
 * decided by the switch's TLV map or, without one, by the match's own allocation
 * (core/ofproto/tun_metadata.ts).
 */
export const W_TUN_METADATA_OPTS = W_TUN_METADATA_PRESENT + 2;
export const TUN_METADATA_OPTS_BYTES = 256;
/** The length of an OpenFlow match's flow and mask. */
export const MATCH_WORDS = W_TUN_METADATA_OPTS + TUN_METADATA_OPTS_BYTES / 4;

/**
 * Where the staged lookup's segments begin, as upstream divides struct flow: metadata, then L2
 * (from dl_dst), L3 (from nw_src, with IPv6, ARP and conntrack tuple), L4 (from tp_src).
 */
export const FLOW_SEGMENT_L2 = W_DL_DST;
export const FLOW_SEGMENT_L3 = W_NW_SRC;
export const FLOW_SEGMENT_L4 = W_TP;

/** vlan_tci's bit that says a VLAN header is present (the CFI bit, as upstream uses it). */
export const VLAN_CFI = 0x1000;
export const VLAN_VID_MASK = 0x0fff;
export const VLAN_PCP_SHIFT = 13;
export const VLAN_PCP_MASK = 0xe000;

/** nw_frag bits. */
export const FLOW_NW_FRAG_ANY = 1;
export const FLOW_NW_FRAG_LATER = 2;

export const ETH_TYPE_IP = 0x0800;
export const ETH_TYPE_ARP = 0x0806;
export const ETH_TYPE_RARP = 0x8035;
export const ETH_TYPE_VLAN_8021Q = 0x8100;
export const ETH_TYPE_VLAN_8021AD = 0x88a8;
export const ETH_TYPE_IPV6 = 0x86dd;
export const ETH_TYPE_MPLS = 0x8847;
export const ETH_TYPE_MPLS_MCAST = 0x8848;
export const ETH_TYPE_NSH = 0x894f;
/** What dl_type holds for an 802.2 frame (length field instead of a type). */
export const ETH_TYPE_NONE = 0x05ff;
export const ETH_TYPE_MIN = 0x0600;

export const IPPROTO_ICMP = 1;
export const IPPROTO_IGMP = 2;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_SCTP = 132;

/** A flow or a mask: FLOW_WORDS words. */
export type FlowWords = Uint32Array;

export function newFlowWords(): FlowWords {
  return new Uint32Array(FLOW_WORDS);
}

export function dlType(flow: FlowWords): number {
  return flow[W_DL_TYPE_VLAN]! >>> 16;
}

export function vlanTci(flow: FlowWords): number {
  return flow[W_DL_TYPE_VLAN]! & 0xffff;
}

export function nwProto(flow: FlowWords): number {
  return flow[W_NW_MISC]! >>> 24;
}

export function tpSrc(flow: FlowWords): number {
  return flow[W_TP]! >>> 16;
}

export function tpDst(flow: FlowWords): number {
  return flow[W_TP]! & 0xffff;
}

export function isIpAny(flow: FlowWords): boolean {
  const type = dlType(flow);
  return type === ETH_TYPE_IP || type === ETH_TYPE_IPV6;
}

/** Whether `a & mask` equals `b & mask` in every word. */
export function maskedEquals(a: FlowWords, b: FlowWords, mask: FlowWords): boolean {
  for (let i = 0; i < FLOW_WORDS; i++) {
    if (((a[i]! ^ b[i]!) & mask[i]!) !== 0) return false;
  }
  return true;
}

/** The indices of the words a mask cares about, so lookups touch only those. */
export function usedWords(mask: FlowWords): Uint8Array {
  let n = 0;
  for (let i = 0; i < FLOW_WORDS; i++) if (mask[i] !== 0) n++;
  const out = new Uint8Array(n);
  n = 0;
  for (let i = 0; i < FLOW_WORDS; i++) if (mask[i] !== 0) out[n++] = i;
  return out;
}

/**
 * A 32-bit hash of `flow & mask` over the words in `words` (from `usedWords(mask)`): murmur-like
 * mixing, cheap and allocation-free, for the megaflow cache and the classifier.
 */
export function hashMasked(
  flow: FlowWords,
  mask: FlowWords,
  words: Uint8Array,
  basis = 0,
): number {
  let h = basis >>> 0;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    let k = (flow[w]! & mask[w]!) >>> 0;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k ^ w;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= words.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
