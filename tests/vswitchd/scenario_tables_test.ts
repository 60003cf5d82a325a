// OpenFlow tables on both switches: resubmit chains, goto_table with metadata, registers, learn
// (the learned flows in dump-flows), field rewrites checked on the wire, table-miss behaviour per
// OpenFlow version and table-mod, fail-mode standalone versus secure, idle and hard timeouts with
// flow_removed under time/warp, revalidation of cached flows after flow-mods, and the counters of
// dump-flows, dump-tables and dump-ports. See scenario_support.ts for what is compared.

import { testIf } from "../support/skip.ts";
import { REAL_OVS } from "../support/switch.ts";
import { compareScenario, expectOutput, icmpFlow } from "./scenario_support.ts";

const M1 = "50:54:00:00:00:01";
const M2 = "50:54:00:00:00:02";
const receive = (port: number, flow: string) => `ovs-appctl netdev-dummy/receive p${port} ${flow}`;
const UDP_FROM_P1 = "in_port(1),eth(src=50:54:00:00:00:01,dst=50:54:00:00:00:02)," +
  "eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=17,tos=0,ttl=64,frag=no)," +
  "udp(src=1000,dst=2000)";
const TCP_FROM_P2 = "in_port(2),eth(src=50:54:00:00:00:02,dst=50:54:00:00:00:01)," +
  "eth_type(0x0800),ipv4(src=10.0.0.2,dst=10.0.0.1,proto=6,tos=0,ttl=64,frag=no)," +
  "tcp(src=80,dst=8080),tcp_flags(syn)";

testIf(
  REAL_OVS,
  "goto_table with metadata, registers, resubmit chains and learn translate, cache and count as the real switch's",
  async () => {
    const r = await compareScenario({
      steps: [
        "ovs-vsctl set interface p2 options:tx_pcap=$DIR/p2.pcap " +
        "-- set interface p3 options:tx_pcap=$DIR/p3.pcap",
        "ovs-ofctl -O OpenFlow13 add-flow br0 table=0,in_port=1,actions=write_metadata:0x5/0xff,goto_table:1",
        "ovs-ofctl -O OpenFlow13 add-flow br0 table=1,metadata=0x5/0xff,actions=load:0x2a->NXM_NX_REG0[],resubmit(,2)",
        "ovs-ofctl add-flow br0 table=2,reg0=42,actions=mod_dl_src:00:11:22:33:44:55," +
        "mod_nw_dst:10.0.0.99,dec_ttl,learn(table=3,hard_timeout=60,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[]," +
        "output:NXM_OF_IN_PORT[]),output:2",
        "ovs-ofctl -O OpenFlow13 add-flow br0 table=0,in_port=2,actions=resubmit(,3),resubmit(,4),output:3",
        "ovs-ofctl add-flow br0 table=4,actions=move:NXM_OF_ETH_SRC[0..31]->NXM_NX_REG1[],push:NXM_NX_REG1[],pop:NXM_NX_REG2[]",
        "ovs-appctl ofproto/trace br0 in_port=1,dl_src=50:54:00:00:00:01,dl_dst=50:54:00:00:00:02,ip,nw_src=10.0.0.1,nw_dst=10.0.0.2,nw_ttl=64",
        receive(1, icmpFlow(1, M1, M2)),
        receive(1, icmpFlow(1, M1, M2)),
        // The learned flow sends the reply back out of p1.
        "ovs-ofctl dump-flows br0 table=3",
        receive(2, icmpFlow(2, M2, M1)),
        "ovs-appctl ofproto/trace br0 in_port=2,dl_src=50:54:00:00:00:02,dl_dst=50:54:00:00:00:01",
        "ovs-appctl revalidator/wait",
        "ovs-ofctl -O OpenFlow13 dump-flows br0",
        "ovs-appctl dpctl/dump-flows",
        "ovs-ofctl dump-tables br0",
        "ovs-ofctl dump-aggregate br0",
        "ovs-ofctl dump-aggregate br0 table=2",
        "pcap $DIR/p2.pcap",
        "pcap $DIR/p3.pcap",
      ],
    });
    expectOutput(r, 9, /table=3, .*hard_timeout=60.*dl_dst=00:11:22:33:44:55 actions=output:1/);
    expectOutput(r, "pcap $DIR/p2.pcap", /^505400000002001122334455/);
  },
);

testIf(
  REAL_OVS,
  "field rewrites and VLAN pushes reach the wire as the real switch writes them, checksums included",
  async () => {
    const r = await compareScenario({
      steps: [
        "ovs-vsctl set interface p2 options:tx_pcap=$DIR/p2.pcap " +
        "-- set interface p3 options:tx_pcap=$DIR/p3.pcap",
        "ovs-ofctl add-flow br0 in_port=1,actions=mod_dl_src:00:11:22:33:44:55,mod_nw_dst:10.0.0.99," +
        "mod_tp_dst:99,dec_ttl,output:2,mod_vlan_vid:5,mod_vlan_pcp:3,output:3",
        "ovs-ofctl add-flow br0 in_port=2,tcp,actions=set_field:10.1.1.1->ip_src,mod_tp_src:7," +
        "mod_nw_tos:32,strip_vlan,output:3",
        receive(1, UDP_FROM_P1),
        receive(2, TCP_FROM_P2),
        "ovs-appctl dpctl/dump-flows",
        "pcap $DIR/p2.pcap",
        "pcap $DIR/p3.pcap",
      ],
    });
    expectOutput(r, "pcap $DIR/p3.pcap", /81006005/);
  },
);

testIf(
  REAL_OVS,
  "table misses: OpenFlow 1.0 controllers get packet-ins, 1.3 ones do not, and table-mod miss settings apply",
  async () => {
    const r = await compareScenario({
      steps: [
        "ovs-ofctl monitor br0 65534 -P nxt_packet_in --detach --no-chdir --pidfile",
        receive(1, icmpFlow(1, M1, M2)),
        "ovs-appctl ofproto/trace br0 in_port=1",
        "ovs-ofctl -O OpenFlow13 add-flow br0 table=0,actions=goto_table:1",
        // Upstream's revalidator thread may lag behind a loaded main loop: wait for it.
        "ovs-appctl revalidator/wait",
        "ovs-appctl ofproto/trace br0 in_port=1",
        "ovs-ofctl -O OpenFlow13 mod-table br0 1 drop",
        "ovs-appctl ofproto/trace br0 in_port=1",
        "ovs-ofctl -O OpenFlow11 mod-table br0 1 controller",
        "ovs-appctl ofproto/trace br0 in_port=1",
        "ovs-ofctl -O OpenFlow11 mod-table br0 1 continue",
        "ovs-appctl ofproto/trace br0 in_port=1",
        "ovs-ofctl -O OpenFlow14 dump-table-desc br0",
        receive(1, icmpFlow(1, M1, M2)),
        "ovs-appctl revalidator/wait",
        "ovs-appctl -t ovs-ofctl exit",
        "cat $DIR/monitor.err",
        "ovs-ofctl dump-tables br0",
        "ovs-ofctl -O OpenFlow13 dump-tables br0",
        "ovs-appctl bridge/dump-flows br0",
      ],
    });
    expectOutput(r, "cat $DIR/monitor.err", /table_id=1 .*via no_match/);
  },
);

testIf(
  REAL_OVS,
  "an OpenFlow 1.3 controller gets table-miss packet-ins only until its protocol is settled, as upstream's",
  async () => {
    const r = await compareScenario({
      steps: [
        "ovs-ofctl -O OpenFlow13 monitor br0 65534 -P nxt_packet_in --detach --no-chdir --pidfile",
        // Upstream counts a connection whose protocol nothing has asked for yet as OpenFlow 1.0.
        "ovs-appctl ofproto/trace br0 in_port=2",
        receive(2, icmpFlow(2, M2, M1)),
        "ovs-appctl revalidator/purge",
        "ovs-appctl ofproto/trace br0 in_port=2",
        receive(2, icmpFlow(2, M2, M1)),
        "ovs-appctl dpctl/dump-flows",
        "ovs-appctl -t ovs-ofctl exit",
        "cat $DIR/monitor.err",
        "ovs-appctl revalidator/wait",
        "ovs-appctl bridge/dump-flows br0",
      ],
    });
    expectOutput(r, 1, /a "packet-in" is called for/);
    expectOutput(r, 4, /No match\.\n {4}drop/);
  },
);

testIf(
  REAL_OVS,
  "fail-mode standalone shows its hidden NORMAL flow and forwards; secure removes it; no fail-mode is standalone",
  async () => {
    const r = await compareScenario({
      steps: [
        "ovs-vsctl set bridge br0 fail-mode=standalone",
        "ovs-ofctl dump-flows br0",
        "ovs-appctl bridge/dump-flows br0",
        "ovs-appctl ofproto/trace br0 in_port=1,dl_src=50:54:00:00:00:01,dl_dst=50:54:00:00:00:02",
        receive(1, icmpFlow(1, M1, M2)),
        "ovs-appctl revalidator/wait",
        "ovs-ofctl dump-flows br0",
        // OpenFlow 1.3: the miss that follows must not depend on whether an OpenFlow 1.0
        // ovs-ofctl is still connected when upstream's revalidator runs.
        "ovs-ofctl -O OpenFlow13 del-flows br0",
        "ovs-ofctl dump-flows br0",
        "ovs-vsctl set bridge br0 fail-mode=secure",
        "ovs-ofctl dump-flows br0",
        "ovs-appctl bridge/dump-flows br0",
        "ovs-appctl revalidator/wait",
        "ovs-appctl dpctl/dump-flows",
        "ovs-vsctl del-fail-mode br0",
        "ovs-ofctl dump-flows br0",
        "ovs-appctl ofproto/trace br0 in_port=1,dl_src=50:54:00:00:00:01,dl_dst=50:54:00:00:00:02",
      ],
    });
    expectOutput(r, 1, /priority=0 actions=NORMAL/);
    expectOutput(r, 10, /^rc=0\nNXST_FLOW reply \(xid=0x4\):\n$/);
  },
);

testIf(
  REAL_OVS,
  "idle and hard timeouts expire under time/warp with exact durations in dump-flows, and flow_removed reaches the monitor",
  async () => {
    const flow = (port: number) => receive(port, icmpFlow(port, M1, M2));
    const r = await compareScenario({
      steps: [
        "ovs-ofctl monitor br0 65534 --detach --no-chdir --pidfile",
        "ovs-appctl time/stop",
        "ovs-ofctl add-flow br0 in_port=1,idle_timeout=5,send_flow_rem,actions=output:2",
        "ovs-ofctl add-flow br0 in_port=2,hard_timeout=10,send_flow_rem,actions=output:1",
        "ovs-ofctl add-flow br0 in_port=3,idle_timeout=20,hard_timeout=30,actions=output:1",
        "ovs-ofctl -O OpenFlow13 add-flow br0 cookie=0x77,priority=9,idle_timeout=3,send_flow_rem,actions=drop",
        flow(1),
        "ovs-appctl time/warp 3000",
        flow(1),
        flow(2),
        "ovs-appctl time/warp 3000",
        "!exact ovs-ofctl dump-flows br0",
        "ovs-appctl time/warp 3000",
        "!exact ovs-ofctl dump-flows br0",
        "ovs-appctl time/warp 3000",
        "!exact ovs-ofctl dump-flows br0",
        "ovs-appctl time/warp 10000 1000",
        "!exact ovs-ofctl dump-flows br0",
        "ovs-appctl time/warp 20000 1000",
        "!exact ovs-ofctl dump-flows br0",
        "ovs-appctl -t ovs-ofctl exit",
        // Which expiry pass reaps the rule that matched nothing (3, 6 or 9 s after it was
        // added, warps being 3 s) varies from run to run on a loaded machine: durations masked.
        "cat $DIR/monitor.err",
      ],
    });
    expectOutput(r, "cat $DIR/monitor.err", /OFPT_FLOW_REMOVED .*in_port=1 reason=idle/);
    expectOutput(r, "cat $DIR/monitor.err", /reason=hard/);
  },
);

testIf(
  REAL_OVS,
  "flow-mods revalidate cached datapath flows: modified actions, deletions and a higher-priority rule take over",
  async () => {
    const r = await compareScenario({
      steps: [
        "ovs-ofctl add-flow br0 priority=10,ip,nw_dst=10.0.0.0/24,actions=output:2",
        "ovs-ofctl add-flow br0 priority=5,ip,actions=output:3",
        receive(1, icmpFlow(1, M1, M2)),
        receive(1, icmpFlow(1, M1, M2, { nwDst: "10.1.0.3" })),
        "ovs-appctl dpctl/dump-flows",
        // (Each revalidator/wait lets upstream's revalidator thread catch up on a loaded machine.)
        "ovs-ofctl --strict mod-flows br0 priority=5,ip,actions=output:2",
        "ovs-appctl revalidator/wait",
        "ovs-appctl dpctl/dump-flows",
        "ovs-ofctl add-flow br0 priority=20,ip,nw_dst=10.0.0.2,actions=drop",
        "ovs-appctl revalidator/wait",
        "ovs-appctl dpctl/dump-flows",
        receive(1, icmpFlow(1, M1, M2)),
        "ovs-ofctl del-flows br0 ip,nw_dst=10.0.0.0/24",
        "ovs-appctl revalidator/wait",
        "ovs-appctl dpctl/dump-flows",
        "ovs-ofctl dump-flows br0",
        // An OpenFlow 1.3 connection: a table miss while an OpenFlow 1.0 ovs-ofctl is still
        // connected would call for a packet-in, and when upstream revalidates is a race.
        "ovs-ofctl -O OpenFlow13 del-flows br0",
        "ovs-appctl revalidator/wait",
        "ovs-appctl dpctl/dump-flows",
        "ovs-ofctl dump-ports br0",
        "ovs-ofctl show br0",
        "ovs-ofctl dump-desc br0",
      ],
    });
    expectOutput(r, 7, /dst=10.1.0.3\/255.255.0.0,.*actions:=>2$/m);
    // The /24 megaflow is too wide for the new /32 rule: deleted, not modified.
    expectOutput(r, 10, /^(?![\s\S]*10\.0\.0\.2)[\s\S]*10\.1\.0\.3/);
    // Deleting the /24 (and the /32 inside it) sends 10.0.0.2 to the priority-5 rule.
    expectOutput(r, 14, /ipv4\(dst=10\.0\.0\.2,frag=no\).*actions:=>2$/m);
  },
);

testIf(
  REAL_OVS,
  "conjunctive matches, bundled flow-mods, and learned flows that go with their learn action (delete_learned)",
  async () => {
    const udp = (port: number) =>
      `in_port(${port}),eth(src=50:54:00:00:00:01,dst=50:54:00:00:00:02),eth_type(0x0800),` +
      "ipv4(src=10.0.0.1,dst=10.0.0.2,proto=17,tos=0,ttl=64,frag=no),udp(src=1,dst=2)";
    const r = await compareScenario({
      steps: [
        "ovs-ofctl -O OpenFlow13 add-flow br0 priority=0,actions=drop",
        "ovs-ofctl --bundle add-flow br0 priority=4,in_port=2,actions=output:1",
        "ovs-ofctl -O OpenFlow14 --bundle add-flow br0 priority=5,in_port=1,actions=output:2",
        "ovs-ofctl add-flow br0 conj_id=7,actions=output:3",
        "ovs-ofctl add-flow br0 priority=10,ip,nw_src=10.0.0.1,actions=conjunction(7,1/2)",
        "ovs-ofctl add-flow br0 priority=10,ip,nw_dst=10.0.0.2,actions=conjunction(7,2/2)",
        "ovs-appctl ofproto/trace br0 in_port=1,ip,nw_src=10.0.0.1,nw_dst=10.0.0.2",
        "ovs-appctl ofproto/trace br0 in_port=1,ip,nw_src=10.0.0.1,nw_dst=10.0.0.3",
        receive(1, udp(1)),
        "ovs-ofctl add-flow br0 table=2,actions=learn(table=3,idle_timeout=10,fin_idle_timeout=5," +
        "delete_learned,NXM_OF_IN_PORT[],output:NXM_OF_IN_PORT[])",
        "ovs-ofctl add-flow br0 priority=20,in_port=3,actions=resubmit(,2)",
        receive(3, udp(3)),
        "ovs-ofctl dump-flows br0 table=3",
        // The learning flow goes, and what it learned with it.
        "ovs-ofctl -O OpenFlow13 del-flows br0 table=2",
        "ovs-ofctl dump-flows br0 table=3",
        "ovs-appctl revalidator/wait",
        "ovs-ofctl -O OpenFlow15 dump-flows br0 --names",
        "ovs-appctl dpctl/dump-flows",
      ],
    });
    expectOutput(r, 6, /conj_id=7, priority 32768\n {4}output:3/);
    expectOutput(r, 12, /in_port=3 actions=fin_timeout\(idle_timeout=5\),output:3/);
    expectOutput(r, 14, /^rc=0\nNXST_FLOW reply \(xid=0x8\):\n$/);
  },
);
