// The datapath side on both switches: megaflows as general as the real switch's (port, L2, L3,
// L4 and prefix classification), the flow limit (flows beyond it refused with upstream's
// warning, the dynamic limit upcall/show reports, idle flows shed quickly above it), max-idle
// expiry under time/warp, flows added with dpctl/add-flow taken over and fixed by the
// revalidator, revalidator/purge and dpctl/del-flows, dpif/show, dpctl/show and upcall/show,
// and malformed frames received, counted and dropped while the daemon carries on. See
// scenario_support.ts for what is compared.

import { testIf } from "../support/skip.ts";
import { REAL_OVS } from "../support/switch.ts";
import { compareScenario, expectOutput } from "./scenario_support.ts";

const receive = (port: string, flow: string) => `ovs-appctl netdev-dummy/receive ${port} ${flow}`;
const ipv4 = (inPort: number, src: string, dst: string, l4: string, ethSrc = "09") =>
  `in_port(${inPort}),eth(src=50:54:00:00:00:${ethSrc},dst=50:54:00:00:00:0a),eth_type(0x0800),` +
  `ipv4(src=${src},dst=${dst},${l4}`;
const tcp = (sport: number, dport: number) =>
  `proto=6,tos=0,ttl=64,frag=no),tcp(src=${sport},dst=${dport})`;
const udp = (sport: number, dport: number) =>
  `proto=17,tos=0,ttl=64,frag=no),udp(src=${sport},dst=${dport})`;
const ICMP = "proto=1,tos=0,ttl=64,frag=no),icmp(type=8,code=0)";
const ARP = (inPort: number) =>
  `in_port(${inPort}),eth(src=50:54:00:00:00:01,dst=50:54:00:00:00:02),eth_type(0x0806),` +
  "arp(sip=10.0.0.1,tip=10.0.0.2,op=1,sha=50:54:00:00:00:01,tha=00:00:00:00:00:00)";

testIf(
  REAL_OVS,
  "megaflows match only what the tables looked at: ports, L2, L3 prefixes and L4 ports",
  async () => {
    const r = await compareScenario({
      steps: [
        "ovs-ofctl add-flow br0 table=0,priority=100,in_port=1,ip,nw_src=10.0.0.0/8,actions=resubmit(,1)",
        "ovs-ofctl add-flow br0 table=0,priority=90,in_port=1,tcp,tp_dst=80,actions=output:2",
        "ovs-ofctl add-flow br0 table=0,priority=80,in_port=1,dl_src=50:54:00:00:00:0a,actions=output:3",
        "ovs-ofctl add-flow br0 table=0,priority=0,actions=drop",
        "ovs-ofctl add-flow br0 table=1,priority=10,ip,nw_dst=192.168.0.0/16,actions=output:3",
        "ovs-ofctl add-flow br0 table=1,priority=5,udp,actions=output:2",
        "ovs-ofctl add-flow br0 table=1,priority=1,actions=drop",
        receive("p1", ipv4(1, "10.0.0.2", "192.168.1.1", tcp(8, 10))),
        receive("p1", ipv4(1, "10.0.0.3", "192.168.1.2", tcp(8, 11))),
        receive("p1", ipv4(1, "11.0.0.2", "192.168.1.1", tcp(8, 80))),
        receive("p1", ipv4(1, "11.0.0.2", "192.168.1.1", udp(8, 81), "0a")),
        receive("p1", ipv4(1, "10.1.0.2", "172.16.1.1", udp(8, 81))),
        receive("p1", ipv4(1, "10.1.0.2", "172.16.1.1", ICMP)),
        receive(
          "p1",
          "in_port(1),eth(src=50:54:00:00:00:09,dst=50:54:00:00:00:0a),eth_type(0x86dd)," +
            "ipv6(src=::1,dst=::2,label=0,proto=6,tclass=0,hlimit=64,frag=no),tcp(src=8,dst=80)",
        ),
        receive("p2", ipv4(2, "10.1.0.2", "172.16.1.1", ICMP)),
        "ovs-appctl dpctl/dump-flows",
        "ovs-appctl dpif/dump-flows -m br0",
        "ovs-appctl dpctl/dump-flows -m",
        "ovs-appctl dpctl/dump-flows --names",
        "ovs-appctl ofproto/trace br0 in_port=1,tcp,nw_src=10.0.0.2,nw_dst=192.168.1.1,tp_dst=10",
        "ovs-appctl dpif/show",
        "ovs-appctl dpctl/show",
        "ovs-appctl dpctl/show -s",
        "ovs-appctl upcall/show",
        "ovs-appctl revalidator/wait",
        "ovs-ofctl dump-flows br0",
        "ovs-ofctl dump-tables br0",
      ],
    });
    // Only the second packet hit the first one's megaflow (the same /8 and /16 prefixes).
    expectOutput(
      r,
      15,
      /src=10\.0\.0\.2\/255\.0\.0\.0,dst=192\.168\.1\.1\/255\.255\.0\.0,frag=no\), packets:1/,
    );
  },
);

testIf(
  REAL_OVS,
  "the flow limit refuses flows with upstream's warning, upcall/show reports it, and over the limit idle flows go",
  async () => {
    const r = await compareScenario({
      steps: [
        "ovs-vsctl set open_vswitch . other_config:flow-limit=3",
        "ovs-ofctl add-flow br0 actions=drop",
        // Time stands still but for the warps, so the cached flow count is refreshed only when
        // they let more than 100 ms pass, as upstream's udpif_get_n_flows does.
        "ovs-appctl time/stop",
        "ovs-appctl time/warp 1000",
        receive("p1", ipv4(1, "10.0.0.1", "10.0.0.2", ICMP)),
        receive("p2", ipv4(2, "10.0.0.1", "10.0.0.2", ICMP)),
        "ovs-appctl time/warp 200",
        receive("p3", ipv4(3, "10.0.0.1", "10.0.0.2", ICMP)),
        "ovs-appctl time/warp 200",
        receive("p1", ARP(1)),
        "ovs-appctl time/warp 200",
        receive("p2", ARP(2)),
        "ovs-appctl dpctl/dump-flows",
        "!exact ovs-appctl upcall/show",
        "ovs-appctl time/warp 1000",
        "ovs-appctl dpctl/dump-flows",
        "!exact ovs-appctl upcall/show",
        // Lowering the limit takes effect after the next dump, as upstream's dynamic limit.
        "ovs-vsctl set open_vswitch . other_config:flow-limit=1",
        "ovs-appctl time/warp 1000",
        "!exact ovs-appctl upcall/show",
        "ovs-appctl time/warp 1000",
        "ovs-appctl dpctl/dump-flows",
        "!exact ovs-appctl upcall/show",
        "ovs-vsctl remove open_vswitch . other_config flow-limit",
        "ovs-appctl time/warp 1000",
        "!exact ovs-appctl upcall/show",
      ],
    });
    expectOutput(r, "upcall/show", /\(current 3\) \(avg \?\) \(max \?\) \(limit 3\)/);
  },
);

testIf(
  REAL_OVS,
  "datapath flows idle past max-idle expire under time/warp; purge and dpctl/del-flows empty the datapath",
  async () => {
    await compareScenario({
      steps: [
        "ovs-ofctl add-flow br0 in_port=1,actions=output:2",
        "ovs-vsctl set open_vswitch . other_config:max-idle=1000",
        "ovs-appctl time/stop",
        receive("p1", ARP(1)),
        "ovs-appctl dpctl/dump-flows",
        "ovs-appctl time/warp 600",
        receive("p1", ARP(1)),
        "ovs-appctl time/warp 600",
        "ovs-appctl dpctl/dump-flows",
        "ovs-appctl time/warp 600",
        "ovs-appctl dpctl/dump-flows",
        "ovs-appctl time/warp 1000",
        "ovs-appctl dpctl/dump-flows",
        "ovs-ofctl dump-flows br0",
        receive("p1", ARP(1)),
        "ovs-appctl revalidator/purge",
        "ovs-appctl dpctl/dump-flows",
        receive("p1", ARP(1)),
        "ovs-appctl dpctl/del-flows",
        "ovs-appctl dpctl/dump-flows",
        "ovs-appctl dpctl/show -s",
        "ovs-appctl revalidator/pause",
        receive("p1", ARP(1)),
        "ovs-appctl time/warp 5000",
        "ovs-appctl dpctl/dump-flows",
        "ovs-appctl revalidator/resume",
        "ovs-appctl time/warp 1000",
        "ovs-appctl dpctl/dump-flows",
      ],
    });
  },
);

testIf(
  REAL_OVS,
  "flows added with dpctl/add-flow are taken over and fixed by the revalidator; recirculating ones are refused",
  async () => {
    const r = await compareScenario({
      steps: [
        "ovs-ofctl add-flow br0 in_port=1,actions=output:2",
        // Paused, so that no periodic dump (whose timing a loaded machine decides) gets to the
        // flows before they are looked at.
        "ovs-appctl revalidator/pause",
        // Both are wider than translation needs (upstream matches IP's fragment bits and the
        // VLAN header of every IP flow): the revalidator deletes them.
        "ovs-appctl dpctl/add-flow in_port(1),eth(),eth_type(0x0800),ipv4(frag=no) 3",
        "ovs-appctl dpctl/add-flow in_port(2),eth(),eth_type(0x0800),ipv4() 3",
        "ovs-appctl dpctl/add-flow recirc_id(5),in_port(3),eth(),eth_type(0x0800),ipv4() 1",
        "ovs-appctl dpctl/add-flow in_port(1),eth(),eth_type(0x0800),ipv4(frag=no) 3",
        "ovs-appctl dpctl/dump-flows",
        "ovs-appctl revalidator/resume",
        "ovs-appctl revalidator/wait",
        "ovs-appctl dpctl/dump-flows",
        "ovs-appctl revalidator/wait",
        "ovs-appctl dpctl/dump-flows",
        "ovs-appctl dpctl/mod-flow in_port(1),eth(),eth_type(0x0800),ipv4(frag=no) 3",
        "ovs-appctl dpctl/dump-flows",
        "ovs-appctl dpctl/del-flow in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)",
        "ovs-appctl dpctl/del-flow in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)",
        "ovs-appctl dpctl/dump-flows",
      ],
    });
    expectOutput(r, 6, /recirc_id\(0x5\),in_port\(3\)/);
    expectOutput(r, 9, /^(?![\s\S]*in_port)/);
  },
);

testIf(
  REAL_OVS,
  "truncated and garbage frames are counted and dropped, bad receive commands are refused, the daemon carries on",
  async () => {
    const frames = [
      "5054",
      "505400000002505400000001",
      "50540000000250540000000108",
      "5054000000025054000000010800",
      "505400000002505400000001080045",
      "50540000000250540000000108004500001c0000000040110000",
      "50540000000250540000000186dd6000",
      "505400000002505400000001080046000030000000004006000001020304050607080000",
      "5054000000025054000000010806000108000604000150540000",
      "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
      // (A partial VLAN header is left out: upstream's revalidator re-reads its key as an
      // untagged frame of type 0 and replaces the cached drop; ours keeps the drop.)
    ];
    const r = await compareScenario({
      steps: [
        "ovs-ofctl add-flow br0 actions=NORMAL",
        ...frames.map((f) => `ovs-appctl netdev-dummy/receive p1 ${f}`),
        "ovs-appctl netdev-dummy/receive p1 zz",
        "ovs-appctl netdev-dummy/receive p1 ''",
        "ovs-appctl netdev-dummy/receive nosuch 505400000002505400000001",
        "ovs-appctl netdev-dummy/receive p1 in_port(1),eth(src=50:54:00:00:00:01",
        "ovs-appctl netdev-dummy/receive p1 --len 10 505400000002505400000001",
        // NORMAL learned a MAC: let upstream's revalidator thread catch up before looking.
        "ovs-appctl revalidator/wait",
        "ovs-appctl dpctl/dump-flows",
        "ovs-ofctl dump-ports br0 1",
        "ovs-appctl dpif/show",
        "ovs-ofctl dump-flows br0",
        // Which of the two learned MACs was used last depends on when upstream's revalidator
        // pushed each flow's statistics (which refreshes its MAC), not on the frames.
        "!sort ovs-appctl fdb/show br0",
        "ovs-appctl ofproto/trace br0 in_port=1,dl_src=50:54:00:00:00:01",
      ],
    });
    // Frames too short for an Ethernet header never reach the datapath.
    expectOutput(r, "dump-ports br0 1", /rx pkts=8, bytes=179,/);
  },
);
