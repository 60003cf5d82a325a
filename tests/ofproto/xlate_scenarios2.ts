// More translation scenarios from upstream's tests/ofproto-dpif.at (see xlate_scenarios.ts):
// NORMAL learning and its drops, patch ports, table misses, controller actions, select groups,
// clone, exit, fragments, conntrack, learn, multipath and bundle, MPLS, limits, megaflows.

import type { XScenario } from "./xlate_scenarios.ts";

const ICMP =
  "eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=192.168.0.1,dst=192.168.0.2,proto=1,tos=0,ttl=128,frag=no),icmp(type=8,code=0)";
const ICMP64 =
  "eth_type(0x0800),ipv4(src=10.0.0.2,dst=10.0.0.1,proto=1,tos=0,ttl=64,frag=no),icmp(type=8,code=0)";

function ports(...numbers: number[]): { name: string; ofport: number }[] {
  return numbers.map((n) => ({ name: `p${n}`, ofport: n }));
}

function l2(inPort: number, src: string, dst: string): string {
  return `in_port(${inPort}),eth(src=${src},dst=${dst}),${ICMP64}`;
}

const M1 = "50:54:00:00:00:01";
const M2 = "50:54:00:00:00:02";
const M3 = "50:54:00:00:00:03";

export const SCENARIOS2: XScenario[] = [
  {
    name: "MAC learning",
    ports: ports(1, 2, 3),
    flows: { br0: "actions=NORMAL\n" },
    traces: [
      ["ovs-dummy", l2(1, M1, "ff:ff:ff:ff:ff:ff"), "-generate"],
      ["ovs-dummy", l2(2, M2, M1), "-generate"],
      ["ovs-dummy", l2(1, M1, M2)],
      ["ovs-dummy", l2(1, M3, M1)],
      ["ovs-dummy", l2(3, M1, M2), "-generate"],
      ["ovs-dummy", l2(2, M2, M1)],
      ["ovs-dummy", l2(2, "01:00:5e:00:00:01", M1), "-generate"],
      ["ovs-dummy", l2(1, M3, "01:80:c2:00:00:00")],
    ],
    expect: [
      {
        trace: 0,
        actions: "100,2,3",
        contains: ["     -> learned that 50:54:00:00:00:01 is on port p1 in VLAN 0"],
      },
      { trace: 1, actions: "1", contains: ["     -> forwarding to learned port"] },
      { trace: 2, actions: "2" },
      { trace: 3, actions: "drop", contains: ["     -> learned port is input port, dropping"] },
      { trace: 4, actions: "2" },
      { trace: 5, actions: "3" },
      {
        trace: 7,
        actions: "drop",
        contains: ["     -> packet has reserved destination MAC, dropping"],
      },
    ],
  },
  {
    name: "NORMAL with VLANs learns per VLAN",
    ports: [
      { name: "p1", ofport: 1, portArgs: ["tag=5"] },
      { name: "p2", ofport: 2, portArgs: ["tag=6"] },
      { name: "p3", ofport: 3, portArgs: ["trunks=5,6"] },
    ],
    flows: { br0: "actions=NORMAL\n" },
    traces: [
      ["ovs-dummy", l2(1, M1, "ff:ff:ff:ff:ff:ff"), "-generate"],
      [
        "ovs-dummy",
        `in_port(3),eth(src=${M2},dst=${M1}),eth_type(0x8100),vlan(vid=5,pcp=0),encap(${ICMP64})`,
      ],
      [
        "ovs-dummy",
        `in_port(3),eth(src=${M2},dst=${M1}),eth_type(0x8100),vlan(vid=6,pcp=0),encap(${ICMP64})`,
      ],
      ["ovs-dummy", l2(2, M2, M1)],
    ],
    expect: [
      { trace: 0, actions: "push_vlan(vid=5,pcp=0),100,3" },
      { trace: 1, actions: "pop_vlan,1" },
      { trace: 2, actions: "100,pop_vlan,2" },
      { trace: 3, actions: "push_vlan(vid=6,pcp=0),100,3" },
    ],
  },
  {
    name: "protected ports",
    ports: [
      { name: "p1", ofport: 1, portArgs: ["protected=true"] },
      { name: "p2", ofport: 2, portArgs: ["protected=true"] },
      { name: "p3", ofport: 3 },
    ],
    flows: { br0: "in_port=1 actions=output:2,output:3\nin_port=3 actions=NORMAL\n" },
    traces: [["ovs-dummy", l2(1, M1, M2)], ["ovs-dummy", l2(3, M3, M1)]],
    expect: [
      {
        trace: 0,
        actions: "3",
        contains: ["     >> Flow is between protected ports, skipping output."],
      },
      { trace: 1, actions: "100,1,2" },
    ],
  },
  {
    name: "patch ports",
    bridges: ["br1"],
    ports: [
      { bridge: "br1", name: "pbr1", ofport: 1, peer: "pbr0" },
      { name: "pbr0", ofport: 1, peer: "pbr1" },
      { name: "p2", ofport: 2 },
      { bridge: "br1", name: "p3", ofport: 3 },
    ],
    flows: {
      br0: "actions=LOCAL,output:1,output:2\n",
      br1: "actions=LOCAL,output:1,output:3\n",
    },
    traces: [
      ["ovs-dummy", `in_port(100),${ICMP}`],
      ["ovs-dummy", `in_port(101),${ICMP}`],
    ],
    expect: [{ trace: 0, actions: "101,3,2" }, { trace: 1, actions: "100,2,3" }],
  },
  {
    name: "patch port loop",
    bridges: ["br1"],
    ports: [
      { name: "pbr0", ofport: 1, peer: "pbr1" },
      { bridge: "br1", name: "pbr1", ofport: 1, peer: "pbr0" },
      { name: "p2", ofport: 2 },
    ],
    flows: { br0: "actions=output:1,output:2\n", br1: "actions=IN_PORT\n" },
    traces: [["ovs-dummy", `in_port(2),${ICMP}`]],
  },
  {
    name: "patch ports with header changes (clone)",
    bridges: ["br1"],
    ports: [
      { name: "pbr0", ofport: 1, peer: "pbr1" },
      { bridge: "br1", name: "pbr1", ofport: 1, peer: "pbr0" },
      { name: "p2", ofport: 2 },
      { bridge: "br1", name: "p3", ofport: 3 },
    ],
    flows: {
      br0: "actions=output:1,output:2\n",
      br1: "ip actions=mod_dl_src:00:00:00:00:00:99,ct(commit),output:3\n",
    },
    traces: [["ovs-dummy", `in_port(2),${ICMP}`]],
  },
  {
    name: "table miss default and drop",
    ports: ports(1, 2),
    flows: { br0: "table=0 in_port=1 actions=goto_table:1\n" },
    ofVersion: "OpenFlow13",
    traces: [["ovs-dummy", `in_port(1),${ICMP}`], ["ovs-dummy", `in_port(2),${ICMP}`]],
    expect: [{ trace: 0, actions: "drop", contains: [" 1. No match."] }],
  },
  {
    name: "table miss continue",
    ports: ports(1),
    flows: { br0: "table=1 dl_src=10:11:11:11:11:11 actions=controller\n" },
    tableMiss: [["all", "continue"]],
    traces: [
      [
        "ovs-dummy",
        "in_port(1),eth(src=10:11:11:11:11:11,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=192.168.0.1,dst=192.168.0.2,proto=6,tos=0,ttl=64,frag=no),tcp(src=8,dst=9)",
      ],
      [
        "ovs-dummy",
        "in_port(1),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=192.168.0.1,dst=192.168.0.2,proto=6,tos=0,ttl=64,frag=no),tcp(src=8,dst=9)",
      ],
    ],
  },
  {
    name: "table miss controller and drop per table",
    ports: ports(1, 2),
    flows: { br0: "table=0 in_port=1 actions=resubmit(,1),goto_table:2\n" },
    ofVersion: "OpenFlow13",
    tableMiss: [[1, "controller"], [2, "drop"]],
    traces: [["ovs-dummy", `in_port(1),${ICMP}`]],
  },
  {
    name: "controller actions",
    ports: ports(1, 2),
    flows: {
      br0: `cookie=0x1234,in_port=1 actions=controller,output:2
in_port=2 actions=controller(reason=no_match,id=5,userdata=01.02.03),controller:100
`,
    },
    traces: [["ovs-dummy", `in_port(1),${ICMP}`], ["ovs-dummy", `in_port(2),${ICMP}`]],
  },
  {
    name: "select group default (dp_hash)",
    ofVersion: "OpenFlow12",
    ports: ports(1, 10, 11),
    groups: { br0: ["group_id=1234,type=select,bucket=output:10,bucket=output:11"] },
    flows: { br0: "ip actions=write_actions(group:1234)\n" },
    traces: [
      ["ovs-dummy", `in_port(1),${ICMP}`],
      ["ovs-dummy", `in_port(1),${ICMP}`],
    ],
  },
  {
    name: "select group legacy hash",
    ofVersion: "OpenFlow12",
    ports: ports(1, 10, 11),
    groups: {
      br0: ["group_id=1234,type=select,selection_method=hash,bucket=output:10,bucket=output:11"],
    },
    flows: { br0: "ip actions=group:1234\n" },
    traces: [
      ["ovs-dummy", `in_port(1),${ICMP}`],
      [
        "ovs-dummy",
        "in_port(1),eth(src=50:54:00:00:00:07,dst=50:54:00:00:00:01),eth_type(0x0800),ipv4(src=192.168.0.3,dst=192.168.1.2,proto=6,tos=0,ttl=128,frag=no),tcp(src=1,dst=2)",
      ],
    ],
  },
  {
    name: "select group with fields",
    ofVersion: "OpenFlow15",
    ports: ports(1, 10, 11),
    groups: {
      br0: [
        "group_id=1234,type=select,selection_method=hash,fields(eth_dst,ip_dst,tcp_dst),bucket=output:10,bucket=output:11",
      ],
    },
    flows: { br0: "ip actions=write_actions(group:1234)\n" },
    traces: [0, 1, 2, 3].map((d) => [
      "ovs-dummy",
      `in_port(1),eth(src=50:54:00:00:00:07,dst=50:54:00:00:00:0${d}),eth_type(0x0800),ipv4(src=192.168.0.1,dst=192.168.0.2,proto=1,tos=0,ttl=128,frag=no),icmp(type=8,code=0)`,
    ]),
  },
  {
    name: "select group with watch port and weights",
    ofVersion: "OpenFlow13",
    ports: ports(1, 10, 11, 12),
    groups: {
      br0: [
        "group_id=1,type=select,selection_method=hash,bucket=weight:0,output:10,bucket=weight:5,watch_port:11,output:11,bucket=weight:7,output:12",
        "group_id=2,type=ff,bucket=watch_port:20,output:10,bucket=watch_group:1,output:11",
      ],
    },
    flows: { br0: "in_port=1 actions=group:1,group:2\n" },
    traces: [["ovs-dummy", `in_port(1),${ICMP}`]],
  },
  {
    name: "fast failover with dead port",
    ofVersion: "OpenFlow12",
    ports: ports(1, 10, 11),
    groups: {
      br0: ["group_id=1234,type=ff,bucket=watch_port:10,output:10,bucket=watch_port:11,output:11"],
    },
    modPorts: [["br0", "10", "down"]],
    flows: { br0: "ip actions=group:1234\n" },
    traces: [["ovs-dummy", `in_port(1),${ICMP}`]],
  },
  {
    name: "nonexistent group",
    ofVersion: "OpenFlow12",
    ports: ports(1, 10),
    groups: { br0: ["group_id=1,type=all,bucket=group:77"] },
    flows: { br0: "ip actions=group:1,output:10\n" },
    traces: [["ovs-dummy", `in_port(1),${ICMP}`]],
  },
  {
    name: "clone action",
    ports: ports(1, 2, 3, 4),
    flows: {
      br0:
        "in_port=1, ip, actions=clone(set_field:192.168.3.3->ip_src),clone(set_field:192.168.4.4->ip_dst,output:2),clone(mod_dl_src:80:81:81:81:81:81,set_field:192.168.5.5->ip_dst,output:3),output:4\n",
    },
    traces: [[
      "ovs-dummy",
      "in_port(1),eth(src=50:54:00:00:00:09,dst=50:54:00:00:00:0a),eth_type(0x0800),ipv4(src=10.10.10.2,dst=10.10.10.1,proto=1,tos=1,ttl=128,frag=no),icmp(type=8,code=0)",
    ]],
    expect: [{
      trace: 0,
      actions:
        "set(ipv4(dst=192.168.4.4)),2,set(eth(src=80:81:81:81:81:81)),set(ipv4(dst=192.168.5.5)),3,set(eth(src=50:54:00:00:00:09)),set(ipv4(dst=10.10.10.1)),4",
    }],
  },
  {
    name: "clone action with ct",
    ports: ports(1, 2, 3, 4),
    flows: {
      br0:
        "in_port=1, ip, actions=clone(set_field:192.168.3.3->ip_src),clone(set_field:192.168.4.4->ip_dst,output:2),clone(ct(commit),output:3),output:4\n",
    },
    traces: [[
      "ovs-dummy",
      "in_port(1),eth(src=50:54:00:00:00:09,dst=50:54:00:00:00:0a),eth_type(0x0800),ipv4(src=10.10.10.2,dst=10.10.10.1,proto=1,tos=1,ttl=128,frag=no),icmp(type=8,code=0)",
    ]],
    expect: [{
      trace: 0,
      actions: "set(ipv4(dst=192.168.4.4)),2,set(ipv4(dst=10.10.10.1)),clone(ct(commit),3),4",
    }],
  },
  {
    name: "exit",
    ports: ports(1, 2, 3, 10, 11, 12, 13, 14),
    flows: {
      br0: `in_port=1 actions=output:10,exit,output:11
in_port=2 actions=output:12,resubmit:1,output:12
in_port=3 actions=output:13,resubmit:2,output:14
`,
    },
    traces: [1, 2, 3].map((p) => ["ovs-dummy", `in_port(${p}),${ICMP}`]),
    expect: [
      { trace: 0, actions: "10" },
      { trace: 1, actions: "12,10" },
      { trace: 2, actions: "13,12,10" },
    ],
  },
  ...(["normal", "drop", "nx-match"] as const).map((mode): XScenario => {
    const base =
      "in_port(90),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=192.168.0.1,dst=192.168.0.2,proto=6,tos=0,ttl=128";
    return {
      name: `fragment handling - ${mode}`,
      ports: ports(1, 2, 3, 4, 5, 6, 90),
      frags: mode,
      flows: {
        br0:
          `priority=75 tcp nw_frag=no    tp_dst=80 actions=move:OXM_OF_TCP_DST[]->OXM_OF_TCP_SRC[],output:1
priority=75 tcp nw_frag=first tp_dst=80 actions=move:OXM_OF_TCP_DST[]->OXM_OF_TCP_SRC[],output:2
priority=50 tcp nw_frag=no              actions=move:OXM_OF_TCP_DST[]->OXM_OF_TCP_SRC[],output:4
priority=50 tcp nw_frag=first           actions=move:OXM_OF_TCP_DST[]->OXM_OF_TCP_SRC[],output:5
priority=50 tcp nw_frag=later           actions=output:6
`,
      },
      traces: [
        ["ovs-dummy", `${base},frag=no),tcp(src=12345,dst=80)`],
        ["ovs-dummy", `${base},frag=first),tcp(src=12345,dst=80)`],
        ["ovs-dummy", `${base},frag=later)`],
      ],
    };
  }),
  {
    name: "conntrack ofproto/trace",
    ports: ports(1, 2, 3, 4),
    flows: {
      br0: `table=0,priority=100,arp,action=normal
table=0,priority=10,udp,action=ct(table=1,zone=0)
table=0,priority=10,tcp,action=ct(table=2,zone=1)
table=0,priority=1,action=drop
table=1,priority=10,in_port=1,ct_zone=0,ct_state=+trk+new,udp,action=ct(commit,zone=0),2
table=1,priority=10,in_port=1,ct_zone=0,ct_state=+trk+est,udp,action=2
table=1,priority=10,in_port=2,ct_zone=0,ct_state=+trk+est,udp,action=1
table=1,priority=1,action=drop
table=2,priority=10,in_port=1,tcp,ct_zone=1,ct_state=+trk+new,tcp,action=ct(commit,zone=1),ct(table=3,zone=2)
table=2,priority=10,in_port=1,tcp,ct_zone=1,ct_state=+trk+est,tcp,action=ct(table=3,zone=2)
table=2,priority=1,action=drop
table=3,priority=10,in_port=1,tcp,ct_zone=2,ct_state=+trk+new,tcp,action=ct(commit,zone=2),4
table=3,priority=10,in_port=1,tcp,ct_zone=2,ct_state=+trk+est,tcp,action=3
table=2,priority=1,action=drop
`,
    },
    traces: [
      ["br0", "in_port=2,udp"],
      ["br0", "in_port=1,udp"],
      ["br0", "in_port=1,tcp"],
      ["br0", "in_port=1,tcp", "--ct-next", "trk,est", "--ct-next", "trk,est"],
    ],
  },
  {
    name: "nat ofproto/trace",
    ports: ports(1, 2, 3),
    flows: {
      br0:
        `table=0,priority=100,ip,nw_src=1.1.1.1,ct_state=-trk,action=ct(commit,nat(src=10.0.0.1-10.0.0.42:1000-1042),table=0)
table=0,priority=100,udp,ct_state=+trk,nw_src=10.0.0.1,nw_dst=1.1.1.2,tp_src=1000,tp_dst=200,action=ct(commit,nat(dst=20.0.0.1-20.0.0.42:2000-2042),table=0)
table=0,priority=100,udp,ct_state=+trk,nw_src=10.0.0.1,nw_dst=20.0.0.1,tp_src=1000,tp_dst=2000,action=3
table=0,priority=90,ip,ct_state=+trk,action=2
`,
    },
    traces: [["br0", "in_port=1,udp,nw_src=1.1.1.1,nw_dst=1.1.1.2,udp_src=100,udp_dst=200"]],
  },
  {
    name: "learning",
    ports: ports(1, 2, 3),
    flows: {
      br0:
        "table=0 actions=learn(table=1,hard_timeout=10,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[]),resubmit(,1)\ntable=1 priority=0 actions=flood\n",
    },
    traces: [
      ["ovs-dummy", l2(1, M1, M2), "-generate"],
      ["ovs-dummy", l2(2, M2, M1)],
      ["ovs-dummy", l2(3, M3, M1)],
    ],
  },
  {
    name: "learn with load and fin_timeout",
    ports: ports(1, 2),
    flows: {
      br0:
        "table=0 tcp actions=learn(table=2,priority=7,idle_timeout=5,cookie=0x99,fin_idle_timeout=2,dl_type=0x800,NXM_OF_IP_SRC[]=NXM_OF_IP_DST[],load:NXM_OF_TCP_SRC[]->NXM_NX_REG1[0..15],load:0x5->NXM_NX_REG2[]),fin_timeout(idle_timeout=3),output:2\n",
    },
    traces: [[
      "ovs-dummy",
      "in_port(1),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=192.168.0.1,dst=192.168.0.2,proto=6,tos=0,ttl=128,frag=no),tcp(src=80,dst=8080)",
      "-generate",
    ], [
      "ovs-dummy",
      "in_port(1),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=192.168.0.1,dst=192.168.0.2,proto=6,tos=0,ttl=128,frag=no),tcp(src=80,dst=8080)",
    ]],
  },
  {
    name: "multipath and bundle",
    ports: ports(1, 2, 3, 4, 5),
    flows: {
      br0:
        `in_port=1 actions=multipath(eth_src,50,modulo_n,4,0,NXM_NX_REG0[]),multipath(symmetric_l4,1,hrw,5,0,NXM_NX_REG1[0..3]),multipath(symmetric_l3l4+udp,2,iter_hash,3,8,NXM_NX_REG2[]),multipath(nw_dst,3,hash_threshold,7,0,NXM_NX_REG3[]),resubmit(,1)
table=1 actions=bundle(eth_src,0,hrw,ofport,members:2,3,4),bundle_load(symmetric_l4,7,active_backup,ofport,NXM_NX_REG4[],members:5,4),output:NXM_NX_REG4[]
`,
    },
    traces: [
      ["ovs-dummy", `in_port(1),${ICMP}`],
      [
        "ovs-dummy",
        "in_port(1),eth(src=50:54:00:00:00:15,dst=50:54:00:00:00:27),eth_type(0x0800),ipv4(src=10.1.2.3,dst=10.3.2.1,proto=17,tos=0,ttl=64,frag=no),udp(src=1234,dst=5678)",
      ],
      [
        "ovs-dummy",
        "in_port(1),eth(src=50:54:00:00:00:aa,dst=50:54:00:00:00:bb),eth_type(0x86dd),ipv6(src=2001::1,dst=2001::2,label=0,proto=6,tclass=0,hlimit=64,frag=no),tcp(src=99,dst=100)",
      ],
    ],
  },
  {
    name: "bundle with a disabled member",
    ports: ports(1, 2, 3, 4),
    modPorts: [["br0", "2", "down"]],
    flows: {
      br0:
        "in_port=1 actions=bundle(eth_src,0,active_backup,ofport,members:2,3),bundle(symmetric_l3,5,hrw,ofport,members:2,3,4)\n",
    },
    traces: [["ovs-dummy", `in_port(1),${ICMP}`]],
  },
  {
    name: "resubmit depth limit",
    ports: [],
    flows: {
      br0: "table=0, actions=resubmit(,66)\n" +
        Array.from({ length: 65 }, (_, i) => `table=${i + 2}, actions=resubmit(,${i + 1})`).join(
          "\n",
        ) + "\ntable=1, actions=local\n",
    },
    traces: [["br0", "eth_dst=ff:ff:ff:ff:ff:ff"]],
    expect: [{
      trace: 0,
      contains: ["Translation failed (Recursion too deep), packet is dropped."],
    }],
  },
  {
    name: "infinite resubmit",
    ports: [],
    flows: { br0: "actions=resubmit:1,resubmit:2,output:3\n" },
    traces: [["br0", "eth_dst=ff:ff:ff:ff:ff:ff"]],
  },
  {
    name: "exponential resubmit chain",
    ports: ports(1),
    flows: {
      br0: Array.from(
        { length: 64 },
        (_, i) => `in_port=${i + 1}, actions=resubmit:${i + 2}, resubmit:${i + 2}, local`,
      ).join("\n") + "\nin_port=65, actions=local\n",
    },
    traces: [["br0", "in_port=1"]],
    expect: [{
      trace: 0,
      contains: ["Translation failed (Too many resubmits), packet is dropped."],
    }],
  },
  {
    name: "stack too deep",
    ports: ports(1),
    flows: {
      br0: Array.from(
        { length: 12 },
        (_, i) => `in_port=${i + 1}, actions=resubmit:${i + 2}, resubmit:${i + 2}, local`,
      ).join("\n") + `\nin_port=13, actions=${Array(8).fill("push:NXM_NX_REG0[]").join(",")}\n`,
    },
    traces: [["br0", "in_port=1"]],
  },
  {
    name: "MPLS push and pop",
    ports: ports(1, 2),
    flows: {
      br0: `table=0 dl_src=50:54:00:00:00:09 actions=push_mpls:0x8847,2
table=0 dl_src=50:54:00:00:00:0b actions=pop_mpls:0x0800,2
table=0 dl_src=50:54:00:00:00:0c actions=push_mpls:0x8847,set_mpls_label:10,set_mpls_ttl:3,dec_mpls_ttl,2
table=0 dl_src=50:54:00:00:00:0d actions=pop_mpls:0x0800,dec_ttl,2
`,
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
      [
        "ovs-dummy",
        `in_port(1),eth(src=50:54:00:00:00:0c,dst=50:54:00:00:00:0a),${ICMP64}`,
      ],
      [
        "ovs-dummy",
        "in_port(1),eth(src=50:54:00:00:00:0d,dst=50:54:00:00:00:0a),eth_type(0x8847),mpls(label=11,tc=3,ttl=64,bos=1)",
      ],
    ],
    expect: [
      { trace: 0, actions: "push_mpls(label=11,tc=3,ttl=64,bos=0,eth_type=0x8847),2" },
      { trace: 1, actions: "pop_mpls(eth_type=0x800),2" },
    ],
  },
  {
    name: "megaflow classification",
    ports: ports(1, 2),
    flows: {
      br0: `table=0 in_port=1,dl_src=50:54:00:00:00:09 actions=output(2)
table=0 in_port=1,icmp,nw_src=10.0.0.4 actions=output(2)
table=0 in_port=1,icmp,icmp_type=8 actions=output(2)
table=0 in_port=2 actions=dec_ttl,output(1)
`,
    },
    traces: [
      ["ovs-dummy", l2(1, "50:54:00:00:00:09", "50:54:00:00:00:0a")],
      ["ovs-dummy", l2(1, "50:54:00:00:00:0b", "50:54:00:00:00:0c")],
      ["ovs-dummy", l2(2, "50:54:00:00:00:0b", "50:54:00:00:00:0c")],
    ],
  },
  {
    name: "megaflow set dl_dst",
    ports: ports(1, 2),
    flows: { br0: "table=0 in_port=1 actions=mod_dl_dst(50:54:00:00:00:0a),output(2)\n" },
    traces: [
      ["ovs-dummy", l2(1, "50:54:00:00:00:09", "50:54:00:00:00:0a")],
      ["ovs-dummy", l2(1, "50:54:00:00:00:0b", "50:54:00:00:00:0c")],
    ],
    expect: [
      {
        trace: 0,
        actions: "2",
        megaflow: "recirc_id=0,eth,ip,in_port=1,dl_dst=50:54:00:00:00:0a,nw_frag=no",
      },
      {
        trace: 1,
        actions: "set(eth(dst=50:54:00:00:00:0a)),2",
        megaflow: "recirc_id=0,eth,ip,in_port=1,dl_dst=50:54:00:00:00:0c,nw_frag=no",
      },
    ],
  },
  {
    name: "header rewrites and VLAN actions",
    ofVersion: "OpenFlow13",
    ports: ports(1, 2, 3),
    flows: {
      br0:
        `in_port=1,ip actions=mod_vlan_vid:5,output:2,mod_vlan_pcp:3,output:3,strip_vlan,mod_nw_tos:8,mod_nw_ecn:2,mod_nw_ttl:9,output:2
in_port=2,tcp actions=mod_tp_src:1,mod_tp_dst:2,mod_nw_src:1.1.1.1,mod_nw_dst:2.2.2.2,mod_dl_src:00:00:00:00:00:aa,mod_dl_dst:00:00:00:00:00:bb,output:3,set_field:3->tcp_dst,output:1
in_port=3 actions=push_vlan:0x88a8,mod_vlan_vid:7,push_vlan:0x8100,set_field:4098->vlan_vid,output:1
`,
    },
    traces: [
      ["ovs-dummy", `in_port(1),${ICMP}`],
      [
        "ovs-dummy",
        "in_port(2),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=192.168.0.1,dst=192.168.0.2,proto=6,tos=0,ttl=128,frag=no),tcp(src=10,dst=20)",
      ],
      ["ovs-dummy", `in_port(3),${ICMP}`],
    ],
  },
  {
    name: "output to in_port, local, truncate, enqueue, queues",
    ports: ports(1, 2, 3),
    flows: {
      br0:
        `in_port=1 actions=output:1,in_port,output(port=2,max_len=50),enqueue:3:5,set_queue:7,output:2,pop_queue,output:3
in_port=2 actions=load:0x1ffff->NXM_NX_REG0[],output:NXM_NX_REG0[],load:3->NXM_NX_REG0[],output:NXM_NX_REG0[0..15],note:41.42,output:LOCAL,output:99
`,
    },
    traces: [["ovs-dummy", `in_port(1),${ICMP}`], ["ovs-dummy", `in_port(2),${ICMP}`]],
  },
  {
    name: "ARP modification slow path",
    ports: ports(1, 2),
    flows: {
      br0: "arp actions=load:2->NXM_OF_ARP_OP[],2,load:0xc0a88001->NXM_OF_ARP_SPA[],2\n",
    },
    traces: [[
      "ovs-dummy",
      "in_port(1),eth(src=50:54:00:00:00:05,dst=ff:ff:ff:ff:ff:ff),eth_type(0x0806),arp(sip=192.168.128.1,tip=192.168.0.2,op=1,sha=50:54:00:00:00:05,tha=00:00:00:00:00:00)",
    ]],
  },
  {
    name: "goto_table with write_metadata",
    ofVersion: "OpenFlow13",
    ports: ports(1, 2, 3),
    flows: {
      br0: `table=0 in_port=1 actions=write_metadata:0x5/0xff,goto_table:1
table=1 metadata=0x5/0xff actions=set_field:0xa->reg3,goto_table:2
table=2 reg3=0xa actions=output:2
table=2 priority=0 actions=output:3
`,
    },
    traces: [["ovs-dummy", `in_port(1),${ICMP}`]],
  },
  {
    name: "check_pkt_larger",
    ports: ports(1, 2, 3, 4),
    flows: {
      br0:
        "table=0 in_port=1 actions=check_pkt_larger(200)->NXM_NX_REG0[0],resubmit(,1)\ntable=1 in_port=1,reg0=0x1 actions=output:3\ntable=1 in_port=1 actions=output:4\n",
    },
    traces: [["ovs-dummy", `in_port(1),${ICMP}`]],
  },
  {
    name: "debug_recirc and conjunction",
    ports: ports(1, 2, 3),
    flows: {
      br0: `table=0 in_port=1 actions=debug_recirc,output:2
table=0 in_port=2,ip,nw_src=1.1.1.1 actions=conjunction(9,1/2)
table=0 in_port=2,ip,nw_dst=2.2.2.2 actions=conjunction(9,2/2)
table=0 conj_id=9 actions=output:3
`,
    },
    traces: [
      ["ovs-dummy", `in_port(1),${ICMP}`],
      [
        "ovs-dummy",
        "in_port(2),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=1.1.1.1,dst=2.2.2.2,proto=1,tos=0,ttl=128,frag=no),icmp(type=8,code=0)",
      ],
    ],
  },
  {
    name: "trace arguments and errors",
    ports: ports(1),
    flows: { br0: "actions=drop\n" },
    traces: [
      ["br0", "in_port=1,nw_src=1.2.3.4"],
      ["br0", "in_port=1,foo=1"],
      ["nosuchbridge", "in_port=1"],
      ["ovs-dummy", "in_port(9),eth_type(0x1234)"],
      ["in_port=1"],
      ["br0", "in_port=1", "--nope"],
      ["br0", "in_port=1", "00"],
      ["br0", "in_port=1,ip", "a", "b", "c"],
      ["br0", "in_port=p1,dl_vlan=10,ip", "--names"],
    ],
  },
];
