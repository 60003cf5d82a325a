import assert from "node:assert/strict";
import {
  decodeLacpPdu,
  encodeLacpPdu,
  Lacp,
  LACP_STATE_SYNC,
  type LacpSettings,
  lacpUnixctlText,
} from "../../core/ofproto/lacp.ts";

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function mac(text: string): Uint8Array {
  return new Uint8Array(text.split(":").map((h) => parseInt(h, 16)));
}

/** A clock the test moves by hand. */
function clock() {
  let now = 1000;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

const SETTINGS: LacpSettings = {
  name: "bond",
  sysId: mac("aa:55:aa:55:00:00"),
  sysPriority: 65534,
  active: true,
  fast: true,
  fallbackAb: false,
};

Deno.test("lacp: the first PDU of an active fast member is upstream's, byte for byte", () => {
  const t = clock();
  const lacp = new Lacp<string>(t.now);
  try {
    lacp.configure(SETTINGS);
    lacp.memberRegister("p1", { name: "p1", portId: 1, portPriority: 65535, key: 0 });
    lacp.memberRegister("p2", { name: "p2", portId: 2, portPriority: 65535, key: 0 });
    // port_run marks the carrier up before the first lacp_run.
    lacp.memberMayEnable("p1");
    const sent: [string, Uint8Array][] = [];
    lacp.run((m, pdu) => sent.push([m, pdu]));
    assert.deepEqual(sent.map(([m]) => m), ["p1"]);
    const frame = new Uint8Array(14 + 110);
    frame.set(mac("01:80:c2:00:00:02"), 0);
    frame.set(mac("aa:55:aa:55:00:02"), 6);
    frame.set([0x88, 0x09], 12);
    frame.set(sent[0]![1], 14);
    // What the real ovs-vswitchd 3.1 sent on p1's tx_pcap for the same configuration.
    assert.equal(
      hex(frame),
      "0180c2000002aa55aa550002880901010114fffeaa55aa5500000001ffff0001bf00000002140000" +
        "000000000000000000000000020000000310" +
        "00".repeat(66),
    );
  } finally {
    lacp.destroy();
  }
});

Deno.test("lacp: PDUs decode to what was encoded; markers and short frames are not LACP", () => {
  const actor = {
    sysPriority: 7,
    sysId: mac("11:22:33:44:55:66"),
    key: 3333,
    portPriority: 111,
    portId: 11,
    state: 0x3d,
  };
  const partner = { ...actor, sysId: mac("aa:bb:cc:dd:ee:ff"), portId: 22, state: 0x07 };
  const pdu = encodeLacpPdu(actor, partner);
  assert.equal(pdu.length, 110);
  const back = decodeLacpPdu(pdu);
  assert.equal(back.subtype, "lacp");
  if (back.subtype === "lacp") {
    assert.deepEqual(back.actor, actor);
    assert.deepEqual(back.partner, partner);
  }
  const marker = pdu.slice();
  marker[0] = 2;
  assert.equal(decodeLacpPdu(marker).subtype, "marker");
  assert.equal(decodeLacpPdu(pdu.subarray(0, 109)).subtype, "unused");
  const badLength = pdu.slice();
  badLength[3] = 19;
  assert.equal(decodeLacpPdu(badLength).subtype, "unused");
});

Deno.test("lacp: lacp/show of an unanswered two-member bond is upstream's text", () => {
  const t = clock();
  const lacp = new Lacp<string>(t.now);
  try {
    lacp.configure({
      name: "bond",
      sysId: mac("11:22:33:44:55:66"),
      sysPriority: 54321,
      active: true,
      fast: true,
      fallbackAb: false,
    });
    lacp.memberRegister("p1", { name: "p1", portId: 11, portPriority: 111, key: 3333 });
    lacp.memberRegister("p2", { name: "p2", portId: 22, portPriority: 222, key: 3333 });
    for (let i = 0; i < 3; i++) {
      lacp.run(() => {});
      t.advance(100);
    }
    const member = (name: string, id: number, pri: number) =>
      `\nmember: ${name}: expired attached\n  port_id: ${id}\n  port_priority: ${pri}\n` +
      "  may_enable: false\n\n" +
      "  actor sys_id: 11:22:33:44:55:66\n  actor sys_priority: 54321\n" +
      `  actor port_id: ${id}\n  actor port_priority: ${pri}\n  actor key: 3333\n` +
      "  actor state: activity timeout aggregation synchronized collecting distributing " +
      "expired\n\n" +
      "  partner sys_id: 00:00:00:00:00:00\n  partner sys_priority: 0\n" +
      "  partner port_id: 0\n  partner port_priority: 0\n  partner key: 0\n" +
      "  partner state: timeout\n";
    const expected = "---- bond ----\n  status: active negotiated\n" +
      "  sys_id: 11:22:33:44:55:66\n  sys_priority: 54321\n  aggregation key: 3333\n" +
      "  lacp_time: fast\n" + member("p1", 11, 111) + member("p2", 22, 222);
    assert.equal(lacp.formatDetails(), expected);
    assert.deepEqual(lacpUnixctlText("show", "bond"), { ok: true, text: expected });
    assert.deepEqual(lacpUnixctlText("show", "nope"), {
      ok: false,
      error: "no such lacp object",
    });
  } finally {
    lacp.destroy();
  }
});

/** Two Lacps joined member to member; `cut` stops PDUs on the first pair. */
function joined(fallbackAb = false) {
  const t = clock();
  const a = new Lacp<string>(t.now);
  const b = new Lacp<string>(t.now);
  a.configure({ ...SETTINGS, name: "a", fallbackAb });
  b.configure({ ...SETTINGS, name: "b", sysId: mac("aa:66:aa:66:00:00"), fallbackAb });
  for (const [l, base] of [[a, 0], [b, 2]] as const) {
    for (const n of [1, 2]) {
      l.memberRegister(`${l.name}${n}`, {
        name: `${l.name}${n}`,
        portId: base + n,
        portPriority: 65535,
        key: l === a ? 2 : 4,
      });
      l.memberMayEnable(`${l.name}${n}`);
    }
  }
  const link = { cut: false, all: false };
  const peerOf = (m: string) => (m.startsWith("a") ? "b" : "a") + m.slice(1);
  const deliver = (to: Lacp<string>) => (m: string, pdu: Uint8Array) => {
    if (link.cut && (link.all || m.endsWith("1"))) return;
    to.processPacket(peerOf(m), pdu);
  };
  const step = () => {
    a.run(deliver(b));
    b.run(deliver(a));
  };
  return { t, a, b, link, step, destroy: () => (a.destroy(), b.destroy()) };
}

Deno.test("lacp: two partners negotiate, expire after three fast periods, then default", () => {
  const s = joined();
  try {
    for (let i = 0; i < 5; i++) {
      s.step();
      s.t.advance(100);
    }
    for (const m of ["a1", "a2"]) assert.equal(s.a.memberMayEnable(m), true, m);
    for (const m of ["b1", "b2"]) assert.equal(s.b.memberMayEnable(m), true, m);
    assert.equal(s.a.status, "negotiated");
    assert.match(s.a.formatDetails(), /member: a1: current attached/);
    assert.match(s.a.formatDetails(), /partner sys_id: aa:66:aa:66:00:00/);

    s.link.cut = true;
    for (let i = 0; i < 41; i++) {
      s.step();
      s.t.advance(100);
    }
    assert.match(s.a.formatDetails(), /member: a1: expired attached/);
    assert.equal(s.a.memberMayEnable("a1"), false);
    assert.equal(s.a.memberMayEnable("a2"), true);
    for (let i = 0; i < 41; i++) {
      s.step();
      s.t.advance(100);
    }
    assert.match(s.a.formatDetails(), /member: a1: defaulted detached/);
    assert.equal(s.a.memberIsCurrent("a1"), false);
    assert.equal(s.a.memberIsCurrent("a2"), true);
    assert.match(lacpUnixctlText("show-stats", "a").ok ? "ok" : "", /ok/);
  } finally {
    s.destroy();
  }
});

Deno.test("lacp: with lacp-fallback-ab members left without any partner may be enabled", () => {
  const s = joined(true);
  try {
    s.link.cut = true;
    s.link.all = true;
    for (let i = 0; i < 100; i++) {
      s.step();
      s.t.advance(100);
    }
    assert.match(s.a.formatDetails(), /member: a1: defaulted attached/);
    assert.equal(s.a.memberMayEnable("a1"), true);
    assert.equal(s.a.memberMayEnable("a2"), true);
    assert.equal(s.a.status, "configured");
  } finally {
    s.destroy();
  }
});

Deno.test("lacp: a partner that is not in sync keeps the member disabled; a malformed PDU is counted", () => {
  const t = clock();
  const lacp = new Lacp<string>(t.now);
  try {
    lacp.configure(SETTINGS);
    lacp.memberRegister("p1", { name: "p1", portId: 1, portPriority: 65535, key: 0 });
    lacp.memberMayEnable("p1");
    const partner = {
      sysPriority: 1,
      sysId: mac("00:00:00:00:00:01"),
      key: 9,
      portPriority: 1,
      portId: 9,
      state: 0x01,
    };
    lacp.processPacket("p1", encodeLacpPdu(partner, partner));
    lacp.run(() => {});
    assert.equal(lacp.memberMayEnable("p1"), false);
    lacp.processPacket("p1", encodeLacpPdu({ ...partner, state: LACP_STATE_SYNC }, partner));
    lacp.run(() => {});
    assert.equal(lacp.memberMayEnable("p1"), true);
    lacp.processPacket("p1", new Uint8Array(20));
    assert.match(lacp.formatStats(), /RX PDUs: 3\n {2}RX Bad PDUs: 1\n/);
  } finally {
    lacp.destroy();
  }
});
