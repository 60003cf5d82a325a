// Mirroring scenarios from upstream's tests/ofproto-dpif.at ("ofproto-dpif - mirroring, ..."
// and the megaflow mirroring cases): select_all, select_src/dst, select_vlan, output to a port
// or a VLAN, snaplen, packets from OFPP_NONE, and mirror state across recirculation; then the
// recirculation cases (debug_recirc after resubmits, thawing with "recirc_id(N)" flows) and
// ofproto/trace-packet-out.

import { PACKET_OUT, type ScenarioMirror } from "./xlate_real.ts";
import type { XScenario } from "./xlate_scenarios.ts";

function ports(...numbers: number[]): { name: string; ofport: number }[] {
  return numbers.map((n) => ({ name: `p${n}`, ofport: n }));
}

function icmp(inPort: number): string {
  return `in_port(${inPort}),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=192.168.0.1,dst=192.168.0.2,proto=1,tos=0,ttl=128,frag=no),icmp(type=8,code=0)`;
}

function vlanIcmp(vid: number): string {
  return `in_port(1),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x8100),vlan(vid=${vid},pcp=0),encap(eth_type(0x0800),ipv4(src=192.168.0.1,dst=192.168.0.2,proto=1,tos=0,ttl=128,frag=no),icmp(type=8,code=0))`;
}

const NONE_ICMP =
  "icmp,dl_src=50:54:00:00:00:05,dl_dst=50:54:00:00:00:07,nw_src=192.168.0.1,nw_dst=192.168.0.2,nw_ttl=128,nw_frag=no,icmp_type=8,icmp_code=0";

const ONE_TWO = "in_port=1 actions=output:2\nin_port=2 actions=output:1\n";

/** The same scenario with and without a snaplen on its mirrors. */
function withSnaplen(
  name: string,
  mirrors: ScenarioMirror[],
  rest: Omit<XScenario, "name" | "mirrors">,
  snaplenActions: (string | undefined)[],
): XScenario[] {
  return [
    { name: `mirroring, ${name}`, mirrors, ...rest },
    {
      name: `mirroring, ${name} with snaplen`,
      mirrors: mirrors.map((m, i) => ({ ...m, snaplen: 100 + 100 * i })),
      ...rest,
      expect: snaplenActions.flatMap((actions, trace) => (actions ? [{ trace, actions }] : [])),
    },
  ];
}

export const SCENARIOS4: XScenario[] = [
  ...withSnaplen(
    "select_all",
    [{ name: "mymirror", selectAll: true, outPort: "p3" }],
    {
      ports: ports(1, 2, 3),
      flows: { br0: ONE_TWO },
      traces: [["ovs-dummy", icmp(1)], ["ovs-dummy", icmp(2)]],
      expect: [{ trace: 0, actions: "3,2" }, { trace: 1, actions: "3,1" }],
    },
    ["trunc(100),3,2", "trunc(100),3,1"],
  ),
  ...withSnaplen(
    "select_src",
    [{ name: "mymirror", srcPorts: ["p1"], outPort: "p3" }],
    {
      ports: ports(1, 2, 3),
      flows: { br0: ONE_TWO },
      traces: [["ovs-dummy", icmp(1)], ["ovs-dummy", icmp(2)]],
      expect: [{ trace: 0, actions: "3,2" }, { trace: 1, actions: "1" }],
    },
    ["trunc(100),3,2", "1"],
  ),
  ...withSnaplen(
    "OFPP_NONE ingress port",
    [{ name: "mymirror", selectAll: true, outPort: "p2" }],
    {
      ports: ports(1, 2),
      flows: { br0: "action=output:1\n" },
      traces: [["br0", NONE_ICMP]],
      expect: [{ trace: 0, actions: "1,2" }],
    },
    ["1,trunc(100),2"],
  ),
  ...withSnaplen(
    "select_dst",
    [{ name: "mymirror", dstPorts: ["p2"], outPort: "p3" }],
    {
      ports: ports(1, 2, 3),
      flows: { br0: ONE_TWO },
      traces: [["ovs-dummy", icmp(1)], ["ovs-dummy", icmp(2)]],
      expect: [{ trace: 0, actions: "2,3" }, { trace: 1, actions: "1" }],
    },
    ["2,trunc(100),3", "1"],
  ),
  ...withSnaplen(
    "select_vlan",
    [{ name: "mymirror", selectAll: true, selectVlans: [11], outPort: "p3" }],
    {
      ports: ports(1, 2, 3),
      flows: { br0: "in_port=1, actions=output:2\n" },
      traces: [["ovs-dummy", icmp(1)], ["ovs-dummy", vlanIcmp(10)], ["ovs-dummy", vlanIcmp(11)]],
      expect: [
        { trace: 0, actions: "2" },
        { trace: 1, actions: "2" },
        { trace: 2, actions: "3,2" },
      ],
    },
    ["2", "2", "trunc(100),3,2"],
  ),
  ...withSnaplen(
    "output_port",
    [{ name: "mymirror", selectAll: true, outPort: "p3" }],
    {
      ports: ports(1, 2, 3),
      flows: { br0: "in_port=1 actions=mod_vlan_vid:17,output:2\nin_port=2 actions=output:1\n" },
      traces: [["ovs-dummy", icmp(1)], ["ovs-dummy", icmp(2)]],
      expect: [
        { trace: 0, actions: "3,push_vlan(vid=17,pcp=0),2" },
        { trace: 1, actions: "3,1" },
      ],
    },
    ["trunc(100),3,push_vlan(vid=17,pcp=0),2", "trunc(100),3,1"],
  ),
  ...withSnaplen(
    "output_vlan",
    [{ name: "mymirror", selectAll: true, outVlan: 12 }],
    {
      ports: ports(1, 2),
      flows: { br0: "in_port=1 actions=output:2\nin_port=2 actions=mod_vlan_vid:17,output:1\n" },
      traces: [["ovs-dummy", icmp(1)], ["ovs-dummy", icmp(2)]],
      expect: [
        { trace: 0, actions: "2,push_vlan(vid=12,pcp=0),1,2,100", sorted: true },
        {
          trace: 1,
          actions: "push_vlan(vid=17,pcp=0),1,pop_vlan,push_vlan(vid=12,pcp=0),1,2,100",
          sorted: true,
        },
      ],
    },
    [undefined, undefined],
  ),
  ...withSnaplen(
    "multiple VLAN output mirrors",
    [
      { name: "m1", selectAll: true, outVlan: 500 },
      { name: "m2", selectAll: true, outVlan: 501 },
    ],
    {
      bridgeArgs: ["fail-mode=standalone"],
      ports: [
        { name: "br0", ofport: 65534, portArgs: ["tag=0"] },
        { name: "p1", ofport: 1, portArgs: ["tag=0"] },
        { name: "p2", ofport: 2, portArgs: ["tag=500"] },
        { name: "p3", ofport: 3, portArgs: ["tag=501"] },
      ],
      traces: [["br0", "in_port=1"]],
      expect: [{ trace: 0, actions: "100,2,3", sorted: true }],
    },
    [undefined],
  ),
  {
    name: "mirroring with recirculation",
    ports: ports(1, 2, 3, 4),
    mirrors: [{ name: "mymirror", selectAll: true, outPort: "p3" }],
    flows: { br0: "in_port=1 actions=2,debug_recirc,4\n" },
    traces: [
      ["ovs-dummy", icmp(1), "-generate"],
      ["ovs-dummy", `${icmp(1)},recirc_id($RECIRC)`, "-generate"],
    ],
    expect: [{ trace: 0, actions: "3,2,recirc(0x1)" }, { trace: 1, actions: "4" }],
  },
  {
    name: "megaflow - mirroring, select_all",
    ports: ports(1, 2, 3),
    mirrors: [{ name: "mymirror", selectAll: true, outPort: "p3" }],
    flows: { br0: "in_port=1 actions=output:2\n" },
    traces: [
      [
        "ovs-dummy",
        "in_port(1),eth(src=50:54:00:00:00:09,dst=50:54:00:00:00:0a),eth_type(0x0800),ipv4(src=10.0.0.2,dst=10.0.0.1,proto=1,tos=0,ttl=64,frag=no),icmp(type=8,code=0)",
      ],
    ],
    expect: [{ trace: 0, megaflow: "recirc_id=0,eth,ip,in_port=1,nw_frag=no", actions: "3,2" }],
  },
  {
    name: "megaflow - mirroring, select_vlan",
    ports: ports(1, 2, 3),
    mirrors: [{ name: "mymirror", selectAll: true, selectVlans: [11], outPort: "p3" }],
    flows: { br0: "in_port=1 actions=output:2\n" },
    traces: [
      [
        "ovs-dummy",
        "in_port(1),eth(src=50:54:00:00:00:09,dst=50:54:00:00:00:0a),eth_type(0x8100),vlan(vid=11,pcp=7),encap(eth_type(0x0800),ipv4(src=10.0.0.2,dst=10.0.0.1,proto=1,tos=0,ttl=64,frag=no),icmp(type=8,code=0))",
      ],
      [
        "ovs-dummy",
        "in_port(1),eth(src=50:54:00:00:00:0b,dst=50:54:00:00:00:0c),eth_type(0x0800),ipv4(src=10.0.0.4,dst=10.0.0.3,proto=1,tos=0,ttl=64,frag=no),icmp(type=8,code=0)",
      ],
    ],
    expect: [
      { trace: 0, megaflow: "recirc_id=0,eth,ip,in_port=1,dl_vlan=11,nw_frag=no", actions: "3,2" },
      { trace: 1, megaflow: "recirc_id=0,eth,ip,in_port=1,nw_frag=no" },
    ],
  },
  {
    name: "mirroring to a mirror output port and NORMAL",
    bridgeArgs: ["fail-mode=standalone"],
    ports: ports(1, 2, 3),
    mirrors: [{ name: "mymirror", srcPorts: ["p1"], outPort: "p3" }],
    traces: [
      ["ovs-dummy", icmp(1)],
      ["ovs-dummy", icmp(2)],
      ["ovs-dummy", icmp(3)],
      ["br0", "in_port=3"],
    ],
  },
  {
    name: "ofproto/trace-packet-out",
    ports: ports(1, 2, 3),
    flows: { br0: ONE_TWO },
    traces: [
      [PACKET_OUT, "br0", "in_port=1", "mod_vlan_vid:123,resubmit(,0)"],
      [PACKET_OUT, "br0", "in_port=1", "output:3,controller"],
      [PACKET_OUT, "-consistent", "br0", "in_port=1", "output:3"],
      [PACKET_OUT, "br0", "in_port=1"],
    ],
    expect: [{ trace: 0, actions: "push_vlan(vid=123,pcp=0),2" }],
  },
  {
    name: "resubmit with recirculation",
    ports: ports(1, 2, 3),
    flows: {
      br0: `table=0 in_port=1  actions=2,resubmit(,1)
table=1 in_port=1  actions=debug_recirc,resubmit:55
table=1 in_port=55 actions=3
`,
    },
    traces: [
      ["ovs-dummy", icmp(1), "-generate"],
      ["ovs-dummy", `${icmp(1)},recirc_id($RECIRC)`, "-generate"],
    ],
    expect: [{ trace: 0, actions: "2,recirc(0x1)" }, { trace: 1, actions: "3" }],
  },
  {
    name: "recirculation after resubmit",
    ports: ports(1, 2),
    flows: {
      br0: "table=0 in_port=1 actions=resubmit(,1),2\ntable=1 in_port=1 actions=debug_recirc\n",
    },
    traces: [
      ["ovs-dummy", icmp(1), "-generate"],
      ["ovs-dummy", `${icmp(1)},recirc_id($RECIRC)`, "-generate"],
    ],
    expect: [{ trace: 0, actions: "recirc(0x1)" }, { trace: 1, actions: "2" }],
  },
  {
    name: "resubmit with tun_id",
    ports: ports(1, 2, 3),
    flows: {
      br0: `table=0 in_port=1  actions=2,load:6->NXM_NX_TUN_ID[],resubmit(,1)
table=1 in_port=1  actions=debug_recirc,resubmit:55
table=1 in_port=55 actions=3
`,
    },
    traces: [
      ["ovs-dummy", icmp(1), "-generate"],
      ["ovs-dummy", `${icmp(1)},recirc_id($RECIRC)`, "-generate"],
    ],
    expect: [{
      trace: 0,
      contains: [
        "Final flow: icmp,tun_id=0x6,in_port=1,vlan_tci=0x0000,dl_src=50:54:00:00:00:05,dl_dst=50:54:00:00:00:07,nw_src=192.168.0.1,nw_dst=192.168.0.2,nw_tos=0,nw_ecn=0,nw_ttl=128,nw_frag=no,icmp_type=8,icmp_code=0",
      ],
    }],
  },
  {
    name: "debug_slow action",
    ports: ports(1, 2, 3),
    flows: { br0: "in_port=1,actions=debug_slow,2\n" },
    traces: [["ovs-dummy", icmp(1), "-generate"]],
    expect: [{
      trace: 0,
      actions: "2",
      contains: [
        "This flow is handled by the userspace slow path because it:",
        "  - Uses action(s) not supported by datapath.",
      ],
    }],
  },
];
