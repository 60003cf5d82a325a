// A userspace datapath whose fast path runs in a Worker (dp_worker.ts), seen from the main
// thread: the same methods and shapes as NetdevDatapath (it is one, so the slow path, dpctl and
// the registry take it unchanged), with packets never touching this thread. The base class's
// port table is the main thread's view of the ports (on control netdevs,
// dpif_remote_netdevs.ts); its own flow cache and executor stay empty.
//
//   - Ports: `portAdd` numbers the port here, then asks the worker (synchronously) to open the
//     device by name and add it under that number, so errors are the worker's own.
//   - Flows: a mirror of the worker's megaflows, so `flowDump`, `flowGet` and `getStats` stay
//     synchronous; the worker reports statistics of flows hit every ~100 ms and the flows it did
//     not keep, and a dump or counter read older than FRESH_MS asks for a report first (one
//     short synchronous call), so dumps show exact counters. Deletes and flushes apply to the
//     mirror at once and reach the worker in order.
//   - Upcalls: each one the worker sends (packet copy, key, ufid) becomes a call of the upcall
//     handler here; its reply goes back as "execute these actions on the packet, install this
//     flow". Events are taken from the ring as the worker rings its doorbell (Atomics.waitAsync)
//     and whenever the owner calls `run`/`runUntilIdle`.
//   - `execute` (packet-out), meters: commands; meter statistics are synchronous calls.
//
// Promises: commands reach the worker in the order made; a synchronous call waits at most
// RPC_TIMEOUT ms (then DpError EIO); the handler is never re-entered from inside itself; nothing
// here blocks except synchronous calls and a full command ring. `useWorkerDatapath()` makes
// every "netdev" datapath of this process one of these.

import { vlogModule } from "../net/vlog.ts";
import type { DpAction } from "./dp_actions.ts";
import { DpError } from "./dp_errors.ts";
import { installedMask, type WorkerInit } from "./dp_worker.ts";
import {
  C_DOORBELL,
  C_READY,
  C_RPC_DONE,
  C_RPC_LENGTH,
  C_RPC_STATUS,
  C_WORKER_ASLEEP,
  Channel,
  CMD_EXECUTE,
  CMD_FLOW_DEL,
  CMD_FLOW_FLUSH,
  CMD_FLOW_PUT,
  CMD_METER_DEL,
  CMD_METER_GET,
  CMD_METER_SET,
  CMD_PORT_ADD,
  CMD_PORT_DEL,
  CMD_STOP,
  CMD_SYNC,
  CMD_UPCALL_REPLY,
  DEFAULT_LAYOUT,
  errnoOfStatus,
  EVT_FLOWS_GONE,
  EVT_STATS,
  EVT_UPCALL,
  type PlainData,
  PlainReader,
  PlainWriter,
  REPLY_DROP,
  REPLY_INSTALL,
  REPLY_PUT_ACTIONS,
  STATS_ENTRY_BYTES,
  STATUS_ERRNOS,
  UPCALL_MISS,
} from "./dp_worker_channel.ts";
import {
  type DatapathOptions,
  type DpFlow,
  type DpifClass,
  type DpStats,
  type FlowPutRequest,
  NETDEV_DPIF_CLASS,
  NetdevDatapath,
  registerDpifClass,
  type Upcall,
  type UpcallHandler,
  type UpcallReply,
} from "./dpif.ts";
import { CONTROL_SYSTEM_CLASS, CONTROL_TAP_CLASS, ControlNetdev } from "./dpif_remote_netdevs.ts";
import { FLOW_WORDS, type FlowWords, W_IN_PORT } from "./flow.ts";
import type { FlowStats } from "./megaflow.ts";
import { formatUfid } from "./megaflow.ts";
import type { MeterConfig, MeterStats } from "./meter.ts";
import { miniflowBits } from "./miniflow_bits.ts";
import { type Netdev, netdevClass, registerNetdevClass, unregisterNetdevClass } from "./netdev.ts";
import type { UserspaceAction } from "./odp_execute.ts";
import { Packet } from "./packet.ts";
import { LinkMonitor } from "./sys_link.ts";
import { closeFd, openEventFd, signalEventFd } from "./sys_socket.ts";

const log = vlogModule("dpif_netdev");

/** How long a synchronous call waits for the worker. */
export const RPC_TIMEOUT = 5000;
/** How long the worker may take to start (it compiles its modules first). */
export const START_TIMEOUT = 30000;
/** Statistics older than this are refreshed before a dump or a counter read. */
const FRESH_MS = 20;
/** Events taken per turn of the main thread before it lets other work run. */
const EVENT_BUDGET = 1024;

interface MirrorFlow {
  flow: DpFlow;
  created: number;
}

/** Upcall timing (for the report and bench/dp_worker_bench.ts). */
export interface UpcallTiming {
  /** Upcalls handled. */
  count: number;
  /** Milliseconds spent handling them here: decoding, the handler, encoding the reply. */
  handlerMs: number;
}

export class RemoteDatapath extends NetdevDatapath {
  readonly #channel: Channel;
  readonly #worker: Worker;
  readonly #eventFd: number;
  readonly #writer = new PlainWriter();
  readonly #flows = new Map<string, MirrorFlow>();
  readonly #packet = new Packet();
  readonly #key = new Uint32Array(FLOW_WORDS);
  readonly #parts = new Uint32Array(4);
  #handler: UpcallHandler | undefined;
  #counters = { hit: 0, missed: 0, lost: 0 };
  /** Main clock minus worker clock, from the latest statistics. */
  #clockOffset = 0;
  #rpcSeq = 0;
  #lastSync = 0;
  #draining = false;
  #closed = false;
  readonly timing: UpcallTiming = { count: 0, handlerMs: 0 };

  constructor(cls: DpifClass, name: string, options: DatapathOptions = {}) {
    const withBasis = {
      ...options,
      ufidBasis: options.ufidBasis ?? crypto.getRandomValues(new Uint32Array(1))[0]!,
    };
    super(cls, name, withBasis);
    for (const port of this.portList()) handOver(port.netdev);
    this.#channel = Channel.create(DEFAULT_LAYOUT);
    this.#eventFd = openEventFd();
    this.#worker = new Worker(new URL("./dp_worker_entry.ts", import.meta.url), {
      type: "module",
    });
    const init: WorkerInit = {
      buffer: this.#channel.buffer,
      layout: this.#channel.layout,
      eventFd: this.#eventFd,
      name,
      ufidBasis: withBasis.ufidBasis,
    };
    if (options.emc !== undefined) init.emc = options.emc;
    this.#worker.postMessage(init);
    const control = this.#channel.control;
    Atomics.wait(control, C_READY, 0, START_TIMEOUT);
    if (Atomics.load(control, C_READY) !== 1) {
      const failure = Atomics.load(control, C_READY) === -1
        ? this.#decodeReply(this.#channel.reply.length) as { errno?: string; message?: string }
        : { errno: "EIO", message: "datapath worker did not start" };
      this.#shutdown();
      super.destroy();
      const status = STATUS_ERRNOS.indexOf(failure?.errno as typeof STATUS_ERRNOS[number]);
      throw new DpError(errnoOfStatus(status), failure?.message);
    }
    void this.#listen();
  }

  // ---------------------------------------------------------------------------------------------
  // The channel.

  #send(kind: number, seq: number, data: PlainData): void {
    if (this.#closed) throw new DpError("EBADF", "datapath worker stopped");
    const w = this.#writer.reset();
    w.u32(kind);
    w.u32(seq);
    w.value(data);
    this.#flush();
  }

  /**
   * An upcall's answer, in its own layout (the hot command): id, flags, the mask's words when
   * installing, then the actions (and the actions to install when they differ) as plain data.
   */
  #sendReply(id: number, reply: UpcallReply | undefined, mask: FlowWords | undefined): void {
    if (this.#closed) return;
    const w = this.#writer.reset();
    w.u32(CMD_UPCALL_REPLY);
    w.u32(0);
    w.u32(id);
    let flags = 0;
    if (!reply) flags |= REPLY_DROP;
    if (mask) flags |= REPLY_INSTALL;
    if (reply?.putActions) flags |= REPLY_PUT_ACTIONS;
    w.u32(flags);
    if (mask) { for (let i = 0; i < FLOW_WORDS; i++) w.u32(mask[i]!); }
    if (reply) w.value(reply.actions as PlainData);
    if (reply?.putActions) w.value(reply.putActions as PlainData);
    this.#flush();
  }

  #flush(): void {
    const w = this.#writer;
    const ring = this.#channel.commands;
    const control = this.#channel.control;
    const deadline = performance.now() + RPC_TIMEOUT;
    while (!ring.write(w.bytes, w.length)) {
      // The worker is behind: wake it and wait for room (back-pressure, not loss).
      signalEventFd(this.#eventFd);
      if (performance.now() > deadline) throw new DpError("ENOBUFS", "datapath worker stuck");
      Atomics.wait(control, C_WORKER_ASLEEP, 2, 1);
    }
    if (Atomics.load(control, C_WORKER_ASLEEP) === 1) signalEventFd(this.#eventFd);
  }

  /** A synchronous call: the worker's result, or its error as a DpError. */
  #call(kind: number, data: PlainData): PlainData {
    const seq = ++this.#rpcSeq;
    this.#send(kind, seq, data);
    const control = this.#channel.control;
    const deadline = performance.now() + RPC_TIMEOUT;
    for (;;) {
      const done = Atomics.load(control, C_RPC_DONE);
      if (done === seq) break;
      const left = deadline - performance.now();
      if (left <= 0) throw new DpError("EIO", "datapath worker did not answer");
      Atomics.wait(control, C_RPC_DONE, done, Math.min(left, 50));
    }
    const status = Atomics.load(control, C_RPC_STATUS);
    const result = this.#decodeReply(Atomics.load(control, C_RPC_LENGTH));
    if (status !== 0) throw new DpError(errnoOfStatus(status));
    return result;
  }

  #decodeReply(length: number): PlainData {
    const { reply, replyView } = this.#channel;
    try {
      return new PlainReader(reply, replyView, 0, Math.min(length, reply.length)).value();
    } catch {
      return undefined;
    }
  }

  async #listen(): Promise<void> {
    const control = this.#channel.control;
    while (!this.#closed) {
      const seen = Atomics.load(control, C_DOORBELL);
      this.#drain();
      if (this.#closed) break;
      if (!this.#channel.events.empty) {
        // More than one turn's worth: let the rest of the main thread run first.
        await new Promise((resolve) => setTimeout(resolve, 0));
        continue;
      }
      const wait = Atomics.waitAsync(control, C_DOORBELL, seen);
      if (wait.async) await wait.value;
    }
  }

  /** Takes up to EVENT_BUDGET events from the worker; returns how many. */
  #drain(): number {
    if (this.#draining || this.#closed) return 0;
    this.#draining = true;
    const ring = this.#channel.events;
    let n = 0;
    try {
      for (; n < EVENT_BUDGET; n++) {
        const at = ring.peek();
        if (at < 0) break;
        try {
          this.#event(at);
        } catch (e) {
          log.warn(`datapath event failed: ${e instanceof Error ? e.message : String(e)}`);
        }
        ring.advance();
      }
    } finally {
      this.#draining = false;
    }
    return n;
  }

  #event(at: number): void {
    const v = this.#channel.events.view;
    switch (v.getUint32(at, true)) {
      case EVT_UPCALL:
        return this.#upcall(at);
      case EVT_STATS:
        return this.#stats(at);
      case EVT_FLOWS_GONE: {
        const count = v.getUint32(at + 4, true);
        for (let k = 0; k < count; k++) this.#flows.delete(this.#ufidAt(at + 8 + k * 16));
        return;
      }
    }
  }

  #ufidAt(at: number): string {
    const v = this.#channel.events.view;
    for (let i = 0; i < 4; i++) this.#parts[i] = v.getUint32(at + i * 4, true);
    return formatUfid(this.#parts);
  }

  #upcall(at: number): void {
    const started = performance.now();
    const ring = this.#channel.events;
    const v = ring.view;
    const kind = v.getUint32(at + 4, true);
    const id = v.getUint32(at + 8, true);
    const ufid = this.#ufidAt(at + 32);
    const udLength = v.getUint32(at + 48, true);
    const length = v.getUint32(at + 52, true);
    const key = this.#key;
    const keyWord = (at + 64) >> 2;
    for (let i = 0; i < FLOW_WORDS; i++) key[i] = ring.words[keyWord + i]!;
    const udAt = at + 64 + FLOW_WORDS * 4;
    const packetAt = udAt + ((udLength + 3) & ~3);
    const p = this.#packet;
    p.reset();
    p.buffer.set(ring.bytes.subarray(packetAt, packetAt + length), p.start);
    p.length = length;
    p.inPort = v.getUint32(at + 12, true);
    p.recircId = v.getUint32(at + 16, true);
    p.dpHash = v.getUint32(at + 20, true);
    p.skbPriority = v.getUint32(at + 24, true);
    p.pktMark = v.getUint32(at + 28, true);
    const upcall: Upcall = {
      kind: kind === UPCALL_MISS ? "miss" : "action",
      datapath: this,
      packet: p,
      key,
      ufid,
    };
    if (kind !== UPCALL_MISS) {
      const action: UserspaceAction = { type: "userspace", pid: v.getUint32(at + 60, true) };
      if (udLength) {
        const userdata = ring.bytes.slice(udAt, udAt + udLength);
        upcall.userdata = userdata;
        action.userdata = userdata;
      }
      if (v.getUint32(at + 56, true) & 1) action.actions = true;
      upcall.action = action;
    }
    let reply: ReturnType<UpcallHandler>;
    try {
      reply = this.#handler?.(upcall);
    } catch {
      reply = undefined;
    }
    if (kind === UPCALL_MISS) {
      const mask = reply?.mask && reply.install !== false ? installedMask(reply.mask) : undefined;
      this.#sendReply(id, reply, mask);
      if (reply && mask && !this.#flows.has(ufid)) {
        this.#mirror(ufid, key, mask, reply.putActions ?? reply.actions);
      }
    } else if (reply?.actions.length) {
      this.execute(p, reply.actions);
    }
    this.timing.count++;
    this.timing.handlerMs += performance.now() - started;
  }

  #mirror(ufid: string, key: FlowWords, mask: FlowWords, actions: DpAction[]): void {
    const flow: DpFlow = {
      ufid,
      key: Uint32Array.from(key.subarray(0, FLOW_WORDS)),
      mask,
      actions,
      stats: { packets: 0, bytes: 0, used: 0, tcpFlags: 0 },
      dpLayer: "ovs",
      offloaded: false,
      // Filled in by the first dump that shows it (not on the upcall path).
      extraInfo: undefined,
    };
    this.#flows.set(ufid, { flow, created: this.now() });
  }

  #stats(at: number): void {
    const v = this.#channel.events.view;
    const count = v.getUint32(at + 4, true);
    this.#clockOffset = this.now() - v.getFloat64(at + 8, true);
    this.#counters = {
      hit: v.getFloat64(at + 16, true),
      missed: v.getFloat64(at + 24, true),
      lost: v.getFloat64(at + 32, true),
    };
    for (let k = 0; k < count; k++) {
      const e = at + 64 + k * STATS_ENTRY_BYTES;
      const entry = this.#flows.get(this.#ufidAt(e));
      if (!entry) continue;
      const s = entry.flow.stats;
      s.packets = v.getFloat64(e + 16, true);
      s.bytes = v.getFloat64(e + 24, true);
      const used = v.getFloat64(e + 32, true);
      s.used = used ? Math.max(1, Math.round(used + this.#clockOffset)) : 0;
      s.tcpFlags = v.getFloat64(e + 40, true);
    }
  }

  /**
   * Asks the worker for fresh statistics (of every flow when `all`) and takes them in: dumps
   * right after traffic then show exact counters. Synchronous.
   */
  syncStats(all = false): void {
    this.#call(CMD_SYNC, { all });
    this.#lastSync = performance.now();
    this.#drain();
  }

  /**
   * Fresh statistics for a dump, at most every FRESH_MS: what dpctl and the revalidator read is
   * then exact, as upstream's dumps read live counters. A worker that cannot answer in time
   * leaves the mirror as it was.
   */
  #freshen(): void {
    if (this.#closed || performance.now() - this.#lastSync < FRESH_MS) return;
    try {
      this.syncStats();
    } catch {
      // The last report stands.
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The NetdevDatapath surface.

  override setUpcallHandler(handler: UpcallHandler | undefined): void {
    this.#handler = handler;
  }

  override portAdd(netdev: Netdev, requested?: number): number {
    const portNo = super.portAdd(netdev, requested);
    try {
      this.#call(CMD_PORT_ADD, {
        portNo,
        name: netdev.name,
        type: netdev.type,
        config: [...netdev.getConfig()],
      });
    } catch (e) {
      super.portDel(portNo);
      throw e;
    }
    handOver(netdev);
    return portNo;
  }

  override portDel(portNo: number): void {
    super.portDel(portNo);
    this.#send(CMD_PORT_DEL, 0, { portNo });
  }

  /** Takes the worker's pending events and notices link changes; returns the events taken. */
  override run(): number {
    LinkMonitor.shared().run();
    return this.#drain();
  }

  override runUntilIdle(maxRounds = 1000): number {
    let total = 0;
    for (let i = 0; i < maxRounds; i++) {
      const n = this.run();
      if (n === 0) break;
      total += n;
    }
    return total;
  }

  /** Frames reach this datapath only through its ports, in the worker. */
  override input(_batch: Packet[], _count: number, _inPort: number): void {
    throw new DpError("EOPNOTSUPP", "the datapath's packets are in its worker");
  }

  override execute(packet: Packet, actions: readonly DpAction[]): void {
    this.#send(CMD_EXECUTE, 0, {
      packet: packet.frame(),
      inPort: packet.inPort >>> 0,
      recircId: packet.recircId >>> 0,
      dpHash: packet.dpHash >>> 0,
      skbPriority: packet.skbPriority >>> 0,
      pktMark: packet.pktMark >>> 0,
      actions: actions as PlainData,
    });
  }

  override flowPut(request: FlowPutRequest): FlowStats {
    // Bad requests fail (and log) as the base class fails them, before reaching the worker.
    if (request.mask[W_IN_PORT] !== 0xffffffff) return super.flowPut(request);
    const ufid = request.ufid ?? this.cache.ufidForKey(request.key);
    const stats = this.#call(CMD_FLOW_PUT, {
      key: request.key.subarray(0, FLOW_WORDS),
      mask: request.mask.subarray(0, FLOW_WORDS),
      actions: request.actions as PlainData,
      ufid,
      create: request.create === true,
      modify: request.modify === true,
      zeroStats: request.zeroStats === true,
    }) as unknown as FlowStats;
    const existing = this.#flows.get(ufid);
    if (existing) {
      existing.flow.actions = request.actions;
    } else {
      this.#mirror(ufid, request.key, installedMask(request.mask), request.actions);
    }
    return stats;
  }

  #find(request: { ufid?: string; key?: FlowWords }): MirrorFlow | undefined {
    const ufid = request.ufid ?? (request.key ? this.cache.ufidForKey(request.key) : undefined);
    return ufid === undefined ? undefined : this.#flows.get(ufid);
  }

  override flowDel(request: { ufid?: string; key?: FlowWords }): FlowStats {
    const entry = this.#find(request);
    if (!entry) throw new DpError("ENOENT");
    this.#flows.delete(entry.flow.ufid);
    this.#send(CMD_FLOW_DEL, 0, { ufid: entry.flow.ufid });
    return { ...entry.flow.stats };
  }

  override flowGet(request: { ufid?: string; key?: FlowWords }): DpFlow {
    this.#freshen();
    const entry = this.#find(request);
    if (!entry) throw new DpError("ENOENT");
    return describe(entry.flow);
  }

  override flowDump(): DpFlow[] {
    this.#freshen();
    const out: DpFlow[] = [];
    for (const { flow } of this.#flows.values()) out.push(describe(flow));
    return out;
  }

  override flowFlush(): void {
    this.#flows.clear();
    this.#send(CMD_FLOW_FLUSH, 0, {});
  }

  override expireIdle(maxIdleMs: number): DpFlow[] {
    const now = this.now();
    const expired: DpFlow[] = [];
    for (const { flow, created } of [...this.#flows.values()]) {
      if (now - (flow.stats.used || created) > maxIdleMs) {
        this.flowDel({ ufid: flow.ufid });
        expired.push(describe(flow));
      }
    }
    return expired;
  }

  override getStats(): DpStats {
    this.#freshen();
    return { ...this.#counters, flows: this.#flows.size };
  }

  override meterSet(id: number, config: MeterConfig): void {
    super.meterSet(id, config);
    this.#send(CMD_METER_SET, 0, { id, config: config as unknown as PlainData });
  }

  override meterGet(id: number): MeterStats {
    super.meterGet(id);
    return this.#call(CMD_METER_GET, { id }) as unknown as MeterStats;
  }

  override meterDel(id: number): MeterStats {
    super.meterDel(id);
    return this.#call(CMD_METER_DEL, { id }) as unknown as MeterStats;
  }

  override destroy(): void {
    if (!this.#closed) {
      try {
        this.#call(CMD_STOP, {});
      } catch {
        // A worker that cannot answer is terminated all the same.
      }
      this.#shutdown();
    }
    super.destroy();
  }

  #shutdown(): void {
    this.#closed = true;
    this.#worker.terminate();
    closeFd(this.#eventFd);
    // Release the listener's wait.
    Atomics.add(this.#channel.control, C_DOORBELL, 1);
    Atomics.notify(this.#channel.control, C_DOORBELL);
  }
}

/** A mirrored flow as dumps return it: statistics copied, the mask's field list computed once. */
function describe(flow: DpFlow): DpFlow {
  flow.extraInfo ??= miniflowBits(flow.mask);
  return { ...flow, stats: { ...flow.stats } };
}

function handOver(netdev: Netdev): void {
  if (netdev instanceof ControlNetdev) netdev.handOver();
}

/**
 * Makes every "netdev" datapath of this process run its fast path in a Worker, with the main
 * thread's "system" and "tap" netdevs as control-only devices. For the switch daemon; tests of
 * the synchronous datapath must not call it.
 */
export function useWorkerDatapath(): void {
  for (const cls of [CONTROL_SYSTEM_CLASS, CONTROL_TAP_CLASS]) {
    const current = netdevClass(cls.type);
    if (current === cls) continue;
    if (current) unregisterNetdevClass(cls.type);
    registerNetdevClass(cls);
  }
  registerDpifClass({
    ...NETDEV_DPIF_CLASS,
    open: (cls, name, options) => new RemoteDatapath(cls, name, options),
  });
}
