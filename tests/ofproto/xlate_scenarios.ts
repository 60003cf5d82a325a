// Translation scenarios taken from upstream's tests/ofproto-dpif.at: the switch (ports, VLAN
// settings, patch ports), flows, groups and the ofproto/trace calls, with the expectations
// upstream's tests check (datapath actions, megaflow). The same scenarios build the in-memory
// fixture for the unit tests and the real ovs-vswitchd for the differential tests, so both run
// exactly the same thing. Test-only data.
//
// Where a megaflow differs from upstream's 3.1.0 test text by an un-wildcarded nw_proto ("icmp"
// for "ip", "nw_proto=111"), the expectation follows the installed Open vSwitch 3.1 (Debian
// 3.1.0-2+deb12u1), which carries the CVE-2023-1668 fix: rewriting IP fields and dec_ttl now
// match on the IP protocol, as 3.1.1 does.

import { PACKET_OUT, type Scenario } from "./xlate_real.ts";
import { FixtureSwitch, type FixtureTraceHost } from "./xlate_fixture.ts";
import {
  ofprotoTrace,
  ofprotoTracePacketOut,
  type TraceReply,
} from "../../core/ofproto/xlate/trace.ts";
import type { PortOptions } from "./xlate_fixture.ts";
import type { VlanMode } from "../../core/ofproto/xlate/view.ts";
import type { RecircTable } from "../../core/ofproto/xlate/rid.ts";

export interface Expect {
  /** Index into the scenario's traces. */
  trace: number;
  actions?: string;
  /** Compare datapath actions as a sorted list of comma-separated items. */
  sorted?: boolean;
  megaflow?: string;
  /** Lines the whole trace must contain. */
  contains?: string[];
  /** The error reply, when the command fails. */
  error?: string;
}

export interface XScenario extends Scenario {
  expect?: Expect[];
}

const ICMP_ODP =
  "eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=192.168.0.1,dst=192.168.0.2,proto=1,tos=0,ttl=128,frag=no),icmp(type=8,code=0)";
const ICMP_BR =
  "dl_src=50:54:00:00:00:05,dl_dst=50:54:00:00:00:07,dl_type=0x0800,nw_src=192.168.0.1,nw_dst=192.168.0.2,nw_proto=1,nw_tos=0,nw_ttl=128,nw_frag=no,icmp_type=8,icmp_code=0";

function ofPorts(...numbers: number[]): { name: string; ofport: number }[] {
  return numbers.map((n) => ({ name: `p${n}`, ofport: n }));
}

/** Applies a Port row's settings ("tag=10", "vlan_mode=trunk" ...) to fixture port options. */
function portOptions(args: readonly string[]): PortOptions {
  const o: PortOptions = {};
  for (const a of args) {
    const [k, v = ""] = a.split("=");
    if (k === "tag") o.tag = Number(v);
    else if (k === "trunks") o.trunks = v.split(",").map(Number);
    else if (k === "cvlans") o.cvlans = v.split(",").map(Number);
    else if (k === "vlan_mode") o.vlanMode = v as VlanMode;
    else if (k === "other_config:qinq-ethtype") o.qinqEthtype = v === "802.1q" ? 0x8100 : 0x88a8;
    else if (k === "other_config:priority-tags") {
      o.priorityTags = v === "if-nonzero" || v === "true"
        ? "if-nonzero"
        : v === "always"
        ? "always"
        : "never";
    } else if (k === "protected") o.protected = v === "true";
  }
  return o;
}

const MOD_PORT_BITS: Record<string, [number, boolean]> = {
  noforward: [1 << 5, true],
  forward: [1 << 5, false],
  noflood: [1 << 4, true],
  flood: [1 << 4, false],
  "no-receive": [1 << 2, true],
  receive: [1 << 2, false],
  "no-packet-in": [1 << 6, true],
  "packet-in": [1 << 6, false],
  down: [1 << 0, true],
  up: [1 << 0, false],
};

/** Replaces "$RECIRC" in `args` with the last recirc(0xN) id in `previous` (a trace's text). */
export function withRecircId(args: readonly string[], previous: string): string[] {
  const ids = [...previous.matchAll(/recirc\((0x[0-9a-f]+)\)/g)];
  const id = ids.length ? String(Number(ids[ids.length - 1]![1])) : "0";
  return args.map((a) => a.replaceAll("$RECIRC", id));
}

/** Runs one of a scenario's traces on the fixture, as the daemon's unixctl command would. */
export function fixtureTrace(host: FixtureTraceHost, args: readonly string[]): TraceReply {
  return args[0] === PACKET_OUT
    ? ofprotoTracePacketOut(host, args.slice(1))
    : ofprotoTrace(host, args);
}

/** Builds the scenario's switch in the fixture. */
export function buildFixture(
  s: Scenario,
  recirc?: RecircTable,
  mirrorOrder?: readonly string[],
): FixtureSwitch {
  const sw = new FixtureSwitch(recirc);
  for (const br of ["br0", ...(s.bridges ?? [])]) sw.addBridge(br);
  const patches = new Map<string, { bridge: string; ofport: number }>();
  for (const p of s.ports) {
    const br = sw.bridges.get(p.bridge ?? "br0")!;
    const o = portOptions(p.portArgs ?? []);
    if (p.queueDscp) o.queueDscp = p.queueDscp;
    if (p.name === br.name) {
      br.reconfigurePort(p.name, o);
    } else if (p.peer) {
      const port = br.addPort(p.name, p.ofport, { ...o, odp: undefined });
      patches.set(p.name, { bridge: br.name, ofport: p.ofport });
      const other = patches.get(p.peer);
      if (other) {
        const ob = sw.bridges.get(other.bridge)!;
        const op = ob.port(other.ofport)!;
        port.peer = { bridge: ob, port: op };
        (op as { peer: unknown }).peer = { bridge: br, port };
      }
    } else {
      br.addPort(p.name, p.ofport, o);
    }
  }
  if (s.bridgeArgs?.includes("other_config:forward-bpdu=true")) {
    sw.bridges.get("br0")!.forwardBpdu = true;
  }
  const version = { OpenFlow10: 1, OpenFlow12: 3, OpenFlow13: 4, OpenFlow15: 6 }[
    s.ofVersion ?? "OpenFlow10"
  ];
  if (s.bridgeArgs?.includes("fail-mode=standalone")) {
    // As bridge.c does for a standalone bridge without controllers.
    sw.bridges.get("br0")!.addFlow("priority=0 actions=NORMAL");
  }
  for (const [br, text] of Object.entries(s.flows ?? {})) {
    sw.bridges.get(br)!.addFlows(text, version);
  }
  for (const [br, groups] of Object.entries(s.groups ?? {})) {
    for (const g of groups) sw.bridges.get(br)!.addGroup(g);
  }
  for (const [brName, portName, action] of s.modPorts ?? []) {
    const br = sw.bridges.get(brName)!;
    const port = br.ports().find((p) => p.name === portName || String(p.ofport) === portName)!;
    const [bit, set] = MOD_PORT_BITS[action]!;
    const mutable = port as { config: number };
    mutable.config = set ? mutable.config | bit : mutable.config & ~bit;
    if (bit === 1) (port as { mayEnable: boolean }).mayEnable = !set;
    if (port.bundle && bit === 1 << 4) (port.bundle as { floodable: boolean }).floodable = !set;
  }
  const br0 = sw.bridges.get("br0")!;
  // Mirrors are numbered in the order of the Bridge's mirrors column (by UUID); without the real
  // switch's order, in the scenario's.
  const mirrors = [...(s.mirrors ?? [])];
  if (mirrorOrder?.length) {
    mirrors.sort((a, b) => mirrorOrder.indexOf(a.name) - mirrorOrder.indexOf(b.name));
  }
  for (const m of mirrors) br0.addMirror(m);
  if (s.prefixes) br0.setPrefixes(0, s.prefixes);
  if (s.frags) br0.fragHandling = s.frags;
  for (const [table, miss] of s.tableMiss ?? []) {
    if (table === "all") { for (let t = 0; t < 254; t++) br0.setTableMiss(t, miss); }
    else br0.setTableMiss(table, miss);
  }
  return sw;
}

function vlanHandlingPorts() {
  return [
    { name: "p1", ofport: 1, portArgs: ["trunks=10,12"] },
    { name: "p2", ofport: 2, portArgs: ["tag=10"] },
    { name: "p3", ofport: 3, portArgs: ["tag=12", "other_config:priority-tags=if-nonzero"] },
    { name: "p4", ofport: 4, portArgs: ["tag=12"] },
    { name: "p5", ofport: 5, portArgs: ["vlan_mode=native-tagged", "tag=10"] },
    { name: "p6", ofport: 6, portArgs: ["vlan_mode=native-tagged", "tag=10", "trunks=10,12"] },
    { name: "p7", ofport: 7, portArgs: ["vlan_mode=native-untagged", "tag=12"] },
    {
      name: "p8",
      ofport: 8,
      portArgs: [
        "vlan_mode=native-untagged",
        "tag=12",
        "trunks=10,12",
        "other_config:priority-tags=if-nonzero",
      ],
    },
    {
      name: "p9",
      ofport: 9,
      portArgs: ["vlan_mode=dot1q-tunnel", "tag=10", "other_config:qinq-ethtype=802.1q"],
    },
    {
      name: "p10",
      ofport: 10,
      portArgs: [
        "vlan_mode=dot1q-tunnel",
        "tag=10",
        "cvlans=10,12",
        "other_config:qinq-ethtype=802.1q",
      ],
    },
    {
      name: "p11",
      ofport: 11,
      portArgs: ["vlan_mode=dot1q-tunnel", "tag=12", "other_config:qinq-ethtype=802.1q"],
    },
    {
      name: "p12",
      ofport: 12,
      portArgs: [
        "vlan_mode=dot1q-tunnel",
        "tag=12",
        "other_config:qinq-ethtype=802.1q",
        "other_config:priority-tags=if-nonzero",
      ],
    },
  ];
}

/** The VLAN handling table of upstream's "ofproto-dpif - VLAN handling". */
export const VLAN_TABLE: [number, string, number, string][] = [
  [100, "none", 0, "drop"],
  [100, "0", 0, "drop"],
  [100, "0", 1, "drop"],
  [100, "10", 0, "1,5,6,7,8,pop_vlan,2,9"],
  [100, "10", 1, "1,5,6,7,8,pop_vlan,2,9"],
  [100, "11", 0, "5,7"],
  [100, "11", 1, "5,7"],
  [100, "12", 0, "1,5,6,pop_vlan,3,4,7,8,11,12"],
  [100, "12", 1, "1,5,6,pop_vlan,4,7,11,push_vlan(vid=0,pcp=1),3,8,12"],
  [1, "none", 0, "drop"],
  [1, "0", 0, "drop"],
  [1, "0", 1, "drop"],
  [1, "10", 0, "5,6,7,8,100,pop_vlan,2,9"],
  [1, "10", 1, "5,6,7,8,100,pop_vlan,2,9"],
  [1, "11", 0, "drop"],
  [1, "11", 1, "drop"],
  [1, "12", 0, "5,6,100,pop_vlan,3,4,7,8,11,12"],
  [1, "12", 1, "5,6,100,pop_vlan,4,7,11,push_vlan(vid=0,pcp=1),3,8,12"],
  [2, "none", 0, "9,push_vlan(vid=10,pcp=0),1,5,6,7,8,100"],
  [2, "0", 0, "pop_vlan,9,push_vlan(vid=10,pcp=0),1,5,6,7,8,100"],
  [2, "0", 1, "pop_vlan,9,push_vlan(vid=10,pcp=1),1,5,6,7,8,100"],
  [2, "10", 0, "drop"],
  [2, "12", 1, "drop"],
  [3, "none", 0, "4,7,8,11,12,push_vlan(vid=12,pcp=0),1,5,6,100"],
  [3, "0", 0, "pop_vlan,4,7,8,11,12,push_vlan(vid=12,pcp=0),1,5,6,100"],
  [3, "0", 1, "8,12,pop_vlan,4,7,11,push_vlan(vid=12,pcp=1),1,5,6,100"],
  [3, "10", 0, "drop"],
  [4, "none", 0, "3,7,8,11,12,push_vlan(vid=12,pcp=0),1,5,6,100"],
  [4, "0", 1, "3,8,12,pop_vlan,7,11,push_vlan(vid=12,pcp=1),1,5,6,100"],
  [5, "none", 0, "2,9,push_vlan(vid=10,pcp=0),1,6,7,8,100"],
  [5, "0", 1, "pop_vlan,2,9,push_vlan(vid=10,pcp=1),1,6,7,8,100"],
  [5, "10", 0, "1,6,7,8,100,pop_vlan,2,9"],
  [5, "11", 0, "7,100"],
  [5, "12", 1, "1,6,100,pop_vlan,4,7,11,push_vlan(vid=0,pcp=1),3,8,12"],
  [6, "none", 0, "2,9,push_vlan(vid=10,pcp=0),1,5,7,8,100"],
  [6, "11", 0, "drop"],
  [6, "12", 0, "1,5,100,pop_vlan,3,4,7,8,11,12"],
  [7, "none", 0, "3,4,8,11,12,push_vlan(vid=12,pcp=0),1,5,6,100"],
  [7, "0", 1, "3,8,12,pop_vlan,4,11,push_vlan(vid=12,pcp=1),1,5,6,100"],
  [7, "10", 0, "1,5,6,8,100,pop_vlan,2,9"],
  [7, "11", 0, "5,100"],
  [7, "12", 1, "1,5,6,100,pop_vlan,4,11,push_vlan(vid=0,pcp=1),3,8,12"],
  [8, "none", 0, "3,4,7,11,12,push_vlan(vid=12,pcp=0),1,5,6,100"],
  [8, "0", 1, "3,12,pop_vlan,4,7,11,push_vlan(vid=12,pcp=1),1,5,6,100"],
  [8, "10", 0, "1,5,6,7,100,pop_vlan,2,9"],
  [8, "12", 1, "1,5,6,100,pop_vlan,4,7,11,push_vlan(vid=0,pcp=1),3,12"],
  [9, "none", 0, "2,push_vlan(vid=10,pcp=0),1,5,6,7,8,100"],
  [9, "10", 0, "10,push_vlan(vid=10,pcp=0),1,5,6,7,8,100"],
  [9, "11", 0, "push_vlan(vid=10,pcp=0),1,5,6,7,8,100"],
  [10, "none", 0, "drop"],
  [10, "0", 0, "drop"],
  [10, "11", 0, "drop"],
  [10, "12", 0, "9,push_vlan(vid=10,pcp=0),1,5,6,7,8,100"],
  [11, "10", 0, "7,8,12,push_vlan(vid=12,pcp=0),1,5,6,100"],
  [11, "10", 1, "7,8,12,push_vlan(vid=12,pcp=0),1,5,6,100"],
];

function vlanFlow(inPort: number, vlan: string, pcp: number): string {
  const eth = `in_port(${inPort}),eth(src=50:54:00:00:00:01,dst=ff:ff:ff:ff:ff:ff)`;
  return vlan === "none"
    ? `${eth},eth_type(0xabcd)`
    : `${eth},eth_type(0x8100),vlan(vid=${vlan},pcp=${pcp}),encap(eth_type(0xabcd))`;
}

export const SCENARIOS: XScenario[] = [
  {
    name: "resubmit",
    ports: ofPorts(1, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21),
    flows: {
      br0:
        `table=0 in_port=1 priority=1000 icmp actions=output(10),resubmit(2),output(19),resubmit(3),output(21)
table=0 in_port=2 priority=1500 icmp actions=output(11),resubmit(,1),output(16),resubmit(2,1),output(18)
table=0 in_port=3 priority=2000 icmp actions=output(20)
table=1 in_port=1 priority=1000 icmp actions=output(12),resubmit(4,1),output(13),resubmit(3),output(15)
table=1 in_port=2 priority=1500 icmp actions=output(17),resubmit(,2)
table=1 in_port=3 priority=1500 icmp actions=output(14),resubmit(,2)
`,
    },
    traces: [["br0", `in_port=p1,${ICMP_BR}`]],
    expect: [{ trace: 0, actions: "10,11,12,13,14,15,16,17,18,19,20,21" }],
  },
  {
    name: "goto table",
    ofVersion: "OpenFlow12",
    ports: ofPorts(1, 10, 11),
    flows: {
      br0: "table=0 in_port=1 actions=output(10),goto_table(1)\n" +
        Array.from({ length: 63 }, (_, i) => `table=${i + 1} actions=goto_table(${i + 2})`).join(
          "\n",
        ) + "\ntable=64 actions=output(11)\n",
    },
    traces: [["br0", `in_port=1,${ICMP_BR}`]],
    expect: [{ trace: 0, actions: "10,11" }],
  },
  {
    name: "write actions",
    ofVersion: "OpenFlow12",
    ports: ofPorts(1, 10, 11, 12, 13),
    flows: {
      br0:
        `table=0 in_port=1,ip actions=output(10),write_actions(set_field:192.168.3.90->ip_src,output(12)),goto_table(1)
table=1 ip actions=write_actions(output(13)),goto_table(2)
table=2 ip actions=set_field:192.168.3.91->ip_src,output(11)
`,
    },
    traces: [["br0", `in_port=1,${ICMP_BR}`]],
    expect: [{
      trace: 0,
      megaflow: "recirc_id=0,eth,icmp,in_port=1,nw_src=192.168.0.1,nw_frag=no",
      actions: "10,set(ipv4(src=192.168.3.91)),11,set(ipv4(src=192.168.3.90)),13",
    }],
  },
  {
    name: "modify IPv6 Neighbor Solicitation (ND)",
    ofVersion: "OpenFlow12",
    ports: ofPorts(1, 10, 11, 12, 13),
    flows: {
      br0:
        `table=0 in_port=1,icmp6,icmpv6_type=135 actions=output(10),write_actions(set_field:fe80::3->nd_target,set_field:aa:aa:aa:aa:aa:aa->nd_sll,output(12)),goto_table(1)
table=1 icmp6 actions=write_actions(output(13)),goto_table(2)
table=2 in_port=1,icmp6,icmpv6_type=135 actions=set_field:fe80::4->nd_target,set_field:cc:cc:cc:cc:cc:cc->nd_sll,output(11)
`,
    },
    traces: [[
      "br0",
      "in_port=1,dl_src=50:54:00:00:00:05,dl_dst=50:54:00:00:00:07,icmp6,ipv6_src=fe80::1,ipv6_dst=fe80::2,nw_tos=0,nw_ttl=128,nw_frag=no,icmpv6_type=135,nd_target=fe80::2020,nd_sll=66:55:44:33:22:11",
    ]],
    expect: [{
      trace: 0,
      megaflow:
        "recirc_id=0,eth,icmp6,in_port=1,nw_frag=no,icmp_type=0x87/0xff,icmp_code=0x0/0xff,nd_target=fe80::2020,nd_sll=66:55:44:33:22:11",
      actions:
        "10,set(nd(target=fe80::4,sll=cc:cc:cc:cc:cc:cc)),11,set(nd(target=fe80::3,sll=aa:aa:aa:aa:aa:aa)),13",
      contains: [
        "This flow is handled by the userspace slow path because it:",
        "  - Uses action(s) not supported by datapath.",
      ],
    }],
  },
  {
    name: "clear actions",
    ofVersion: "OpenFlow12",
    ports: ofPorts(1, 10, 11, 12),
    flows: {
      br0:
        `table=0 in_port=1,ip actions=output(10),write_actions(set_field:192.168.3.90->ip_src,output(12)),goto_table(1)
table=1 tcp actions=set_field:91->tp_src,output(11),clear_actions
`,
    },
    traces: [[
      "br0",
      "in_port=1,dl_src=50:54:00:00:00:05,dl_dst=50:54:00:00:00:07,dl_type=0x0800,nw_src=192.168.0.1,nw_dst=192.168.0.2,nw_proto=6,nw_tos=0,nw_ttl=128,nw_frag=no,tp_src=8,tp_dst=9",
    ]],
    expect: [{
      trace: 0,
      megaflow: "recirc_id=0,eth,tcp,in_port=1,nw_frag=no,tp_src=8",
      actions: "10,set(tcp(src=91)),11",
    }],
  },
  {
    name: "group chaining",
    ofVersion: "OpenFlow12",
    ports: ofPorts(1, 10, 11),
    groups: {
      br0: [
        "group_id=123,type=all,bucket=output:10",
        "group_id=1234,type=all,bucket=set_field:192.168.3.90->ip_src,group:123,bucket=output:11",
      ],
    },
    flows: { br0: "ip actions=group:1234\n" },
    traces: [["br0", `in_port=1,${ICMP_BR}`]],
    expect: [{
      trace: 0,
      actions: "set(ipv4(src=192.168.3.90)),10,set(ipv4(src=192.168.0.1)),11",
    }],
  },
  {
    name: "all group in action list",
    ofVersion: "OpenFlow12",
    ports: ofPorts(1, 10, 11),
    groups: {
      br0: [
        "group_id=1234,type=all,bucket=output:10,set_field:192.168.3.90->ip_src,bucket=output:11",
      ],
    },
    flows: { br0: "ip actions=group:1234\n" },
    traces: [["br0", `in_port=1,${ICMP_BR}`]],
    expect: [{
      trace: 0,
      megaflow: "recirc_id=0,eth,icmp,in_port=1,nw_src=192.168.0.1,nw_frag=no",
      actions: "set(ipv4(src=192.168.3.90)),10,set(ipv4(src=192.168.0.1)),11",
    }],
  },
  {
    name: "indirect group in action list",
    ofVersion: "OpenFlow12",
    ports: ofPorts(1, 10),
    groups: { br0: ["group_id=1234,type=indirect,bucket=output:10"] },
    flows: { br0: "ip actions=group:1234\n" },
    traces: [["br0", `in_port=1,${ICMP_BR}`]],
    expect: [{ trace: 0, actions: "10" }],
  },
  {
    name: "all group in action set",
    ofVersion: "OpenFlow12",
    ports: ofPorts(1, 10, 11),
    groups: {
      br0: [
        "group_id=1234,type=all,bucket=output:10,set_field:192.168.3.90->ip_src,bucket=output:11",
      ],
    },
    flows: { br0: "ip actions=write_actions(group:1234)\n" },
    traces: [["br0", `in_port=1,${ICMP_BR}`]],
    expect: [{
      trace: 0,
      megaflow: "recirc_id=0,eth,icmp,in_port=1,nw_src=192.168.0.1,nw_frag=no",
      actions: "set(ipv4(src=192.168.3.90)),10,set(ipv4(src=192.168.0.1)),11",
    }],
  },
  {
    name: "indirect group in action set",
    ofVersion: "OpenFlow12",
    ports: ofPorts(1, 10),
    groups: { br0: ["group_id=1234,type=indirect,bucket=output:10"] },
    flows: { br0: "ip actions=write_actions(group:1234)\n" },
    traces: [["br0", `in_port=1,${ICMP_BR}`]],
    expect: [{ trace: 0, actions: "10" }],
  },
  {
    name: "patch port with action set",
    ofVersion: "OpenFlow12",
    bridges: ["br1"],
    ports: [
      { name: "patch10", ofport: 10, peer: "patch20" },
      { bridge: "br1", name: "patch20", ofport: 20, peer: "patch10" },
      { name: "p1", ofport: 1 },
      { bridge: "br1", name: "p2", ofport: 2 },
    ],
    flows: { br1: "ip actions=write_actions(pop_vlan,output:2)\n", br0: "ip actions=output:10\n" },
    traces: [
      ["br1", `in_port=20,${ICMP_BR.replace("dl_type", "dl_vlan=100,dl_type")}`],
      ["br0", `in_port=1,${ICMP_BR.replace("dl_type", "dl_vlan=100,dl_type")}`],
    ],
    expect: [{ trace: 0, actions: "pop_vlan,2" }, { trace: 1, actions: "pop_vlan,2" }],
  },
  {
    name: "fast failover group",
    ofVersion: "OpenFlow12",
    ports: ofPorts(1, 10, 11),
    groups: {
      br0: ["group_id=1234,type=ff,bucket=watch_port:10,output:10,bucket=watch_port:11,output:11"],
    },
    flows: { br0: "ip actions=write_actions(group:1234)\n" },
    traces: [["br0", `in_port=1,${ICMP_BR}`]],
    expect: [{ trace: 0, actions: "10" }],
  },
  {
    name: "registers",
    ports: ofPorts(20, 21, 22, 33, 90),
    flows: {
      br0: `in_port=90                 actions=resubmit:2,resubmit:3,resubmit:4,resubmit:91
in_port=91                 actions=resubmit:5,resubmit:6,resubmit:7,resubmit:92
in_port=92                 actions=resubmit:8,resubmit:9,resubmit:10,resubmit:11,resubmit:93
in_port=93                 actions=resubmit:12,resubmit:13,resubmit:14,resubmit:15
in_port=2                  actions=load:0x000db000->NXM_NX_REG0[]
in_port=3                  actions=load:0xdea->NXM_NX_REG0[20..31]
in_port=4                  actions=load:0xeef->NXM_NX_REG0[0..11]
in_port=5                  actions=move:NXM_NX_REG0[]->NXM_NX_REG1[]
in_port=6                  actions=load:0x22222222->NXM_NX_REG2[]
in_port=7                  actions=move:NXM_NX_REG1[20..31]->NXM_NX_REG2[0..11]
in_port=8                  actions=move:NXM_NX_REG1[0..11]->NXM_NX_REG2[20..31]
in_port=9,reg0=0xdeadbeef  actions=output:20
in_port=10,reg1=0xdeadbeef actions=output:21
in_port=11,reg2=0xeef22dea actions=output:22
in_port=12 actions=load:0x10->NXM_NX_REG0[],load:0x11->NXM_NX_REG1[],load:0x12->NXM_NX_REG2[]
in_port=13 actions=load:0x13->NXM_NX_REG3[],load:0x14->NXM_NX_REG4[],load:0x15->NXM_NX_REG5[]
in_port=14 actions=load:0x16->NXM_NX_REG6[],load:0x17->NXM_NX_REG7[]
in_port=15,reg0=0x10,reg1=0x11,reg2=0x12,reg3=0x13,reg4=0x14,reg5=0x15,reg6=0x16,reg7=0x17 actions=output:33
`,
    },
    traces: [["ovs-dummy", `in_port(90),${ICMP_ODP}`]],
    expect: [{ trace: 0, actions: "20,21,22,33" }],
  },
  {
    name: "extended registers",
    ports: ofPorts(1, 2, 3),
    flows: {
      br0: `table=0     actions=load:0xfedcba9876543210->OXM_OF_PKT_REG1[],resubmit(,1)
table=1,reg2=0xfedcba98,reg3=0x76543210   actions=2
table=0,priority=0                        actions=3
table=1,priority=0                        actions=3
`,
    },
    traces: [["ovs-dummy", `in_port(1),${ICMP_ODP}`]],
    expect: [{ trace: 0, actions: "2" }],
  },
  {
    name: "masked set-field into metadata",
    ofVersion: "OpenFlow15",
    ports: ofPorts(1, 2, 3),
    flows: {
      br0: `table=0     actions=set_field:0xfafafafa5a5a5a5a->metadata,goto_table(1)
table=1     actions=set_field:0x6b/0xff->metadata,goto_table(2)
table=2,metadata=0xfafafafa5a5a5a6b  actions=2
table=0,priority=0                        actions=3
table=1,priority=0                        actions=3
table=2,priority=0                        actions=3
`,
    },
    traces: [["ovs-dummy", `in_port(1),${ICMP_ODP}`]],
    expect: [{ trace: 0, actions: "2" }],
  },
  {
    name: "load and move order",
    ofVersion: "OpenFlow12",
    ports: ofPorts(1, 10, 11),
    groups: {
      br0: [
        "group_id=1234,type=all,bucket=output:10,move:NXM_NX_REG1[]->NXM_OF_IP_SRC[],bucket=output:11",
      ],
    },
    flows: {
      br0:
        "ip actions=write_actions(load:0xffffffff->NXM_NX_REG1[],move:NXM_NX_REG1[]->NXM_NX_REG2[],group:1234)\n",
    },
    traces: [["br0", `in_port=1,${ICMP_BR}`]],
    expect: [{
      trace: 0,
      megaflow: "recirc_id=0,eth,ip,in_port=1,nw_src=192.168.0.1,nw_frag=no",
      actions: "set(ipv4(src=255.255.255.255)),10,set(ipv4(src=192.168.0.1)),11",
    }],
  },
  {
    name: "actset_output",
    ofVersion: "OpenFlow13",
    ports: ofPorts(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13),
    groups: { br0: ["group_id=5,type=all,bucket=output:1"] },
    flows: {
      br0: `table=0,actset_output=unset     actions=write_actions(output(2)),goto_table(1)
table=1     actions=move:ONFOXM_ET_ACTSET_OUTPUT[0..31]->OXM_OF_PKT_REG0[0..31],goto_table(2)
table=2,priority=20,actset_output=2  actions=4,goto_table(3)
table=2,priority=10                  actions=5,goto_table(3)
table=3,priority=20,xreg0=2  actions=6,goto_table(4)
table=3,priority=10          actions=7,goto_table(4)
table=4 actions=write_actions(group(5),output(10)),goto_table(5)
table=5,priority=20,actset_output=unset  actions=8,goto_table(6)
table=5,priority=10                      actions=9,goto_table(6)
table=6 actions=write_actions(output(3)),goto_table(7)
table=7,priority=20,actset_output=unset  actions=10,goto_table(8)
table=7,priority=10                      actions=11,goto_table(8)
table=8,actions=clear_actions,write_actions(output(3),output(2)),goto_table(9)
table=9,priority=20,actset_output=2 actions=12
table=9,priority=10                 actions=13
`,
    },
    traces: [["ovs-dummy", `in_port(1),${ICMP_ODP}`]],
    expect: [{ trace: 0, actions: "4,6,8,10,12,2" }],
  },
  {
    name: "push-pop",
    ports: ofPorts(20, 21, 22, 33, 90),
    flows: {
      br0:
        `in_port=90           actions=load:20->NXM_NX_REG0[0..7],load:21->NXM_NX_REG1[0..7],load:22->NXM_NX_REG2[0..7], load:33->NXM_NX_REG3[0..7], push:NXM_NX_REG0[], push:NXM_NX_REG1[0..7],push:NXM_NX_REG2[0..15], push:NXM_NX_REG3[], resubmit:2, resubmit:3, resubmit:4, resubmit:5
in_port=2            actions=pop:NXM_NX_REG0[0..7],output:NXM_NX_REG0[]
in_port=3            actions=pop:NXM_NX_REG1[0..7],output:NXM_NX_REG1[]
in_port=4            actions=pop:NXM_NX_REG2[0..15],output:NXM_NX_REG2[]
in_port=5            actions=pop:NXM_NX_REG3[],output:NXM_NX_REG3[]
`,
    },
    traces: [["ovs-dummy", `in_port(90),${ICMP_ODP}`]],
    expect: [{ trace: 0, actions: "33,22,21,20" }],
  },
  {
    name: "output",
    ports: ofPorts(1, 9, 10, 11, 55, 66, 77, 88),
    flows: {
      br0:
        `in_port=1 actions=resubmit:2,resubmit:3,resubmit:4,resubmit:5,resubmit:6,resubmit:7,resubmit:8
in_port=2 actions=output:9
in_port=3 actions=load:55->NXM_NX_REG0[],output:NXM_NX_REG0[],load:66->NXM_NX_REG1[]
in_port=4 actions=output:10,output:NXM_NX_REG0[],output:NXM_NX_REG1[],output:11
in_port=5 actions=load:77->NXM_NX_REG0[0..15],load:88->NXM_NX_REG0[16..31]
in_port=6 actions=output:NXM_NX_REG0[0..15],output:NXM_NX_REG0[16..31]
in_port=7 actions=load:0x110000ff->NXM_NX_REG0[],output:NXM_NX_REG0[]
in_port=8 actions=1,9,load:9->NXM_OF_IN_PORT[],1,9
`,
    },
    traces: [["ovs-dummy", `in_port(1),${ICMP_ODP}`]],
    expect: [{ trace: 0, actions: "9,55,10,55,66,11,77,88,9,1" }],
  },
  {
    name: "dec_ttl",
    ports: ofPorts(1, 2, 3, 4),
    flows: {
      br0: `table=0 in_port=1 action=dec_ttl,output:2,resubmit(1,1),output:4
table=1 in_port=1 action=dec_ttl,output:3
`,
    },
    traces: [
      [
        "ovs-dummy",
        "in_port(1),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=192.168.0.1,dst=192.168.0.2,proto=111,tos=0,ttl=3,frag=no)",
      ],
      [
        "ovs-dummy",
        "in_port(1),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x86dd),ipv6(src=::1,dst=::2,label=0,proto=10,tclass=0x70,hlimit=128,frag=no)",
      ],
      [
        "ovs-dummy",
        "in_port(1),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=192.168.0.1,dst=192.168.0.2,proto=111,tos=0,ttl=2,frag=no)",
      ],
    ],
    expect: [
      {
        trace: 0,
        megaflow: "recirc_id=0,eth,ip,in_port=1,nw_proto=111,nw_ttl=3,nw_frag=no",
        actions: "set(ipv4(ttl=2)),2,set(ipv4(ttl=1)),3,4",
      },
      {
        trace: 1,
        megaflow: "recirc_id=0,eth,ipv6,in_port=1,nw_proto=10,nw_ttl=128,nw_frag=no",
        actions: "set(ipv6(hlimit=127)),2,set(ipv6(hlimit=126)),3,4",
      },
      {
        trace: 2,
        megaflow: "recirc_id=0,eth,ip,in_port=1,nw_proto=111,nw_ttl=2,nw_frag=no",
        actions:
          "set(ipv4(ttl=1)),2,userspace(pid=0,controller(reason=2,dont_send=1,continuation=0,recirc_id=1,rule_cookie=0,controller_id=0,max_len=65535)),4",
      },
    ],
  },
  {
    name: "output/flood flags",
    ports: ofPorts(1, 2, 3, 4, 5, 6, 7),
    flows: {
      br0: `in_port=local actions=local,flood
in_port=1 actions=flood
in_port=2 actions=all
in_port=3 actions=output:LOCAL,output:1,output:2,output:3,output:4,output:5,output:6,output:7
in_port=4 actions=enqueue:LOCAL:1,enqueue:1:1,enqueue:2:1,enqueue:3:2,enqueue:4:1,enqueue:5:1,enqueue:6:1,enqueue:7:1
`,
    },
    modPorts: [["br0", "5", "noforward"], ["br0", "6", "noflood"]],
    traces: [100, 1, 2, 3, 4].map((p) => [
      "ovs-dummy",
      `in_port(${p}),eth(src=00:00:00:00:00:01,dst=00:00:00:00:00:02),eth_type(0x0900)`,
    ]),
    expect: [
      { trace: 0, actions: "1,2,3,4,7", sorted: true },
      { trace: 1, actions: "100,2,3,4,7", sorted: true },
      { trace: 2, actions: "1,100,3,4,6,7", sorted: true },
      { trace: 3, actions: "100,1,2,4,6,7" },
      {
        trace: 4,
        actions:
          "set(skb_priority(0x1)),100,1,2,set(skb_priority(0x2)),3,set(skb_priority(0x1)),6,7",
      },
    ],
  },
  {
    name: "VLAN handling",
    ports: vlanHandlingPorts(),
    flows: { br0: "priority=0 actions=NORMAL\n" },
    traces: VLAN_TABLE.map(([p, v, pcp]) => ["ovs-dummy", vlanFlow(p, v, pcp)]),
    expect: VLAN_TABLE.map(([, , , actions], i) => ({ trace: i, actions, sorted: true })),
  },
  {
    name: "Multi-VLAN actions",
    ofVersion: "OpenFlow13",
    ports: ofPorts(1, 2),
    flows: {
      br0: `table=0 in_port=1,vlan_tci=0x1100/0x1fff actions=pop_vlan,output:2
table=0 in_port=1,vlan_tci=0x1101/0x1fff actions=push_vlan:0x8100,set_field:0x1201/0x1fff->vlan_tci,output:2
table=0 in_port=1,vlan_tci=0x1102/0x1fff actions=push_vlan:0x88a8,set_field:0x1202/0x1fff->vlan_tci,output:2
table=0 in_port=1,vlan_tci=0x1103/0x1fff actions=set_field:0x1203/0x1fff->vlan_tci,output:2
table=0 in_port=1,vlan_tci=0x1104/0x1fff actions=pop_vlan,goto_table:1
table=1 vlan_tci=0 actions=output:2
`,
    },
    traces: [0x100, 0x101, 0x102, 0x103, 0x104].map((vid) => [
      "ovs-dummy",
      `in_port(1),eth(src=00:11:22:33:44:55,dst=00:22:44:66:88:00),eth_type(0x8100),vlan(vid=0x0${
        vid.toString(16)
      },pcp=0),encap(eth_type(0xabcd))`,
    ]),
    expect: [
      { trace: 0, actions: "pop_vlan,2" },
      { trace: 1, actions: "push_vlan(vid=513,pcp=0),2" },
      { trace: 2, actions: "push_vlan(tpid=0x88a8,vid=514,pcp=0),2" },
      { trace: 3, actions: "pop_vlan,push_vlan(vid=515,pcp=0),2" },
      { trace: 4, actions: "pop_vlan,2" },
    ],
  },
];
