// Round trips of the OpenFlow message models: every sample model encoded for every version that
// has its message decodes back to the same model (or, where decoding completes a model with
// defaults, re-encodes to the same bytes); multipart replies too large for one message split as
// upstream splits them and reassemble to the same elements.

import assert from "node:assert/strict";
import { parseMatch } from "../../core/ofproto/match_text.ts";
import { parseActionList } from "../../core/ofproto/msg/ofpacts.ts";
import {
  appendFlowStats,
  decodeFlowStatsReply,
  encodeFlowStatsRequest,
  type FlowStats,
} from "../../core/ofproto/msg/flow_stats.ts";
import { MultipartReply } from "../../core/ofproto/msg/multipart.ts";
import { multipartMore, OFP_MAX_MSG_LEN, pullRaw } from "../../core/ofproto/msg/raw.ts";
import { protocolFromVersion } from "../../core/ofproto/msg/protocol.ts";
import { P_OF10_NXM, P_OF10_STD } from "../../core/ofproto/protocols.ts";
import { OFPG_ANY } from "../../core/ofproto/msg/group_stats.ts";
import { bytesToHex } from "./msg_support.ts";
import { samples } from "./msg_samples.ts";

const all = samples();

Deno.test("every sample message decodes back to the model it was encoded from", () => {
  let checked = 0;
  for (const s of all) {
    if (s.decode && s.model !== undefined) {
      assert.deepStrictEqual(s.decode(s.bytes), s.model, s.name);
      checked++;
    }
    if (s.reencode) {
      assert.equal(bytesToHex(s.reencode(s.bytes)), bytesToHex(s.bytes), s.name);
      checked++;
    }
  }
  assert.ok(checked > 200, `only ${checked} round trips`);
});

Deno.test("the samples cover every message family in every version that has it", () => {
  const names = new Set(all.map((s) => s.name));
  const everyVersion = [
    "hello",
    "echo request",
    "features reply",
    "set config",
    "packet in standard",
    "packet in nxt_packet_in2",
    "port status",
    "port mod",
    "packet out",
    "group mod",
    "flow stats request",
    "flow stats reply",
    "aggregate stats reply",
    "port stats reply",
    "queue stats reply",
    "group stats reply",
    "group desc reply",
    "desc stats reply",
    "ct flush",
    "tlv table mod",
  ];
  for (let v = 1; v <= 6; v++) {
    for (const n of everyVersion) assert.ok(names.has(`${n} OF1.${v - 1}`), `${n} OF1.${v - 1}`);
  }
  for (let v = 4; v <= 6; v++) {
    for (const n of ["meter mod", "role status", "set async", "bundle ctrl", "bundle add"]) {
      assert.ok(names.has(`${n} OF1.${v - 1}`), `${n} OF1.${v - 1}`);
    }
  }
  for (const p of ["OpenFlow10-table_id", "OpenFlow10+table_id", "NXM-table_id", "NXM+table_id"]) {
    assert.ok(names.has(`flow mod 0 ${p}`), p);
  }
});

function bigFlow(i: number): FlowStats {
  return {
    match: parseMatch(`tcp,in_port=${(i % 100) + 1},nw_src=10.0.${i >> 8 & 255}.${i & 255}`),
    cookie: BigInt(i),
    tableId: 0,
    durationSec: i,
    durationNsec: 0,
    priority: 1000 + (i % 50),
    idleTimeout: 0,
    hardTimeout: 0,
    idleAge: -1,
    hardAge: -1,
    packetCount: BigInt(i * 3),
    byteCount: BigInt(i * 300),
    flags: 0,
    importance: 0,
    ofpacts: parseActionList(`output:${(i % 7) + 1},output:${(i % 5) + 10}`).ofpacts,
  };
}

Deno.test("a flow dump too large for one message splits into parts of at most 64 kB", () => {
  const flows = Array.from({ length: 1400 }, (_, i) => bigFlow(i));
  for (const [version, protocol] of [[1, P_OF10_STD], [1, P_OF10_NXM], [4, 0], [6, 0]] as const) {
    const p = protocol || protocolFromVersion(version);
    const request = encodeFlowStatsRequest(
      {
        aggregate: false,
        match: parseMatch(""),
        cookie: 0n,
        cookieMask: 0n,
        outPort: 0xffff,
        outGroup: OFPG_ANY,
        tableId: 0xff,
      },
      p,
      77,
    );
    const reply = new MultipartReply(request);
    for (const f of flows) appendFlowStats(reply, f);
    const parts = reply.finish();
    assert.ok(parts.length >= 2, `${parts.length} parts`);
    const decoded: FlowStats[] = [];
    parts.forEach((part, i) => {
      assert.ok(part.length <= OFP_MAX_MSG_LEN);
      assert.equal((part[2]! << 8) | part[3]!, part.length);
      assert.equal(pullRaw(part).xid, 77);
      assert.equal(multipartMore(part), i < parts.length - 1, `MORE flag of part ${i}`);
      decoded.push(...decodeFlowStatsReply(part));
    });
    assert.equal(decoded.length, flows.length);
    decoded.forEach((d, i) => {
      assert.equal(d.cookie, flows[i]!.cookie);
      assert.equal(d.packetCount, flows[i]!.packetCount);
      assert.deepEqual(d.ofpacts, flows[i]!.ofpacts);
    });
    // Each part but the last is full: the next flow would not have fitted.
    for (let i = 0; i + 1 < parts.length; i++) {
      assert.ok(parts[i]!.length > OFP_MAX_MSG_LEN - 200, `part ${i} is ${parts[i]!.length}`);
    }
  }
});
