// Groups, meters and patch ports on both switches: every group type with its statistics (and a
// fast-failover group that follows port liveness), group deletion taking its flows along, meters
// whose drop bands show in meter-stats and in what reaches the wire, and two bridges joined by
// patch ports (one datapath, counters on the patch netdevs, dpif/show). See
// scenario_support.ts for what is compared.

import { testIf } from "../support/skip.ts";
import { REAL_OVS } from "../support/switch.ts";
import { compareScenario, expectOutput, icmpFlow } from "./scenario_support.ts";

const receive = (port: number, flow: string) => `ovs-appctl netdev-dummy/receive p${port} ${flow}`;
const M9 = "50:54:00:00:00:09";
const to = (n: number) => `50:54:00:00:00:0${n}`;

testIf(
  REAL_OVS,
  "all, select, indirect and fast-failover groups forward and count as the real switch's",
  async () => {
    const r = await compareScenario({
      steps: [
        "ovs-vsctl set interface p2 options:tx_pcap=$DIR/p2.pcap " +
        "-- set interface p3 options:tx_pcap=$DIR/p3.pcap",
        // A catch-all, so no table miss (whose packet-in depends on which ovs-ofctl is still
        // connected when upstream's revalidator runs, a race) follows the group deletion.
        "ovs-ofctl -O OpenFlow13 add-flow br0 priority=0,actions=drop",
        "ovs-ofctl -O OpenFlow13 add-group br0 group_id=1,type=all,bucket=output:2,bucket=output:3",
        // Hashing on chosen fields is done in the slow path, so the bucket is predictable.
        "ovs-ofctl -O OpenFlow15 add-group br0 group_id=2,type=select,selection_method=hash," +
        "fields(eth_src),bucket=bucket_id:5,weight:10,actions=output:2,bucket=bucket_id:6,weight:10,actions=output:3",
        "ovs-ofctl -O OpenFlow13 add-group br0 group_id=3,type=indirect,bucket=output:3",
        "ovs-ofctl -O OpenFlow13 add-group br0 group_id=4,type=fast_failover," +
        "bucket=watch_port:2,output:2,bucket=watch_port:3,output:3",
        "ovs-ofctl -O OpenFlow13 add-group br0 group_id=5,type=all,bucket=group:3,bucket=mod_vlan_vid:9,output:2",
        ...[1, 2, 3, 4, 5].map((g) =>
          `ovs-ofctl -O OpenFlow13 add-flow br0 in_port=1,dl_dst=${to(g)},actions=group:${g}`
        ),
        receive(1, icmpFlow(1, M9, to(1))),
        receive(1, icmpFlow(1, M9, to(2))),
        receive(1, icmpFlow(1, M9, to(2))),
        receive(1, icmpFlow(1, M9, to(3))),
        receive(1, icmpFlow(1, M9, to(4))),
        receive(1, icmpFlow(1, M9, to(5))),
        "ovs-appctl ofproto/trace br0 in_port=1,dl_src=50:54:00:00:00:09,dl_dst=50:54:00:00:00:02",
        // Fast failover moves to the next live bucket once p2 goes down.
        "ovs-appctl netdev-dummy/set-admin-state p2 down",
        "ovs-appctl revalidator/wait",
        "ovs-appctl ofproto/trace br0 in_port=1,dl_dst=50:54:00:00:00:04",
        receive(1, icmpFlow(1, M9, to(4))),
        "ovs-appctl revalidator/wait",
        "!sort ovs-ofctl -O OpenFlow13 dump-group-stats br0",
        "!sort ovs-ofctl -O OpenFlow15 dump-group-stats br0",
        "!sort ovs-ofctl -O OpenFlow13 dump-groups br0",
        "!sort ovs-ofctl -O OpenFlow15 dump-groups br0",
        "!sort ovs-ofctl -O OpenFlow13 dump-groups br0 3",
        "ovs-appctl dpctl/dump-flows",
        "ovs-ofctl -O OpenFlow13 dump-flows br0",
        "pcap $DIR/p2.pcap",
        "pcap $DIR/p3.pcap",
        // Deleting a group deletes the flows that use it; a missing group is refused.
        "ovs-ofctl -O OpenFlow13 del-groups br0 group_id=1",
        "ovs-ofctl -O OpenFlow13 dump-flows br0",
        "ovs-ofctl -O OpenFlow13 add-flow br0 actions=group:77",
        "ovs-ofctl -O OpenFlow13 add-group br0 group_id=3,type=all,bucket=output:1",
        "ovs-ofctl -O OpenFlow13 mod-group br0 group_id=3,type=all,bucket=output:1,bucket=output:2",
        "!sort ovs-ofctl -O OpenFlow13 dump-groups br0 3",
        "ovs-appctl revalidator/wait",
        "ovs-appctl dpctl/dump-flows",
        "ovs-ofctl -O OpenFlow13 dump-group-features br0",
      ],
    });
    expectOutput(r, "set-admin-state p2 down", /OK/);
    expectOutput(r, "trace br0 in_port=1,dl_dst=50:54:00:00:00:04", /not live due to port 2/);
  },
);

testIf(
  REAL_OVS,
  "meters drop beyond their rate under time/warp and meter-stats counts it as the real switch does",
  async () => {
    const r = await compareScenario({
      steps: [
        "ovs-vsctl set interface p2 options:tx_pcap=$DIR/p2.pcap",
        "ovs-appctl time/stop",
        "ovs-ofctl -O OpenFlow13 add-meter br0 meter=1,pktps,band=type=drop,rate=1",
        "ovs-ofctl -O OpenFlow13 add-meter br0 meter=2,kbps,burst,stats,band=type=drop,rate=10,burst_size=20",
        "ovs-ofctl -O OpenFlow13 add-flow br0 in_port=1,actions=meter:1,output:2",
        "ovs-ofctl -O OpenFlow13 add-flow br0 in_port=3,actions=meter:2,output:2",
        "ovs-ofctl -O OpenFlow13 add-flow br0 in_port=2,actions=meter:9,output:1",
        // A catch-all: a table miss after the meter's flows go would race (see above).
        "ovs-ofctl -O OpenFlow13 add-flow br0 priority=0,actions=drop",
        ...[1, 1, 1, 1, 3, 3, 3, 3].map((p) => receive(p, icmpFlow(p, to(p), to(2)))),
        "ovs-appctl time/warp 1000",
        receive(1, icmpFlow(1, to(1), to(2))),
        "ovs-appctl time/warp 1000",
        "ovs-appctl dpctl/dump-flows",
        "!exact ovs-ofctl -O OpenFlow13 meter-stats br0",
        "ovs-ofctl -O OpenFlow13 dump-meters br0",
        "ovs-ofctl -O OpenFlow13 dump-meters br0 meter=2",
        "ovs-ofctl -O OpenFlow13 meter-features br0",
        "ovs-ofctl -O OpenFlow13 dump-flows br0",
        "ovs-ofctl dump-ports br0 2",
        "ovs-ofctl -O OpenFlow13 mod-meter br0 meter=1,pktps,band=type=drop,rate=100",
        "ovs-ofctl -O OpenFlow13 dump-meters br0 meter=1",
        "ovs-ofctl -O OpenFlow13 add-meter br0 meter=1,pktps,band=type=drop,rate=100",
        "ovs-ofctl -O OpenFlow13 del-meter br0 meter=1",
        "ovs-ofctl -O OpenFlow13 dump-flows br0",
        "ovs-appctl revalidator/wait",
        "ovs-appctl dpctl/dump-flows",
        "pcap $DIR/p2.pcap",
      ],
    });
    expectOutput(r, "meter-stats", /meter:1 flow_count:1 packet_in_count:5 byte_in_count:530/);
    expectOutput(r, "meter-stats", /0: packet_count:3 byte_count:318/);
  },
);

testIf(
  REAL_OVS,
  "patch ports join two bridges in one datapath, translate across and count on both patch netdevs",
  async () => {
    const r = await compareScenario({
      steps: [
        "ovs-vsctl add-br br1 -- set bridge br1 datapath-type=dummy fail-mode=secure " +
        "other-config:datapath-id=0000000000000001 " +
        "-- add-port br0 patch0 -- set interface patch0 type=patch options:peer=patch1 ofport_request=10 " +
        "-- add-port br1 patch1 -- set interface patch1 type=patch options:peer=patch0 ofport_request=20 " +
        "-- add-port br1 q1 -- set interface q1 type=dummy ofport_request=1 options:tx_pcap=$DIR/q1.pcap",
        "ovs-ofctl add-flow br0 in_port=1,actions=output:10",
        "ovs-ofctl add-flow br1 in_port=20,actions=mod_vlan_vid:7,output:1",
        "ovs-ofctl add-flow br1 in_port=1,actions=output:20",
        "ovs-ofctl add-flow br0 in_port=10,actions=output:2",
        "ovs-appctl dpif/show",
        "!nomac ovs-ofctl show br1",
        "ovs-appctl ofproto/trace br0 in_port=1,dl_src=50:54:00:00:00:01,dl_dst=50:54:00:00:00:02",
        receive(1, icmpFlow(1, to(1), to(2))),
        "ovs-appctl netdev-dummy/receive q1 " + icmpFlow(4, to(5), to(2)),
        "ovs-appctl dpctl/dump-flows",
        "ovs-appctl dpif/dump-flows br0",
        "ovs-appctl dpif/dump-flows br1",
        "ovs-appctl revalidator/wait",
        receive(1, icmpFlow(1, to(1), to(2))),
        "ovs-appctl revalidator/wait",
        "ovs-ofctl dump-flows br1",
        "ovs-ofctl dump-ports br1",
        "ovs-ofctl dump-ports br0 10",
        "ovs-appctl dpctl/show",
        "ovs-appctl dpctl/show -s",
        "ovs-appctl dpif/dump-dps",
        "ovs-appctl ofproto/list",
        "pcap $DIR/q1.pcap",
        // A patch port without a live peer drops what is sent to it.
        "ovs-vsctl set interface patch1 options:peer=nobody",
        "ovs-appctl ofproto/trace br0 in_port=1,dl_src=50:54:00:00:00:01,dl_dst=50:54:00:00:00:02",
        "ovs-vsctl set interface patch1 options:peer=patch0",
        "ovs-appctl ofproto/trace br0 in_port=1,dl_src=50:54:00:00:00:01,dl_dst=50:54:00:00:00:02",
        "ovs-vsctl del-port br1 patch1",
        "ovs-appctl ofproto/trace br0 in_port=1,dl_src=50:54:00:00:00:01,dl_dst=50:54:00:00:00:02",
        "ovs-appctl dpif/show",
      ],
    });
    expectOutput(r, 5, /patch0 10\/none: \(patch: peer=patch1\)/);
    expectOutput(r, "dump-ports br0 10", /port 10: rx pkts=1, bytes=106.*\n.*tx pkts=2, bytes=212/);
  },
);
