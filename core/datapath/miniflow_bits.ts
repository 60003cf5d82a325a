// The "dp-extra-info:miniflow_bits(N,M)" of dpctl/dump-flows -m: how many 64-bit units of
// upstream's struct flow a megaflow mask touches, in the first 64 units and in the rest, as
// dpif-netdev counts its subtable's miniflow map (with in_port left out, as dpcls does). Owns the
// map from our flow words to upstream's struct flow units (the x86-64 layout of OVS 3.1 with a
// 344-byte flow_tnl); nothing else depends on that layout.

import {
  FLOW_WORDS,
  type FlowWords,
  N_REGS,
  W_ACTSET_OUTPUT,
  W_ARP_OP,
  W_ARP_SHA,
  W_ARP_THA,
  W_CONJ_ID,
  W_CT_IPV6_DST,
  W_CT_IPV6_SRC,
  W_CT_LABEL,
  W_CT_MARK,
  W_CT_NW_DST,
  W_CT_NW_SRC,
  W_CT_STATE,
  W_CT_TP,
  W_CT_ZONE,
  W_DL_DST,
  W_DL_SRC,
  W_DL_TYPE_VLAN,
  W_DP_HASH,
  W_IN_PORT,
  W_IPV6_DST,
  W_IPV6_LABEL,
  W_IPV6_SRC,
  W_METADATA,
  W_MPLS_LSE,
  W_ND_RESERVED,
  W_ND_TARGET,
  W_NW_DST,
  W_NW_MISC,
  W_NW_SRC,
  W_PACKET_TYPE,
  W_PKT_MARK,
  W_RECIRC_ID,
  W_REGS,
  W_SKB_PRIORITY,
  W_TCP_FLAGS,
  W_TP,
  W_TUN_DST,
  W_TUN_GBP,
  W_TUN_ID,
  W_TUN_IPV6_DST,
  W_TUN_IPV6_SRC,
  W_TUN_MISC,
  W_TUN_SRC,
} from "./flow.ts";

/** struct flow unit of each word (for words split across two units: [low16 unit, high unit]). */
const UNIT = new Int16Array(FLOW_WORDS).fill(-1);
/** For words whose low 16 bits land in another unit than the high 16 bits. */
const LOW16_UNIT = new Int16Array(FLOW_WORDS).fill(-1);

function at(word: number, unit: number): void {
  UNIT[word] = unit;
}

at(W_TUN_DST, 0);
[0, 1, 1, 2].forEach((u, i) => at(W_TUN_IPV6_DST + i, u));
at(W_TUN_SRC, 2);
[3, 3, 4, 4].forEach((u, i) => at(W_TUN_IPV6_SRC + i, u));
at(W_TUN_ID, 5);
at(W_TUN_ID + 1, 5);
at(W_TUN_MISC, 6);
at(W_TUN_GBP, 7);
at(W_METADATA, 43);
at(W_METADATA + 1, 43);
for (let i = 0; i < N_REGS; i++) at(W_REGS + i, 44 + (i >> 1));
at(W_SKB_PRIORITY, 52);
at(W_PKT_MARK, 52);
at(W_DP_HASH, 53);
at(W_RECIRC_ID, 54);
at(W_CT_STATE, 54);
at(W_CT_ZONE, 54);
at(W_CT_MARK, 55);
at(W_PACKET_TYPE, 55);
[56, 56, 57, 57].forEach((u, i) => at(W_CT_LABEL + i, u));
at(W_CONJ_ID, 58);
at(W_ACTSET_OUTPUT, 58);
at(W_DL_DST, 59);
at(W_DL_DST + 1, 59);
at(W_DL_SRC, 59);
at(W_DL_SRC + 1, 60);
// dl_type (high half) is in unit 60, the VLAN TCI (low half) in unit 61.
at(W_DL_TYPE_VLAN, 60);
LOW16_UNIT[W_DL_TYPE_VLAN] = 61;
at(W_MPLS_LSE, 62);
at(W_NW_SRC, 64);
at(W_NW_DST, 64);
at(W_CT_NW_SRC, 65);
at(W_CT_NW_DST, 65);
[66, 66, 67, 67].forEach((u, i) => at(W_IPV6_SRC + i, u));
[68, 68, 69, 69].forEach((u, i) => at(W_IPV6_DST + i, u));
[70, 70, 71, 71].forEach((u, i) => at(W_CT_IPV6_SRC + i, u));
[72, 72, 73, 73].forEach((u, i) => at(W_CT_IPV6_DST + i, u));
at(W_IPV6_LABEL, 74);
at(W_NW_MISC, 74);
// Upstream keeps the ARP opcode in nw_proto.
at(W_ARP_OP, 74);
[75, 75, 76, 76].forEach((u, i) => at(W_ND_TARGET + i, u));
at(W_ARP_SHA, 77);
at(W_ARP_SHA + 1, 77);
at(W_ARP_THA, 77);
at(W_ARP_THA + 1, 78);
at(W_TCP_FLAGS, 78);
at(W_TP, 82);
at(W_CT_TP, 82);
at(W_ND_RESERVED, 83);

/** "miniflow_bits(N,M)" for a megaflow mask (in_port ignored, as dpcls leaves it out). */
export function miniflowBits(mask: FlowWords): string {
  const units = new Uint8Array(84);
  for (let w = 0; w < FLOW_WORDS; w++) {
    const m = mask[w]!;
    if (!m || w === W_IN_PORT) continue;
    const low = LOW16_UNIT[w]!;
    if (low >= 0) {
      if (m & 0xffff) units[low] = 1;
      if (m >>> 16) units[UNIT[w]!] = 1;
    } else if (UNIT[w]! >= 0) {
      units[UNIT[w]!] = 1;
    }
  }
  let first = 0;
  let second = 0;
  for (let u = 0; u < 84; u++) {
    if (!units[u]) continue;
    if (u < 64) first++;
    else second++;
  }
  return `miniflow_bits(${first},${second})`;
}
