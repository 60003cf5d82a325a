import assert from "node:assert/strict";
import { closeNetdev, type Netdev, NETDEV_UP, openNetdev } from "../../core/datapath/netdev.ts";
import {
  type AfPacketNetdev,
  registerAfPacketNetdevs,
} from "../../core/datapath/netdev_afpacket.ts";
import {
  registerTapNetdevs,
  TAP_NETDEV_CLASS,
  type TapNetdev,
  tapNetdevClass,
} from "../../core/datapath/netdev_tap.ts";
import {
  l4ChecksumValid,
  makeChecksumPending,
  OffloadFallback,
} from "../../core/datapath/offload.ts";
import { GSO_NONE, GSO_TCPV4, Packet } from "../../core/datapath/packet.ts";
import { interfaceIndex, linkExists } from "../../core/datapath/sys_link.ts";
import { PacketSocket } from "../../core/datapath/sys_packet.ts";
import { PollSet, sysAvailable } from "../../core/datapath/sys_socket.ts";
import { needTun, NetTestBed } from "../support/netns.ts";
import { firstReason, needPrograms, testIf } from "../support/skip.ts";
import { runNetdevConformance } from "./netdev_conformance.ts";
import { concat, eth, ipv4, payload, tcp, udp4Frame } from "./packet_support.ts";

const TUN = firstReason(sysAvailable() ? undefined : "needs FFI and libc", needTun());
registerTapNetdevs();
registerAfPacketNetdevs();

let serial = 0;
function tapName(): string {
  return `ot${Deno.pid.toString(36)}${(serial++).toString(36)}`;
}

function quietIpv6(name: string): void {
  try {
    Deno.writeTextFileSync(`/proc/sys/net/ipv6/conf/${name}/disable_ipv6`, "1");
  } catch { /* no IPv6 */ }
}

/** A tap opened as a datapath would, up, with host-side sockets on it. */
interface Rig {
  tap: TapNetdev;
  /** Host side: sends into the tap (what we then receive). */
  injector: PacketSocket;
  /** Host side: sees what we sent (the host receives it from the tap). */
  capture: PacketSocket;
}

const rigs = new Map<Netdev, Rig>();

function openRig(options: { vnetHdr?: boolean } = {}): Rig {
  const name = tapName();
  const cls = options.vnetHdr === false ? tapNetdevClass("tap", options) : TAP_NETDEV_CLASS;
  const tap = cls.construct(name) as TapNetdev;
  quietIpv6(name);
  tap.updateFlags(0, NETDEV_UP);
  tap.rxqOpen();
  const ifindex = interfaceIndex(name);
  const injector = new PacketSocket(ifindex, { vnetHdr: true, receiveNone: true });
  const capture = new PacketSocket(ifindex, { vnetHdr: false, completeChecksums: false });
  const rig = { tap, injector, capture };
  rigs.set(tap, rig);
  return rig;
}

function closeRig(rig: Rig): void {
  rigs.delete(rig.tap);
  rig.injector.close();
  rig.capture.close();
  rig.tap.rxqClose();
  rig.tap.close();
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

if (TUN) {
  Deno.test({ name: `netdev tap: conformance suite [skipped: ${TUN}]`, ignore: true, fn() {} });
} else {
  runNetdevConformance({
    type: "tap",
    open: () => openRig().tap,
    close: (netdev) => closeRig(rigs.get(netdev)!),
    inject: async (netdev, frame) => {
      assert.equal(rigs.get(netdev)!.injector.transmit([packetOf(frame)], 0, 1), undefined);
      await waitFor("the frame to arrive", () => netdev.rxReady());
    },
    sent: async (netdev) => {
      await new Promise((r) => setTimeout(r, 20));
      return captured(rigs.get(netdev)!);
    },
  });
}

testIf(
  TUN,
  "a tap port is a device in ip link, addressable, with its MAC settable, gone once closed",
  async () => {
    const bed = NetTestBed.create();
    const name = tapName();
    const tap = openNetdev(name, "tap");
    try {
      assert.equal(tap.netdevClass.isInternal, true);
      assert.deepEqual(tap.offloads, { csum: true, tso: true, uso: tap.offloads!.uso });
      assert.ok(tap.offloads!.tso);
      const shown = await bed.ip("-d", "link", "show", name);
      assert.match(shown, /tun type tap/);
      assert.equal(tap.getFlags() & NETDEV_UP, 0, "left down, as upstream leaves it");
      quietIpv6(name);
      await bed.ip("addr", "add", "10.254.77.1/32", "dev", name);
      await bed.ip("link", "set", name, "up");
      tap.run();
      assert.ok(tap.getFlags() & NETDEV_UP);
      assert.match(await bed.ip("addr", "show", name), /inet 10\.254\.77\.1\/32/);
      tap.setEtherAddr(new Uint8Array([0x02, 0x11, 0x22, 0x33, 0x44, 0x55]));
      assert.match(await bed.ip("link", "show", name), /link\/ether 02:11:22:33:44:55/);
      assert.equal(tap.getIfindex(), interfaceIndex(name));
    } finally {
      closeNetdev(tap);
      await bed.destroy();
    }
    // The kernel unregisters it as the last reference to the tun file goes (a child process being
    // spawned at that moment may hold one for a few milliseconds).
    await waitFor("the device to be deleted", () => !linkExists(name));
  },
);

testIf(TUN, "frames sent to a tap while it is down are dropped and counted, not errors", () => {
  const rig = openRig();
  try {
    rig.tap.updateFlags(NETDEV_UP, 0);
    const before = rig.tap.getStats().txDropped ?? 0;
    assert.equal(rig.tap.send([packetOf(udp4Frame())], 1), undefined);
    assert.equal(rig.tap.getStats().txDropped, before + 1);
  } finally {
    closeRig(rig);
  }
});

testIf(
  TUN,
  "a super-frame from the host arrives with its GSO state; one we send is taken whole",
  async () => {
    const rig = openRig();
    try {
      const seg = tcp(1234, 80, 0x18, payload(9000));
      const sent = packetOf(concat(eth(0x0800), ipv4(seg, { proto: 6 }), seg));
      assert.ok(makeChecksumPending(sent));
      sent.gsoType = GSO_TCPV4;
      sent.gsoSize = 1400;
      assert.equal(rig.injector.transmit([sent], 0, 1), undefined);
      await waitFor("the super-frame", () => rig.tap.rxReady());
      const batch = [new Packet()];
      assert.equal(rig.tap.recv(batch, 1), 1);
      assert.equal(batch[0]!.length, sent.length);
      assert.equal(batch[0]!.gsoType, GSO_TCPV4);
      assert.equal(batch[0]!.gsoSize, 1400);
      assert.equal(rig.tap.send(batch, 1), undefined);
      await new Promise((r) => setTimeout(r, 20));
      const frames = captured(rig);
      assert.equal(frames.length, 1);
      assert.equal(frames[0]!.length, sent.length);
    } finally {
      closeRig(rig);
    }
  },
);

testIf(
  TUN,
  "a tap without vnet headers gets final frames: checksums completed, super-frames cut",
  async () => {
    const rig = openRig({ vnetHdr: false });
    try {
      assert.deepEqual(rig.tap.offloads, { csum: false, tso: false, uso: false });
      const datagram = packetOf(udp4Frame({}, payload(100)));
      assert.ok(makeChecksumPending(datagram));
      const seg = tcp(1234, 80, 0x18, payload(4000));
      const big = packetOf(concat(eth(0x0800), ipv4(seg, { proto: 6 }), seg));
      assert.ok(makeChecksumPending(big));
      big.gsoType = GSO_TCPV4;
      big.gsoSize = 1448;
      assert.equal(new OffloadFallback().send(rig.tap, [datagram, big], 2), undefined);
      await new Promise((r) => setTimeout(r, 20));
      const frames = captured(rig);
      assert.equal(frames.length, 1 + 3);
      for (const f of frames) assert.ok(l4ChecksumValid(packetOf(f)));
    } finally {
      closeRig(rig);
    }
  },
);

/** Forwards between two Linux netdevs in this thread, yielding to the event loop. */
async function forwardUntil(
  a: AfPacketNetdev | TapNetdev,
  b: AfPacketNetdev | TapNetdev,
  done: { stop: boolean },
  seen: { superFrames: number },
): Promise<void> {
  const polls = new PollSet(2);
  polls.add(a.pollFd);
  polls.add(b.pollFd);
  const batch = Array.from({ length: 32 }, () => new Packet());
  const fallback = new OffloadFallback();
  const pump = (from: Netdev, to: Netdev) => {
    const n = from.recv(batch, 32);
    for (let i = 0; i < n; i++) if (batch[i]!.gsoType !== GSO_NONE) seen.superFrames++;
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
}

testIf(
  firstReason(TUN, needPrograms("iperf3", "ping")),
  "the host reaches a namespace through a tap and a system port, TCP offloads end to end (iperf3)",
  async () => {
    const bed = NetTestBed.create();
    const done = { stop: false };
    const seen = { superFrames: 0 };
    let loop: Promise<void> | undefined;
    let tap: TapNetdev | undefined;
    let port: AfPacketNetdev | undefined;
    try {
      const subnet = `10.${200 + (Deno.pid % 50)}.${(Deno.pid + 7) % 250}`;
      const ns = await bed.addNamespace("h");
      const veth = await bed.addVeth({ ns, address: `${subnet}.2/24` });
      await bed.setLink(veth.host, true);
      const name = tapName();
      tap = openNetdev(name, "tap") as TapNetdev;
      quietIpv6(name);
      await bed.ip("addr", "add", `${subnet}.1/24`, "dev", name);
      await bed.ip("link", "set", name, "up");
      port = openNetdev(veth.host, "system") as AfPacketNetdev;
      tap.rxqOpen();
      port.rxqOpen();
      loop = forwardUntil(tap, port, done, seen);
      const ping = await bed.ping(ns, `${subnet}.1`, { count: 3, interval: 0.05 });
      assert.equal(ping.received, 3);
      const portNo = 5300 + (Deno.pid % 500);
      const server = await bed.iperf3Server(undefined, portNo, `${subnet}.1`);
      // Reverse: the host sends the bulk into the tap, with TSO.
      const result = await bed.iperf3(ns, `${subnet}.1`, {
        seconds: 2,
        port: portNo,
        reverse: true,
      });
      await server.stop();
      assert.equal(result.error, undefined);
      assert.ok(result.bitsPerSecond > 50e6, `throughput ${result.bitsPerSecond} bit/s`);
      assert.ok(seen.superFrames > 0, "super-frames came from the host through the tap");
    } finally {
      done.stop = true;
      await loop;
      if (port) closeNetdev(port);
      if (tap) closeNetdev(tap);
      await bed.destroy();
    }
  },
);
