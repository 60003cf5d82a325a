// Datapath fast-path throughput: packets per second through flow extraction, the EMC and the
// megaflow classifier, and action execution (output to a dummy port that records nothing), with
// 1 and 1000 megaflows, EMC on and off; and the heap bytes each installed megaflow costs.
// Prints a table. Run: deno run -A bench/datapath_bench.ts (or deno task bench).

import { parseDpActions } from "../core/datapath/dp_actions.ts";
import { openDatapath } from "../core/datapath/dpif.ts";
import {
  newFlowWords,
  W_DL_TYPE_VLAN,
  W_IN_PORT,
  W_NW_DST,
  W_RECIRC_ID,
} from "../core/datapath/flow.ts";
import { extractFlow } from "../core/datapath/flow_extract.ts";
import { MegaflowCache } from "../core/datapath/megaflow.ts";
import { closeNetdev, openNetdev } from "../core/datapath/netdev.ts";
import { DummyNetdev, registerDummyNetdevs } from "../core/datapath/netdev_dummy.ts";
import { Packet } from "../core/datapath/packet.ts";
import { frameFromString } from "../core/datapath/pcap.ts";

// Heap figures need the garbage collector exposed: re-run under --expose-gc if it is not.
if (!(globalThis as { gc?: () => void }).gc && !Deno.env.get("DATAPATH_BENCH_CHILD")) {
  const status = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--v8-flags=--expose-gc", new URL(import.meta.url).pathname, ...Deno.args],
    env: { DATAPATH_BENCH_CHILD: "1" },
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  Deno.exit(status.code);
}

registerDummyNetdevs();

const BATCH = 32;

function udpFrame(dst: number): Uint8Array {
  const ip = `10.${(dst >> 16) & 0xff}.${(dst >> 8) & 0xff}.${dst & 0xff}`;
  return frameFromString(
    `in_port(1),eth(src=50:54:00:00:00:01,dst=50:54:00:00:02:00),eth_type(0x0800),ipv4(src=10.0.0.1,dst=${ip},proto=17,tos=0,ttl=64,frag=no),udp(src=1000,dst=2000)`,
  );
}

interface Result {
  label: string;
  pps: number;
  hitRate: number;
  /** Heap growth per packet in the measured loop, bytes (garbage included). */
  heapPerPacket: number;
}

function run(flows: number, emc: boolean, seconds: number): Result {
  const dp = openDatapath("dummy", `bench-${flows}-${emc}`, true, { emc, emcInsertInvProb: 1 });
  for (const name of ["p1", "p2"]) {
    const netdev = openNetdev(`${name}-${flows}-${emc}`, "dummy");
    dp.portAdd(netdev, name === "p1" ? 1 : 2);
    closeNetdev(netdev);
    (netdev as DummyNetdev).txLogLimit = 0;
  }
  const actions = parseDpActions("2");
  const mask = newFlowWords();
  mask[W_IN_PORT] = mask[W_RECIRC_ID] = 0xffffffff;
  mask[W_DL_TYPE_VLAN] = 0xffffffff;
  if (flows > 1) mask[W_NW_DST] = 0xffffffff;
  const key = newFlowWords();
  const scratch = new Packet(2048);
  for (let i = 0; i < flows; i++) {
    scratch.setFrame(udpFrame(i));
    scratch.inPort = 1;
    extractFlow(scratch, key);
    dp.flowPut({ key, mask, actions, create: true });
  }
  // A batch stream that visits every flow in turn.
  const batches: Packet[][] = [];
  const distinct = Math.max(1, Math.min(flows, 1024));
  for (let b = 0; b < Math.max(1, Math.ceil(distinct / BATCH)); b++) {
    const batch: Packet[] = [];
    for (let i = 0; i < BATCH; i++) {
      const p = new Packet(2048);
      p.setFrame(udpFrame((b * BATCH + i) % flows));
      batch.push(p);
    }
    batches.push(batch);
  }
  // Warm up, then measure.
  for (let i = 0; i < 20000; i++) dp.input(batches[i % batches.length]!, BATCH, 1);
  const before = dp.getStats();
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heapBefore = Deno.memoryUsage().heapUsed;
  const start = performance.now();
  let packets = 0;
  let iterations = 0;
  while (performance.now() - start < seconds * 1000) {
    for (let i = 0; i < 200; i++) {
      dp.input(batches[iterations++ % batches.length]!, BATCH, 1);
      packets += BATCH;
    }
  }
  const elapsed = (performance.now() - start) / 1000;
  const heapAfter = Deno.memoryUsage().heapUsed;
  const after = dp.getStats();
  const emcHits = dp.cache.counters.emcHit;
  dp.destroy();
  const hits = after.hit - before.hit;
  return {
    label: `${flows} megaflow${flows > 1 ? "s" : ""}, EMC ${emc ? "on" : "off"}`,
    pps: packets / elapsed,
    hitRate: hits ? Math.min(1, emcHits / (after.hit || 1)) : 0,
    heapPerPacket: (heapAfter - heapBefore) / packets,
  };
}

function bytesPerMegaflow(n: number): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  const cache = new MegaflowCache({ emcEntries: 2 });
  const actions = parseDpActions("2");
  const mask = newFlowWords();
  mask[W_IN_PORT] = mask[W_RECIRC_ID] = mask[W_NW_DST] = 0xffffffff;
  const key = newFlowWords();
  gc?.();
  const before = Deno.memoryUsage().heapUsed;
  for (let i = 0; i < n; i++) {
    key[W_NW_DST] = i;
    cache.insert(key, mask, actions, 0);
  }
  gc?.();
  const after = Deno.memoryUsage().heapUsed;
  if (cache.size !== n) throw new Error("insert failed");
  return (after - before) / n;
}

const seconds = Number(Deno.env.get("BENCH_SECONDS") ?? "1.5");
const results = [
  run(1, true, seconds),
  run(1, false, seconds),
  run(1000, true, seconds),
  run(1000, false, seconds),
];
console.log("datapath fast path (extract + EMC/megaflow lookup + output to a dummy port)");
console.log("| case | packets/s | EMC share of hits | heap growth per packet |");
console.log("|---|---:|---:|---:|");
for (const r of results) {
  console.log(
    `| ${r.label} | ${Math.round(r.pps).toLocaleString("en-US")} | ${
      (r.hitRate * 100).toFixed(0)
    }% | ${r.heapPerPacket.toFixed(2)} B |`,
  );
}
const perFlow = bytesPerMegaflow(100000);
console.log(`\nheap per megaflow (100000 flows, one mask): ${Math.round(perFlow)} bytes`);
