// Translation on the in-memory fixture: every scenario's expectations taken from upstream's
// tests/ofproto-dpif.at (datapath actions, megaflow, trace lines), run through ofproto/trace as
// the tests there do, plus the parts of the API ofproto uses directly — learning only when
// allowed, the results for statistics and flow-mods, errors, frozen state for packet-ins and
// recirculation-ID lifetime.

import assert from "node:assert/strict";
import { FLOW_WORDS, W_IN_PORT, W_RECIRC_ID, W_REGS } from "../../core/datapath/flow.ts";
import { decodeUserCookie } from "../../core/datapath/user_cookie.ts";
import { OFPR_ACTION } from "../../core/ofproto/actions/types.ts";
import { formatMatch } from "../../core/ofproto/match_text.ts";
import { Match } from "../../core/ofproto/match.ts";
import { hashInt } from "../../core/ofproto/xlate/hash.ts";
import { packetInFromUpcall } from "../../core/ofproto/xlate/packet_in.ts";
import { RecircTable } from "../../core/ofproto/xlate/rid.ts";
import { ofprotoTrace, parseExactFlow } from "../../core/ofproto/xlate/trace.ts";
import { type XlateResult, Xlator } from "../../core/ofproto/xlate/xlate.ts";
import { FixtureBridge, FixtureSwitch, FixtureTraceHost } from "./xlate_fixture.ts";
import {
  buildFixture,
  type Expect,
  fixtureTrace,
  SCENARIOS,
  withRecircId,
  type XScenario,
} from "./xlate_scenarios.ts";
import { SCENARIOS2 } from "./xlate_scenarios2.ts";
import { SCENARIOS3 } from "./xlate_scenarios3.ts";
import { SCENARIOS4 } from "./xlate_scenarios4.ts";

const ALL: XScenario[] = [...SCENARIOS, ...SCENARIOS2, ...SCENARIOS3, ...SCENARIOS4];

function lineAfter(text: string, prefix: string): string | undefined {
  for (const line of text.split("\n")) {
    if (line.startsWith(prefix)) return line.slice(prefix.length);
  }
  return undefined;
}

/** Top-level comma-separated items of a datapath actions text. */
function splitActions(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of text) {
    if (ch === "," && depth === 0) {
      out.push(cur);
      cur = "";
      continue;
    }
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

/**
 * What upstream's `ovs-dpctl normalize-actions` makes comparable: each output with the VLAN
 * header the packet has at that point, in sorted order.
 */
function normalizeActions(text: string | undefined, flowText: string): string {
  const tag = (t: string) => /vlan\((?:tpid=0x8100,)?(vid=\d+,pcp=\d+)\)/.exec(t)?.[1];
  const first = tag(flowText);
  const vlans: string[] = first ? [first] : [];
  const outputs: string[] = [];
  for (const a of splitActions(text ?? "")) {
    if (a === "pop_vlan") vlans.shift();
    else if (a.startsWith("push_vlan(")) vlans.unshift(tag(a.replace("push_vlan", "vlan")) ?? a);
    else if (/^\d+$/.test(a)) outputs.push(`${vlans.join("/") || "none"}:${a}`);
    else if (a !== "drop") outputs.push(a);
  }
  return outputs.sort().join(" ");
}

function checkExpect(s: XScenario, e: Expect, reply: { ok: boolean; text: string }): void {
  const where = `${s.name}, trace ${e.trace} (${s.traces[e.trace]!.join(" ")})`;
  if (e.error !== undefined) {
    assert.equal(reply.ok, false, `${where}: expected an error`);
    assert.equal(reply.text, e.error, where);
    return;
  }
  assert.ok(reply.ok, `${where}: ${reply.text}`);
  if (e.actions !== undefined) {
    const got = lineAfter(reply.text, "Datapath actions: ");
    if (e.sorted) {
      assert.equal(
        normalizeActions(got, s.traces[e.trace]!.join(" ")),
        normalizeActions(e.actions, s.traces[e.trace]!.join(" ")),
        `${where}: datapath actions ${got}`,
      );
    } else {
      assert.equal(got, e.actions, `${where}: datapath actions\n${reply.text}`);
    }
  }
  if (e.megaflow !== undefined) {
    assert.equal(lineAfter(reply.text, "Megaflow: "), e.megaflow, `${where}: megaflow`);
  }
  for (const c of e.contains ?? []) {
    assert.ok(reply.text.split("\n").includes(c), `${where}: missing line "${c}"\n${reply.text}`);
  }
}

for (const s of ALL) {
  if (!s.expect?.length) continue;
  Deno.test(`xlate: "${s.name}" gives upstream's datapath actions, megaflow and trace`, () => {
    const host = new FixtureTraceHost(buildFixture(s));
    let previous = "";
    const replies = s.traces.map((args) => {
      const r = fixtureTrace(host, withRecircId(args, previous));
      previous = r.ok ? r.text : r.error;
      return r.ok ? { ok: true, text: r.text } : { ok: false, text: r.error };
    });
    for (const e of s.expect ?? []) checkExpect(s, e, replies[e.trace]!);
  });
}

// ---- The API ofproto uses directly ----

function switchWith(flows: string, nPorts = 3): { sw: FixtureSwitch; br: FixtureBridge } {
  const sw = new FixtureSwitch();
  const br = sw.addBridge("br0");
  for (let i = 1; i <= nPorts; i++) br.addPort(`p${i}`, i);
  br.addFlows(flows);
  return { sw, br };
}

const ICMP =
  "icmp,dl_src=50:54:00:00:00:01,dl_dst=50:54:00:00:00:02,nw_src=10.0.0.1,nw_dst=10.0.0.2,nw_tos=0,nw_ttl=64,icmp_type=8,icmp_code=0";

function run(
  sw: FixtureSwitch,
  br: FixtureBridge,
  flowText: string,
  o: { mayLearn?: boolean; keepsCache?: boolean; tcpFlags?: number } = {},
  xlator = new Xlator(),
): XlateResult {
  const flow = parseExactFlow(flowText, br.portMap);
  return xlator.translate({
    bridge: br,
    flow,
    mayLearn: o.mayLearn ?? true,
    keepsCache: o.keepsCache,
    tcpFlags: o.tcpFlags,
    now: sw.now,
    recirc: sw.recirc,
    onLearn: (fm) => (fm.bridge as FixtureBridge).applyLearned(fm),
  });
}

/** The megaflow as the datapath gets it: the initial flow under the mask. */
function maskText(r: XlateResult): string {
  const mask = r.mask.slice(0, FLOW_WORDS);
  const flow = r.initialFlow.slice(0, FLOW_WORDS).map((w, i) => w & mask[i]!);
  return formatMatch(new Match(flow, mask));
}

Deno.test("xlate: hash_int agrees with upstream's (values computed by its C code)", () => {
  const expected: [number, number, number][] = [
    [0, 0, 0x63852afc],
    [1, 0, 0xea95647d],
    [2, 0, 0xa1cba8ce],
    [3, 0, 0xb2ce147f],
    [65534, 0, 0x77e01031],
    [0xdeadbeef, 0, 0x3aeb0c1f],
    [5, 77, 0xa4105cd7],
  ];
  for (const [x, basis, h] of expected) assert.equal(hashInt(x, basis), h, `hash_int(${x})`);
});

Deno.test("xlate: NORMAL learns the source MAC only when side effects are allowed", () => {
  const { sw, br } = switchWith("actions=NORMAL\n");
  const xl = new Xlator();
  // Without side effects the MAC table stays as it is, but the result still says what NORMAL
  // would learn from (upstream's XC_NORMAL cache entry), for refreshing while the flow is used.
  const r1 = run(sw, br, `in_port=1,${ICMP}`, { mayLearn: false }, xl);
  assert.equal(br.macLearning.count, 0);
  assert.equal(r1.normalLearns.length, 1);
  const r2 = run(sw, br, `in_port=1,${ICMP}`, { mayLearn: true }, xl);
  assert.equal(br.macLearning.count, 1);
  assert.equal(r2.normalLearns.length, 1);
  assert.equal(r2.normalLearns[0]!.bundle.name, "p1");
  assert.equal(r2.normalLearns[0]!.vlan, 0);
  // The reply now goes to the learned port only.
  const back =
    "icmp,dl_src=50:54:00:00:00:02,dl_dst=50:54:00:00:00:01,nw_src=10.0.0.2,nw_dst=10.0.0.1,nw_tos=0,nw_ttl=64,icmp_type=8,icmp_code=0";
  const r3 = run(sw, br, `in_port=2,${back}`, { mayLearn: false }, xl);
  assert.deepEqual(r3.actions, [{ type: "output", port: 1 }]);
});

Deno.test("xlate: the megaflow mask always has in_port and recirc_id exact", () => {
  const { sw, br } = switchWith("actions=drop\n");
  const r = run(sw, br, `in_port=1,${ICMP}`);
  assert.equal(r.mask[W_IN_PORT], 0xffffffff);
  assert.equal(r.mask[W_RECIRC_ID], 0xffffffff);
  assert.equal(maskText(r), "recirc_id=0,eth,ip,in_port=1,nw_frag=no");
  assert.deepEqual(r.actions.map((a) => a.type), ["drop"]);
});

Deno.test("xlate: rules hit are reported in order, through a resubmit chain", () => {
  const { sw, br } = switchWith(
    "table=0 actions=resubmit(,1)\ntable=1 actions=resubmit(,2)\ntable=2 actions=output:2\n",
  );
  const r = run(sw, br, `in_port=1,${ICMP}`);
  assert.deepEqual(r.rules.map((x) => x.tableId), [0, 1, 2]);
  assert.deepEqual(r.actions, [{ type: "output", port: 2 }]);
});

Deno.test("xlate: a resubmit loop stops at depth 64 with 'Recursion too deep' and drops", () => {
  const { sw, br } = switchWith("actions=resubmit(,0)\n");
  const r = run(sw, br, `in_port=1,${ICMP}`);
  assert.equal(r.error, "Recursion too deep");
  assert.equal(r.actions.length, 1);
  assert.equal(r.actions[0]!.type, "drop");
});

Deno.test("xlate: learn applies its flow-mod only when side effects are allowed", () => {
  const flows =
    "table=0 actions=learn(table=1,hard_timeout=10,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[]),resubmit(,1)\ntable=1 priority=0 actions=drop\n";
  const { sw, br } = switchWith(flows);
  // Revalidation (a cache, no side effects) computes the flow-mod without applying it.
  const reval = run(sw, br, `in_port=1,${ICMP}`, { mayLearn: false, keepsCache: true });
  assert.equal(reval.learned.length, 1);
  const fm = reval.learned[0]!;
  assert.equal(fm.tableId, 1);
  assert.equal(fm.hardTimeout, 10);
  const back =
    "icmp,dl_src=50:54:00:00:00:02,dl_dst=50:54:00:00:00:01,nw_src=10.0.0.2,nw_dst=10.0.0.1,nw_tos=0,nw_ttl=64,icmp_type=8,icmp_code=0";
  assert.deepEqual(
    run(sw, br, `in_port=2,${back}`, { mayLearn: false }).actions.map((a) => a.type),
    [
      "drop",
    ],
  );
  // An upcall learns; the reply then follows the learned flow.
  run(sw, br, `in_port=1,${ICMP}`, { mayLearn: true });
  assert.deepEqual(run(sw, br, `in_port=2,${back}`, { mayLearn: false }).actions, [
    { type: "output", port: 1 },
  ]);
});

Deno.test("xlate: fin_timeout reports its rule and timeouts, and matches on the IP protocol", () => {
  const { sw, br } = switchWith("tcp actions=fin_timeout(idle_timeout=5,hard_timeout=9),2\n");
  const tcp =
    "tcp,in_port=1,dl_src=50:54:00:00:00:01,dl_dst=50:54:00:00:00:02,nw_src=10.0.0.1,nw_dst=10.0.0.2,nw_tos=0,nw_ttl=64,tp_src=1,tp_dst=2,tcp_flags=0";
  const r = run(sw, br, tcp, { tcpFlags: 0x01 });
  assert.equal(maskText(r), "recirc_id=0,eth,tcp,in_port=1,nw_frag=no");
  assert.equal(r.finTimeouts.length, 1);
  assert.equal(r.finTimeouts[0]!.idleTimeout, 5);
  assert.equal(r.finTimeouts[0]!.hardTimeout, 9);
});

Deno.test("xlate: group buckets used are reported for statistics", () => {
  const { sw, br } = switchWith("actions=group:1\n");
  br.addGroup("group_id=1,type=all,bucket=output:2,bucket=output:3");
  br.addFlow("priority=40000,in_port=2 actions=group:2");
  br.addGroup("group_id=2,type=fast_failover,bucket=watch_port:3,output:3,bucket=output:1");
  const r = run(sw, br, `in_port=1,${ICMP}`);
  assert.deepEqual(r.groups.map((g) => g.group.groupId), [1]);
  assert.deepEqual(r.actions, [{ type: "output", port: 2 }, { type: "output", port: 3 }]);
  const ff = run(sw, br, `in_port=2,${ICMP}`);
  assert.equal(ff.groups[0]!.bucket?.watchPort, 3);
});

Deno.test("xlate: a controller action's cookie leads back to a packet-in with the frozen metadata", () => {
  const { sw, br } = switchWith(
    "cookie=0x77 actions=load:5->NXM_NX_REG3[],controller(max_len=128,userdata=01.02)\n",
  );
  const r = run(sw, br, `in_port=1,${ICMP}`);
  const ua = r.actions.find((a) => a.type === "userspace");
  assert.ok(ua && ua.type === "userspace" && ua.userdata);
  const cookie = decodeUserCookie(ua.userdata);
  assert.ok(cookie && cookie.type === "controller");
  assert.equal(cookie.dontSend, false);
  const flow = parseExactFlow(`in_port=1,${ICMP}`, br.portMap);
  const pin = packetInFromUpcall(sw.recirc, ua.userdata, new Uint8Array(60), flow, 1);
  assert.ok(pin);
  assert.equal(pin.reason, OFPR_ACTION);
  assert.equal(pin.tableId, 0);
  assert.equal(pin.cookie, 0x77n);
  assert.equal(pin.maxLen, 128);
  assert.deepEqual(Array.from(pin.userdata ?? []), [1, 2]);
  assert.equal(formatMatch(pin.metadata), "reg3=0x5,in_port=1");
  // The result holds a reference on the ID; releasing it lets the state expire.
  assert.equal(r.recircIds.length, 1);
  for (const id of r.recircIds) sw.recirc.unref(id);
  sw.recirc.run(1000);
  sw.recirc.run(2000);
  assert.equal(packetInFromUpcall(sw.recirc, ua.userdata, new Uint8Array(60), flow, 1), undefined);
});

Deno.test("xlate: only a translation without side effects or cache marks controller actions dont_send", () => {
  const { sw, br } = switchWith("actions=controller\n");
  const dontSend = (o: { mayLearn: boolean; keepsCache: boolean }) => {
    const r = run(sw, br, `in_port=1,${ICMP}`, o);
    const ua = r.actions.find((a) => a.type === "userspace");
    assert.ok(ua && ua.type === "userspace" && ua.userdata);
    const cookie = decodeUserCookie(ua.userdata);
    assert.ok(cookie && cookie.type === "controller");
    return cookie.dontSend;
  };
  assert.equal(dontSend({ mayLearn: false, keepsCache: false }), true, "trace without packet");
  assert.equal(dontSend({ mayLearn: false, keepsCache: true }), false, "revalidation");
  assert.equal(dontSend({ mayLearn: true, keepsCache: true }), false, "upcall");
});

Deno.test("xlate: recirculation IDs are shared for equal frozen states and expire in two passes", () => {
  const t = new RecircTable();
  const state = {
    tableId: 3,
    bridgeUuid: new Uint8Array(16),
    metadata: new Uint32Array(FLOW_WORDS),
    stack: [],
    mirrors: 0,
    conntracked: false,
    wasMpls: false,
    xportOfport: undefined,
    ofpacts: [],
    actionSet: [],
    userdata: undefined,
  };
  const a = t.alloc(state);
  const b = t.alloc({ ...state });
  assert.equal(a, b);
  const c = t.alloc({ ...state, tableId: 4 });
  assert.notEqual(a, c);
  t.unref(a);
  t.unref(a);
  t.run(0);
  assert.ok(t.find(a), "lingers for one pass");
  t.run(100);
  assert.ok(t.find(a), "passes less than 250 ms apart do not count");
  t.run(1000);
  assert.equal(t.find(a), undefined);
  assert.ok(t.find(c));
  // A new equal state after the last reference went gets a fresh ID.
  assert.notEqual(t.alloc(state), a);
});

Deno.test("xlate: one Xlator gives the same result every time (scratch state is reset)", () => {
  const { sw, br } = switchWith(
    "in_port=1 actions=mod_vlan_vid:5,push:NXM_NX_REG0[],resubmit(,1)\ntable=1 ip actions=set_field:1.2.3.4->ip_dst,output:2,write_actions(output:3)\n",
  );
  const xl = new Xlator();
  const first = run(sw, br, `in_port=1,${ICMP}`, {}, xl);
  const firstActions = JSON.stringify(first.actions);
  const firstMask = maskText(first);
  run(sw, br, `in_port=2,${ICMP}`, {}, xl);
  const again = run(sw, br, `in_port=1,${ICMP}`, {}, xl);
  assert.equal(JSON.stringify(again.actions), firstActions);
  assert.equal(maskText(again), firstMask);
});

Deno.test("xlate: registers set by earlier rules are in the mask only as far as they are matched", () => {
  const { sw, br } = switchWith(
    "table=0 actions=load:0x1234->NXM_NX_REG0[0..15],resubmit(,1)\ntable=1 reg0=0x1234 actions=output:2\n",
  );
  const r = run(sw, br, `in_port=1,${ICMP}`);
  assert.equal(r.mask[W_REGS], 0, "registers are metadata the datapath never matches");
  assert.deepEqual(r.actions, [{ type: "output", port: 2 }]);
});

// ---- Bonds: translation's side (the bond's own decisions come from the XlateBond) ----

function bondSwitch(mode: "active-backup" | "balance-slb" | "balance-tcp") {
  const sw = new FixtureSwitch();
  const br = sw.addBridge("br0");
  br.addPort("p1", 1);
  const bond = br.addBond("bond0", [{ name: "p2", ofport: 2 }, { name: "p3", ofport: 3 }], mode, 7);
  br.addFlows("actions=NORMAL\n");
  return { sw, br, bond };
}

const FROM_P1 =
  "icmp,in_port=1,dl_src=50:54:00:00:00:09,dl_dst=50:54:00:00:00:0a,nw_src=10.0.0.2,nw_dst=10.0.0.1,nw_tos=0,nw_ttl=64,icmp_type=8,icmp_code=0";

Deno.test("xlate: NORMAL floods to a bond once, on the member the bond chooses", () => {
  const { sw, br, bond } = bondSwitch("active-backup");
  const r = run(sw, br, FROM_P1);
  assert.deepEqual(r.actions, [{ type: "output", port: 100 }, { type: "output", port: 2 }]);
  // upstream's "megaflow - normal, active-backup bonding": only the MACs are matched.
  assert.equal(
    maskText(r),
    "recirc_id=0,eth,ip,in_port=1,dl_src=50:54:00:00:00:09,dl_dst=50:54:00:00:00:0a,nw_frag=no",
  );
  (bond.members[0] as { mayEnable: boolean }).mayEnable = false;
  assert.deepEqual(run(sw, br, FROM_P1).actions, [
    { type: "output", port: 100 },
    { type: "output", port: 3 },
  ]);
});

Deno.test("xlate: a bond that refuses admissibility drops the packet in NORMAL", () => {
  const { sw } = bondSwitch("active-backup");
  const trace = ofprotoTrace(new FixtureTraceHost(sw), [
    "br0",
    FROM_P1.replace("in_port=1", "in_port=3"),
  ]);
  assert.ok(trace.ok);
  assert.ok(trace.text.includes("     -> bonding refused admissibility, dropping"), trace.text);
  assert.ok(trace.text.endsWith("Datapath actions: drop"));
});

Deno.test("xlate: SLB drops a packet whose source MAC was learned on another bundle", () => {
  const { sw, br } = bondSwitch("balance-slb");
  run(sw, br, FROM_P1, { mayLearn: true });
  const looped = ofprotoTrace(new FixtureTraceHost(sw), [
    "br0",
    FROM_P1.replace("in_port=1", "in_port=2"),
  ]);
  assert.ok(looped.ok);
  assert.ok(
    looped.text.includes("     -> SLB bond thinks this packet looped back, dropping"),
    looped.text,
  );
});

Deno.test("xlate: a balance-tcp bond recirculates with an L4 hash instead of outputting", () => {
  const { sw, br } = bondSwitch("balance-tcp");
  const r = run(sw, br, FROM_P1);
  assert.deepEqual(r.actions, [
    { type: "output", port: 100 },
    { type: "hash", alg: 0, basis: 0 },
    { type: "recirc", id: 7 },
  ]);
});
