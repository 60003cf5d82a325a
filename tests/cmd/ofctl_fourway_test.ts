// ovs-ofctl four ways: the real ovs-ofctl against the real switch is the reference; the real
// ovs-ofctl against our switch and our ovs-ofctl against our switch must print the same, step by
// step (durations and ages masked; hash-ordered dumps compared sorted). Our ovs-ofctl against the
// real switch is ofctl_test.ts's. The steps are the shared scripts of ofctl_fixture.ts, run in
// OpenFlow 1.0 (the default), 1.3 and 1.5.

import assert from "node:assert/strict";
import type { RunResult } from "../support/run.ts";
import { testIf } from "../support/skip.ts";
import { addPorts, REAL_OVS, startSwitch, type Switch } from "../support/switch.ts";
import { FLOW_STEPS, maskTimes, ONCE_STEPS, type Step, SWITCH_STEPS } from "./ofctl_fixture.ts";

/** Puts a switch back where every script starts (as ofctl_fixture.ts's reset does). */
async function reset(sw: Switch): Promise<void> {
  for (
    const args of [
      ["-O", "OpenFlow15", "del-flows", "br0"],
      ["-O", "OpenFlow15", "del-groups", "br0"],
      ["-O", "OpenFlow15", "del-meters", "br0"],
      ["set-frags", "br0", "normal"],
      ["mod-port", "br0", "p1", "up"],
      ["mod-port", "br0", "p1", "flood"],
      ["-O", "OpenFlow14", "mod-table", "br0", "all", "noevict"],
      ["-O", "OpenFlow12", "mod-table", "br0", "all", "controller"],
    ]
  ) {
    const result = await sw.tool("ovs-ofctl", args);
    assert.equal(result.code, 0, `${sw.which}: ${args.join(" ")}: ${result.stderr}`);
  }
}

async function play(sw: Switch, ours: boolean, options: string[], steps: Step[]) {
  await reset(sw);
  const out: RunResult[] = [];
  for (const step of steps) {
    const args = [...options, ...step.args];
    out.push(await sw.tool("ovs-ofctl", args, ours ? { ours: true } : {}));
  }
  return out;
}

function compare(
  label: string,
  options: string[],
  steps: Step[],
  reference: RunResult[],
  other: RunResult[],
): string[] {
  const mismatches: string[] = [];
  steps.forEach((step, i) => {
    const what = `${label}: ovs-ofctl ${[...options, ...step.args].join(" ")}`;
    const a = reference[i]!;
    const b = other[i]!;
    for (const stream of ["stdout", "stderr"] as const) {
      const normal = (text: string) => {
        const masked = maskTimes(text);
        return step.unordered ? masked.split("\n").sort().join("\n") : masked;
      };
      if (normal(a[stream]) !== normal(b[stream])) {
        mismatches.push(`${what}: ${stream}\n--- reference\n${a[stream]}--- this\n${b[stream]}`);
      }
    }
    if (a.code !== b.code) mismatches.push(`${what}: exit ${b.code}, reference ${a.code}`);
  });
  return mismatches;
}

for (
  const [name, options] of [
    ["OpenFlow 1.0", []],
    ["OpenFlow 1.3", ["-O", "OpenFlow13"]],
    ["OpenFlow 1.5", ["-O", "OpenFlow15"]],
  ] as const
) {
  testIf(
    REAL_OVS,
    `the real and our ovs-ofctl against our switch print what the real pair prints (${name})`,
    async () => {
      // Each pairing gets its own fresh switch and plays every script in the same order, so
      // packet and flow counters match step for step.
      const real = await startSwitch("real", addPorts("br0", 1, 2, 3));
      const oursByReal = await startSwitch("ours", addPorts("br0", 1, 2, 3));
      const oursByOurs = await startSwitch("ours", addPorts("br0", 1, 2, 3));
      try {
        const mismatches: string[] = [];
        for (const steps of [SWITCH_STEPS, FLOW_STEPS, ONCE_STEPS]) {
          const opts = [...options];
          const reference = await play(real, false, opts, steps);
          const byReal = await play(oursByReal, false, opts, steps);
          const byOurs = await play(oursByOurs, true, opts, steps);
          mismatches.push(...compare("real→ours", opts, steps, reference, byReal));
          mismatches.push(...compare("ours→ours", opts, steps, reference, byOurs));
        }
        assert.deepEqual(mismatches.map((m) => m.split("\n")[0]), [], mismatches.join("\n"));
      } finally {
        await oursByOurs.stop();
        await oursByReal.stop();
        await real.stop();
      }
    },
  );
}
