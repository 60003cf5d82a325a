// The stand-in switch for bench/switch.sh until ours is wired: forwards every frame between two
// system ports (AF_PACKET netdevs) in both directions, batch in, batch out, nothing else: no
// flow table, no MAC learning. Offloads pass through (virtio-net headers) unless --no-vnet.
// Runs until killed. Usage: deno run -A bench/forward_loop.ts DEV_A DEV_B [--no-vnet]
// Prints "ready" on stdout once both ports are open.

import { type AfPacketNetdev, afPacketNetdevClass } from "../core/datapath/netdev_afpacket.ts";
import { NETDEV_PROMISC, NETDEV_UP } from "../core/datapath/netdev.ts";
import { OffloadFallback } from "../core/datapath/offload.ts";
import { Packet } from "../core/datapath/packet.ts";
import { PollSet } from "../core/datapath/sys_socket.ts";

const args = Deno.args.filter((a) => !a.startsWith("--"));
const vnetHdr = !Deno.args.includes("--no-vnet");
if (args.length !== 2) {
  console.error("usage: forward_loop.ts DEV_A DEV_B [--no-vnet]");
  Deno.exit(2);
}
const cls = afPacketNetdevClass("system", { vnetHdr });
const ports = args.map((name) => cls.construct(name) as AfPacketNetdev);
const polls = new PollSet(2);
for (const port of ports) {
  port.rxqOpen();
  port.updateFlags(0, NETDEV_UP | NETDEV_PROMISC);
  polls.add(port.pollFd);
}
const batch: Packet[] = Array.from({ length: 32 }, () => new Packet());
const fallback = new OffloadFallback();
console.log("ready");
for (;;) {
  if (polls.wait(1000) <= 0) {
    for (const port of ports) port.run();
    continue;
  }
  for (let i = 0; i < 2; i++) {
    const n = ports[i]!.recv(batch, 32);
    if (n > 0) fallback.send(ports[1 - i]!, batch, n);
  }
}
