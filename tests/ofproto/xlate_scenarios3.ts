// Still more translation scenarios from upstream's tests/ofproto-dpif.at (see
// xlate_scenarios.ts): the "ofproto-dpif megaflow - ..." cases (the masks the datapath flows get,
// read here from the trace's Megaflow line), queues with DSCP, OFPP_NONE ingress, VLAN matching,
// long resubmit chains, MPLS label stacks that need userspace, the value stack across patch
// ports, and traces given a packet.

import type { XScenario } from "./xlate_scenarios.ts";

function ports(...numbers: number[]): { name: string; ofport: number }[] {
  return numbers.map((n) => ({ name: `p${n}`, ofport: n }));
}

/** The two packets upstream's megaflow tests send. */
const PKT_A =
  "in_port(1),eth(src=50:54:00:00:00:09,dst=50:54:00:00:00:0a),eth_type(0x0800),ipv4(src=10.0.0.2,dst=10.0.0.1,proto=1,tos=0,ttl=64,frag=no),icmp(type=8,code=0)";
const PKT_B =
  "in_port(1),eth(src=50:54:00:00:00:0b,dst=50:54:00:00:00:0c),eth_type(0x0800),ipv4(src=10.0.0.4,dst=10.0.0.3,proto=1,tos=0,ttl=64,frag=no),icmp(type=8,code=0)";

function megaflow(
  name: string,
  flows: string,
  expect: [string, string][],
  extra: Partial<XScenario> = {},
): XScenario {
  return {
    name: `megaflow - ${name}`,
    ports: ports(1, 2),
    flows: { br0: flows },
    traces: [["ovs-dummy", PKT_A], ["ovs-dummy", PKT_B]],
    expect: expect.map(([megaflow, actions], trace) => ({ trace, megaflow, actions })),
    ...extra,
  };
}

/** Two MPLS labels (20, 20) over TCP, from "MPLS actions that result in a userspace action". */
function mplsPacket(srcByte: string): string {
  return `5054000000076066666666${srcByte}8847` + "0001402000014120" +
    "4500002c0000000040063b78c0a80001c0a80002" + "00500000000000" +
    "2a0000002a50002710774400004" + "84f4745";
}

/** The flows of upstream's "ofproto-dpif - MPLS handling" (its first test of that name). */
const MPLS_HANDLING_FLOWS =
  `cookie=0xa dl_src=40:44:44:44:44:42 actions=push_mpls:0x8847,load:10->OXM_OF_MPLS_LABEL[],load:3->OXM_OF_MPLS_TC[],controller
cookie=0xa dl_src=41:44:44:44:44:42 actions=push_mpls:0x8847,load:10->OXM_OF_MPLS_LABEL[],load:3->OXM_OF_MPLS_TC[],pop_mpls:0x0800,controller
cookie=0xa dl_src=40:44:44:44:44:43 actions=push_mpls:0x8847,load:10->OXM_OF_MPLS_LABEL[],load:3->OXM_OF_MPLS_TC[],controller
cookie=0xa dl_src=40:44:44:44:44:44 actions=push_mpls:0x8847,load:10->OXM_OF_MPLS_LABEL[],load:3->OXM_OF_MPLS_TC[],controller
cookie=0xa dl_src=40:44:44:44:44:45 actions=push_mpls:0x8847,load:10->OXM_OF_MPLS_LABEL[],load:3->OXM_OF_MPLS_TC[],dec_mpls_ttl,controller
cookie=0xa dl_src=40:44:44:44:44:46 actions=push_mpls:0x8847,load:10->OXM_OF_MPLS_LABEL[],load:3->OXM_OF_MPLS_TC[],set_mpls_ttl(10),controller
cookie=0xa dl_src=40:44:44:44:44:47 actions=push_mpls:0x8847,load:10->OXM_OF_MPLS_LABEL[],load:3->OXM_OF_MPLS_TC[],dec_mpls_ttl,set_mpls_ttl(10),controller
cookie=0xa dl_src=40:44:44:44:44:48 actions=push_mpls:0x8847,load:10->OXM_OF_MPLS_LABEL[],load:3->OXM_OF_MPLS_TC[],set_mpls_ttl(10),dec_mpls_ttl,controller
cookie=0xa mpls,dl_src=40:44:44:44:44:49 actions=push_mpls:0x8848,load:10->OXM_OF_MPLS_LABEL[],CONTROLLER:65535
cookie=0xb dl_src=50:55:55:55:55:55 dl_type=0x8847 actions=load:1000->OXM_OF_MPLS_LABEL[],controller
cookie=0xd dl_src=60:66:66:66:66:66 actions=pop_mpls:0x0800,controller
cookie=0xc dl_src=70:77:77:77:77:77 actions=push_mpls:0x8848,load:1000->OXM_OF_MPLS_LABEL[],load:7->OXM_OF_MPLS_TC[],controller
cookie=0xd dl_src=60:66:66:66:00:01 actions=pop_mpls:0x0800,dec_ttl,controller
cookie=0xd dl_src=60:66:66:66:00:02 actions=pop_mpls:0x0800,load:0xa000001->OXM_OF_IPV4_DST[],controller
cookie=0xd dl_src=60:66:66:66:00:03 actions=pop_mpls:0x0800,move:OXM_OF_IPV4_DST[]->OXM_OF_IPV4_SRC[],controller
cookie=0xd dl_src=60:66:66:66:00:04 actions=pop_mpls:0x0800,push:OXM_OF_IPV4_DST[],pop:OXM_OF_IPV4_SRC[],controller
cookie=0xd dl_src=60:66:66:66:00:05 actions=pop_mpls:0x0800,multipath(eth_src,50,modulo_n,1,0,OXM_OF_IPV4_SRC[0..7]
`;

/** The packets that test sends: frames as hex, or datapath flows. */
const MPLS_HANDLING_PACKETS: string[] = [
  "in_port(1),eth(src=40:44:44:44:44:42,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=192.168.0.1,dst=192.168.0.2,proto=17,tos=0,ttl=64,frag=no),udp(src=7777,dst=80)",
  "in_port(1),eth(src=41:44:44:44:44:42,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=192.168.0.1,dst=192.168.0.2,proto=16,tos=0,ttl=64,frag=no)",
  "in_port(1),eth(src=40:44:44:44:44:43,dst=50:54:00:00:00:07),eth_type(0x8847),mpls(label=11,tc=3,ttl=64,bos=1)",
  "in_port(1),eth(src=40:44:44:44:44:44,dst=50:54:00:00:00:07),eth_type(0x8100),vlan(vid=99,pcp=7),encap(eth_type(0x0800),ipv4(src=192.168.0.1,dst=192.168.0.2,proto=16,tos=0,ttl=64,frag=no))",
  "in_port(1),eth(src=40:44:44:44:44:45,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=192.168.0.1,dst=192.168.0.2,proto=16,tos=0,ttl=64,frag=no)",
  "in_port(1),eth(src=40:44:44:44:44:46,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=192.168.0.1,dst=192.168.0.2,proto=16,tos=0,ttl=64,frag=no)",
  "in_port(1),eth(src=40:44:44:44:44:47,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=192.168.0.1,dst=192.168.0.2,proto=16,tos=0,ttl=64,frag=no)",
  "in_port(1),eth(src=40:44:44:44:44:49,dst=50:54:00:00:00:07),eth_type(0x8847),mpls(label=10,tc=3,ttl=64,bos=1)",
  "in_port(1),eth(src=40:44:44:44:44:48,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=192.168.0.1,dst=192.168.0.2,proto=16,tos=0,ttl=64,frag=no)",
  "in_port(1),eth(src=50:55:55:55:55:55,dst=50:54:00:00:00:07),eth_type(0x8847),mpls(label=100,tc=7,ttl=64,bos=1)",
  "in_port(1),eth(src=70:77:77:77:77:77,dst=50:54:00:00:00:07),eth_type(0x86dd),ipv6(src=::1,dst=::2,label=0,proto=10,tclass=0x70,hlimit=128,frag=no)",
  "50 54 00 00 00 07 60 66 66 66 66 66 88 47 00 01 41 20 45 00 00 2c 00 00 00 00 40 06 3b 78 c0 a8 00 01 c0 a8 00 02 00 50 00 00 00 00 00 2a 00 00 00 2a 50 00 27 10 77 44 00 00 48 4f 47 45",
  "50 54 00 00 00 07 60 66 66 66 00 01 88 48 00 01 41 20 45 00 00 2c 00 00 00 00 ff 06 3a 78 c0 a8 00 01 c0 a8 00 02 00 50 00 00 00 00 00 2a 00 00 00 2a 50 00 27 10 77 44 00 00 48 4f 47 45",
  "50 54 00 00 00 07 60 66 66 66 00 02 88 47 00 01 41 20 45 00 00 2c 00 00 00 00 ff 06 3a 78 c0 a8 00 01 c0 a8 00 02 00 50 00 00 00 00 00 2a 00 00 00 2a 50 00 27 10 77 44 00 00 48 4f 47 45",
  "50 54 00 00 00 07 60 66 66 66 00 03 88 48 00 01 41 20 45 00 00 2c 00 00 00 00 ff 06 3a 78 c0 a8 00 01 c0 a8 00 02 00 50 00 00 00 00 00 2a 00 00 00 2a 50 00 27 10 77 44 00 00 48 4f 47 45",
  "50 54 00 00 00 07 60 66 66 66 00 04 88 47 00 01 41 20 45 00 00 2c 00 00 00 00 ff 06 3a 78 c0 a8 00 01 c0 a8 00 02 00 50 00 00 00 00 00 2a 00 00 00 2a 50 00 27 10 77 44 00 00 48 4f 47 45",
  "50 54 00 00 00 07 60 66 66 66 00 05 88 48 00 01 41 20 45 00 00 2c 00 00 00 00 ff 06 3a 78 c0 a8 00 01 c0 a8 00 02 00 50 00 00 00 00 00 2a 00 00 00 2a 50 00 27 10 77 44 00 00 48 4f 47 45",
  "50 54 00 00 00 07 60 66 66 66 00 06 88 47 00 01 41 20 45 00 00 2c 00 00 00 00 ff 06 3a 78 c0 a8 00 01 c0 a8 00 02 00 50 00 00 00 00 00 2a 00 00 00 2a 50 00 27 10 77 44 00 00 48 4f 47 45",
  "50 54 00 00 00 07 60 66 66 66 00 07 88 48 00 01 41 20 45 00 00 2c 00 00 00 00 ff 06 3a 78 c0 a8 00 01 c0 a8 00 02 00 50 00 00 00 00 00 2a 00 00 00 2a 50 00 27 10 77 44 00 00 48 4f 47 45",
  "ff ff ff ff ff ff 60 66 66 66 00 08 88 47 00 01 41 20 00 01 08 00 06 04 00 02 60 66 66 66 00 08 c0 a8 00 01 ff ff ff ff ff ff ff ff ff ff",
  "50 54 00 00 00 07 60 66 66 66 00 09 88 48 00 01 41 20 45 00 00 2c 00 00 00 00 ff 06 3a 78 c0 a8 00 01 c0 a8 00 02 00 50 00 00 00 00 00 2a 00 00 00 2a 50 00 27 10 77 44 00 00 48 4f 47 45",
  "50 54 00 00 00 07 60 66 66 66 00 0a 88 48 00 01 41 20 45 00 00 2c 00 00 00 00 ff 06 3a 78 c0 a8 00 01 c0 a8 00 02 00 50 00 00 00 00 00 2a 00 00 00 2a 50 00 27 10 77 44 00 00 48 4f 47 45",
  "50 54 00 00 00 07 60 66 66 66 00 0b 88 48 00 01 41 20 45 00 00 2c 00 00 00 00 ff 06 3a 78 c0 a8 00 01 c0 a8 00 02 00 50 00 00 00 00 00 2a 00 00 00 2a 50 00 27 10 77 44 00 00 48 4f 47 45",
  "50 54 00 00 00 07 60 66 66 66 01 00 88 48 00 01 40 20 00 01 41 1f 45 00 00 2c 00 00 00 00 ff 06 3b 78 c0 a8 00 01 c0 a8 00 02 00 50 00 00 00 00 00 2a 00 00 00 2a 50 00 27 10 77 44 00 00 48 4f 47 45",
  "50 54 00 00 00 07 60 66 66 66 01 01 88 47 00 01 40 20 00 01 41 1f 45 00 00 2c 00 00 00 00 ff 06 3b 78 c0 a8 00 01 c0 a8 00 02 00 50 00 00 00 00 00 2a 00 00 00 2a 50 00 27 10 77 44 00 00 48 4f 47 45",
  "50 54 00 00 00 07 60 66 66 66 01 02 88 48 00 01 40 20 00 01 41 1f 45 00 00 2c 00 00 00 00 ff 06 3b 78 c0 a8 00 01 c0 a8 00 02 00 50 00 00 00 00 00 2a 00 00 00 2a 50 00 27 10 77 44 00 00 48 4f 47 45",
  "50 54 00 00 00 07 60 66 66 66 02 00 88 47 00 01 40 20 00 01 41 1f 45 00 00 2c 00 00 00 00 ff 06 3b 78 c0 a8 00 01 c0 a8 00 02 00 50 00 00 00 00 00 2a 00 00 00 2a 50 00 27 10 77 44 00 00 48 4f 47 45",
  "50 54 00 00 00 07 60 66 66 66 02 01 88 48 00 01 40 20 00 01 41 1f 45 00 00 2c 00 00 00 00 ff 06 3b 78 c0 a8 00 01 c0 a8 00 02 00 50 00 00 00 00 00 2a 00 00 00 2a 50 00 27 10 77 44 00 00 48 4f 47 45",
  "50 54 00 00 00 07 60 66 66 66 02 10 88 47 00 01 40 20 00 01 41 1f 45 00 00 2c 00 00 00 00 ff 06 3b 78 c0 a8 00 01 c0 a8 00 02 00 50 00 00 00 00 00 2a 00 00 00 2a 50 00 27 10 77 44 00 00 48 4f 47 45",
  "50 54 00 00 00 07 60 66 66 66 03 00 88 47 00 01 40 20 00 01 40 1f 00 01 41 1e 45 00 00 2c 00 00 00 00 ff 06 3b 78 c0 a8 00 01 c0 a8 00 02 00 50 00 00 00 00 00 2a 00 00 00 2a 50 00 27 10 77 44 00 00 48 4f 47 45",
  "50 54 00 00 00 07 60 66 66 66 03 01 88 48 00 01 40 20 00 01 40 1f 00 01 41 1e 45 00 00 2c 00 00 00 00 ff 06 3b 78 c0 a8 00 01 c0 a8 00 02 00 50 00 00 00 00 00 2a 00 00 00 2a 50 00 27 10 77 44 00 00 48 4f 47 45",
  "50 54 00 00 00 07 60 66 66 66 03 10 88 47 00 01 40 20 00 01 40 1f 00 01 41 1e 45 00 00 2c 00 00 00 00 ff 06 3b 78 c0 a8 00 01 c0 a8 00 02 00 50 00 00 00 00 00 2a 00 00 00 2a 50 00 27 10 77 44 00 00 48 4f 47 45",
  "50 54 00 00 00 07 60 66 66 66 04 00 88 48 00 01 41 20 45 00 00 2c 00 00 00 00 ff 06 3a 78 c0 a8 00 01 c0 a8 00 02 00 50 00 00 00 00 00 2a 00 00 00 2a 50 00 27 10 77 44 00 00 48 4f 47 45",
  "50 54 00 00 00 07 60 66 66 66 04 01 88 47 00 01 41 20 45 00 00 2c 00 00 00 00 ff 06 3a 78 c0 a8 00 01 c0 a8 00 02 00 50 00 00 00 00 00 2a 00 00 00 2a 50 00 27 10 77 44 00 00 48 4f 47 45",
  "50 54 00 00 00 07 60 66 66 66 04 10 88 48 00 01 41 20 45 00 00 2c 00 00 00 00 ff 06 3a 78 c0 a8 00 01 c0 a8 00 02 00 50 00 00 00 00 00 2a 00 00 00 2a 50 00 27 10 77 44 00 00 48 4f 47 45",
  "50 54 00 00 00 07 60 66 66 66 05 00 88 47 00 01 41 20 45 00 00 2c 00 00 00 00 ff 06 3a 78 c0 a8 00 01 c0 a8 00 02 00 50 00 00 00 00 00 2a 00 00 00 2a 50 00 27 10 77 44 00 00 48 4f 47 45",
  "50 54 00 00 00 07 60 66 66 66 05 01 88 48 00 01 41 20 45 00 00 2c 00 00 00 00 ff 06 3a 78 c0 a8 00 01 c0 a8 00 02 00 50 00 00 00 00 00 2a 00 00 00 2a 50 00 27 10 77 44 00 00 48 4f 47 45",
  "50 54 00 00 00 07 60 66 66 66 05 10 88 47 00 01 41 20 45 00 00 2c 00 00 00 00 ff 06 3a 78 c0 a8 00 01 c0 a8 00 02 00 50 00 00 00 00 00 2a 00 00 00 2a 50 00 27 10 77 44 00 00 48 4f 47 45",
];

function packetTrace(p: string): string[] {
  return p.startsWith("in_port(") ? ["ovs-dummy", p] : ["br0", "in_port=1", p];
}

const MPLS_TCP_HEX =
  "50 54 00 00 00 01 60 66 66 66 00 08 88 48 00 01 41 20 45 20 00 2c 00 00 00 00 ff 06 3a 78 c0 a8 00 01 c0 a8 00 02 00 50 00 00 00 00 00 2a 00 00 00 2a 50 00 27 10 77 44 00 00 48 4f 47 45";

const VLAN_MPLS_FLOWS = Array.from({ length: 10 }, (_, i) => {
  const src = `40:44:44:44:54:5${i}`;
  const mpls = "push_mpls:0x8847,load:10->OXM_OF_MPLS_LABEL[]";
  const vlan = i % 4 < 2
    ? "push_vlan:0x8100,set_vlan_vid:99,set_vlan_pcp:1"
    : "push_vlan:0x8100,load:99->OXM_OF_VLAN_VID[],set_vlan_pcp:1";
  if (i === 8) {
    return `cookie=0xa dl_src=${src},vlan_tci=0x1000/0x1000 actions=load:99->OXM_OF_VLAN_VID[],set_vlan_pcp:1,${mpls},controller`;
  }
  if (i === 9) {
    return `cookie=0xa dl_src=${src},vlan_tci=0x1000/0x1000 actions=${mpls},set_vlan_pcp:1,load:99->OXM_OF_VLAN_VID[],controller`;
  }
  return `cookie=0xa dl_src=${src} actions=${
    i < 4 ? `${mpls},${vlan}` : `${vlan},${mpls}`
  },controller`;
}).join("\n") + "\n";

const PKT_1TO2 =
  "50540000000250540000000108064500001C000100004001F98CC0A80001C0A800020800F7FF00000000";
const PKT_2TO1 =
  "50540000000150540000000208064500001C000100004001F98CC0A80002C0A800010800F7FF00000000";
const TRACE2_ODP = "in_port(1),eth(src=50:54:00:00:00:01,dst=50:54:00:00:00:02)";
const TRACE2_BR = "in_port=1,dl_src=50:54:00:00:00:01,dl_dst=50:54:00:00:00:02";

export const SCENARIOS3: XScenario[] = [
  {
    name: "MPLS handling",
    ports: ports(1),
    flows: { br0: MPLS_HANDLING_FLOWS },
    traces: MPLS_HANDLING_PACKETS.map(packetTrace),
  },
  {
    name: "MPLS handling with goto_table",
    ofVersion: "OpenFlow12",
    ports: ports(1),
    flows: {
      br0:
        "table=0 mplsm actions=pop_mpls:0x800,goto_table(1)\ntable=1 ip,ip_dscp=8 actions=controller\n",
    },
    traces: [["br0", "in_port=1", MPLS_TCP_HEX]],
  },
  {
    name: "MPLS handling with write_actions",
    ofVersion: "OpenFlow12",
    ports: ports(1),
    flows: { br0: "mplsm actions=pop_mpls:0x800,write_actions(dec_ttl,controller)\n" },
    traces: [["br0", "in_port=1", MPLS_TCP_HEX]],
  },
  {
    name: "VLAN+MPLS handling",
    ofVersion: "OpenFlow12",
    ports: ports(1),
    flows: { br0: VLAN_MPLS_FLOWS },
    traces: Array.from({ length: 10 }, (_, i) =>
      i % 2 === 0 && i < 8
        ? [
          "ovs-dummy",
          `in_port(1),eth(src=40:44:44:44:54:5${i},dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=192.168.0.1,dst=192.168.0.2,proto=6,tos=0,ttl=64,frag=no)`,
        ]
        : [
          "ovs-dummy",
          `in_port(1),eth(src=40:44:44:44:54:5${i},dst=50:54:00:00:00:07),eth_type(0x8100),vlan(vid=88,pcp=7),encap(eth_type(0x0800),ipv4(src=192.168.0.1,dst=192.168.0.2,proto=6,tos=0,ttl=64,frag=no))`,
        ]),
  },
  megaflow("port classification", "table=0 in_port=1 actions=output(2)\n", [
    ["recirc_id=0,eth,ip,in_port=1,nw_frag=no", "2"],
    ["recirc_id=0,eth,ip,in_port=1,nw_frag=no", "2"],
  ]),
  megaflow("L2 classification", "table=0 in_port=1,dl_src=50:54:00:00:00:09 actions=output(2)\n", [
    ["recirc_id=0,eth,ip,in_port=1,dl_src=50:54:00:00:00:09,nw_frag=no", "2"],
    ["recirc_id=0,eth,ip,in_port=1,dl_src=50:54:00:00:00:0b,nw_frag=no", "drop"],
  ]),
  megaflow(
    "L3 classification",
    "table=0 in_port=1,icmp,nw_src=10.0.0.4 actions=output(2)\n",
    [
      ["recirc_id=0,eth,ip,in_port=1,nw_src=10.0.0.0/30,nw_frag=no", "drop"],
      ["recirc_id=0,eth,icmp,in_port=1,nw_src=10.0.0.4,nw_frag=no", "2"],
    ],
    { prefixes: ["nw_dst", "nw_src"] },
  ),
  {
    name: "megaflow - IPv6 classification",
    ports: ports(1, 2),
    prefixes: ["ipv6_dst", "ipv6_src"],
    flows: { br0: "table=0 in_port=1,ipv6,ipv6_src=2001:db8:3c4d:1:2:3:4:5 actions=output(2)\n" },
    traces: [
      [
        "ovs-dummy",
        "in_port(1),eth(src=50:54:00:00:00:07,dst=50:54:00:00:00:05),eth_type(0x86dd),ipv6(src=2001:db8:3c4d:1:2:3:4:5,dst=fe80::2,label=0,proto=10,tclass=0x70,hlimit=128,frag=no)",
      ],
      [
        "ovs-dummy",
        "in_port(1),eth(src=50:54:00:00:00:09,dst=50:54:00:00:00:0a),eth_type(0x86dd),ipv6(src=2001:db8:3c4d:5:4:3:2:1,dst=2001:db8:3c4d:1:2:3:4:1,label=0,proto=99,tclass=0x70,hlimit=64,frag=no)",
      ],
    ],
    expect: [
      {
        trace: 0,
        megaflow: "recirc_id=0,eth,ipv6,in_port=1,ipv6_src=2001:db8:3c4d:1:2:3:4:5,nw_frag=no",
        actions: "2",
      },
      {
        trace: 1,
        megaflow: "recirc_id=0,eth,ipv6,in_port=1,ipv6_src=2001:db8:3c4d:4::/62,nw_frag=no",
        actions: "drop",
      },
    ],
  },
  megaflow("L4 classification", "table=0 in_port=1,icmp,icmp_type=8 actions=output(2)\n", [
    ["recirc_id=0,eth,icmp,in_port=1,nw_frag=no,icmp_type=0x8/0xff", "2"],
    ["recirc_id=0,eth,icmp,in_port=1,nw_frag=no,icmp_type=0x8/0xff", "2"],
  ]),
  megaflow("normal", "actions=normal\n", [
    [
      "recirc_id=0,eth,ip,in_port=1,dl_src=50:54:00:00:00:09,dl_dst=50:54:00:00:00:0a,nw_frag=no",
      "100,2",
    ],
    [
      "recirc_id=0,eth,ip,in_port=1,dl_src=50:54:00:00:00:0b,dl_dst=50:54:00:00:00:0c,nw_frag=no",
      "100,2",
    ],
  ]),
  megaflow(
    "resubmit port action",
    "table=0 in_port=1,ip actions=resubmit(90)\ntable=0 in_port=90,dl_src=50:54:00:00:00:09 actions=output(2)\n",
    [
      ["recirc_id=0,eth,ip,in_port=1,dl_src=50:54:00:00:00:09,nw_frag=no", "2"],
      ["recirc_id=0,eth,ip,in_port=1,dl_src=50:54:00:00:00:0b,nw_frag=no", "drop"],
    ],
  ),
  megaflow(
    "resubmit table action",
    "table=0 in_port=1,ip actions=resubmit(,1)\ntable=1 dl_src=50:54:00:00:00:09 actions=output(2)\n",
    [
      ["recirc_id=0,eth,ip,in_port=1,dl_src=50:54:00:00:00:09,nw_frag=no", "2"],
      ["recirc_id=0,eth,ip,in_port=1,dl_src=50:54:00:00:00:0b,nw_frag=no", "drop"],
    ],
  ),
  megaflow(
    "goto_table action",
    "table=0 in_port=1,ip actions=goto_table(1)\ntable=1 dl_src=50:54:00:00:00:09 actions=output(2)\n",
    [
      ["recirc_id=0,eth,ip,in_port=1,dl_src=50:54:00:00:00:09,nw_frag=no", "2"],
      ["recirc_id=0,eth,ip,in_port=1,dl_src=50:54:00:00:00:0b,nw_frag=no", "drop"],
    ],
    { ofVersion: "OpenFlow12" },
  ),
  megaflow(
    "move action",
    `table=0 in_port=1 ip,actions=move:NXM_OF_IP_SRC[]->NXM_NX_REG0[],resubmit(90)
table=0 in_port=90 ip,actions=move:NXM_NX_REG0[]->NXM_NX_REG1[],resubmit(91)
table=0 in_port=91 reg0=0x0a000002,actions=output(2)
`,
    [
      ["recirc_id=0,eth,ip,in_port=1,nw_src=10.0.0.2,nw_frag=no", "2"],
      ["recirc_id=0,eth,ip,in_port=1,nw_src=10.0.0.4,nw_frag=no", "drop"],
    ],
  ),
  megaflow("push action", "table=0 in_port=1 ip,actions=push:NXM_OF_IP_SRC[],output(2)\n", [
    ["recirc_id=0,eth,ip,in_port=1,nw_src=10.0.0.2,nw_frag=no", "2"],
    ["recirc_id=0,eth,ip,in_port=1,nw_src=10.0.0.4,nw_frag=no", "2"],
  ]),
  megaflow(
    "learning",
    "table=0 in_port=1 actions=load:2->NXM_NX_REG0[0..15],learn(table=1,priority=65535,NXM_OF_ETH_SRC[],NXM_OF_VLAN_TCI[0..11],output:NXM_NX_REG0[0..15]),output:2\n",
    [
      ["recirc_id=0,eth,ip,in_port=1,dl_src=50:54:00:00:00:09,nw_frag=no", "2"],
      ["recirc_id=0,eth,ip,in_port=1,dl_src=50:54:00:00:00:0b,nw_frag=no", "2"],
    ],
  ),
  megaflow(
    "dec_ttl",
    "table=0 in_port=1,icmp,nw_src=10.0.0.4 actions=dec_ttl,output(2)\n",
    [
      ["recirc_id=0,eth,ip,in_port=1,nw_src=10.0.0.0/30,nw_frag=no", "drop"],
      [
        "recirc_id=0,eth,icmp,in_port=1,nw_src=10.0.0.4,nw_ttl=64,nw_frag=no",
        "set(ipv4(ttl=63)),2",
      ],
    ],
    { prefixes: ["nw_dst", "nw_src"] },
  ),
  megaflow("set dl_dst", "table=0 in_port=1 actions=mod_dl_dst(50:54:00:00:00:0a),output(2)\n", [
    ["recirc_id=0,eth,ip,in_port=1,dl_dst=50:54:00:00:00:0a,nw_frag=no", "2"],
    [
      "recirc_id=0,eth,ip,in_port=1,dl_dst=50:54:00:00:00:0c,nw_frag=no",
      "set(eth(dst=50:54:00:00:00:0a)),2",
    ],
  ]),
  {
    name: "megaflow - set dl_dst with match on dl_src",
    ports: ports(1, 2),
    flows: {
      br0:
        "table=0 in_port=1,dl_src=50:54:00:00:00:09 actions=mod_dl_dst(50:54:00:00:00:0a),output(2)\n",
    },
    traces: [
      ["ovs-dummy", PKT_A],
      [
        "ovs-dummy",
        "in_port(1),eth(src=50:54:00:00:00:09,dst=50:54:00:00:00:0c),eth_type(0x0800),ipv4(src=10.0.0.4,dst=10.0.0.3,proto=1,tos=0,ttl=64,frag=no),icmp(type=8,code=0)",
      ],
      [
        "ovs-dummy",
        "in_port(1),eth(src=50:54:00:00:00:0b,dst=50:54:00:00:00:0c),eth_type(0x0800),ipv4(src=10.0.0.6,dst=10.0.0.5,proto=1,tos=0,ttl=64,frag=no),icmp(type=8,code=0)",
      ],
    ],
    expect: [
      {
        trace: 0,
        megaflow:
          "recirc_id=0,eth,ip,in_port=1,dl_src=50:54:00:00:00:09,dl_dst=50:54:00:00:00:0a,nw_frag=no",
        actions: "2",
      },
      { trace: 1, actions: "set(eth(dst=50:54:00:00:00:0a)),2" },
      {
        trace: 2,
        megaflow: "recirc_id=0,eth,ip,in_port=1,dl_src=50:54:00:00:00:0b,nw_frag=no",
        actions: "drop",
      },
    ],
  },
  {
    name: "megaflow - mpls",
    ports: ports(1, 2),
    flows: {
      br0:
        "table=0 dl_src=50:54:00:00:00:09 actions=push_mpls:0x8847,2\ntable=0 dl_src=50:54:00:00:00:0b actions=pop_mpls:0x0800,2\n",
    },
    traces: [
      [
        "ovs-dummy",
        "in_port(1),eth(src=50:54:00:00:00:09,dst=50:54:00:00:00:0a),eth_type(0x8847),mpls(label=11,tc=3,ttl=64,bos=1)",
      ],
      [
        "ovs-dummy",
        "in_port(1),eth(src=50:54:00:00:00:0b,dst=50:54:00:00:00:0a),eth_type(0x8847),mpls(label=11,tc=3,ttl=64,bos=1)",
      ],
    ],
    expect: [
      { trace: 0, actions: "push_mpls(label=11,tc=3,ttl=64,bos=0,eth_type=0x8847),2" },
      { trace: 1, actions: "pop_mpls(eth_type=0x800),2" },
    ],
  },
  {
    name: "DSCP",
    ports: [
      { name: "p1", ofport: 1, queueDscp: { 1: 1, 2: 2 } },
      { name: "p9", ofport: 9 },
    ],
    flows: {
      br0:
        "actions=output:LOCAL,enqueue:1:1,enqueue:1:2,enqueue:1:2,enqueue:1:1,output:1,mod_nw_tos:0,output:1,output:LOCAL\n",
    },
    traces: [[
      "ovs-dummy",
      "in_port(9),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=1.1.1.1,dst=2.2.2.2,proto=1,tos=0xff,ttl=128,frag=no),icmp(type=8,code=0)",
    ]],
    expect: [{
      trace: 0,
      megaflow: "recirc_id=0,skb_priority=0,eth,icmp,in_port=9,nw_tos=252,nw_frag=no",
      actions: "100,set(ipv4(tos=0x4/0xfc)),set(skb_priority(0x1)),1," +
        "set(ipv4(tos=0x8/0xfc)),set(skb_priority(0x2)),1,1," +
        "set(ipv4(tos=0x4/0xfc)),set(skb_priority(0x1)),1," +
        "set(ipv4(tos=0xfc/0xfc)),set(skb_priority(0)),1,set(ipv4(tos=0/0xfc)),1,100",
    }],
  },
  {
    name: "output, OFPP_NONE ingress port",
    ports: ports(1, 2),
    flows: { br0: "action=normal\n" },
    traces: [[
      "br0",
      "icmp,dl_src=50:54:00:00:00:05,dl_dst=50:54:00:00:00:07,nw_src=192.168.0.1,nw_dst=192.168.0.2,icmp_type=8,icmp_code=0",
    ]],
    expect: [{ trace: 0, actions: "1,2,100", sorted: true }],
  },
  {
    name: "vlan matching and in place modification",
    ports: [{ name: "p0", ofport: 1 }],
    flows: {
      br0:
        "vlan_tci=0x000a/0x0fff,action=output:local\nin_port=1,dl_type=0x1234,actions=mod_vlan_vid:3,output:local\n",
    },
    traces: [
      [
        "ovs-dummy",
        "in_port(1),eth(src=50:54:00:00:00:09,dst=50:54:00:00:00:0a),eth_type(0x8100),vlan(vid=10,pcp=0),encap(eth_type(0x0800),ipv4(src=10.0.0.2,dst=10.0.0.1,proto=1,tos=0,ttl=64,frag=no),icmp(type=8,code=0))",
      ],
      ["ovs-dummy", "in_port(1),eth(src=50:54:00:00:00:09,dst=50:54:00:00:00:0a),eth_type(0x1234)"],
    ],
    expect: [
      { trace: 0, megaflow: "recirc_id=0,eth,ip,in_port=1,dl_vlan=10,nw_frag=no", actions: "100" },
      { trace: 1, actions: "push_vlan(vid=3,pcp=0),100" },
    ],
  },
  {
    name: "ICMPv6 type match",
    ports: ports(1, 2, 3),
    flows: { br0: "icmp6,icmp_type=128,actions=2\nicmp6,icmp_type=129,actions=3\n" },
    traces: [
      [
        "ovs-dummy",
        "recirc_id(0),in_port(1),eth(src=f2:49:6e:52:49:0b,dst=02:b7:d7:17:ff:72),eth_type(0x86dd),ipv6(proto=58,frag=no),icmpv6(type=128)",
      ],
      [
        "ovs-dummy",
        "recirc_id(0),in_port(1),eth(src=f2:49:6e:52:49:0b,dst=02:b7:d7:17:ff:72),eth_type(0x86dd),ipv6(proto=58,frag=no),icmpv6(type=129)",
      ],
    ],
    expect: [
      {
        trace: 0,
        megaflow: "recirc_id=0,eth,icmp6,in_port=1,nw_frag=no,icmp_type=0x80/0xff",
        actions: "2",
      },
      { trace: 1, actions: "3" },
    ],
  },
  {
    name: "forward resubmit through 100 tables",
    ports: [],
    flows: {
      br0: Array.from({ length: 100 }, (_, i) => `table=${i}, actions=resubmit(,${i + 1})\n`)
        .join("") + "table=100, actions=local\n",
    },
    traces: [["br0", "eth_dst=ff:ff:ff:ff:ff:ff"]],
    expect: [{ trace: 0, actions: "100" }],
  },
  {
    name: "backward resubmit",
    ports: [],
    flows: {
      br0: "table=0, actions=resubmit(,66)\n" +
        Array.from({ length: 65 }, (_, k) => `table=${k + 2}, actions=resubmit(,${k + 1})\n`)
          .join("") +
        "table=1, actions=local\n",
    },
    traces: [["br0", "eth_dst=ff:ff:ff:ff:ff:ff"]],
    expect: [{
      trace: 0,
      contains: ["Translation failed (Recursion too deep), packet is dropped."],
    }],
  },
  {
    name: "too many output actions",
    ports: ports(1),
    flows: {
      br0: Array.from(
        { length: 12 },
        (_, k) => `in_port=${k + 1}, actions=resubmit:${k + 2}, resubmit:${k + 2}, local\n`,
      ).join("") + "in_port=13, actions=local,local,local,local,local,local,local,local\n",
    },
    traces: [["br0", "in_port=1"]],
    expect: [{
      trace: 0,
      contains: ["  - Uses action(s) not supported by datapath."],
    }],
  },
  {
    name: "trace (unchanged)",
    ports: [],
    traces: [["br0", "in_port=1"], ["ovs-dummy", "in_port(100)"]],
    expect: [
      { trace: 0, contains: ["Final flow: unchanged"] },
      { trace: 1, contains: ["Final flow: unchanged"] },
    ],
  },
  {
    name: "VLAN depth limit (default limit 1)",
    ofVersion: "OpenFlow13",
    ports: ports(1, 2, 3),
    flows: {
      br0: `table=0 in_port=1,eth_type=0x8100,vlan_tci=0x0010/0x01ff actions=output:2
table=0 in_port=1,eth_type=0xabcd,vlan_tci=0x0010/0x01ff actions=output:3
`,
    },
    traces: [[
      "ovs-dummy",
      "in_port(1),eth(src=00:11:22:33:44:55,dst=00:22:44:66:88:00),eth_type(0x8100),vlan(vid=16,pcp=0),encap(eth_type(0x8100),vlan(vid=17,pcp=0),encap(eth_type(0xabcd)))",
    ]],
    expect: [{ trace: 0, actions: "2" }],
  },
  {
    name: "MPLS label stacks that need userspace",
    ports: ports(1),
    flows: {
      br0:
        "dl_src=60:66:66:66:66:00 actions=push_mpls:0x8847,controller\ndl_src=60:66:66:66:66:01 actions=pop_mpls:0x8847,controller\n",
    },
    traces: [
      ["br0", "in_port=1", mplsPacket("00")],
      ["br0", "in_port=1", mplsPacket("01")],
    ],
  },
  {
    name: "patch ports - stack",
    bridges: ["br1"],
    ports: [
      { bridge: "br1", name: "pbr1", ofport: 1, peer: "pbr0" },
      { name: "pbr0", ofport: 1, peer: "pbr1" },
      { name: "p2", ofport: 2 },
      { bridge: "br1", name: "p3", ofport: 3 },
    ],
    flows: {
      br0: "ip actions=push:OXM_OF_IN_PORT[0..31],output:1,pop:OXM_OF_IPV4_SRC[0..31],output:2\n",
      br1: "ip actions=pop:OXM_OF_IPV4_DST[0..31],push:NXM_NX_REG1[0..31],LOCAL\n",
    },
    traces: [[
      "ovs-dummy",
      "in_port(100),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=192.168.0.1,dst=192.168.0.2,proto=1,tos=0,ttl=64,frag=no),icmp(type=8,code=0)",
    ]],
    expect: [{
      trace: 0,
      megaflow: "recirc_id=0,eth,ip,in_port=LOCAL,nw_src=192.168.0.1,nw_frag=no",
      actions: "101,set(ipv4(src=255.255.255.254)),2",
    }],
  },
  {
    name: "patch ports - no additional clone",
    bridges: ["br1"],
    ports: [
      { name: "p0", ofport: 1 },
      { name: "p1", ofport: 2, peer: "p2" },
      { bridge: "br1", name: "p2", ofport: 1, peer: "p1" },
      { bridge: "br1", name: "p3", ofport: 3 },
    ],
    flows: {
      br0: `priority=10,tcp,action=push:NXM_OF_IN_PORT[],resubmit(,65),pop:NXM_OF_IN_PORT[]
table=65,priority=10,ip,in_port=p0,action=p1
`,
      br1: `priority=100,in_port=p2,tcp,ct_state=-trk,action=ct(table=0,zone=1)
priority=100,in_port=p2,tcp,ct_state=+trk+est,ct_zone=1,action=p3
`,
    },
    traces: [["br0", "in_port=p0,tcp", "--ct-next", "trk,est"]],
  },
  {
    name: "controller with slow-path action",
    ports: ports(1, 2),
    flows: { br0: "in_port=1,actions=debug_slow,controller\n" },
    traces: [[
      "ovs-dummy",
      "in_port(1),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=192.168.0.1,dst=192.168.0.2,proto=6,tos=0,ttl=64,frag=no),tcp(src=8,dst=9),tcp_flags(0x010)",
    ]],
  },
  {
    name: "note and dec_ttl deep in the actions",
    ports: ports(1),
    flows: {
      br0:
        "dl_src=10:11:11:11:11:01 actions=output:1,output:1,output:1,dec_ttl,controller\nactions=set_field:0x1->metadata,set_field:0x2->metadata,set_field:0x3->metadata,set_field:0x4->metadata,note:00000000000000000000000000000000,note:00000000000000000000000000000000\n",
    },
    traces: [
      ["br0", "in_port=2,dl_src=10:11:11:11:11:01,ip,nw_ttl=1"],
      ["br0", "in_port=2,dl_src=10:11:11:11:11:01,ip,nw_ttl=9"],
      ["br0", "in_port=2,ip"],
    ],
  },
  {
    name: "ofproto/trace command 1",
    bridgeArgs: ["fail-mode=standalone"],
    ports: ports(1, 2, 3),
    flows: { br0: "in_port=1 actions=output:2\nin_port=2 actions=output:1\n" },
    traces: [
      ["in_port(p1)"],
      ["in_port(1)"],
      ["ovs-dummy", "in_port(1)"],
      ["br0", "in_port=1"],
      ["in_port(3),eth(src=50:54:00:00:00:05,dst=ff:ff:ff:ff:ff:ff)"],
      ["br0", "arp,in_port=3,vlan_tci=0x0000,dl_src=50:54:00:00:00:05,dl_dst=ff:ff:ff:ff:ff:ff"],
      ["in_port(3),eth(src=50:54:00:00:00:05,dst=ff:ff:ff:ff:ff:ff)", "-generate"],
      ["ovs-dummy", "in_port(3),eth(src=50:54:00:00:00:06,dst=50:54:00:00:00:05)", "-generate"],
      ["br0", "in_port=3,dl_src=50:54:00:00:00:07,dl_dst=50:54:00:00:00:06", "-generate"],
      ["br0", "in_port=3,dl_src=50:54:00:00:00:08,dl_dst=50:54:00:00:00:05"],
    ],
    expect: [
      { trace: 0, actions: "2" },
      { trace: 1, actions: "2" },
      { trace: 2, actions: "2" },
      { trace: 3, actions: "2" },
    ],
  },
  {
    name: "ofproto/trace command 1 with packets",
    bridgeArgs: ["fail-mode=standalone"],
    ports: ports(1, 2, 3),
    traces: [
      ["ovs-dummy", "in_port(1),eth(src=50:54:00:00:00:01,dst=ff:ff:ff:ff:ff:ff)", "-generate"],
      ["ovs-dummy", "in_port(2),eth(src=50:54:00:00:00:02,dst=ff:ff:ff:ff:ff:ff)", "-generate"],
      ["in_port(1),skb_priority(1),skb_mark(2)", PKT_1TO2],
      ["ovs-dummy", "in_port(1),skb_priority(1),skb_mark(2)", PKT_1TO2],
      ["br0", "in_port=2,skb_priority=2,pkt_mark=1", PKT_2TO1],
      ["br0", "in_port=2,skb_priority=2,pkt_mark=1", PKT_2TO1, "--names"],
    ],
    expect: [
      {
        trace: 2,
        actions: "2",
        contains: [
          "Flow: pkt_mark=0x2,skb_priority=0x1,arp,in_port=1,vlan_tci=0x0000,dl_src=50:54:00:00:00:01,dl_dst=50:54:00:00:00:02,arp_spa=0.0.0.0,arp_tpa=0.0.0.0,arp_op=0,arp_sha=00:00:00:00:00:00,arp_tha=00:00:00:00:00:00",
        ],
      },
      { trace: 3, actions: "2" },
      { trace: 4, actions: "1" },
      {
        trace: 5,
        actions: "p1",
        contains: [
          "Flow: pkt_mark=0x1,skb_priority=0x2,arp,in_port=p2,vlan_tci=0x0000,dl_src=50:54:00:00:00:02,dl_dst=50:54:00:00:00:01,arp_spa=0.0.0.0,arp_tpa=0.0.0.0,arp_op=0,arp_sha=00:00:00:00:00:00,arp_tha=00:00:00:00:00:00",
        ],
      },
    ],
  },
  {
    name: "ofproto/trace command 2 (errors)",
    ports: ports(1, 2),
    traces: [
      ...["", "-generate", PKT_1TO2].flatMap((opt) => {
        const o = opt ? [opt] : [];
        return [
          ["wrong_name", TRACE2_ODP, ...o],
          ["", TRACE2_ODP, ...o],
          ["ovs-system", TRACE2_ODP, ...o],
          ["br0", TRACE2_ODP, ...o],
          ["ovs-dummy", TRACE2_BR, ...o],
          [TRACE2_BR, ...o],
        ];
      }),
      ["ovs-dummy", TRACE2_ODP, "garbage_option"],
      ["ovs-dummy", "in_port(42)"],
      ["ovs-dummy", "recirc_id(0x42)"],
    ],
    expect: [
      { trace: 0, error: "Cannot find the datapath" },
      { trace: 1, error: "Cannot find the datapath" },
      { trace: 2, error: "Cannot find the datapath" },
      { trace: 3, error: "Cannot find the datapath" },
      { trace: 4, error: "ovs-dummy: unknown bridge" },
      { trace: 5, error: `syntax error at ${TRACE2_BR} (or the bridge name was omitted)` },
      { trace: 18, error: "Trailing garbage in packet data" },
      { trace: 19, error: "no OpenFlow port for datapath port 42" },
      { trace: 20, error: "no recirculation data for recirc_id 0x42" },
    ],
  },
];
