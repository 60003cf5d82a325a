// The cost of an upcall across the Worker boundary (dpif_remote.ts <-> dp_worker.ts): misses
// are made in the worker by packet-outs that recirculate a frame with a new UDP port each time,
// so every one is a new megaflow; the main thread's handler answers with an exact-match flow
// and no actions. Measured: round-trip latency of one upcall at a time (miss in the worker ->
// handler here -> flow installed there), throughput of many outstanding, and the main thread's
// own time per upcall (decode, handler, reply), against the same handler called synchronously
// by a datapath in this thread. Needs root (the datapath's local port is a tap). Not a test.
// Run: deno run -A bench/dp_worker_bench.ts

import type { DpAction } from "../core/datapath/dp_actions.ts";
import { NETDEV_DPIF_CLASS, NetdevDatapath, openDatapath } from "../core/datapath/dpif.ts";
import { RemoteDatapath, useWorkerDatapath } from "../core/datapath/dpif_remote.ts";
import { FLOW_WORDS, W_TP } from "../core/datapath/flow.ts";
import { extractFlow } from "../core/datapath/flow_extract.ts";
import { registerDummyNetdevs } from "../core/datapath/netdev_dummy.ts";
import { Packet } from "../core/datapath/packet.ts";
import { frameFromString } from "../core/datapath/pcap.ts";

if (Deno.uid() !== 0) {
  console.log("dp_worker_bench: needs root (tap device); skipped");
  Deno.exit(0);
}

const TEMPLATE = frameFromString(
  "in_port(1),eth(src=50:54:00:00:00:01,dst=50:54:00:00:02:00),eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=17,tos=0,ttl=64,frag=no),udp(src=1024,dst=0)",
);
/** The words a 5-tuple flow of TEMPLATE uses, exact (a realistic megaflow mask). */
const MASK = (() => {
  const key = new Uint32Array(FLOW_WORDS);
  const p = new Packet();
  p.setFrame(TEMPLATE);
  extractFlow(p, key);
  const mask = new Uint32Array(FLOW_WORDS);
  for (let i = 0; i < FLOW_WORDS; i++) if (key[i]) mask[i] = 0xffffffff;
  mask[W_TP] = 0xffffffff;
  return mask;
})();
const NO_ACTIONS: DpAction[] = [];
const RECIRC: DpAction[] = [{ type: "recirc", id: 1 }];

/** UDP ports: a new 5-tuple for each `n`. */
const L4 = 14 + 20;

const packet = new Packet();
function send(dp: NetdevDatapath, n: number): void {
  packet.setFrame(TEMPLATE);
  const b = packet.buffer;
  const at = packet.start + L4;
  b[at] = 4 + ((n >> 16) & 0x3f);
  b[at + 1] = 0;
  b[at + 2] = (n >> 8) & 0xff;
  b[at + 3] = n & 0xff;
  packet.inPort = 0;
  dp.execute(packet, RECIRC);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function remote(): Promise<void> {
  useWorkerDatapath();
  const dp = openDatapath("netdev", `ovsbench${Deno.pid % 10000}`, true) as RemoteDatapath;
  let handled = 0;
  let wake: (() => void) | undefined;
  dp.setUpcallHandler(() => {
    handled++;
    wake?.();
    return { actions: NO_ACTIONS, mask: MASK };
  });
  const next = () => new Promise<void>((resolve) => wake = resolve);
  try {
    // Warm up the JIT on both sides, then latency one at a time, woken by the doorbell as the
    // daemon is.
    const rounds = 3000;
    const lat: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const t0 = performance.now();
      const answered = next();
      send(dp, 10000 + i);
      await answered;
      if (i >= 1000) lat.push(performance.now() - t0);
    }
    wake = undefined;
    lat.sort((a, b) => a - b);
    const median = lat[Math.floor(lat.length / 2)]!;
    const p99 = lat[Math.floor(lat.length * 0.99)]!;
    // Throughput: many outstanding (the worker keeps at most MAX_PENDING).
    const n = 50000;
    const timingBefore = { ...dp.timing };
    const t0 = performance.now();
    let sent = 0;
    const target = handled + n;
    while (handled < target) {
      while (sent < n && sent - (handled - (target - n)) < 400) send(dp, 100000 + sent++);
      await sleep(0);
    }
    const seconds = (performance.now() - t0) / 1000;
    const mainUs = (dp.timing.handlerMs - timingBefore.handlerMs) * 1000 /
      (dp.timing.count - timingBefore.count);
    dp.syncStats();
    console.log("upcalls across the Worker boundary (new megaflow each):");
    console.log(
      `  round trip, one at a time:  median ${(median * 1000).toFixed(0)} us, p99 ${
        (p99 * 1000).toFixed(0)
      } us`,
    );
    console.log(`  throughput, pipelined:      ${(n / seconds / 1000).toFixed(1)} k upcalls/s`);
    console.log(`  main thread per upcall:     ${mainUs.toFixed(1)} us (decode, handler, reply)`);
    console.log(`  flows installed:            ${dp.getStats().flows}`);
  } finally {
    dp.destroy();
  }
}

function local(): void {
  registerDummyNetdevs();
  const dp = new NetdevDatapath(
    { ...NETDEV_DPIF_CLASS, type: "dummy", internalType: "dummy-internal" },
    `bench-local`,
  );
  let handled = 0;
  dp.setUpcallHandler(() => {
    handled++;
    return { actions: NO_ACTIONS, mask: MASK };
  });
  for (let i = 0; i < 2000; i++) send(dp, i);
  const n = 50000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) send(dp, 100000 + i);
  const seconds = (performance.now() - t0) / 1000;
  console.log(
    `  in-thread datapath, same handler: ${(n / seconds / 1000).toFixed(1)} k upcalls/s (${
      (seconds * 1e6 / n).toFixed(1)
    } us each, ${handled} handled)`,
  );
  dp.destroy();
}

await remote();
local();
