import assert from "node:assert/strict";
import {
  newFlowWords,
  W_DP_HASH,
  W_IN_PORT,
  W_PKT_MARK,
  W_RECIRC_ID,
  W_SKB_PRIORITY,
} from "../../core/datapath/flow.ts";
import { extractFlow } from "../../core/datapath/flow_extract.ts";
import { formatOdpKey } from "../../core/datapath/odp_key.ts";
import { Packet, PACKET_HEADROOM } from "../../core/datapath/packet.ts";
import { PcapWriter } from "../../core/datapath/pcap.ts";
import { run } from "../support/run.ts";
import { needPrograms, testIf } from "../support/skip.ts";
import { catalogue, distinctCatalogue } from "./frame_catalogue.ts";
import { ethAddrsOf, fieldsOf, fieldsOfFlowText } from "./flow_fields.ts";
import { hex, REAL_OVS, startRealSwitch, tcp4Frame, udp4Frame } from "./packet_support.ts";

function extract(frame: Uint8Array, inPort = 0) {
  const p = new Packet();
  p.setFrame(frame);
  p.inPort = inPort;
  const key = newFlowWords();
  extractFlow(p, key);
  return { key, packet: p };
}

Deno.test("extractFlow gives upstream's fields for every kind of frame, malformed ones included", () => {
  for (const c of catalogue()) {
    const { key } = extract(c.frame);
    assert.deepEqual(fieldsOf(key), c.expect, c.name);
  }
});

Deno.test("extractFlow takes metadata from the packet and sets the header offsets", () => {
  const p = new Packet();
  p.setFrame(tcp4Frame());
  p.inPort = 7;
  p.recircId = 3;
  p.dpHash = 0x1234;
  p.skbPriority = 9;
  p.pktMark = 0xabc;
  const key = newFlowWords();
  key.fill(0xffffffff);
  extractFlow(p, key);
  assert.deepEqual(
    [key[W_IN_PORT], key[W_RECIRC_ID], key[W_DP_HASH], key[W_SKB_PRIORITY], key[W_PKT_MARK]],
    [7, 3, 0x1234, 9, 0xabc],
  );
  assert.deepEqual(ethAddrsOf(key), { dl_src: "50:54:00:00:00:01", dl_dst: "50:54:00:00:02:00" });
  assert.equal(p.l3, PACKET_HEADROOM + 14);
  assert.equal(p.l4, PACKET_HEADROOM + 34);
  assert.equal(p.l2_5, -1);

  const byName = new Map(catalogue().map((c) => [c.name, c.frame]));
  const mpls = extract(byName.get("MPLS multicast, two labels")!).packet;
  assert.deepEqual([mpls.l2_5, mpls.l3, mpls.l4], [PACKET_HEADROOM + 14, PACKET_HEADROOM + 22, -1]);
  const arp = extract(byName.get("ARP request")!).packet;
  assert.deepEqual([arp.l3, arp.l4], [PACKET_HEADROOM + 14, -1]);
  const v6 = extract(byName.get("UDP over IPv6 after hop-by-hop and destination options")!).packet;
  assert.equal(v6.l4, PACKET_HEADROOM + 14 + 40 + 8 + 16);
  const bad = extract(byName.get("IPv4 header length under 20")!).packet;
  assert.deepEqual([bad.l3, bad.l4], [PACKET_HEADROOM + 14, -1]);
  const short = extract(byName.get("frame shorter than an Ethernet header")!).packet;
  assert.deepEqual([short.l3, short.l4], [-1, -1]);
});

Deno.test("extractFlow works on a frame anywhere in the buffer (after pushes and pulls)", () => {
  const frame = udp4Frame();
  const want = extract(frame).key;
  const p = new Packet();
  p.start = 3;
  p.buffer.set(frame, 3);
  p.length = frame.length;
  const key = newFlowWords();
  extractFlow(p, key);
  assert.deepEqual(key, want);
  assert.equal(p.l4, 3 + 34);
});

testIf(
  needPrograms("ovs-ofctl"),
  "extraction agrees with ovs-ofctl parse-pcap on every frame (written with our pcap writer)",
  async () => {
    // ovs-ofctl parses two VLAN headers (its vlan-limit is 2), the switch one: leave that out.
    const frames = distinctCatalogue().filter((c) => !c.name.startsWith("double tagged"));
    const dir = await Deno.makeTempDir({ prefix: "ovs-extract-" });
    try {
      const path = `${dir}/frames.pcap`;
      const writer = PcapWriter.open(path, "write");
      for (const c of frames) writer.write(c.frame);
      writer.close();
      const out = await run("ovs-ofctl", ["parse-pcap", path]);
      assert.equal(out.code, 0, out.stderr);
      const lines = out.stdout.trim().split("\n");
      assert.equal(lines.length, frames.length);
      const unprintable = ["vlan_tpid", "nd_reserved", "nd_options_type"];
      frames.forEach((c, i) => {
        const { key } = extract(c.frame);
        const ours: Record<string, number | string> = { ...fieldsOf(key) };
        if (c.frame.length >= 14) Object.assign(ours, ethAddrsOf(key));
        for (const k of unprintable) delete ours[k];
        assert.deepEqual(ours, fieldsOfFlowText(lines[i]!), `${c.name}: ${lines[i]}`);
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

testIf(
  REAL_OVS,
  "extraction and key text agree with the real switch's upcall keys (netdev-dummy/receive)",
  async () => {
    const sw = await startRealSwitch();
    try {
      // netdev-dummy/receive takes no frame shorter than an Ethernet header.
      const frames = distinctCatalogue().filter((c) => c.frame.length >= 14);
      assert.equal((await sw.appctl("upcall/disable-megaflows")).code, 0);
      assert.equal((await sw.appctl("vlog/set", "dpif_netdev:file:dbg")).code, 0);
      const got = await sw.appctl("netdev-dummy/receive", "p1", ...frames.map((c) => hex(c.frame)));
      assert.equal(got.code, 0, got.stderr);
      const log = `${sw.dir}/ovs-vswitchd.log`;
      let keys: string[] = [];
      const deadline = Date.now() + 10000;
      while (Date.now() < deadline) {
        const lines = (await Deno.readTextFile(log)).split("\n");
        keys = lines.flatMap((l, i) => (l.endsWith("miss upcall:") ? [lines[i + 1] ?? ""] : []));
        if (keys.length >= frames.length) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(keys.length, frames.length, "one miss upcall per frame");
      frames.forEach((c, i) => {
        const { key } = extract(c.frame, 1);
        assert.equal(formatOdpKey(key), keys[i], c.name);
      });
    } finally {
      await sw.stop();
    }
  },
);

Deno.test("random bytes never make extractFlow throw or read outside the frame (2 s fuzz)", () => {
  let seed = 0x12345678;
  const rand = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 0x100000000;
  };
  const seeds = catalogue().map((c) => c.frame);
  const a = new Packet(4096);
  const b = new Packet(4096);
  const ka = newFlowWords();
  const kb = newFlowWords();
  const deadline = Date.now() + 2000;
  let n = 0;
  while (Date.now() < deadline) {
    const base = seeds[Math.floor(rand() * seeds.length)]!;
    const len = rand() < 0.5 ? Math.floor(rand() * (base.length + 8)) : Math.floor(rand() * 200);
    const frame = new Uint8Array(len);
    for (let i = 0; i < len; i++) {
      frame[i] = i < base.length && rand() < 0.9 ? base[i]! : rand() * 256;
    }
    // The same frame between two different poisons: any read outside it would show.
    a.buffer.fill(0x00);
    b.buffer.fill(0xff);
    a.buffer.set(frame, a.start);
    b.buffer.set(frame, b.start);
    a.length = b.length = len;
    extractFlow(a, ka);
    extractFlow(b, kb);
    assert.deepEqual(ka, kb, `frame ${hex(frame)}`);
    assert.ok(a.l3 <= a.start + len && a.l4 <= a.start + len);
    n++;
  }
  assert.ok(n > 1000);
});
