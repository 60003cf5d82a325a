// Bounded fuzzing of the OpenFlow message decoders and printer: random and mutated messages
// (bit flips, truncations, patched length fields, spliced bodies, random types and vendor
// subtypes) must make the decoders throw nothing but OfpError and ofp-print throw nothing at
// all. Seeded, so a failure reproduces; about two seconds.

import assert from "node:assert/strict";
import { OfpError } from "../../core/ofproto/errors.ts";
import { ofpToString } from "../../core/ofproto/msg/print.ts";
import { pullRaw } from "../../core/ofproto/msg/raw.ts";
import { decodeFlowMod } from "../../core/ofproto/msg/flow_mod.ts";
import { decodePacketIn, decodePacketOut } from "../../core/ofproto/msg/packet.ts";
import { decodeGroupMod } from "../../core/ofproto/msg/group.ts";
import { decodeFlowRemoved } from "../../core/ofproto/msg/monitor.ts";
import { decodeFlowStatsReply, decodeFlowStatsRequest } from "../../core/ofproto/msg/flow_stats.ts";
import { decodeFeaturesReply } from "../../core/ofproto/msg/switch.ts";
import { decodePortStatus } from "../../core/ofproto/msg/port.ts";
import { decodeTableFeatures } from "../../core/ofproto/msg/table.ts";
import { decodeMeterMod } from "../../core/ofproto/msg/meter.ts";
import { decodeAsyncConfig } from "../../core/ofproto/msg/connection.ts";
import { decodeBundleAdd } from "../../core/ofproto/msg/bundle.ts";
import { decodeCtFlush } from "../../core/ofproto/msg/ct.ts";
import { decodeErrorMessage } from "../../core/ofproto/ofp_errors.ts";
import { samples } from "./msg_samples.ts";
import { bytesToHex } from "./msg_support.ts";

/** xorshift32: a small seeded generator. */
class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0 || 1;
  }
  next(): number {
    let x = this.#s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#s = x >>> 0;
    return this.#s;
  }
  below(n: number): number {
    return this.next() % n;
  }
}

function setLength(msg: Uint8Array, len: number): void {
  if (msg.length >= 4) {
    msg[2] = (len >> 8) & 0xff;
    msg[3] = len & 0xff;
  }
}

function mutate(rng: Rng, seeds: Uint8Array[]): Uint8Array {
  const base = seeds[rng.below(seeds.length)]!;
  let m = base.slice();
  switch (rng.below(7)) {
    case 0: // flip bits
      for (let i = rng.below(4) + 1; i > 0 && m.length; i--) {
        m[rng.below(m.length)]! ^= 1 << rng.below(8);
      }
      break;
    case 1: // truncate, header length following
      m = m.slice(0, rng.below(m.length + 1));
      setLength(m, m.length);
      break;
    case 2: // truncate, header length left alone
      m = m.slice(0, rng.below(m.length + 1));
      break;
    case 3: { // random bytes in the body
      for (let i = rng.below(8) + 1; i > 0 && m.length > 8; i--) {
        m[8 + rng.below(m.length - 8)] = rng.below(256);
      }
      break;
    }
    case 4: { // a 16-bit field somewhere set to an extreme
      if (m.length > 9) {
        const at = 8 + rng.below(m.length - 9);
        const v = [0, 1, 7, 8, 0xff, 0xfff8, 0xffff][rng.below(7)]!;
        m[at] = v >> 8;
        m[at + 1] = v & 0xff;
      }
      break;
    }
    case 5: { // another message's body after this header
      const other = seeds[rng.below(seeds.length)]!;
      const n = new Uint8Array(Math.min(0xffff, 8 + Math.max(0, other.length - 8)));
      n.set(m.subarray(0, 8));
      n.set(other.subarray(8, 8 + n.length - 8), 8);
      setLength(n, n.length);
      m = n;
      break;
    }
    default: { // random type and version, random body
      const len = 16 + rng.below(120);
      m = new Uint8Array(len);
      for (let i = 0; i < len; i++) m[i] = rng.below(256);
      m[0] = 1 + rng.below(6);
      m[1] = rng.below(40);
      if (rng.below(3) === 0) {
        m[1] = 4;
        m.set([0, 0, 0x23, 0x20, 0, 0, 0, rng.below(40)], 8);
      }
      setLength(m, len);
    }
  }
  return m;
}

const DECODERS: ((m: Uint8Array) => unknown)[] = [
  pullRaw,
  (m) => decodeFlowMod(m),
  (m) => decodePacketIn(m),
  decodePacketOut,
  decodeGroupMod,
  decodeFlowRemoved,
  (m) => decodeFlowStatsReply(m),
  decodeFlowStatsRequest,
  decodeFeaturesReply,
  decodePortStatus,
  (m) => decodeTableFeatures(m),
  decodeMeterMod,
  (m) => decodeAsyncConfig(m, false),
  decodeBundleAdd,
  decodeCtFlush,
  decodeErrorMessage,
];

Deno.test("random and mutated messages make decoders throw only OfpError and ofp-print never throw", () => {
  const seeds = samples().map((s) => s.bytes);
  const rng = new Rng(0x5eed1234);
  const deadline = performance.now() + 2000;
  let n = 0;
  let decodeErrors = 0;
  while (performance.now() < deadline) {
    const m = mutate(rng, seeds);
    n++;
    for (const verbosity of [1, 3]) {
      try {
        ofpToString(m, { verbosity });
      } catch (e) {
        assert.fail(`ofp-print threw ${(e as Error).stack} for ${bytesToHex(m)}`);
      }
    }
    const decode = DECODERS[rng.below(DECODERS.length)]!;
    try {
      decode(m);
    } catch (e) {
      if (!(e instanceof OfpError)) {
        assert.fail(`decoder threw ${(e as Error).stack} for ${bytesToHex(m)}`);
      }
      decodeErrors++;
    }
  }
  assert.ok(n > 500, `only ${n} messages tried`);
  assert.ok(decodeErrors > 0);
});
