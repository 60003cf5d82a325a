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
import { RateLimit, vlogModule } from "../net/vlog.ts";
import type { OfPort, Ofproto } from "./ofproto.ts";
import type { Rule } from "./rule.ts";
import type { GroupHit, LearnedFlow, NormalLearn, StatsSink } from "./xlate/context.ts";
import { decodeUserCookie, encodeUserCookie } from "../datapath/user_cookie.ts";
import { extractFlow } from "../datapath/flow_extract.ts";
import { Packet as DpPacket } from "../datapath/packet.ts";
import { type PacketInDescription, packetInFromUpcall } from "./xlate/packet_in.ts";
import { RecircTable } from "./xlate/rid.ts";
import type { XlateBridge, XlateRule } from "./xlate/view.ts";
import type { Ofpact } from "./actions/types.ts";
import { type XlateResult, Xlator } from "./xlate/xlate.ts";

const log = vlogModule("ofproto_dpif_upcall");
/** Upstream's rate limits in ofproto-dpif-upcall.c (messages a minute, burst). */
const upcallRl = new RateLimit(1, 5);
const killRl = new RateLimit(1, 1);
const unexpectedRl = new RateLimit(10, 60);
const ukeyRl = new RateLimit(1, 1);

/** Upstream's defaults: other_config:max-idle and flow-limit. */
export const DEFAULT_MAX_IDLE = 10000;
export const DEFAULT_FLOW_LIMIT = 200000;
/** How often the revalidator dumps the datapath (ofproto_max_revalidator's default). */
export const REVALIDATE_INTERVAL = 500;
/** udpif's starting dynamic flow limit, whatever flow-limit says (it grows dump by dump). */
const INITIAL_DYNAMIC_LIMIT = 10000;
/** How long udpif_get_n_flows trusts its last count of datapath flows. */
const N_FLOWS_CACHE_MS = 100;

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
  /** Mirrors and bond buckets the translation went through (upstream's xlate cache). */
  statsSinks: readonly StatsSink[];
  /** Datapath statistics already pushed. */
  packets: number;
  bytes: number;
  /** When it was installed: a flow never hit is idle since then. */
  created: number;
  /** When the revalidator last saw it used (upstream's ukey->stats.used), 0 if never. */
  used: number;
  /** Found in the datapath rather than installed here (dpctl/add-flow): translate it first. */
  adopted: boolean;
}

/** OFPP_NONE: the input port of the switch's own packets. */
const OFPP_NONE = 0xffff;

/**
 * compose_slow_path: the userspace action a slow-pathed flow is installed with (netdev
 * datapaths' Netlink pid is 0), its cookie naming the reason and the input port.
 */
function slowPathActions(ofproto: Ofproto, ofpInPort: number, reason: number): DpAction[] {
  const cookie = encodeUserCookie({
    type: "slow_path",
    ofpInPort,
    ofprotoUuid: ofproto.uuid,
    reason,
  });
  return [{ type: "userspace", pid: 0, userdata: cookie }];
}

interface PortBinding {
  ofproto: Ofproto;
  port: OfPort;
}

export class Backer {
  readonly bridges = new Set<Ofproto>();
  maxIdle = DEFAULT_MAX_IDLE;
  /** other_config:flow-limit (upstream's ofproto_flow_limit). */
  flowLimit = DEFAULT_FLOW_LIMIT;
  /** Counters for upcall/show. */
  upcalls = 0;
  revalidations = 0;
  /** upcall/show's flow counts, sampled as each dump starts (udpif's avg_n_flows, max_n_flows). */
  avgFlows = 0;
  maxFlows = 0;
  /** How long the last dump took, at least 1 ms (udpif->dump_duration). */
  dumpDuration = 1;
  /** Called when a change asks for revalidation: the daemon runs one soon, as upstream does. */
  onNeedRevalidate: (() => void) | undefined;

  #needRevalidate = false;
  /** udpif's dynamic flow limit, set from flow-limit when first needed, then dump by dump. */
  #dynamicLimit: number | undefined;
  #nFlows = 0;
  #nFlowsAt = -Infinity;

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

  /** Set when translations may have changed; the next revalidation re-translates everything. */
  get needRevalidate(): boolean {
    return this.#needRevalidate;
  }

  set needRevalidate(value: boolean) {
    this.#needRevalidate = value;
    if (value) this.onNeedRevalidate?.();
  }

  /** The flow limit in force (upcall/show's "limit"): udpif's, which follows dump speed. */
  get dynamicFlowLimit(): number {
    this.#dynamicLimit ??= Math.min(this.flowLimit, INITIAL_DYNAMIC_LIMIT);
    return this.#dynamicLimit;
  }

  /**
   * The number of datapath flows as udpif_get_n_flows knows it: asked of the datapath at most
   * every 100 ms, so a burst of misses may overshoot the flow limit, as upstream's does.
   */
  nFlows(): number {
    const now = this.clock();
    if (this.#nFlowsAt < now - N_FLOWS_CACHE_MS) {
      this.#nFlowsAt = now;
      this.#nFlows = this.datapath.getStats().flows;
    }
    return this.#nFlows;
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
    for (const sink of result.statsSinks) sink(1, length);
    if (result.avoidCaching) {
      for (const id of result.recircIds) this.recirc.unref(id);
      return { actions: result.actions, install: false };
    }
    // A slow-pathed flow is installed as a userspace action that sends its packets up again
    // (compose_slow_path); this packet gets the translated actions.
    const installed = result.slow
      ? slowPathActions(ofproto, this.#ofpInPort(upcall.key), result.slow)
      : undefined;
    const mask = result.mask.slice(0, FLOW_WORDS);
    // should_install_flow: refused (with a warning) once the datapath holds the limit.
    const withinLimit = this.nFlows() < this.dynamicFlowLimit;
    // ukey_install: a ukey left for this ufid (its flow was deleted behind the revalidator's
    // back, dpctl/del-flows) blocks a new one until the next sweep clears it.
    const stale = withinLimit && this.#ukeys.has(upcall.ufid);
    if (stale) log.rateLimited(ukeyRl, "warn", "upcall_cb failure: ukey installation fails");
    const install = withinLimit && !stale;
    if (!withinLimit) {
      log.rateLimited(
        upcallRl,
        "warn",
        `upcall: datapath reached the dynamic limit of ${this.dynamicFlowLimit} flows.`,
      );
    }
    if (install) {
      this.#ukeys.set(upcall.ufid, {
        ufid: upcall.ufid,
        ofproto,
        key: upcall.key.slice(),
        mask,
        actions: installed ?? result.actions,
        actionsText: formatDpActions(installed ?? result.actions),
        rules: result.rules,
        groups: result.groups,
        normalLearns: result.normalLearns,
        tables,
        recircIds: result.recircIds,
        statsSinks: result.statsSinks,
        packets: 0,
        bytes: 0,
        created: now,
        used: 0,
        adopted: false,
      });
    } else {
      for (const id of result.recircIds) this.recirc.unref(id);
    }
    return {
      actions: result.actions,
      mask,
      install,
      ...(installed ? { putActions: installed } : {}),
    };
  }

  #actionUpcall(upcall: Upcall): UpcallReply | undefined {
    if (!upcall.userdata) return undefined;
    if (decodeUserCookie(upcall.userdata)?.type === "slow_path") {
      return this.#slowPathUpcall(upcall);
    }
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

  /** The OpenFlow port a datapath key's packets came in on, or OFPP_NONE. */
  #ofpInPort(key: FlowWords): number {
    return this.#ports.get(key[W_IN_PORT]!)?.port.ofport ?? OFPP_NONE;
  }

  /** A packet of a slow-pathed flow: translated again, with its side effects, and executed. */
  #slowPathUpcall(upcall: Upcall): UpcallReply | undefined {
    const translated = this.#translate(upcall.key, upcall.packet, true);
    if (!translated) return undefined;
    const { ofproto, result, tables } = translated;
    for (const id of result.recircIds) this.recirc.unref(id);
    const length = upcall.packet.length;
    this.#credit(ofproto, result.rules, result.groups, tables, 1, length, this.clock());
    for (const sink of result.statsSinks) sink(1, length);
    return { actions: result.actions };
  }

  /**
   * ofproto_dpif_send_packet (xlate_send_packet): sends `frame` out of `port` as the switch's
   * own packet (LACP PDUs, a bond's learning packets), translated from OFPP_NONE so that a patch
   * port carries it on into its peer bridge.
   */
  sendPacket(ofproto: Ofproto, port: OfPort, frame: Uint8Array): void {
    const packet = new DpPacket(frame.length + 256 + 128);
    packet.setFrame(frame);
    const flow = new Uint32Array(FLOW_WORDS);
    extractFlow(packet, flow);
    flow[W_IN_PORT] = OFPP_NONE;
    this.packetOut(ofproto, packet, flow, [{ type: "output", port: port.ofport, maxLen: 0 }]);
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
    for (const sink of result.statsSinks) sink(1, packet.length);
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
   * cached flow to what its translation went through, deletes flows idle beyond max-idle (100 ms
   * when the datapath holds more than the flow limit, every flow beyond twice the limit), and,
   * when translations may have changed (or `force`), re-translates every flow: one whose actions
   * changed is modified in place, one whose mask no longer fits is deleted. A flow found in the
   * datapath that was not installed here (dpctl/add-flow) is taken in and revalidated, as
   * upstream's ukey_acquire does; one that recirculates cannot be and is deleted. Then the
   * dynamic flow limit follows how long the dump took.
   */
  revalidate(force = false): void {
    this.revalidations++;
    const start = this.clock();
    // udpif_revalidator's leader samples the flow count as each dump starts.
    const nAtStart = this.nFlows();
    this.maxFlows = Math.max(this.maxFlows, nAtStart);
    this.avgFlows = Math.floor((this.avgFlows + nAtStart) / 2);
    const retranslate = force || this.needRevalidate;
    this.#needRevalidate = false;
    const limit = this.dynamicFlowLimit;
    const nDpFlows = this.nFlows();
    const killAll = nDpFlows > limit * 2;
    if (killAll) {
      log.rateLimited(
        killRl,
        "warn",
        `Number of datapath flows (${nDpFlows}) twice as high as current dynamic flow limit (${
          limit * 2
        }).  Starting to delete flows unconditionally as an emergency measure.`,
      );
    }
    const maxIdle = nDpFlows > limit ? 100 : this.maxIdle;
    const now = this.clock();
    const seen = new Set<string>();
    for (const flow of this.datapath.flowDump()) {
      seen.add(flow.ufid);
      let ukey = this.#ukeys.get(flow.ufid);
      if (!ukey) {
        ukey = this.#adopt(flow, now);
        if (!ukey) continue;
      }
      // udpif_update_used: a flow the datapath reports unused was last used when last seen.
      let used = flow.stats.used;
      if (!used) used = flow.stats.packets > ukey.packets ? now : ukey.used || ukey.created;
      if (killAll || (used && used < now - maxIdle)) {
        this.#delete(flow);
        continue;
      }
      if (retranslate || ukey.adopted) {
        const verdict = this.#revalidateUkey(ukey, flow);
        if (verdict === "delete") {
          log.dbg(`revalidation deletes ${flow.ufid}`);
          this.#delete(flow);
          continue;
        }
        if (verdict === "modify") {
          try {
            this.datapath.flowPut({
              key: ukey.key,
              mask: flow.mask,
              actions: ukey.actions,
              ufid: ukey.ufid,
              modify: true,
            });
          } catch {
            this.#delete(flow);
            continue;
          }
        }
      }
      this.#pushStats(ukey, flow);
      ukey.used = used;
    }
    for (const ufid of [...this.#ukeys.keys()]) {
      if (!seen.has(ufid)) this.#forget(ufid);
    }
    this.recirc.run(now);
    this.#hooks.statsPushed?.();
    this.#adaptFlowLimit(start, nAtStart);
  }

  /** The leader's flow-limit arithmetic after each dump (udpif_revalidator). */
  #adaptFlowLimit(start: number, nFlows: number): void {
    const duration = Math.max(this.clock() - start, 1);
    this.dumpDuration = duration;
    let limit = this.dynamicFlowLimit;
    if (duration > 2000) limit = Math.floor(limit / Math.floor(duration / 1000));
    else if (duration > 1300) limit = Math.floor(limit * 3 / 4);
    else if (duration < 1000 && limit < Math.floor(nFlows * 1000 / duration)) limit += 1000;
    this.#dynamicLimit = Math.min(this.flowLimit, Math.max(limit, 1000));
    if (duration > 2000) log.info(`Spent an unreasonably long ${duration}ms dumping flows`);
  }

  /**
   * ukey_acquire for a flow this backer did not install: a ukey to revalidate it with, or
   * undefined once it has been deleted (a recirculating flow cannot be taken over).
   */
  #adopt(flow: DpFlow, now: number): Ukey | undefined {
    const recirculates = flow.key[W_RECIRC_ID] !== 0 ||
      flow.actions.some((a) => a.type === "recirc");
    const binding = this.#ports.get(flow.key[W_IN_PORT]!);
    if (recirculates || !binding) {
      if (recirculates) {
        log.rateLimited(
          unexpectedRl,
          "warn",
          "Failed to acquire udpif_key corresponding to unexpected flow (Invalid argument): " +
            `ufid:${flow.ufid}`,
        );
      }
      try {
        this.datapath.flowDel({ ufid: flow.ufid });
      } catch {
        // Already gone.
      }
      return undefined;
    }
    const ukey: Ukey = {
      ufid: flow.ufid,
      ofproto: binding.ofproto,
      key: flow.key.slice(),
      mask: flow.mask.slice(),
      actions: flow.actions,
      actionsText: formatDpActions(flow.actions),
      rules: [],
      groups: [],
      normalLearns: [],
      tables: [],
      recircIds: [],
      statsSinks: [],
      packets: 0,
      bytes: 0,
      created: now,
      used: flow.stats.used,
      adopted: true,
    };
    this.#ukeys.set(flow.ufid, ukey);
    return ukey;
  }

  #pushStats(ukey: Ukey, flow: DpFlow): void {
    const packets = flow.stats.packets - ukey.packets;
    const bytes = flow.stats.bytes - ukey.bytes;
    if (packets <= 0 && bytes <= 0) return;
    ukey.packets = flow.stats.packets;
    ukey.bytes = flow.stats.bytes;
    const used = flow.stats.used || this.clock();
    this.#credit(ukey.ofproto, ukey.rules, ukey.groups, ukey.tables, packets, bytes, used);
    for (const sink of ukey.statsSinks) sink(packets, bytes);
    // Traffic keeps NORMAL's MAC entries fresh, as upstream's xlate cache does.
    for (const learn of ukey.normalLearns) ukey.ofproto.refreshMac(learn);
  }

  /**
   * revalidate_ukey__: translates the flow's key again. Its statistics go to what this
   * translation went through from now on (upstream rebuilds the xlate cache), whatever the
   * verdict: "modify" when only the actions changed (the ukey then holds the new ones), "delete"
   * when the translation fails, must not be cached, or needs bits the datapath mask (`flow.mask`)
   * wildcards.
   */
  #revalidateUkey(ukey: Ukey, flow: DpFlow): "keep" | "modify" | "delete" {
    ukey.adopted = false;
    if (!this.bridges.has(ukey.ofproto)) return "delete";
    const translated = this.#translate(ukey.key, undefined, false);
    if (!translated) return "delete";
    const { result } = translated;
    ukey.ofproto = translated.ofproto;
    ukey.rules = result.rules;
    ukey.groups = result.groups;
    ukey.normalLearns = result.normalLearns;
    ukey.tables = translated.tables;
    ukey.statsSinks = result.statsSinks;
    const release = () => {
      for (const id of result.recircIds) this.recirc.unref(id);
    };
    if (result.avoidCaching) {
      release();
      return "delete";
    }
    for (let i = 0; i < FLOW_WORDS; i++) {
      if ((result.mask[i]! & ~flow.mask[i]!) !== 0) {
        log.dbg(`mask word ${i} now needs ${result.mask[i]} beyond ${flow.mask[i]}`);
        release();
        return "delete";
      }
    }
    const actions = result.slow
      ? slowPathActions(ukey.ofproto, this.#ofpInPort(ukey.key), result.slow)
      : result.actions;
    const actionsText = formatDpActions(actions);
    if (actionsText === ukey.actionsText) {
      release();
      return "keep";
    }
    log.dbg(`actions changed: ${actionsText} vs ${ukey.actionsText}`);
    // The new actions' recirculation IDs replace the old ones (recirc_refs_swap).
    for (const id of ukey.recircIds) this.recirc.unref(id);
    ukey.recircIds = result.recircIds;
    ukey.actions = actions;
    ukey.actionsText = actionsText;
    return "modify";
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

  /** The ufids of the flows the revalidator tracks (upcall/show counts them per thread). */
  ukeyIds(): string[] {
    return [...this.#ukeys.keys()];
  }

  /** The bridge `bridge` is, as a translation view (identity; for callers holding a view). */
  static asOfproto(bridge: XlateBridge): Ofproto {
    return bridge as Ofproto;
  }
}
