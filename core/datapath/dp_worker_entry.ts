// The Worker entry of the datapath fast path: waits for its WorkerInit message, registers the
// real netdev classes of this thread (system ports over AF_PACKET, taps), builds the
// DatapathWorker (dp_worker.ts) and runs it until told to stop, then closes the Worker. A
// failure to start is written to the channel's reply area ({errno, message}) and announced, so
// the main thread's constructor can throw it. Logs of this thread go nowhere (the daemon's log
// belongs to the main thread). The thread asks for a higher scheduling priority (nice -10, when
// allowed): on a machine busy with the slow path — a burst of flow-mods, the database — the fast
// path must still get the CPU when frames arrive, as upstream's PMD threads do on their cores.

import { vlogSetConsoleEnabled } from "../net/vlog.ts";
import { DpError, errnoOf } from "./dp_errors.ts";
import { DatapathWorker, type WorkerInit } from "./dp_worker.ts";
import { Channel, PlainWriter } from "./dp_worker_channel.ts";
import { registerAfPacketNetdevs } from "./netdev_afpacket.ts";
import { registerDummyNetdevs } from "./netdev_dummy.ts";
import { registerTapNetdevs } from "./netdev_tap.ts";

/** Worker threads' nice value; the main thread keeps its own. */
const FAST_PATH_NICE = -10;
const PRIO_PROCESS = 0;

/** Raises this thread's priority (setpriority on its thread id); false when not allowed. */
function raisePriority(): boolean {
  try {
    const libc = Deno.dlopen(
      "libc.so.6",
      {
        gettid: { parameters: [], result: "i32" },
        setpriority: { parameters: ["i32", "u32", "i32"], result: "i32" },
      } as const,
    );
    try {
      return libc.symbols.setpriority(PRIO_PROCESS, libc.symbols.gettid(), FAST_PATH_NICE) === 0;
    } finally {
      libc.close();
    }
  } catch {
    return false;
  }
}

interface WorkerScope {
  onmessage: ((event: MessageEvent) => void) | null;
  close(): void;
}

const scope = globalThis as unknown as WorkerScope;

scope.onmessage = (event: MessageEvent) => {
  scope.onmessage = null;
  const init = event.data as WorkerInit;
  const channel = new Channel(init.buffer, init.layout);
  vlogSetConsoleEnabled(false);
  let worker: DatapathWorker;
  try {
    registerAfPacketNetdevs();
    registerTapNetdevs();
    registerDummyNetdevs();
    worker = new DatapathWorker(init);
  } catch (e) {
    const w = new PlainWriter();
    w.value({
      errno: e instanceof DpError ? errnoOf(e) : "EIO",
      message: e instanceof Error ? e.message : String(e),
    });
    channel.reply.set(w.bytes.subarray(0, Math.min(w.length, channel.reply.length)));
    DatapathWorker.announce(channel.control, false);
    scope.close();
    return;
  }
  DatapathWorker.announce(channel.control, true);
  raisePriority();
  worker.run();
  scope.close();
};
