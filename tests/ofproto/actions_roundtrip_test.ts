// Round trips and the questions asked of action lists, without any external program:
// text -> model -> wire (every version that expresses the actions as written) -> model -> text
// is the identity; re-encoding what was decoded gives the same bytes (upstream's "action
// reproduction"); and the queries flow deletes, stats and xlate rely on (outputs to a port or
// group, equality, the meter, the action set's execution order) answer as upstream's do.

import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import { OfpError, ParseError } from "../../core/ofproto/errors.ts";
import { OFP10, OFP11, OFP12, OFP13, OFP14, OFP15 } from "../../core/ofproto/fields.ts";
import { Match } from "../../core/ofproto/match.ts";
import { formatMatch, newMatchParseContext, parseMatch } from "../../core/ofproto/match_text.ts";
import { PortMap } from "../../core/ofproto/port_text.ts";
import { protocolsFromVersion } from "../../core/ofproto/msg/protocol.ts";
import {
  P_ANY,
  P_OF10_ANY,
  P_OF11_UP,
  P_OF13_UP,
  P_OF15_UP,
} from "../../core/ofproto/protocols.ts";
import { vlogSetConsoleEnabled } from "../../core/net/vlog.ts";
import {
  actionBitmapFromOpenflow,
  actionBitmapToOpenflow,
  checkActions,
  decodeActions,
  decodeInstructions,
  encodeActions,
  encodeInstructions,
  executeActionSet,
  formatActions,
  instructionBitmapToOpenflow,
  learnExecute,
  learnMask,
  type Ofpact,
  ofpactsEqual,
  ofpactsGetMeter,
  ofpactsOutputToGroup,
  ofpactsOutputToPort,
  parseActions,
} from "../../core/ofproto/actions/mod.ts";

vlogSetConsoleEnabled(false);

const ALL = [OFP10, OFP11, OFP12, OFP13, OFP14, OFP15];
const OF11_UP = [OFP11, OFP12, OFP13, OFP14, OFP15];
const OF12_UP = [OFP12, OFP13, OFP14, OFP15];
const OF13_UP = [OFP13, OFP14, OFP15];

/** [match, actions in canonical text, versions whose wire form carries them as written]. */
const IDENTITY: [string, string, number[]][] = [
  ["", "output:1,output:65279,IN_PORT,TABLE,NORMAL,FLOOD,ALL,LOCAL", ALL],
  ["", "CONTROLLER:65535,CONTROLLER:0,CONTROLLER:128", ALL],
  ["", "controller(reason=invalid_ttl,max_len=1234,id=5678)", ALL],
  ["", "controller(userdata=01.02.03,pause,meter_id=7)", ALL],
  ["", "group:7", ALL],
  ["", "output(port=1,max_len=100)", ALL],
  ["", "output:NXM_NX_REG1[5..10],output:NXM_NX_REG0[]", ALL],
  ["", "mod_vlan_vid:9,mod_vlan_pcp:6,strip_vlan", [OFP10]],
  ["dl_vlan=5", "set_vlan_vid:9,set_vlan_pcp:6", [OFP11]],
  ["", "push_vlan:0x8100,pop_vlan", OF11_UP],
  ["", "mod_dl_src:00:11:22:33:44:55,mod_dl_dst:10:20:30:40:50:60", [OFP10, OFP11]],
  ["ip", "mod_nw_src:1.2.3.4,mod_nw_dst:192.168.0.1,mod_nw_tos:48", [OFP10, OFP11]],
  ["ip", "mod_nw_ecn:2", [OFP11]],
  ["ip", "mod_nw_ttl:123", OF11_UP],
  ["tcp", "mod_tp_src:80,mod_tp_dst:443", [OFP10, OFP11]],
  ["", "enqueue:10:55", [OFP10]],
  ["", "set_queue:1,pop_queue", ALL],
  ["", "load:0xf009->NXM_OF_VLAN_TCI[],load:0x5->NXM_NX_REG0[0..3]", [
    OFP10,
    OFP11,
    OFP12,
    OFP13,
    OFP14,
  ]],
  ["", "move:NXM_OF_IN_PORT[]->NXM_OF_VLAN_TCI[],move:NXM_NX_REG0[]->NXM_NX_REG1[]", ALL],
  ["", "set_field:0x5->reg3,set_field:00:11:22:33:44:55->eth_src", OF12_UP],
  ["", "set_field:0x5/0xff->reg3", [OFP15]],
  ["", "push:NXM_NX_REG0[],pop:NXM_NX_REG1[8..15]", ALL],
  ["ip", "dec_ttl,dec_ttl(1,2,3)", ALL],
  ["mpls", "set_mpls_label(10),set_mpls_tc(3)", [OFP10, OFP11]],
  ["mpls", "set_mpls_ttl(9),dec_mpls_ttl,pop_mpls:0x0800", ALL],
  ["", "push_mpls:0x8847", ALL],
  ["", "set_tunnel:0x123,set_tunnel64:0x123456789", [OFP10, OFP11]],
  ["", "write_metadata:0x1234/0xffff", ALL],
  ["tcp", "fin_timeout(idle_timeout=10,hard_timeout=20)", ALL],
  ["", "resubmit:5,resubmit(10,5),resubmit(,3)", ALL],
  [
    "",
    "learn(table=2,idle_timeout=10,hard_timeout=20,fin_idle_timeout=2,fin_hard_timeout=4," +
    "priority=80,cookie=0x123456789abcdef0,NXM_OF_VLAN_TCI[0..11]," +
    "NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[])",
    ALL,
  ],
  [
    "",
    "learn(table=1,limit=10,result_dst=NXM_NX_REG0[8],eth_type=0x800,load:0x5->NXM_NX_REG1[])",
    ALL,
  ],
  ["", "conjunction(1,1/2),conjunction(2,2/3),note:01.02.03.04.05.06", ALL],
  ["", "multipath(eth_src,50,modulo_n,1,0,NXM_NX_REG0[])", ALL],
  ["", "bundle(eth_src,0,hrw,ofport,members:4,8)", ALL],
  ["", "bundle_load(symmetric_l4,60,active_backup,ofport,NXM_NX_REG0[],members:1,2)", ALL],
  ["", "exit,ct_clear,note:11.e9.9a.ad.67.f3", ALL],
  [
    "",
    "sample(probability=12345,collector_set_id=23456,obs_domain_id=34567,obs_point_id=45678," +
    "sampling_port=56789,egress)",
    ALL,
  ],
  [
    "tcp",
    "ct(commit,table=3,zone=5,nat(src=10.0.0.1-10.0.0.9:100-200,random),exec(load:0x1->NXM_NX_CT_MARK[]),alg=ftp)",
    [OFP10, OFP11, OFP12, OFP13, OFP14],
  ],
  ["ipv6", "ct(commit,nat(dst=[fe80::1]:80))", ALL],
  ["", "clone(mod_vlan_vid:5,output:10)", [OFP10]],
  ["", "check_pkt_larger(1500)->NXM_NX_REG0[0]", ALL],
  ["", "encap(nsh(md_type=2,tlv(0x1000,10,0x12345678))),decap(),encap(mpls)", OF13_UP],
  ["", "decap(packet_type(ns=1,type=0x800))", OF13_UP],
  ["", "meter:5,output:1", OF13_UP],
  ["", "clear_actions,write_actions(output:1),write_metadata:0x1,goto_table:2", OF11_UP],
];

function parseFlow(match: string, actions: string): { ofpacts: Ofpact[]; match: Match } {
  const m = parseMatch(match, newMatchParseContext());
  const { ofpacts } = parseActions(actions);
  try {
    checkActions(ofpacts, m, { maxPorts: 0xff00, tableId: 255, nTables: 255 });
  } catch (e) {
    throw new Error(`${match} actions=${actions}: ${e}`);
  }
  return { ofpacts, match: m };
}

Deno.test("text -> model -> wire -> model -> text is the identity for every version that carries the actions as written", () => {
  const problems: string[] = [];
  for (const [match, text, versions] of IDENTITY) {
    const { ofpacts, match: m } = parseFlow(match, text);
    assertEquals(formatActions(ofpacts), text);
    for (const v of versions) {
      const decoded = decodeInstructions(encodeInstructions(ofpacts, v), v);
      checkActions(decoded, m, { maxPorts: 0xff00, tableId: 255, nTables: 255 });
      const back = formatActions(decoded);
      if (back !== text) problems.push(`v${v}: ${text}\n  -> ${back}`);
    }
  }
  assertEquals(problems, []);
});

/**
 * Actions upstream also writes in versions that cannot read them back: decap parses as usable
 * everywhere but exists on the wire only from 1.3; in 1.0, write_metadata's extension comes
 * before goto_table's resubmit, which is then out of instruction order.
 */
const ONE_WAY: [string, number[]][] = [
  ["decap(packet_type(ns=1,type=0x800))", [OFP10, OFP11, OFP12]],
  ["clear_actions,write_actions(output:1),write_metadata:0x1,goto_table:2", [OFP10]],
];

Deno.test("re-encoding decoded actions reproduces the bytes exactly, in every version", () => {
  const problems: string[] = [];
  for (const [match, text] of IDENTITY) {
    const { ofpacts, match: m } = parseFlow(match, text);
    const usable = parseActions(text).usable &
      checkActions(ofpacts, m, { maxPorts: 0xff00, tableId: 255, nTables: 255 });
    for (const v of ALL.filter((v) => usable & protocolsFromVersion(v))) {
      const bytes = encodeInstructions(ofpacts, v);
      let decoded;
      try {
        decoded = decodeInstructions(bytes, v);
      } catch (e) {
        if (e instanceof OfpError && ONE_WAY.some(([t, vs]) => t === text && vs.includes(v))) {
          continue;
        }
        throw e;
      }
      checkActions(decoded, m, { maxPorts: 0xff00, tableId: 255, nTables: 255 });
      const again = encodeInstructions(decoded, v);
      if (again.join() !== bytes.join()) problems.push(`v${v}: ${text}`);
    }
  }
  assertEquals(problems, []);
});

Deno.test("checking annotates mod_vlan_vid so that 1.1+ pushes a tag only when the match has none", () => {
  const bare = parseFlow("", "mod_vlan_vid:5").ofpacts;
  const tagged = parseFlow("dl_vlan=3", "mod_vlan_vid:5").ofpacts;
  assertEquals(
    formatActions(decodeActions(encodeActions(bare, OFP13), OFP13)),
    "push_vlan:0x8100,set_field:4101->vlan_vid",
  );
  assertEquals(
    formatActions(decodeActions(encodeActions(tagged, OFP13), OFP13)),
    "set_field:4101->vlan_vid",
  );
  assertEquals(formatActions(decodeActions(encodeActions(bare, OFP10), OFP10)), "mod_vlan_vid:5");
});

Deno.test("parsing narrows the usable protocols as upstream does", () => {
  const usable = (t: string) => parseActions(t).usable;
  assertEquals(usable("output:1"), P_ANY);
  assertEquals(usable("push_vlan:0x8100"), P_OF11_UP);
  assertEquals(usable("meter:1"), P_OF13_UP);
  assertEquals(parseActions("meter:1", { instructions: false }).usable, P_OF15_UP);
  assertEquals(usable("encap(mpls)"), P_OF13_UP);
  // clone starts its own set, forgetting earlier restrictions, exactly as upstream.
  assertEquals(usable("push_vlan:0x8100,clone(output:1)"), P_ANY);
  assertEquals(usable("clone(output:1),push_vlan:0x8100"), P_OF11_UP);
  // An action inconsistent with the match leaves only OpenFlow 1.0.
  const { ofpacts } = parseActions("pop_mpls:0x0800");
  assertEquals(
    checkActions(ofpacts, new Match(), { maxPorts: 0xff00, tableId: 255, nTables: 255 }),
    P_OF10_ANY,
  );
  throws(
    () =>
      checkActions(ofpacts, new Match(), {
        maxPorts: 0xff00,
        tableId: 255,
        nTables: 255,
        usable: P_OF13_UP,
      }),
    (e) => e instanceof OfpError && e.errorName === "OFPBAC_MATCH_INCONSISTENT",
  );
});

Deno.test("checks use the switch's port range and the flow's table", () => {
  const check = (text: string, opts: { maxPorts?: number; tableId?: number; nTables?: number }) => {
    try {
      checkActions(parseActions(text).ofpacts, new Match(), {
        maxPorts: opts.maxPorts ?? 0xff00,
        tableId: opts.tableId ?? 255,
        nTables: opts.nTables ?? 255,
      });
      return "ok";
    } catch (e) {
      return e instanceof OfpError ? e.errorName : String(e);
    }
  };
  assertEquals(check("output:10", { maxPorts: 10 }), "OFPBAC_BAD_OUT_PORT");
  assertEquals(check("output:9", { maxPorts: 10 }), "ok");
  assertEquals(check("enqueue:10:1", { maxPorts: 10 }), "OFPBAC_BAD_OUT_PORT");
  assertEquals(check("goto_table:3", { tableId: 3 }), "OFPBIC_BAD_TABLE_ID");
  assertEquals(check("goto_table:4", { tableId: 3, nTables: 4 }), "OFPBIC_BAD_TABLE_ID");
  assertEquals(check("goto_table:4", { tableId: 3, nTables: 5 }), "ok");
  assertEquals(check("meter:0", {}), "OFPMMFC_INVALID_METER");
});

Deno.test("port and table names are parsed and printed through the maps (--names)", () => {
  const ports = new PortMap();
  ports.put(1, "eth0");
  ports.put(2, "my-port");
  const tables = {
    nameOf: (t: number) => (t === 3 ? "acl" : undefined),
    numberOf: (n: string) => (n === "acl" ? 3 : undefined),
  };
  const { ofpacts } = parseActions(
    'output:eth0,"my-port",resubmit(eth0,acl),enqueue:eth0:1,bundle(eth_src,0,hrw,ofport,members:eth0,2),goto_table:acl',
    { portMap: ports, tableMap: tables },
  );
  assertEquals(
    formatActions(ofpacts, { portMap: ports, tableMap: tables }),
    'output:eth0,output:"my-port",resubmit(eth0,acl),enqueue:eth0:1,bundle(eth_src,0,hrw,ofport,members:eth0,"my-port"),goto_table:acl',
  );
  assertEquals(
    formatActions(ofpacts),
    "output:1,output:2,resubmit(1,3),enqueue:1:1,bundle(eth_src,0,hrw,ofport,members:1,2),goto_table:3",
  );
  throws(
    () => parseActions("output:eth9", { portMap: ports }),
    (e) => e instanceof ParseError && e.message === "eth9: output to unknown port",
  );
});

Deno.test("out_port and out_group filters look into nested actions", () => {
  const a =
    parseActions("clone(output:3),enqueue:4:1,controller(id=1),write_actions(group:7)").ofpacts;
  assertEquals(ofpactsOutputToPort(a, 3), true);
  assertEquals(ofpactsOutputToPort(a, 4), true);
  assertEquals(ofpactsOutputToPort(a, 0xfffd), true);
  assertEquals(ofpactsOutputToPort(a, 5), false);
  assertEquals(ofpactsOutputToGroup(a, 7), true);
  assertEquals(ofpactsOutputToGroup(a, 8), false);
  const ct = parseFlow("ip", "ct(commit,exec(set_field:1->ct_mark))").ofpacts;
  assertEquals(ofpactsOutputToPort(ct, 1), false);
});

Deno.test("equality compares every parameter, including the wire form an action came in", () => {
  const a = parseActions("output:1,load:0x5->NXM_NX_REG0[0..3]").ofpacts;
  const b = parseActions("output:1,load:0x5->NXM_NX_REG0[0..3]").ofpacts;
  const c = parseActions("output:1,set_field:0x5/0xf->reg0").ofpacts;
  assertEquals(ofpactsEqual(a, b), true);
  assertEquals(ofpactsEqual(a, c), false);
  assertEquals(ofpactsEqual(a, a.slice(0, 1)), false);
  assertEquals(ofpactsEqual([], []), true);
});

Deno.test("the meter is found only in its instruction position", () => {
  assertEquals(ofpactsGetMeter(parseActions("meter:5,output:1").ofpacts), 5);
  assertEquals(ofpactsGetMeter(parseActions("output:1").ofpacts), 0);
});

Deno.test("an action set executes in OpenFlow's order, only when it has an output-like action", () => {
  const set = parseActions(
    "set_field:1->reg0,output:2,push_vlan:0x8100,strip_vlan,group:3,set_queue:4,push_mpls:0x8847,dec_ttl",
  ).ofpacts;
  assertEquals(
    formatActions(executeActionSet(set)),
    "strip_vlan,push_mpls:0x8847,push_vlan:0x8100,dec_ttl,set_field:0x1->reg0,set_queue:4,group:3",
  );
  assertEquals(executeActionSet(parseActions("set_field:1->reg0,push_vlan:0x8100").ofpacts), []);
  const outputs = parseActions("output:1,output:2").ofpacts;
  assertEquals(formatActions(executeActionSet(outputs)), "output:2");
});

Deno.test("features bitmaps map action and instruction types per version", () => {
  const types = new Set(["output", "set_vlan_vid", "enqueue", "set_field"] as const);
  assertEquals(actionBitmapToOpenflow(types, OFP10), (1 << 0) | (1 << 1) | (1 << 11));
  assertEquals(actionBitmapToOpenflow(types, OFP13), (1 << 0) | (1 << 25));
  assertEquals([...actionBitmapFromOpenflow(0x7, OFP10)].sort(), [
    "output",
    "set_vlan_pcp",
    "set_vlan_vid",
  ]);
  assertEquals(
    instructionBitmapToOpenflow(new Set(["meter", "goto_table"]), OFP13),
    (1 << 6) | (1 << 1),
  );
  assertEquals(instructionBitmapToOpenflow(new Set(["meter", "goto_table"]), OFP15), 1 << 1);
});

Deno.test("learn composes the flow upstream's learn_execute would add, and marks what it read", () => {
  const { ofpacts } = parseActions(
    "learn(table=1,hard_timeout=10,fin_idle_timeout=5,priority=7,cookie=0x9,send_flow_rem," +
      "NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],eth_type=0x800," +
      "load:0x3->NXM_NX_REG1[0..7],load:NXM_OF_IN_PORT[]->NXM_NX_REG2[0..15]," +
      "output:NXM_OF_IN_PORT[])",
  );
  const learn = ofpacts[0];
  if (learn?.type !== "learn") throw new Error("not a learn action");
  const flow = parseMatch(
    "in_port=5,dl_src=aa:bb:cc:dd:ee:ff,vlan_tci=0x1005",
    newMatchParseContext(),
  ).flow;
  const learned = learnExecute(learn, flow);
  assertEquals(
    [learned.tableId, learned.priority, learned.hardTimeout, learned.cookie, learned.sendFlowRem],
    [1, 7, 10, 9n, true],
  );
  assertEquals(
    formatMatch(learned.match),
    "ip,vlan_tci=0x0005/0x0fff,dl_dst=aa:bb:cc:dd:ee:ff",
  );
  assertEquals(
    formatActions(learned.ofpacts),
    "fin_timeout(idle_timeout=5),load:0x3->NXM_NX_REG1[0..7],load:0x5->NXM_NX_REG2[0..15]," +
      "output:5",
  );
  const mask = new Uint32Array(flow.length);
  learnMask(learn, mask);
  const seen = new Match(flow.slice(), mask);
  seen.normalize();
  assertEquals(formatMatch(seen), "in_port=5,vlan_tci=0x0005/0x0fff,dl_src=aa:bb:cc:dd:ee:ff");
});
