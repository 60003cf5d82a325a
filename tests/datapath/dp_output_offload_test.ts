// The datapath's output path finishes offload work for ports that cannot take it: a dummy port
// (no offloads) gets a TCP super-frame cut into MSS segments and a pending checksum completed,
// whichever way the packet got there (a cached flow or an executed packet-out).

import assert from "node:assert/strict";
import { parseDpActions } from "../../core/datapath/dp_actions.ts";
import { openDatapath } from "../../core/datapath/dpif.ts";
import { FLOW_WORDS, W_IN_PORT } from "../../core/datapath/flow.ts";
import { closeNetdev, openNetdev } from "../../core/datapath/netdev.ts";
import { type DummyNetdev, registerDummyNetdevs } from "../../core/datapath/netdev_dummy.ts";
import { l4ChecksumValid, makeChecksumPending } from "../../core/datapath/offload.ts";
import { GSO_TCPV4, Packet } from "../../core/datapath/packet.ts";
import { concat, eth, ipv4, payload, tcp, udp4Frame } from "./packet_support.ts";

registerDummyNetdevs();

function rig(tag: string) {
  const dp = openDatapath("dummy", `offload-${tag}`, true);
  const ports = ["p1", "p2"].map((name, i) => {
    const netdev = openNetdev(`${name}-${tag}`, "dummy") as DummyNetdev;
    dp.portAdd(netdev, i + 1);
    closeNetdev(netdev);
    return netdev;
  });
  const mask = new Uint32Array(FLOW_WORDS);
  mask[W_IN_PORT] = 0xffffffff;
  const key = new Uint32Array(FLOW_WORDS);
  key[W_IN_PORT] = 1;
  dp.flowPut({ key, mask, actions: parseDpActions("2"), create: true });
  return { dp, out: ports[1]! };
}

function asPacket(frame: Uint8Array): Packet {
  const p = new Packet();
  p.setFrame(frame);
  return p;
}

Deno.test("a TCP super-frame leaves a port without TSO as MSS segments with valid checksums", () => {
  const { dp, out } = rig("tso");
  try {
    const segment = tcp(1234, 80, 0x18, payload(3500));
    const p = asPacket(concat(eth(0x0800), ipv4(segment, { proto: 6 }), segment));
    assert.ok(makeChecksumPending(p));
    p.gsoType = GSO_TCPV4;
    p.gsoSize = 1000;
    dp.input([p], 1, 1);
    assert.equal(out.txLog.length, 4);
    out.txLog.forEach((frame, k) => {
      assert.equal(frame.length, 14 + 20 + 20 + (k < 3 ? 1000 : 500));
      assert.ok(l4ChecksumValid(asPacket(frame)), `segment ${k}`);
    });
    assert.equal(dp.getStats().hit, 1);
  } finally {
    dp.destroy();
  }
});

Deno.test("a pending checksum is completed on the way out of a port without checksum offload", () => {
  const { dp, out } = rig("csum");
  try {
    const p = asPacket(udp4Frame({}, payload(100)));
    // Zero the checksum and make it pending, as a sender offloading it would.
    assert.ok(makeChecksumPending(p));
    assert.ok(!l4ChecksumValid(p));
    dp.execute(p, parseDpActions("2"));
    assert.equal(out.txLog.length, 1);
    assert.ok(l4ChecksumValid(asPacket(out.txLog[0]!)));
  } finally {
    dp.destroy();
  }
});
