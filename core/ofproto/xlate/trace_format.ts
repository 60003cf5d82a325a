// The texts of ofproto/trace that describe flows: "Flow:" and "Final flow:" (upstream's
// flow_format — a match of every field the packet has, with all-zero metadata left out), the
// "Megaflow:" line (match_format of the flow under the translation's mask), and the rule matches
// and action lists of the trace notes. Formatting itself is match_text's formatMatch and the
// actions formatter; this file chooses the masks and adds the second VLAN header, which the
// shared flow layout has no room for and formatMatch therefore cannot print.

import {
  ETH_TYPE_ARP,
  ETH_TYPE_IP,
  ETH_TYPE_IPV6,
  ETH_TYPE_RARP,
  FLOW_WORDS,
  type FlowWords,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_IGMP,
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  VLAN_CFI,
  VLAN_PCP_MASK,
  VLAN_VID_MASK,
  W_ARP_OP,
  W_ARP_SHA,
  W_ARP_THA,
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
  W_VLAN_TPID,
} from "../../datapath/flow.ts";
import { formatActions } from "../actions/format.ts";
import type { Ofpact } from "../actions/types.ts";
import { Match } from "../match.ts";
import { formatMatch } from "../match_text.ts";
import { PortMap } from "../port_text.ts";
import type { TraceFormatter } from "./context.ts";
import type { XlateBridge } from "./view.ts";
import {
  isCtValid,
  isNd,
  newXFlow,
  vlanTci,
  type XFlow,
  XW_MPLS1,
  XW_MPLS2,
  XW_VLAN2,
} from "./xflow.ts";

const FLOW_TNL_F_KEY = 1 << 3;
const MPLS_BOS = 1 << 8;
const FLOW_NW_FRAG_LATER = 2;

function full(m: XFlow, from: number, n = 1): void {
  for (let i = 0; i < n; i++) m[from + i] = 0xffffffff;
}

function macMask(m: XFlow, w: number): void {
  m[w] = 0xffff;
  m[w + 1] = 0xffffffff;
}

function tunnelDstSet(f: FlowWords): boolean {
  return f[W_TUN_DST] !== 0 || f[W_TUN_IPV6_DST] !== 0 || f[W_TUN_IPV6_DST + 1] !== 0 ||
    f[W_TUN_IPV6_DST + 2] !== 0 || f[W_TUN_IPV6_DST + 3] !== 0;
}

/** flow_wildcards_init_for_packet plus match_wc_init's registers and metadata. */
function packetMask(flow: XFlow, m: XFlow): void {
  m.fill(0);
  if (tunnelDstSet(flow)) {
    if (flow[W_TUN_MISC]! & FLOW_TNL_F_KEY) full(m, W_TUN_ID, 2);
    full(m, W_TUN_SRC);
    full(m, W_TUN_DST);
    full(m, W_TUN_IPV6_SRC, 4);
    full(m, W_TUN_IPV6_DST, 4);
    full(m, W_TUN_MISC);
    full(m, W_TUN_GBP);
  } else if (flow[W_TUN_ID] || flow[W_TUN_ID + 1]) {
    full(m, W_TUN_ID, 2);
  }
  full(m, W_SKB_PRIORITY);
  full(m, W_PKT_MARK);
  m[W_CT_STATE] = 0xff;
  m[W_CT_ZONE] = 0xffff;
  full(m, W_CT_MARK);
  full(m, W_CT_LABEL, 4);
  full(m, W_RECIRC_ID);
  full(m, W_DP_HASH);
  m[W_IN_PORT] = 0xffff;
  full(m, W_PACKET_TYPE);
  full(m, W_REGS, 16);
  full(m, W_METADATA, 2);
  let dlType: number;
  const pt = flow[W_PACKET_TYPE]!;
  if (pt === 0) {
    macMask(m, W_DL_DST);
    macMask(m, W_DL_SRC);
    m[W_DL_TYPE_VLAN] = 0xffffffff;
    m[W_VLAN_TPID] = 0xffff;
    if (vlanTci(flow, 0) !== 0) m[XW_VLAN2] = 0xffffffff;
    dlType = flow[W_DL_TYPE_VLAN]! >>> 16;
  } else {
    dlType = pt & 0xffff;
  }
  if (dlType === ETH_TYPE_IP) {
    full(m, W_NW_SRC);
    full(m, W_NW_DST);
    full(m, W_CT_NW_SRC);
    full(m, W_CT_NW_DST);
  } else if (dlType === ETH_TYPE_IPV6) {
    full(m, W_IPV6_SRC, 4);
    full(m, W_IPV6_DST, 4);
    m[W_IPV6_LABEL] = 0xfffff;
    const scratch = newXFlow();
    if (isNd(flow, scratch)) {
      macMask(m, W_ARP_SHA);
      macMask(m, W_ARP_THA);
      full(m, W_ND_TARGET, 4);
      m[W_TP] = 0xffffffff;
      m[W_NW_MISC] = (m[W_NW_MISC]! | 0xff000000) >>> 0;
    } else {
      full(m, W_CT_IPV6_SRC, 4);
      full(m, W_CT_IPV6_DST, 4);
    }
  } else if (dlType === ETH_TYPE_ARP || dlType === ETH_TYPE_RARP) {
    full(m, W_NW_SRC);
    full(m, W_NW_DST);
    m[W_ARP_OP] = 0xffff;
    macMask(m, W_ARP_SHA);
    macMask(m, W_ARP_THA);
    return;
  } else if (dlType === 0x8847 || dlType === 0x8848) {
    // Every label stack entry down to the bottom of the stack.
    for (const w of [W_MPLS_LSE, XW_MPLS1, XW_MPLS2]) {
      full(m, w);
      if (flow[w]! & MPLS_BOS) break;
    }
    return;
  } else {
    return;
  }
  m[W_NW_MISC] = 0xffffff03;
  m[W_CT_ZONE] = (m[W_CT_ZONE]! | 0x00ff0000) >>> 0;
  full(m, W_CT_TP);
  const proto = flow[W_NW_MISC]! >>> 24;
  if (
    !(flow[W_NW_MISC]! & FLOW_NW_FRAG_LATER) &&
    (proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6 || proto === IPPROTO_TCP ||
      proto === IPPROTO_UDP || proto === IPPROTO_SCTP || proto === IPPROTO_IGMP)
  ) {
    full(m, W_TP);
    if (proto === IPPROTO_TCP) m[W_TCP_FLAGS] = 0xffff;
    else if (proto === IPPROTO_IGMP) full(m, W_ND_RESERVED);
  }
}

function allZero(f: XFlow, from: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (f[from + i]) return false;
  return true;
}

/** upstream's flow_format: the flow with every field it has, zero metadata left out. */
export function formatFlow(flow: XFlow, portMap?: PortMap): string {
  const m = newXFlow();
  packetMask(flow, m);
  if (!(flow[W_IN_PORT]! & 0xffff)) m[W_IN_PORT] = 0;
  if (!flow[W_SKB_PRIORITY]) m[W_SKB_PRIORITY] = 0;
  if (!flow[W_PKT_MARK]) m[W_PKT_MARK] = 0;
  if (!flow[W_RECIRC_ID]) m[W_RECIRC_ID] = 0;
  if (!flow[W_DP_HASH]) m[W_DP_HASH] = 0;
  if (!(flow[W_CT_STATE]! & 0xff)) m[W_CT_STATE] = 0;
  if (!(flow[W_CT_ZONE]! & 0xffff)) m[W_CT_ZONE] = (m[W_CT_ZONE]! & ~0xffff) >>> 0;
  if (!flow[W_CT_MARK]) m[W_CT_MARK] = 0;
  if (allZero(flow, W_CT_LABEL, 4)) m.fill(0, W_CT_LABEL, W_CT_LABEL + 4);
  if (!isCtValid(flow, undefined) || !((flow[W_CT_ZONE]! >>> 16) & 0xff)) {
    m[W_CT_ZONE] = (m[W_CT_ZONE]! & ~0x00ff0000) >>> 0;
    m[W_CT_TP] = 0;
    const t = flow[W_DL_TYPE_VLAN]! >>> 16;
    if (t === ETH_TYPE_IP) {
      m[W_CT_NW_SRC] = 0;
      m[W_CT_NW_DST] = 0;
    } else if (t === ETH_TYPE_IPV6) {
      m.fill(0, W_CT_IPV6_SRC, W_CT_IPV6_SRC + 4);
      m.fill(0, W_CT_IPV6_DST, W_CT_IPV6_DST + 4);
    }
  }
  for (let i = 0; i < 16; i++) if (!flow[W_REGS + i]) m[W_REGS + i] = 0;
  if (!flow[W_METADATA] && !flow[W_METADATA + 1]) m.fill(0, W_METADATA, W_METADATA + 2);
  return formatXMatch(flow, m, portMap);
}

/** The text of one VLAN header's match items (match_format's per-header rule). */
function vlanItems(tci: number, mask: number, suffix: string): string {
  const vidMask = mask & VLAN_VID_MASK;
  const pcpMask = mask & VLAN_PCP_MASK;
  const cfi = mask & VLAN_CFI;
  if (
    cfi && tci & VLAN_CFI && (!vidMask || vidMask === VLAN_VID_MASK) &&
    (!pcpMask || pcpMask === VLAN_PCP_MASK) && (vidMask || pcpMask)
  ) {
    const parts: string[] = [];
    if (vidMask) parts.push(`dl_vlan${suffix}=${tci & VLAN_VID_MASK}`);
    if (pcpMask) parts.push(`dl_vlan_pcp${suffix}=${tci >>> 13}`);
    return parts.join(",");
  }
  const hex4 = (v: number) => v.toString(16).padStart(4, "0");
  if (mask === 0xffff) return `vlan_tci${suffix}=0x${hex4(tci)}`;
  return `vlan_tci${suffix}=0x${hex4(tci)}/0x${hex4(mask)}`;
}

/** match_format's text of a label stack entry beyond the first ("mpls_lse1=46912"). */
function lseItem(name: string, value: number, mask: number): string {
  if (mask === 0xffffffff) return `${name}=${value >>> 0}`;
  const hex8 = (v: number) => (v >>> 0).toString(16).padStart(8, "0");
  return `${name}=0x${hex8(value & mask)}/0x${hex8(mask)}`;
}

/** Items match_format prints after the MPLS ones, for placing the extra label stack entries. */
const AFTER_MPLS = /^(nw_frag|icmp_|icmpv6_|tp_|tcp_flags|nd_|igmp)/;

function withExtraLses(text: string, flow: XFlow, mask: XFlow): string {
  const extra: string[] = [];
  if (mask[XW_MPLS1]) extra.push(lseItem("mpls_lse1", flow[XW_MPLS1]!, mask[XW_MPLS1]!));
  if (mask[XW_MPLS2]) extra.push(lseItem("mpls_lse2", flow[XW_MPLS2]!, mask[XW_MPLS2]!));
  if (!extra.length) return text;
  const items = text.length ? text.split(",") : [];
  let at = -1;
  for (let i = 0; i < items.length; i++) if (items[i]!.startsWith("mpls_")) at = i + 1;
  if (at < 0) at = items.findIndex((x) => AFTER_MPLS.test(x));
  if (at < 0) at = items.length;
  items.splice(at, 0, ...extra);
  return items.join(",");
}

/**
 * formatMatch over xlate's words, with the second VLAN header and the label stack entries
 * beyond the first where match_format puts them.
 */
export function formatXMatch(flow: XFlow, mask: XFlow, portMap?: PortMap): string {
  const f = new Uint32Array(FLOW_WORDS);
  const m = new Uint32Array(FLOW_WORDS);
  for (let i = 0; i < FLOW_WORDS; i++) {
    m[i] = mask[i]!;
    f[i] = (flow[i]! & mask[i]!) >>> 0;
  }
  const text = withExtraLses(formatMatch(new Match(f, m), { portMap }), flow, mask);
  const outerMask = mask[W_DL_TYPE_VLAN]! & 0xffff;
  const innerMask = mask[XW_VLAN2]! & 0xffff;
  if (!outerMask || !innerMask) return text;
  const outer = vlanItems(f[W_DL_TYPE_VLAN]! & 0xffff, outerMask, "");
  const inner = vlanItems(flow[XW_VLAN2]! & innerMask & 0xffff, innerMask, "1");
  const items = text.split(",");
  const outerItems = outer.split(",");
  for (let i = 0; i + outerItems.length <= items.length; i++) {
    if (outerItems.every((x, k) => items[i + k] === x)) {
      items.splice(i + outerItems.length, 0, inner);
      return items.join(",");
    }
  }
  return text;
}

/** The trace notes' formatter: actions and rule matches, with port names when asked. */
export function traceFormatter(names: boolean): TraceFormatter {
  const maps = new WeakMap<XlateBridge, PortMap>();
  const mapOf = (bridge: XlateBridge): PortMap | undefined => {
    if (!names) return undefined;
    let map = maps.get(bridge);
    if (!map) {
      map = new PortMap();
      for (const p of bridge.ports()) map.put(p.ofport, p.name);
      maps.set(bridge, map);
    }
    return map;
  };
  return {
    actions(ofpacts: readonly Ofpact[], bridge: XlateBridge): string {
      const portMap = mapOf(bridge);
      return formatActions(ofpacts, portMap ? { portMap } : {});
    },
    match(flow: Uint32Array, mask: Uint32Array, bridge: XlateBridge): string {
      return formatMatch(new Match(flow.slice(0, FLOW_WORDS), mask.slice(0, FLOW_WORDS)), {
        portMap: mapOf(bridge),
      });
    },
  };
}
