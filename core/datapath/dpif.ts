// The datapath provider interface (upstream's dpif-provider.h) and the userspace datapath
// (dpif-netdev): ports on netdevs, the receive path (extract the flow key, EMC, megaflow
// classifier, upcall on a miss), action execution, flow put/modify/delete/get/dump/flush, meters,
// statistics. This is the fast path: it knows nothing of OpenFlow. The slow path plugs in through
// one upcall handler:
//   - "miss": no cached flow matched. The owner returns the actions and the megaflow mask (and
//     optionally different actions to install, or install: false when over its flow budget);
//     the datapath executes the actions on the packet and installs (key & mask) -> actions within
//     the megaflow cache's flow limit. `undefined` drops the packet without installing (counted
//     as lost, as an upcall error is upstream).
//   - "action": a userspace(...) action ran on a cached flow; the owner consumes the packet
//     (copying what it keeps) and may return actions to run on it.
// Promises: synchronous and deterministic (the owner drives `run`, time comes from the injected
// clock); the packet path allocates nothing per packet once warm; in_port and recirc_id are
// always exact in installed masks; datapath port numbers are chosen as upstream's (the dummy
// class uses the digits of the name, `br*` from 100). No unixctl, no OVSDB, no timers: safe in a
// Worker.

import { RateLimit, vlogModule } from "../net/vlog.ts";
import { type DpAction, formatDpActions, ODPP_LOCAL, ODPP_NONE } from "./dp_actions.ts";
import { DpError } from "./dp_errors.ts";
import {
  FLOW_WORDS,
  type FlowWords,
  VLAN_CFI,
  VLAN_VID_MASK,
  W_DL_TYPE_VLAN,
  W_IN_PORT,
  W_RECIRC_ID,
  W_TCP_FLAGS,
} from "./flow.ts";
import { extractFlow } from "./flow_extract.ts";
import { flowHash5Tuple } from "./flow_hash.ts";
import {
  type FlowStats,
  type Megaflow,
  MegaflowCache,
  type MegaflowCacheOptions,
} from "./megaflow.ts";
import { type MeterConfig, type MeterStats, MeterTable } from "./meter.ts";
import { miniflowBits } from "./miniflow_bits.ts";
import { closeNetdev, type Netdev, NETDEV_LOOPBACK, NETDEV_PROMISC, openNetdev } from "./netdev.ts";
import { registerDummyNetdevs } from "./netdev_dummy.ts";
import { NETDEV_MAX_BURST, OdpExecutor, type UserspaceAction } from "./odp_execute.ts";
import { formatOdpFlow } from "./odp_key.ts";
import { OffloadFallback } from "./offload.ts";
import { Packet } from "./packet.ts";

export const MAX_RECIRC_DEPTH = 6;

const log = vlogModule("dpif_netdev");
const upcallRl = new RateLimit(600, 600);
const errorRl = new RateLimit(1, 5);

export interface Upcall {
  kind: "miss" | "action";
  datapath: NetdevDatapath;
  /** The packet (valid only during the call: copy what you keep). */
  packet: Packet;
  /** Its flow key (valid only during the call). */
  key: FlowWords;
  /** The ufid upstream derives from the key; a miss's flow is installed under it. */
  ufid: string;
  /** For "action": the userspace action's cookie and the action itself. */
  userdata?: Uint8Array;
  action?: UserspaceAction;
}

export interface UpcallReply {
  /** Actions to execute on the packet now. */
  actions: DpAction[];
  /** For a miss: the megaflow mask (which key bits the decision depended on); none: no install. */
  mask?: FlowWords;
  /** Actions to install when they differ from those executed (upstream's put_actions). */
  putActions?: DpAction[];
  /** False: execute but install nothing (upstream's ENOSPC from a full flow table). */
  install?: boolean;
}

export type UpcallHandler = (upcall: Upcall) => UpcallReply | undefined;

export interface DpPort {
  readonly portNo: number;
  readonly name: string;
  readonly type: string;
  readonly netdev: Netdev;
}

export interface DpStats {
  hit: number;
  missed: number;
  lost: number;
  flows: number;
  /** Only datapaths that report mask statistics (the kernel's); undefined for this one. */
  masks?: { hit: number; total: number; cacheHit?: number };
}

/** A datapath flow as dumps and gets report it. */
export interface DpFlow {
  ufid: string;
  key: FlowWords;
  mask: FlowWords;
  actions: DpAction[];
  stats: FlowStats;
  dpLayer: string;
  offloaded: boolean;
  extraInfo: string | undefined;
}

export interface FlowPutRequest {
  key: FlowWords;
  mask: FlowWords;
  actions: DpAction[];
  ufid?: string;
  create?: boolean;
  modify?: boolean;
  zeroStats?: boolean;
}

/** A datapath class: "dummy" (test-friendly port numbers) or "netdev". */
export interface DpifClass {
  readonly type: string;
  /** Whether ports are numbered from the digits in their names (the dummy class). */
  readonly predictablePorts: boolean;
  /** The netdev type of the datapath's own local port. */
  readonly internalType: string;
  /**
   * Makes the datapath `openDatapath` registers (default: a NetdevDatapath run in this thread);
   * a class whose fast path runs elsewhere (dpif_remote.ts: in a Worker) returns its proxy.
   */
  readonly open?: (cls: DpifClass, name: string, options: DatapathOptions) => NetdevDatapath;
}

export const DUMMY_DPIF_CLASS: DpifClass = {
  type: "dummy",
  predictablePorts: true,
  internalType: "dummy-internal",
};
export const NETDEV_DPIF_CLASS: DpifClass = {
  type: "netdev",
  predictablePorts: false,
  internalType: "tap",
};

const dpifClasses = new Map<string, DpifClass>([
  ["dummy", DUMMY_DPIF_CLASS],
  ["netdev", NETDEV_DPIF_CLASS],
]);

export function registerDpifClass(cls: DpifClass): void {
  dpifClasses.set(cls.type, cls);
}

/** Datapath types (dp_enumerate_types), sorted. */
export function datapathTypes(): string[] {
  return [...dpifClasses.keys()].sort();
}

export interface DatapathOptions extends MegaflowCacheOptions {
  /** The owner's clock in milliseconds (the daemon's time/warp clock). */
  clock?: () => number;
  /**
   * Whether the exact-match cache is used. Off by default: in JavaScript its full-key compare
   * costs more than a classifier probe over a few masks (see bench/datapath_bench.ts); turn it
   * on for tables with many masks. Statistics are the same either way.
   */
  emc?: boolean;
  /** For sample(): a uniformly random unsigned 32-bit integer. */
  random32?: () => number;
  /**
   * Report mask statistics in getStats (dpctl/show's "masks:" line), as the kernel datapath
   * does. Off by default: upstream's userspace datapath does not print them.
   */
  reportMasks?: boolean;
}

/** Per recirculation depth scratch: keys, flows and per-flow batches. */
class InputScratch {
  readonly keys: FlowWords[] = [];
  readonly flows: (Megaflow | undefined)[] = new Array(NETDEV_MAX_BURST).fill(undefined);
  readonly hashes = new Uint32Array(NETDEV_MAX_BURST);
  readonly batchFlows: (Megaflow | undefined)[] = new Array(NETDEV_MAX_BURST).fill(undefined);
  readonly batchPackets: Packet[][] = [];
  readonly batchCounts = new Uint32Array(NETDEV_MAX_BURST);
  readonly batchBytes = new Float64Array(NETDEV_MAX_BURST);
  readonly batchTcpFlags = new Uint32Array(NETDEV_MAX_BURST);
  readonly one: Packet[] = [];

  constructor() {
    for (let i = 0; i < NETDEV_MAX_BURST; i++) {
      this.keys.push(new Uint32Array(FLOW_WORDS));
      this.batchPackets.push(new Array<Packet>(NETDEV_MAX_BURST));
    }
  }
}

/** The userspace datapath, one instance per (type, name). */
export class NetdevDatapath {
  readonly cache: MegaflowCache;
  readonly meters = new MeterTable(NETDEV_MAX_BURST);
  private readonly ports = new Map<number, DpPort>();
  private readonly portsByName = new Map<string, DpPort>();
  private upcallHandler: UpcallHandler | undefined;
  private readonly executor: OdpExecutor;
  private readonly clock: () => number;
  private readonly emcEnabled: boolean;
  private readonly reportMasks: boolean;
  private readonly scratch: InputScratch[] = [];
  private recircDepth = 0;
  private readonly rxBatch: Packet[] = [];
  private readonly executeKey = new Uint32Array(FLOW_WORDS);
  private readonly upcallKey = new Uint32Array(FLOW_WORDS);
  /** Completes checksums and cuts super-frames for ports whose netdev cannot take them. */
  private readonly offloadFallback = new OffloadFallback();
  private destroyed = false;
  /** Packets dropped because the recirculation depth was exceeded. */
  recircDrops = 0;

  constructor(readonly dpifClass: DpifClass, readonly name: string, options: DatapathOptions = {}) {
    this.cache = new MegaflowCache(options);
    this.clock = options.clock ?? (() => Math.floor(performance.now()));
    this.emcEnabled = options.emc ?? false;
    this.reportMasks = options.reportMasks ?? false;
    const executorOptions = options.random32 ? { random32: options.random32 } : {};
    this.executor = new OdpExecutor({
      output: (port, batch, count) => this.output(port, batch, count),
      userspace: (packet, action) => this.userspaceAction(packet, action),
      recirculate: (batch, count) => this.recirculate(batch, count),
      meter: (id, batch, count) => this.meters.execute(id, batch, count, this.clock()),
      lbOutput: (bond, batch, count) => this.lbOutput(bond, batch, count),
    }, executorOptions);
    for (let i = 0; i < NETDEV_MAX_BURST; i++) this.rxBatch.push(new Packet());
    if (dpifClass.type === "dummy") registerDummyNetdevs();
    const local = openNetdev(name, dpifClass.internalType);
    try {
      this.addPort(local, ODPP_LOCAL);
    } finally {
      closeNetdev(local);
    }
  }

  get type(): string {
    return this.dpifClass.type;
  }

  /** "dummy@ovs-dummy", as dpif_name prints it. */
  get fullName(): string {
    return `${this.type}@${this.name}`;
  }

  setUpcallHandler(handler: UpcallHandler | undefined): void {
    this.upcallHandler = handler;
  }

  now(): number {
    return this.clock();
  }

  // ---------------------------------------------------------------------------------------------
  // Ports.

  /** Upstream's choose_port: the name's first digits for the dummy class, else the lowest free. */
  choosePort(name: string): number {
    if (this.dpifClass.predictablePorts) {
      const start = name.startsWith("br") ? 100 : 0;
      const m = /\d+/.exec(name);
      if (m) {
        const portNo = start + parseStrtol(name.slice(m.index));
        if (portNo > 0 && portNo !== ODPP_NONE && !this.ports.has(portNo)) return portNo;
      }
    }
    for (let portNo = 1; portNo <= 0xffff; portNo++) if (!this.ports.has(portNo)) return portNo;
    return ODPP_NONE;
  }

  /**
   * Adds `netdev` as a port, numbered `requested` or chosen. Throws DpError EBUSY (number in
   * use), EEXIST (name in use), EFBIG (no number left), EINVAL (a loopback device).
   */
  portAdd(netdev: Netdev, requested?: number): number {
    let portNo: number;
    if (requested !== undefined && requested !== ODPP_NONE) {
      if (this.ports.has(requested)) throw new DpError("EBUSY");
      portNo = requested;
    } else {
      portNo = this.choosePort(netdev.name);
      if (portNo === ODPP_NONE) throw new DpError("EFBIG");
    }
    this.addPort(netdev, portNo);
    return portNo;
  }

  private addPort(netdev: Netdev, portNo: number): void {
    if (this.portsByName.has(netdev.name)) throw new DpError("EEXIST");
    if (netdev.getFlags() & NETDEV_LOOPBACK) throw new DpError("EINVAL");
    // The port holds its own reference, as upstream's port_create opens the device itself.
    openNetdev(netdev.name, netdev.type);
    const port: DpPort = { portNo, name: netdev.name, type: netdev.type, netdev };
    this.ports.set(portNo, port);
    this.portsByName.set(port.name, port);
    netdev.rxqOpen();
    netdev.updateFlags(0, NETDEV_PROMISC);
  }

  /** Removes port `portNo`. Throws DpError EINVAL for the local port, ENOENT if absent. */
  portDel(portNo: number): void {
    if (portNo === ODPP_LOCAL) throw new DpError("EINVAL");
    const port = this.ports.get(portNo);
    if (!port) throw new DpError("ENOENT");
    this.removePort(port);
  }

  private removePort(port: DpPort): void {
    this.ports.delete(port.portNo);
    this.portsByName.delete(port.name);
    port.netdev.updateFlags(NETDEV_PROMISC, 0);
    port.netdev.rxqClose();
    closeNetdev(port.netdev);
  }

  portByNumber(portNo: number): DpPort | undefined {
    return this.ports.get(portNo);
  }

  portByName(name: string): DpPort | undefined {
    return this.portsByName.get(name);
  }

  /** Every port, in number order. */
  portList(): DpPort[] {
    return [...this.ports.values()].sort((a, b) => a.portNo - b.portNo);
  }

  // ---------------------------------------------------------------------------------------------
  // The receive path.

  /** Polls every port once (a batch each) and processes what came in; returns the count. */
  run(): number {
    let total = 0;
    for (const port of this.ports.values()) {
      port.netdev.run();
      if (!port.netdev.rxReady()) continue;
      const n = port.netdev.recv(this.rxBatch, NETDEV_MAX_BURST);
      if (n > 0) {
        this.input(this.rxBatch, n, port.portNo);
        total += n;
      }
    }
    return total;
  }

  /** Runs until no port has anything left (bounded). */
  runUntilIdle(maxRounds = 1000): number {
    let total = 0;
    for (let i = 0; i < maxRounds; i++) {
      const n = this.run();
      if (n === 0) break;
      total += n;
    }
    return total;
  }

  /** Processes `batch[0..count)` received on `inPort` (metadata reset as a new packet's). */
  input(batch: Packet[], count: number, inPort: number): void {
    for (let i = 0; i < count; i++) {
      const p = batch[i]!;
      p.inPort = inPort;
      p.recircId = 0;
      p.dpHash = 0;
      p.skbPriority = 0;
      p.pktMark = 0;
    }
    this.process(batch, count);
  }

  private scratchAt(depth: number): InputScratch {
    let s = this.scratch[depth];
    if (!s) {
      s = new InputScratch();
      this.scratch[depth] = s;
    }
    return s;
  }

  /** dp_netdev_input__: classify, upcall misses, then execute per-flow batches. */
  private process(batch: Packet[], count: number): void {
    for (let start = 0; start < count; start += NETDEV_MAX_BURST) {
      this.processBurst(batch, start, Math.min(count, start + NETDEV_MAX_BURST));
    }
  }

  private processBurst(batch: Packet[], from: number, to: number): void {
    const s = this.scratchAt(this.recircDepth);
    const cache = this.cache;
    const counters = cache.counters;
    const now = this.clock();
    let nBatches = 0;
    for (let i = from; i < to; i++) {
      const p = batch[i]!;
      const k = i - from;
      const key = s.keys[k]!;
      extractFlow(p, key);
      let flow: Megaflow | undefined;
      let hash = 0;
      if (this.emcEnabled) {
        hash = cache.emcHash(key);
        flow = cache.emcLookup(key, hash);
        if (flow) counters.emcHit++;
      }
      if (!flow) {
        flow = cache.lookup(key);
        if (flow && this.emcEnabled) cache.emcInsert(key, hash, flow);
      }
      if (!flow) {
        this.miss(p, key, hash);
        continue;
      }
      counters.hit++;
      // Queue the packet on its flow's batch, creating the batch at the flow's first packet.
      let b = 0;
      while (b < nBatches && s.batchFlows[b] !== flow) b++;
      if (b === nBatches) {
        s.batchFlows[b] = flow;
        s.batchCounts[b] = 0;
        s.batchBytes[b] = 0;
        s.batchTcpFlags[b] = 0;
        nBatches++;
      }
      s.batchPackets[b]![s.batchCounts[b]!] = p;
      s.batchCounts[b]!++;
      s.batchBytes[b]! += p.length;
      s.batchTcpFlags[b]! |= key[W_TCP_FLAGS]! & 0xfff;
    }
    for (let b = 0; b < nBatches; b++) {
      const flow = s.batchFlows[b]!;
      s.batchFlows[b] = undefined;
      cache.account(flow, s.batchCounts[b]!, s.batchBytes[b]!, s.batchTcpFlags[b]!, now);
      this.executor.execute(s.batchPackets[b]!, s.batchCounts[b]!, flow.actions);
    }
  }

  /** handle_packet_upcall. */
  private miss(p: Packet, key: FlowWords, hash: number): void {
    const cache = this.cache;
    const handler = this.upcallHandler;
    if (!handler) {
      cache.counters.lost++;
      return;
    }
    const ufid = cache.ufidForKey(key);
    let reply: UpcallReply | undefined;
    try {
      reply = handler({ kind: "miss", datapath: this, packet: p, key, ufid });
    } catch {
      reply = undefined;
    }
    if (!reply) {
      cache.counters.lost++;
      return;
    }
    cache.counters.missed++;
    // The upcall handler may have looked at the packet; the key stays the one extracted before.
    this.executeOne(p, reply.actions);
    if (reply.install === false || !reply.mask) return;
    const mask = Uint32Array.from(reply.mask);
    mask[W_IN_PORT] = 0xffffffff;
    mask[W_RECIRC_ID] = 0xffffffff;
    if (!(mask[W_DL_TYPE_VLAN]! & 0xffff)) {
      mask[W_DL_TYPE_VLAN] = (mask[W_DL_TYPE_VLAN]! | VLAN_VID_MASK | VLAN_CFI) >>> 0;
    }
    let flow = cache.lookup(key);
    if (!flow) {
      flow = cache.insert(key, mask, reply.putActions ?? reply.actions, this.clock(), {
        ufid,
        enforceLimit: true,
      });
      if (flow) this.logFlowChange(flow);
    }
    if (flow && this.emcEnabled) cache.emcInsert(key, hash, flow);
  }

  private executeOne(p: Packet, actions: readonly DpAction[]): void {
    const one = this.scratchAt(this.recircDepth).one;
    one[0] = p;
    this.executor.execute(one, 1, actions);
  }

  private output(portNo: number, batch: readonly Packet[], count: number): void {
    const port = this.ports.get(portNo);
    if (!port) return;
    this.offloadFallback.send(port.netdev, batch, count);
  }

  // ---------------------------------------------------------------------------------------------
  // Bonds for lb_output (upstream's tx_bonds: dpif_bond_add, dpif_bond_del, dpif_bond_stats_get).

  private readonly bonds = new Map<number, TxBond>();
  private readonly lbKey = new Uint32Array(FLOW_WORDS);
  private readonly lbOne: Packet[] = [];

  /** dpif_bond_add: bond `id`'s 256 buckets send to these datapath ports (ODPP_NONE: drop). */
  bondAdd(id: number, members: readonly number[]): void {
    const old = this.bonds.get(id);
    const bond: TxBond = old ?? {
      members: new Uint32Array(BOND_BUCKETS),
      packets: new Float64Array(BOND_BUCKETS),
      bytes: new Float64Array(BOND_BUCKETS),
    };
    for (let i = 0; i < BOND_BUCKETS; i++) bond.members[i] = members[i] ?? ODPP_NONE;
    this.bonds.set(id, bond);
  }

  bondDel(id: number): void {
    this.bonds.delete(id);
  }

  /** dpif_bond_stats_get: the bytes each bucket sent, or undefined for an unknown bond. */
  bondStats(id: number): number[] | undefined {
    const bond = this.bonds.get(id);
    return bond ? [...bond.bytes] : undefined;
  }

  /** dpif-netdev/bond-show's reply text. */
  bondShow(): string {
    if (!this.bonds.size) return "";
    let out = "Bonds:\n";
    for (const [id, bond] of this.bonds) {
      out += `  bond-id ${id}:\n`;
      for (let i = 0; i < BOND_BUCKETS; i++) out += `    bucket ${i} - member ${bond.members[i]}\n`;
    }
    return out;
  }

  /** dp_execute_lb_output_action: each packet to its bucket's member, by its RSS hash. */
  private lbOutput(id: number, batch: readonly Packet[], count: number): void {
    const bond = this.bonds.get(id);
    if (!bond) return;
    const key = this.lbKey;
    const one = this.lbOne;
    for (let i = 0; i < count; i++) {
      const p = batch[i]!;
      extractFlow(p, key);
      // The RSS hash the netdev datapath computed when the packet came in.
      const bucket = flowHash5Tuple(key, 0) & (BOND_BUCKETS - 1);
      const member = bond.members[bucket]!;
      const port = this.ports.get(member);
      if (!port) continue;
      one[0] = p;
      this.offloadFallback.send(port.netdev, one, 1);
      bond.packets[bucket]! += 1;
      bond.bytes[bucket]! += p.length;
    }
  }

  private userspaceAction(packet: Packet, action: UserspaceAction): void {
    const handler = this.upcallHandler;
    if (!handler) return;
    const key = this.upcallKey;
    extractFlow(packet, key);
    const upcall: Upcall = {
      kind: "action",
      datapath: this,
      packet,
      key,
      ufid: this.cache.ufidForKey(key),
      action,
    };
    if (action.userdata) upcall.userdata = action.userdata;
    let reply: UpcallReply | undefined;
    try {
      reply = handler(upcall);
    } catch {
      reply = undefined;
    }
    if (reply && reply.actions.length) this.executeOne(packet, reply.actions);
  }

  private recirculate(batch: Packet[], count: number): void {
    if (this.recircDepth >= MAX_RECIRC_DEPTH) {
      this.recircDrops += count;
      log.warn("Packet dropped. Max recirculation depth exceeded.");
      return;
    }
    this.recircDepth++;
    try {
      this.process(batch, count);
    } finally {
      this.recircDepth--;
    }
  }

  /**
   * Executes `actions` on `packet` (dpif_execute, a packet-out). The packet's metadata
   * (in_port, recirc_id, mark, priority) is taken as set by the caller.
   */
  execute(packet: Packet, actions: readonly DpAction[]): void {
    extractFlow(packet, this.executeKey);
    this.executeOne(packet, actions);
  }

  // ---------------------------------------------------------------------------------------------
  // Flow table operations.

  /** dpif_netdev_flow_put. Throws DpError EINVAL, EEXIST, ENOENT or EOPNOTSUPP. */
  flowPut(request: FlowPutRequest): FlowStats {
    const { key } = request;
    const mask = Uint32Array.from(request.mask);
    if (mask[W_IN_PORT] !== 0xffffffff) {
      const op = request.create ? "[create]" : request.modify ? "[modify]" : "[zero]";
      log.rateLimited(errorRl, "err", `failed to put${op} flow: in_port is not an exact match`);
      throw new DpError("EINVAL", "in_port is not an exact match");
    }
    if (!(mask[W_DL_TYPE_VLAN]! & 0xffff)) {
      mask[W_DL_TYPE_VLAN] = (mask[W_DL_TYPE_VLAN]! | VLAN_VID_MASK | VLAN_CFI) >>> 0;
    }
    const ufid = request.ufid ?? this.cache.ufidForKey(key);
    const existing = this.cache.lookup(key);
    const stats: FlowStats = { packets: 0, bytes: 0, used: 0, tcpFlags: 0 };
    if (!existing) {
      if (!request.create) throw new DpError("ENOENT");
      if (this.cache.getByUfid(ufid)) throw new DpError("EEXIST");
      const flow = this.cache.insert(key, mask, request.actions, this.clock(), { ufid });
      if (flow) this.logFlowChange(flow);
      return stats;
    }
    if (request.modify) {
      const old = existing.actions;
      existing.actions = request.actions;
      this.logFlowChange(existing, old);
      Object.assign(stats, existing.stats);
      if (request.zeroStats) throw new DpError("EOPNOTSUPP");
      return stats;
    }
    throw new DpError(request.create ? "EEXIST" : "EINVAL");
  }

  /** The flow with `ufid`, or (without one) the ufid derived from `key`. */
  private findFlow(ufid: string | undefined, key: FlowWords | undefined): Megaflow | undefined {
    const id = ufid ?? (key ? this.cache.ufidForKey(key) : undefined);
    return id === undefined ? undefined : this.cache.getByUfid(id);
  }

  /** dpif_netdev_flow_del: returns the flow's last statistics. Throws DpError ENOENT. */
  flowDel(request: { ufid?: string; key?: FlowWords }): FlowStats {
    const flow = this.findFlow(request.ufid, request.key);
    if (!flow) throw new DpError("ENOENT");
    const stats = { ...flow.stats };
    this.cache.remove(flow);
    return stats;
  }

  /** dpif_netdev_flow_get. Throws DpError ENOENT. */
  flowGet(request: { ufid?: string; key?: FlowWords }): DpFlow {
    const flow = this.findFlow(request.ufid, request.key);
    if (!flow) throw new DpError("ENOENT");
    return this.describe(flow);
  }

  /** Every flow, as dumps show them. */
  flowDump(): DpFlow[] {
    return this.cache.dump().map((flow) => this.describe(flow));
  }

  /** Removes every flow. */
  flowFlush(): void {
    this.cache.flush();
  }

  /** Removes flows idle longer than `maxIdleMs` (the owner's revalidator drives this). */
  expireIdle(maxIdleMs: number): DpFlow[] {
    return this.cache.expireIdle(this.clock(), maxIdleMs).map((flow) => this.describe(flow));
  }

  /** log_netdev_flow_change: "flow_add: ufid:U mega_ufid:M KEY, actions:A" at DBG. */
  private logFlowChange(flow: Megaflow, oldActions?: DpAction[]): void {
    if (!log.isEnabled("dbg")) return;
    const masked = new Uint32Array(FLOW_WORDS);
    for (let i = 0; i < FLOW_WORDS; i++) masked[i] = flow.key[i]! & flow.mask[i]!;
    let text = `${oldActions ? "flow_mod" : "flow_add"}: ufid:${flow.ufid} mega_ufid:${
      this.cache.ufidForKey(masked)
    } ${formatOdpFlow(flow.key, flow.mask)}`;
    if (oldActions) text += `, old_actions:${formatDpActions(oldActions)}`;
    text += `, actions:${formatDpActions(flow.actions)}`;
    log.rateLimited(upcallRl, "dbg", text);
  }

  private describe(flow: Megaflow): DpFlow {
    return {
      ufid: flow.ufid,
      key: flow.key,
      mask: flow.mask,
      actions: flow.actions,
      stats: { ...flow.stats },
      dpLayer: "ovs",
      offloaded: false,
      extraInfo: miniflowBits(flow.mask),
    };
  }

  getStats(): DpStats {
    const c = this.cache.counters;
    const stats: DpStats = { hit: c.hit, missed: c.missed, lost: c.lost, flows: this.cache.size };
    if (this.reportMasks) {
      stats.masks = { hit: c.maskHit, total: this.cache.maskCount };
      if (this.emcEnabled) stats.masks.cacheHit = c.emcHit;
    }
    return stats;
  }

  // ---------------------------------------------------------------------------------------------
  // Meters.

  /** What the datapath's meters can do (dpif_meter_get_features). */
  meterFeatures(): ReturnType<MeterTable["features"]> {
    return this.meters.features();
  }

  meterSet(id: number, config: MeterConfig): void {
    this.meters.set(id, config, this.clock());
  }

  meterGet(id: number): MeterStats {
    return this.meters.get(id);
  }

  meterDel(id: number): MeterStats {
    return this.meters.delete(id);
  }

  /** Removes every port (the local one included) and forgets the datapath. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const port of [...this.ports.values()]) this.removePort(port);
    this.cache.flush();
    datapaths.delete(key(this.type, this.name));
  }
}

/** strtol(p, NULL, 10) on a string starting with digits. */
function parseStrtol(text: string): number {
  const m = /^\d+/.exec(text);
  if (!m) return 0;
  const n = Number(m[0]);
  return n > 0xffffffff ? ODPP_NONE : n;
}

const datapaths = new Map<string, NetdevDatapath>();

/** A bond's buckets as lb_output uses them. */
interface TxBond {
  members: Uint32Array;
  packets: Float64Array;
  bytes: Float64Array;
}

const BOND_BUCKETS = 256;

function key(type: string, name: string): string {
  return `${type}@${name}`;
}

/**
 * Opens datapath `name` of `type` (dpif_open / dpif_create): `create` makes it if absent (and
 * fails with EEXIST if present); without `create` it must exist (ENODEV). Unknown types fail with
 * EAFNOSUPPORT.
 */
export function openDatapath(
  type: string,
  name: string,
  create: boolean,
  options: DatapathOptions = {},
): NetdevDatapath {
  const cls = dpifClasses.get(type);
  if (!cls) throw new DpError("EAFNOSUPPORT");
  const existing = datapaths.get(key(type, name));
  if (existing) {
    if (create) throw new DpError("EEXIST");
    return existing;
  }
  if (!create) throw new DpError("ENODEV");
  const dp = cls.open ? cls.open(cls, name, options) : new NetdevDatapath(cls, name, options);
  datapaths.set(key(type, name), dp);
  return dp;
}

/** The datapath an ofproto of `type` uses ("ovs-dummy" for dummy), created on first use. */
export function backerDatapath(type: string, options: DatapathOptions = {}): NetdevDatapath {
  const name = `ovs-${type}`;
  return datapaths.get(key(type, name)) ?? openDatapath(type, name, true, options);
}

/** Names of the datapaths of `type`, sorted (dp_enumerate_names). */
export function datapathNames(type: string): string[] {
  return [...datapaths.values()].filter((dp) => dp.type === type).map((dp) => dp.name).sort();
}

/** Every open datapath. */
export function allDatapaths(): NetdevDatapath[] {
  return [...datapaths.values()];
}

/** dp_parse_name: "type@name" or "name" (type "system"). */
export function parseDatapathName(text: string): { type: string; name: string } {
  const at = text.indexOf("@");
  if (at < 0) return { type: "system", name: text };
  return { type: text.slice(0, at) || "system", name: text.slice(at + 1) || "system" };
}

/** The netdev type a datapath of `type` opens for an Interface of `ifaceType`. */
export function dpifPortOpenType(type: string, ifaceType: string): string {
  if (ifaceType !== "internal") return ifaceType;
  return type === "dummy" ? "dummy-internal" : "tap";
}
