import { testIf } from "../support/skip.ts";
import {
  assertNoMismatches,
  compareScript,
  ERROR_STEPS,
  FLOW_STEPS,
  ONCE_STEPS,
  REAL_SWITCH,
  startRealSwitch,
  SWITCH_STEPS,
} from "./ofctl_fixture.ts";

testIf(
  REAL_SWITCH,
  "ovs-ofctl answers as the real one against the real switch in OpenFlow 1.0: switch, port, table, flow, group, meter and TLV commands, and its errors",
  async () => {
    const sw = await startRealSwitch();
    try {
      const mismatches: string[] = [];
      mismatches.push(...await compareScript(sw, [], SWITCH_STEPS));
      mismatches.push(...await compareScript(sw, [], FLOW_STEPS));
      mismatches.push(...await compareScript(sw, [], ONCE_STEPS));
      mismatches.push(...await compareScript(sw, [], ERROR_STEPS));
      assertNoMismatches(mismatches);
    } finally {
      await sw.stop();
    }
  },
);
