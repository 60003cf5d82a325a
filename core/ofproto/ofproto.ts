// One OpenFlow switch (a bridge's ofproto): its ports and VLAN bundles, its 255 flow tables with
// ofproto's internal rules in table 254, its groups and meters, the MAC learning table, and the
// switch-wide OpenFlow configuration (fragment handling, table-miss behaviour). Implements the
// view translation reads (xlate/view.ts). Owns the state and its invariants; it performs no I/O
// and speaks no wire format: OpenFlow connections live in connmgr.ts, the datapath binding in
// ofproto_dpif.ts, and both call in here. Promises: `ports()` and `bundles()` return a new array
// whenever their set changes (xlate caches per array), in creation order.

import { TunTable } from "./tun_metadata.ts";
import type { Ofpact } from "./actions/types.ts";
import type { Conjunction } from "./classifier.ts";
import { field } from "./fields.ts";
import { setFieldValue } from "./field_set.ts";
import { NX_LEARN_F_DELETE_LEARNED } from "./actions/types.ts";
import {
  FF_HIDDEN_FIELDS,
  FF_NO_READONLY,
  RR_DELETE,
  RR_GROUP_DELETE,
  RR_METER_DELETE,
  type Rule,
} from "./rule.ts";
import {
  type FlowModRequest,
  FlowTables,
  OFPFC_ADD,
  OFPG_ANY,
  OFPP_ANY,
  OfTable,
} from "./flow_table.ts";
import { Match } from "./match.ts";
import { MacLearning } from "./mac_learning.ts";
import type { FlowWords } from "../datapath/flow.ts";
import {
  type FragHandling,
  PC_NO_FLOOD,
  type PriorityTags,
  type TableMiss,
  TBL_INTERNAL,
  type VlanMode,
  type XlateBond,
  type XlateBridge,
  type XlateBundle,
  type XlateGroup,
  type XlateLacp,
  type XlateMirror,
  type XlatePort,
} from "./xlate/view.ts";
import type { GroupStore } from "./group_store.ts";

export const N_TABLES = 255;

/** OpenFlow port description fields beyond what xlate needs (ofputil_phy_port). */
export interface PortFeatures {
  curr: number;
  advertised: number;
  supported: number;
  peer: number;
  currSpeed: number;
  maxSpeed: number;
}

export class OfPort implements XlatePort {
  odpPort: number | undefined;
  config = 0;
  state = 0;
  mayEnable = true;
  bundle: OfBundle | undefined = undefined;
  peer: { bridge: XlateBridge; port: XlatePort } | undefined = undefined;
  hwAddr: Uint8Array;
  features: PortFeatures = {
    curr: 0,
    advertised: 0,
    supported: 0,
    peer: 0,
    currSpeed: 0,
    maxSpeed: 0,
  };
  /** The Interface type this port was created from (dummy, internal, patch, system ...). */
  type: string;
  /** QoS queues' DSCP by skb_priority (set by vswitchd/qos_config.ts; see XlatePort). */
  queueDscp: ReadonlyMap<number, number> | undefined = undefined;
  /**
   * A patch port's configured peer and the counters its netdev keeps (netdev-vport counts only
   * what translation sends through it: packets and bytes each way).
   */
  patchPeer: string | undefined = undefined;
  readonly vportStats = { rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0 };

  constructor(
    readonly ofport: number,
    readonly name: string,
    hwAddr: Uint8Array,
    type: string,
    odpPort: number | undefined,
  ) {
    this.hwAddr = hwAddr;
    this.type = type;
    this.odpPort = odpPort;
  }
}

export interface BundleConfig {
  vlanMode: VlanMode;
  vlan: number;
  trunks: ReadonlySet<number> | undefined;
  cvlans: ReadonlySet<number> | undefined;
  qinqEthtype: number;
  priorityTags: PriorityTags;
  protected: boolean;
}

export class OfBundle implements XlateBundle {
  vlanMode: VlanMode = "trunk";
  vlan = -1;
  trunks: ReadonlySet<number> | undefined = undefined;
  cvlans: ReadonlySet<number> | undefined = undefined;
  qinqEthtype = 0x88a8;
  priorityTags: PriorityTags = "never";
  protected = false;
  ports: OfPort[] = [];
  /** Mirror bits (see XlateMirror): mirrors selecting this bundle's input and output, and those
   * that output to it. */
  srcMirrors = 0;
  dstMirrors = 0;
  mirrorOut = 0;
  /** The bond and LACP of a bonded Port (set by ofproto/bundle_links.ts). */
  bond: XlateBond | undefined = undefined;
  lacp: XlateLacp | undefined = undefined;

  constructor(readonly name: string) {}

  get floodable(): boolean {
    return this.ports.every((p) => !(p.config & PC_NO_FLOOD));
  }

  /** Whether `config` and `members` are what the bundle already has. */
  sameAs(config: BundleConfig, members: readonly OfPort[]): boolean {
    const sameSet = (a: ReadonlySet<number> | undefined, b: ReadonlySet<number> | undefined) =>
      a === b || (a !== undefined && b !== undefined && a.size === b.size &&
        [...a].every((v) => b.has(v)));
    return this.vlanMode === config.vlanMode && this.vlan === config.vlan &&
      sameSet(this.trunks, config.trunks) && sameSet(this.cvlans, config.cvlans) &&
      this.qinqEthtype === config.qinqEthtype && this.priorityTags === config.priorityTags &&
      this.protected === config.protected && this.ports.length === members.length &&
      members.every((p, i) => this.ports[i] === p && p.bundle === this);
  }

  configure(config: BundleConfig): void {
    this.vlanMode = config.vlanMode;
    this.vlan = config.vlan;
    this.trunks = config.trunks;
    this.cvlans = config.cvlans;
    this.qinqEthtype = config.qinqEthtype;
    this.priorityTags = config.priorityTags;
    this.protected = config.protected;
  }
}

export interface OfprotoOptions {
  name: string;
  /** The Bridge row's UUID in text form. */
  uuid: string;
  now: () => number;
  /** Called whenever cached translations may be stale (tables, ports, groups, MACs). */
  invalidate?: () => void;
}

function uuidBytes(text: string): Uint8Array {
  const hex = text.replaceAll("-", "");
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16) || 0;
  return out;
}

export class Ofproto implements XlateBridge {
  readonly name: string;
  readonly uuid: Uint8Array;
  readonly uuidText: string;
  readonly nTables = N_TABLES;
  readonly tables: FlowTables;
  readonly macLearning: MacLearning<XlateBundle>;
  datapathId = 0n;
  fragHandling: FragHandling = "normal";
  forwardBpdu = false;
  /** The highest primary election (generation) id seen from controllers, if any. */
  electionId: bigint | undefined = undefined;
  /** In-band control is on (translation then sends DHCP replies to the local port too). */
  hasInBand = false;
  /** Geneve option to tun_metadata<n> mappings (NXT_TLV_TABLE_MOD replaces it whole). */
  tunMetadata = new TunTable();
  /** Set by the connection manager: an OpenFlow < 1.3 controller wants misses. */
  packetInOnMiss = false;
  missRule!: Rule;
  noPacketInRule!: Rule;
  dropFragsRule!: Rule;
  groups: GroupStore | undefined;
  /** Port mirrors by index (configured from the Mirror table). */
  readonly mirrors = new Map<number, XlateMirror>();
  /** While set, every table lookup appends its table id (a translation's tables, for stats). */
  recordLookups: number[] | undefined = undefined;

  readonly #ports = new Map<number, OfPort>();
  readonly #portsByName = new Map<string, OfPort>();
  #portList: readonly OfPort[] = [];
  readonly #bundles = new Map<string, OfBundle>();
  #bundleList: readonly OfBundle[] = [];
  readonly #options: OfprotoOptions;

  constructor(
    options: OfprotoOptions,
    hooks: {
      checkActions?: (ofpacts: readonly Ofpact[], match: Match, tableId: number) => void;
      outputsTo: (ofpacts: readonly Ofpact[], port: number) => boolean;
      outputsToGroup: (ofpacts: readonly Ofpact[], group: number) => boolean;
      conjunctions?: (ofpacts: readonly Ofpact[]) => Conjunction[];
      ruleRemoved?: (rule: Rule, reason: number) => void;
      ruleAdded?: (rule: Rule, replaced: Rule | undefined, command: number) => void;
    },
  ) {
    this.#options = options;
    this.name = options.name;
    this.uuidText = options.uuid;
    this.uuid = uuidBytes(options.uuid);
    this.macLearning = new MacLearning<XlateBundle>(options.now);
    this.tables = new FlowTables({
      nTables: N_TABLES,
      now: options.now,
      outputsTo: hooks.outputsTo,
      outputsToGroup: hooks.outputsToGroup,
      ...(hooks.checkActions ? { checkActions: hooks.checkActions } : {}),
      ...(hooks.conjunctions ? { conjunctions: hooks.conjunctions } : {}),
      events: {
        ruleRemoved: (rule, reason) => {
          this.#countLearnedCookies(rule.ofpacts, -1);
          hooks.ruleRemoved?.(rule, reason);
        },
        ruleAdded: (rule, replaced, command) => {
          this.#countLearnedCookies(rule.ofpacts, 1);
          if (replaced) this.#countLearnedCookies(replaced.ofpacts, -1);
          hooks.ruleAdded?.(rule, replaced, command);
        },
        changed: () => this.invalidate(),
      },
    });
    const internal = this.tables.tables[TBL_INTERNAL]!;
    this.tables.tables[TBL_INTERNAL] = Object.assign(new OfTable(TBL_INTERNAL, true), {
      name: internal.name,
    });
    this.#addInternalRules();
  }

  invalidate(): void {
    this.#options.invalidate?.();
  }

  /**
   * learned_cookies: how many rules hold a learn action with delete_learned for each (table,
   * cookie). When the last goes, the flows such learning made (that table, that cookie) are
   * deleted too, once the operation that removed it is over (learned_cookies_flush).
   */
  readonly #learnedCookies = new Map<string, number>();

  #countLearnedCookies(ofpacts: readonly Ofpact[], delta: number): void {
    for (const a of ofpacts) {
      if (a.type !== "learn" || !(a.flags & NX_LEARN_F_DELETE_LEARNED)) continue;
      const key = `${a.tableId}/${a.cookie}`;
      const n = (this.#learnedCookies.get(key) ?? 0) + delta;
      if (n > 0) {
        this.#learnedCookies.set(key, n);
        continue;
      }
      this.#learnedCookies.delete(key);
      const { tableId, cookie } = a;
      queueMicrotask(() => {
        if (this.#learnedCookies.has(key)) return;
        const doomed = [...this.tables.rules()].filter((r) =>
          r.tableId === tableId && r.cookie === cookie && !r.hidden
        );
        this.tables.removeRules(doomed, RR_DELETE);
      });
    }
  }

  /** ofproto-dpif's hidden rules in table 254: miss with packet-in, miss without, frag drop. */
  #addInternalRules(): void {
    const reg0 = field("reg0");
    const add = (id: number, priority: number, ofpacts: Ofpact[], recirc = false): Rule => {
      const match = new Match();
      if (recirc) setFieldValue(match, field("recirc_id"), new Uint8Array(4));
      else setFieldValue(match, reg0, new Uint8Array([0, 0, 0, id]));
      const fm: FlowModRequest = {
        command: OFPFC_ADD,
        match,
        priority,
        cookie: 0n,
        cookieMask: 0n,
        newCookie: 0n,
        modifyCookie: false,
        tableId: TBL_INTERNAL,
        idleTimeout: 0,
        hardTimeout: 0,
        bufferId: 0xffffffff,
        outPort: OFPP_ANY,
        outGroup: OFPG_ANY,
        flags: FF_HIDDEN_FIELDS | FF_NO_READONLY,
        importance: 0,
        ofpacts,
      };
      this.tables.apply(fm);
      return this.tables.tables[TBL_INTERNAL]!.cls.findExactly(match, priority)!.payload;
    };
    this.missRule = add(1, 0, [{
      type: "controller",
      maxLen: 0xffff,
      controllerId: 0,
      reason: 7, // OFPR_IMPLICIT_MISS
      pause: false,
      userdata: new Uint8Array(0),
      meterId: 0,
      controller2: false,
    }]);
    this.noPacketInRule = add(2, 0, []);
    this.dropFragsRule = add(3, 0, []);
    add(0, 2, [], true);
  }

  // ---- XlateBridge ----

  lookup(tableId: number, flow: FlowWords, wc: FlowWords | undefined): Rule | undefined {
    const table = this.tables.tables[tableId];
    if (!table) return undefined;
    const found = table.cls.lookup(flow, wc)?.payload;
    // Table statistics count packets, not translations: record the lookup and let the caller
    // credit it with the packets that took this path (creditTable).
    if (this.recordLookups) this.recordLookups.push(found ? tableId : tableId + 256);
    return found;
  }

  tableMiss(tableId: number): TableMiss {
    return this.tables.tables[tableId]?.miss ?? "default";
  }

  port(ofport: number): OfPort | undefined {
    return this.#ports.get(ofport);
  }

  portByName(name: string): OfPort | undefined {
    return this.#portsByName.get(name);
  }

  ports(): readonly OfPort[] {
    return this.#portList;
  }

  /** Ports in the order they were added (what upstream's port hmap order derives from). */
  portsByAddition(): OfPort[] {
    return [...this.#ports.values()];
  }

  bundles(): readonly OfBundle[] {
    return this.#bundleList;
  }

  bundle(name: string): OfBundle | undefined {
    return this.#bundles.get(name);
  }

  group(groupId: number): XlateGroup | undefined {
    return this.groups?.get(groupId);
  }

  get hasMirrors(): boolean {
    return this.mirrors.size > 0;
  }

  mirror(index: number): XlateMirror | undefined {
    return this.mirrors.get(index);
  }

  // ---- Ports and bundles ----

  addPort(port: OfPort): void {
    this.#ports.set(port.ofport, port);
    this.#portsByName.set(port.name, port);
    this.#relist();
  }

  removePort(ofport: number): OfPort | undefined {
    const port = this.#ports.get(ofport);
    if (!port) return undefined;
    this.#ports.delete(ofport);
    this.#portsByName.delete(port.name);
    if (port.bundle) {
      port.bundle.ports = port.bundle.ports.filter((p) => p !== port);
      port.bundle = undefined;
    }
    this.#relist();
    return port;
  }

  /** Creates or reconfigures the bundle `name` with `members` (upstream's bundle_register). */
  setBundle(name: string, config: BundleConfig, members: readonly OfPort[]): OfBundle {
    let bundle = this.#bundles.get(name);
    // Reconfiguring a bundle to what it already is changes nothing, and (as upstream's
    // bundle_set) asks for no revalidation: every database change re-applies every Port row.
    if (bundle && bundle.sameAs(config, members)) return bundle;
    if (!bundle) {
      bundle = new OfBundle(name);
      this.#bundles.set(name, bundle);
    }
    bundle.configure(config);
    for (const old of bundle.ports) if (!members.includes(old)) old.bundle = undefined;
    for (const port of members) {
      if (port.bundle && port.bundle !== bundle) {
        port.bundle.ports = port.bundle.ports.filter((p) => p !== port);
      }
      port.bundle = bundle;
    }
    bundle.ports = [...members];
    this.#relist();
    return bundle;
  }

  removeBundle(name: string): void {
    const bundle = this.#bundles.get(name);
    if (!bundle) return;
    for (const port of bundle.ports) port.bundle = undefined;
    this.#bundles.delete(name);
    this.macLearning.forgetPort(bundle);
    this.#relist();
  }

  #relist(): void {
    // Ports bundle by bundle in bundle creation order, then those in no bundle.
    const bundles = [...this.#bundles.values()];
    const ordered: OfPort[] = [];
    for (const bundle of bundles) ordered.push(...bundle.ports);
    for (const port of this.#ports.values()) if (!port.bundle) ordered.push(port);
    this.#portList = ordered;
    this.#bundleList = bundles;
    this.invalidate();
  }

  /** Rules in table 0 that OpenFlow does not see (fail-open's, in-band's). */
  hiddenRuleCount(): number {
    let n = 0;
    this.tables.tables[0]!.cls.forEach((cr) => {
      if (cr.payload.hidden) n++;
    });
    return n;
  }

  // ---- Statistics pushed from the datapath ----

  /** Credits `packets` to a table lookup recorded by `recordLookups` (+256: a miss). */
  creditTable(recorded: number, packets: number): void {
    const table = this.tables.tables[recorded & 0xff];
    if (!table) return;
    table.lookups += packets;
    if (recorded < 256) table.matched += packets;
  }

  creditGroup(hit: { group: XlateGroup; bucket?: unknown }, packets: number, bytes: number): void {
    const group = this.groups?.get(hit.group.groupId);
    if (!group) return;
    if (hit.bucket === undefined) {
      // all and indirect groups: the packets went through every bucket.
      group.credit(undefined, packets, bytes);
      for (const bucket of group.buckets) {
        bucket.packetCount += packets;
        bucket.byteCount += bytes;
      }
      return;
    }
    group.credit(group.buckets.find((b) => b === hit.bucket), packets, bytes);
  }

  /** Traffic still flows from a MAC NORMAL learned: keep its entry fresh (and where it is). */
  refreshMac(learn: { bundle: XlateBundle; mac: number; vlan: number; isGratArp: boolean }): void {
    if (!this.#bundleList.includes(learn.bundle as OfBundle)) return;
    if (this.macLearning.update(learn.mac, learn.vlan, learn.isGratArp, false, learn.bundle)) {
      this.invalidate();
    }
  }

  // ---- Housekeeping ----

  /** Expires rules and MAC entries; called from the daemon's loop. */
  run(now: number): void {
    this.tables.expire(now);
    if (this.macLearning.run()) this.invalidate();
  }

  /** Deletes every rule that sends to `groupId` (the group was deleted). */
  deleteRulesOfGroup(groupId: number, outputsToGroup: (o: readonly Ofpact[]) => boolean): void {
    const doomed: Rule[] = [];
    for (const rule of this.tables.rules()) {
      if (!rule.hidden && outputsToGroup(rule.ofpacts)) doomed.push(rule);
    }
    void groupId;
    this.tables.removeRules(doomed, RR_GROUP_DELETE);
  }

  /** Deletes every rule that uses meter `meterId` (the meter was deleted). */
  deleteRulesOfMeter(usesMeter: (o: readonly Ofpact[]) => boolean): void {
    const doomed: Rule[] = [];
    for (const rule of this.tables.rules()) {
      if (!rule.hidden && usesMeter(rule.ofpacts)) doomed.push(rule);
    }
    this.tables.removeRules(doomed, RR_METER_DELETE);
  }
}
