// The match a learning switch installs for a packet it has seen (upstream's lswitch: match_init
// of the extracted flow under the OpenFlow 1.0 wildcards, then ofputil_normalize_match_quiet),
// the wildcard bits `--wildcards` chooses among, and the reserved multicast addresses it never
// forwards (eth_addr_is_reserved). Pure: no I/O, no state beyond constant tables.
//
// Promises: the mask says exactly what ofputil_wildcard_from_ofpfw10 says (in_port, DSCP only
// of nw_tos, CIDR widths for the addresses, a VLAN TCI mask built from VID and PCP, packet_type
// left wildcarded), with the ARP opcode kept in its own word as core/datapath/flow.ts does, so
// the same match goes out as an ofp10_match or as OXM.

import {
  FLOW_WORDS,
  type FlowWords,
  VLAN_CFI,
  VLAN_PCP_MASK,
  VLAN_VID_MASK,
  W_ARP_OP,
  W_DL_DST,
  W_DL_SRC,
  W_DL_TYPE_VLAN,
  W_IN_PORT,
  W_NW_DST,
  W_NW_MISC,
  W_NW_SRC,
  W_TP,
} from "../datapath/flow.ts";
import { normalizeMatch } from "./match_normalize.ts";
import { Match } from "./match.ts";
import type { Mac } from "./mac_learning.ts";
import {
  OFPFW10_DL_DST,
  OFPFW10_DL_SRC,
  OFPFW10_DL_TYPE,
  OFPFW10_DL_VLAN,
  OFPFW10_DL_VLAN_PCP,
  OFPFW10_IN_PORT,
  OFPFW10_NW_DST_ALL,
  OFPFW10_NW_DST_SHIFT,
  OFPFW10_NW_PROTO,
  OFPFW10_NW_SRC_ALL,
  OFPFW10_NW_SRC_SHIFT,
  OFPFW10_NW_TOS,
  OFPFW10_TP_DST,
  OFPFW10_TP_SRC,
} from "./ofp10_match.ts";

/** `--wildcards` without a mask: the switch's own choice (upstream's UINT32_MAX). */
export const LSW_DEFAULT_WILDCARDS = 0xffffffff;

/**
 * What the default wildcards leave out: everything but in_port (to notice moves), the Ethernet
 * addresses and the VLAN VID that L2 learning needs.
 */
export const LSW_L2_WILDCARDS = OFPFW10_DL_TYPE | OFPFW10_DL_VLAN_PCP | OFPFW10_NW_SRC_ALL |
  OFPFW10_NW_DST_ALL | OFPFW10_NW_TOS | OFPFW10_NW_PROTO | OFPFW10_TP_SRC | OFPFW10_TP_DST;

/** The OFPFW10_* bits a `wildcards` configuration value stands for. */
export function effectiveWildcards(wildcards: number): number {
  if (wildcards === 0) return 0;
  if (wildcards >>> 0 === LSW_DEFAULT_WILDCARDS) return LSW_L2_WILDCARDS;
  return wildcards >>> 0;
}

function cidrMask(wcbits: number): number {
  const bits = wcbits & 0x3f;
  return bits >= 32 ? 0 : (0xffffffff << bits) >>> 0;
}

/** The mask words that OpenFlow 1.0 wildcard bits `ofpfw` leave exact (ofputil_wildcard_from_ofpfw10). */
export function maskFromOfpfw10(ofpfw: number): FlowWords {
  const mask = new Uint32Array(FLOW_WORDS);
  if (!(ofpfw & OFPFW10_IN_PORT)) mask[W_IN_PORT] = 0xffff;
  let misc = 0;
  if (!(ofpfw & OFPFW10_NW_TOS)) misc |= 0xfc << 16;
  if (!(ofpfw & OFPFW10_NW_PROTO)) {
    misc |= 0xff << 24;
    // Upstream's nw_proto doubles as the ARP opcode; normalization keeps whichever applies.
    mask[W_ARP_OP] = 0xffff;
  }
  mask[W_NW_MISC] = misc >>> 0;
  mask[W_NW_SRC] = cidrMask(ofpfw >>> OFPFW10_NW_SRC_SHIFT);
  mask[W_NW_DST] = cidrMask(ofpfw >>> OFPFW10_NW_DST_SHIFT);
  let tp = 0;
  if (!(ofpfw & OFPFW10_TP_SRC)) tp |= 0xffff0000;
  if (!(ofpfw & OFPFW10_TP_DST)) tp |= 0x0000ffff;
  mask[W_TP] = tp >>> 0;
  if (!(ofpfw & OFPFW10_DL_SRC)) {
    mask[W_DL_SRC] = 0xffff;
    mask[W_DL_SRC + 1] = 0xffffffff;
  }
  if (!(ofpfw & OFPFW10_DL_DST)) {
    mask[W_DL_DST] = 0xffff;
    mask[W_DL_DST + 1] = 0xffffffff;
  }
  let typeVlan = 0;
  if (!(ofpfw & OFPFW10_DL_TYPE)) typeVlan |= 0xffff0000;
  if (!(ofpfw & OFPFW10_DL_VLAN_PCP)) typeVlan |= VLAN_PCP_MASK | VLAN_CFI;
  if (!(ofpfw & OFPFW10_DL_VLAN)) typeVlan |= VLAN_VID_MASK | VLAN_CFI;
  mask[W_DL_TYPE_VLAN] = typeVlan >>> 0;
  return mask;
}

/**
 * The match for a flow to install: `flow` under `mask`, then normalized without logging (fields
 * the packet's own protocols rule out are wildcarded, as upstream's quiet normalization does).
 */
export function learnedFlowMatch(flow: FlowWords, mask: FlowWords): Match {
  const match = new Match(flow.slice(), mask.slice());
  match.normalize();
  normalizeMatch(match);
  return match;
}

const RESERVED_MACS: ReadonlySet<Mac> = new Set([
  // STP, IEEE pause frames and the other IEEE 802.1 reserved group addresses.
  ...Array.from({ length: 16 }, (_, i) => 0x0180c2000000 + i),
  // Extreme Networks: EDP, EAPS.
  0x00e02b000000,
  0x00e02b000004,
  0x00e02b000006,
  // Cisco: ISL; PAgP, UDLD, CDP, DTP, VTP; PVST+; STP UplinkFast and FlexLink.
  0x01000c000000,
  0x01000ccccccc,
  0x01000ccccccd,
  0x01000ccdcdcd,
  // Cisco CFM.
  ...Array.from({ length: 8 }, (_, i) => 0x01000cccccc0 + i),
]);

/** Whether frames to `mac` are for a link-local protocol and must not be forwarded. */
export function isReservedMac(mac: Mac): boolean {
  return RESERVED_MACS.has(mac);
}
