// The learning switch behind ovs-testcontroller (core/ofproto/learning_switch.ts), driven through
// a fake connection: messages in, messages out. Expected texts are what upstream's
// ovs-testcontroller sent for the same packets (its vconn debug log, run against the real
// switch), printed by our ofp-print with the xid left out.

import assert, { deepStrictEqual as assertEquals, match as assertMatch } from "node:assert/strict";
import { frameFromString } from "../../core/datapath/pcap.ts";
import { W_IN_PORT } from "../../core/datapath/flow.ts";
import { timeResume, timeStop, timeWarp } from "../../core/net/timeval.ts";
import { vlogCloseLogFile, vlogSetLevels, vlogSetLogFile } from "../../core/net/vlog.ts";
import {
  defaultLswitchConfig,
  LearningSwitch,
  type LswitchConfig,
  type SwitchLink,
} from "../../core/ofproto/learning_switch.ts";
import { LSW_DEFAULT_WILDCARDS } from "../../core/ofproto/learning_switch_match.ts";
import { parseMac } from "../../core/ofproto/mac_learning.ts";
import { decodeFlowMod, OFPFC_ADD } from "../../core/ofproto/msg/flow_mod.ts";
import { parseFlowModFile } from "../../core/ofproto/msg/flow_text.ts";
import { encodeEchoRequest } from "../../core/ofproto/msg/hello.ts";
import {
  decodePacketOut,
  encodePacketIn,
  newPacketIn,
  OFPR_ACTION,
} from "../../core/ofproto/msg/packet.ts";
import { type PhyPort } from "../../core/ofproto/msg/port.ts";
import { ofpToString } from "../../core/ofproto/msg/print.ts";
import { encodeFeaturesReply } from "../../core/ofproto/msg/switch.ts";
import { RconnPacketCounter } from "../../core/ofproto/rconn.ts";

const OF10 = 1;
const OF13 = 4;
const A = "50:54:00:00:00:01";
const B = "50:54:00:00:00:02";

/** A connection that records what the switch logic sends. */
class FakeLink implements SwitchLink {
  readonly name = "tcp:127.0.0.1:40000";
  isConnected = true;
  disconnected = false;
  /** When set, queued messages are never drained (a stalled peer). */
  stalled = false;
  sent: Uint8Array[] = [];
  constructor(readonly version: number) {}
  send(message: Uint8Array): boolean {
    if (!this.isConnected) return false;
    this.sent.push(message);
    return true;
  }
  sendWithLimit(message: Uint8Array, counter: RconnPacketCounter, limit: number): boolean {
    if (!this.isConnected || counter.nPackets >= limit) return false;
    if (this.stalled) counter.nPackets++;
    return this.send(message);
  }
  disconnect(): void {
    this.isConnected = false;
    this.disconnected = true;
  }
  /** What was sent since the last call, as ofp-print texts without xids. */
  take(): string[] {
    const texts = this.sent.map(print);
    this.sent = [];
    return texts;
  }
  takeRaw(): Uint8Array[] {
    const raw = this.sent;
    this.sent = [];
    return raw;
  }
}

function print(message: Uint8Array): string {
  return ofpToString(message).replace(/ \(xid=0x[0-9a-f]+\)/, "").trimEnd();
}

function port(portNo: number, name: string): PhyPort {
  return {
    portNo,
    hwAddr: new Uint8Array([0xaa, 0x55, 0xaa, 0x55, 0, portNo]),
    name,
    config: 0,
    state: 0,
    curr: 0,
    advertised: 0,
    supported: 0,
    peer: 0,
    currSpeed: 0,
    maxSpeed: 0,
  };
}

function featuresReply(version: number, ports: PhyPort[] = []): Uint8Array {
  return encodeFeaturesReply(
    {
      datapathId: 0xfedcba9876543210n,
      nBuffers: 0,
      nTables: 254,
      auxiliaryId: 0,
      capabilities: 0,
      ofpacts: 0n,
    },
    version,
    2,
    version < OF13 ? ports : [],
  );
}

function tcpFrame(
  src: string,
  dst: string,
  ipSrc: string,
  ipDst: string,
  sport: number,
  dport: number,
) {
  return frameFromString(
    `eth(src=${src},dst=${dst}),eth_type(0x0800),ipv4(src=${ipSrc},dst=${ipDst},proto=6,tos=0,ttl=64,frag=no),tcp(src=${sport},dst=${dport})`,
  );
}

/** TCP from host 1 (MAC A, 10.0.0.1) to host 2 (MAC B), or back with `reverse`. */
function ab(reverse = false): Uint8Array {
  return reverse
    ? tcpFrame(B, A, "10.0.0.2", "10.0.0.1", 9, 8)
    : tcpFrame(A, B, "10.0.0.1", "10.0.0.2", 8, 9);
}

function packetIn(
  version: number,
  inPort: number,
  frame: Uint8Array,
  opts: { bufferId?: number; reason?: number } = {},
): Uint8Array {
  const pin = newPacketIn(frame);
  pin.flowMetadata.flow[W_IN_PORT] = inPort;
  pin.flowMetadata.mask[W_IN_PORT] = 0xffff;
  pin.reason = opts.reason ?? 0;
  pin.cookie = 0n;
  const msg = encodePacketIn(pin, version, "standard");
  if (opts.bufferId !== undefined) {
    new DataView(msg.buffer, msg.byteOffset).setUint32(8, opts.bufferId);
  }
  return msg;
}

/** A switch past its handshake; the handshake's messages are already taken. */
function connected(
  version: number,
  config: Partial<LswitchConfig> = {},
  ports: PhyPort[] = [],
): { sw: LearningSwitch; link: FakeLink } {
  const link = new FakeLink(version);
  const sw = new LearningSwitch(link, { ...defaultLswitchConfig(), ...config });
  sw.handleConnect();
  sw.handleMessage(featuresReply(version, ports));
  link.take();
  assertEquals(sw.state, "switching");
  return { sw, link };
}

const TCP_21 = "tcp,in_port=2,vlan_tci=0x0000,dl_src=50:54:00:00:00:02,dl_dst=50:54:00:00:00:01," +
  "nw_src=10.0.0.2,nw_dst=10.0.0.1,nw_tos=0,tp_src=9,tp_dst=8";
const TCP_21_OXM = TCP_21.replace("vlan_tci=0x0000", "vlan_tci=0x0000/0x1fff");

Deno.test("learning switch handshake asks for features and sets miss_send_len, OpenFlow 1.0", () => {
  const link = new FakeLink(OF10);
  const sw = new LearningSwitch(link, defaultLswitchConfig());
  assertEquals(sw.state, "connecting");
  sw.handleConnect();
  assertEquals(link.take(), [
    "OFPT_FEATURES_REQUEST:",
    "OFPT_SET_CONFIG: frags=normal miss_send_len=128",
  ]);
  assertEquals(sw.state, "features-reply");
  sw.handleMessage(featuresReply(OF10));
  assertEquals(sw.state, "switching");
  assertEquals(sw.datapathId, 0xfedcba9876543210n);
  assertEquals(link.take(), []);
});

Deno.test("learning switch adds a table-miss flow to the controller from OpenFlow 1.3 on", () => {
  const link = new FakeLink(OF13);
  const sw = new LearningSwitch(link, defaultLswitchConfig());
  sw.handleConnect();
  assertEquals(link.take(), [
    "OFPT_FEATURES_REQUEST (OF1.3):",
    "OFPT_SET_CONFIG (OF1.3): frags=normal miss_send_len=128",
    "OFPT_FLOW_MOD (OF1.3): ADD priority=0 actions=CONTROLLER:128",
  ]);
  // The handshake happens once.
  sw.handleConnect();
  assertEquals(link.take(), []);
});

Deno.test("learning switch ignores all but echo requests until the features reply", () => {
  const link = new FakeLink(OF10);
  const sw = new LearningSwitch(link, defaultLswitchConfig());
  link.isConnected = false;
  sw.handleMessage(encodeEchoRequest(OF10, 7));
  sw.handleConnect();
  assertEquals(link.take(), [], "nothing before the connection is up");
  link.isConnected = true;
  sw.handleConnect();
  link.take();
  sw.handleMessage(packetIn(OF10, 1, ab()));
  assertEquals(link.take(), []);
  sw.handleMessage(encodeEchoRequest(OF10, 9, new Uint8Array([1, 2])));
  const [reply] = link.takeRaw();
  assert(reply);
  assertEquals(print(reply), "OFPT_ECHO_REPLY: 2 bytes of payload");
  assertEquals(new DataView(reply.buffer, reply.byteOffset).getUint32(4), 9, "reply keeps the xid");
});

Deno.test("learning switch handshakes first when a message beats the connect notification", () => {
  const link = new FakeLink(OF10);
  const sw = new LearningSwitch(link, defaultLswitchConfig());
  sw.handleMessage(encodeEchoRequest(OF10, 7));
  assertEquals(link.take(), [
    "OFPT_FEATURES_REQUEST:",
    "OFPT_SET_CONFIG: frags=normal miss_send_len=128",
    "OFPT_ECHO_REPLY: 0 bytes of payload",
  ]);
});

Deno.test("learning switch floods unknown destinations and installs exact flows for known ones, OpenFlow 1.0", () => {
  const { sw, link } = connected(OF10);
  sw.handleMessage(packetIn(OF10, 1, ab()));
  assertEquals(link.take(), ["OFPT_PACKET_OUT: in_port=1 actions=FLOOD data_len=118"]);
  assertEquals(sw.learnedPort(parseMac(A)!), 1);

  sw.handleMessage(packetIn(OF10, 2, ab(true)));
  const [flowMod, packetOut] = link.takeRaw();
  assert(flowMod && packetOut);
  // An exact OpenFlow 1.0 match reads back with the highest priority, as the switch stores it.
  assertEquals(
    print(flowMod),
    `OFPT_FLOW_MOD: ADD priority=65535,${TCP_21} idle:60 actions=output:1`,
  );
  assertEquals(print(packetOut), "OFPT_PACKET_OUT: in_port=2 actions=output:1 data_len=118");
  const fm = decodeFlowMod(flowMod);
  assertEquals(fm.command, OFPFC_ADD);
  assertEquals(fm.idleTimeout, 60);
  assertEquals(fm.hardTimeout, 0);
  assertEquals(fm.bufferId, 0xffffffff);
  assertEquals(
    new DataView(flowMod.buffer, flowMod.byteOffset).getUint16(8 + 40 + 14),
    1,
    "priority 1 on the wire",
  );
  assertEquals(decodePacketOut(packetOut).packet, ab(true));

  // Now both hosts are known: the first direction gets its flow too.
  sw.handleMessage(packetIn(OF10, 1, ab()));
  assertEquals(link.take(), [
    "OFPT_FLOW_MOD: ADD priority=65535,tcp,in_port=1,vlan_tci=0x0000,dl_src=50:54:00:00:00:01,dl_dst=50:54:00:00:00:02,nw_src=10.0.0.1,nw_dst=10.0.0.2,nw_tos=0,tp_src=8,tp_dst=9 idle:60 actions=output:2",
    "OFPT_PACKET_OUT: in_port=1 actions=output:2 data_len=118",
  ]);
});

Deno.test("learning switch installs OXM flows with priority 1 on OpenFlow 1.3", () => {
  const { sw, link } = connected(OF13);
  sw.handleMessage(packetIn(OF13, 1, ab()));
  assertEquals(link.take(), ["OFPT_PACKET_OUT (OF1.3): in_port=1 actions=FLOOD data_len=118"]);
  sw.handleMessage(packetIn(OF13, 2, ab(true)));
  assertEquals(link.take(), [
    `OFPT_FLOW_MOD (OF1.3): ADD priority=1,${TCP_21_OXM} idle:60 actions=output:1`,
    "OFPT_PACKET_OUT (OF1.3): in_port=2 actions=output:1 data_len=118",
  ]);
  const arp = frameFromString(
    `eth(src=${A},dst=${B}),eth_type(0x0806),arp(sip=10.0.0.1,tip=10.0.0.2,op=1,sha=${A},tha=00:00:00:00:00:00)`,
  );
  sw.handleMessage(packetIn(OF13, 1, arp));
  assertEquals(link.take(), [
    "OFPT_FLOW_MOD (OF1.3): ADD priority=1,arp,in_port=1,vlan_tci=0x0000/0x1fff,dl_src=50:54:00:00:00:01,dl_dst=50:54:00:00:00:02,arp_spa=10.0.0.1,arp_tpa=10.0.0.2,arp_op=1 idle:60 actions=output:2",
    "OFPT_PACKET_OUT (OF1.3): in_port=1 actions=output:2 data_len=42",
  ]);
});

Deno.test("learning switch uses the switch's buffer id instead of sending the packet back", () => {
  const { sw, link } = connected(OF10);
  // Unknown destination, buffered: a packet-out naming the buffer, without data.
  sw.handleMessage(packetIn(OF10, 1, ab(), { bufferId: 0x42 }));
  const [flood] = link.takeRaw();
  assert(flood);
  assertEquals(print(flood), "OFPT_PACKET_OUT: in_port=1 actions=FLOOD buffer=0x00000042");
  assertEquals(decodePacketOut(flood).packet.length, 0);
  // Known destination, buffered: the flow mod releases the buffer; no packet-out.
  sw.handleMessage(packetIn(OF10, 2, ab(true), { bufferId: 0x43 }));
  const sent = link.takeRaw();
  assertEquals(sent.length, 1);
  assertEquals(decodeFlowMod(sent[0]!).bufferId, 0x43);
  assertMatch(print(sent[0]!), / idle:60 buf:0x43 actions=output:1$/);
});

Deno.test("learning switch in hub mode floods everything through flows, or packet-outs with --noflow", () => {
  const hub = connected(OF10, { mode: "flood" });
  hub.sw.handleMessage(packetIn(OF10, 1, ab()));
  hub.sw.handleMessage(packetIn(OF10, 2, ab(true)));
  assertEquals(hub.link.take(), [
    "OFPT_FLOW_MOD: ADD priority=65535,tcp,in_port=1,vlan_tci=0x0000,dl_src=50:54:00:00:00:01,dl_dst=50:54:00:00:00:02,nw_src=10.0.0.1,nw_dst=10.0.0.2,nw_tos=0,tp_src=8,tp_dst=9 idle:60 actions=FLOOD",
    "OFPT_PACKET_OUT: in_port=1 actions=FLOOD data_len=118",
    `OFPT_FLOW_MOD: ADD priority=65535,${TCP_21} idle:60 actions=FLOOD`,
    "OFPT_PACKET_OUT: in_port=2 actions=FLOOD data_len=118",
  ]);
  assertEquals(hub.sw.learnedPort(parseMac(A)!), undefined, "a hub learns nothing");

  const both = connected(OF10, { mode: "flood", maxIdle: -1 });
  both.sw.handleMessage(packetIn(OF10, 1, ab()));
  both.sw.handleMessage(packetIn(OF10, 2, ab(true)));
  assertEquals(both.link.take(), [
    "OFPT_PACKET_OUT: in_port=1 actions=FLOOD data_len=118",
    "OFPT_PACKET_OUT: in_port=2 actions=FLOOD data_len=118",
  ]);
});

Deno.test("learning switch with --noflow forwards learned destinations by packet-out only", () => {
  const { sw, link } = connected(OF13, { maxIdle: -1 });
  sw.handleMessage(packetIn(OF13, 1, ab()));
  sw.handleMessage(packetIn(OF13, 2, ab(true)));
  sw.handleMessage(packetIn(OF13, 1, ab()));
  assertEquals(link.take(), [
    "OFPT_PACKET_OUT (OF1.3): in_port=1 actions=FLOOD data_len=118",
    "OFPT_PACKET_OUT (OF1.3): in_port=2 actions=output:1 data_len=118",
    "OFPT_PACKET_OUT (OF1.3): in_port=1 actions=output:2 data_len=118",
  ]);
});

Deno.test("learning switch --max-idle=permanent installs flows without an idle timeout", () => {
  const { sw, link } = connected(OF13, { maxIdle: 0 });
  sw.handleMessage(packetIn(OF13, 1, ab()));
  sw.handleMessage(packetIn(OF13, 2, ab(true)));
  const [, flowMod] = link.takeRaw();
  assert(flowMod);
  assertEquals(decodeFlowMod(flowMod).idleTimeout, 0);
  assertEquals(
    print(flowMod),
    `OFPT_FLOW_MOD (OF1.3): ADD priority=1,${TCP_21_OXM} actions=output:1`,
  );
});

Deno.test("learning switch --wildcards keeps only what L2 learning needs, or the given bits", () => {
  const l2 = connected(OF10, { wildcards: LSW_DEFAULT_WILDCARDS });
  l2.sw.handleMessage(packetIn(OF10, 1, ab()));
  l2.sw.handleMessage(packetIn(OF10, 2, ab(true)));
  const [, l2Flow] = l2.link.take();
  assertEquals(
    l2Flow,
    "OFPT_FLOW_MOD: ADD priority=1,in_port=2,vlan_tci=0x0000,dl_src=50:54:00:00:00:02,dl_dst=50:54:00:00:00:01 idle:60 actions=output:1",
  );
  const l2oxm = connected(OF13, { wildcards: LSW_DEFAULT_WILDCARDS });
  l2oxm.sw.handleMessage(packetIn(OF13, 1, ab()));
  l2oxm.sw.handleMessage(packetIn(OF13, 2, ab(true)));
  assertEquals(
    l2oxm.link.take()[1],
    "OFPT_FLOW_MOD (OF1.3): ADD priority=1,in_port=2,vlan_tci=0x0000/0x1fff,dl_src=50:54:00:00:00:02,dl_dst=50:54:00:00:00:01 idle:60 actions=output:1",
  );
  // 0x2000ec: L3 only (in_port, IP addresses and protocol, not Ethernet or ports).
  const l3 = connected(OF13, { wildcards: 0x2000ec });
  l3.sw.handleMessage(packetIn(OF13, 1, ab()));
  l3.sw.handleMessage(packetIn(OF13, 2, ab(true)));
  assertEquals(
    l3.link.take()[1],
    "OFPT_FLOW_MOD (OF1.3): ADD priority=1,ip,in_port=2,vlan_tci=0x0000/0x1fff,nw_src=10.0.0.2,nw_dst=10.0.0.1 idle:60 actions=output:1",
  );
});

Deno.test("learning switch --normal learns nothing, so it floods through flows like a hub (as upstream)", () => {
  const { sw, link } = connected(OF10, { mode: "normal" });
  sw.handleMessage(packetIn(OF10, 1, ab()));
  sw.handleMessage(packetIn(OF10, 2, ab(true)));
  assertEquals(link.take(), [
    "OFPT_FLOW_MOD: ADD priority=65535,tcp,in_port=1,vlan_tci=0x0000,dl_src=50:54:00:00:00:01,dl_dst=50:54:00:00:00:02,nw_src=10.0.0.1,nw_dst=10.0.0.2,nw_tos=0,tp_src=8,tp_dst=9 idle:60 actions=FLOOD",
    "OFPT_PACKET_OUT: in_port=1 actions=FLOOD data_len=118",
    `OFPT_FLOW_MOD: ADD priority=65535,${TCP_21} idle:60 actions=FLOOD`,
    "OFPT_PACKET_OUT: in_port=2 actions=FLOOD data_len=118",
  ]);
  assertEquals(sw.learnedPort(parseMac(A)!), undefined);
});

Deno.test("learning switch drops frames to reserved addresses and back out of their input port", () => {
  const { sw, link } = connected(OF13);
  const stp = frameFromString(
    `eth(src=${A},dst=01:80:c2:00:00:00),eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=6,tos=0,ttl=64,frag=no),tcp(src=8,dst=9)`,
  );
  sw.handleMessage(packetIn(OF13, 1, stp));
  const [drop] = link.take();
  assertMatch(
    drop!,
    /^OFPT_FLOW_MOD \(OF1\.3\): ADD priority=1,tcp,in_port=1,.*dl_dst=01:80:c2:00:00:00,.* idle:60 actions=drop$/,
  );
  // A was learned on port 1: a packet from port 1 to A is dropped by a flow.
  sw.handleMessage(packetIn(OF13, 1, ab(true)));
  const texts = link.take();
  assertEquals(texts.length, 1, "a drop flow and no packet-out");
  assertMatch(texts[0]!, /,in_port=1,.*dl_dst=50:54:00:00:00:01,.* actions=drop$/);
  // Without flows a drop sends nothing at all (unless the switch holds a buffer to release).
  const noflow = connected(OF13, { maxIdle: -1 });
  noflow.sw.handleMessage(packetIn(OF13, 1, stp));
  assertEquals(noflow.link.take(), []);
  noflow.sw.handleMessage(packetIn(OF13, 1, stp, { bufferId: 7 }));
  assertEquals(noflow.link.take(), [
    "OFPT_PACKET_OUT (OF1.3): in_port=1 actions=drop buffer=0x00000007",
  ]);
});

Deno.test("learning switch ignores packet-ins not caused by a table miss", () => {
  const { sw, link } = connected(OF10);
  sw.handleMessage(packetIn(OF10, 1, ab(), { reason: OFPR_ACTION }));
  assertEquals(link.take(), []);
  assertEquals(sw.learnedPort(parseMac(A)!), undefined);
});

Deno.test("learning switch moves a MAC to the port it shows up on", () => {
  const { sw, link } = connected(OF10, { maxIdle: -1 });
  sw.handleMessage(packetIn(OF10, 1, ab()));
  sw.handleMessage(packetIn(OF10, 3, ab()));
  assertEquals(sw.learnedPort(parseMac(A)!), 3);
  sw.handleMessage(packetIn(OF10, 2, ab(true)));
  assertEquals(link.take()[2], "OFPT_PACKET_OUT: in_port=2 actions=output:3 data_len=118");
});

Deno.test("learning switch forgets MACs after 300 idle seconds", () => {
  timeStop();
  try {
    const { sw, link } = connected(OF10, { maxIdle: -1 });
    sw.handleMessage(packetIn(OF10, 1, ab()));
    timeWarp(299_000);
    sw.handleMessage(packetIn(OF10, 2, ab(true)));
    assertEquals(link.take()[1], "OFPT_PACKET_OUT: in_port=2 actions=output:1 data_len=118");
    timeWarp(301_000);
    sw.handleMessage(packetIn(OF10, 2, ab(true)));
    assertEquals(link.take(), ["OFPT_PACKET_OUT: in_port=2 actions=FLOOD data_len=118"]);
    assertEquals(sw.learnedPort(parseMac(A)!), undefined);
  } finally {
    timeResume();
  }
});

Deno.test("learning switch outputs through the configured queue, per input port by name", () => {
  const ports = [port(1, "p1"), port(2, "p2"), port(3, "p3")];
  const { sw, link } = connected(
    OF10,
    { defaultQueue: 5, portQueues: new Map([["p2", 9]]) },
    ports,
  );
  sw.handleMessage(packetIn(OF10, 1, ab()));
  sw.handleMessage(packetIn(OF10, 2, ab(true)));
  sw.handleMessage(packetIn(OF10, 1, ab()));
  const texts = link.take();
  // Flooding is not to a physical port, so it never goes through a queue.
  assertEquals(texts[0], "OFPT_PACKET_OUT: in_port=1 actions=FLOOD data_len=118");
  assertMatch(texts[1]!, /,in_port=2,.* actions=enqueue:1:9$/);
  assertEquals(texts[2], "OFPT_PACKET_OUT: in_port=2 actions=enqueue:1:9 data_len=118");
  assertMatch(texts[3]!, /,in_port=1,.* actions=enqueue:2:5$/);
});

Deno.test("learning switch sends --with-flows flows after the handshake, switching to NXM when they need it", () => {
  const { fms, usable } = parseFlowModFile(
    "priority=5,in_port=3,actions=drop\n# a comment\nreg0=1,actions=output:2\n",
    "flows.txt",
    OFPFC_ADD,
  );
  const link = new FakeLink(OF10);
  const sw = new LearningSwitch(link, {
    ...defaultLswitchConfig(),
    defaultFlows: fms,
    usableProtocols: usable,
  });
  sw.handleConnect();
  assertEquals(link.take(), [
    "OFPT_FEATURES_REQUEST:",
    "OFPT_SET_CONFIG: frags=normal miss_send_len=128",
    "NXT_SET_FLOW_FORMAT: format=nxm",
    "NXT_FLOW_MOD: ADD priority=5,in_port=3 actions=drop",
    "NXT_FLOW_MOD: ADD reg0=0x1 actions=output:2",
  ]);
  sw.handleMessage(featuresReply(OF10));
  sw.handleMessage(packetIn(OF10, 1, ab()));
  sw.handleMessage(packetIn(OF10, 2, ab(true)));
  // Learned flows now go out in the protocol the connection was moved to.
  assertMatch(link.take()[1]!, /^NXT_FLOW_MOD: ADD priority=1,tcp,in_port=2,/);
});

Deno.test("learning switch logs when --with-flows flows cannot go out in the negotiated version", async () => {
  const dir = await Deno.makeTempDir();
  try {
    vlogSetLogFile(`${dir}/log`);
    vlogSetLevels("learning_switch", "console", "off");
    const { fms, usable } = parseFlowModFile("reg0=1,actions=drop\n", "f", OFPFC_ADD);
    const link = new FakeLink(OF13);
    const sw = new LearningSwitch(link, {
      ...defaultLswitchConfig(),
      defaultFlows: fms,
      usableProtocols: usable & 0xf,
    });
    sw.handleConnect();
    assertEquals(link.take().length, 3, "features request, set-config and table-miss flow only");
    const log = await Deno.readTextFile(`${dir}/log`);
    assertMatch(
      log,
      /\|learning_switch\|INFO\|tcp:127\.0\.0\.1:40000: failed to set usable protocol\n/,
    );
  } finally {
    vlogCloseLogFile();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("learning switch with --mute answers nothing, not even echo requests", () => {
  const link = new FakeLink(OF13);
  const sw = new LearningSwitch(link, { ...defaultLswitchConfig(), mute: true });
  sw.handleConnect();
  assertEquals(link.take().length, 3, "the handshake still goes out");
  sw.handleMessage(featuresReply(OF13));
  sw.handleMessage(encodeEchoRequest(OF13, 1));
  sw.handleMessage(packetIn(OF13, 1, ab()));
  assertEquals(link.take(), []);
});

Deno.test("learning switch ignores a features reply of the wrong length and keeps waiting", () => {
  const link = new FakeLink(OF10);
  const sw = new LearningSwitch(link, defaultLswitchConfig());
  sw.handleConnect();
  link.take();
  // Upstream's header decoding rejects it before the body is looked at: no error, no reply.
  const bad = featuresReply(OF10, [port(1, "p1")]).slice(0, 32 + 20);
  new DataView(bad.buffer).setUint16(2, bad.length);
  sw.handleMessage(bad);
  assertEquals(sw.state, "features-reply");
  assert(!link.disconnected);
  sw.handleMessage(featuresReply(OF10, [port(1, "p1")]));
  assertEquals(sw.state, "switching");
  assertEquals(link.take(), []);
});

Deno.test("learning switch survives malformed and truncated messages", () => {
  const { sw, link } = connected(OF13);
  const good = packetIn(OF13, 1, ab());
  let seed = 1;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let i = 0; i < 2000; i++) {
    const cut = good.slice(0, Math.floor(random() * good.length));
    if (cut.length >= 4) new DataView(cut.buffer).setUint16(2, cut.length);
    sw.handleMessage(cut);
    const noisy = good.slice();
    noisy[8 + Math.floor(random() * (noisy.length - 8))] = Math.floor(random() * 256);
    sw.handleMessage(noisy);
  }
  sw.handleMessage(new Uint8Array(0));
  sw.handleMessage(new Uint8Array([4, 99, 0, 8, 0, 0, 0, 0]));
  link.take();
  assertEquals(sw.state, "switching");
});

Deno.test("learning switch limits what it queues on a stalled connection to 10 messages", () => {
  const { sw, link } = connected(OF10, { maxIdle: -1 });
  link.stalled = true;
  for (let i = 0; i < 25; i++) sw.handleMessage(packetIn(OF10, 1, ab()));
  assertEquals(link.take().length, 10);
});
