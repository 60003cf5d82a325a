// The entry point of translation (upstream's xlate_actions): an OpenFlow-level flow (in_port an
// OpenFlow port number) through a bridge's tables into datapath actions and the megaflow mask
// that made the decision. Thaws frozen state when the flow carries a recirculation ID, looks up
// table 0 (or runs given actions, for packet-outs and ofproto/trace-packet-out), runs the action
// set, freezes what must continue later, and finishes the mask as upstream's xlate_wc_finish.
// On an error the actions are an explicit drop.
//
// An Xlator owns reusable scratch state: a translation allocates little beyond what it returns,
// and its result is the caller's to keep.

import {
  ETH_TYPE_IP,
  ETH_TYPE_IPV6,
  FLOW_WORDS,
  type FlowWords,
  W_ACTSET_OUTPUT,
  W_CONJ_ID,
  W_CT_STATE,
  W_DL_DST,
  W_DL_SRC,
  W_DL_TYPE_VLAN,
  W_IN_PORT,
  W_METADATA,
  W_MPLS_LSE,
  W_NW_MISC,
  W_PACKET_TYPE,
  W_RECIRC_ID,
  W_REGS,
  W_SKB_PRIORITY,
  W_TP,
  W_TUN_DST,
  W_TUN_GBP,
  W_TUN_ID,
  W_TUN_IPV6_DST,
  W_VLAN_TPID,
} from "../../datapath/flow.ts";
import { type DpAction, dpActionNlSize } from "../../datapath/dp_actions.ts";
import type { Packet } from "../../datapath/packet.ts";
import type { Ofpact } from "../actions/types.ts";
import { doXlateActions } from "./actions.ts";
import { SLOW_ACTION } from "./commit.ts";
import {
  type FinTimeout,
  type GroupHit,
  type LearnedFlow,
  type NormalLearn,
  type StatsSink,
  type TraceFormatter,
  type TraceRecirc,
  XLATE_ERROR_CODES,
  XlateCtx,
  type XlateError,
} from "./context.ts";
import { finishFreezing } from "./freeze.ts";
import { composeOutputAction, mayReceive, processSpecial } from "./output.ts";
import { mirrorIngressPacket } from "./mirror.ts";
import { frozenMetadataToFlow, type FrozenState, type RecircTable } from "./rid.ts";
import { lookupFromTable, OFPP_UNSET, reportTable, writeActions, xlateActionSet } from "./table.ts";
import type { TraceNode } from "./trace_tree.ts";
import type { XlateBridge, XlateRule } from "./view.ts";
import {
  clearConntrack,
  ethTypeMpls,
  ethTypeVlan,
  isIcmpv4,
  isIcmpv6,
  newXFlow,
  normalizeVlanTpid,
  vlanTci,
  vlanTpid,
  XW_MPLS1,
  XW_MPLS2,
  XW_VLAN2,
} from "./xflow.ts";

const CS_TRACKED = 0x20;
const FLOW_NW_FRAG_LATER = 2;
/** net.core.netdev_max_backlog's usual value (upstream reads it from /proc). */
const NETDEV_MAX_BACKLOG = 1000;

export interface XlateTrace {
  /** The top-level list the notes go to. */
  readonly nodes: TraceNode[];
  readonly formatter: TraceFormatter;
  /** Conntrack recirculations to trace afterwards (filled by ct actions). */
  readonly recircQueue: TraceRecirc[];
}

export interface XlateInput {
  readonly bridge: XlateBridge;
  /** The flow, OpenFlow-level: in_port is the OpenFlow port number. Not modified. */
  readonly flow: FlowWords;
  /** The packet, when a real one is being translated (upcall, packet-out, trace with packet). */
  readonly packet?: Packet | undefined;
  /** Whether MAC learning and learn actions take effect (upstream's allow_side_effects). */
  readonly mayLearn: boolean;
  /**
   * Whether the caller keeps the translation for later (upstream: an xlate cache is given, as
   * for upcalls and revalidation). Controls whether learn actions produce flow-mods without
   * side effects and whether controller actions are marked dont_send. Default: false.
   */
  readonly keepsCache?: boolean | undefined;
  /** The clock, in milliseconds. */
  readonly now: number;
  readonly recirc: RecircTable;
  /** Actions to run instead of a table lookup (packet-out). */
  readonly ofpacts?: readonly Ofpact[] | undefined;
  readonly inPacketOut?: boolean | undefined;
  /** TCP flags seen (for fin_timeout). */
  readonly tcpFlags?: number | undefined;
  readonly trace?: XlateTrace | undefined;
  /** Applies a learned flow at once (side effects allowed); false when its limit refuses it. */
  readonly onLearn?: ((fm: LearnedFlow) => boolean) | undefined;
  /**
   * Frozen state to resume instead of the one the flow's recirc_id names (upstream's
   * xlate_resume, for a controller's NXT_RESUME of a paused pipeline).
   */
  readonly frozen?: FrozenState | undefined;
  /** Finds a bridge by UUID (to thaw state frozen in another bridge). */
  readonly bridgeByUuid?: ((uuid: Uint8Array) => XlateBridge | undefined) | undefined;
}

/**
 * What a translation produced. `mask`, `finalFlow` and `initialFlow` are the Xlator's own
 * buffers, overwritten by its next translation: copy them to keep them. The rest is fresh.
 */
export interface XlateResult {
  readonly actions: DpAction[];
  /** The megaflow mask (FLOW_WORDS words). in_port and recirc_id are always exact. */
  readonly mask: FlowWords;
  /**
   * The flow as translation left it, for "Final flow:": FLOW_WORDS words followed by xlate's
   * extra words (see xflow.ts: the second VLAN header and MPLS entries 1-2).
   */
  readonly finalFlow: FlowWords;
  /** The flow translation started from, after its own initialization (same layout). */
  readonly initialFlow: FlowWords;
  /** Slow-path reasons (SLOW_* bits); 0 when the datapath can handle the flow. */
  readonly slow: number;
  readonly error: XlateError;
  /** Rules hit, in order (for statistics), including ofproto's internal miss rules. */
  readonly rules: readonly XlateRule[];
  readonly groups: readonly GroupHit[];
  /** Flow-mods from learn actions (already applied through onLearn when given). */
  readonly learned: readonly LearnedFlow[];
  readonly finTimeouts: readonly FinTimeout[];
  /** What NORMAL learned from (to refresh the MAC table while the megaflow is used). */
  readonly normalLearns: readonly NormalLearn[];
  /** Recirculation IDs referenced; the caller releases them (RecircTable.unref) when done. */
  readonly recircIds: readonly number[];
  readonly avoidCaching: boolean;
  /** Further places to count the packets in (mirrors, bond buckets); call with their stats. */
  readonly statsSinks: readonly StatsSink[];
}

function uuidEquals(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function tunnelDstSet(f: FlowWords): boolean {
  return f[W_TUN_DST] !== 0 || f[W_TUN_IPV6_DST] !== 0 || f[W_TUN_IPV6_DST + 1] !== 0 ||
    f[W_TUN_IPV6_DST + 2] !== 0 || f[W_TUN_IPV6_DST + 3] !== 0;
}

function isIpType(type: number): boolean {
  return type === ETH_TYPE_IP || type === ETH_TYPE_IPV6;
}

/** Translates flows; reuse one per thread of control. */
export class Xlator {
  readonly #ctx = new XlateCtx();
  // The result's flows and mask: reused by every translation (see XlateResult).
  readonly #initial = newXFlow();
  readonly #final = newXFlow();
  readonly #mask = new Uint32Array(FLOW_WORDS);

  translate(input: XlateInput): XlateResult {
    const ctx = this.#ctx;
    ctx.reset();
    ctx.bridge = input.bridge;
    ctx.inputBridge = input.bridge;
    ctx.packet = input.packet;
    ctx.mayLearn = input.mayLearn;
    ctx.keepsCache = input.keepsCache ?? false;
    ctx.now = input.now;
    ctx.recirc = input.recirc;
    ctx.inPacketOut = input.inPacketOut ?? false;
    ctx.tcpFlags = input.tcpFlags ?? 0;
    ctx.onLearn = input.onLearn;
    if (input.trace) {
      ctx.formatter = input.trace.formatter;
      ctx.recircQueue = input.trace.recircQueue;
    }

    const flow = ctx.flow;
    const given = input.flow;
    for (let i = 0; i < FLOW_WORDS; i++) flow[i] = given[i]!;
    flow[W_ACTSET_OUTPUT] = OFPP_UNSET;
    normalizeVlanTpid(flow);
    ctx.upcallFlow.set(flow);
    const initialFlow = this.#initial;
    initialFlow.set(flow);
    ctx.base.set(flow);
    ctx.base.fill(0, W_TUN_ID, W_TUN_GBP + 1);
    ctx.origSkbPriority = flow[W_SKB_PRIORITY]!;

    // xlate_wc_init.
    const wc = ctx.wc;
    wc[W_PACKET_TYPE] = 0xffffffff;
    wc[W_IN_PORT] = 0xffffffff;
    wc[W_DL_TYPE_VLAN] = (wc[W_DL_TYPE_VLAN]! | 0xffff0000) >>> 0;
    if (isIpType(flow[W_DL_TYPE_VLAN]! >>> 16)) wc[W_NW_MISC] = (wc[W_NW_MISC]! | 3) >>> 0;
    wc[W_RECIRC_ID] = 0xffffffff;

    if (input.trace) {
      ctx.trace = input.trace.nodes;
      ctx.trace = ctx.report("bridge", `bridge("${ctx.bridge.name}")`);
    }

    let ofpacts = input.ofpacts;
    let exitEarly = false;
    const recircId = flow[W_RECIRC_ID]!;
    if (recircId || input.frozen) {
      const state = input.frozen ?? ctx.recirc.find(recircId)?.state;
      if (state) {
        const oldTrace = ctx.trace;
        ctx.trace = ctx.report("thaw", "thaw");
        ctx.thawing = true;
        if (ofpacts) {
          ctx.reportError("Recirculation conflict (actions)!");
          ctx.error = "Recirculation conflict";
          exitEarly = true;
        } else {
          if (!uuidEquals(ctx.bridge.uuid, state.bridgeUuid)) {
            const other = input.bridgeByUuid?.(state.bridgeUuid);
            if (!other) {
              ctx.reportError("Frozen bridge no longer exists.");
              ctx.error = "Bridge not found";
              exitEarly = true;
            } else {
              ctx.bridge = other;
            }
          }
          if (!exitEarly) {
            ctx.tableId = state.tableId;
            ctx.report("thaw", `Resuming from table ${ctx.tableId}`);
            ctx.conntracked = state.conntracked;
            if (!state.conntracked) clearConntrack(flow);
            frozenMetadataToFlow(state.metadata, flow);
            for (const e of state.stack) ctx.stackPush(e.value, e.bytes);
            ctx.mirrors = state.mirrors;
            if (state.actionSet.length) {
              if (ctx.trace) {
                ctx.report("thaw", `Restoring action set: ${ctx.formatActions(state.actionSet)}`);
              }
              flow[W_ACTSET_OUTPUT] = OFPP_UNSET;
              writeActions(ctx, state.actionSet);
            }
            ofpacts = state.ofpacts.length ? state.ofpacts : undefined;
            if (state.ofpacts.length && ctx.trace) {
              ctx.report("thaw", `Restoring actions: ${ctx.formatActions(state.ofpacts)}`);
            }
          }
        }
        ctx.trace = oldTrace;
      } else {
        ctx.reportError(`Recirculation context not found for ID ${recircId.toString(16)}`);
        ctx.error = "No recirculation context";
        exitEarly = true;
      }
    }

    if (!exitEarly) {
      if (!ctx.thawing && flow[W_CT_STATE]! & CS_TRACKED) ctx.conntracked = true;
      const inPort = ctx.bridge.port(ctx.base[W_IN_PORT]! & 0xffff);
      if (inPort && !inPort.peer) ctx.xportOfport = inPort.ofport;
      if (!ofpacts) {
        const found = lookupFromTable(ctx, ctx.tableId, flow[W_IN_PORT]! & 0xffff, true, true);
        ctx.rule = found.rule;
        ctx.tableId = found.tableId;
        ctx.rules.push(found.rule);
        reportTable(ctx, found.rule, ctx.tableId);
      }
      if (!ctx.thawing && processSpecial(ctx, inPort)) {
        // The slow path's protocols took the packet; frozen packets were handled before.
        mirrorIngressPacket(ctx);
      } else if (inPort?.bundle?.mirrorOut) {
        ctx.reportError(
          `dropping packet received on port ${inPort.bundle.name}, which is reserved exclusively for mirroring`,
        );
      } else if (!inPort || mayReceive(ctx, inPort)) {
        let list: readonly Ofpact[];
        if (ofpacts) {
          list = ofpacts;
        } else {
          list = ctx.rule!.ofpacts;
          ctx.ruleCookie = ctx.rule!.cookie;
        }
        mirrorIngressPacket(ctx);
        doXlateActions(ctx, list, true, false);
        if (ctx.error === "OK") {
          if (!ctx.freezing) xlateActionSet(ctx, doXlateActions);
          if (ctx.freezing) finishFreezing(ctx);
        }
      }
      if (ctx.error === "OK" && !ctx.freezing) dhcpToLocalForInBand(ctx, flow, wc);
      if (ctx.error === "OK") {
        if (ctx.outBytes > 0xffff - 4) {
          ctx.slow |= SLOW_ACTION;
        } else if (
          ctx.outBytes / 4 > NETDEV_MAX_BACKLOG && countOutputs(ctx.top) > NETDEV_MAX_BACKLOG
        ) {
          ctx.slow |= SLOW_ACTION;
        }
        this.#finishWildcards();
      }
    }

    let actions = ctx.top;
    let error = ctx.error;
    if (error !== "OK") {
      ctx.slow = 0;
      actions = [];
    } else {
      actions = optimize(actions);
    }
    if (actions.length === 0) actions.push({ type: "drop", reason: XLATE_ERROR_CODES[error] });
    if (error === "Congestion Drop" || error === "Forwarding is disabled") error = "OK";

    const mask = this.#mask;
    for (let i = 0; i < FLOW_WORDS; i++) mask[i] = wc[i]!;
    this.#final.set(flow);
    return {
      actions,
      mask,
      finalFlow: this.#final,
      initialFlow,
      slow: ctx.slow,
      error,
      rules: ctx.rules,
      groups: ctx.groups,
      learned: ctx.learned,
      finTimeouts: ctx.finTimeouts,
      normalLearns: ctx.normalLearns,
      recircIds: ctx.recircIds,
      avoidCaching: ctx.avoidCaching,
      statsSinks: ctx.statsSinks,
    };
  }

  /** xlate_wc_finish. */
  #finishWildcards(): void {
    const ctx = this.#ctx;
    const wc = ctx.wc;
    const up = ctx.upcallFlow;
    wc[W_METADATA] = 0;
    wc[W_METADATA + 1] = 0;
    wc.fill(0, W_REGS, W_REGS + 16);
    wc[W_ACTSET_OUTPUT] = 0;
    wc[W_CONJ_ID] = 0;
    if (up[W_PACKET_TYPE] !== 0) {
      wc.fill(0, W_DL_DST, W_DL_DST + 2);
      wc.fill(0, W_DL_SRC, W_DL_SRC + 2);
    }
    if (isIcmpv4(ctx.flow, undefined) || isIcmpv6(ctx.flow, undefined)) {
      wc[W_TP] = (wc[W_TP]! & 0x00ff00ff) >>> 0;
    }
    if (wc[W_DL_TYPE_VLAN]! & 0xffff) wc[W_DL_TYPE_VLAN] = (wc[W_DL_TYPE_VLAN]! | 0x1000) >>> 0;
    if (wc[XW_VLAN2]! & 0xffff) wc[XW_VLAN2] = (wc[XW_VLAN2]! | 0x1000) >>> 0;
    if ((ctx.flow[W_NW_MISC]! & FLOW_NW_FRAG_LATER) && isIpType(ctx.flow[W_DL_TYPE_VLAN]! >>> 16)) {
      wc[W_TP] = 0;
    }
    if (!ethTypeMpls(up[W_DL_TYPE_VLAN]! >>> 16)) {
      wc[W_MPLS_LSE] = 0;
      wc[XW_MPLS1] = 0;
      wc[XW_MPLS2] = 0;
    }
    if (!ethTypeVlan(vlanTpid(up, 0)) || !(vlanTci(up, 0) & 0x1000)) {
      wc[W_DL_TYPE_VLAN] = (wc[W_DL_TYPE_VLAN]! & 0xffff0000) >>> 0;
      wc[W_VLAN_TPID] = 0;
    }
    if (!ethTypeVlan(vlanTpid(up, 1))) wc[XW_VLAN2] = 0;
    if (!tunnelDstSet(up)) wc.fill(0, W_TUN_ID, W_TUN_GBP + 1);
  }
}

function countOutputs(actions: readonly DpAction[]): number {
  let n = 0;
  for (const a of actions) if (a.type === "output" || a.type === "lb_output") n++;
  return n;
}

/** xlate_optimize_odp_actions: a trailing clone's actions need no clone. */
function optimize(actions: DpAction[]): DpAction[] {
  const last = actions[actions.length - 1];
  if (last && last.type === "clone") {
    actions.pop();
    actions.push(...last.actions);
  }
  return actions;
}

/** The Netlink size of an action list (for callers checking upstream's limits). */
export function actionsSize(actions: readonly DpAction[]): number {
  let n = 0;
  for (const a of actions) n += dpActionNlSize(a);
  return n;
}

const OFPP_LOCAL_PORT = 0xfffe;

/**
 * In-band control must not let the flow table keep DHCP replies from the local port
 * (in_band_must_output_to_local_port): a fully translated one that does not already go there is
 * sent there too.
 */
function dhcpToLocalForInBand(ctx: XlateCtx, flow: Uint32Array, wc: Uint32Array): void {
  const bridge = ctx.bridge;
  if (!bridge.hasInBand) return;
  const isDhcpReply = flow[W_DL_TYPE_VLAN]! >>> 16 === 0x0800 && flow[W_NW_MISC]! >>> 24 === 17 &&
    flow[W_TP]! === ((67 << 16) | 68) >>> 0;
  if (!isDhcpReply) return;
  const local = bridge.port(OFPP_LOCAL_PORT)?.odpPort;
  if (ctx.top.some((a) => a.type === "output" && a.port === local)) return;
  wc[W_NW_MISC] = (wc[W_NW_MISC]! | 0xff000000) >>> 0;
  wc[W_TP] = 0xffffffff;
  wc[W_DL_TYPE_VLAN] = (wc[W_DL_TYPE_VLAN]! | 0xffff0000) >>> 0;
  ctx.report("detail", "outputting DHCP packet to local port for in-band control");
  composeOutputAction(ctx, OFPP_LOCAL_PORT, false, false);
}
