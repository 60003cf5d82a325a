// Differential test of translation: every scenario is built both in the in-memory fixture and in
// the real `ovs-vswitchd --enable-dummy` (same bridges, ports, flows, groups), and every
// `ovs-appctl ofproto/trace` the scenario lists must give our trace's exact text — flow, rule
// and action notes, final flow, megaflow, datapath actions, errors. One daemon serves all
// scenarios (each rebuilds its bridges), and both sides keep one recirculation-ID table, so
// recirc ids printed by conntrack and controller actions line up.

import assert from "node:assert/strict";
import { RecircTable } from "../../core/ofproto/xlate/rid.ts";
import { needPrograms, testIf } from "../support/skip.ts";
import { FixtureTraceHost } from "./xlate_fixture.ts";
import { RealSwitch } from "./xlate_real.ts";
import {
  buildFixture,
  fixtureTrace,
  SCENARIOS,
  withRecircId,
  type XScenario,
} from "./xlate_scenarios.ts";
import { SCENARIOS2 } from "./xlate_scenarios2.ts";
import { SCENARIOS3 } from "./xlate_scenarios3.ts";
import { SCENARIOS4 } from "./xlate_scenarios4.ts";

const ALL: XScenario[] = [...SCENARIOS, ...SCENARIOS2, ...SCENARIOS3, ...SCENARIOS4];

/** unixctl ends a reply with a newline when the text has none. */
function asReply(text: string): string {
  return text.endsWith("\n") ? text : text + "\n";
}

testIf(
  needPrograms("ovsdb-server", "ovs-vswitchd", "ovs-vsctl", "ovs-ofctl", "ovs-appctl"),
  "xlate: ofproto/trace output equals the real ovs-vswitchd's for every scenario",
  async (t) => {
    const real = await RealSwitch.start();
    const recirc = new RecircTable();
    try {
      for (const s of ALL) {
        await t.step(s.name, async () => {
          await real.build(s);
          const host = new FixtureTraceHost(buildFixture(s, recirc, real.mirrorOrder));
          let previous = "";
          for (const given of s.traces) {
            const args = withRecircId(given, previous);
            // The daemon forgets released recirculation IDs as time passes; so does the table.
            recirc.run(performance.now());
            const theirs = await real.trace(args);
            previous = theirs.text;
            const ours = fixtureTrace(host, args);
            const text = ours.ok ? ours.text : ours.error;
            assert.equal(ours.ok, theirs.ok, `ofproto/trace ${args.join(" ")}: ${text}`);
            assert.equal(asReply(text), theirs.text, `ofproto/trace ${args.join(" ")}`);
          }
        });
      }
    } finally {
      await real.stop();
    }
  },
);
