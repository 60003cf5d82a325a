import assert from "node:assert/strict";
import {
  frameFromHex,
  frameFromString,
  FrameStringError,
  PcapError,
  PcapFollower,
  pcapGlobalHeader,
  PcapReader,
  PcapWriter,
  readPcapFile,
} from "../../core/datapath/pcap.ts";
import { run } from "../support/run.ts";
import { needPrograms, testIf } from "../support/skip.ts";
import { hex, REAL_OVS, startRealSwitch, tcp4Frame, udp4Frame } from "./packet_support.ts";

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "ovs-pcap-" });
}

Deno.test("the writer's global header and records are upstream's layout", async () => {
  const dir = await tempDir();
  try {
    const path = `${dir}/a.pcap`;
    let now = 1_700_000_000_123_456;
    const w = PcapWriter.open(path, "write", () => now++);
    w.write(tcp4Frame());
    w.write(new Uint8Array([1, 2, 3]));
    w.close();
    const bytes = await Deno.readFile(path);
    assert.equal(hex(bytes.subarray(0, 24)), "d4c3b2a1020004000000000000000000ee05000001000000");
    const v = new DataView(bytes.buffer, 24, 16);
    assert.deepEqual(
      [v.getUint32(0, true), v.getUint32(4, true), v.getUint32(8, true), v.getUint32(12, true)],
      [1_700_000_000, 123_456, 70, 70],
    );
    const records = readPcapFile(path);
    assert.deepEqual(records.map((r) => hex(r.frame)), [hex(tcp4Frame()), "010203"]);
    assert.deepEqual([records[1]!.sec, records[1]!.usec, records[1]!.when], [
      1_700_000_000,
      123_457,
      1_700_000_000_123,
    ]);
    // Appending to a file that has a header adds records only.
    const a = PcapWriter.open(path, "append");
    a.write(udp4Frame());
    a.close();
    assert.equal(readPcapFile(path).length, 3);
    assert.equal((await Deno.readFile(path)).length, bytes.length + 16 + udp4Frame().length);
    // Appending to a new file writes the header first.
    const b = PcapWriter.open(`${dir}/b.pcap`, "append");
    b.write(udp4Frame());
    b.close();
    assert.deepEqual(readPcapFile(`${dir}/b.pcap`).map((r) => hex(r.frame)), [hex(udp4Frame())]);
    assert.deepEqual(pcapGlobalHeader(), bytes.subarray(0, 24));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the reader takes big-endian, nanosecond and Linux cooked captures, in pieces", () => {
  const be = new Uint8Array([
    ...[
      0xa1,
      0xb2,
      0x3c,
      0x4d,
      0,
      2,
      0,
      4,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0xff,
      0xff,
      0,
      0,
      0,
      0x71,
    ],
    ...[0, 0, 0, 5, 0x3b, 0x9a, 0xc9, 0xff, 0, 0, 0, 20, 0, 0, 0, 20],
    // SLL: packet type, ARPHRD, address length 6, address, 2 bytes, protocol, then payload.
    ...[0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00, 0xaa, 0xbb, 0xcc, 0xdd],
  ]);
  const reader = new PcapReader();
  const got: string[] = [];
  for (let i = 0; i < be.length; i += 7) {
    reader.push(be.subarray(i, i + 7));
    for (let r = reader.next(); r; r = reader.next()) {
      got.push(`${hex(r.frame)} ${r.sec}.${r.usec}`);
    }
  }
  assert.deepEqual(got, ["0000000000000102030405060800aabbccdd 5.999999"]);
  const bad = new PcapReader();
  bad.push(new Uint8Array(24).fill(7));
  assert.throws(() => bad.next(), (e: unknown) => {
    assert.ok(e instanceof PcapError);
    assert.equal(
      e.message,
      "bad magic 0x07070707 reading pcap file (expected 0xa1b2c3d4, 0xa1b23c4d, 0xd4c3b2a1, or 0x4d3cb2a1)",
    );
    return true;
  });
});

Deno.test("a follower sees the records a writer adds, whole records only", async () => {
  const dir = await tempDir();
  try {
    const path = `${dir}/f.pcap`;
    const follower = new PcapFollower(path);
    assert.deepEqual(follower.poll(), []);
    const w = PcapWriter.open(path, "append");
    w.write(tcp4Frame());
    assert.equal(follower.poll().length, 1);
    assert.equal(follower.poll().length, 0);
    const f = await Deno.open(path, { append: true });
    await f.write(new Uint8Array(16 + 3).fill(0).map((_, i) => (i === 8 || i === 12 ? 3 : 0)));
    f.close();
    const got = follower.poll();
    assert.equal(got.length, 1);
    assert.equal(hex(got[0]!.frame), "000000");
    w.write(udp4Frame());
    w.close();
    assert.deepEqual(follower.poll().map((r) => hex(r.frame)), [hex(udp4Frame())]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("receive arguments: hex as eth_from_hex reads it, else a flow composed", () => {
  const frame = hex(tcp4Frame());
  assert.equal(hex(frameFromHex(frame)!), frame);
  assert.equal(hex(frameFromHex(frame.replace(/(..)/g, "$1 \t\n"))!), frame);
  assert.equal(
    frameFromHex(frame.slice(0, 3) + " " + frame.slice(3)),
    undefined,
    "space in a pair",
  );
  assert.equal(frameFromHex(frame.replace(/^(.{8})/, "$1.")), undefined, "'.' is not allowed");
  assert.equal(frameFromHex(frame + "0"), undefined, "odd trailing digit");
  assert.equal(frameFromHex(frame.slice(0, 26)), undefined, "13 bytes");
  assert.equal(hex(frameFromHex(frame.slice(0, 28))!), frame.slice(0, 28));
  const errors: [string, number | undefined, string][] = [
    ["aabbcc", undefined, "syntax error at aabbcc"],
    [
      "in_port(1),eth_type(0x0001)",
      undefined,
      "invalid Ethertype 1 in flow key; the flow key in error is: in_port(1),eth_type(0x0001)",
    ],
    ["in_port(1),eth_type(0x0800)", 59, "too small packet len"],
    [
      "in_port(1),eth(src=00:00:00:00:00:01,dst=00:00:00:00:00:02),eth_type(0x86dd),ipv6(proto=6,frag=no),tcp()",
      60,
      "",
    ],
  ];
  for (const [text, len, message] of errors) {
    assert.throws(() => frameFromString(text, len), (e: unknown) => {
      assert.ok(e instanceof FrameStringError, text);
      assert.equal(e.message, message);
      return true;
    });
  }
});

testIf(
  needPrograms("ovs-pcap"),
  "ovs-pcap reads what our writer writes",
  async () => {
    const dir = await tempDir();
    try {
      const path = `${dir}/x.pcap`;
      const w = PcapWriter.open(path, "write");
      w.write(tcp4Frame());
      w.write(udp4Frame());
      w.close();
      const out = await run("ovs-pcap", [path]);
      assert.equal(out.code, 0, out.stderr);
      assert.equal(out.stdout, `${hex(tcp4Frame())}\n${hex(udp4Frame())}\n`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

testIf(REAL_OVS, "the real switch's tx_pcap starts with our global header", async () => {
  const sw = await startRealSwitch();
  try {
    await sw.ofctl("add-flow", "br0", "in_port=1,actions=output:2");
    await sw.appctl("netdev-dummy/receive", "p1", hex(udp4Frame()));
    const follower = new PcapFollower(`${sw.dir}/p2-tx.pcap`);
    const deadline = Date.now() + 5000;
    let records = follower.poll();
    while (!records.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      records = follower.poll();
    }
    assert.deepEqual(records.map((r) => hex(r.frame)), [hex(udp4Frame())]);
    const head = (await Deno.readFile(`${sw.dir}/p2-tx.pcap`)).subarray(0, 24);
    assert.equal(hex(head), hex(pcapGlobalHeader()));
  } finally {
    await sw.stop();
  }
});
