// The fast path of a userspace datapath in its own thread (upstream's PMD thread): owns one
// NetdevDatapath and the netdevs of its ports (opened here by name: netdev objects cannot cross
// threads), receives from every port, looks flows up and executes their actions, and talks to
// the main thread only through the channel (dp_worker_channel.ts): commands in, upcalls and
// statistics out. dp_worker_entry.ts starts it inside a Worker; dpif_remote.ts is the other end.
//
// Promises: it never busy-spins when idle — it sleeps in poll(2) on the ports' descriptors plus
// an eventfd the main thread signals when it writes a command; a miss becomes one upcall per
// flow key at a time (later misses of that key are queued, at most MAX_QUEUED, and get the same
// reply, as upstream treats duplicate upcalls), with at most MAX_PENDING upcalls outstanding
// (beyond that packets are lost, counted as upstream's "lost"); an upcall unanswered after
// UPCALL_TIMEOUT ms is dropped; commands are taken at most COMMAND_BUDGET per loop turn, so a
// burst of flow deletions cannot stall forwarding; statistics of flows hit since the last report
// go out every STATS_INTERVAL ms (less often when the table is large) and on request. The packet path allocates
// nothing per packet. Must not: block on the main thread, or use timers or the event loop (the
// loop below never returns to it while running).

import type { DpAction } from "./dp_actions.ts";
import { DpError, errnoOf } from "./dp_errors.ts";
import {
  type DatapathOptions,
  type FlowPutRequest,
  NETDEV_DPIF_CLASS,
  NetdevDatapath,
  type Upcall,
  type UpcallReply,
} from "./dpif.ts";
import {
  C_DOORBELL,
  C_READY,
  C_RPC_DONE,
  C_RPC_LENGTH,
  C_RPC_STATUS,
  C_WORKER_ASLEEP,
  Channel,
  type ChannelLayout,
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
  STATS_PER_RECORD,
  statusOf,
  ufidParts,
  UPCALL_ACTION,
  UPCALL_MISS,
} from "./dp_worker_channel.ts";
import {
  FLOW_WORDS,
  type FlowWords,
  VLAN_CFI,
  VLAN_VID_MASK,
  W_DL_TYPE_VLAN,
  W_IN_PORT,
  W_RECIRC_ID,
} from "./flow.ts";
import type { Megaflow } from "./megaflow.ts";
import type { MeterConfig } from "./meter.ts";
import { closeNetdev, type Netdev, openNetdev } from "./netdev.ts";
import { Packet, PACKET_CAPACITY, PACKET_HEADROOM } from "./packet.ts";
import { LinkMonitor } from "./sys_link.ts";
import { drainEventFd, POLL_ERR_HUP, POLLIN, PollSet } from "./sys_socket.ts";

/** Upcalls outstanding at once; misses beyond are lost. */
export const MAX_PENDING = 512;
/** Later misses of an outstanding key queued for its reply. */
export const MAX_QUEUED = 16;
/** An upcall the main thread has not answered by then is dropped. */
export const UPCALL_TIMEOUT = 2000;
/** Commands handled per loop turn. */
export const COMMAND_BUDGET = 256;
/** How often statistics of flows that were hit go to the main thread. */
export const STATS_INTERVAL = 100;

const BURST = 32;
/** Poll set entries: the command eventfd, the link monitor, then one per port. */
const FIRST_PORT_POLL = 2;
const SMALL_PACKET = PACKET_HEADROOM + 2048 + 256;

/** What the main thread tells a new worker. */
export interface WorkerInit {
  buffer: SharedArrayBuffer;
  layout: ChannelLayout;
  eventFd: number;
  name: string;
  ufidBasis: number;
  emc?: boolean;
}

interface PortState {
  portNo: number;
  netdev: Netdev;
  fd: number;
}

interface Pending {
  id: number;
  ufid: string;
  key: Uint32Array;
  packets: Packet[];
  count: number;
  born: number;
}

/** The megaflow mask as the datapath installs it: in_port and recirc_id exact, VLAN matched. */
export function installedMask(mask: FlowWords): Uint32Array {
  const m = Uint32Array.from(mask.subarray(0, FLOW_WORDS));
  m[W_IN_PORT] = 0xffffffff;
  m[W_RECIRC_ID] = 0xffffffff;
  if (!(m[W_DL_TYPE_VLAN]! & 0xffff)) {
    m[W_DL_TYPE_VLAN] = (m[W_DL_TYPE_VLAN]! | VLAN_VID_MASK | VLAN_CFI) >>> 0;
  }
  return m;
}

const NO_ACTIONS: UpcallReply = Object.freeze({ actions: [] as DpAction[] });

export class DatapathWorker {
  readonly dp: NetdevDatapath;
  private readonly channel: Channel;
  private readonly control: Int32Array;
  private readonly eventFd: number;
  private ports: PortState[] = [];
  private readonly polls = new PollSet(256);
  /** Ports left out of the poll set until the next rebuild (their descriptor is in error). */
  private readonly muted = new Set<number>();
  private readonly rx: Packet[] = [];
  private readonly pendingById = new Map<number, Pending>();
  private readonly pendingByUfid = new Map<string, Pending>();
  private readonly pendingPool: Pending[] = [];
  private readonly smallPackets: Packet[] = [];
  private readonly bigPackets: Packet[] = [];
  private nextUpcallId = 1;
  private readonly reported = new WeakMap<Megaflow, number>();
  private readonly gone: string[] = [];
  private eventsWritten = false;
  private readonly writer = new PlainWriter();
  private readonly scratchParts = new Uint32Array(4);
  private readonly executePacket = new Packet();
  private nextPeriodic = 0;
  private nextStats = 0;
  private running = true;
  private readonly clock = () => Math.floor(performance.now());

  constructor(init: WorkerInit) {
    this.channel = new Channel(init.buffer, init.layout);
    this.control = this.channel.control;
    this.eventFd = init.eventFd;
    const options: DatapathOptions = { clock: this.clock, ufidBasis: init.ufidBasis };
    if (init.emc !== undefined) options.emc = init.emc;
    this.dp = new NetdevDatapath(NETDEV_DPIF_CLASS, init.name, options);
    this.dp.setUpcallHandler((upcall) => this.upcall(upcall));
    for (let i = 0; i < BURST; i++) this.rx.push(new Packet());
    this.rebuildPorts();
  }

  /** Runs until told to stop. Blocks the calling thread. */
  run(): void {
    const commands = this.channel.commands;
    while (this.running) {
      if (!commands.empty) this.takeCommands(COMMAND_BUDGET);
      let got = 0;
      for (const port of this.ports) {
        const n = port.netdev.recv(this.rx, BURST);
        if (n > 0) {
          this.dp.input(this.rx, n, port.portNo);
          got += n;
        }
      }
      this.ringDoorbell();
      const now = this.clock();
      if (now >= this.nextPeriodic) this.periodic(now);
      if (got === 0 && this.running) this.sleep(Math.max(1, this.nextPeriodic - now));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Sleeping and waking.

  private sleep(timeoutMs: number): void {
    Atomics.store(this.control, C_WORKER_ASLEEP, 1);
    if (!this.channel.commands.empty) {
      Atomics.store(this.control, C_WORKER_ASLEEP, 0);
      return;
    }
    const ready = this.polls.wait(timeoutMs);
    Atomics.store(this.control, C_WORKER_ASLEEP, 0);
    if (ready <= 0) return;
    if (this.polls.revents(0) & POLLIN) drainEventFd(this.eventFd);
    // Link changes (a device going up, away, back) are seen at once, not at the next period.
    if (this.polls.revents(1) & POLLIN) LinkMonitor.shared().run();
    for (let i = FIRST_PORT_POLL; i < this.polls.size; i++) {
      const revents = this.polls.revents(i);
      if ((revents & POLL_ERR_HUP) && !(revents & POLLIN)) {
        // A descriptor in error would wake every poll: leave it out until the next rebuild.
        const port = this.ports[i - FIRST_PORT_POLL];
        if (port) this.muted.add(port.portNo);
        this.rebuildPolls();
      }
    }
  }

  private ringDoorbell(): void {
    if (!this.eventsWritten) return;
    this.eventsWritten = false;
    Atomics.add(this.control, C_DOORBELL, 1);
    Atomics.notify(this.control, C_DOORBELL);
  }

  private rebuildPorts(): void {
    this.ports = [];
    for (const port of this.dp.portList()) {
      const fd = (port.netdev as { pollFd?: number }).pollFd;
      this.ports.push({ portNo: port.portNo, netdev: port.netdev, fd: fd ?? -1 });
    }
    this.rebuildPolls();
  }

  private rebuildPolls(): void {
    this.polls.clear();
    this.polls.add(this.eventFd, POLLIN);
    this.polls.add(LinkMonitor.shared().fd, POLLIN);
    for (const port of this.ports) {
      // Every port has an entry (index = port index + FIRST_PORT_POLL); a muted one polls nothing.
      this.polls.add(this.muted.has(port.portNo) || port.fd < 0 ? -1 : port.fd, POLLIN);
    }
  }

  private periodic(now: number): void {
    this.nextPeriodic = now + STATS_INTERVAL;
    LinkMonitor.shared().run();
    if (this.muted.size) {
      this.muted.clear();
      this.rebuildPolls();
    }
    for (const pending of [...this.pendingById.values()]) {
      if (now - pending.born > UPCALL_TIMEOUT) {
        this.dp.cache.counters.lost += pending.count;
        this.release(pending);
      }
    }
    if (now >= this.nextStats) {
      // Scanning the table costs about 50 ns a flow: report less often when it is large.
      this.nextStats = now + STATS_INTERVAL + Math.floor(this.dp.cache.size / 1000);
      this.reportStats(false);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Upcalls.

  private upcall(upcall: Upcall): UpcallReply | undefined {
    if (upcall.kind === "action") {
      this.sendUpcall(UPCALL_ACTION, 0, upcall);
      return undefined;
    }
    const queued = this.pendingByUfid.get(upcall.ufid);
    if (queued) {
      if (queued.count >= MAX_QUEUED) return undefined;
      queued.packets[queued.count++] = this.copyPacket(upcall.packet);
      return NO_ACTIONS;
    }
    if (this.pendingById.size >= MAX_PENDING) return undefined;
    const id = this.nextUpcallId;
    this.nextUpcallId = (this.nextUpcallId + 1) >>> 0 || 1;
    if (!this.sendUpcall(UPCALL_MISS, id, upcall)) return undefined;
    const pending = this.pendingPool.pop() ??
      { id: 0, ufid: "", key: new Uint32Array(FLOW_WORDS), packets: [], count: 0, born: 0 };
    pending.id = id;
    pending.ufid = upcall.ufid;
    pending.key.set(upcall.key.subarray(0, FLOW_WORDS));
    pending.packets[0] = this.copyPacket(upcall.packet);
    pending.count = 1;
    pending.born = this.clock();
    this.pendingById.set(id, pending);
    this.pendingByUfid.set(upcall.ufid, pending);
    return NO_ACTIONS;
  }

  private copyPacket(p: Packet): Packet {
    const small = p.start + p.length + 256 <= SMALL_PACKET;
    const pool = small ? this.smallPackets : this.bigPackets;
    const copy = pool.pop() ?? new Packet(small ? SMALL_PACKET : PACKET_CAPACITY);
    copy.copyFrom(p);
    return copy;
  }

  private release(pending: Pending): void {
    this.pendingById.delete(pending.id);
    if (this.pendingByUfid.get(pending.ufid) === pending) this.pendingByUfid.delete(pending.ufid);
    for (let i = 0; i < pending.count; i++) {
      const p = pending.packets[i]!;
      (p.buffer.length === SMALL_PACKET ? this.smallPackets : this.bigPackets).push(p);
    }
    pending.count = 0;
    this.pendingPool.push(pending);
  }

  /** Writes an upcall record; false when the event ring is full. */
  private sendUpcall(kind: number, id: number, upcall: Upcall): boolean {
    const ring = this.channel.events;
    const p = upcall.packet;
    const userdata = upcall.userdata;
    const udLength = userdata ? userdata.length : 0;
    const keyAt = 64;
    const udAt = keyAt + FLOW_WORDS * 4;
    const packetAt = udAt + ((udLength + 3) & ~3);
    const at = ring.reserve(packetAt + p.length);
    if (at < 0) return false;
    const v = ring.view;
    const action = upcall.action;
    v.setUint32(at, EVT_UPCALL, true);
    v.setUint32(at + 4, kind, true);
    v.setUint32(at + 8, id, true);
    v.setUint32(at + 12, p.inPort >>> 0, true);
    v.setUint32(at + 16, p.recircId >>> 0, true);
    v.setUint32(at + 20, p.dpHash >>> 0, true);
    v.setUint32(at + 24, p.skbPriority >>> 0, true);
    v.setUint32(at + 28, p.pktMark >>> 0, true);
    ufidParts(upcall.ufid, this.scratchParts);
    for (let i = 0; i < 4; i++) v.setUint32(at + 32 + i * 4, this.scratchParts[i]!, true);
    v.setUint32(at + 48, udLength, true);
    v.setUint32(at + 52, p.length, true);
    v.setUint32(at + 56, action?.actions ? 1 : 0, true);
    v.setUint32(at + 60, action ? action.pid >>> 0 : 0, true);
    const words = ring.words;
    const keyWord = (at + keyAt) >> 2;
    const key = upcall.key;
    for (let i = 0; i < FLOW_WORDS; i++) words[keyWord + i] = key[i]!;
    if (userdata) ring.bytes.set(userdata, at + udAt);
    ring.bytes.set(p.buffer.subarray(p.start, p.start + p.length), at + packetAt);
    ring.commit();
    this.eventsWritten = true;
    return true;
  }

  /** Decodes and applies an upcall's answer (dpif_remote.ts #sendReply's layout). */
  private upcallReply(at: number, end: number): void {
    const ring = this.channel.commands;
    const v = ring.view;
    const pending = this.pendingById.get(v.getUint32(at, true));
    if (!pending) return;
    const flags = v.getUint32(at + 4, true);
    if (flags & REPLY_DROP) {
      this.dp.cache.counters.lost += pending.count;
      this.dp.cache.counters.missed -= pending.count;
      this.release(pending);
      return;
    }
    let next = at + 8;
    let mask: Uint32Array | undefined;
    if (flags & REPLY_INSTALL) {
      mask = new Uint32Array(FLOW_WORDS);
      for (let i = 0; i < FLOW_WORDS; i++) mask[i] = v.getUint32(next + i * 4, true);
      next += FLOW_WORDS * 4;
    }
    const reader = new PlainReader(ring.bytes, v, next, end);
    const actions = reader.value() as DpAction[];
    const putActions = flags & REPLY_PUT_ACTIONS ? reader.value() as DpAction[] : actions;
    if (mask) {
      const key = pending.key;
      const installed = this.dp.cache.lookup(key) === undefined && this.install({
        key,
        // The main thread sent the mask as installed (installedMask).
        mask,
        actions: putActions,
        ufid: pending.ufid,
        create: true,
      });
      if (!installed) this.flowGone(pending.ufid);
    }
    for (let i = 0; i < pending.count; i++) this.dp.execute(pending.packets[i]!, actions);
    this.release(pending);
  }

  private install(request: FlowPutRequest): boolean {
    try {
      this.dp.flowPut(request);
      return true;
    } catch {
      return false;
    }
  }

  private flowGone(ufid: string): void {
    this.gone.push(ufid);
    if (this.gone.length >= STATS_PER_RECORD) this.flushGone();
  }

  private flushGone(): void {
    if (this.gone.length === 0) return;
    const ring = this.channel.events;
    const at = ring.reserve(8 + this.gone.length * 16);
    if (at < 0) return; // Retried with the next report.
    const v = ring.view;
    v.setUint32(at, EVT_FLOWS_GONE, true);
    v.setUint32(at + 4, this.gone.length, true);
    for (let k = 0; k < this.gone.length; k++) {
      ufidParts(this.gone[k]!, this.scratchParts);
      for (let i = 0; i < 4; i++) v.setUint32(at + 8 + k * 16 + i * 4, this.scratchParts[i]!, true);
    }
    ring.commit();
    this.gone.length = 0;
    this.eventsWritten = true;
  }

  // ---------------------------------------------------------------------------------------------
  // Statistics.

  /** Reports counters and the flows hit since the last report (every flow when `all`). */
  private reportStats(all: boolean): void {
    this.flushGone();
    const ring = this.channel.events;
    const flows = this.dp.cache.dump();
    const changed: Megaflow[] = [];
    for (const flow of flows) {
      if (all || this.reported.get(flow) !== flow.stats.packets) changed.push(flow);
    }
    let start = 0;
    do {
      const count = Math.min(STATS_PER_RECORD, changed.length - start);
      const at = ring.reserve(64 + count * STATS_ENTRY_BYTES);
      if (at < 0) return; // The main thread is behind: the next report carries these.
      const v = ring.view;
      const c = this.dp.cache.counters;
      v.setUint32(at, EVT_STATS, true);
      v.setUint32(at + 4, count, true);
      v.setFloat64(at + 8, this.clock(), true);
      v.setFloat64(at + 16, c.hit, true);
      v.setFloat64(at + 24, c.missed, true);
      v.setFloat64(at + 32, c.lost, true);
      v.setFloat64(at + 40, c.maskHit, true);
      v.setFloat64(at + 48, c.emcHit, true);
      v.setUint32(at + 56, this.dp.cache.size, true);
      v.setUint32(at + 60, this.dp.cache.maskCount, true);
      for (let k = 0; k < count; k++) {
        const flow = changed[start + k]!;
        const e = at + 64 + k * STATS_ENTRY_BYTES;
        ufidParts(flow.ufid, this.scratchParts);
        for (let i = 0; i < 4; i++) v.setUint32(e + i * 4, this.scratchParts[i]!, true);
        v.setFloat64(e + 16, flow.stats.packets, true);
        v.setFloat64(e + 24, flow.stats.bytes, true);
        v.setFloat64(e + 32, flow.stats.used, true);
        v.setFloat64(e + 40, flow.stats.tcpFlags, true);
        this.reported.set(flow, flow.stats.packets);
      }
      ring.commit();
      this.eventsWritten = true;
      start += count;
    } while (start < changed.length);
  }

  // ---------------------------------------------------------------------------------------------
  // Commands.

  private takeCommands(budget: number): void {
    const ring = this.channel.commands;
    for (let n = 0; n < budget && this.running; n++) {
      const at = ring.peek();
      if (at < 0) return;
      const kind = ring.view.getUint32(at, true);
      const seq = ring.view.getUint32(at + 4, true);
      if (kind === CMD_UPCALL_REPLY) {
        try {
          this.upcallReply(at + 8, at + ring.recordLength);
        } catch {
          // A reply that does not decode leaves its upcall to time out.
        }
        ring.advance();
        continue;
      }
      let data: Record<string, PlainData>;
      try {
        data = new PlainReader(ring.bytes, ring.view, at + 8, at + ring.recordLength)
          .value() as Record<string, PlainData>;
      } catch {
        data = {};
      }
      ring.advance();
      let status = 0;
      let result: PlainData = undefined;
      try {
        result = this.command(kind, data);
      } catch (e) {
        status = statusOf(errnoOf(e));
      }
      if (seq !== 0) this.answer(seq, status, result);
    }
  }

  private answer(seq: number, status: number, result: PlainData): void {
    const w = this.writer.reset();
    w.value(result);
    const length = Math.min(w.length, this.channel.reply.length);
    this.channel.reply.set(w.bytes.subarray(0, length));
    Atomics.store(this.control, C_RPC_STATUS, status);
    Atomics.store(this.control, C_RPC_LENGTH, length);
    Atomics.store(this.control, C_RPC_DONE, seq);
    Atomics.notify(this.control, C_RPC_DONE);
  }

  private command(kind: number, data: Record<string, PlainData>): PlainData {
    const dp = this.dp;
    switch (kind) {
      case CMD_EXECUTE: {
        const p = this.executePacket;
        p.setFrame(data.packet as Uint8Array);
        p.inPort = data.inPort as number;
        p.recircId = data.recircId as number;
        p.dpHash = data.dpHash as number;
        p.skbPriority = data.skbPriority as number;
        p.pktMark = data.pktMark as number;
        dp.execute(p, data.actions as DpAction[]);
        return undefined;
      }
      case CMD_PORT_ADD: {
        const netdev = openNetdev(data.name as string, data.type as string);
        try {
          const config = data.config as [string, string][] | undefined;
          if (config?.length) netdev.setConfig(new Map(config));
          dp.portAdd(netdev, data.portNo as number);
        } finally {
          closeNetdev(netdev);
        }
        this.rebuildPorts();
        return undefined;
      }
      case CMD_PORT_DEL:
        dp.portDel(data.portNo as number);
        this.rebuildPorts();
        return undefined;
      case CMD_FLOW_PUT: {
        const stats = dp.flowPut({
          key: data.key as Uint32Array,
          mask: data.mask as Uint32Array,
          actions: data.actions as DpAction[],
          ufid: data.ufid as string,
          create: data.create === true,
          modify: data.modify === true,
          zeroStats: data.zeroStats === true,
        });
        return { ...stats };
      }
      case CMD_FLOW_DEL:
        try {
          return { ...dp.flowDel({ ufid: data.ufid as string }) };
        } catch {
          return undefined;
        }
      case CMD_FLOW_FLUSH:
        dp.flowFlush();
        return undefined;
      case CMD_METER_SET:
        dp.meterSet(data.id as number, data.config as unknown as MeterConfig);
        return undefined;
      case CMD_METER_GET:
        return dp.meterGet(data.id as number) as unknown as PlainData;
      case CMD_METER_DEL:
        return dp.meterDel(data.id as number) as unknown as PlainData;
      case CMD_SYNC:
        this.reportStats(data.all === true);
        this.ringDoorbell();
        return undefined;
      case CMD_STOP:
        this.stop();
        return undefined;
      default:
        throw new DpError("EINVAL", `unknown command ${kind}`);
    }
  }

  private stop(): void {
    this.running = false;
    for (const pending of [...this.pendingById.values()]) this.release(pending);
    this.dp.destroy();
  }

  /** Tells the main thread the datapath exists (or why it does not). */
  static announce(control: Int32Array, ok: boolean): void {
    Atomics.store(control, C_READY, ok ? 1 : -1);
    Atomics.notify(control, C_READY);
  }
}
