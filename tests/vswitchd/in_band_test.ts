// In-band control on both switches (upstream's in-band.c): a TCP controller or manager reached
// through the bridge gets hidden flows at priorities 180000-180008 (bridge/dump-flows shows
// them) that send its ARP and TCP to NORMAL; other_config:in-band-queue sets a queue on them;
// connection_mode=out-of-band and other_config:disable-in-band remove them; loopback managers
// are not in-band remotes. The hidden flows shape the megaflows other traffic gets, and a DHCP
// reply is also sent to the local port. The same steps go to our ovs-vswitchd and the real one.

import { testIf } from "../support/skip.ts";
import { REAL_OVS } from "../support/switch.ts";
import { compareScenario, expectOutput, icmpFlow } from "./scenario_support.ts";

const dhcpReply =
  "in_port(1),eth(src=50:54:00:00:00:01,dst=50:54:00:00:00:02),eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=17,tos=0,ttl=64,frag=no),udp(src=67,dst=68)";

testIf(
  REAL_OVS,
  "a TCP controller or manager gets in-band flows that follow the controller's connection mode",
  async () => {
    const r = await compareScenario({
      ports: [1, 2],
      steps: [
        "ovs-vsctl set bridge br0 fail-mode=standalone",
        "ovs-vsctl set-controller br0 tcp:127.0.0.1:6699",
        "sleep 1500",
        "ovs-appctl bridge/dump-flows br0",
        "ovs-vsctl set bridge br0 other_config:in-band-queue=3 -- set-manager tcp:10.1.2.3 tcp:127.0.0.1:6640",
        "sleep 1500",
        "!sort ovs-appctl bridge/dump-flows br0",
        `ovs-appctl ofproto/trace ovs-dummy ${dhcpReply}`,
        `ovs-appctl netdev-dummy/receive p1 ${
          icmpFlow(1, "50:54:00:00:00:01", "50:54:00:00:00:02")
        }`,
        "ovs-appctl dpctl/dump-flows",
        "ovs-vsctl del-manager -- set controller br0 connection_mode=out-of-band",
        "sleep 1500",
        "ovs-appctl bridge/dump-flows br0",
        "ovs-vsctl set controller br0 connection_mode=in-band -- set bridge br0 other_config:disable-in-band=true",
        "sleep 1500",
        "ovs-appctl bridge/dump-flows br0",
        `ovs-appctl ofproto/trace ovs-dummy ${dhcpReply}`,
      ],
    });
    expectOutput(r, 3, /priority=180007,tcp,nw_dst=127\.0\.0\.1,tp_dst=6699,actions=NORMAL/);
    expectOutput(r, 6, /nw_dst=10\.1\.2\.3,tp_dst=6640,actions=set_queue:3,NORMAL/);
    expectOutput(r, 7, /outputting DHCP packet to local port/);
  },
);
