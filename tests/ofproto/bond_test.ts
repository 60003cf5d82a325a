import assert from "node:assert/strict";
import {
  Bond,
  bondHashText,
  type BondHost,
  bondListText,
  type BondSettings,
  bondShowText,
  type PostRecircRule,
} from "../../core/ofproto/bond.ts";
import { composeRarp } from "../../core/ofproto/bundle_links.ts";
import {
  FLOW_WORDS,
  W_DL_DST,
  W_DL_SRC,
  W_DL_TYPE_VLAN,
  W_NW_DST,
  W_NW_MISC,
  W_NW_SRC,
  W_TP,
} from "../../core/datapath/flow.ts";
import type { XlatePort } from "../../core/ofproto/xlate/view.ts";

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A member as translation sees it: only identity matters to the bond. */
function port(ofport: number, name: string): XlatePort {
  return {
    ofport,
    odpPort: ofport,
    name,
    config: 0,
    state: 0,
    mayEnable: true,
    bundle: undefined,
    peer: undefined,
    hwAddr: new Uint8Array([0xaa, 0x55, 0xaa, 0x55, 0, ofport]),
  };
}

/** A host with a hand-moved clock, carriers the test sets, and rules it records. */
function host() {
  let now = 0;
  const carrier = new Map<XlatePort, boolean>();
  const rules = new Map<string, { ofport: number; byteCount: number }>();
  let nextId = 1;
  const h: BondHost<XlatePort> & {
    advance(ms: number): void;
    setCarrier(p: XlatePort, up: boolean): void;
    rules: typeof rules;
  } = {
    now: () => now,
    advance: (ms) => (now += ms),
    carrier: (p) => carrier.get(p) ?? true,
    setCarrier: (p, up) => carrier.set(p, up),
    etherAddr: (p) => p.hwAddr,
    allocRecircId: () => nextId++,
    freeRecircId: () => {},
    addPostRecircRule: (recircId, bucket, ofport): PostRecircRule => {
      const rule = { ofport, byteCount: rules.get(`${recircId}/${bucket}`)?.byteCount ?? 0 };
      rules.set(`${recircId}/${bucket}`, rule);
      return rule;
    },
    deletePostRecircRule: (recircId, bucket) => {
      rules.delete(`${recircId}/${bucket}`);
    },
    lbOutputSupported: () => false,
    rules,
  };
  return h;
}

function settings(overrides: Partial<BondSettings> = {}): BondSettings {
  return {
    name: "bond0",
    basis: 0,
    mode: "active-backup",
    rebalanceInterval: 10000,
    primary: undefined,
    upDelay: 0,
    downDelay: 0,
    lacpFallbackAb: false,
    useLbOutput: false,
    allMembersActive: false,
    ...overrides,
  };
}

function flowFrom(src: number): Uint32Array {
  const f = new Uint32Array(FLOW_WORDS);
  f[W_DL_SRC] = Math.floor(src / 2 ** 32) & 0xffff;
  f[W_DL_SRC + 1] = src >>> 0;
  return f;
}

function tcpFlow(dst: number): Uint32Array {
  const f = new Uint32Array(FLOW_WORDS);
  f[W_DL_TYPE_VLAN] = 0x0800 << 16;
  f[W_NW_SRC] = 0x0a000002;
  f[W_NW_DST] = 0x0a000001;
  f[W_NW_MISC] = (6 << 24) >>> 0;
  f[W_TP] = (8 << 16) | dst;
  return f;
}

Deno.test("bond: bond/hash gives the buckets the real ovs-vswitchd gives", () => {
  // Answers of the real ovs-appctl bond/hash to the same arguments.
  const cases: [string[], string][] = [
    [["00:11:22:33:44:55"], "226"],
    [["00:11:22:33:44:55", "10"], "69"],
    [["00:11:22:33:44:55", "10", "7"], "182"],
    [["ff:ff:ff:ff:ff:ff", "4095", "4294967295"], "93"],
    [["50:54:00:00:00:05", "0", "1"], "73"],
    [["aa:55:aa:55:00:00", "1"], "171"],
  ];
  for (const [args, want] of cases) {
    assert.equal(bondHashText(args[0]!, args[1], args[2]), want, args.join(" "));
  }
  assert.throws(() => bondHashText("zz"), /invalid mac/);
  assert.throws(() => bondHashText("00:11:22:33:44:55", "x"), /invalid vlan/);
  assert.throws(() => bondHashText("00:11:22:33:44:55", "1", "y"), /invalid basis/);
});

Deno.test("bond: active-backup prefers its primary, fails over, and shows upstream's text", () => {
  const h = host();
  const [p1, p2] = [port(1, "p1"), port(2, "p2")];
  const bond = new Bond(settings({ primary: "p1" }), h);
  try {
    bond.memberRegister(p2, "p2", 2);
    bond.memberRegister(p1, "p1", 1);
    for (const p of [p1, p2]) bond.memberSetMayEnable(p, true);
    assert.equal(bond.run("off"), true);
    assert.equal(bond.activeMember, p1);
    assert.equal(bond.shouldSendLearningPackets(), true);
    assert.equal(bond.shouldSendLearningPackets(), false);
    assert.equal(bond.chooseOutput(flowFrom(1), undefined, 0), p1);
    assert.equal(bond.admissibility(p2, 0x505400000001), "drop");
    assert.equal(bond.admissibility(p1, 0x505400000001), "accept");

    h.setCarrier(p1, false);
    bond.run("off");
    assert.equal(bond.activeMember, p2);
    assert.equal(bond.shouldSendLearningPackets(), true);
    h.setCarrier(p1, true);
    bond.run("off");
    assert.equal(bond.activeMember, p1);
    assert.deepEqual(bond.takeChangedActiveMember(false), p1.hwAddr);
    assert.equal(bond.takeChangedActiveMember(false), undefined);

    assert.equal(
      bondShowText("bond0"),
      "---- bond0 ----\nbond_mode: active-backup\n" +
        "bond may use recirculation: no, Recirc-ID : -1\nbond-hash-basis: 0\n" +
        "lb_output action: disabled, bond-id: -1\nupdelay: 0 ms\ndowndelay: 0 ms\n" +
        "lacp_status: off\nlacp_fallback_ab: false\nactive-backup primary: p1\n" +
        "active member mac: aa:55:aa:55:00:01(p1)\n\n" +
        "member p1: enabled\n  active member\n  may_enable: true\n\n" +
        "member p2: enabled\n  may_enable: true\n\n",
    );
    assert.match(
      bondListText(),
      /^bond\ttype\trecircID\tmembers\nbond0\tactive-backup\t0\tp2, p1\n/,
    );
    bond.memberUnregister(p1);
    assert.equal(bond.activeMember, p2);
    assert.match(bondShowText(undefined), /active-backup primary: p1 \(no such member\)/);
  } finally {
    bond.destroy();
  }
  assert.throws(() => bondShowText("bond0"), /no such bond/);
});

Deno.test("bond: updelay and downdelay hold a member's state change, and show what remains", () => {
  const h = host();
  const [p1, p2] = [port(1, "p1"), port(2, "p2")];
  const bond = new Bond(settings({ upDelay: 200, downDelay: 300, primary: "p1" }), h);
  try {
    bond.memberRegister(p1, "p1", 1);
    bond.memberRegister(p2, "p2", 2);
    for (const p of [p1, p2]) bond.memberSetMayEnable(p, true);
    bond.run("off");
    h.setCarrier(p1, false);
    bond.run("off");
    assert.equal(bond.activeMember, p1);
    h.advance(100);
    assert.match(
      bond.formatDetails(),
      /member p1: enabled\n {2}active member\n {2}downdelay expires in 200 ms\n/,
    );
    h.advance(200);
    bond.run("off");
    assert.equal(bond.activeMember, p2);
    assert.match(bond.formatDetails(), /member p1: disabled\n {2}may_enable: true\n/);
    h.setCarrier(p1, true);
    bond.run("off");
    h.advance(150);
    assert.match(bond.formatDetails(), /member p1: disabled\n {2}updelay expires in 50 ms\n/);
    assert.equal(bond.nextWake(), 300 + 200);
    h.advance(50);
    bond.run("off");
    assert.equal(bond.activeMember, p1);
  } finally {
    bond.destroy();
  }
});

Deno.test("bond: balance-slb hashes the source MAC, keeps multicast to the active member, balances load", () => {
  const h = host();
  const [p1, p2] = [port(1, "p1"), port(2, "p2")];
  const bond = new Bond(settings({ mode: "balance-slb", rebalanceInterval: 1000 }), h);
  try {
    bond.memberRegister(p1, "p1", 1);
    bond.memberRegister(p2, "p2", 2);
    for (const p of [p1, p2]) bond.memberSetMayEnable(p, true);
    bond.run("off");
    assert.equal(bond.activeMember, p1);
    assert.equal(bond.admissibility(p2, 0xffffffffffff), "drop");
    assert.equal(bond.admissibility(p1, 0xffffffffffff), "drop-if-moved");
    assert.equal(bond.admissibility(p2, 0x505400000001), "drop-if-moved");
    // The wildcards of an SLB choice are the source MAC's.
    const wc = new Uint32Array(FLOW_WORDS);
    const first = bond.chooseOutput(flowFrom(0x505400000001), wc, 0);
    assert.equal(wc[W_DL_SRC], 0xffff);
    assert.equal(wc[W_DL_SRC + 1], 0xffffffff);
    assert.equal(wc[W_DL_DST], 0);
    // Buckets are taken round robin as they are first used.
    const second = bond.chooseOutput(flowFrom(0x505400000002), undefined, 0);
    assert.notEqual(first, second);
    assert.equal(bond.chooseOutput(flowFrom(0x505400000001), undefined, 0), first);

    // Two heavy MACs on the same member move apart at the next rebalance.
    const macs: number[] = [];
    for (let m = 0x505400000010; macs.length < 2; m++) {
      if (bond.chooseOutput(flowFrom(m), undefined, 0) === first) macs.push(m);
    }
    for (const m of macs) bond.account(flowFrom(m), 0, 5_000_000);
    h.advance(1000);
    bond.rebalance();
    const after = macs.map((m) => bond.chooseOutput(flowFrom(m), undefined, 0));
    assert.notEqual(after[0], after[1]);
    assert.match(bond.formatDetails(), / {2}hash \d+: 2441 kB load\n/);
    assert.equal(bond.migrate("7", "p2"), "migrated");
    assert.throws(() => bond.migrate("x", "p2"), /bad hash/);
  } finally {
    bond.destroy();
  }
});

Deno.test("bond: balance-tcp needs LACP, recirculates, and keeps 256 post-recirculation rules", () => {
  const h = host();
  const [p1, p2] = [port(1, "p1"), port(2, "p2")];
  const bond = new Bond(settings({ mode: "balance-tcp", rebalanceInterval: 0 }), h);
  try {
    bond.memberRegister(p1, "p1", 1);
    bond.memberRegister(p2, "p2", 2);
    for (const p of [p1, p2]) bond.memberSetMayEnable(p, true);
    bond.run("configured");
    assert.equal(bond.chooseOutput(tcpFlow(1), undefined, 0), undefined);
    assert.equal(bond.admissibility(p1, 0x505400000001), "drop");
    bond.run("negotiated");
    assert.deepEqual(bond.recirculation(true), { recircId: 1, hashBasis: 0 });
    assert.equal(h.rules.size, 256);
    assert.deepEqual(new Set([...h.rules.values()].map((r) => r.ofport)), new Set([1, 2]));
    assert.match(bond.formatDetails(), /bond may use recirculation: yes, Recirc-ID : 1\n/);
    // Without recirculation the 5-tuple hash decides, with the 5-tuple's wildcards.
    const wc = new Uint32Array(FLOW_WORDS);
    assert.ok(bond.chooseOutput(tcpFlow(80), wc, 0));
    assert.equal(wc[W_NW_SRC], 0xffffffff);
    assert.equal(wc[W_TP], 0xffffffff);
    assert.equal(wc[W_DL_DST], 0);
    // A member going down moves its buckets' rules to the other one.
    h.setCarrier(p2, false);
    bond.run("negotiated");
    assert.deepEqual(new Set([...h.rules.values()].map((r) => r.ofport)), new Set([1]));
    assert.equal(h.rules.size, 256);
    bond.reconfigure(settings({ mode: "active-backup" }));
    assert.equal(h.rules.size, 0);
    assert.equal(bond.recirculation(true), undefined);
  } finally {
    bond.destroy();
  }
});

Deno.test("bond: the learning packet after a failover is upstream's RARP, tagged for its VLAN", () => {
  // What the real switch sent on the new active member for MAC 50:54:00:00:00:09 in VLAN 5.
  assert.equal(
    hex(composeRarp(0x505400000009, 5)),
    "ffffffffffff50540000000981000005803500010800060400035054000000090000000050540000000900000000",
  );
  assert.equal(
    hex(composeRarp(0x505400000009, 0)),
    "ffffffffffff505400000009803500010800060400035054000000090000000050540000000900000000",
  );
  void W_DL_DST;
});
