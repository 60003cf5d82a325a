// Test-only readers of flow words: `fieldsOf` names every nonzero packet field of a key (so a
// test compares whole keys as readable records), and `fieldsOfFlowText` reads the OpenFlow-
// style flow text `ovs-ofctl parse-pcap` prints into the same record, for differential checks.

import {
  type FlowWords,
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
  W_MPLS_LSE_MORE,
  W_ND_RESERVED,
  W_ND_TARGET,
  W_NW_DST,
  W_NW_MISC,
  W_NW_SRC,
  W_TCP_FLAGS,
  W_TP,
  W_VLAN_TPID,
} from "../../core/datapath/flow.ts";
import { formatIpv6Addr } from "../../core/datapath/odp_text.ts";

export type Fields = Record<string, number | string>;

function macText(w: FlowWords, at: number): string {
  const b = [
    w[at]! >> 8,
    w[at]! & 0xff,
    w[at + 1]! >>> 24,
    (w[at + 1]! >> 16) & 0xff,
    (w[at + 1]! >> 8) & 0xff,
    w[at + 1]! & 0xff,
  ];
  return b.map((x) => x.toString(16).padStart(2, "0")).join(":");
}

function ipText(v: number): string {
  return `${v >>> 24}.${(v >> 16) & 0xff}.${(v >> 8) & 0xff}.${v & 0xff}`;
}

function ip6Text(w: FlowWords, at: number): string {
  const b = new Uint8Array(16);
  for (let i = 0; i < 4; i++) {
    const v = w[at + i]!;
    b.set([v >>> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff], 4 * i);
  }
  return formatIpv6Addr(b, 0);
}

/** The nonzero packet fields of `key` (metadata and Ethernet addresses left out). */
export function fieldsOf(key: FlowWords): Fields {
  const f: Fields = {};
  const set = (name: string, v: number | string, zero: boolean) => {
    if (!zero) f[name] = v;
  };
  set("dl_type", key[W_DL_TYPE_VLAN]! >>> 16, key[W_DL_TYPE_VLAN]! >>> 16 === 0);
  set("vlan_tci", key[W_DL_TYPE_VLAN]! & 0xffff, (key[W_DL_TYPE_VLAN]! & 0xffff) === 0);
  set("vlan_tpid", key[W_VLAN_TPID]!, key[W_VLAN_TPID] === 0);
  set("mpls_lse", key[W_MPLS_LSE]!, key[W_MPLS_LSE] === 0);
  set("mpls_lse1", key[W_MPLS_LSE_MORE]!, key[W_MPLS_LSE_MORE] === 0);
  set("mpls_lse2", key[W_MPLS_LSE_MORE + 1]!, key[W_MPLS_LSE_MORE + 1] === 0);
  set("nw_src", ipText(key[W_NW_SRC]!), key[W_NW_SRC] === 0);
  set("nw_dst", ipText(key[W_NW_DST]!), key[W_NW_DST] === 0);
  const v6zero = (at: number) => [0, 1, 2, 3].every((i) => key[at + i] === 0);
  set("ipv6_src", ip6Text(key, W_IPV6_SRC), v6zero(W_IPV6_SRC));
  set("ipv6_dst", ip6Text(key, W_IPV6_DST), v6zero(W_IPV6_DST));
  set("ipv6_label", key[W_IPV6_LABEL]!, key[W_IPV6_LABEL] === 0);
  const misc = key[W_NW_MISC]!;
  set("nw_proto", misc >>> 24, misc >>> 24 === 0);
  set("nw_tos", (misc >> 16) & 0xff, ((misc >> 16) & 0xff) === 0);
  set("nw_ttl", (misc >> 8) & 0xff, ((misc >> 8) & 0xff) === 0);
  set("nw_frag", misc & 0xff, (misc & 0xff) === 0);
  set("arp_op", key[W_ARP_OP]!, key[W_ARP_OP] === 0);
  set("tp_src", key[W_TP]! >>> 16, key[W_TP]! >>> 16 === 0);
  set("tp_dst", key[W_TP]! & 0xffff, (key[W_TP]! & 0xffff) === 0);
  set("tcp_flags", key[W_TCP_FLAGS]! & 0xfff, (key[W_TCP_FLAGS]! & 0xfff) === 0);
  set(
    "nd_options_type",
    (key[W_TCP_FLAGS]! >> 16) & 0xff,
    ((key[W_TCP_FLAGS]! >> 16) & 0xff) === 0,
  );
  set("nd_target", ip6Text(key, W_ND_TARGET), v6zero(W_ND_TARGET));
  set("arp_sha", macText(key, W_ARP_SHA), key[W_ARP_SHA] === 0 && key[W_ARP_SHA + 1] === 0);
  set("arp_tha", macText(key, W_ARP_THA), key[W_ARP_THA] === 0 && key[W_ARP_THA + 1] === 0);
  set("nd_reserved", key[W_ND_RESERVED]!, key[W_ND_RESERVED] === 0);
  return f;
}

export function ethAddrsOf(key: FlowWords): { dl_src: string; dl_dst: string } {
  return { dl_src: macText(key, W_DL_SRC), dl_dst: macText(key, W_DL_DST) };
}

const KEYWORDS: Record<string, [number, number]> = {
  ip: [0x0800, 0],
  icmp: [0x0800, 1],
  tcp: [0x0800, 6],
  udp: [0x0800, 17],
  sctp: [0x0800, 132],
  ipv6: [0x86dd, 0],
  icmp6: [0x86dd, 58],
  tcp6: [0x86dd, 6],
  udp6: [0x86dd, 17],
  sctp6: [0x86dd, 132],
  arp: [0x0806, 0],
  rarp: [0x8035, 0],
  mpls: [0x8847, 0],
  mplsm: [0x8848, 0],
};

const TCP_FLAGS: Record<string, number> = {
  fin: 0x1,
  syn: 0x2,
  rst: 0x4,
  psh: 0x8,
  ack: 0x10,
  urg: 0x20,
  ece: 0x40,
  cwr: 0x80,
  ns: 0x100,
};

/**
 * The record `fieldsOf` would give for the flow an OpenFlow-style text describes (the fields
 * flow_format prints for a packet), plus dl_src/dl_dst. Fields it cannot print (the VLAN TPID,
 * ND reserved and options type, the IGMP group) are absent.
 */
export function fieldsOfFlowText(text: string): Fields & { dl_src?: string; dl_dst?: string } {
  const f: Record<string, number | string> = {};
  let tos = 0;
  let vid = -1;
  let pcp = 0;
  let mpls = 0;
  let haveMpls = false;
  for (const token of text.trim().split(",")) {
    const eq = token.indexOf("=");
    if (eq < 0) {
      const k = KEYWORDS[token];
      if (!k) throw new Error(`unknown keyword ${token} in ${text}`);
      f.dl_type = k[0];
      if (k[1]) f.nw_proto = k[1];
      continue;
    }
    const name = token.slice(0, eq);
    const value = token.slice(eq + 1);
    const num = () => Number(value);
    switch (name) {
      case "vlan_tci1":
        if (value !== "0x0000") throw new Error(`second VLAN in ${text}`);
        break;
      case "in_port":
        break;
      case "mpls_lse1":
      case "mpls_lse2":
        f[name] = num();
        break;
      case "dl_src":
      case "dl_dst":
      case "arp_sha":
      case "arp_tha":
        f[name] = value;
        break;
      case "nd_sll":
        f.arp_sha = value;
        break;
      case "nd_tll":
        f.arp_tha = value;
        break;
      case "vlan_tci":
        f.vlan_tci = num();
        break;
      case "dl_vlan":
        vid = num();
        break;
      case "dl_vlan_pcp":
        pcp = num();
        break;
      case "dl_type":
        f.dl_type = num();
        break;
      case "nw_src":
      case "nw_dst":
      case "ipv6_src":
      case "ipv6_dst":
      case "nd_target":
        f[name] = value;
        break;
      case "arp_spa":
        f.nw_src = value;
        break;
      case "arp_tpa":
        f.nw_dst = value;
        break;
      case "arp_op":
      case "nw_proto":
      case "nw_ttl":
      case "tp_src":
      case "tp_dst":
      case "ipv6_label":
        f[name] = num();
        break;
      case "nw_tos":
      case "nw_ecn":
        tos |= num();
        break;
      case "nw_frag":
        f.nw_frag = { no: 0, first: 1, later: 3 }[value] ?? -1;
        break;
      case "icmp_type":
        f.tp_src = num();
        break;
      case "icmp_code":
        f.tp_dst = num();
        break;
      case "tcp_flags":
        f.tcp_flags = value === "0"
          ? 0
          : value.split("|").reduce((a, n) => a | (TCP_FLAGS[n] ?? parseInt(n, 16)), 0);
        break;
      case "mpls_label":
        mpls |= num() << 12;
        haveMpls = true;
        break;
      case "mpls_tc":
        mpls |= num() << 9;
        break;
      case "mpls_ttl":
        mpls |= num();
        break;
      case "mpls_bos":
        mpls |= num() << 8;
        break;
      default:
        throw new Error(`unknown field ${name} in ${text}`);
    }
  }
  if (vid >= 0) f.vlan_tci = 0x1000 | vid | (pcp << 13);
  if (tos) f.nw_tos = tos;
  if (haveMpls) f.mpls_lse = mpls >>> 0;
  for (const [k, v] of Object.entries(f)) {
    if (v === 0 || v === "0.0.0.0" || v === "::" || v === "00:00:00:00:00:00") delete f[k];
  }
  return f;
}
