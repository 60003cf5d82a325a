// The userspace datapath with its fast path in a Worker (dpif_remote.ts + dp_worker.ts), on
// real devices: veth pairs into namespaces as system ports. Proves that it forwards, that the
// main thread's flow mirror shows what the traffic did, that cached flows keep forwarding while
// the main thread is blocked or floods the worker with commands, and that duplicate misses make
// one upcall. Needs root and namespaces.

import assert from "node:assert/strict";
import type { DpAction } from "../../core/datapath/dp_actions.ts";
import { DpError } from "../../core/datapath/dp_errors.ts";
import { MAX_QUEUED } from "../../core/datapath/dp_worker.ts";
import { openDatapath, type UpcallReply } from "../../core/datapath/dpif.ts";
import { RemoteDatapath, useWorkerDatapath } from "../../core/datapath/dpif_remote.ts";
import { FLOW_WORDS, W_IN_PORT } from "../../core/datapath/flow.ts";
import { closeNetdev, openNetdev } from "../../core/datapath/netdev.ts";
import { sysAvailable } from "../../core/datapath/sys_socket.ts";
import { needNetns, NetTestBed, parsePing, quantile } from "../support/netns.ts";
import { firstReason, needPrograms, testIf } from "../support/skip.ts";

const NEED = firstReason(
  sysAvailable() ? undefined : "needs FFI and libc",
  needNetns(),
  needPrograms("ping"),
);

interface Rig {
  bed: NetTestBed;
  dp: RemoteDatapath;
  left: string;
  right: string;
  rightIp: string;
  ports: [number, number];
  upcalls: number;
  /** Called at the start of each miss upcall (a test may make the slow path slow). */
  onUpcall: () => void;
}

const IN_PORT_ONLY = (() => {
  const mask = new Uint32Array(FLOW_WORDS);
  mask[W_IN_PORT] = 0xffffffff;
  return mask;
})();

/** Two namespaces on two system ports of a worker datapath that crosses every frame over. */
async function openRig(): Promise<Rig> {
  const bed = NetTestBed.create();
  try {
    const subnet = `10.${150 + (Deno.pid % 50)}.${(Deno.pid >> 6) % 250}`;
    const left = await bed.addNamespace("l");
    const right = await bed.addNamespace("r");
    const a = await bed.addVeth({ ns: left, address: `${subnet}.1/24` });
    const b = await bed.addVeth({ ns: right, address: `${subnet}.2/24` });
    for (const port of [a.host, b.host]) await bed.setLink(port, true);
    useWorkerDatapath();
    const dp = openDatapath("netdev", bed.name("dp"), true) as RemoteDatapath;
    assert.ok(dp instanceof RemoteDatapath);
    const ports = [a.host, b.host].map((name) => {
      const netdev = openNetdev(name, "system");
      try {
        return dp.portAdd(netdev);
      } finally {
        closeNetdev(netdev);
      }
    }) as [number, number];
    const rig: Rig = {
      bed,
      dp,
      left,
      right,
      rightIp: `${subnet}.2`,
      ports,
      upcalls: 0,
      onUpcall: () => {},
    };
    dp.setUpcallHandler((upcall): UpcallReply | undefined => {
      if (upcall.kind !== "miss") return undefined;
      rig.upcalls++;
      rig.onUpcall();
      const inPort = upcall.key[W_IN_PORT];
      const out = inPort === ports[0] ? ports[1] : ports[0];
      const actions: DpAction[] = [{ type: "output", port: out }];
      return { actions, mask: IN_PORT_ONLY };
    });
    return rig;
  } catch (e) {
    await bed.destroy();
    throw e;
  }
}

async function closeRig(rig: Rig): Promise<void> {
  rig.dp.destroy();
  await rig.bed.destroy();
}

/** Starts a ping in `ns`; resolves to its parsed result when it ends. */
function pingInBackground(rig: Rig, count: number, interval: number) {
  const child = new Deno.Command("ip", {
    args: [
      "netns",
      "exec",
      rig.left,
      "ping",
      "-n",
      "-c",
      String(count),
      "-i",
      String(interval),
      "-w",
      String(Math.ceil(count * interval) + 5),
      rig.rightIp,
    ],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  return child.output().then((o) => parsePing(new TextDecoder().decode(o.stdout)));
}

function blockFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) { /* the main thread is busy */ }
}

testIf(
  NEED,
  "a worker datapath forwards between namespaces and mirrors its megaflows",
  async () => {
    const rig = await openRig();
    try {
      const ping = await rig.bed.ping(rig.left, rig.rightIp, { count: 5, interval: 0.1 });
      assert.equal(ping.received, 5);
      rig.dp.syncStats();
      const flows = rig.dp.flowDump();
      assert.deepEqual(flows.map((f) => f.key[W_IN_PORT]).sort(), [...rig.ports].sort());
      // One miss per direction (the first ARP each way); everything after hits the cache.
      assert.equal(rig.upcalls, 2);
      const stats = rig.dp.getStats();
      assert.equal(stats.missed, 2);
      assert.equal(stats.flows, 2);
      const hits = flows.reduce((sum, f) => sum + f.stats.packets, 0);
      assert.equal(stats.hit, hits);
      for (const flow of flows) {
        assert.ok(
          flow.stats.packets >= 5,
          `flow from ${flow.key[W_IN_PORT]}: ${flow.stats.packets}`,
        );
        assert.ok(flow.stats.used > 0 && flow.stats.used <= rig.dp.now());
      }
      assert.ok(rig.dp.timing.count >= 2);
    } finally {
      await closeRig(rig);
    }
  },
);

testIf(
  NEED,
  "cached flows keep forwarding while the main thread is blocked for a second",
  async () => {
    const rig = await openRig();
    try {
      await rig.bed.ping(rig.left, rig.rightIp, { count: 2, interval: 0.05 });
      const upcallsBefore = rig.upcalls;
      const result = pingInBackground(rig, 200, 0.01);
      await new Promise((resolve) => setTimeout(resolve, 400));
      blockFor(1000);
      const ping = await result;
      assert.equal(ping.transmitted, 200);
      assert.equal(ping.received, 200, "no echo lost while the main thread was blocked");
      // Had the main thread been on the path, replies sent during the block would wait ~1 s.
      // (300 ms leaves room for a loaded machine; replies waiting on the main thread take ~1 s.)
      assert.ok(Math.max(...ping.rtts) < 300, `max RTT ${Math.max(...ping.rtts)} ms`);
      assert.equal(rig.upcalls, upcallsBefore, "no upcall: every frame hit a cached flow");
    } finally {
      await closeRig(rig);
    }
  },
);

testIf(
  NEED,
  "a flood of datapath commands from the main thread does not stall forwarding",
  async () => {
    const rig = await openRig();
    try {
      await rig.bed.ping(rig.left, rig.rightIp, { count: 2, interval: 0.05 });
      const result = pingInBackground(rig, 150, 0.01);
      await new Promise((resolve) => setTimeout(resolve, 300));
      // 20,000 synchronous flow installs on ports no frame comes from, back to back.
      const key = new Uint32Array(FLOW_WORDS);
      const started = performance.now();
      for (let i = 0; i < 20000; i++) {
        key[W_IN_PORT] = 1000 + i;
        rig.dp.flowPut({ key, mask: IN_PORT_ONLY, actions: [], create: true });
      }
      const seconds = (performance.now() - started) / 1000;
      const ping = await result;
      assert.equal(ping.received, 150);
      assert.ok(quantile(ping.rtts, 0.99) < 100, `p99 RTT ${quantile(ping.rtts, 0.99)} ms`);
      assert.equal(rig.dp.getStats().flows, 20002);
      assert.ok(seconds < 20, `${seconds} s for 20k installs`);
      assert.throws(
        () => rig.dp.flowPut({ key, mask: IN_PORT_ONLY, actions: [], create: true }),
        (e: unknown) => e instanceof DpError && e.errno === "EEXIST",
      );
    } finally {
      await closeRig(rig);
    }
  },
);

testIf(NEED, "misses of one flow while its upcall is outstanding make one upcall", async () => {
  const rig = await openRig();
  try {
    await rig.bed.ping(rig.left, rig.rightIp, { count: 1 });
    rig.dp.flowFlush();
    await new Promise((resolve) => setTimeout(resolve, 50));
    rig.upcalls = 0;
    // The first upcall takes 300 ms to answer: echo requests keep missing meanwhile.
    let slow = true;
    rig.onUpcall = () => {
      if (slow) blockFor(300);
      slow = false;
    };
    const ping = await pingInBackground(rig, 40, 0.01);
    rig.dp.syncStats();
    const stats = rig.dp.getStats();
    // One upcall per direction (a neighbour probe may add one of its own), for many misses.
    assert.ok(rig.upcalls >= 2 && rig.upcalls <= 4, `${rig.upcalls} upcalls`);
    assert.ok(stats.missed + stats.lost >= 10, `missed ${stats.missed}, lost ${stats.lost}`);
    // Queued duplicates got the reply's actions: they were forwarded, not dropped.
    assert.ok(ping.received >= MAX_QUEUED, `received ${ping.received}`);
  } finally {
    await closeRig(rig);
  }
});

testIf(NEED, "adding a port the kernel does not have fails with ENODEV", async () => {
  const rig = await openRig();
  try {
    assert.throws(
      () => openNetdev(rig.bed.name("none"), "system"),
      (e: unknown) => e instanceof DpError && e.errno === "ENODEV",
    );
    assert.equal(rig.dp.portList().length, 3);
  } finally {
    await closeRig(rig);
  }
});
