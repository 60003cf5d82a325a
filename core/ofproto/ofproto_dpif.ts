// The slow path's binding to a datapath (upstream's ofproto-dpif with its dpif_backer and the
// udpif upcall handler and revalidator): one Backer per datapath type serves every bridge of that
// type, as upstream shares one datapath ("ovs-dummy", "ovs-netdev") among bridges. It maps
// datapath ports to bridges and OpenFlow ports, answers the datapath's upcalls by translating
// (xlate) into datapath actions plus the megaflow mask, remembers each installed megaflow's
// translation (a ukey) so statistics flow back to the rules, groups and tables it went through,
// and revalidates: after any change that may alter translations it re-translates every cached
// flow and fixes or deletes those that differ; it deletes flows idle beyond max-idle.
//
// Promises: a megaflow in the datapath always has the actions its key translates to now, once a
// revalidation has run after the change (`revalidate()`); statistics are pushed to rules before
// rules are expired; a bad packet or a translation error drops the packet, never throws out of
// an upcall. Owns no OpenFlow connection: packet-ins go out through `BackerHooks`.

import { type DpAction, formatDpActions } from "../datapath/dp_actions.ts";
import type { DpFlow, NetdevDatapath, Upcall, UpcallReply } from "../datapath/dpif.ts";
import { FLOW_WORDS, type FlowWords, W_IN_PORT, W_RECIRC_ID } from "../datapath/flow.ts";
import type { Netdev } from "../datapath/netdev.ts";
import type { Packet } from "../datapath/packet.ts";
import { vlogModule } from "../net/vlog.ts";
import type { OfPort, Ofproto } from "./ofproto.ts";
import type { Rule } from "./rule.ts";
import type { GroupHit, LearnedFlow, NormalLearn } from "./xlate/context.ts";
import { type PacketInDescription, packetInFromUpcall } from "./xlate/packet_in.ts";
import { RecircTable } from "./xlate/rid.ts";
import type { XlateBridge, XlateRule } from "./xlate/view.ts";
import type { Ofpact } from "./actions/types.ts";
import { type XlateResult, Xlator } from "./xlate/xlate.ts";

const log = vlogModule("ofproto_dpif_upcall");

/** Upstream's defaults: other_config:max-idle and flow-limit. */
export const DEFAULT_MAX_IDLE = 10000;
export const DEFAULT_FLOW_LIMIT = 200000;
/** How often the revalidator dumps the datapath (ofproto_max_revalidator's default). */
export const REVALIDATE_INTERVAL = 500;

export interface BackerHooks {
  /** A controller action (or a table miss) asks for a packet-in. */
  packetIn(ofproto: Ofproto, packetIn: PacketInDescription): void;
  /** A learn action produced a flow-mod; returns false when the learn limit refuses it. */
  learn(fm: LearnedFlow): boolean;
  /** Rule statistics changed a lot (a flow monitor may care); optional. */
  statsPushed?(): void;
}

/** What the revalidator remembers of an installed megaflow (upstream's udpif_key). */
interface Ukey {
  ufid: string;
  ofproto: Ofproto;
  key: FlowWords;
  mask: FlowWords;
  actions: DpAction[];
  actionsText: string;
  rules: readonly XlateRule[];
  groups: readonly GroupHit[];
  normalLearns: readonly NormalLearn[];
  tables: readonly number[];
  recircIds: readonly number[];
  /** Datapath statistics already pushed. */
  packets: number;
  bytes: number;
  /** When it was installed: a flow never hit is idle since then. */
  created: number;
}

interface PortBinding {
  ofproto: Ofproto;
  port: OfPort;
}

export class Backer {
  readonly bridges = new Set<Ofproto>();
  maxIdle = DEFAULT_MAX_IDLE;
  flowLimit = DEFAULT_FLOW_LIMIT;
  /** Set when translations may have changed; the next revalidation re-translates everything. */
  needRevalidate = false;
  /** Counters for upcall/show. */
  upcalls = 0;
  revalidations = 0;

  readonly #xlator = new Xlator();
  readonly #ports = new Map<number, PortBinding>();
  readonly #ukeys = new Map<string, Ukey>();
  readonly #hooks: BackerHooks;
  readonly #scratchFlow = new Uint32Array(FLOW_WORDS + 16);

  constructor(
    readonly datapath: NetdevDatapath,
    readonly clock: () => number,
    hooks: BackerHooks,
    /** Recirculation IDs are process-wide, as upstream's (shared by every backer). */
    readonly recirc: RecircTable = new RecircTable(),
  ) {
    this.#hooks = hooks;
    datapath.setUpcallHandler((upcall) => this.#upcall(upcall));
  }

  get type(): string {
    return this.datapath.type;
  }

  addBridge(ofproto: Ofproto): void {
    this.bridges.add(ofproto);
    this.needRevalidate = true;
  }

  removeBridge(ofproto: Ofproto): void {
    this.bridges.delete(ofproto);
    for (const [odp, binding] of [...this.#ports]) {
      if (binding.ofproto === ofproto) this.#ports.delete(odp);
    }
    this.needRevalidate = true;
  }

  bridgeByUuid(uuid: Uint8Array): Ofproto | undefined {
    for (const ofproto of this.bridges) {
      if (ofproto.uuid.every((b, i) => b === uuid[i])) return ofproto;
    }
    return undefined;
  }

  /**
   * Puts `netdev` into the datapath for `port` (asking for `requested` as its number, as the
   * LOCAL port of a bridge asks nothing); returns the datapath port number.
   */
  addPort(ofproto: Ofproto, port: OfPort, netdev: Netdev): number {
    const existing = this.datapath.portByName(netdev.name);
    const odp = existing ? existing.portNo : this.datapath.portAdd(netdev);
    port.odpPort = odp;
    this.#ports.set(odp, { ofproto, port });
    this.needRevalidate = true;
    return odp;
  }

  removePort(port: OfPort): void {
    if (port.odpPort === undefined) return;
    const binding = this.#ports.get(port.odpPort);
    if (binding?.port === port) {
      this.#ports.delete(port.odpPort);
      try {
        this.datapath.portDel(port.odpPort);
      } catch {
        // Already gone from the datapath.
      }
    }
    port.odpPort = undefined;
    this.needRevalidate = true;
  }

  portByOdp(odp: number): PortBinding | undefined {
    return this.#ports.get(odp);
  }

  /** The datapath port names and numbers (for traces and dpctl names). */
  portNames(): Map<string, number> {
    const out = new Map<string, number>();
    for (const port of this.datapath.portList()) out.set(port.name, port.portNo);
    return out;
  }

  // ---- Translation ----

  /** Translates a datapath key (datapath in_port) for the bridge owning its input port. */
  #translate(
    key: FlowWords,
    packet: Packet | undefined,
    mayLearn: boolean,
  ): { ofproto: Ofproto; result: XlateResult; tables: number[] } | undefined {
    const binding = this.#ports.get(key[W_IN_PORT]!);
    let ofproto = binding?.ofproto;
    const flow = this.#scratchFlow;
    flow.fill(0);
    flow.set(key.subarray(0, FLOW_WORDS));
    if (binding) flow[W_IN_PORT] = binding.port.ofport;
    if (key[W_RECIRC_ID] !== 0) {
      // A recirculated packet continues in the bridge its frozen state names.
      const node = this.recirc.find(key[W_RECIRC_ID]!);
      if (node) ofproto = this.bridgeByUuid(node.state.bridgeUuid) ?? ofproto;
    }
    if (!ofproto) return undefined;
    const tables: number[] = [];
    ofproto.recordLookups = tables;
    try {
      const result = this.#xlator.translate({
        bridge: ofproto,
        flow,
        packet,
        mayLearn,
        keepsCache: true,
        now: this.clock(),
        recirc: this.recirc,
        onLearn: mayLearn ? (fm) => this.#hooks.learn(fm) : undefined,
        bridgeByUuid: (uuid) => this.bridgeByUuid(uuid),
      });
      return { ofproto, result, tables };
    } finally {
      ofproto.recordLookups = undefined;
    }
  }

  #upcall(upcall: Upcall): UpcallReply | undefined {
    this.upcalls++;
    try {
      if (upcall.kind === "action") return this.#actionUpcall(upcall);
      return this.#missUpcall(upcall);
    } catch (error) {
      log.warn(`upcall failed: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  }

  #missUpcall(upcall: Upcall): UpcallReply | undefined {
    const translated = this.#translate(upcall.key, upcall.packet, true);
    if (!translated) {
      // A packet on a port no bridge owns: drop, and keep dropping in the datapath.
      const mask = new Uint32Array(FLOW_WORDS);
      mask[W_IN_PORT] = 0xffffffff;
      mask[W_RECIRC_ID] = 0xffffffff;
      return { actions: [], mask };
    }
    const { ofproto, result, tables } = translated;
    const length = upcall.packet.length;
    const now = this.clock();
    // The upcall's own packet counts for the rules, groups and tables it went through.
    this.#credit(ofproto, result.rules, result.groups, tables, 1, length, now);
    if (result.avoidCaching || result.slow) {
      for (const id of result.recircIds) this.recirc.unref(id);
      return { actions: result.actions, install: false };
    }
    const mask = result.mask.slice(0, FLOW_WORDS);
    const install = this.datapath.getStats().flows < this.flowLimit;
    if (install) {
      this.#ukeys.set(upcall.ufid, {
        ufid: upcall.ufid,
        ofproto,
        key: upcall.key.slice(),
        mask,
        actions: result.actions,
        actionsText: formatDpActions(result.actions),
        rules: result.rules,
        groups: result.groups,
        normalLearns: result.normalLearns,
        tables,
        recircIds: result.recircIds,
        packets: 0,
        bytes: 0,
        created: now,
      });
    } else {
      for (const id of result.recircIds) this.recirc.unref(id);
    }
    return { actions: result.actions, mask, install };
  }

  #actionUpcall(upcall: Upcall): UpcallReply | undefined {
    if (!upcall.userdata) return undefined;
    const binding = this.#ports.get(upcall.key[W_IN_PORT]!);
    const flow = upcall.key.slice();
    if (binding) flow[W_IN_PORT] = binding.port.ofport;
    const pin = packetInFromUpcall(
      this.recirc,
      upcall.userdata,
      upcall.packet.frame(),
      flow,
      upcall.key[W_IN_PORT]!,
    );
    if (!pin) return undefined;
    let ofproto = binding?.ofproto;
    const node = this.recirc.find(upcall.key[W_RECIRC_ID]!);
    if (node) ofproto = this.bridgeByUuid(node.state.bridgeUuid) ?? ofproto;
    if (pin.continuation) ofproto = this.bridgeByUuid(pin.continuation.bridgeUuid) ?? ofproto;
    if (ofproto) this.#hooks.packetIn(ofproto, pin);
    return undefined;
  }

  /**
   * A packet-out: translates `ofpacts` for `packet` entering `ofproto` on OpenFlow port
   * `inPort` (its flow already extracted into `flow`, in_port set) and executes the result.
   */
  packetOut(
    ofproto: Ofproto,
    packet: Packet,
    flow: FlowWords,
    ofpacts: readonly Ofpact[],
  ): XlateResult {
    const tables: number[] = [];
    ofproto.recordLookups = tables;
    let result: XlateResult;
    try {
      result = this.#xlator.translate({
        bridge: ofproto,
        flow,
        packet,
        mayLearn: true,
        now: this.clock(),
        recirc: this.recirc,
        ofpacts,
        inPacketOut: true,
        onLearn: (fm) => this.#hooks.learn(fm),
        bridgeByUuid: (uuid) => this.bridgeByUuid(uuid),
      });
    } finally {
      ofproto.recordLookups = undefined;
    }
    this.#credit(ofproto, result.rules, result.groups, tables, 1, packet.length, this.clock());
    if (result.error === "OK") {
      this.datapath.execute(packet, result.actions);
    }
    return result;
  }

  get xlator(): Xlator {
    return this.#xlator;
  }

  // ---- Statistics and revalidation ----

  #credit(
    ofproto: Ofproto,
    rules: readonly XlateRule[],
    groups: readonly GroupHit[],
    tables: readonly number[],
    packets: number,
    bytes: number,
    used: number,
  ): void {
    for (const r of rules) (r as Rule).credit?.(packets, bytes, used);
    for (const hit of groups) ofproto.creditGroup(hit, packets, bytes);
    for (const t of tables) ofproto.creditTable(t, packets);
  }

  /**
   * One revalidator pass (upstream's revalidate + revalidator_sweep): pushes statistics of every
   * cached flow to what its translation went through, deletes flows idle beyond max-idle, and,
   * when translations may have changed (or `force`), re-translates every flow and fixes or
   * deletes those whose actions or mask differ.
   */
  revalidate(force = false): void {
    this.revalidations++;
    const now = this.clock();
    const retranslate = force || this.needRevalidate;
    this.needRevalidate = false;
    const flows = this.datapath.flowDump();
    const seen = new Set<string>();
    for (const flow of flows) {
      seen.add(flow.ufid);
      const ukey = this.#ukeys.get(flow.ufid);
      if (!ukey) {
        // A flow we did not install (dpctl/add-flow): upstream deletes it.
        this.#delete(flow);
        continue;
      }
      this.#pushStats(ukey, flow);
      const used = flow.stats.used || ukey.created;
      if (now - used > this.maxIdle) {
        this.#delete(flow);
        continue;
      }
      if (retranslate && !this.#stillValid(ukey)) {
        log.dbg(`revalidation deletes ${flow.ufid}`);
        this.#delete(flow);
      }
    }
    for (const ufid of [...this.#ukeys.keys()]) {
      if (!seen.has(ufid)) this.#forget(ufid);
    }
    this.recirc.run(now);
    this.#hooks.statsPushed?.();
  }

  #pushStats(ukey: Ukey, flow: DpFlow): void {
    const packets = flow.stats.packets - ukey.packets;
    const bytes = flow.stats.bytes - ukey.bytes;
    if (packets <= 0 && bytes <= 0) return;
    ukey.packets = flow.stats.packets;
    ukey.bytes = flow.stats.bytes;
    const used = flow.stats.used || this.clock();
    this.#credit(ukey.ofproto, ukey.rules, ukey.groups, ukey.tables, packets, bytes, used);
    // Traffic keeps NORMAL's MAC entries fresh, as upstream's xlate cache does.
    for (const learn of ukey.normalLearns) ukey.ofproto.refreshMac(learn);
  }

  #stillValid(ukey: Ukey): boolean {
    if (!this.bridges.has(ukey.ofproto)) return false;
    const translated = this.#translate(ukey.key, undefined, false);
    if (!translated) return false;
    const { result } = translated;
    for (const id of result.recircIds) this.recirc.unref(id);
    if (result.slow || result.avoidCaching) return false;
    if (formatDpActions(result.actions) !== ukey.actionsText) {
      log.dbg(`actions changed: ${formatDpActions(result.actions)} vs ${ukey.actionsText}`);
      return false;
    }
    for (let i = 0; i < FLOW_WORDS; i++) {
      if (((result.mask[i]! | ukey.mask[i]!) >>> 0) !== ukey.mask[i]) {
        log.dbg(`mask word ${i} changed: ${result.mask[i]} vs ${ukey.mask[i]}`);
        return false;
      }
    }
    ukey.rules = result.rules;
    ukey.groups = result.groups;
    ukey.normalLearns = result.normalLearns;
    ukey.tables = translated.tables;
    return true;
  }

  #delete(flow: DpFlow): void {
    try {
      this.datapath.flowDel({ ufid: flow.ufid });
    } catch {
      // Already gone.
    }
    const ukey = this.#ukeys.get(flow.ufid);
    if (ukey) this.#pushStats(ukey, flow);
    this.#forget(flow.ufid);
  }

  #forget(ufid: string): void {
    const ukey = this.#ukeys.get(ufid);
    if (!ukey) return;
    for (const id of ukey.recircIds) this.recirc.unref(id);
    this.#ukeys.delete(ufid);
  }

  /** Deletes every datapath flow (revalidator/purge). */
  purge(): void {
    for (const flow of this.datapath.flowDump()) this.#delete(flow);
  }

  /** Flows of one bridge, for dpif/dump-flows. */
  flowsOf(ofproto: Ofproto): DpFlow[] {
    return this.datapath.flowDump().filter((f) => this.#ukeys.get(f.ufid)?.ofproto === ofproto);
  }

  get ukeyCount(): number {
    return this.#ukeys.size;
  }

  /** The bridge `bridge` is, as a translation view (identity; for callers holding a view). */
  static asOfproto(bridge: XlateBridge): Ofproto {
    return bridge as Ofproto;
  }
}
