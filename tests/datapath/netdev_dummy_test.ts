import assert from "node:assert/strict";
import { backerDatapath } from "../../core/datapath/dpif.ts";
import { DpError } from "../../core/datapath/dp_errors.ts";
import { closeNetdev, netdevByName, openNetdev } from "../../core/datapath/netdev.ts";
import {
  DUMMY_MAX_QUEUE,
  dummyConnStateCommand,
  DummyNetdev,
  dummyReceiveCommand,
  dummySetAdminStateCommand,
  registerDummyNetdevs,
} from "../../core/datapath/netdev_dummy.ts";
import { Packet } from "../../core/datapath/packet.ts";
import { readPcapFile } from "../../core/datapath/pcap.ts";
import { testIf } from "../support/skip.ts";
import { runNetdevConformance } from "./netdev_conformance.ts";
import { must, REAL_SWITCH, startRealSwitch } from "./real_switch.ts";

registerDummyNetdevs();
let serial = 0;

runNetdevConformance({
  type: "dummy",
  open() {
    const netdev = openNetdev(`conf${serial++}`, "dummy");
    netdev.rxqOpen();
    return netdev;
  },
  close(netdev) {
    netdev.rxqClose();
    closeNetdev(netdev);
  },
  inject: (netdev, frame) => void (netdev as DummyNetdev).inject(frame),
  sent: (netdev) => (netdev as DummyNetdev).txLog,
});

function ethFrame(length: number): Uint8Array {
  const f = new Uint8Array(length);
  f.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x50, 0x54, 0, 0, 0, 1, 0x12, 0x34]);
  return f;
}

Deno.test("dummy netdevs get MACs from upstream's aa:55 counter and no ifindex unless configured", () => {
  const a = openNetdev("mac-a", "dummy") as DummyNetdev;
  const b = openNetdev("mac-b", "dummy-internal") as DummyNetdev;
  try {
    const ma = a.getEtherAddr();
    const mb = b.getEtherAddr();
    assert.deepEqual([...ma.subarray(0, 2)], [0xaa, 0x55]);
    const n = (x: Uint8Array) => (x[2]! << 24 | x[3]! << 16 | x[4]! << 8 | x[5]!) >>> 0;
    assert.equal(n(mb), n(ma) + 1);
    assert.equal(b.type, "dummy-internal");
    assert.equal(a.getIfindex(), undefined);
    assert.deepEqual([...a.getConfig()], []);
    a.setConfig(new Map([["ifindex", "7"]]));
    assert.equal(a.getIfindex(), 7);
    assert.deepEqual([...a.getConfig()], [["ifindex", "7"]]);
    assert.throws(
      () => openNetdev("mac-a", "dummy-internal"),
      (e: unknown) => e instanceof DpError && e.errno === "EEXIST",
    );
    assert.throws(
      () => openNetdev("x", "nosuchtype"),
      (e: unknown) => e instanceof DpError && e.errno === "EAFNOSUPPORT",
    );
  } finally {
    closeNetdev(a);
    closeNetdev(b);
  }
  assert.equal(netdevByName("mac-a"), undefined, "the last close removes the device");
});

Deno.test("a dummy netdev queues frames only while a receive queue is open, at most 100", () => {
  const d = openNetdev("queue0", "dummy") as DummyNetdev;
  try {
    assert.equal(d.inject(ethFrame(60)), false, "no receive queue: dropped");
    d.rxqOpen();
    for (let i = 0; i < DUMMY_MAX_QUEUE; i++) assert.equal(d.inject(ethFrame(60)), true);
    assert.equal(d.inject(ethFrame(60)), false, "a full queue drops");
    assert.equal(d.rxQueueLength, DUMMY_MAX_QUEUE);
    d.rxqClose();
    assert.equal(d.rxQueueLength, 0, "closing the last queue drops what it held");
  } finally {
    closeNetdev(d);
  }
});

Deno.test("tx_pcap and rxq_pcap record what a dummy netdev sends and receives", () => {
  const dir = Deno.makeTempDirSync({ prefix: "netdev-dummy-" });
  const d = openNetdev("pcap0", "dummy") as DummyNetdev;
  try {
    d.setConfig(new Map([["tx_pcap", `${dir}/tx.pcap`], ["rxq_pcap", `${dir}/rx.pcap`]]));
    d.rxqOpen();
    const rx = ethFrame(70);
    d.inject(rx);
    const tx = ethFrame(80);
    const p = new Packet(2048);
    p.setFrame(tx);
    d.send([p], 1);
    d.send([p], 1);
    assert.deepEqual(readPcapFile(`${dir}/rx.pcap`).map((r) => r.frame), [rx]);
    assert.deepEqual(readPcapFile(`${dir}/tx.pcap`).map((r) => r.frame), [tx, tx]);
    // Reconfiguring reopens the files for appending.
    d.setConfig(new Map([["pcap", `${dir}/tx.pcap`]]));
    d.send([p], 1);
    assert.equal(readPcapFile(`${dir}/tx.pcap`).length, 3);
    d.rxqClose();
  } finally {
    closeNetdev(d);
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("netdev-dummy/receive and set-admin-state answer as upstream's commands do", () => {
  const dp = backerDatapath("dummy");
  const netdev = openNetdev("rcv7", "dummy");
  dp.portAdd(netdev);
  closeNetdev(netdev);
  const d = netdev as DummyNetdev;
  try {
    assert.throws(() => dummyReceiveCommand(["nosuch", "00"]), /^Error: no such dummy netdev$/);
    assert.throws(() => dummyReceiveCommand(["rcv7", "--qid", "1", "x"]), /bad rx queue id\./);
    const hex =
      "ffffffffffff505400000001123400000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";
    assert.equal(dummyReceiveCommand(["rcv7", hex, hex]), "");
    assert.equal(d.rxQueueLength, 2);
    assert.equal(
      dummyReceiveCommand([
        "rcv7",
        "in_port(7),eth(src=50:54:00:00:00:01,dst=50:54:00:00:02:00),eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=6,tos=0,ttl=64,frag=no),tcp(src=8,dst=9)",
        "--len",
        "128",
      ]),
      "",
    );
    assert.equal(d.rxQueueLength, 3);
    assert.throws(
      () => dummyReceiveCommand(["rcv7", "in_port(7),eth()", "--len", "20"]),
      /too small packet len/,
    );
    dp.runUntilIdle();
    assert.equal(d.getStats().rxPackets, 3);
    assert.equal(d.getStats().rxBytes, 60 + 60 + 128);

    assert.equal(dummySetAdminStateCommand(["rcv7", "down"]), "OK");
    assert.equal(d.getCarrier(), false);
    assert.equal(dummySetAdminStateCommand(["up"]), "OK");
    assert.equal(d.getCarrier(), true);
    assert.throws(() => dummySetAdminStateCommand(["rcv7", "sideways"]), /Invalid Admin State/);
    assert.throws(() => dummySetAdminStateCommand(["nosuch", "up"]), /Unknown Dummy Interface/);
  } finally {
    dp.portDel(dp.portByName("rcv7")!.portNo);
  }
});

async function until(what: string, predicate: () => boolean, netdevs: DummyNetdev[] = []) {
  const deadline = Date.now() + 5000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    for (const n of netdevs) n.run();
    await new Promise((r) => setTimeout(r, 10));
  }
}

Deno.test("options:pstream and options:stream join two dummy netdevs in both directions", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "netdev-dummy-conn-" });
  const a = openNetdev("conn-a", "dummy") as DummyNetdev;
  const b = openNetdev("conn-b", "dummy") as DummyNetdev;
  try {
    a.rxqOpen();
    b.rxqOpen();
    // The active side starts first: it keeps retrying until the listener exists.
    b.setConfig(new Map([["stream", `unix:${dir}/s.sock`]]));
    assert.equal(dummyConnStateCommand(["conn-b"]), "conn-b: disconnected\n");
    a.setConfig(new Map([["pstream", `punix:${dir}/s.sock`]]));
    assert.deepEqual([...a.getConfig()], [["pstream", `punix:${dir}/s.sock`]]);
    assert.deepEqual([...b.getConfig()], [["stream", `unix:${dir}/s.sock`]]);
    await until("the stream to connect", () => b.connState() === "connected", [a, b]);
    assert.equal(dummyConnStateCommand([]).includes("conn-b: connected\n"), true);
    const one = ethFrame(60);
    one[20] = 1;
    const p = new Packet(2048);
    p.setFrame(one);
    // The listener may not have accepted yet: send until it arrives.
    await until("a frame from the active side", () => {
      if (!a.rxReady()) b.send([p], 1);
      return a.rxReady();
    }, [a, b]);
    const batch = [new Packet(2048)];
    assert.equal(a.recv(batch, 1), 1);
    assert.deepEqual(batch[0]!.frame(), one);
    while (a.recv(batch, 1)) { /* drain duplicates sent while waiting */ }
    const two = ethFrame(200);
    two[20] = 2;
    p.setFrame(two);
    a.send([p], 1);
    await until("a frame from the passive side", () => b.rxReady(), [a, b]);
    assert.equal(b.recv(batch, 1), 1);
    assert.deepEqual(batch[0]!.frame(), two);
  } finally {
    a.rxqClose();
    b.rxqClose();
    closeNetdev(a);
    closeNetdev(b);
    Deno.removeSync(dir, { recursive: true });
  }
});

testIf(
  REAL_SWITCH,
  "our dummy netdev's stream talks to the real ovs-vswitchd's dummy pstream",
  async () => {
    const real = await startRealSwitch();
    const ours = openNetdev("p77", "dummy") as DummyNetdev;
    try {
      await must(
        real.vsctl(
          "add-br",
          "br0",
          "--",
          "set",
          "bridge",
          "br0",
          "datapath-type=dummy",
          "fail-mode=secure",
          "--",
          "add-port",
          "br0",
          "p1",
          "--",
          "set",
          "Interface",
          "p1",
          "type=dummy",
          `options:pstream=punix:${real.dir}/p1.sock`,
          `options:rxq_pcap=${real.dir}/p1-rx.pcap`,
          "--",
          "add-port",
          "br0",
          "p2",
          "--",
          "set",
          "Interface",
          "p2",
          "type=dummy",
        ),
        "vsctl",
      );
      await must(real.appctl("revalidator/pause"));
      await must(real.appctl("dpctl/add-flow", "in_port(2),eth(),eth_type(0x1234)", "1"));
      ours.rxqOpen();
      ours.setConfig(new Map([["stream", `unix:${real.dir}/p1.sock`]]));
      await until("our stream to connect", () => ours.connState() === "connected", [ours]);
      const toReal = ethFrame(64);
      toReal[30] = 0x77;
      const p = new Packet(2048);
      p.setFrame(toReal);
      await until("the real daemon to receive our frame", () => {
        ours.send([p], 1);
        try {
          return readPcapFile(`${real.dir}/p1-rx.pcap`).length > 0;
        } catch {
          return false;
        }
      }, [ours]);
      assert.deepEqual(readPcapFile(`${real.dir}/p1-rx.pcap`)[0]!.frame, toReal);
      const fromReal = ethFrame(80);
      fromReal[40] = 0x42;
      const hex = [...fromReal].map((b) => b.toString(16).padStart(2, "0")).join("");
      await must(real.appctl("netdev-dummy/receive", "p2", hex), "receive");
      await until("the real daemon's frame", () => ours.rxReady(), [ours]);
      const batch = [new Packet(2048)];
      ours.recv(batch, 1);
      assert.deepEqual(batch[0]!.frame(), fromReal);
    } finally {
      ours.rxqClose();
      closeNetdev(ours);
      await real.stop();
    }
  },
);
