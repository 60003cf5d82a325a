import { testIf } from "../support/skip.ts";
import {
  assertNoMismatches,
  compareScript,
  FLOW_STEPS,
  REAL_SWITCH,
  startRealSwitch,
  SWITCH_STEPS,
} from "./ofctl_fixture.ts";

testIf(
  REAL_SWITCH,
  "ovs-ofctl -O OpenFlow13 answers as the real one against the real switch: switch, port, flow, group and meter commands",
  async () => {
    const sw = await startRealSwitch();
    try {
      const options = ["-O", "OpenFlow13"];
      assertNoMismatches([
        ...await compareScript(sw, options, SWITCH_STEPS),
        ...await compareScript(sw, options, FLOW_STEPS),
      ]);
    } finally {
      await sw.stop();
    }
  },
);
