import assert from "node:assert/strict";
import { DpError } from "../../core/datapath/dp_errors.ts";
import {
  closeNetdev,
  type Netdev,
  NETDEV_PROMISC,
  NETDEV_UP,
  openNetdev,
} from "../../core/datapath/netdev.ts";
import {
  AfPacketNetdev,
  afPacketNetdevClass,
  netdevOpenErrorText,
  onDeviceAppears,
  registerAfPacketNetdevs,
} from "../../core/datapath/netdev_afpacket.ts";
import {
  l4ChecksumValid,
  makeChecksumPending,
  OffloadFallback,
} from "../../core/datapath/offload.ts";
import { GSO_NONE, GSO_TCPV4, Packet } from "../../core/datapath/packet.ts";
import { interfaceIndex, LinkMonitor } from "../../core/datapath/sys_link.ts";
import { PacketSocket } from "../../core/datapath/sys_packet.ts";
import { PollSet, sysAvailable } from "../../core/datapath/sys_socket.ts";
import { needNetns, NetTestBed, quantile, type Veth } from "../support/netns.ts";
import { firstReason, needPrograms, testIf } from "../support/skip.ts";
import { runNetdevConformance } from "./netdev_conformance.ts";
import { concat, eth, ipv4, payload, tcp, udp4Frame } from "./packet_support.ts";

const NETNS = firstReason(sysAvailable() ? undefined : "needs FFI and libc", needNetns());
registerAfPacketNetdevs();

/** A system netdev on the host end of a fresh veth pair, with sockets on the other end. */
interface Rig {
  bed: NetTestBed;
  veth: Veth;
  netdev: AfPacketNetdev;
  /** Sends onto the wire towards the netdev. */
  injector: PacketSocket;
  /** Sees what the netdev sent (inbound on the peer), bytes as the kernel delivered them. */
  capture: PacketSocket;
}

const rigs = new Map<Netdev, Rig>();

async function openRig(options: { vnetHdr?: boolean } = {}): Promise<Rig> {
  const bed = NetTestBed.create();
  try {
    const veth = await bed.addVeth();
    await bed.setLink(veth.host, true);
    await bed.setLink(veth.peer, true);
    const cls = afPacketNetdevClass("system", options);
    const netdev = cls.construct(veth.host) as AfPacketNetdev;
    netdev.rxqOpen();
    const peer = interfaceIndex(veth.peer);
    const injector = new PacketSocket(peer, { vnetHdr: true, receiveNone: true });
    const capture = new PacketSocket(peer, { vnetHdr: false, completeChecksums: false });
    const rig = { bed, veth, netdev, injector, capture };
    rigs.set(netdev, rig);
    return rig;
  } catch (e) {
    await bed.destroy();
    throw e;
  }
}

async function closeRig(rig: Rig): Promise<void> {
  rigs.delete(rig.netdev);
  rig.netdev.rxqClose();
  rig.netdev.close();
  rig.injector.close();
  rig.capture.close();
  await rig.bed.destroy();
}

function packetOf(bytes: Uint8Array): Packet {
  const p = new Packet();
  p.setFrame(bytes);
  return p;
}

async function waitFor(what: string, predicate: () => boolean): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function captured(rig: Rig): Uint8Array[] {
  const out: Uint8Array[] = [];
  const batch = [new Packet()];
  while (rig.capture.receive(batch, 1) > 0) out.push(batch[0]!.frame().slice());
  return out;
}

if (NETNS) {
  Deno.test({
    name: `netdev system: conformance suite [skipped: ${NETNS}]`,
    ignore: true,
    fn() {},
  });
} else {
  runNetdevConformance({
    type: "system",
    open: async () => (await openRig()).netdev,
    close: (netdev) => closeRig(rigs.get(netdev)!),
    inject: async (netdev, frame) => {
      const rig = rigs.get(netdev)!;
      assert.equal(rig.injector.transmit([packetOf(frame)], 0, 1), undefined);
      await waitFor("the frame to arrive", () => netdev.rxReady());
    },
    sent: async (netdev) => {
      await new Promise((r) => setTimeout(r, 20));
      return captured(rigs.get(netdev)!);
    },
  });
}

Deno.test("opening a system device that does not exist fails with ENODEV and upstream's error text", () => {
  if (!sysAvailable()) return;
  const name = `nodev${Deno.pid % 100000}`;
  let error: unknown;
  try {
    openNetdev(name, "system");
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof DpError && error.errno === "ENODEV");
  assert.equal(
    netdevOpenErrorText("veth9", error),
    "could not open network device veth9 (No such device)",
  );
});

testIf(NETNS, "a device that appears later is announced, and then opens", async () => {
  const bed = NetTestBed.create();
  const monitor = LinkMonitor.shared();
  try {
    const name = bed.name("late");
    assert.throws(() => openNetdev(name, "system"), DpError);
    let appeared = 0;
    const stop = onDeviceAppears(name, () => appeared++);
    monitor.run();
    await bed.ip("link", "add", name, "type", "veth", "peer", "name", bed.name("lp"));
    bed.adopt(name);
    await waitFor("the link notification", () => (monitor.run(), appeared > 0));
    stop();
    const netdev = openNetdev(name, "system");
    assert.equal(netdev.getIfindex(), interfaceIndex(name));
    closeNetdev(netdev);
  } finally {
    await bed.destroy();
  }
});

testIf(
  NETNS,
  "link down and up done outside are seen through changeSeq and the carrier",
  async () => {
    const rig = await openRig();
    try {
      const seq = rig.netdev.changeSeq;
      let calls = 0;
      rig.netdev.onChange(() => calls++);
      assert.equal(rig.netdev.getCarrier(), true);
      await rig.bed.setLink(rig.veth.peer, false);
      await waitFor("the change", () => (rig.netdev.run(), rig.netdev.changeSeq > seq));
      assert.ok(calls > 0);
      assert.equal(rig.netdev.getCarrier(), false, "the peer is down: no carrier");
      assert.ok(rig.netdev.getFlags() & NETDEV_UP, "still administratively up");
      await rig.bed.setLink(rig.veth.host, false);
      rig.netdev.run();
      assert.equal(rig.netdev.getFlags() & NETDEV_UP, 0);
      await rig.bed.setLink(rig.veth.host, true);
      await rig.bed.setLink(rig.veth.peer, true);
      await waitFor("carrier back", () => (rig.netdev.run(), rig.netdev.getCarrier()));
    } finally {
      await closeRig(rig);
    }
  },
);

testIf(
  NETNS,
  "a VLAN tag the kernel stripped on receive is put back from PACKET_AUXDATA",
  async () => {
    const rig = await openRig();
    try {
      const tagged = concat(
        eth(0x8100),
        new Uint8Array([0x20, 0x64, 0x08, 0x00]), // PCP 1, VID 100, then IPv4
        udp4Frame({}, payload(30)).subarray(14),
      );
      tagged[12] = 0x81;
      tagged[13] = 0x00;
      rig.injector.transmit([packetOf(tagged)], 0, 1);
      await waitFor("the tagged frame", () => rig.netdev.rxReady());
      const batch = [new Packet()];
      assert.equal(rig.netdev.recv(batch, 1), 1);
      assert.deepEqual(batch[0]!.frame(), tagged);
    } finally {
      await closeRig(rig);
    }
  },
);

testIf(NETNS, "promiscuous mode is a socket membership reported in the flags", async () => {
  const rig = await openRig();
  try {
    assert.equal(rig.netdev.getFlags() & NETDEV_PROMISC, 0);
    rig.netdev.updateFlags(0, NETDEV_PROMISC);
    assert.ok(rig.netdev.getFlags() & NETDEV_PROMISC);
    const promiscuity = await rig.bed.ip("-d", "link", "show", rig.veth.host);
    assert.match(promiscuity, /promiscuity 1/);
    rig.netdev.updateFlags(NETDEV_PROMISC, 0);
    assert.match(await rig.bed.ip("-d", "link", "show", rig.veth.host), /promiscuity 0/);
  } finally {
    await closeRig(rig);
  }
});

/** A TCP super-frame with its checksum pending, as a TSO sender hands it over. */
function superFrame(bytes: number): Packet {
  const seg = tcp(1234, 80, 0x18, payload(bytes));
  const p = packetOf(concat(eth(0x0800), ipv4(seg, { proto: 6 }), seg));
  assert.ok(makeChecksumPending(p));
  p.gsoType = GSO_TCPV4;
  p.gsoSize = 1448;
  return p;
}

testIf(
  NETNS,
  "a super-frame arrives whole with its GSO state and leaves whole for the kernel to cut",
  async () => {
    const rig = await openRig();
    try {
      const sent = superFrame(20000);
      assert.equal(rig.injector.transmit([sent], 0, 1), undefined);
      await waitFor("the super-frame", () => rig.netdev.rxReady());
      const batch = [new Packet()];
      assert.equal(rig.netdev.recv(batch, 1), 1);
      const got = batch[0]!;
      assert.equal(got.length, sent.length);
      assert.equal(got.gsoType, GSO_TCPV4);
      assert.equal(got.gsoSize, 1448);
      assert.equal(got.csumStart, 34);
      assert.equal(got.csumOffset, 16);
      // Back out: the capture (no vnet headers) gets it whole, checksum still pending: the kernel
      // never had to do software work on a veth.
      assert.equal(rig.netdev.send([got], 1), undefined);
      await new Promise((r) => setTimeout(r, 20));
      const frames = captured(rig);
      assert.equal(frames.length, 1);
      assert.equal(frames[0]!.length, sent.length);
    } finally {
      await closeRig(rig);
    }
  },
);

testIf(
  NETNS,
  "without vnet headers, pending checksums and super-frames are finished in software on the way out",
  async () => {
    const rig = await openRig({ vnetHdr: false });
    try {
      assert.deepEqual(rig.netdev.offloads, { csum: false, tso: false, uso: false });
      const datagram = packetOf(udp4Frame({}, payload(100)));
      assert.ok(makeChecksumPending(datagram));
      const fallback = new OffloadFallback();
      assert.equal(fallback.send(rig.netdev, [datagram, superFrame(5000)], 2), undefined);
      await new Promise((r) => setTimeout(r, 20));
      const frames = captured(rig);
      assert.equal(frames.length, 1 + 4, "the datagram and four segments");
      for (const f of frames) {
        assert.ok(f.length <= 1514);
        assert.ok(l4ChecksumValid(packetOf(f)), "complete checksum on the wire");
      }
      // Sent straight to send(), the netdev protects itself the same way.
      const again = superFrame(3000);
      assert.equal(rig.netdev.send([again], 1), undefined);
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(captured(rig).length, 3);
    } finally {
      await closeRig(rig);
    }
  },
);

testIf(
  NETNS,
  "without vnet headers, a frame whose checksum the kernel left pending is completed on receive",
  async () => {
    const rig = await openRig({ vnetHdr: false });
    try {
      const datagram = packetOf(udp4Frame({}, payload(100)));
      assert.ok(makeChecksumPending(datagram));
      assert.equal(l4ChecksumValid(datagram), false);
      rig.injector.transmit([datagram], 0, 1);
      await waitFor("the datagram", () => rig.netdev.rxReady());
      const batch = [new Packet()];
      assert.equal(rig.netdev.recv(batch, 1), 1);
      assert.equal(batch[0]!.csumStart, -1);
      assert.ok(l4ChecksumValid(batch[0]!));
    } finally {
      await closeRig(rig);
    }
  },
);

/**
 * The tiny switch of the end-to-end test: everything from A goes out of B and back, in this
 * thread, yielding to the event loop every few milliseconds (iperf3 runs as a child process).
 */
async function forwardUntil(
  a: AfPacketNetdev,
  b: AfPacketNetdev,
  done: { stop: boolean },
  seen: { frames: number; superFrames: number; largest: number },
): Promise<void> {
  const polls = new PollSet(2);
  polls.add(a.pollFd);
  polls.add(b.pollFd);
  const batch = Array.from({ length: 32 }, () => new Packet());
  const fallback = new OffloadFallback();
  const pump = (from: AfPacketNetdev, to: AfPacketNetdev) => {
    const n = from.recv(batch, 32);
    for (let i = 0; i < n; i++) {
      const p = batch[i]!;
      seen.frames++;
      if (p.gsoType !== GSO_NONE) seen.superFrames++;
      if (p.length > seen.largest) seen.largest = p.length;
    }
    if (n > 0) fallback.send(to, batch, n);
    return n;
  };
  while (!done.stop) {
    const started = performance.now();
    while (performance.now() - started < 5) {
      if (pump(a, b) + pump(b, a) === 0) break;
    }
    await polls.waitAsync(2);
    // What a datapath does each round: link notifications (state changed by `ip link`).
    a.run();
    b.run();
  }
  assert.equal(fallback.segmented, 0, "no software segmentation between offload-capable ports");
}

testIf(
  firstReason(NETNS, needPrograms("iperf3", "ping")),
  "a TCP stream's super-frames cross a forwarding loop of two system netdevs intact (iperf3)",
  async () => {
    const bed = NetTestBed.create();
    const done = { stop: false };
    const seen = { frames: 0, superFrames: 0, largest: 0 };
    let loop: Promise<void> | undefined;
    let a: AfPacketNetdev | undefined;
    let b: AfPacketNetdev | undefined;
    try {
      const ns1 = await bed.addNamespace("a");
      const ns2 = await bed.addNamespace("b");
      const subnet = `10.${200 + (Deno.pid % 50)}.${Deno.pid % 250}`;
      const va = await bed.addVeth({ ns: ns1, address: `${subnet}.1/24` });
      const vb = await bed.addVeth({ ns: ns2, address: `${subnet}.2/24` });
      await bed.setLink(va.host, true);
      await bed.setLink(vb.host, true);
      a = openNetdev(va.host, "system") as AfPacketNetdev;
      b = openNetdev(vb.host, "system") as AfPacketNetdev;
      for (const n of [a, b]) {
        n.rxqOpen();
        n.updateFlags(0, NETDEV_PROMISC);
      }
      loop = forwardUntil(a, b, done, seen);
      const ping = await bed.ping(ns1, `${subnet}.2`, { count: 5, interval: 0.05 });
      assert.equal(ping.received, 5, "ping crosses the loop");
      assert.ok(quantile(ping.rtts, 0.5) < 50);
      const server = await bed.iperf3Server(ns2, 5201);
      const result = await bed.iperf3(ns1, `${subnet}.2`, { seconds: 2 });
      await server.stop();
      assert.equal(result.error, undefined);
      assert.ok(result.bitsPerSecond > 50e6, `throughput ${result.bitsPerSecond} bit/s`);
      assert.ok(seen.superFrames > 0, "GSO super-frames came through");
      assert.ok(seen.largest > 1514, `largest frame ${seen.largest}`);
    } finally {
      done.stop = true;
      await loop;
      for (const n of [a, b]) {
        if (n) closeNetdev(n);
      }
      await bed.destroy();
    }
  },
);
