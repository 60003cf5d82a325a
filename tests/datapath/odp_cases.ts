// Datapath flow texts for the ODP key tests: the key forms of upstream's tests/odp.at (valid
// exact forms for `ovstest test-odp parse-keys`, wildcarded forms for `parse-wc-keys`), built
// the way that file builds them from its base lines, and dump-flows lines from
// tests/ofproto-dpif.at and tests/dpif-netdev.at. Test-only data.

const E = "eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15)";
const IP4 = "ipv4(src=35.8.2.41,dst=172.16.0.20";
const IP6 = "ipv6(src=::1,dst=::2,label=0";

export const EXACT_BASE: readonly string[] = [
  `in_port(1),${E}`,
  `in_port(1),${E},eth_type(0x1234)`,
  `in_port(1),${E},eth_type(0x0800),${IP4},proto=5,tos=0x80,ttl=128,frag=no)`,
  `in_port(1),${E},eth_type(0x0800),${IP4},proto=5,tos=0x81,ttl=128,frag=no)`,
  `in_port(1),${E},eth_type(0x0800),${IP4},proto=5,tos=0x80,ttl=128,frag=first)`,
  `in_port(1),${E},eth_type(0x0800),${IP4},proto=5,tos=0x80,ttl=128,frag=later)`,
  `in_port(1),${E},eth_type(0x0800),${IP4},proto=6,tos=0,ttl=128,frag=no),tcp(src=80,dst=8080)`,
  `in_port(1),${E},eth_type(0x0800),${IP4},proto=17,tos=0,ttl=128,frag=no),udp(src=81,dst=6632)`,
  `in_port(1),${E},eth_type(0x0800),${IP4},proto=1,tos=0,ttl=128,frag=no),icmp(type=1,code=2)`,
  `in_port(1),${E},eth_type(0x86dd),${IP6},proto=10,tclass=0x70,hlimit=128,frag=no)`,
  `in_port(1),${E},eth_type(0x86dd),${IP6},proto=10,tclass=0x71,hlimit=128,frag=no)`,
  `in_port(1),${E},eth_type(0x86dd),${IP6},proto=10,tclass=0x70,hlimit=128,frag=first)`,
  `in_port(1),${E},eth_type(0x86dd),${IP6},proto=10,tclass=0x70,hlimit=128,frag=later)`,
  `in_port(1),${E},eth_type(0x86dd),${IP6},proto=6,tclass=0,hlimit=128,frag=no),tcp(src=80,dst=8080)`,
  `in_port(1),${E},eth_type(0x86dd),${IP6},proto=17,tclass=0,hlimit=128,frag=no),udp(src=6630,dst=22)`,
  `in_port(1),${E},eth_type(0x86dd),${IP6},proto=58,tclass=0,hlimit=128,frag=no),icmpv6(type=1,code=2)`,
  `in_port(1),${E},eth_type(0x86dd),${IP6},proto=58,tclass=0,hlimit=128,frag=no),icmpv6(type=136,code=0),nd(target=::3,sll=00:05:06:07:08:09,tll=00:0a:0b:0c:0d:0e)`,
  `in_port(1),${E},eth_type(0x0806),arp(sip=1.2.3.4,tip=5.6.7.8,op=1,sha=00:0f:10:11:12:13,tha=00:14:15:16:17:18)`,
  `in_port(1),${E},eth_type(0x86dd),${IP6},proto=58,tclass=0,hlimit=128,frag=no),icmpv6(type=136,code=0),nd(target=::3,sll=00:05:06:07:08:09,tll=00:0a:0b:0c:0d:0e),nd_ext(nd_reserved=0x0,nd_options_type=2)`,
  `in_port(1),${E},eth_type(0x8847),mpls(label=100,tc=3,ttl=64,bos=1)`,
  `in_port(1),${E},eth_type(0x8847),mpls(label=100,tc=7,ttl=100,bos=1)`,
  `in_port(1),${E},eth_type(0x8847),mpls(label=100,tc=7,ttl=100,bos=0)`,
  `in_port(1),${E},eth_type(0x8848),mpls(label=1000,tc=4,ttl=200,bos=1)`,
  `in_port(1),${E},eth_type(0x8848),mpls(label=1000,tc=4,ttl=200,bos=0)`,
];

/** odp.at's sed that wraps everything after eth(...) in a VLAN header's encap(...). */
function wrapVlan(line: string, vlan: string): string {
  return line.replace(/(eth\([^)]*\)),*/, `$1,eth_type(0x8100),${vlan},encap(`) + ")";
}

/** Input lines of odp.at's "valid forms" test, with the expected parse-keys output of each. */
export function exactForms(): { input: string; output: string }[] {
  const pre = "skb_priority(0),skb_mark(0),recirc_id(0),dp_hash(0),";
  const inputs: string[] = [];
  const plain = EXACT_BASE.map((l) => pre + l);
  inputs.push(...plain, ...plain);
  inputs.push(
    ...EXACT_BASE.map((l) =>
      "skb_priority(0),tunnel(tun_id=0x7f10354,src=10.10.10.10,dst=20.20.20.20,ttl=64," +
      "flags(csum|key)),skb_mark(0x1234),recirc_id(0),dp_hash(0)," + l
    ),
  );
  inputs.push(...plain.map((l) => wrapVlan(l, "vlan(vid=99,pcp=7)")));
  inputs.push(...plain, ...plain);
  inputs.push(
    ...EXACT_BASE.map((l) =>
      wrapVlan(
        "skb_priority(0),tunnel(tun_id=0xfedcba9876543210,src=10.0.0.1,dst=10.0.0.2,tos=0x8," +
          "ttl=128,flags(key)),skb_mark(0),recirc_id(0),dp_hash(0)," + l,
        "vlan(vid=99,pcp=7)",
      )
    ),
  );
  inputs.push(
    ...EXACT_BASE.map((l) =>
      wrapVlan(
        "skb_priority(0x1234),tunnel(tun_id=0xfedcba9876543210,src=10.10.10.10," +
          "dst=20.20.20.20,tos=0x8,ttl=64,flags(key)),skb_mark(0),recirc_id(0),dp_hash(0)," + l,
        "vlan(vid=99,pcp=7)",
      )
    ),
  );
  inputs.push(
    ...EXACT_BASE.map((l) =>
      "skb_priority(0),skb_mark(0),ct_mark(0x12345678)," +
      "ct_label(0x1234567890abcdef1234567890abcdef),recirc_id(0),dp_hash(0)," + l
    ),
  );
  inputs.push(
    ...plain.filter((l) => l.includes(",frag=no),")).map((l) =>
      l.replace(",frag=no),", ",frag=first),")
    ),
  );
  inputs.push(
    ...plain.filter((l) => l.includes(",frag=no),")).map((l) =>
      l.replace(/,frag=no\),.*/, ",frag=later)")
    ),
  );
  return inputs.map((input) => {
    let output = input;
    output = output.replace(/(skb_mark\(0\)),(ct)/, "$1,ct_state(0),ct_zone(0),$2");
    output = output.replace(
      /(skb_mark\([^)]*\)),(recirc)/,
      "$1,ct_state(0),ct_zone(0),ct_mark(0),ct_label(0),$2",
    );
    output = output.replace(/(in_port\(1\)),(eth)/, "$1,packet_type(ns=0,id=0),$2");
    if (/bos=0/.test(input)) output = `ODP_FIT_TOO_LITTLE: ${output}`;
    return { input, output };
  });
}

export const WILDCARD_BASE: readonly string[] = [
  "in_port(1/0xff),eth(src=00:01:02:03:04:05/ff:ff:ff:ff:ff:f0,dst=10:11:12:13:14:15/ff:ff:ff:ff:ff:f0)",
  `in_port(1),${E},eth_type(0x1234/0xfff0)`,
  `in_port(1),${E},eth_type(0x0800),ipv4(src=35.8.2.41/255.255.255.0,dst=172.16.0.20/255.255.255.0,proto=5/0xf0,tos=0x80/0xf0,ttl=128/0xf0,frag=no)`,
  `in_port(1),${E},eth_type(0x0800),${IP4},proto=6,tos=0,ttl=128,frag=no),tcp(src=80/0xff00,dst=8080/0xff)`,
  `in_port(1),${E},eth_type(0x0800),${IP4},proto=17,tos=0,ttl=128,frag=no),udp(src=81/0xff00,dst=6632/0xff)`,
  `in_port(1),${E},eth_type(0x0800),${IP4},proto=17,tos=0,ttl=128,frag=no),udp(src=81/0xff,dst=6632/0xff00)`,
  `in_port(1),${E},eth_type(0x0800),${IP4},proto=1,tos=0,ttl=128,frag=no),icmp(type=1/0xf0,code=2)`,
  `in_port(1),${E},eth_type(0x86dd),ipv6(src=::1/::255,dst=::2/::255,label=0/0xf0,proto=10/0xf0,tclass=0x70/0xf0,hlimit=128/0xf0,frag=no)`,
  `in_port(1),${E},eth_type(0x86dd),${IP6},proto=6,tclass=0,hlimit=128,frag=no),tcp(src=80/0xff00,dst=8080/0xff)`,
  `in_port(1),${E},eth_type(0x86dd),${IP6},proto=17,tclass=0,hlimit=128,frag=no),udp(src=6630/0xff00,dst=22/0xff)`,
  `in_port(1),${E},eth_type(0x86dd),${IP6},proto=58,tclass=0,hlimit=128,frag=no),icmpv6(type=1/0xf0,code=2)`,
  `in_port(1),${E},eth_type(0x86dd),${IP6},proto=58,tclass=0,hlimit=128,frag=no),icmpv6(type=135,code=0),nd(target=::3/::250)`,
  `in_port(1),${E},eth_type(0x86dd),${IP6},proto=58,tclass=0,hlimit=128,frag=no),icmpv6(type=135,code=0),nd(target=::3/::250,sll=00:05:06:07:08:09/ff:ff:ff:ff:ff:00)`,
  `in_port(1),${E},eth_type(0x86dd),${IP6},proto=58,tclass=0,hlimit=128,frag=no),icmpv6(type=136,code=0),nd(target=::3/::250,tll=00:0a:0b:0c:0d:0e/ff:ff:ff:ff:ff:00)`,
  `in_port(1),${E},eth_type(0x86dd),${IP6},proto=58,tclass=0,hlimit=128,frag=no),icmpv6(type=136,code=0),nd(target=::3/::250,sll=00:05:06:07:08:09/ff:ff:ff:ff:ff:00,tll=00:0a:0b:0c:0d:0e/ff:ff:ff:ff:ff:00)`,
  `in_port(1),${E},eth_type(0x0806),arp(sip=1.2.3.4/255.255.255.250,tip=5.6.7.8/255.255.255.250,op=1/0xf0,sha=00:0f:10:11:12:13/ff:ff:ff:ff:ff:00,tha=00:14:15:16:17:18/ff:ff:ff:ff:ff:00)`,
  `skb_mark(0x1234/0xfff0),in_port(1),${E},eth_type(0x86dd),${IP6},proto=58,tclass=0,hlimit=128,frag=no),icmpv6(type=136,code=0),nd(target=::3,sll=00:05:06:07:08:09,tll=00:0a:0b:0c:0d:0e)`,
];

/** odp.at's "wildcarded key" forms (parse-wc-keys prints each back unchanged). */
export function wildcardForms(): string[] {
  const b = WILDCARD_BASE;
  const out: string[] = [...b];
  out.push(
    ...b.map((l) =>
      "tunnel(tun_id=0x7f10354/0xff,src=10.10.10.10/255.255.255.0,dst=20.20.20.20/255.255.255.0," +
      "ttl=64,vxlan(gbp(id=10/0xff,flags=0xb)),flags(oam|csum|key))," + l
    ),
  );
  out.push(
    ...b.map((l) =>
      "tunnel(tun_id=0x7f10354/0xff,src=10.10.10.10/255.255.255.0,dst=20.20.20.20/255.255.255.0," +
      "ttl=64,flags(-df+csum+key))," + l
    ),
  );
  out.push(...b.map((l) => wrapVlan(l, "vlan(vid=99,pcp=7)")));
  out.push(...b);
  out.push(...b.map((l) => "skb_priority(0x1234/0xff)," + l));
  out.push(
    ...b.map((l) =>
      wrapVlan(
        "tunnel(tun_id=0xfedcba9876543210,src=10.0.0.1,dst=10.0.0.2,tos=0x8,ttl=128,flags(key))," +
          l,
        // odp.at's "pcp=7/0xe" makes its sed command invalid (that section is empty there).
        "vlan(vid=99/0xff0,pcp=7/0x6)",
      )
    ),
  );
  out.push(
    ...b.map((l) =>
      wrapVlan(
        "skb_priority(0x1234),tunnel(tun_id=0xfedcba9876543210,src=10.10.10.10,dst=20.20.20.20," +
          "tos=0x8,ttl=64,flags(key))," + l,
        "vlan(vid=99,pcp=7)",
      )
    ),
  );
  out.push(
    ...b.map((l) =>
      l.replace(
        /(eth\([^)]*\)),/,
        "$1,ct_state(+trk),ct_zone(0x5/0xff),ct_mark(0x10305070/0xf0f0f0f0)," +
          "ct_label(0x1234567890abcdef1234567890abcdef/0x102030405060708090a0b0c0d0e0f0)," +
          "ct_tuple4(src=10.10.10.10,dst=20.20.20.20,proto=17,tp_src=1,tp_dst=2),",
      )
    ),
  );
  out.push(
    ...b.filter((l) => l.includes(",frag=no),")).map((l) =>
      l.replace(",frag=no),", ",frag=first),")
    ),
  );
  out.push(
    ...b.filter((l) => l.includes(",frag=no),")).map((l) =>
      l.replace(/,frag=no\),.*/, ",frag=later)")
    ),
  );
  return out;
}

/** Megaflow keys and masks as dump-flows printed them in ofproto-dpif.at and dpif-netdev.at. */
export const DUMP_FLOWS_LINES: readonly string[] = [
  "recirc_id(0),in_port(1),packet_type(ns=0,id=0),eth(dst=50:54:00:00:00:0a),eth_type(0x0800),ipv4(frag=no)",
  "recirc_id(0),in_port(1),packet_type(ns=0,id=0),eth(src=00:06:07:08:09:0a,dst=00:01:02:03:04:05),eth_type(0x8100),vlan(vid=1000,pcp=5/0x0),encap(eth_type(0x0800),ipv4(frag=no))",
  "recirc_id(0),in_port(1),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:09),eth_type(0x0800),ipv4(frag=no)",
  "recirc_id(0),in_port(1),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:09),eth_type(0x8847),mpls(label=11,tc=3,ttl=64,bos=1)",
  "recirc_id(0),in_port(1),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:09,dst=50:54:00:00:00:0a),eth_type(0x0800),ipv4(src=10.0.0.2,dst=10.0.0.1,proto=1,tos=0/0xfc,frag=no),icmp(type=8,code=0)",
  "recirc_id(0),in_port(1),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:0b),eth_type(0x8847),mpls(label=11/0x0,tc=3/0,ttl=64/0x0,bos=1/1)",
  "recirc_id(0),in_port(1),packet_type(ns=0,id=0),eth(src=60:66:66:66:66:00),eth_type(0x8847),mpls(label=20,tc=0,ttl=32,bos=0,label=20,tc=0,ttl=32,bos=1)",
  "recirc_id(0),in_port(1),packet_type(ns=0,id=0),eth(src=60:66:66:66:66:01),eth_type(0x8847),mpls(label=20/0x0,tc=0/0,ttl=32/0x0,bos=0/1,label=20/0xfffff,tc=0/7,ttl=32/0xff,bos=1/1)",
  "recirc_id(0),in_port(1),packet_type(ns=0,id=0),eth_type(0x0800),ipv4(frag=no)",
  "recirc_id(0),in_port(1),packet_type(ns=0,id=0),eth_type(0x0800),ipv4(proto=1,frag=no),icmp(type=8)",
  "recirc_id(0),in_port(1),packet_type(ns=0,id=0),eth_type(0x0800),ipv4(proto=17,frag=later)",
  "recirc_id(0),in_port(1),packet_type(ns=0,id=0),eth_type(0x0800),ipv4(proto=17,frag=no),udp(src=1)",
  "recirc_id(0),in_port(1),packet_type(ns=0,id=0),eth_type(0x0800),ipv4(src=10.0.0.2/255.255.255.252,frag=no)",
  "recirc_id(0),in_port(1),packet_type(ns=0,id=0),eth_type(0x0800),ipv4(src=10.0.0.4,proto=1,ttl=64,frag=no)",
  "recirc_id(0),in_port(1),packet_type(ns=0,id=0),eth_type(0x0800),ipv4(tos=0xfd/0x3,frag=no)",
  "recirc_id(0),in_port(1),packet_type(ns=0,id=0),eth_type(0x1234)",
  "recirc_id(0),in_port(1),packet_type(ns=0,id=0),eth_type(0x8100),vlan(vid=10),encap(eth_type(0x0800),ipv4(frag=no))",
  "recirc_id(0),in_port(1),packet_type(ns=0,id=0),eth_type(0x8100),vlan(vid=11,pcp=7/0x0),encap(eth_type(0x0800),ipv4(frag=no))",
  "recirc_id(0),in_port(1),packet_type(ns=0,id=0),eth_type(0x8100),vlan(vid=99,pcp=7),encap(eth_type(0x0806))",
  "recirc_id(0),in_port(1),packet_type(ns=0,id=0),eth_type(0x8100),vlan(vid=99,pcp=7/0x0),encap(eth_type(0x0800),ipv4(src=127.0.0.1,proto=17,frag=no),udp(dst=82))",
  "recirc_id(0),in_port(1),packet_type(ns=0,id=0),eth_type(0x86dd),ipv6(proto=58,frag=no),icmpv6(type=128)",
  "recirc_id(0),in_port(1),packet_type(ns=0,id=0),eth_type(0x86dd),ipv6(src=2001:db8:3c4d:1:2:3:4:5,frag=no)",
  "recirc_id(0),in_port(1),packet_type(ns=0,id=0),eth_type(0x86dd),ipv6(src=2001:db8:3c4d:5:4:3:2:1/ffff:ffff:ffff:fffc::,frag=no)",
  "recirc_id(0),in_port(4),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:09,dst=ff:ff:ff:ff:ff:ff),eth_type(0x8035)",
  "recirc_id(0),in_port(90),packet_type(ns=0,id=0),eth_type(0x0800),ipv4(proto=6,frag=first),tcp(src=33419/0xff)",
  "recirc_id(0),in_port(90),packet_type(ns=0,id=0),eth_type(0x0800),ipv4(proto=6,frag=later)",
  "recirc_id(0),in_port(90),packet_type(ns=0,id=0),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(dst=16/0xfff0)",
  "recirc_id(0),in_port(90),packet_type(ns=0,id=0),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(src=0/0xff)",
  "recirc_id(0x1),dp_hash(0x5/0xf),in_port(1),packet_type(ns=0,id=0),eth_type(0x0800),ipv4(src=192.168.0.1,frag=no)",
];
