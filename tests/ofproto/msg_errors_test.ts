// The OpenFlow error table (core/ofproto/ofp_errors.ts) against the real ovs-ofctl: every error
// name carries the vendor, type and code `ovs-ofctl print-error` reports for every version, and
// the error message we encode for it (with the offending request inside) prints as ovs-ofctl
// prints it; decoding maps every carried triplet back to its name.

import assert from "node:assert/strict";
import { vlogSetConsoleEnabled } from "../../core/net/vlog.ts";
import {
  decodeErrorMessage,
  encodeErrorMessage,
  encodeErrorReply,
  errorDomainName,
  errorFromTriplet,
  errorNames,
  errorTriplet,
  isErrorName,
} from "../../core/ofproto/ofp_errors.ts";
import { encodeEchoRequest } from "../../core/ofproto/msg/hello.ts";
import { ofpToString } from "../../core/ofproto/msg/print.ts";
import { testIf } from "../support/skip.ts";
import { NEED_OFCTL, realOfpParse, runOfctlMany } from "./msg_support.ts";

vlogSetConsoleEnabled(false);

const hexAlt = (v: number) => (v ? `0x${v.toString(16)}` : "0");

testIf(
  NEED_OFCTL,
  "every error's vendor, type and code per version are what print-error says",
  async () => {
    const names = errorNames();
    assert.ok(names.length > 150);
    const real = await runOfctlMany([], names.map((n) => ["print-error", n]));
    const failures: string[] = [];
    names.forEach((name, i) => {
      let ours = "";
      for (let v = 1; v <= 6; v++) {
        const t = errorTriplet(name, v);
        if (t) {
          ours += `${errorDomainName(v)}: vendor ${
            hexAlt(t.vendor)
          }, type ${t.type}, code ${t.code}\n`;
        }
      }
      if (ours !== real[i]!.stdout) {
        failures.push(`${name}\nreal:\n${real[i]!.stdout}ours:\n${ours}`);
      }
    });
    assert.deepEqual(failures, []);
  },
);

testIf(NEED_OFCTL, "every error message we encode prints as ovs-ofctl prints it", async () => {
  const cases: { name: string; msg: Uint8Array }[] = [];
  for (const name of errorNames()) {
    for (const v of [1, 2, 3, 4, 5, 6]) {
      if (!errorTriplet(name, v)) continue;
      const request = encodeEchoRequest(v, 0x42, new Uint8Array([1, 2, 3]));
      cases.push({ name: `${name} v${v}`, msg: encodeErrorReply(name, request) });
    }
  }
  const real = await realOfpParse(cases.map((c) => c.msg));
  const failures: string[] = [];
  cases.forEach((c, i) => {
    const ours = ofpToString(c.msg, { verbosity: 2 });
    if (ours !== real[i]!) {
      failures.push(`${c.name}\nreal:\n${real[i]!}ours:\n${ours}`);
    }
  });
  assert.deepEqual(failures, [], `${failures.length} of ${cases.length}`);
});

Deno.test("every error a version can carry decodes back to its name", () => {
  for (const name of errorNames()) {
    assert.ok(isErrorName(name));
    for (let v = 1; v <= 6; v++) {
      const t = errorTriplet(name, v);
      if (!t) continue;
      const back = errorFromTriplet(v, t.vendor, t.type, t.code);
      // Some names share a triplet with an earlier one in a version; the first one wins.
      assert.ok(back !== undefined, `${name} in ${v}`);
      assert.deepEqual(errorTriplet(back, v), t);
      const msg = encodeErrorMessage(name, v, 7, new Uint8Array(8));
      assert.equal(decodeErrorMessage(msg)?.name, back, `${name} in ${v}`);
    }
  }
  assert.equal(isErrorName("OFPBRC_NOT_AN_ERROR"), false);
});
