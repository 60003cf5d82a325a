// The Bridge's flow_tables column on both switches (upstream's bridge_configure_tables): a
// Flow_Table row names a table (dump-tables, dump-table-features), limits its flows (a full table
// refuses with OFPFMFC_TABLE_FULL, or evicts the least important flow with
// overflow_policy=evict), lowering the limit evicts at once, and removing the row restores the
// defaults. The same steps go to our ovs-vswitchd and the real one; outputs must match.

import { testIf } from "../support/skip.ts";
import { REAL_OVS } from "../support/switch.ts";
import { compareScenario, expectOutput } from "./scenario_support.ts";

testIf(
  REAL_OVS,
  "a Flow_Table row names its table and a full table refuses new flows unless it may evict",
  async () => {
    const r = await compareScenario({
      ports: [1, 2],
      steps: [
        "!rc ovs-vsctl -- --id=@t create Flow_Table name=small flow_limit=2 -- set bridge br0 flow_tables:0=@t",
        "ovs-ofctl dump-tables br0",
        "ovs-ofctl add-flow br0 priority=1,in_port=1,actions=2",
        "ovs-ofctl add-flow br0 priority=2,in_port=2,actions=1",
        "ovs-ofctl add-flow br0 priority=3,in_port=3,actions=1",
        "ovs-ofctl dump-flows br0 --no-stats",
        // Modifying a flow in a full table is not adding one.
        "ovs-ofctl add-flow br0 priority=1,in_port=1,actions=drop",
        "ovs-ofctl dump-flows br0 --no-stats",
        "ovs-vsctl set Flow_Table small overflow_policy=evict",
        // Flows that never expire are never evicted, whatever their importance.
        "ovs-ofctl -O OpenFlow14 add-flow br0 importance=5,priority=4,in_port=4,actions=1",
        "ovs-ofctl del-flows br0",
        "ovs-ofctl add-flow br0 hard_timeout=300,priority=1,in_port=1,actions=2",
        "ovs-ofctl add-flow br0 hard_timeout=100,priority=2,in_port=2,actions=1",
        // Full: the flow expiring first goes.
        "ovs-ofctl add-flow br0 priority=3,in_port=3,actions=1",
        "ovs-ofctl dump-flows br0 --no-stats",
        // Importance outranks time left.
        "ovs-ofctl -O OpenFlow14 add-flow br0 importance=5,hard_timeout=10,priority=4,in_port=4,actions=1",
        "ovs-ofctl -O OpenFlow14 dump-flows br0 --no-stats",
        // A lower limit evicts at once.
        "ovs-vsctl set Flow_Table small flow_limit=1",
        "ovs-ofctl -O OpenFlow14 dump-flows br0 --no-stats",
        "ovs-ofctl -O OpenFlow15 dump-table-features br0",
        "ovs-vsctl clear bridge br0 flow_tables",
        "ovs-ofctl dump-tables br0",
        "ovs-ofctl add-flow br0 priority=6,in_port=6,actions=1",
        "ovs-ofctl dump-flows br0 --no-stats",
      ],
    });
    expectOutput(r, 4, /OFPFMFC_TABLE_FULL/);
    expectOutput(r, 1, /table 0 \("small"\)/);
  },
);
