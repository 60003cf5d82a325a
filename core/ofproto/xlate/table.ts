// Flow table traversal (upstream's xlate_table_action, rule_dpif_lookup_from_table,
// xlate_recursively and the resubmit resource checks) and the OpenFlow 1.1+ action set
// (write_actions, clear_actions, ofpacts_execute_action_set and xlate_action_set): which table a
// lookup ends in, what a miss does (packet-in, drop, continue to the next table, as the table's
// miss configuration says), the depth limit of 64 for resubmits to the same or an earlier table
// and the limit of 4096 resubmits in all, and the order an action set executes in.

import {
  FLOW_NW_FRAG_ANY,
  W_ACTSET_OUTPUT,
  W_CT_IPV6_DST,
  W_CT_IPV6_SRC,
  W_CT_NW_DST,
  W_CT_NW_SRC,
  W_CT_TP,
  W_CT_ZONE,
  W_IN_PORT,
  W_IPV6_DST,
  W_IPV6_SRC,
  W_NW_DST,
  W_NW_MISC,
  W_NW_SRC,
  W_TP,
} from "../../datapath/flow.ts";
import type { Ofpact, OfpactOf } from "../actions/types.ts";
import { MAX_DEPTH, MAX_RESUBMITS, type XlateCtx } from "./context.ts";
import { PC_NO_PACKET_IN, TBL_INTERNAL, type XlateRule } from "./view.ts";
import { isIpAny, nwFrag, rawDlType, type XFlow } from "./xflow.ts";

export const OFPP_UNSET = 0xfff7;
export const OFPP_IN_PORT = 0xfff8;

/** How a rule's actions are translated (do_xlate_actions or clone_xlate_actions). */
export type ActionsXlator = (
  ctx: XlateCtx,
  ofpacts: readonly Ofpact[],
  isLastAction: boolean,
  groupBucketAction: boolean,
) => void;

/** xlate_resubmit_resource_check. */
export function resubmitResourceCheck(ctx: XlateCtx): boolean {
  if (ctx.depth >= MAX_DEPTH) {
    ctx.reportError(`over max translation depth ${MAX_DEPTH}`);
    ctx.error = "Recursion too deep";
  } else if (ctx.resubmits >= MAX_RESUBMITS) {
    ctx.reportError(`over ${MAX_RESUBMITS} resubmit actions`);
    ctx.error = "Too many resubmits";
  } else if (ctx.outBytes > 0xffff) {
    ctx.reportError("resubmits yielded over 64 kB of actions");
    ctx.exit = true;
  } else if (ctx.stackBytes >= 65536) {
    ctx.reportError("resubmits yielded over 64 kB of stack");
    ctx.error = "Stack too deep";
  } else {
    return true;
  }
  return false;
}

/**
 * rule_dpif_lookup_from_table: looks `flow` up from table `tableId` on (as if it came in on
 * `inPort`), honouring table-miss configuration when asked; returns the rule (possibly one of
 * ofproto's internal miss rules) and the table the search ended in.
 */
export function lookupFromTable(
  ctx: XlateCtx,
  tableId: number,
  inPort: number,
  mayPacketIn: boolean,
  honorTableMiss: boolean,
): { rule: XlateRule; tableId: number } {
  const bridge = ctx.bridge;
  const flow = ctx.flow;
  const oldTp = flow[W_TP]!;
  const oldInPort = flow[W_IN_PORT]!;

  if (isIpAny(flow) && nwFrag(flow) & FLOW_NW_FRAG_ANY && bridge.fragHandling !== "nx-match") {
    if (bridge.fragHandling === "normal") {
      flow[W_TP] = 0;
    } else {
      return { rule: bridge.dropFragsRule, tableId };
    }
  }

  flow[W_IN_PORT] = inPort;
  let miss: "default" | "controller" | "drop" | "continue" = "continue";
  let rule: XlateRule | undefined;
  let id = tableId;
  for (let next = tableId; next < bridge.nTables; next++, next += next === TBL_INTERNAL ? 1 : 0) {
    id = next;
    rule = bridge.lookup(next, flow, ctx.wc);
    if (rule) break;
    if (honorTableMiss) {
      miss = bridge.tableMiss(next);
      if (miss === "continue") continue;
    }
    break;
  }
  if (!rule) {
    rule = bridge.noPacketInRule;
    if (mayPacketIn) {
      if (miss === "continue" || miss === "controller") {
        const port = bridge.port(oldInPort & 0xffff);
        if (port && !(port.config & PC_NO_PACKET_IN)) rule = bridge.missRule;
      } else if (miss === "default" && bridge.packetInOnMiss) {
        rule = bridge.missRule;
      }
    }
  }
  flow[W_TP] = oldTp;
  flow[W_IN_PORT] = oldInPort;
  return { rule, tableId: id };
}

/** Whether `rule` is one of ofproto's internal rules (rule_dpif_is_internal). */
export function ruleIsInternal(rule: XlateRule): boolean {
  return rule.tableId === TBL_INTERNAL;
}

/** xlate_report_table: "N. <match>, priority P, cookie C" (or a miss text) as a table node. */
export function reportTable(ctx: XlateCtx, rule: XlateRule, tableId: number): void {
  if (!ctx.trace) return;
  let s = `${String(tableId).padStart(2)}. `;
  const bridge = ctx.bridge;
  if (rule === bridge.missRule) {
    s += 'No match, and a "packet-in" is called for.';
  } else if (rule === bridge.noPacketInRule) {
    s += "No match.";
  } else if (rule === bridge.dropFragsRule) {
    s += 'Packets are IP fragments and the fragment handling mode is "drop".';
  } else {
    if (ctx.formatter) s += ctx.formatter.match(rule.match.flow, rule.match.mask, bridge);
    if (!s.endsWith(" ")) s += ", ";
    s += `priority ${rule.priority}`;
    if (rule.cookie) s += `, cookie 0x${rule.cookie.toString(16)}`;
  }
  ctx.trace = ctx.report("table", s);
}

function tupleSwap(flow: XFlow, ipv4: boolean): void {
  // nw_proto <-> ct_nw_proto, addresses <-> ct addresses, ports <-> ct ports.
  swapBits(flow, W_NW_MISC, 0xff000000, W_CT_ZONE, 0x00ff0000, 8);
  if (ipv4) {
    swapWord(flow, W_NW_SRC, W_CT_NW_SRC);
    swapWord(flow, W_NW_DST, W_CT_NW_DST);
  } else {
    for (let i = 0; i < 4; i++) {
      swapWord(flow, W_IPV6_SRC + i, W_CT_IPV6_SRC + i);
      swapWord(flow, W_IPV6_DST + i, W_CT_IPV6_DST + i);
    }
  }
  swapWord(flow, W_TP, W_CT_TP);
}

function swapWord(f: XFlow, a: number, b: number): void {
  const t = f[a]!;
  f[a] = f[b]!;
  f[b] = t;
}

/** Swaps `aBits` of word `a` with `bBits` of word `b`; `shift` aligns b's bits to a's. */
function swapBits(f: XFlow, a: number, aBits: number, b: number, bBits: number, shift: number) {
  const av = (f[a]! & aBits) >>> 0;
  const bv = (f[b]! & bBits) >>> 0;
  f[a] = ((f[a]! & ~aBits) | ((bv << shift) & aBits)) >>> 0;
  f[b] = ((f[b]! & ~bBits) | ((av >>> shift) & bBits)) >>> 0;
}

/**
 * xlate_table_action: looks up from `tableId` and translates the rule found. A lookup in the
 * same or an earlier table than the current one deepens the recursion.
 */
export function xlateTableAction(
  ctx: XlateCtx,
  inPort: number,
  tableId: number,
  mayPacketIn: boolean,
  honorTableMiss: boolean,
  withCtOrig: boolean,
  isLastAction: boolean,
  xlator: ActionsXlator,
): void {
  if (ctx.wasMpls) {
    ctx.exit = true;
    ctx.freezing = true;
    return;
  }
  if (!resubmitResourceCheck(ctx)) return;
  const oldTableId = ctx.tableId;
  ctx.tableId = tableId;
  if (withCtOrig) {
    const proto = (ctx.flow[W_CT_ZONE]! >>> 16) & 0xff;
    if (proto === 0 || !isIpAny(ctx.flow)) {
      ctx.reportError("resubmit(ct) with non-tracked or non-IP packet!");
      ctx.tableId = oldTableId;
      return;
    }
    const ipv4 = rawDlType(ctx.flow) === 0x0800;
    tupleSwap(ctx.flow, ipv4);
    tupleSwap(ctx.wc, ipv4);
  }
  const found = lookupFromTable(ctx, tableId, inPort, mayPacketIn, honorTableMiss);
  ctx.tableId = found.tableId;
  if (withCtOrig) {
    const ipv4 = rawDlType(ctx.flow) === 0x0800;
    tupleSwap(ctx.flow, ipv4);
    tupleSwap(ctx.wc, ipv4);
  }
  const rule = found.rule;
  ctx.rules.push(rule);
  const oldTrace = ctx.trace;
  reportTable(ctx, rule, tableId);
  xlateRecursively(ctx, rule, tableId <= oldTableId, isLastAction, xlator);
  ctx.trace = oldTrace;
  ctx.tableId = oldTableId;
}

/** xlate_recursively. */
export function xlateRecursively(
  ctx: XlateCtx,
  rule: XlateRule,
  deepens: boolean,
  isLastAction: boolean,
  xlator: ActionsXlator,
): void {
  const oldRule = ctx.rule;
  const oldCookie = ctx.ruleCookie;
  ctx.resubmits++;
  if (deepens) ctx.depth++;
  ctx.rule = rule;
  ctx.ruleCookie = rule.cookie;
  xlator(ctx, rule.ofpacts, isLastAction, false);
  ctx.ruleCookie = oldCookie;
  ctx.rule = oldRule;
  if (deepens) ctx.depth--;
}

/** xlate_ofpact_resubmit. */
export function xlateResubmit(
  ctx: XlateCtx,
  a: OfpactOf<"resubmit">,
  isLastAction: boolean,
  xlator: ActionsXlator,
): void {
  let mayPacketIn = false;
  let honorTableMiss = false;
  if (ctx.rule && ruleIsInternal(ctx.rule)) {
    mayPacketIn = true;
    honorTableMiss = true;
  }
  const inPort = a.inPort === OFPP_IN_PORT ? ctx.flow[W_IN_PORT]! & 0xffff : a.inPort;
  const tableId = a.tableId === 255 ? ctx.tableId : a.tableId;
  xlateTableAction(
    ctx,
    inPort,
    tableId,
    mayPacketIn,
    honorTableMiss,
    a.withCtOrig,
    isLastAction,
    xlator,
  );
}

// ---- The action set ----

const SLOT_ORDER = [
  "strip_vlan",
  "pop_mpls",
  "decap",
  "encap",
  "push_mpls",
  "push_vlan",
  "dec_ttl",
  "dec_mpls_ttl",
  "dec_nsh_ttl",
] as const;
const FINAL_ORDER = ["ct", "ct_clear", "resubmit", "output", "group"] as const;
const SET_OR_MOVE = new Set([
  "set_field",
  "reg_move",
  "set_eth_dst",
  "set_eth_src",
  "set_ip_dscp",
  "set_ip_ecn",
  "set_ip_ttl",
  "set_ipv4_dst",
  "set_ipv4_src",
  "set_l4_dst_port",
  "set_l4_src_port",
  "set_mpls_label",
  "set_mpls_tc",
  "set_mpls_ttl",
  "set_queue",
  "set_tunnel",
  "set_vlan_pcp",
  "set_vlan_vid",
]);

/** ofpacts_execute_action_set: the action list an action set executes as. */
export function executeActionSet(set: readonly Ofpact[]): Ofpact[] {
  const slots: (Ofpact | undefined)[] = new Array(SLOT_ORDER.length);
  const setOrMove: Ofpact[] = [];
  let final: Ofpact | undefined;
  let finalClass = -1;
  for (const a of set) {
    const slot = (SLOT_ORDER as readonly string[]).indexOf(a.type);
    if (slot >= 0) {
      slots[slot] = a;
      continue;
    }
    const f = (FINAL_ORDER as readonly string[]).indexOf(a.type);
    if (f >= 0) {
      if (f >= finalClass) {
        final = a;
        finalClass = f;
      }
      continue;
    }
    if (SET_OR_MOVE.has(a.type)) setOrMove.push(a);
  }
  const out: Ofpact[] = [];
  if (final) {
    for (const s of slots) if (s) out.push(s);
    out.push(...setOrMove, final);
  }
  return out;
}

/** xlate_write_actions__: adds to the action set, keeping actset_output up to date. */
export function writeActions(ctx: XlateCtx, ofpacts: readonly Ofpact[]): void {
  if (!ctx.actionSetHasGroup) {
    for (const a of ofpacts) {
      if (a.type === "output") {
        ctx.flow[W_ACTSET_OUTPUT] = a.port;
      } else if (a.type === "group") {
        ctx.flow[W_ACTSET_OUTPUT] = OFPP_UNSET;
        ctx.actionSetHasGroup = true;
        break;
      }
    }
  }
  for (const a of ofpacts) ctx.actionSet.push(a);
}

/** xlate_report_action_set. */
export function reportActionSet(ctx: XlateCtx, verb: string): void {
  if (!ctx.trace) return;
  const list = executeActionSet(ctx.actionSet);
  if (list.length) {
    ctx.report("detail", `action set ${verb}: ${ctx.formatActions(list)}`);
  } else {
    ctx.report("detail", `action set ${verb} empty`);
  }
}

/** xlate_action_set: runs and empties the action set. */
export function xlateActionSet(ctx: XlateCtx, xlator: ActionsXlator): void {
  const list = executeActionSet(ctx.actionSet);
  ctx.actionSet = [];
  if (list.length) {
    ctx.inActionSet = true;
    const oldTrace = ctx.trace;
    ctx.trace = ctx.report("table", "--. Executing action set:");
    xlator(ctx, list, true, false);
    ctx.trace = oldTrace;
    ctx.inActionSet = false;
  }
}
