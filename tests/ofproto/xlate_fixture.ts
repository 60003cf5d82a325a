// Test fixture for translation: an in-memory switch behind xlate's view interfaces — bridges
// with ports (datapath numbers as the dummy datapath gives them), VLAN bundles, OpenFlow tables
// backed by the real classifier, groups and a MAC table — built from the same flow and group
// strings upstream's tests feed ovs-ofctl. Actions go through the OpenFlow wire codec once, as
// they do on their way into a real switch, so their trace text is what a switch would print.
// Test-only: the project's ofproto implements the view for real.

import { type FlowWords, W_DL_SRC, W_IN_PORT } from "../../core/datapath/flow.ts";
import { checkActions } from "../../core/ofproto/actions/check.ts";
import { parseActions } from "../../core/ofproto/actions/parse.ts";
import {
  decodeActions,
  decodeInstructions,
  encodeActions,
  encodeInstructions,
} from "../../core/ofproto/actions/codec.ts";
import type { Ofpact } from "../../core/ofproto/actions/types.ts";
import { OFPR_IMPLICIT_MISS } from "../../core/ofproto/actions/types.ts";
import { Classifier, ClsRule } from "../../core/ofproto/classifier.ts";
import { ParseError } from "../../core/ofproto/errors.ts";
import { type Field, field, OFP10, OFP13 } from "../../core/ofproto/fields.ts";
import { MacLearning } from "../../core/ofproto/mac_learning.ts";
import { Match } from "../../core/ofproto/match.ts";
import {
  finishMatchParse,
  newMatchParseContext,
  parseMatchItem,
} from "../../core/ofproto/match_text.ts";
import { nextKeyValue } from "../../core/ofproto/key_value.ts";
import { encodeNxm, pullRawMatch } from "../../core/ofproto/nx_match.ts";
import { parsePort, PortMap } from "../../core/ofproto/port_text.ts";
import { parseFieldValue } from "../../core/ofproto/field_text.ts";
import type { LearnedFlow } from "../../core/ofproto/xlate/context.ts";
import { RecircTable } from "../../core/ofproto/xlate/rid.ts";
import type { TraceDatapath, TraceHost } from "../../core/ofproto/xlate/trace.ts";
import {
  type FragHandling,
  type PriorityTags,
  type TableMiss,
  TBL_INTERNAL,
  type VlanMode,
  WATCH_GROUP_NONE,
  WATCH_PORT_NONE,
  type XlateBond,
  type XlateBridge,
  type XlateBucket,
  type XlateBundle,
  type XlateGroup,
  type XlateHashField,
  type XlateMirror,
  type XlatePort,
  type XlateRule,
} from "../../core/ofproto/xlate/view.ts";

export const OFPP_LOCAL = 0xfffe;

export class FixtureRule implements XlateRule {
  readonly cr: ClsRule<FixtureRule>;
  constructor(
    readonly tableId: number,
    readonly match: Match,
    readonly priority: number,
    readonly cookie: bigint,
    readonly ofpacts: readonly Ofpact[],
    readonly isTableMiss = false,
  ) {
    const conj = ofpacts.flatMap((a) =>
      a.type === "conjunction" ? [{ id: a.id, clause: a.clause, nClauses: a.nClauses }] : []
    );
    this.cr = new ClsRule<FixtureRule>(match, priority, this, conj);
  }
  get hidden(): boolean {
    return this.priority > 0xffff;
  }
}

export interface PortOptions {
  /** Datapath port number; undefined for patch ports. */
  odp?: number | undefined;
  vlanMode?: VlanMode;
  tag?: number;
  trunks?: number[];
  cvlans?: number[];
  qinqEthtype?: number;
  priorityTags?: PriorityTags;
  config?: number;
  mayEnable?: boolean;
  protected?: boolean;
  queueDscp?: Record<number, number>;
}

class FixturePort implements XlatePort {
  config: number;
  state = 0;
  mayEnable: boolean;
  bundle: XlateBundle | undefined;
  peer: { bridge: XlateBridge; port: XlatePort } | undefined;
  readonly hwAddr = new Uint8Array(6);
  readonly queueDscp: ReadonlyMap<number, number> | undefined;
  constructor(
    readonly ofport: number,
    readonly odpPort: number | undefined,
    readonly name: string,
    o: PortOptions,
  ) {
    this.config = o.config ?? 0;
    this.mayEnable = o.mayEnable ?? true;
    if (o.queueDscp) {
      // As ofproto-dpif keeps them: by the queue's skb_priority, DSCP in the TOS byte's place.
      this.queueDscp = new Map(
        Object.entries(o.queueDscp).map(([q, d]) => [Number(q), (d << 2) & 0xfc]),
      );
    }
  }
}

/** A bundle whose mirror bits the fixture sets as mirrors are added. */
export type FixtureBundle = XlateBundle & {
  srcMirrors: number;
  dstMirrors: number;
  mirrorOut: number;
};

/**
 * A minimal bond for tests of translation's side of bonding: active-backup sends on and accepts
 * from its first enabled member, balance-slb sends by source MAC and accepts multicast only on
 * that member, balance-tcp recirculates. (Member state machines and rebalancing are bond.c's.)
 */
export class FixtureBond implements XlateBond {
  readonly useLbOutput = false;
  constructor(
    readonly mode: "active-backup" | "balance-slb" | "balance-tcp",
    readonly members: readonly XlatePort[],
    readonly recircId = 0,
  ) {}
  #active(): XlatePort | undefined {
    return this.members.find((p) => p.mayEnable);
  }
  admissibility(port: XlatePort, dlDst: number): "accept" | "drop" | "drop-if-moved" {
    if (!port.mayEnable) return "drop";
    if (this.mode === "active-backup") return port === this.#active() ? "accept" : "drop";
    const multicast = Math.floor(dlDst / 2 ** 40) & 1;
    if (this.mode === "balance-slb") {
      return multicast && port !== this.#active() ? "drop" : "drop-if-moved";
    }
    return "accept";
  }
  chooseOutput(flow: FlowWords, wc: FlowWords | undefined, _vlan: number): XlatePort | undefined {
    if (this.mode !== "balance-slb") return this.#active();
    if (wc) {
      wc[W_DL_SRC] = (wc[W_DL_SRC]! | 0xffff) >>> 0;
      wc[W_DL_SRC + 1] = 0xffffffff;
    }
    const enabled = this.members.filter((p) => p.mayEnable);
    return enabled[(flow[W_DL_SRC + 1]! & 0xff) % Math.max(1, enabled.length)];
  }
  recirculation(_mayLearn: boolean): { recircId: number; hashBasis: number } | undefined {
    return this.mode === "balance-tcp" ? { recircId: this.recircId, hashBasis: 0 } : undefined;
  }
}

/** A Mirror row's settings. */
export interface MirrorOptions {
  selectAll?: boolean;
  srcPorts?: string[];
  dstPorts?: string[];
  selectVlans?: number[];
  outPort?: string;
  outVlan?: number;
  snaplen?: number;
}

/** A Port row's bundle, as bridge.c's port_configure and ofproto-dpif's bundle_set derive it. */
function bundleFor(name: string, p: XlatePort, o: PortOptions): FixtureBundle {
  const mode: VlanMode = o.vlanMode ?? (o.tag !== undefined ? "access" : "trunk");
  const vlan = mode === "trunk" ? -1 : o.tag ?? 0;
  let trunks = o.trunks ? new Set(o.trunks) : undefined;
  if (mode === "access" || mode === "dot1q-tunnel") trunks = undefined;
  if (
    (mode === "native-tagged" || mode === "native-untagged") && vlan !== 0 &&
    (!trunks || !trunks.has(vlan) || trunks.has(0))
  ) {
    // Force trunking the native VLAN and prohibit VLAN 0 (no trunks: every other VLAN).
    trunks = new Set(trunks ?? Array.from({ length: 4096 }, (_, i) => i));
    trunks.add(vlan);
    trunks.delete(0);
  }
  return {
    name,
    vlanMode: mode,
    vlan,
    trunks,
    cvlans: mode === "dot1q-tunnel" && o.cvlans ? new Set(o.cvlans) : undefined,
    qinqEthtype: o.qinqEthtype ?? 0x88a8,
    priorityTags: o.priorityTags ?? "never",
    floodable: !((o.config ?? 0) & (1 << 4)),
    protected: o.protected ?? false,
    ports: [p],
    srcMirrors: 0,
    dstMirrors: 0,
    mirrorOut: 0,
  };
}

function uuidOf(name: string): Uint8Array {
  const u = new Uint8Array(16);
  for (let i = 0; i < name.length; i++) u[i % 16] = (u[i % 16]! * 31 + name.charCodeAt(i)) & 0xff;
  return u;
}

/** A bridge of the fixture switch. */
export class FixtureBridge implements XlateBridge {
  readonly uuid: Uint8Array;
  readonly nTables = 255;
  packetInOnMiss = false;
  readonly missRule: XlateRule;
  readonly noPacketInRule: XlateRule;
  readonly dropFragsRule: XlateRule;
  readonly macLearning: MacLearning<XlateBundle>;
  fragHandling: FragHandling = "normal";
  forwardBpdu = false;
  hasInBand = false;
  readonly #tables = new Map<number, Classifier<FixtureRule>>();
  readonly #miss = new Map<number, TableMiss>();
  readonly #ports = new Map<number, FixturePort>();
  #portList: XlatePort[] = [];
  #bundles: XlateBundle[] = [];
  readonly #groups = new Map<number, XlateGroup>();
  readonly #mirrors: ({ -readonly [K in keyof XlateMirror]: XlateMirror[K] } | undefined)[] = [];
  readonly portMap = new PortMap();

  constructor(readonly name: string, readonly sw: FixtureSwitch) {
    this.uuid = uuidOf(name);
    this.macLearning = new MacLearning<XlateBundle>(() => sw.now);
    const miss: Ofpact = {
      type: "controller",
      maxLen: 0xffff,
      controllerId: 0,
      reason: OFPR_IMPLICIT_MISS,
      pause: false,
      userdata: new Uint8Array(0),
      meterId: 0,
      controller2: false,
    };
    this.missRule = new FixtureRule(TBL_INTERNAL, new Match(), 0, 0n, [miss]);
    this.noPacketInRule = new FixtureRule(TBL_INTERNAL, new Match(), 0, 0n, []);
    this.dropFragsRule = new FixtureRule(TBL_INTERNAL, new Match(), 0, 0n, []);
  }

  #table(id: number): Classifier<FixtureRule> {
    let t = this.#tables.get(id);
    if (!t) {
      t = new Classifier<FixtureRule>();
      this.#tables.set(id, t);
    }
    return t;
  }

  lookup(tableId: number, flow: FlowWords, wc: FlowWords | undefined): XlateRule | undefined {
    const t = this.#tables.get(tableId);
    // The classifier reads only the first FLOW_WORDS words, so xlate's longer flows pass as is.
    return t?.lookup(flow, wc)?.payload;
  }

  /** A Flow_Table row's prefixes for `tableId`. */
  setPrefixes(tableId: number, names: readonly string[]): void {
    this.#table(tableId).setPrefixFields(names.map((n) => field(n)));
  }

  tableMiss(tableId: number): TableMiss {
    return this.#miss.get(tableId) ?? "default";
  }

  setTableMiss(tableId: number, miss: TableMiss): void {
    this.#miss.set(tableId, miss);
  }

  port(ofport: number): XlatePort | undefined {
    return this.#ports.get(ofport);
  }

  ports(): readonly XlatePort[] {
    return this.#portList;
  }

  bundles(): readonly XlateBundle[] {
    return this.#bundles;
  }

  group(groupId: number): XlateGroup | undefined {
    return this.#groups.get(groupId);
  }

  /** Adds a port in its own bundle, as a Port row with one Interface. */
  addPort(name: string, ofport: number, o: PortOptions = {}): FixturePort {
    const odp = "odp" in o ? o.odp : this.sw.nextOdp(name);
    const p = new FixturePort(ofport, odp, name, o);
    const bundle = bundleFor(name, p, o);
    p.bundle = bundle;
    this.#ports.set(ofport, p);
    this.#portList = [...this.#portList, p];
    this.#bundles = [...this.#bundles, bundle];
    this.portMap.put(ofport, name);
    this.sw.odpPorts.set(odp ?? -1, { bridge: this, port: p });
    return p;
  }

  /** Adds a bonded Port row: one bundle whose members are new ports. */
  addBond(
    name: string,
    members: { name: string; ofport: number }[],
    mode: FixtureBond["mode"],
    recircId = 0,
  ): FixtureBond {
    const ports = members.map((m) => {
      const odp = this.sw.nextOdp(m.name);
      const p = new FixturePort(m.ofport, odp, m.name, {});
      this.#ports.set(m.ofport, p);
      this.portMap.put(m.ofport, m.name);
      this.sw.odpPorts.set(odp, { bridge: this, port: p });
      return p;
    });
    const bond = new FixtureBond(mode, ports, recircId);
    const bundle: FixtureBundle = { ...bundleFor(name, ports[0]!, {}), ports, bond };
    for (const p of ports) p.bundle = bundle;
    this.#portList = [...this.#portList, ...ports];
    this.#bundles = [...this.#bundles, bundle];
    return bond;
  }

  /** Changes a Port row's VLAN settings (its bundle keeps its place in the order). */
  reconfigurePort(name: string, o: PortOptions): void {
    const i = this.#bundles.findIndex((b) => b.name === name);
    const old = this.#bundles[i];
    if (!old) throw new Error(`no port ${name}`);
    const port = old.ports[0] as FixturePort;
    const bundle = bundleFor(name, port, o);
    port.bundle = bundle;
    this.#bundles = this.#bundles.map((b, k) => (k === i ? bundle : b));
  }

  /** The bundle of Port `name`. */
  bundle(name: string): FixtureBundle | undefined {
    return this.#bundles.find((b) => b.name === name) as FixtureBundle | undefined;
  }

  get hasMirrors(): boolean {
    return this.#mirrors.some((m) => m !== undefined);
  }

  mirror(index: number): XlateMirror | undefined {
    return this.#mirrors[index];
  }

  /**
   * Adds a Mirror row as bridge.c and ofproto-dpif-mirror.c configure it: the first free index,
   * select_all meaning every port, and the duplicate sets of mirrors sharing an output.
   * Returns false when the mirror specifies no output (bridge.c ignores it).
   */
  addMirror(m: MirrorOptions): boolean {
    const out = m.outPort !== undefined ? this.bundle(m.outPort) : undefined;
    if (m.outPort !== undefined && !out) return false;
    if (!out && m.outVlan === undefined) return false;
    let index = 0;
    while (this.#mirrors[index]) index++;
    const bit = 1 << index;
    const all = this.#bundles as FixtureBundle[];
    const srcs = m.selectAll ? all : (m.srcPorts ?? []).flatMap((n) => this.bundle(n) ?? []);
    const dsts = m.selectAll ? all : (m.dstPorts ?? []).flatMap((n) => this.bundle(n) ?? []);
    for (const b of srcs) b.srcMirrors = (b.srcMirrors | bit) >>> 0;
    for (const b of dsts) b.dstMirrors = (b.dstMirrors | bit) >>> 0;
    if (out) out.mirrorOut = (out.mirrorOut | bit) >>> 0;
    this.#mirrors[index] = {
      index,
      vlans: m.selectVlans?.length ? new Set(m.selectVlans) : undefined,
      dupMirrors: bit,
      outBundle: out,
      outVlan: out ? -1 : m.outVlan!,
      snaplen: m.snaplen ?? 0,
    };
    // mirror_update_dups.
    const ms = this.#mirrors;
    for (const x of ms) if (x) x.dupMirrors = 1 << x.index;
    for (let i = 0; i < ms.length; i++) {
      const a = ms[i];
      if (!a) continue;
      for (let j = i + 1; j < ms.length; j++) {
        const b = ms[j];
        if (b && a.outBundle === b.outBundle && a.outVlan === b.outVlan) {
          a.dupMirrors = (a.dupMirrors | (1 << j)) >>> 0;
          b.dupMirrors = (b.dupMirrors | a.dupMirrors) >>> 0;
        }
      }
    }
    return true;
  }

  /** Adds flows in ovs-ofctl syntax, one per line (blank lines and # comments ignored). */
  addFlows(text: string, version = OFP10): void {
    for (const raw of text.split("\n")) {
      const line = raw.trim();
      if (!line || line.startsWith("#")) continue;
      this.addFlow(line, version);
    }
  }

  addFlow(text: string, version = OFP10): FixtureRule {
    const at = text.search(/\bactions?=/);
    if (at < 0) throw new ParseError("must specify an action");
    const matchText = text.slice(0, at);
    const actText = text.slice(text.indexOf("=", at) + 1);
    let tableId = 0;
    let priority = 0x8000;
    let cookie = 0n;
    const m = new Match();
    const ctx = newMatchParseContext(this.portMap);
    let pos = 0;
    for (;;) {
      const r = nextKeyValue(matchText, pos);
      if (!r) break;
      pos = r.next;
      const { key, value } = r.item;
      if (key === "table") tableId = Number(value);
      else if (key === "priority") priority = Number(value);
      else if (key === "cookie") cookie = BigInt(value.split("/")[0]!);
      else if (key === "idle_timeout" || key === "hard_timeout" || key === "importance") continue;
      else if (!parseMatchItem(m, key, value, ctx)) throw new ParseError(`unknown keyword ${key}`);
    }
    finishMatchParse(m, ctx);
    // The match crosses the wire as NXM/OXM, as it does from ovs-ofctl to a switch.
    const wire = pullRawMatch(encodeNxm(m, version > OFP10 ? version : 0));
    m.flow.set(wire.flow);
    m.mask.set(wire.mask);
    const parsed = parseActions(actText, { portMap: this.portMap }).ofpacts;
    // As ovs-ofctl does before encoding: annotates set_vlan_* with whether a VLAN is present.
    checkActions(parsed, m, { maxPorts: 0xff00, tableId, nTables: 255 });
    const ofpacts = decodeInstructions(encodeInstructions(parsed, version), version, {
      enableDebug: true,
    });
    const rule = new FixtureRule(
      tableId,
      m,
      priority,
      cookie,
      ofpacts,
      priority === 0 && m.isCatchAll(),
    );
    this.#table(tableId).insert(rule.cr);
    return rule;
  }

  /** Applies a flow a learn action produced (replacing an equal one), as ofproto would. */
  applyLearned(fm: LearnedFlow): boolean {
    const m = new Match(fm.matchFlow.slice(), fm.matchMask.slice());
    const rule = new FixtureRule(fm.tableId, m, fm.priority, fm.cookie, fm.ofpacts);
    this.#table(fm.tableId).insert(rule.cr);
    return true;
  }

  /** Adds a group in ovs-ofctl add-group syntax. */
  addGroup(text: string): XlateGroup {
    const bucketAt = text.indexOf("bucket=");
    const head = bucketAt < 0 ? text : text.slice(0, bucketAt);
    let groupId = 0;
    let type: XlateGroup["type"] = "all";
    let selectionMethod: XlateGroup["selectionMethod"] = "";
    let param = 0n;
    const fields: XlateHashField[] = [];
    let pos = 0;
    for (;;) {
      const r = nextKeyValue(head, pos);
      if (!r) break;
      pos = r.next;
      const { key, value } = r.item;
      if (key === "group_id") groupId = Number(value);
      else if (key === "type") {
        type = value === "fast_failover" ? "ff" : value as XlateGroup["type"];
      } else if (key === "selection_method") {
        selectionMethod = value as XlateGroup["selectionMethod"];
      } else if (key === "selection_method_param") param = BigInt(value);
      else if (key === "fields") {
        for (const name of value.split(",")) {
          const [fname, mask] = name.split("=");
          const f: Field = field(fname!);
          fields.push({
            field: f,
            mask: mask ? parseFieldValue(f, mask).value : new Uint8Array(f.nBytes).fill(0xff),
          });
        }
      }
    }
    fields.sort((a, b) => a.field.id - b.field.id);
    const buckets: XlateBucket[] = [];
    if (bucketAt >= 0) {
      const parts = text.slice(bucketAt).split(/,?bucket=/).filter((s) => s.length);
      let id = 0;
      for (const part of parts) {
        let weight = 1;
        let watchPort = WATCH_PORT_NONE;
        let watchGroup = WATCH_GROUP_NONE;
        let bucketId = id;
        const acts: string[] = [];
        let p = 0;
        for (;;) {
          const r = nextKeyValue(part, p);
          if (!r) break;
          const itemText = part.slice(p, r.next).replace(/^[, ]+|[, ]+$/g, "");
          p = r.next;
          const { key, value } = r.item;
          if (key === "weight") weight = Number(value);
          else if (key === "watch_port") watchPort = parsePort(value, this.portMap) ?? 0;
          else if (key === "watch_group") watchGroup = Number(value);
          else if (key === "bucket_id") bucketId = Number(value);
          else if (key === "actions") acts.push(value);
          else acts.push(itemText);
        }
        const parsed = parseActions(acts.join(","), { portMap: this.portMap, instructions: false });
        const ofpacts = decodeActions(encodeActions(parsed.ofpacts, OFP13), OFP13, {
          enableDebug: true,
        });
        buckets.push({ bucketId, weight, watchPort, watchGroup, ofpacts });
        id = bucketId + 1;
      }
    }
    const g: XlateGroup = {
      groupId,
      type,
      buckets,
      selectionMethod,
      selectionMethodParam: param,
      fields,
    };
    this.#groups.set(groupId, g);
    return g;
  }
}

/** A datapath with bridges: ports numbered as the dummy datapath numbers them. */
export class FixtureSwitch {
  now = 0;
  readonly recirc: RecircTable;
  readonly bridges = new Map<string, FixtureBridge>();
  readonly odpPorts = new Map<number, { bridge: FixtureBridge; port: XlatePort }>();
  #usedOdp = new Set<number>();

  constructor(recirc?: RecircTable) {
    this.recirc = recirc ?? new RecircTable();
  }

  /** The dummy datapath's choice: the digits in the name, else the next free number. */
  nextOdp(name: string): number {
    const start = name.startsWith("br") ? 100 : 0;
    const digits = /\d+/.exec(name);
    if (digits) {
      const n = start + Number(digits[0]);
      if (n > 0 && !this.#usedOdp.has(n)) {
        this.#usedOdp.add(n);
        return n;
      }
    }
    let n = 1;
    while (this.#usedOdp.has(n)) n++;
    this.#usedOdp.add(n);
    return n;
  }

  addBridge(name: string): FixtureBridge {
    const b = new FixtureBridge(name, this);
    this.bridges.set(name, b);
    b.addPort(name, OFPP_LOCAL, {});
    return b;
  }

  /** Connects two bridges with a pair of patch ports. */
  addPatch(
    a: FixtureBridge,
    aName: string,
    aPort: number,
    b: FixtureBridge,
    bName: string,
    bPort: number,
  ) {
    const pa = a.addPort(aName, aPort, { odp: undefined });
    const pb = b.addPort(bName, bPort, { odp: undefined });
    pa.peer = { bridge: b, port: pb };
    pb.peer = { bridge: a, port: pa };
  }

  bridgeByUuid(uuid: Uint8Array): XlateBridge | undefined {
    for (const b of this.bridges.values()) if (b.uuid.every((x, i) => x === uuid[i])) return b;
    return undefined;
  }
}

/** Sets in_port in flow words (OpenFlow number). */
export function withInPort(flow: FlowWords, ofport: number): FlowWords {
  flow[W_IN_PORT] = ofport;
  return flow;
}

/** The fixture switch as ofproto/trace's host: one datapath of type "dummy". */
export class FixtureTraceHost implements TraceHost {
  constructor(readonly sw: FixtureSwitch) {}
  get recirc(): RecircTable {
    return this.sw.recirc;
  }
  now(): number {
    return this.sw.now;
  }
  onLearn(fm: LearnedFlow): boolean {
    return (fm.bridge as FixtureBridge).applyLearned(fm);
  }
  bridgeByName(name: string): XlateBridge | undefined {
    return this.sw.bridges.get(name);
  }
  bridgeByUuid(uuid: Uint8Array): XlateBridge | undefined {
    return this.sw.bridgeByUuid(uuid);
  }
  #dp(): TraceDatapath {
    const sw = this.sw;
    return {
      portNames() {
        const m = new Map<string, number>();
        for (const [odp, { port }] of sw.odpPorts) if (odp >= 0) m.set(port.name, odp);
        return m;
      },
      portByOdp(odp: number) {
        const e = sw.odpPorts.get(odp);
        return e ? { bridge: e.bridge, ofport: e.port.ofport } : undefined;
      },
    };
  }
  datapathByType(type: string): TraceDatapath | undefined {
    return type === "dummy" ? this.#dp() : undefined;
  }
  defaultDatapath(): TraceDatapath | undefined {
    return this.#dp();
  }
  datapathOf(_bridge: XlateBridge): TraceDatapath {
    return this.#dp();
  }
}
