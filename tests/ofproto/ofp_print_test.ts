// ofp-print differential: every hex message in upstream's ofp-print and ofp-errors tests (all
// versions, well-formed and malformed, at the verbosities they use) and every message our
// encoders build decode and print to exactly the text the real `ovs-ofctl ofp-print HEX [V]`
// prints. Plus oracle-free checks of the header and decode-error rules.

import assert from "node:assert/strict";
import { ofpToString } from "../../core/ofproto/msg/print.ts";
import { encodeEchoRequest, encodeHello } from "../../core/ofproto/msg/hello.ts";
import { testIf } from "../support/skip.ts";
import { vlogSetConsoleEnabled } from "../../core/net/vlog.ts";
import {
  hexToBytes,
  NEED_OFCTL,
  needUpstream,
  type OfpPrintCase,
  realOfpParse,
  runOfctlMany,
  upstreamOfpPrintCases,
} from "./msg_support.ts";
import { samples } from "./msg_samples.ts";

vlogSetConsoleEnabled(false);

function cAtoi(s: string): number {
  const m = /^\s*([+-]?\d+)/.exec(s);
  return m ? Number(m[1]) : 0;
}

function diffReport(label: string, expected: string, got: string): string {
  return `${label}\n--- real ovs-ofctl\n${expected}--- ours\n${got}`;
}

testIf(
  needUpstream("ofp-print.at", "ofp-errors.at"),
  "every ofp-print case of upstream's tests prints as the real ovs-ofctl prints it",
  async () => {
    const cases = upstreamOfpPrintCases();
    assert.ok(cases.length >= 250, `only ${cases.length} cases found`);
    // Whole messages at verbosity 2 or 3 go through one ofp-parse; the rest one by one.
    const verbosityOf = (c: OfpPrintCase) => c.verbosity !== undefined ? cAtoi(c.verbosity) : 2;
    const whole = (c: OfpPrintCase) => {
      const b = hexToBytes(c.hex);
      return b.length >= 8 && ((b[2]! << 8) | b[3]!) === b.length;
    };
    const real: string[] = new Array(cases.length);
    for (const v of [2, 3]) {
      const idx = cases.flatMap((c, i) => whole(c) && verbosityOf(c) === v ? [i] : []);
      const texts = await realOfpParse(idx.map((i) => hexToBytes(cases[i]!.hex)), v === 3);
      idx.forEach((i, k) => real[i] = texts[k]!);
    }
    const rest = cases.flatMap((_, i) => real[i] === undefined ? [i] : []);
    const one = await runOfctlMany(
      [],
      rest.map((i) => {
        const c = cases[i]!;
        return ["ofp-print", c.hex, ...(c.verbosity !== undefined ? [c.verbosity] : [])];
      }),
    );
    rest.forEach((i, k) => real[i] = one[k]!.stdout);
    const failures: string[] = [];
    cases.forEach((c, i) => {
      const ours = ofpToString(hexToBytes(c.hex), { verbosity: verbosityOf(c) });
      if (ours !== real[i]) {
        failures.push(diffReport(`${c.title} (${c.hex.slice(0, 40)}...)`, real[i]!, ours));
      }
    });
    assert.deepEqual(failures, [], `${failures.length} of ${cases.length} differ`);
  },
);

testIf(
  NEED_OFCTL,
  "messages built by our encoders print through the real ovs-ofctl as our printer prints them",
  async () => {
    const all = samples();
    assert.ok(all.length > 250);
    const failures: string[] = [];
    for (const [more, verbosity] of [[false, 2], [true, 3]] as const) {
      const real = await realOfpParse(all.map((s) => s.bytes), more);
      all.forEach((s, i) => {
        const ours = ofpToString(s.bytes, { verbosity });
        if (ours !== real[i]) {
          failures.push(diffReport(`${s.name} at verbosity ${verbosity}`, real[i]!, ours));
        }
      });
    }
    assert.deepEqual(failures, [], `${failures.length} differ`);
  },
);

Deno.test("a message of a version other than 1.0 names its version before the xid", () => {
  assert.equal(
    ofpToString(encodeEchoRequest(4, 0x2a)),
    "OFPT_ECHO_REQUEST (OF1.3) (xid=0x2a): 0 bytes of payload\n",
  );
  assert.equal(
    ofpToString(encodeEchoRequest(1, 7)),
    "OFPT_ECHO_REQUEST (xid=0x7): 0 bytes of payload\n",
  );
});

Deno.test("a message too short for its type prints its decode error and a hex dump", () => {
  const text = ofpToString(hexToBytes("0106000c00000001aabbccdd"));
  assert.equal(
    text,
    "***decode error: OFPBRC_BAD_LEN***\n" +
      "00000000  01 06 00 0c 00 00 00 01-aa bb cc dd             |............    |\n",
  );
});

Deno.test("bytes too short for an OpenFlow header print as such", () => {
  const text = ofpToString(encodeHello(0x12, 1).subarray(0, 3));
  assert.ok(text.startsWith("OpenFlow packet too short (only 3 bytes):\n00000000  "), text);
});

Deno.test("a message longer than its header's length prints the unused bytes' note", () => {
  const echo = encodeEchoRequest(1, 1);
  const padded = new Uint8Array(echo.length + 3);
  padded.set(echo);
  const text = ofpToString(padded);
  assert.ok(text.includes("(***only uses 8 bytes out of 11***)"), text);
});
