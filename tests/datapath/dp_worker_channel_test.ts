// The datapath Worker's channel: rings keep records whole and in order across wrap-around and
// refuse what does not fit; plain data round-trips every shape commands carry.

import assert from "node:assert/strict";
import { Channel, PlainReader, PlainWriter, Ring } from "../../core/datapath/dp_worker_channel.ts";

function ring(capacity: number): Ring {
  const buffer = new SharedArrayBuffer(64 + capacity);
  return new Ring(new Int32Array(buffer, 0, 16), 0, 1, buffer, 64, capacity);
}

function readAll(r: Ring): number[][] {
  const out: number[][] = [];
  for (;;) {
    const at = r.peek();
    if (at < 0) return out;
    out.push([...r.bytes.subarray(at, at + r.recordLength)]);
    r.advance();
  }
}

Deno.test("a ring delivers records whole and in order through many wrap-arounds", () => {
  const r = ring(256);
  let next = 0;
  let expected = 0;
  for (let round = 0; round < 2000; round++) {
    // Odd sizes exercise padding and the wrap marker.
    const size = 1 + ((round * 37) % 61);
    const payload = Uint8Array.from({ length: size }, (_, i) => (next + i) & 0xff);
    if (r.write(payload)) next++;
    if (round % 3 === 0) {
      for (const record of readAll(r)) {
        assert.equal(record[0], expected & 0xff);
        for (let i = 1; i < record.length; i++) assert.equal(record[i], (expected + i) & 0xff);
        expected++;
      }
    }
  }
  for (const _ of readAll(r)) expected++;
  assert.equal(expected, next);
  assert.ok(next > 1000);
});

Deno.test("a full ring refuses a record instead of overwriting unread ones", () => {
  const r = ring(128);
  let written = 0;
  while (r.write(new Uint8Array(20).fill(written + 1))) written++;
  assert.ok(written >= 4 && written <= 5);
  assert.equal(r.write(new Uint8Array(70)), false, "larger than half the ring");
  const records = readAll(r);
  assert.equal(records.length, written);
  records.forEach((record, i) => assert.ok(record.every((b) => b === i + 1)));
  assert.ok(r.empty);
});

Deno.test("a ring's reserve and commit publish a record written in place", () => {
  const r = ring(128);
  const at = r.reserve(6);
  assert.ok(at >= 0);
  assert.equal(r.peek(), -1, "not visible before commit");
  r.bytes.set([1, 2, 3, 4, 5, 6], at);
  r.commit();
  assert.deepEqual(readAll(r), [[1, 2, 3, 4, 5, 6]]);
});

Deno.test("plain data round-trips the shapes of datapath commands", () => {
  const value = {
    id: 7,
    big: 0x1234567890abcdefn,
    negative: -3,
    fraction: 0.5,
    large: 2 ** 40,
    text: "ufid:0123-ünïcode-" + "x".repeat(80),
    flags: [true, false, null],
    key: Uint32Array.from([0, 1, 0xffffffff]),
    bytes: Uint8Array.from([9, 8, 7]),
    actions: [{ type: "output", port: 2 }, {
      type: "set",
      attr: { name: "ipv4", key: new Uint8Array(12) },
    }],
    labels: { value: -1n, mask: 0n },
    skipped: undefined,
  };
  const w = new PlainWriter();
  w.value(value);
  const copy = new Uint8Array(w.bytes.subarray(0, w.length));
  const decoded = new PlainReader(copy, new DataView(copy.buffer), 0, copy.length).value();
  const { skipped: _, ...rest } = value;
  assert.deepEqual(decoded, rest);
});

Deno.test("plain data refuses a truncated record with a RangeError", () => {
  const w = new PlainWriter();
  w.value({ actions: [{ type: "output", port: 2 }] });
  const cut = w.bytes.slice(0, w.length - 3);
  assert.throws(
    () => new PlainReader(cut, new DataView(cut.buffer), 0, cut.length).value(),
    RangeError,
  );
});

Deno.test("a channel lays its rings and reply area out without overlap", () => {
  const c = Channel.create({ commandBytes: 1024, eventBytes: 2048, replyBytes: 512 });
  assert.ok(c.commands.write(new Uint8Array(100).fill(1)));
  assert.ok(c.events.write(new Uint8Array(100).fill(2)));
  c.reply.fill(3);
  const at = c.commands.peek();
  assert.ok(c.commands.bytes.subarray(at, at + 100).every((b) => b === 1));
  const bt = c.events.peek();
  assert.ok(c.events.bytes.subarray(bt, bt + 100).every((b) => b === 2));
});
