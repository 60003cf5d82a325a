// The conformance suite every Netdev implementation runs (dummy now; afpacket and tap later):
// identity, MAC, MTU, flags and carrier, change notification, configuration, and the packet
// interface (recv into caller-owned packets, send with size checks, statistics). An
// implementation provides a harness: how to open a device, and (when it can) how to make a frame
// arrive and how to see what it sent. Cases a harness cannot support are skipped with the reason.

import assert from "node:assert/strict";
import { DpError } from "../../core/datapath/dp_errors.ts";
import { type Netdev, NETDEV_PROMISC, NETDEV_UP } from "../../core/datapath/netdev.ts";
import { Packet } from "../../core/datapath/packet.ts";

export interface NetdevHarness {
  /** The type name shown in test names ("dummy"). */
  type: string;
  /** Opens a fresh device (receive queue open, as a datapath port would have it). */
  open(): Netdev | Promise<Netdev>;
  close(netdev: Netdev): void | Promise<void>;
  /** Makes `frame` arrive on the device (undefined: the harness cannot). */
  inject?: (netdev: Netdev, frame: Uint8Array) => void | Promise<void>;
  /** The frames the device put on its wire, oldest first (undefined: cannot observe). */
  sent?: (netdev: Netdev) => Uint8Array[] | Promise<Uint8Array[]>;
}

function frame(length: number, fill = 0x5a): Uint8Array {
  const f = new Uint8Array(length).fill(fill);
  f.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x50, 0x54, 0, 0, 0, 1, 0x08, 0x00].slice(0, length));
  return f;
}

function packetOf(bytes: Uint8Array): Packet {
  const p = new Packet(bytes.length + 512);
  p.setFrame(bytes);
  return p;
}

export function runNetdevConformance(h: NetdevHarness): void {
  const t = (name: string, fn: (netdev: Netdev) => void | Promise<void>, skip?: string) => {
    Deno.test({
      name: `netdev ${h.type}: ${name}${skip ? ` [skipped: ${skip}]` : ""}`,
      ignore: skip !== undefined,
      async fn() {
        const netdev = await h.open();
        try {
          await fn(netdev);
        } finally {
          await h.close(netdev);
        }
      },
    });
  };

  t("has a name, its type, a 6-byte MAC and a config map", (netdev) => {
    assert.equal(netdev.type, h.type);
    assert.ok(netdev.name.length > 0);
    assert.equal(netdev.getEtherAddr().length, 6);
    assert.ok(netdev.getConfig() instanceof Map);
    assert.equal(netdev.netdevClass.type, h.type);
  });

  t("changing the MAC is reported through changeSeq and listeners", (netdev) => {
    let calls = 0;
    const remove = netdev.onChange(() => calls++);
    const before = netdev.changeSeq;
    const mac = new Uint8Array([0x02, 0, 0, 0, 0x12, 0x34]);
    netdev.setEtherAddr(mac);
    assert.deepEqual(netdev.getEtherAddr(), mac);
    assert.ok(netdev.changeSeq > before);
    assert.equal(calls, 1);
    netdev.setEtherAddr(mac);
    assert.equal(calls, 1, "setting the same MAC is not a change");
    remove();
    netdev.setEtherAddr(new Uint8Array([0x02, 0, 0, 0, 0x12, 0x35]));
    assert.equal(calls, 1, "a removed listener is not called");
  });

  t("MTU can be read and set, and an impossible MTU is refused with EINVAL", (netdev) => {
    const mtu = netdev.getMtu();
    assert.ok(mtu >= 68);
    netdev.setMtu(1400);
    assert.equal(netdev.getMtu(), 1400);
    assert.throws(
      () => netdev.setMtu(10),
      (e: unknown) => e instanceof DpError && e.errno === "EINVAL",
    );
    netdev.setMtu(mtu);
  });

  t("admin state is the UP flag and the carrier follows it", (netdev) => {
    assert.ok(netdev.getFlags() & NETDEV_UP);
    assert.equal(netdev.getCarrier(), true);
    const old = netdev.updateFlags(NETDEV_UP, 0);
    assert.ok(old & NETDEV_UP);
    assert.equal(netdev.getCarrier(), false);
    netdev.updateFlags(0, NETDEV_UP | NETDEV_PROMISC);
    assert.equal(netdev.getCarrier(), true);
    assert.ok(netdev.getFlags() & NETDEV_PROMISC);
    assert.throws(() => netdev.updateFlags(0, 0x100), DpError);
  });

  t("recv returns nothing when nothing arrived", (netdev) => {
    const batch = [new Packet(2048)];
    assert.equal(netdev.rxReady(), false);
    assert.equal(netdev.recv(batch, 1), 0);
  });

  t(
    "frames that arrive are received in order into the caller's packets and counted",
    async (netdev) => {
      const a = frame(60, 1);
      const b = frame(100, 2);
      await h.inject!(netdev, a);
      await h.inject!(netdev, b);
      assert.equal(netdev.rxReady(), true);
      const batch = [new Packet(2048), new Packet(2048), new Packet(2048)];
      const n = netdev.recv(batch, 3);
      assert.equal(n, 2);
      assert.deepEqual(batch[0]!.frame(), a);
      assert.deepEqual(batch[1]!.frame(), b);
      const stats = netdev.getStats();
      assert.equal(stats.rxPackets, 2);
      assert.equal(stats.rxBytes, 160);
      assert.equal(netdev.recv(batch, 3), 0);
    },
    h.inject ? undefined : "the harness cannot inject frames",
  );

  t(
    "sent frames reach the wire and are counted; runts and oversized frames are refused",
    async (netdev) => {
      const ok = frame(64);
      assert.equal(netdev.send([packetOf(ok)], 1), undefined);
      assert.equal(netdev.send([packetOf(frame(10))], 1), "EMSGSIZE");
      assert.equal(netdev.send([packetOf(frame(netdev.getMtu() + 15))], 1), "EMSGSIZE");
      const stats = netdev.getStats();
      assert.equal(stats.txPackets, 1);
      assert.equal(stats.txBytes, 64);
      assert.deepEqual(await h.sent!(netdev), [ok]);
    },
    h.sent ? undefined : "the harness cannot see sent frames",
  );

  t("a frame of exactly MTU plus the Ethernet header can be sent", (netdev) => {
    assert.equal(netdev.send([packetOf(frame(netdev.getMtu() + 14))], 1), undefined);
  });
}
