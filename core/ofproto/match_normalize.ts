// ofputil_normalize_match: a match received from elsewhere (an OpenFlow 1.0 flow mod, a parsed
// flow) may name fields its own Ethertype or IP protocol rules out (nw_tos on ARP, ports without
// TCP/UDP/SCTP/ICMP, IPv4 addresses on IPv6 ...); upstream silently wildcards them and logs the
// change at INFO in module ofp_match. Owns only that rule; the logging is optional.

import {
  ETH_TYPE_ARP,
  ETH_TYPE_IP,
  ETH_TYPE_IPV6,
  ETH_TYPE_MPLS,
  ETH_TYPE_MPLS_MCAST,
  ETH_TYPE_RARP,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
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
  W_TP,
} from "../datapath/flow.ts";
import { RateLimit, vlogModule } from "../net/vlog.ts";
import type { Match } from "./match.ts";
import {
  hasDefaultPacketType,
  ND_NEIGHBOR_ADVERT,
  ND_NEIGHBOR_SOLICIT,
  OFPHTN_ETHERTYPE,
} from "./field_set.ts";
import { formatMatch } from "./match_text.ts";

const log = vlogModule("ofp_match");
/** Upstream reports at most five changes in a burst, then one a minute. */
const limit = new RateLimit(1, 5);

const MAY_NW_ADDR = 1 << 0;
const MAY_TP_ADDR = 1 << 1;
const MAY_NW_PROTO = 1 << 2;
const MAY_IPVX = 1 << 3;
const MAY_ARP_SHA = 1 << 4;
const MAY_ARP_THA = 1 << 5;
const MAY_IPV6 = 1 << 6;
const MAY_ND_TARGET = 1 << 7;
const MAY_MPLS = 1 << 8;
const MAY_ETHER = 1 << 9;

function clearWords(mask: Uint32Array, from: number, n: number): void {
  for (let w = from; w < from + n; w++) mask[w] = 0;
}

/**
 * Wildcards what the match's own protocols rule out; returns whether anything changed. With
 * `log`, reports the change as upstream does ("normalization changed ofp_match, details:").
 */
export function normalizeMatch(m: Match, opts: { log?: boolean } = {}): boolean {
  const flow = m.flow;
  const before = m.mask.slice();
  const mask = m.mask;
  let may = 0;
  let dlType = 0;
  const pt = flow[W_PACKET_TYPE]!;
  if (mask[W_PACKET_TYPE] === 0 || hasDefaultPacketType(m)) {
    may = MAY_ETHER;
    dlType = flow[W_DL_TYPE_VLAN]! >>> 16;
  } else if (mask[W_PACKET_TYPE] === 0xffffffff && pt >>> 16 === OFPHTN_ETHERTYPE) {
    dlType = pt & 0xffff;
  }
  const proto = flow[W_NW_MISC]! >>> 24;
  const arp = dlType === ETH_TYPE_ARP || dlType === ETH_TYPE_RARP;
  if (dlType === ETH_TYPE_IP) {
    may |= MAY_NW_PROTO | MAY_IPVX | MAY_NW_ADDR;
    if ([IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, IPPROTO_ICMP].includes(proto)) may |= MAY_TP_ADDR;
  } else if (dlType === ETH_TYPE_IPV6) {
    may |= MAY_NW_PROTO | MAY_IPVX | MAY_IPV6;
    if (proto === IPPROTO_TCP || proto === IPPROTO_UDP || proto === IPPROTO_SCTP) {
      may |= MAY_TP_ADDR;
    } else if (proto === IPPROTO_ICMPV6) {
      may |= MAY_TP_ADDR;
      const type = flow[W_TP]! >>> 16;
      if (type === ND_NEIGHBOR_SOLICIT) may |= MAY_ND_TARGET | MAY_ARP_SHA;
      else if (type === ND_NEIGHBOR_ADVERT) may |= MAY_ND_TARGET | MAY_ARP_THA;
    }
  } else if (arp) {
    may |= MAY_NW_PROTO | MAY_NW_ADDR | MAY_ARP_SHA | MAY_ARP_THA;
  } else if (dlType === ETH_TYPE_MPLS || dlType === ETH_TYPE_MPLS_MCAST) {
    may |= MAY_MPLS;
  }

  if (!(may & MAY_ETHER)) {
    clearWords(mask, W_DL_DST, 2);
    clearWords(mask, W_DL_SRC, 2);
  }
  if (!(may & MAY_NW_ADDR)) {
    mask[W_NW_SRC] = 0;
    mask[W_NW_DST] = 0;
  }
  if (!(may & MAY_TP_ADDR)) mask[W_TP] = 0;
  // Upstream's nw_proto doubles as the ARP opcode: each is kept only where it means something.
  if (!(may & MAY_NW_PROTO) || arp) mask[W_NW_MISC] = mask[W_NW_MISC]! & 0x00ffffff;
  if (!arp) mask[W_ARP_OP] = 0;
  if (!(may & MAY_IPVX)) mask[W_NW_MISC] = mask[W_NW_MISC]! & 0xff0000ff;
  if (!(may & MAY_ARP_SHA)) clearWords(mask, W_ARP_SHA, 2);
  if (!(may & MAY_ARP_THA)) clearWords(mask, W_ARP_THA, 2);
  if (!(may & MAY_IPV6)) {
    clearWords(mask, W_IPV6_SRC, 4);
    clearWords(mask, W_IPV6_DST, 4);
    mask[W_IPV6_LABEL] = 0;
  }
  if (!(may & MAY_ND_TARGET)) clearWords(mask, W_ND_TARGET, 4);
  if (!(may & MAY_MPLS)) mask[W_MPLS_LSE] = 0;

  let changed = false;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] !== before[i]) {
      changed = true;
      break;
    }
  }
  if (!changed) return false;
  const report = opts.log === true && log.isEnabled("info") && limit.take() !== undefined;
  let pre = "";
  if (report) {
    const saved = mask.slice();
    mask.set(before);
    pre = formatMatch(m);
    mask.set(saved);
  }
  m.normalize();
  if (report) {
    log.info("normalization changed ofp_match, details:");
    log.info(` pre: ${pre}`);
    log.info(`post: ${formatMatch(m)}`);
  }
  return true;
}
