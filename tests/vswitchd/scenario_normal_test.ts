// NORMAL on both switches: MAC learning as fdb/show reports it, flooding and how revalidation
// narrows a flood once the destination is learned, hairpin drops, each VLAN mode's tagging on
// the wire (tx_pcap), MAC aging under time/stop and time/warp, table-size eviction, fdb/flush,
// fdb/add, fdb/del and the statistics commands. See scenario_support.ts for what is compared.

import { testIf } from "../support/skip.ts";
import { REAL_OVS } from "../support/switch.ts";
import { compareScenario, expectOutput, icmpFlow } from "./scenario_support.ts";

const M1 = "50:54:00:00:00:01";
const M2 = "50:54:00:00:00:02";
const M3 = "50:54:00:00:00:03";
const BCAST = "ff:ff:ff:ff:ff:ff";
const receive = (port: number, flow: string) => `ovs-appctl netdev-dummy/receive p${port} ${flow}`;
const pcaps = (...ports: number[]) =>
  ports.map((p) => `-- set interface p${p} options:tx_pcap=$DIR/p${p}.pcap`).join(" ");

testIf(
  REAL_OVS,
  "NORMAL learns sources, floods unknown destinations, and a learned MAC narrows the cached flood",
  async () => {
    const r = await compareScenario({
      steps: [
        `ovs-vsctl set bridge br0 fail-mode=secure ${pcaps(1, 2, 3)}`,
        "ovs-ofctl add-flow br0 actions=NORMAL",
        receive(1, icmpFlow(1, M1, M2)),
        "ovs-appctl fdb/show br0",
        "ovs-appctl dpctl/dump-flows",
        receive(2, icmpFlow(2, M2, M1)),
        "ovs-appctl fdb/show br0",
        // The flood that was cached for M1->M2 now goes to p2 only: modified in place (as soon
        // as upstream's revalidator thread, which a loaded machine may delay, has run).
        "ovs-appctl revalidator/wait",
        "ovs-appctl dpctl/dump-flows",
        "ovs-appctl dpif/dump-flows br0",
        receive(1, icmpFlow(1, M1, M2)),
        "ovs-appctl revalidator/wait",
        "ovs-appctl dpctl/dump-flows",
        "ovs-ofctl dump-flows br0",
        "ovs-ofctl dump-ports br0",
        "ovs-appctl dpif/show",
        "ovs-appctl fdb/stats-show br0",
        "pcap $DIR/p1.pcap",
        "pcap $DIR/p2.pcap",
        "pcap $DIR/p3.pcap",
      ],
    });
    expectOutput(r, 4, /actions:=>100 =>2 =>3$/m);
    expectOutput(r, 8, /dst=50:54:00:00:00:02\).*actions:=>2$/m);
    expectOutput(r, "ovs-ofctl dump-flows br0", /n_packets=3, n_bytes=318/);
  },
);

testIf(
  REAL_OVS,
  "NORMAL drops a frame whose destination was learned on its input port (no hairpin)",
  async () => {
    const r = await compareScenario({
      steps: [
        "ovs-ofctl add-flow br0 actions=NORMAL",
        receive(1, icmpFlow(1, M1, BCAST)),
        receive(1, icmpFlow(1, M3, M1)),
        "ovs-appctl revalidator/wait",
        "ovs-appctl ofproto/trace br0 in_port=1,dl_src=50:54:00:00:00:03,dl_dst=50:54:00:00:00:01",
        "ovs-appctl dpctl/dump-flows",
        "ovs-appctl fdb/show br0",
        // Broadcasts never go back out of the port they came in on either.
        "ovs-appctl ofproto/trace br0 in_port=2,dl_src=50:54:00:00:00:09,dl_dst=ff:ff:ff:ff:ff:ff",
      ],
    });
    expectOutput(r, 4, /learned port is input port, dropping/);
    expectOutput(r, 7, /Datapath actions: =>1 =>100 =>3/);
  },
);

const VLAN_PORTS = "-- set port p1 tag=10 -- set port p2 vlan_mode=trunk trunks=10,20 " +
  "-- set port p3 vlan_mode=native-tagged tag=20 " +
  "-- add-port br0 p4 -- set interface p4 type=dummy ofport_request=4 " +
  "-- set port p4 vlan_mode=native-untagged tag=10 trunks=10,20 " +
  "-- add-port br0 p5 -- set interface p5 type=dummy ofport_request=5 " +
  "-- set port p5 vlan_mode=dot1q-tunnel tag=30";

testIf(
  REAL_OVS,
  "every VLAN mode tags and untags as the real switch: access, trunk, native-tagged, native-untagged, dot1q-tunnel",
  async () => {
    const r = await compareScenario({
      steps: [
        `ovs-vsctl set bridge br0 fail-mode=secure ${VLAN_PORTS} ${pcaps(1, 2, 3, 4, 5)}`,
        "ovs-ofctl add-flow br0 actions=NORMAL",
        "ovs-appctl ofproto/trace br0 in_port=1,dl_src=50:54:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff",
        "ovs-appctl ofproto/trace br0 in_port=2,dl_vlan=20,dl_src=50:54:00:00:00:02,dl_dst=ff:ff:ff:ff:ff:ff",
        // A trunk drops VLANs it does not carry; an access port drops tagged frames.
        "ovs-appctl ofproto/trace br0 in_port=2,dl_vlan=30,dl_src=50:54:00:00:00:02,dl_dst=ff:ff:ff:ff:ff:ff",
        "ovs-appctl ofproto/trace br0 in_port=1,dl_vlan=10,dl_src=50:54:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff",
        "ovs-appctl ofproto/trace br0 in_port=3,dl_src=50:54:00:00:00:03,dl_dst=ff:ff:ff:ff:ff:ff",
        "ovs-appctl ofproto/trace br0 in_port=4,dl_vlan=20,dl_src=50:54:00:00:00:04,dl_dst=ff:ff:ff:ff:ff:ff",
        "ovs-appctl ofproto/trace br0 in_port=5,dl_vlan=7,dl_src=50:54:00:00:00:05,dl_dst=ff:ff:ff:ff:ff:ff",
        receive(1, icmpFlow(1, M1, BCAST)),
        receive(2, icmpFlow(2, M2, BCAST, { vlan: 20 })),
        receive(3, icmpFlow(3, M3, M2)),
        receive(4, icmpFlow(4, "50:54:00:00:00:04", M1)),
        receive(5, icmpFlow(5, "50:54:00:00:00:05", BCAST, { vlan: 7 })),
        "ovs-appctl fdb/show br0",
        "ovs-appctl revalidator/wait",
        "ovs-appctl dpctl/dump-flows",
        "pcap $DIR/p1.pcap",
        "pcap $DIR/p2.pcap",
        "pcap $DIR/p3.pcap",
        "pcap $DIR/p4.pcap",
        "pcap $DIR/p5.pcap",
        "ovs-appctl fdb/flush br0",
        "ovs-appctl fdb/show br0",
        // Flushing makes the cached forwarding decisions flood again.
        "ovs-appctl revalidator/wait",
        "ovs-appctl dpctl/dump-flows",
      ],
    });
    expectOutput(r, 4, /dropping VLAN 30 packet received on port p2/);
    // p5's customer frame leaves p3 inside an 802.1ad tag for VLAN 30.
    expectOutput(r, "pcap $DIR/p3.pcap", /88a8001e81000007/);
    expectOutput(r, "fdb/show", /5 +30 +50:54:00:00:00:05/);
  },
);

testIf(
  REAL_OVS,
  "MAC entries age out under time/warp, the table evicts beyond mac-table-size, and the fdb commands answer as upstream's",
  async () => {
    const mac = (n: number) => `50:54:00:00:00:0${n}`;
    const r = await compareScenario({
      steps: [
        "ovs-vsctl set bridge br0 other-config:mac-aging-time=10 other-config:mac-table-size=3",
        "ovs-ofctl add-flow br0 actions=NORMAL",
        "ovs-appctl time/stop",
        receive(1, icmpFlow(1, mac(1), BCAST)),
        "ovs-appctl time/warp 3000",
        receive(2, icmpFlow(2, mac(2), BCAST)),
        "ovs-appctl time/warp 3000",
        receive(3, icmpFlow(3, mac(3), BCAST)),
        "!exact ovs-appctl fdb/show br0",
        // A fourth MAC pushes the oldest out of the three-entry table.
        receive(3, icmpFlow(3, mac(4), BCAST)),
        "!exact ovs-appctl fdb/show br0",
        "ovs-appctl fdb/stats-show br0",
        "ovs-appctl time/warp 5000",
        "!exact ovs-appctl fdb/show br0",
        "ovs-appctl time/warp 6000",
        "!exact ovs-appctl fdb/show br0",
        "ovs-appctl time/warp 20000 1000",
        "!exact ovs-appctl fdb/show br0",
        "ovs-appctl fdb/stats-show br0",
        "ovs-appctl fdb/add br0 p1 0 50:54:00:00:00:99",
        "ovs-appctl fdb/add br0 p1 5 50:54:00:00:00:98",
        "!exact ovs-appctl fdb/show br0",
        "ovs-appctl fdb/add br0 p2 0 50:54:00:00:00:99",
        "ovs-appctl fdb/add br0 nosuch 0 50:54:00:00:00:97",
        "ovs-appctl fdb/add br0 p2 0 zz:54:00:00:00:97",
        "ovs-appctl ofproto/trace br0 in_port=3,dl_src=50:54:00:00:00:07,dl_dst=50:54:00:00:00:99",
        "ovs-appctl fdb/del br0 0 50:54:00:00:00:99",
        "ovs-appctl fdb/del br0 0 50:54:00:00:00:99",
        "ovs-appctl fdb/stats-clear br0",
        "ovs-appctl fdb/stats-show br0",
        "ovs-appctl fdb/flush",
        "ovs-appctl fdb/show nosuch",
        "ovs-appctl fdb/flush nosuch",
      ],
    });
    expectOutput(r, 10, /3 +0 +50:54:00:00:00:04 +0\n$/);
    expectOutput(r, 17, /^rc=0\n port {2}VLAN {2}MAC {16}Age\n$/);
    expectOutput(r, "fdb/add br0 p2 0 50:54:00:00:00:99", /Overriding already existing static/);
  },
);
