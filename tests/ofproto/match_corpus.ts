// The match strings the differential tests feed both to the real ovs-ofctl and to ours: for
// every field in fields.ts, values of its format (plain, masked, edge, malformed) behind the
// prerequisites it needs, under its name and its alias, plus shorthands, reserved ports, subfield
// syntax and known-bad items. Generated from the field table so that a new field is covered the
// day it is added.

import { type Field, FIELDS } from "../../core/ofproto/fields.ts";

const PREFIX: Record<string, string[]> = {
  none: [""],
  ethernet: [""],
  arp: ["arp,", "rarp,"],
  vlan_vid: ["dl_vlan=5,", "vlan_tci=0x1000/0x1000,"],
  ipv4: ["ip,"],
  ipv6: ["ipv6,"],
  ip_any: ["ip,", "ipv6,"],
  mpls: ["mpls,", "mplsm,"],
  tcp: ["tcp,", "tcp6,"],
  udp: ["udp,", "udp6,"],
  sctp: ["sctp,", "sctp6,"],
  icmpv4: ["icmp,"],
  icmpv6: ["icmp6,"],
  nd: ["icmp6,icmp_type=135,icmp_code=0,", "icmp6,icmp_type=136,icmp_code=0,"],
  nd_solicit: ["icmp6,icmp_type=135,icmp_code=0,"],
  nd_advert: ["icmp6,icmp_type=136,icmp_code=0,"],
  ct: ["ct_state=+trk+est,ip,", "ct_state=+trk+new,ipv6,"],
  nsh: ["dl_type=0x894f,", "dl_type=0x894f,nsh_mdtype=1,"],
};

function maxHex(nBytes: number): string {
  return "0x" + "ff".repeat(nBytes);
}

function valuesFor(f: Field): string[] {
  switch (f.format) {
    case "decimal":
    case "hexadecimal": {
      const out = [
        "0",
        "1",
        "7",
        "0x10",
        "65535",
        maxHex(Math.min(f.nBytes, 8)),
        "0x" + "1" + "00".repeat(f.nBytes),
      ];
      out.push("-1", "abc", "5x", "1/2/3", "");
      if (f.nBytes <= 4) out.push(String(2 ** (8 * f.nBytes)), String(2 ** (8 * f.nBytes) - 1));
      if (f.maskable) out.push("0x5/0xff", "0x12/0xf0", "0/0", "0x1/0x1", "3/0", "0x100/0x1ff");
      else out.push("5/0xff", "5/" + maxHex(f.nBytes), "5/0");
      out.push("*");
      return out;
    }
    case "ethernet":
      return [
        "01:02:03:04:05:06",
        "ff:ff:ff:ff:ff:ff",
        "01:02:03:04:05:06/ff:ff:ff:00:00:00",
        "01:00:00:00:00:00/01:00:00:00:00:00",
        "00:00:00:00:00:00/00:00:00:00:00:00",
        "1:2:3:4:5:6",
        "01:02:03:04:05",
        "01:02:03:04:05:06:07",
        "01-02-03-04-05-06",
        "01:02:03:04:05:1ff",
        "",
        "*",
      ];
    case "ipv4":
      return [
        "1.2.3.4",
        "10.0.0.0/8",
        "192.168.1.0/24",
        "1.2.3.4/32",
        "1.2.3.4/0",
        "1.2.3.4/255.255.0.0",
        "1.2.3.4/255.0.255.0",
        "0.0.0.0",
        "300.1.1.1",
        "1.2.3.4/33",
        "1.2.3.4/-1",
        "1.2.3",
        "1.2.3.4.5",
        "1.2.3.4/24x",
        "a.b.c.d",
        "",
        "*",
      ];
    case "ipv6":
      return [
        "::1",
        "2001:db8::1",
        "2001:db8::/32",
        "fe80::1/64",
        "fe80::1/ffff:ffff::",
        "fe80::1/ffff:0:ffff::",
        "::ffff:1.2.3.4",
        "::1.2.3.4",
        "1:2:3:4:5:6:7:8",
        "1:0:0:2:0:0:0:3",
        "2001:db8::1/129",
        "1:2:3:4:5:6:7:8:9",
        "::g",
        "1::2::3",
        "",
        "*",
      ];
    case "ofp_port":
    case "ofp_port_oxm":
      return [
        "1",
        "0",
        "65279",
        "65280",
        "LOCAL",
        "local",
        "IN_PORT",
        "TABLE",
        "NORMAL",
        "FLOOD",
        "ALL",
        "CONTROLLER",
        "ANY",
        "NONE",
        "UNSET",
        "65534",
        "0xfffe",
        "4294967294",
        "4294967040",
        "4294967039",
        "-1",
        "p1",
        '"p1"',
        "",
        "*",
      ];
    case "frag":
      return ["no", "yes", "first", "later", "not_later", "YES", "maybe", "", "*"];
    case "tunnel_flags":
      return [
        "oam",
        "+oam",
        "-oam",
        "0x1",
        "0x1/0x1",
        "0",
        "df",
        "+df",
        "oam|oam",
        "+oam+oam",
        "x",
        "",
        "*",
      ];
    case "tcp_flags":
      return [
        "syn",
        "+syn",
        "-syn",
        "+syn-ack",
        "-rst+fin+urg",
        "syn|ack",
        "fin|syn|rst|psh|ack|urg|ece|cwr|ns",
        "+[200]",
        "0x002",
        "0x002/0x0fff",
        "0x012/0x012",
        "0x1000",
        "0x2/0x1000",
        "+syn+syn",
        "syn-ack",
        "+bogus",
        "bogus",
        "+syn,ack",
        "",
        "*",
      ];
    case "ct_state":
      return [
        "+trk",
        "-trk",
        "+trk+new",
        "+trk-new+est",
        "trk",
        "trk|new",
        "new|est|rel|rpl|inv|trk|snat|dnat",
        "0x21",
        "0x21/0x21",
        "0x21/0xff",
        "0x100",
        "+trk+trk",
        "+bogus",
        "trk+new",
        "",
        "*",
      ];
    case "packet_type":
      return [
        "(0,0)",
        "(1,0x800)",
        "(1,0x86dd)",
        "(0x1,0x894f)",
        "(2,5)",
        "(0,0x1234)",
        "0,0",
        "(1)",
        "(1,2",
        "(x,1)",
        "(1,y)",
        "(1,0x10000)",
        "",
        "*",
      ];
  }
}

/** Values every field gets; the first field of each format gets the whole list. */
function compactValues(f: Field, all: string[]): string[] {
  const pick = new Set([all[0]!, all[1]!, all[2]!, all[all.length - 2]!]);
  if (f.maskable) {
    const masked = all.find((v) => v.includes("/") && v !== "0/0" && v !== "*");
    if (masked) pick.add(masked);
  } else if (f.format === "decimal" || f.format === "hexadecimal") {
    pick.add("5/0xff");
  }
  if (f.format === "decimal" || f.format === "hexadecimal") {
    pick.add(maxHex(Math.min(f.nBytes, 8)));
    pick.add("0x" + "1" + "00".repeat(f.nBytes));
  }
  return [...pick];
}

/** Every generated match string (no actions), valid and invalid. */
export function fieldCorpus(): string[] {
  const out = new Set<string>();
  const seenFormats = new Set<string>();
  for (const f of FIELDS) {
    const prefixes = PREFIX[f.prerequisite] ?? [""];
    const names = f.extraName ? [f.name, f.extraName] : [f.name];
    const all = valuesFor(f);
    const values = seenFormats.has(f.format) ? compactValues(f, all) : all;
    seenFormats.add(f.format);
    for (const v of values) out.add(`${prefixes[0]}${f.name}=${v}`);
    for (const p of prefixes.slice(1)) out.add(`${p}${f.name}=${all[1]}`);
    for (const n of names.slice(1)) out.add(`${prefixes[0]}${n}=${all[0]}`);
    // Bare key (matches on existence: "0/0") and a missing prerequisite.
    out.add(`${prefixes[0]}${f.name}`);
    if (prefixes[0]) out.add(`${f.name}=${all[0]}`);
  }
  return [...out];
}

/** Hand-written cases: shorthands, combinations, VLAN semantics, subfields, bad keys. */
export const EXTRA_CORPUS: string[] = [
  "",
  "ip",
  "ipv4",
  "ip4",
  "arp",
  "rarp",
  "icmp",
  "tcp",
  "udp",
  "sctp",
  "ipv6",
  "ip6",
  "icmp6",
  "tcp6",
  "udp6",
  "sctp6",
  "mpls",
  "mplsm",
  "eth",
  "eth,ip",
  "eth,packet_type=(1,0x800)",
  "packet_type=(1,0x800),ip",
  "packet_type=(1,0x86dd),nw_proto=6",
  "packet_type=(1,0x800),nw_proto=6,tp_dst=5",
  "ip,tcp",
  "tcp,udp",
  "arp,ip",
  "dl_type=0x0800,nw_proto=6",
  "dl_type=0x86dd,nw_proto=17,tp_dst=53",
  "dl_type=0x0806,arp_op=2",
  "dl_type=0x05ff",
  "dl_type=0x88cc",
  "dl_type=0x8847,mpls_label=3",
  "ip,arp_op=1",
  "ip,arp_op=6",
  "arp,nw_proto=3",
  "arp_op=2",
  "arp_op=2,arp",
  "ipv6,arp_op=17,tp_dst=3",
  "nw_proto=6,tcp_dst=5",
  "tcp,nd_options_type=5",
  "dl_vlan=0",
  "dl_vlan=4095",
  "dl_vlan=4096",
  "dl_vlan=0xffff",
  "dl_vlan=0x1005",
  "dl_vlan=5,dl_vlan_pcp=7",
  "dl_vlan_pcp=7,dl_vlan=5",
  "dl_vlan_pcp=8",
  "vlan_tci=0",
  "vlan_tci=0x0000",
  "vlan_tci=0x1000/0x1000",
  "vlan_tci=0x0000/0x1000",
  "vlan_tci=0x1005",
  "vlan_tci=0x3005",
  "vlan_tci=0x1005/0x1fff",
  "vlan_tci=0xe000/0xe000",
  "vlan_tci=0xf000/0xf000",
  "vlan_tci=0x0005/0x0fff",
  "vlan_vid=0x1000",
  "vlan_vid=0x1000/0x1000",
  "vlan_vid=0x1005/0x1fff",
  "vlan_vid=0/0x1000",
  "vlan_vid=0x1001/0x1ff1",
  "vlan_vid=0x2000",
  "vlan_pcp=3,vlan_vid=0x1000/0x1000",
  "dl_vlan=5,vlan_pcp=3",
  "dl_vlan=5,dl_vlan=6",
  "dl_vlan=5,dl_vlan=0xffff",
  "dl_vlan_pcp=3,dl_vlan=*",
  "dl_vlan=3,dl_vlan_pcp=*",
  "vlan_tci=0x1234,dl_vlan=*",
  "ip,nw_tos=0",
  "ip,nw_tos=3",
  "ip,nw_tos=255",
  "ip,nw_tos=256",
  "ip,ip_dscp=63",
  "ip,ip_dscp=64",
  "ip,nw_tos=4,nw_ecn=3",
  "ip,nw_ecn=4",
  "ipv6,nw_tos=8",
  "ipv6,nw_ttl=1",
  "ipv6,ipv6_label=0x12345/0xfffff",
  "ipv6,ipv6_label=0x12345/0xf0000",
  "ipv6,ipv6_label=0x100000",
  "icmp,icmp_type=3,icmp_code=1",
  "icmp,icmp_type=256",
  "icmp6,icmpv6_type=128,icmpv6_code=0",
  "icmp6,icmp_type=135,icmp_code=0,nd_target=fe80::1,nd_sll=00:11:22:33:44:55",
  "icmp6,icmp_type=136,icmp_code=0,nd_target=fe80::1/64,nd_tll=00:11:22:33:44:55",
  "icmp6,icmp_type=135,nd_reserved=5,nd_options_type=1",
  "icmp6,icmp_type=136,icmp_code=0,nd_reserved=0x20000000,nd_options_type=2",
  "icmp6,nd_target=::1",
  "tcp,tp_src=1,tp_dst=2",
  "tcp,tp_src=0x100/0xff00",
  "udp,udp_src=5/0xfff0,udp_dst=53",
  "sctp6,sctp_src=9,sctp_dst=0x10/0xf0",
  "tcp,tcp_flags=+syn-ack,tp_dst=80",
  "tcp6,tcp_flags=0x010",
  "ip,nw_frag=later,nw_ttl=3",
  "ip,nw_src=10.0.0.1,nw_dst=10.0.0.0/255.0.0.0",
  "ip,nw_src=10.0.0.1/255.0.0.255",
  "arp,arp_spa=10.0.0.1,arp_tpa=10.0.0.0/8,arp_sha=01:02:03:04:05:06,arp_tha=ff:ff:ff:ff:ff:ff/01:00:00:00:00:00",
  "arp,arp_op=1,arp_op=2",
  "in_port=1,in_port=2",
  "in_port=1,in_port_oxm=2",
  "in_port_oxm=LOCAL",
  "in_port_oxm=0xfffffffe",
  "actset_output=LOCAL",
  "actset_output=CONTROLLER",
  "actset_output=UNSET",
  "in_port=UNSET",
  "in_port=ANY",
  "tun_id=0x5/0xff,tun_src=1.1.1.1,tun_dst=2.2.2.0/24",
  "tunnel_id=0x123456789abcdef",
  "tun_id=0x10000000000000000",
  "tun_ipv6_src=2001::1,tun_ipv6_dst=2001::/16",
  "tun_gbp_id=5,tun_gbp_flags=0x80",
  "tun_flags=+oam,tun_id=1",
  "metadata=0x123456789abcdef0",
  "metadata=0x1/0x1",
  "reg0=1,reg1=2,reg2=3,reg3=4,reg4=5,reg5=6,reg6=7,reg7=8",
  "reg8=1,reg9=2,reg10=3,reg11=4,reg12=5,reg13=6,reg14=7,reg15=8",
  "xreg0=0x100000002,reg2=3",
  "xreg7=0xffffffffffffffff/0xffff0000ffff0000",
  "xxreg0=0x1,xxreg3=0x11111111222222223333333344444444",
  "xxreg4=1",
  "reg0[0..3]=5",
  "reg0[0..3]=16",
  "reg0[3]=1",
  "reg0[]=0x12345678",
  "reg0[0..3]=5,reg0[4..7]=6",
  "reg0=1,reg0[4..7]=6",
  "NXM_NX_REG1[4]=1",
  "NXM_NX_REG1[0..15]=0xffff",
  "NXM_OF_ETH_DST[40..47]=0x01",
  "eth_dst[40..47]=0x01",
  "eth_dst[0..47]=0x010203040506",
  "eth_dst[0..7]=0x100",
  "OXM_OF_VLAN_VID[0..11]=5",
  "vlan_vid[0..11]=5",
  "vlan_tci[13..15]=3",
  "ip,ip_src[24..31]=10",
  "tcp,tcp_dst[0..7]=0x50",
  "metadata[0..7]=0x55",
  "metadata[8..15]=5,metadata[0..7]=6",
  "xxreg1[120..127]=0xaa",
  "reg0[4..3]=1",
  "reg0[32]=1",
  "reg0[0..32]=1",
  "reg0[x]=1",
  "reg0[0..3=1",
  "bogus[0..3]=1",
  "reg0[0..3]=abc",
  "reg0[0..3]",
  "pkt_mark=0xffffffff",
  "pkt_mark=0x1/0x3",
  "skb_priority=0x5",
  "recirc_id=0",
  "conj_id=5",
  "dp_hash=0x1/0xf",
  "ct_state=+trk+est,ct_zone=5,ct_mark=0x3/0xf,ct_label=0x1/0x1",
  "ct_state=+trk,ct_state=+new",
  "ct_state=-inv+trk,ip,ct_nw_src=1.1.1.1",
  "ct_state=+trk,ip,ct_nw_src=1.1.1.1",
  "ct_state=+trk+est,ip,ct_nw_proto=6,ct_tp_src=80,ct_tp_dst=0x100/0xff00",
  "ct_state=+trk+est,ipv6,ct_ipv6_src=::1,ct_ipv6_dst=2001::/64",
  "ct_label=0x10000000000000000000000000000000",
  "ct_label=0xffffffffffffffffffffffffffffffff/0xf",
  "mpls,mpls_label=1048575,mpls_tc=7,mpls_bos=1,mpls_ttl=255",
  "mpls,mpls_label=1048576",
  "mpls,mpls_tc=8",
  "mpls,mpls_bos=2",
  "ipv6,ipv6_src=::1,ipv6_dst=::2,ipv6_label=1",
  "priority",
  "foo=1",
  "foo",
  "nw_src",
  "ip,nw_src",
  "tcp,tp_dst",
  "in_port",
  "dl_src",
  "no_readonly_table",
  "allow_hidden_fields,ip",
  "NXM_OF_IN_PORT=1",
  "dl_type=0x800,ip_proto=6",
  "nw_frag=no",
  "ip,nw_frag=no,tcp",
  ...[
    "::",
    "1::",
    "1:0:0:2:0:0:3:4",
    "0:0:1:0:0:0:0:0",
    "::0.0.0.1",
    "::ffff:0:0",
    "::ffff:0:1.2.3.4",
    "0:0:0:0:0:1:0:0",
    "1:0:2:3:4:5:6:7",
    "ABCD::EF",
    "1:2:3:4:5:6:1.2.3.4",
    "::1.2.3.4/96",
    "::1/0",
    "::1/ffff::ffff",
    "12345::",
    "::01.2.3.4",
    " ::1",
    "::1 ",
  ].map((a) => `ipv6,ipv6_src=${a}`),
  "tcp,tcp_flags=0x012/0x0ffjunk",
  "tcp,tcp_flags=syn|",
  "tcp,tcp_flags=|syn",
  "tcp,tcp_flags=18",
  "tcp,tcp_flags=-0x1",
  "ct_state=0x100000000",
  "ct_state=+trk-new,ct_state=-est",
];
