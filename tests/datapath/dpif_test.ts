import assert from "node:assert/strict";
import { type DpAction, parseDpActions } from "../../core/datapath/dp_actions.ts";
import { dpctlUnixctl, ODP_FLOW_CODEC } from "../../core/datapath/dpctl.ts";
import {
  allDatapaths,
  backerDatapath,
  type NetdevDatapath,
  openDatapath,
  type Upcall,
} from "../../core/datapath/dpif.ts";
import { newFlowWords, W_DL_TYPE_VLAN, W_IN_PORT, W_NW_DST } from "../../core/datapath/flow.ts";
import { closeNetdev, openNetdev } from "../../core/datapath/netdev.ts";
import { DummyNetdev, registerDummyNetdevs } from "../../core/datapath/netdev_dummy.ts";
import { OFPMBT13_DROP, OFPMF13_PKTPS } from "../../core/datapath/meter.ts";
import { frameFromString } from "../../core/datapath/pcap.ts";
import { testIf } from "../support/skip.ts";
import { must, REAL_SWITCH, startRealSwitch } from "./real_switch.ts";

registerDummyNetdevs();

let clock = 1000;
let serial = 0;

/** A fresh dummy datapath of its own name, with dummy ports `names` added in order. */
function datapath(names: string[] = []): NetdevDatapath {
  const dp = openDatapath("dummy", `test${serial++}`, true, {
    clock: () => clock,
    emcInsertInvProb: 1,
  });
  for (const name of names) addPort(dp, name);
  return dp;
}

function addPort(dp: NetdevDatapath, name: string, requested?: number): number {
  const netdev = openNetdev(name, name.startsWith("br") ? "dummy-internal" : "dummy");
  try {
    return dp.portAdd(netdev, requested);
  } finally {
    closeNetdev(netdev);
  }
}

function dummy(dp: NetdevDatapath, name: string): DummyNetdev {
  return dp.portByName(name)!.netdev as DummyNetdev;
}

function dpctl(...args: string[]): { error: boolean; text: string } {
  // "used:" is measured on each datapath's own clock.
  return dpctlUnixctl(args, { programName: "ovs-vswitchd", codec: ODP_FLOW_CODEC });
}

const TCP = (src: string, dst: string, flags = "") =>
  `in_port(1),eth(src=${src},dst=${dst}),eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=6,tos=0,ttl=64,frag=no),tcp(src=8,dst=9)${
    flags ? `,tcp_flags(${flags})` : ""
  }`;

function destroy(dp: NetdevDatapath): void {
  dp.destroy();
}

Deno.test("the dummy datapath numbers ports from their names as upstream's choose_port", () => {
  const dp = datapath();
  try {
    assert.equal(addPort(dp, "p1"), 1);
    assert.equal(addPort(dp, "br0"), 100);
    assert.equal(addPort(dp, "vif10.2"), 10);
    assert.equal(addPort(dp, "x1"), 2, "a taken number falls back to the lowest free");
    assert.equal(addPort(dp, "eth"), 3, "no digits: the lowest free");
    assert.equal(addPort(dp, "p0"), 4, "zero is the local port's");
    assert.equal(addPort(dp, "q", 77), 77, "a requested number is used as is");
    assert.throws(() => addPort(dp, "r", 77), /Device or resource busy/);
    assert.throws(() => addPort(dp, "p1"), /File exists/);
    assert.deepEqual(dp.portList().map((p) => `${p.portNo}:${p.name}:${p.type}`), [
      `0:${dp.name}:dummy-internal`,
      "1:p1:dummy",
      "2:x1:dummy",
      "3:eth:dummy",
      "4:p0:dummy",
      "10:vif10.2:dummy",
      "77:q:dummy",
      "100:br0:dummy-internal",
    ]);
    assert.throws(() => dp.portDel(0), /Invalid argument/);
    dp.portDel(2);
    assert.equal(addPort(dp, "y"), 2);
  } finally {
    destroy(dp);
  }
});

Deno.test("a miss goes up once, its flow is installed, and the next packet hits the cache", () => {
  const dp = datapath(["p1", "p2"]);
  const upcalls: Upcall[] = [];
  dp.setUpcallHandler((upcall) => {
    upcalls.push({ ...upcall, key: Uint32Array.from(upcall.key) });
    const mask = newFlowWords();
    mask[W_DL_TYPE_VLAN] = 0xffff0000;
    return { actions: [{ type: "output", port: 2 }], mask };
  });
  try {
    const p1 = dummy(dp, "p1");
    const frame = frameFromString(TCP("50:54:00:00:00:01", "50:54:00:00:02:00"));
    p1.inject(frame);
    p1.inject(frame);
    p1.inject(frameFromString(TCP("50:54:00:00:00:07", "50:54:00:00:02:00")));
    dp.runUntilIdle();
    assert.equal(upcalls.length, 1, "one upcall: the second packet hit the new flow");
    assert.equal(upcalls[0]!.kind, "miss");
    assert.equal(upcalls[0]!.key[W_IN_PORT], 1);
    assert.deepEqual(dp.getStats(), { hit: 2, missed: 1, lost: 0, flows: 1 });
    assert.equal(dummy(dp, "p2").txLog.length, 3);
    const [flow] = dp.flowDump();
    assert.equal(flow!.ufid, upcalls[0]!.ufid);
    assert.equal(flow!.stats.packets, 2, "the upcalled packet is not in the flow's stats");
    assert.equal(
      dpctl("dump-flows", dp.fullName).text,
      "flow-dump from the main thread:\n" +
        `recirc_id(0),in_port(1),eth(),eth_type(0x0800), packets:2, bytes:${
          2 * frame.length
        }, used:0.000s, actions:2\n`,
    );
    // Deleting the flow sends the next packet up again (the EMC does not keep it alive).
    dp.flowFlush();
    p1.inject(frame);
    dp.runUntilIdle();
    assert.equal(upcalls.length, 2);
  } finally {
    destroy(dp);
  }
});

Deno.test("upcall replies can skip installation, and no handler or no reply counts as lost", () => {
  const dp = datapath(["p1", "p2"]);
  try {
    const p1 = dummy(dp, "p1");
    const frame = frameFromString(TCP("50:54:00:00:00:01", "50:54:00:00:02:00"));
    p1.inject(frame);
    dp.runUntilIdle();
    assert.deepEqual(dp.getStats(), { hit: 0, missed: 0, lost: 1, flows: 0 });
    dp.setUpcallHandler(() => ({ actions: [{ type: "output", port: 2 }], install: false }));
    p1.inject(frame);
    p1.inject(frame);
    dp.runUntilIdle();
    assert.deepEqual(dp.getStats(), { hit: 0, missed: 2, lost: 1, flows: 0 });
    assert.equal(dummy(dp, "p2").txLog.length, 2);
    dp.setUpcallHandler(() => undefined);
    p1.inject(frame);
    dp.runUntilIdle();
    assert.equal(dp.getStats().lost, 2);
  } finally {
    destroy(dp);
  }
});

Deno.test("misses install within the flow limit; over it they execute without installing", () => {
  const dp = datapath(["p1", "p2"]);
  dp.cache.flowLimit = 2;
  let upcalls = 0;
  dp.setUpcallHandler(() => {
    upcalls++;
    const mask = newFlowWords();
    mask[W_NW_DST] = 0xffffffff;
    return { actions: [{ type: "output", port: 2 }], mask };
  });
  try {
    const p1 = dummy(dp, "p1");
    for (const dst of ["10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.4"]) {
      p1.inject(frameFromString(
        `in_port(1),eth(src=50:54:00:00:00:01,dst=50:54:00:00:02:00),eth_type(0x0800),ipv4(src=10.0.0.1,dst=${dst},proto=17,tos=0,ttl=64,frag=no),udp(src=1,dst=2)`,
      ));
    }
    dp.runUntilIdle();
    assert.equal(dp.getStats().flows, 2);
    assert.equal(upcalls, 4, "the flow over the limit was not installed");
    assert.equal(dummy(dp, "p2").txLog.length, 4);
  } finally {
    destroy(dp);
  }
});

Deno.test("recirculation feeds packets back into the lookup with their new recirc_id", () => {
  const dp = datapath(["p1", "p2", "p3"]);
  const seen: number[] = [];
  dp.setUpcallHandler((upcall) => {
    const recirc = upcall.key[1]!;
    seen.push(recirc);
    const mask = newFlowWords();
    const actions: DpAction[] = recirc === 0
      ? parseDpActions("push_vlan(vid=7,pcp=0),3,recirc(5)")
      : parseDpActions("pop_vlan,2");
    return { actions, mask };
  });
  try {
    const frame = frameFromString(TCP("50:54:00:00:00:01", "50:54:00:00:02:00"));
    dummy(dp, "p1").inject(frame);
    dummy(dp, "p1").inject(frame);
    dp.runUntilIdle();
    assert.deepEqual(seen, [0, 5], "one miss per recirculation stage, then hits");
    assert.equal(dp.getStats().flows, 2);
    assert.deepEqual(dummy(dp, "p2").txLog, [frame, frame], "popped back to the original");
    assert.equal(dummy(dp, "p3").txLog[0]!.length, frame.length + 4);
    const dump = dpctl("dump-flows", dp.fullName).text.split("\n").sort();
    assert.deepEqual(dump.slice(1), [
      "flow-dump from the main thread:",
      `recirc_id(0),in_port(1),eth(), packets:1, bytes:${frame.length}, used:0.000s, actions:push_vlan(vid=7,pcp=0),3,recirc(0x5)`,
      // A mask that leaves the VLAN TCI out still matches it exactly (upstream's rule).
      `recirc_id(0x5),in_port(1),eth(),eth_type(0x8100),vlan(vid=7),encap(), packets:1, bytes:${
        frame.length + 4
      }, used:0.000s, actions:pop_vlan,2`,
    ]);
  } finally {
    destroy(dp);
  }
});

Deno.test("a recirculation loop stops at upstream's depth of 6", () => {
  const dp = datapath(["p1"]);
  dp.setUpcallHandler(() => ({ actions: parseDpActions("recirc(1)"), mask: newFlowWords() }));
  try {
    dummy(dp, "p1").inject(frameFromString(TCP("50:54:00:00:00:01", "50:54:00:00:02:00")));
    dp.runUntilIdle();
    assert.equal(dp.recircDrops, 1);
  } finally {
    destroy(dp);
  }
});

Deno.test("a userspace action on a cached flow is an action upcall carrying its userdata", () => {
  const dp = datapath(["p1", "p2"]);
  const kinds: string[] = [];
  let userdata: Uint8Array | undefined;
  dp.setUpcallHandler((upcall) => {
    kinds.push(upcall.kind);
    if (upcall.kind === "action") {
      userdata = upcall.userdata?.slice();
      return { actions: [{ type: "output", port: 2 }] };
    }
    return {
      actions: parseDpActions("userspace(pid=0,userdata(0102030405060708))"),
      mask: newFlowWords(),
    };
  });
  try {
    const frame = frameFromString(TCP("50:54:00:00:00:01", "50:54:00:00:02:00"));
    dummy(dp, "p1").inject(frame);
    dummy(dp, "p1").inject(frame);
    dp.runUntilIdle();
    assert.deepEqual(kinds, ["miss", "action", "action"]);
    assert.deepEqual(userdata, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
    assert.equal(dummy(dp, "p2").txLog.length, 2, "actions an action upcall returns run");
  } finally {
    destroy(dp);
  }
});

Deno.test("meters drop what exceeds their band", () => {
  const dp = datapath(["p1", "p2"]);
  dp.meterSet(1, { flags: OFPMF13_PKTPS, bands: [{ type: OFPMBT13_DROP, rate: 2, burstSize: 2 }] });
  dp.setUpcallHandler(() => ({ actions: parseDpActions("meter(1),2"), mask: newFlowWords() }));
  try {
    const frame = frameFromString(TCP("50:54:00:00:00:01", "50:54:00:00:02:00"));
    for (let i = 0; i < 6; i++) dummy(dp, "p1").inject(frame);
    dp.runUntilIdle();
    // The miss passes (bucket 2 -> 1), then the batch of 5 has one more token.
    assert.equal(dummy(dp, "p2").txLog.length, 2);
    const stats = dp.meterGet(1);
    assert.equal(stats.packetsIn, 6);
    assert.equal(stats.bands[0]!.packets, 4);
    clock += 1000;
    dummy(dp, "p1").inject(frame);
    dp.runUntilIdle();
    assert.equal(dummy(dp, "p2").txLog.length, 3, "the bucket refills with time");
    assert.throws(() => dp.meterGet(9), /No such file or directory/);
  } finally {
    destroy(dp);
  }
});

Deno.test("dpctl flow commands report upstream's errors", () => {
  const dp = datapath(["p1", "p2"]);
  const name = dp.fullName;
  try {
    const key = "in_port(1),eth(src=00:00:00:00:00:01,dst=00:00:00:00:00:02),eth_type(0x1234)";
    assert.deepEqual(dpctl("add-flow", name, key, "2"), { error: false, text: "" });
    assert.deepEqual(dpctl("add-flow", name, key, "2"), {
      error: true,
      text: "ovs-vswitchd: updating flow table (File exists)\n",
    });
    assert.deepEqual(dpctl("add-flow", name, "eth(),eth_type(0x0800),ipv4()", "3"), {
      error: true,
      text: "ovs-vswitchd: updating flow table (Invalid argument)\n",
    });
    assert.deepEqual(dpctl("add-flow", name, key, "bogus"), {
      error: true,
      text: "ovs-vswitchd: parsing actions (Invalid argument)\n",
    });
    assert.deepEqual(dpctl("mod-flow", name, key.replace(":01,", ":09,"), "2"), {
      error: true,
      text: "ovs-vswitchd: updating flow table (No such file or directory)\n",
    });
    assert.equal(dpctl("mod-flow", name, key, "1").error, false);
    const ufid = dp.flowDump()[0]!.ufid;
    assert.match(dpctl("get-flow", name, `ufid:${ufid}`).text, /actions:1\n$/);
    assert.deepEqual(dpctl("get-flow", name, "ufid:00000000-0000-0000-0000-000000000000"), {
      error: true,
      text: "ovs-vswitchd: getting flow (No such file or directory)\n",
    });
    assert.deepEqual(dpctl("del-flow", name, key.replace(":01,", ":09,")), {
      error: true,
      text: "ovs-vswitchd: deleting flow (No such file or directory)\n" +
        "Perhaps you need to specify a UFID?\n",
    });
    assert.deepEqual(dpctl("del-flow", name, key), { error: false, text: "" });
    assert.equal(dp.getStats().flows, 0);
    assert.deepEqual(dpctl("add-flow", "nosuch@dp", key, "2"), {
      error: true,
      text: "ovs-vswitchd: datapath not found (Invalid argument)\n",
    });
    assert.deepEqual(dpctl("show", "-x"), { error: true, text: "Unrecognized option -x" });
    if (allDatapaths().length > 1) {
      assert.deepEqual(dpctl("dump-flows"), {
        error: true,
        text: "ovs-vswitchd: multiple datapaths, specify one\n" +
          "ovs-vswitchd: datapath not found (Invalid argument)\n",
      });
    }
  } finally {
    destroy(dp);
  }
});

Deno.test("dpctl add-dp, add-if, set-if and del-if behave as upstream's dpctl.at says", () => {
  const run = (...a: string[]) => dpctl(...a);
  const name = `dummy@dpctl${serial++}`;
  const dpName = name.slice(6);
  try {
    assert.deepEqual(run("add-dp", name), { error: false, text: "" });
    assert.deepEqual(run("add-dp", name), {
      error: true,
      text: "ovs-vswitchd: add_dp (File exists)\n",
    });
    assert.equal(
      run("show", name).text,
      `${name}:\n  lookups: hit:0 missed:0 lost:0\n  flows: 0\n  port 0: ${dpName} (dummy-internal)\n`,
    );
    assert.deepEqual(run("add-if", name, "vif1.0,type=dummy,port_no=5"), {
      error: false,
      text: "",
    });
    assert.match(run("show", name).text, / {2}port 5: vif1\.0 \(dummy\)\n$/);
    assert.deepEqual(run("add-if", name, "vif1.0,type=dummy"), {
      error: true,
      text: `ovs-vswitchd: adding vif1.0 to ${name} failed (File exists)\n`,
    });
    assert.deepEqual(run("set-if", name, "vif1.0,port_no=5"), { error: false, text: "" });
    assert.deepEqual(run("set-if", name, "vif1.0,type=system"), {
      error: true,
      text: "ovs-vswitchd: vif1.0: can't change type from dummy to system\n",
    });
    assert.deepEqual(run("set-if", name, "vif1.0,ifindex=12"), { error: false, text: "" });
    assert.match(run("show", name).text, / {2}port 5: vif1\.0 \(dummy: ifindex=12\)\n$/);
    assert.deepEqual(run("del-if", name, "vif1.0"), { error: false, text: "" });
    assert.deepEqual(run("del-if", name, "vif1.0"), {
      error: true,
      text: "ovs-vswitchd: no port named vif1.0\n",
    });
    assert.deepEqual(run("del-if", name, dpName), {
      error: true,
      text: `ovs-vswitchd: deleting port ${dpName} from ${name} failed (Invalid argument)\n`,
    });
    assert.deepEqual(run("del-dp", name), { error: false, text: "" });
    assert.deepEqual(run("del-dp", name), {
      error: true,
      text: "ovs-vswitchd: opening datapath (No such device)\n",
    });
  } finally {
    for (const dp of allDatapaths()) if (dp.fullName === name) dp.destroy();
  }
});

/** Masks the parts of dpctl output that legitimately differ between two runs. */
function maskTimes(text: string): string {
  return text.replace(/used:[0-9.]+s/g, "used:<t>").replace(/ufid:[-0-9a-f]+/g, "ufid:<u>");
}

testIf(
  REAL_SWITCH,
  "dpctl/show and dpctl/dump-flows match the real datapath for the same ports, flows and packets",
  async () => {
    const real = await startRealSwitch();
    try {
      const ports = [["p2", "dummy"], ["p1", "dummy"], ["p10", "dummy"], ["p3", "dummy"]];
      const vsctl = [
        "add-br",
        "br0",
        "--",
        "set",
        "bridge",
        "br0",
        "datapath-type=dummy",
        "fail-mode=secure",
      ];
      for (const [p, t] of ports) {
        vsctl.push("--", "add-port", "br0", p!, "--", "set", "Interface", p!, `type=${t}`);
      }
      vsctl.push("--", "set", "Interface", "p10", "options:ifindex=42");
      await must(real.vsctl(...vsctl), "vsctl");
      await must(real.vsctl("del-port", "p2"), "del-port");
      await must(real.vsctl("add-port", "br0", "p4", "--", "set", "Interface", "p4", "type=dummy"));
      await must(real.appctl("revalidator/pause"), "pause");
      const flows: [string, string][] = [
        [
          TCP("50:54:00:00:00:01", "50:54:00:00:02:00"),
          "push_vlan(vid=10,pcp=0),3,set(eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15)),4",
        ],
        [
          "in_port(1),eth(src=50:54:00:00:00:05,dst=50:54:00:00:06:00),eth_type(0x0800),ipv4(src=10.0.0.5/255.255.255.0,frag=no)",
          "10",
        ],
        ["in_port(10),eth(),eth_type(0x86dd),ipv6(frag=no)", "drop"],
      ];
      for (const [k, a] of flows) await must(real.appctl("dpctl/add-flow", k, a), `add-flow ${k}`);
      const packets: [string, string][] = [
        ["p1", TCP("50:54:00:00:00:01", "50:54:00:00:02:00", "syn")],
        ["p1", TCP("50:54:00:00:00:01", "50:54:00:00:02:00", "ack")],
        ["p1", TCP("50:54:00:00:00:01", "50:54:00:00:02:00", "ack")],
        [
          "p1",
          "in_port(1),eth(src=50:54:00:00:00:05,dst=50:54:00:00:06:00),eth_type(0x0800),ipv4(src=10.0.0.77,dst=10.0.0.2,proto=17,tos=0,ttl=64,frag=no),udp(src=1,dst=2)",
        ],
      ];
      // Ours, on the backer datapath as the real daemon has it.
      const dp = backerDatapath("dummy");
      for (const [p] of [["br0"], ...ports]) if (!dp.portByName(p!)) addPort(dp, p!);
      dummy(dp, "p10").setConfig(new Map([["ifindex", "42"]]));
      dp.portDel(dp.portByName("p2")!.portNo);
      if (!dp.portByName("p4")) addPort(dp, "p4");
      dp.flowFlush();
      const before = { ...dp.getStats() };
      for (const [k, a] of flows) assert.equal(dpctl("add-flow", k, a).text, "");
      for (const [port, flow] of packets) {
        const frame = frameFromString(flow);
        dummy(dp, port).inject(frame);
        dp.runUntilIdle();
        await must(real.appctl("netdev-dummy/receive", port, flow), "receive");
      }
      let realDump = "";
      for (let i = 0; i < 100; i++) {
        realDump = await must(real.appctl("dpctl/dump-flows"), "dump-flows");
        const counted = [...realDump.matchAll(/packets:(\d+)/g)].reduce(
          (sum, m) => sum + Number(m[1]),
          0,
        );
        if (counted >= packets.length) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const sortLines = (t: string) => maskTimes(t).split("\n").sort().join("\n");
      assert.equal(sortLines(dpctl("dump-flows").text), sortLines(realDump));
      const realMore = await must(real.appctl("dpctl/dump-flows", "-m"), "dump-flows -m");
      assert.equal(sortLines(dpctl("dump-flows", "-m").text), sortLines(realMore));
      // Lookups count from the datapath's creation: compare what these packets added.
      const realShow = await must(real.appctl("dpctl/show"), "show");
      const after = dp.getStats();
      const ourShow = dpctl("show").text.replace(
        /lookups: hit:\d+ missed:\d+ lost:\d+/,
        `lookups: hit:${after.hit - before.hit} missed:${after.missed - before.missed} lost:${
          after.lost - before.lost
        }`,
      );
      assert.equal(ourShow, realShow);
      const realStats = await must(real.appctl("dpctl/show", "-s"), "show -s");
      const ours = dpctl("show", "-s").text;
      const portBlock = (t: string) => t.slice(t.indexOf("  port 1:"));
      assert.equal(portBlock(ours), portBlock(realStats));
      dp.flowFlush();
    } finally {
      await real.stop();
    }
  },
);

Deno.test("dump-flows filter= keeps the flows whose key matches the parsed filter", () => {
  const dp = datapath(["p1", "p2"]);
  try {
    const key = (mac: string) =>
      `in_port(1),eth(src=${mac},dst=00:00:00:00:00:02),eth_type(0x1234)`;
    dpctl("add-flow", dp.fullName, key("00:00:00:00:00:01"), "2");
    dpctl("add-flow", dp.fullName, key("00:00:00:00:00:03"), "1");
    // A stand-in for core/ofproto's OpenFlow flow parser: "dl_type=0x1234,in_port=NAME".
    const parseFilter = (text: string, ports: ReadonlyMap<string, number>) => {
      const m = /^in_port=(\w+)$/.exec(text);
      if (!m) throw new Error(`${text}: unknown field`);
      const k = newFlowWords();
      const mask = newFlowWords();
      k[W_IN_PORT] = ports.get(m[1]!) ?? Number(m[1]);
      mask[W_IN_PORT] = 0xffffffff;
      return { key: k, mask };
    };
    const run = (...args: string[]) =>
      dpctlUnixctl(args, { programName: "ovs-vswitchd", codec: ODP_FLOW_CODEC, parseFilter });
    assert.equal(run("dump-flows", dp.fullName, "filter=in_port=p1").text.split("\n").length, 4);
    assert.equal(run("dump-flows", dp.fullName, "filter=in_port=p2").text, "");
    assert.deepEqual(run("dump-flows", dp.fullName, "filter=bogus"), {
      error: true,
      text: "ovs-vswitchd: Failed to parse filter (bogus: unknown field)\n",
    });
    assert.deepEqual(run("dump-flows", dp.fullName, "type=xyz"), {
      error: true,
      text: "ovs-vswitchd: Failed to parse type (xyz) (Invalid argument)\n",
    });
    assert.equal(run("dump-flows", dp.fullName, "pmd=3").text, "");
    assert.match(run("dump-flows", dp.fullName, "pmd=-1").text, /^recirc_id\(0\)/);
  } finally {
    destroy(dp);
  }
});

Deno.test("a datapath that reports masks shows upstream's masks: line in dpctl/show", () => {
  const dp = openDatapath("dummy", `masks${serial++}`, true, {
    reportMasks: true,
    clock: () => clock,
  });
  addPort(dp, "p1");
  try {
    dp.setUpcallHandler(() => {
      const mask = newFlowWords();
      mask[W_DL_TYPE_VLAN] = 0xffff0000;
      return { actions: [], mask };
    });
    const frame = frameFromString(TCP("50:54:00:00:00:01", "50:54:00:00:02:00"));
    for (let i = 0; i < 3; i++) dummy(dp, "p1").inject(frame);
    dp.runUntilIdle();
    assert.match(
      dpctl("show", dp.fullName).text,
      /^[^\n]+\n {2}lookups: hit:2 missed:1 lost:0\n {2}flows: 1\n {2}masks: hit:2 total:1 hit\/pkt:0\.67\n/,
    );
  } finally {
    destroy(dp);
  }
});
