// bench/flow_extract: per-packet cost of the packet path's header work — flow extraction of a
// TCP/IPv4 frame (the case that dominates traffic), of VLAN-tagged TCP/IPv4, TCP/IPv6 and an
// ND solicitation, and of two common rewrites (IPv4 destination with its checksums, push+pop
// VLAN) — in ns/packet, the best of five rounds after a warm-up so the JIT has settled. Also
// checks that extraction allocates nothing: the heap must not grow over a million packets.
//
// Usage: deno run -A bench/flow_extract_bench.ts [--quick]

import { newFlowWords, W_NW_DST } from "../core/datapath/flow.ts";
import { composeFlow } from "../core/datapath/flow_compose.ts";
import { extractFlow } from "../core/datapath/flow_extract.ts";
import { parseOdpFlow } from "../core/datapath/odp_key.ts";
import { Packet } from "../core/datapath/packet.ts";
import { popVlan, pushVlan, setIpv4 } from "../core/datapath/packet_edit.ts";

const quick = Deno.args.includes("--quick");
const N = quick ? 1_000_000 : 5_000_000;

const E = "eth(src=50:54:00:00:00:01,dst=50:54:00:00:02:00)";
const FLOWS: Record<string, string> = {
  "TCP/IPv4":
    `${E},eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=6,tos=0,ttl=64,frag=no),tcp(src=1234,dst=80),tcp_flags(ack)`,
  "VLAN TCP/IPv4":
    `${E},eth_type(0x8100),vlan(vid=10,pcp=0),encap(eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=6,tos=0,ttl=64,frag=no),tcp(src=1234,dst=80),tcp_flags(ack))`,
  "TCP/IPv6":
    `${E},eth_type(0x86dd),ipv6(src=2001:db8::1,dst=2001:db8::2,label=0,proto=6,tclass=0,hlimit=64,frag=no),tcp(src=1234,dst=80),tcp_flags(ack)`,
  "ND solicitation":
    `${E},eth_type(0x86dd),ipv6(src=fe80::1,dst=ff02::1:ff00:2,label=0,proto=58,tclass=0,hlimit=255,frag=no),icmpv6(type=135,code=0),nd(target=fe80::2,sll=50:54:00:00:00:01,tll=00:00:00:00:00:00)`,
};

function packetFor(text: string): Packet {
  const p = new Packet();
  composeFlow(p, parseOdpFlow(text).key, 64);
  return p;
}

/** The best of five timed rounds (the machine may be busy), in ns per call. */
function time(n: number, fn: () => void): number {
  for (let i = 0; i < Math.min(n, 200_000); i++) fn();
  let best = Infinity;
  const round = Math.ceil(n / 5);
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (let i = 0; i < round; i++) fn();
    best = Math.min(best, ((performance.now() - t0) * 1e6) / round);
  }
  return best;
}

const key = newFlowWords();
console.log(`flow extraction, ${N} packets each`);
for (const [name, text] of Object.entries(FLOWS)) {
  const p = packetFor(text);
  const ns = time(N, () => extractFlow(p, key));
  console.log(`  extractFlow ${name.padEnd(16)} ${ns.toFixed(1).padStart(7)} ns/packet`);
}

const tcp = packetFor(FLOWS["TCP/IPv4"]!);
extractFlow(tcp, key);
const set = newFlowWords();
const mask = newFlowWords();
mask[W_NW_DST] = 0xffffffff;
let flip = 0;
const setNs = time(N, () => {
  set[W_NW_DST] = 0x0a000002 + (flip ^= 1);
  setIpv4(tcp, set, mask);
});
console.log(`  set(ipv4(dst)) with checksums     ${setNs.toFixed(1).padStart(7)} ns/packet`);
const vlanNs = time(N, () => {
  pushVlan(tcp, 0x8100, 0x1005);
  popVlan(tcp);
});
console.log(`  push_vlan + pop_vlan              ${vlanNs.toFixed(1).padStart(7)} ns/packet`);

// Allocation check: the heap after a million extractions is where it was, give or take noise.
const p = packetFor(FLOWS["TCP/IPv4"]!);
for (let i = 0; i < 100_000; i++) extractFlow(p, key);
const before = Deno.memoryUsage().heapUsed;
for (let i = 0; i < 1_000_000; i++) extractFlow(p, key);
const grown = Deno.memoryUsage().heapUsed - before;
console.log(`  heap growth over 1M extractions: ${(grown / 1024).toFixed(0)} KiB`);
