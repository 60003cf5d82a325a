// The state of one translation (upstream's struct xlate_ctx and the xlate_in/xlate_out it
// serves): the flow being edited, the base flow the datapath will have, the wildcard mask, the
// datapath actions being built (a stack of lists for nested clone/sample/check_pkt_len), the
// resubmit accounting, the OpenFlow action set and stack, freezing state and what translation
// hands back (rules and buckets hit, learned flows, fin_timeout changes, recirculation IDs).
//
// One context is reused across translations (reset() reinitializes it in place), so that the
// hot path allocates only what it returns. Nothing here knows OpenFlow semantics beyond
// bookkeeping; the behaviour lives in the sibling files that take a context.

import { FLOW_WORDS } from "../../datapath/flow.ts";
import { type DpAction, dpActionNlSize } from "../../datapath/dp_actions.ts";
import type { Packet } from "../../datapath/packet.ts";
import type { Ofpact, OfpactOf } from "../actions/types.ts";
import { RateLimit, vlogModule } from "../../net/vlog.ts";
import { Committer } from "./commit.ts";
import { formatFlow } from "./trace_format.ts";
import type { RecircTable } from "./rid.ts";
import { type TraceNode, traceReport, type TraceType } from "./trace_tree.ts";
import type { XlateBridge, XlateBucket, XlateBundle, XlateGroup, XlateRule } from "./view.ts";
import { newXFlow, type XFlow } from "./xflow.ts";

const log = vlogModule("ofproto_dpif_xlate");
const errorLimit = new RateLimit(1, 5);
const infoLimit = new RateLimit(1, 5);
const debugLimit = new RateLimit(30, 300);

export const MAX_DEPTH = 64;
export const MAX_RESUBMITS = MAX_DEPTH * MAX_DEPTH;

/** OFPP_NONE, used where upstream has no input port. */
export const OFPP_NONE = 0xffff;

/** Translation errors (upstream's enum xlate_error), named by upstream's xlate_strerror text. */
export type XlateError =
  | "OK"
  | "Bridge not found"
  | "Recursion too deep"
  | "Too many resubmits"
  | "Stack too deep"
  | "No recirculation context"
  | "Recirculation conflict"
  | "Too many MPLS labels"
  | "Invalid tunnel metadata"
  | "Unsupported packet type"
  | "Congestion Drop"
  | "Forwarding is disabled";

/** upstream's enum xlate_error numbering (for the explicit drop action's reason). */
export const XLATE_ERROR_CODES: Readonly<Record<XlateError, number>> = {
  "OK": 0,
  "Bridge not found": 1,
  "Recursion too deep": 2,
  "Too many resubmits": 3,
  "Stack too deep": 4,
  "No recirculation context": 5,
  "Recirculation conflict": 6,
  "Too many MPLS labels": 7,
  "Invalid tunnel metadata": 8,
  "Unsupported packet type": 9,
  "Congestion Drop": 10,
  "Forwarding is disabled": 11,
};

/** A flow-mod a learn action asks for (upstream's ofputil_flow_mod from learn_execute). */
export interface LearnedFlow {
  readonly bridge: XlateBridge;
  readonly tableId: number;
  readonly priority: number;
  /** The match, flow and mask words (FLOW_WORDS each). */
  readonly matchFlow: Uint32Array;
  readonly matchMask: Uint32Array;
  /** The cookie to give the flow (upstream's new_cookie). */
  readonly cookie: bigint;
  readonly idleTimeout: number;
  readonly hardTimeout: number;
  /** OFPUTIL_FF_SEND_FLOW_REM when the learn action asked for it. */
  readonly sendFlowRem: boolean;
  /** NX_LEARN_F_DELETE_LEARNED: the learned flows go when the learning rule goes. */
  readonly deleteLearned: boolean;
  readonly limit: number;
  readonly ofpacts: Ofpact[];
}

/**
 * A fin_timeout action the translation ran (upstream's XC_FIN_TIMEOUT cache entry): whenever
 * packets of this flow carry FIN or RST (tcp_flags & 0x005) — the upcalled packet when side
 * effects are allowed, or later ones from the megaflow's statistics — the caller reduces the
 * rule's timeouts to these (ofproto_rule_reduce_timeouts).
 */
export interface FinTimeout {
  readonly rule: XlateRule;
  readonly idleTimeout: number;
  readonly hardTimeout: number;
}

/** What NORMAL learned from, so the caller can refresh the MAC entry as traffic flows. */
export interface NormalLearn {
  readonly bundle: XlateBundle;
  readonly mac: number;
  readonly vlan: number;
  readonly isGratArp: boolean;
}

/** Counts packets a translation handled, with the datapath's statistics for them. */
export type StatsSink = (packets: number, bytes: number) => void;

export interface GroupHit {
  readonly group: XlateGroup;
  /** The bucket used (select, ff), or undefined for all/indirect (every bucket). */
  readonly bucket: XlateBucket | undefined;
}

/** Formats actions and matches for trace notes (injected so xlate does not own the syntax). */
export interface TraceFormatter {
  actions(ofpacts: readonly Ofpact[], bridge: XlateBridge): string;
  /** minimatch_format of a rule's match, with the rule's priority printed if not default. */
  match(flow: Uint32Array, mask: Uint32Array, bridge: XlateBridge): string;
}

/** A conntrack recirculation a trace follows after the main translation (oftrace_recirc_node). */
export interface TraceRecirc {
  readonly recircId: number;
  /** The flow at the ct action (recirc_id and ct_zone are set when it is resumed). */
  readonly flow: Uint32Array;
  readonly zone: number;
  readonly nat: OfpactOf<"nat"> | undefined;
}

interface StackEntry {
  value: bigint;
  bytes: number;
}

export class XlateCtx {
  // ---- Inputs ----
  bridge!: XlateBridge;
  /** The bridge translation started in (xin->ofproto). */
  inputBridge!: XlateBridge;
  packet: Packet | undefined;
  /** xin->allow_side_effects. */
  mayLearn = false;
  /** Whether the caller keeps the translation (upstream: xin->xcache is set). */
  keepsCache = false;
  now = 0;
  recirc!: RecircTable;
  inPacketOut = false;
  /** xin->tcp_flags, for fin_timeout. */
  tcpFlags = 0;
  formatter: TraceFormatter | undefined;
  /** Applies a learned flow now (side effects allowed); returns false when a limit refused it. */
  onLearn: ((fm: LearnedFlow) => boolean) | undefined;
  /** The frozen state being thawed, if this translation resumes one. */
  thawing = false;

  // ---- Flows ----
  readonly flow: XFlow = newXFlow();
  readonly base: XFlow = newXFlow();
  readonly wc: XFlow = newXFlow();
  /** The flow as the upcall had it (xin->upcall_flow). */
  readonly upcallFlow: XFlow = newXFlow();

  // ---- Datapath actions ----
  /** The list actions are appended to now (nested lists for clone etc.). */
  out: DpAction[] = [];
  /** The top-level list. */
  top: DpAction[] = [];
  /** Netlink bytes of every action emitted so far (for the 64 kB limit). */
  outBytes = 0;
  readonly committer = new Committer();
  slow = 0;

  // ---- Accounting and position ----
  depth = 0;
  resubmits = 0;
  inActionSet = false;
  pendingEncap = false;
  pendingDecap = false;
  tableId = 0;
  rule: XlateRule | undefined;
  ruleCookie = 0xffffffffffffffffn;
  origSkbPriority = 0;
  exit = false;
  error: XlateError = "OK";
  mirrors = 0;
  /** The snaplen of the mirror being output to, or 0 (ctx->mirror_snaplen). */
  mirrorSnaplen = 0;

  // ---- Freezing ----
  freezing = false;
  recircUpdateDpHash = false;
  dpHashAlg = 0;
  dpHashBasis = 0;
  frozenActions: Ofpact[] = [];
  /** The last unroll_xlate in frozenActions (frozen_actions.header). */
  frozenUnroll: OfpactOf<"unroll_xlate"> | undefined;
  pause: OfpactOf<"controller"> | undefined;
  wasMpls = false;
  conntracked = false;
  ctNatAction: OfpactOf<"nat"> | undefined;
  /** The OpenFlow port the packet entered on, unless a patch port (xin->xport_uuid). */
  xportOfport: number | undefined;

  // ---- OpenFlow state ----
  actionSetHasGroup = false;
  actionSet: Ofpact[] = [];
  stack: StackEntry[] = [];
  stackBytes = 0;

  // ---- Results ----
  rules: XlateRule[] = [];
  groups: GroupHit[] = [];
  learned: LearnedFlow[] = [];
  finTimeouts: FinTimeout[] = [];
  normalLearns: NormalLearn[] = [];
  recircIds: number[] = [];
  avoidCaching = false;
  /**
   * Where the packets of this translation are to be counted besides rules and groups (mirrors,
   * bond buckets: upstream's XC_MIRROR and XC_BOND xlate cache entries).
   */
  statsSinks: StatsSink[] = [];

  // ---- Scratch ----
  /** Saved copies of flows (strictly nested saves reuse these buffers). */
  readonly #saves: XFlow[] = [];
  #nSaves = 0;

  // ---- Trace ----
  trace: TraceNode[] | undefined;
  recircQueue: TraceRecirc[] | undefined;

  /**
   * A copy of `src` in a reused buffer, for restoring later; release() it when done. Saves nest:
   * release the innermost first.
   */
  save(src: XFlow): XFlow {
    let buf = this.#saves[this.#nSaves];
    if (!buf) {
      buf = newXFlow();
      this.#saves.push(buf);
    }
    this.#nSaves++;
    buf.set(src);
    return buf;
  }

  /** Releases the innermost saved copy. */
  release(): void {
    this.#nSaves--;
  }

  reset(): void {
    this.#nSaves = 0;
    this.flow.fill(0);
    this.base.fill(0);
    this.wc.fill(0);
    this.upcallFlow.fill(0);
    this.top = [];
    this.out = this.top;
    this.outBytes = 0;
    this.slow = 0;
    this.depth = 0;
    this.resubmits = 0;
    this.inActionSet = false;
    this.pendingEncap = false;
    this.pendingDecap = false;
    this.tableId = 0;
    this.rule = undefined;
    this.ruleCookie = 0xffffffffffffffffn;
    this.origSkbPriority = 0;
    this.exit = false;
    this.error = "OK";
    this.mirrors = 0;
    this.mirrorSnaplen = 0;
    this.freezing = false;
    this.recircUpdateDpHash = false;
    this.dpHashAlg = 0;
    this.dpHashBasis = 0;
    this.frozenActions = [];
    this.frozenUnroll = undefined;
    this.pause = undefined;
    this.wasMpls = false;
    this.conntracked = false;
    this.ctNatAction = undefined;
    this.xportOfport = undefined;
    this.actionSetHasGroup = false;
    this.actionSet = [];
    this.stack = [];
    this.stackBytes = 0;
    this.rules = [];
    this.groups = [];
    this.learned = [];
    this.finTimeouts = [];
    this.normalLearns = [];
    this.recircIds = [];
    this.avoidCaching = false;
    this.statsSinks = [];
    this.trace = undefined;
    this.recircQueue = undefined;
    this.packet = undefined;
    this.formatter = undefined;
    this.onLearn = undefined;
    this.inPacketOut = false;
    this.thawing = false;
    this.tcpFlags = 0;
    this.keepsCache = false;
    this.mayLearn = false;
  }

  /** Appends a datapath action to the current list. */
  emit(a: DpAction): void {
    this.out.push(a);
    this.outBytes += dpActionNlSize(a);
  }

  /** xlate_commit_actions. */
  commit(): void {
    const out = this.out;
    const before = out.length;
    this.slow |= this.committer.commit(
      this.flow,
      this.base,
      this.wc,
      out,
      true,
      this.pendingEncap,
      this.pendingDecap,
    );
    for (let i = before; i < out.length; i++) this.outBytes += dpActionNlSize(out[i]!);
    this.pendingEncap = false;
    this.pendingDecap = false;
  }

  /** Runs `fn` with actions going to a fresh nested list, which it returns. */
  nested(fn: () => void): DpAction[] {
    const outer = this.out;
    const inner: DpAction[] = [];
    this.out = inner;
    this.outBytes += 4;
    try {
      fn();
    } finally {
      this.out = outer;
    }
    return inner;
  }

  // ---- Trace helpers (no-ops unless tracing) ----

  /** xlate_report: adds a note; returns its children list (undefined when not tracing). */
  report(type: TraceType, text: string | (() => string)): TraceNode[] | undefined {
    if (!this.trace) return undefined;
    return traceReport(this.trace, type, typeof text === "string" ? text : text());
  }

  /**
   * xlate_report_error: an error note when tracing; otherwise, for a real packet, a rate-limited
   * warning naming the bridge and the flow, as upstream logs it.
   */
  reportError(text: string): void {
    if (this.trace) {
      traceReport(this.trace, "error", text);
    } else if (this.packet && log.isEnabled("warn")) {
      log.rateLimited(errorLimit, "warn", this.#logText(text));
    }
  }

  /** xlate_report_info: as reportError, at INFO. */
  reportInfo(text: string): void {
    if (this.trace) {
      traceReport(this.trace, "warn", text);
    } else if (this.packet && log.isEnabled("info")) {
      log.rateLimited(infoLimit, "info", this.#logText(text));
    }
  }

  /** xlate_report_debug. */
  reportDebug(type: TraceType, text: string | (() => string)): void {
    if (this.trace) {
      traceReport(this.trace, type, typeof text === "string" ? text : text());
    } else if (this.packet && log.isEnabled("dbg")) {
      const t = typeof text === "string" ? text : text();
      log.rateLimited(debugLimit, "dbg", `bridge ${this.bridge.name}: ${t}`);
    }
  }

  #logText(text: string): string {
    return `${text} on bridge ${this.bridge.name} while processing ${formatFlow(this.base)}`;
  }

  formatActions(ofpacts: readonly Ofpact[]): string {
    return this.formatter ? this.formatter.actions(ofpacts, this.bridge) : "";
  }

  // ---- Stack (NXAST_STACK_PUSH / POP) ----

  stackPush(value: bigint, bytes: number): void {
    this.stack.push({ value, bytes });
    this.stackBytes += bytes + 1;
  }

  stackPop(): StackEntry | undefined {
    const e = this.stack.pop();
    if (e) this.stackBytes -= e.bytes + 1;
    return e;
  }

  /** A copy of the shared flow words of `x` (for results). */
  static shared(x: XFlow): Uint32Array {
    return x.slice(0, FLOW_WORDS);
  }
}
