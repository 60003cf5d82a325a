// Translating an OpenFlow action list (upstream's do_xlate_actions and the per-action helpers it
// calls that need no file of their own): header rewrites recorded in the flow and matched in the
// wildcards exactly as upstream records them, MPLS and TTL handling (dec_ttl's packet-in with
// OFPR_INVALID_TTL), the stack, metadata, multipath, fin_timeout, clone (a datapath clone only
// when the nested actions cannot be undone), ct and check_pkt_larger, and the freezing protocol:
// when an action stops translation to be resumed later, the rest of the list is saved.

import {
  ETH_TYPE_IP,
  FLOW_NW_FRAG_LATER,
  VLAN_CFI,
  VLAN_PCP_MASK,
  VLAN_PCP_SHIFT,
  VLAN_VID_MASK,
  W_ACTSET_OUTPUT,
  W_CT_LABEL,
  W_CT_MARK,
  W_DL_DST,
  W_DL_SRC,
  W_DL_TYPE_VLAN,
  W_IN_PORT,
  W_METADATA,
  W_NW_DST,
  W_NW_MISC,
  W_NW_SRC,
  W_PACKET_TYPE,
  W_SKB_PRIORITY,
  W_TP,
  W_TUN_ID,
} from "../../datapath/flow.ts";
import type { CtAction, CtNat, DpAction } from "../../datapath/dp_actions.ts";
import {
  NX_CT_F_COMMIT,
  NX_CT_F_FORCE,
  NX_CT_RECIRC_NONE,
  NX_NAT_F_DST,
  NX_NAT_F_PERSISTENT,
  NX_NAT_F_PROTO_HASH,
  NX_NAT_F_PROTO_RANDOM,
  NX_NAT_F_SRC,
  type Ofpact,
  type OfpactOf,
  OFPR_INVALID_TTL,
} from "../actions/types.ts";
import { field } from "../fields.ts";
import { formatSubfield } from "../subfield.ts";
import { SLOW_ACTION } from "./commit.ts";
import type { XlateCtx } from "./context.ts";
import {
  finishFreezing,
  finishFreezingAt,
  freezeUnrollActions,
  recircForMpls,
  triggerFreeze,
  xlateControllerAction,
} from "./freeze.ts";
import { xlateGroupAction } from "./group.ts";
import { xlateLearn } from "./learn.ts";
import {
  setOutputHooks,
  xlateBundle,
  xlateEnqueue,
  xlateOutputAction,
  xlateOutputReg,
  xlateOutputTrunc,
} from "./output.ts";
import { flowHashFields, maskHashFields, multipathAlgorithm } from "./selection.ts";
import {
  readSubfieldSmall,
  regLoad,
  reportSubfield,
  stackPop,
  stackPush,
  subfieldCopy,
  unwildcardSubfield,
  writeSubfieldFlow,
} from "./subfields.ts";
import {
  OFPP_UNSET,
  reportActionSet,
  writeActions,
  xlateActionSet,
  xlateResubmit,
  xlateTableAction,
} from "./table.ts";
import {
  clearConntrack,
  countMplsLabels,
  ethTypeMpls,
  FLOW_MAX_MPLS_LABELS,
  IP_DSCP_MASK,
  IP_ECN_MASK,
  isIpAny,
  maskFieldMasked,
  maskNwProto,
  maskTpDst,
  maskTpSrc,
  maskVlanTci,
  MPLS_LABEL_MASK,
  MPLS_TC_MASK,
  MPLS_TTL_MASK,
  mplsLse,
  nwFrag,
  nwTos,
  nwTtl,
  orMplsLseMask,
  popMpls,
  popVlan,
  prereqsOk,
  pushMpls,
  pushVlanUninit,
  rawDlType,
  setFlowValueMasked,
  setMplsLse,
  setNwTos,
  setNwTtl,
  setVlan,
  vlanTci,
  vlanTpid,
} from "./xflow.ts";

/**
 * Fields from ip_src on are layer 3 or higher. The switch we are compared with (Debian's
 * 3.1.0-2+deb12u1, with the fix for CVE-2023-1668) matches on the IP protocol whenever an action
 * rewrites such a field, so that packets with protocol 0 cannot share the megaflow.
 */
const IP_SRC_ID = field("ip_src").id;

// ---- MPLS ----

function composeMplsPush(ctx: XlateCtx, a: OfpactOf<"push_mpls">): void {
  const n = countMplsLabels(ctx.flow, ctx.wc);
  if (!n) {
    ctx.commit();
  } else if (n >= FLOW_MAX_MPLS_LABELS) {
    if (ctx.packet) {
      ctx.reportError(
        `dropping packet on which an MPLS push action can't be performed as it would have more MPLS LSEs than the ${FLOW_MAX_MPLS_LABELS} supported.`,
      );
    }
    ctx.error = "Too many MPLS labels";
    return;
  }
  pushMpls(ctx.flow, n, a.ethertype, ctx.wc, true);
}

function composeMplsPop(ctx: XlateCtx, ethertype: number): void {
  const n = countMplsLabels(ctx.flow, ctx.wc);
  if (popMpls(ctx.flow, n, ethertype, ctx.wc)) {
    if (!ethTypeMpls(ethertype)) ctx.wasMpls = true;
  } else if (n >= FLOW_MAX_MPLS_LABELS) {
    if (ctx.packet) {
      ctx.reportError(
        `dropping packet on which an MPLS pop action can't be performed as it has more MPLS LSEs than the ${FLOW_MAX_MPLS_LABELS} supported.`,
      );
    }
    ctx.error = "Too many MPLS labels";
  }
}

function setLseBits(ctx: XlateCtx, bits: number, value: number): void {
  if (!ethTypeMpls(rawDlType(ctx.flow))) return;
  orMplsLseMask(ctx.wc, 0, bits);
  setMplsLse(ctx.flow, 0, (mplsLse(ctx.flow, 0) & ~bits) | (value & bits));
}

function composeDecMplsTtl(ctx: XlateCtx): boolean {
  if (ethTypeMpls(rawDlType(ctx.flow))) {
    const ttl = mplsLse(ctx.flow, 0) & 0xff;
    orMplsLseMask(ctx.wc, 0, MPLS_TTL_MASK);
    if (ttl > 1) {
      setMplsLse(ctx.flow, 0, (mplsLse(ctx.flow, 0) & ~MPLS_TTL_MASK) | (ttl - 1));
      return false;
    }
    xlateControllerAction(ctx, 0xffff, OFPR_INVALID_TTL, 0, undefined);
  }
  ctx.report("warn", "MPLS decrement TTL exception");
  return true;
}

/** compose_dec_ttl: true when the TTL ran out (processing of this list stops). */
function composeDecTtl(ctx: XlateCtx, a: OfpactOf<"dec_ttl">): boolean {
  const flow = ctx.flow;
  if (!isIpAny(flow)) return false;
  ctx.wc[W_NW_MISC] = (ctx.wc[W_NW_MISC]! | 0x0000ff00) >>> 0;
  const ttl = nwTtl(flow);
  if (ttl > 1) {
    setNwTtl(flow, ttl - 1);
    return false;
  }
  for (const id of a.ids) xlateControllerAction(ctx, 0xffff, OFPR_INVALID_TTL, id, undefined);
  ctx.report("warn", `IPv${rawDlType(flow) === ETH_TYPE_IP ? 4 : 6} decrement TTL exception`);
  return true;
}

// ---- clone ----

/** reversible_actions: whether the datapath actions of `ofpacts` can be undone by others. */
function reversible(ofpacts: readonly Ofpact[]): boolean {
  for (const a of ofpacts) {
    switch (a.type) {
      case "ct":
      case "meter":
      case "nat":
      case "output_trunc":
      case "encap":
      case "decap":
      case "dec_nsh_ttl":
        return false;
    }
  }
  return true;
}

/** clone_xlate_actions: translates on a copy of the flow, stack and action set. */
export function cloneXlateActions(
  ctx: XlateCtx,
  ofpacts: readonly Ofpact[],
  isLastAction: boolean,
  _groupBucketAction: boolean,
): void {
  const oldStack = ctx.stack;
  const oldStackBytes = ctx.stackBytes;
  ctx.stack = oldStack.slice();
  const oldActionSet = ctx.actionSet;
  ctx.actionSet = oldActionSet.slice();
  const oldFlow = ctx.save(ctx.flow);

  if (reversible(ofpacts) || isLastAction) {
    doXlateActions(ctx, ofpacts, isLastAction, false);
    if (!ctx.freezing) xlateActionSet(ctx, doXlateActions);
    if (ctx.freezing) finishFreezing(ctx);
  } else {
    ctx.commit();
    const oldBase = ctx.save(ctx.base);
    const oldWasMpls = ctx.wasMpls;
    const oldConntracked = ctx.conntracked;
    const inner = ctx.nested(() => {
      doXlateActions(ctx, ofpacts, true, false);
      if (!ctx.freezing) xlateActionSet(ctx, doXlateActions);
      if (ctx.freezing) finishFreezing(ctx);
    });
    if (inner.length) ctx.out.push({ type: "clone", actions: inner });
    else ctx.outBytes -= 4;
    ctx.conntracked = oldConntracked;
    ctx.wasMpls = oldWasMpls;
    ctx.base.set(oldBase);
    ctx.release();
  }
  ctx.actionSet = oldActionSet;
  ctx.stack = oldStack;
  ctx.stackBytes = oldStackBytes;
  ctx.flow.set(oldFlow);
  ctx.release();
}

// ---- conntrack ----

function natOf(n: OfpactOf<"nat">): CtNat {
  const nat: CtNat = {
    src: false,
    dst: false,
    persistent: false,
    hash: false,
    random: false,
  };
  if (!(n.flags & (NX_NAT_F_SRC | NX_NAT_F_DST))) return nat;
  nat.src = (n.flags & NX_NAT_F_SRC) !== 0;
  nat.dst = !nat.src;
  nat.persistent = (n.flags & NX_NAT_F_PERSISTENT) !== 0;
  nat.hash = (n.flags & NX_NAT_F_PROTO_HASH) !== 0;
  nat.random = !nat.hash && (n.flags & NX_NAT_F_PROTO_RANDOM) !== 0;
  if (n.rangeAf === "ipv4") {
    const bytes = (v: number) =>
      Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
    nat.ipMin = bytes(n.ipv4Min);
    if (n.ipv4Max && n.ipv4Max >>> 0 > n.ipv4Min >>> 0) nat.ipMax = bytes(n.ipv4Max);
  } else if (n.rangeAf === "ipv6") {
    nat.ipMin = n.ipv6Min.slice();
    let greater = false;
    let any = false;
    for (let i = 0; i < 16; i++) {
      if (n.ipv6Max[i]) any = true;
    }
    for (let i = 0; i < 16; i++) {
      if (n.ipv6Max[i] !== n.ipv6Min[i]) {
        greater = n.ipv6Max[i]! > n.ipv6Min[i]!;
        break;
      }
    }
    if (any && greater) nat.ipMax = n.ipv6Max.slice();
  }
  if (n.rangeAf !== "none" && n.protoMin) {
    nat.protoMin = n.protoMin;
    if (n.protoMax && n.protoMax > n.protoMin) nat.protoMax = n.protoMax;
  }
  return nat;
}

function composeConntrack(ctx: XlateCtx, a: OfpactOf<"ct">, isLastAction: boolean): void {
  let zone: number;
  if (a.zoneSrc) {
    zone = readSubfieldSmall(ctx.flow, a.zoneSrc) & 0xffff;
    unwildcardSubfield(ctx.wc, a.zoneSrc);
  } else {
    zone = a.zoneImm;
  }
  const wc = ctx.wc;
  const oldMarkMask = wc[W_CT_MARK]!;
  const oldLabelMask = wc.slice(W_CT_LABEL, W_CT_LABEL + 4);
  ctx.commit();
  ctx.ctNatAction = undefined;
  wc[W_CT_MARK] = 0;
  wc.fill(0, W_CT_LABEL, W_CT_LABEL + 4);
  doXlateActions(ctx, a.actions, isLastAction, false);

  const ct: CtAction = {
    type: "ct",
    commit: (a.flags & NX_CT_F_COMMIT) !== 0 && !(a.flags & NX_CT_F_FORCE),
    forceCommit: (a.flags & NX_CT_F_COMMIT) !== 0 && (a.flags & NX_CT_F_FORCE) !== 0,
    zone,
  };
  if (wc[W_CT_MARK]) {
    ct.mark = { value: (ctx.flow[W_CT_MARK]! & wc[W_CT_MARK]!) >>> 0, mask: wc[W_CT_MARK]! };
  }
  let labelMask = 0n;
  let label = 0n;
  for (let i = 0; i < 4; i++) {
    labelMask = (labelMask << 32n) | BigInt(wc[W_CT_LABEL + i]!);
    label = (label << 32n) | BigInt((ctx.flow[W_CT_LABEL + i]! & wc[W_CT_LABEL + i]!) >>> 0);
  }
  if (labelMask) ct.label = { value: label, mask: labelMask };
  if (a.alg === 21) ct.helper = "ftp";
  else if (a.alg === 69) ct.helper = "tftp";
  else if (a.alg) ctx.reportError(`cannot serialize ct_helper ${a.alg}`);
  if (ctx.ctNatAction) ct.nat = natOf(ctx.ctNatAction);
  ctx.emit(ct as DpAction);

  wc[W_CT_MARK] = oldMarkMask;
  wc.set(oldLabelMask, W_CT_LABEL);

  if (a.recircTable !== NX_CT_RECIRC_NONE) {
    ctx.conntracked = true;
    ctx.freezing = true;
    const id = finishFreezingAt(ctx, a.recircTable);
    if (ctx.trace && id && ctx.recircQueue) {
      // The trace holds its own reference until it has followed the recirculation.
      if (ctx.recirc.ref(id)) {
        ctx.recircQueue.push({
          recircId: id,
          flow: ctx.flow.slice(),
          zone,
          nat: ctx.ctNatAction,
        });
        ctx.report(
          "detail",
          `A clone of the packet is forked to recirculate. The forked pipeline will be resumed at table ${a.recircTable}.`,
        );
      } else {
        ctx.report(
          "detail",
          `Failed to trace the conntrack forked pipeline with recirc_id = ${id}.`,
        );
      }
    }
  }
  ctx.ctNatAction = undefined;
  clearConntrack(ctx.flow);
  ctx.report(
    "detail",
    "Sets the packet to an untracked state, and clears all the conntrack fields.",
  );
  ctx.conntracked = false;
}

// ---- check_pkt_larger ----

function checkPktLarger(
  ctx: XlateCtx,
  a: OfpactOf<"check_pkt_larger">,
  rest: readonly Ofpact[],
): void {
  const oldStack = ctx.stack;
  const oldStackBytes = ctx.stackBytes;
  ctx.stack = oldStack.slice();
  const oldActionSet = ctx.actionSet;
  ctx.actionSet = oldActionSet.slice();
  const oldFlow = ctx.save(ctx.flow);
  ctx.commit();
  const oldBase = ctx.save(ctx.base);
  const oldWasMpls = ctx.wasMpls;
  const oldConntracked = ctx.conntracked;

  const branch = (bit: number): DpAction[] =>
    ctx.nested(() => {
      writeSubfieldFlow(ctx.flow, a.dst, bit);
      doXlateActions(ctx, rest, true, false);
      if (!ctx.freezing) xlateActionSet(ctx, doXlateActions);
      if (ctx.freezing) finishFreezing(ctx);
    });
  ctx.outBytes += 8;
  const gt = branch(1);
  ctx.base.set(oldBase);
  ctx.wasMpls = oldWasMpls;
  ctx.conntracked = oldConntracked;
  ctx.flow.set(oldFlow);
  const oldExit = ctx.exit;
  ctx.exit = false;
  const le = branch(0);
  ctx.out.push({ type: "check_pkt_len", size: a.pktLen, gt, le });

  ctx.actionSet = oldActionSet;
  ctx.stack = oldStack;
  ctx.stackBytes = oldStackBytes;
  ctx.base.set(oldBase);
  ctx.wasMpls = oldWasMpls;
  ctx.conntracked = oldConntracked;
  ctx.flow.set(oldFlow);
  ctx.exit = oldExit;
  ctx.release();
  ctx.release();
}

// ---- encap / decap (Ethernet only) ----

function xlateEncap(ctx: XlateCtx, a: OfpactOf<"encap">): void {
  ctx.commit();
  if (a.newPktType === 0) {
    ctx.wc[W_PACKET_TYPE] = 0xffffffff;
    const pt = ctx.flow[W_PACKET_TYPE]!;
    if (pt >>> 16 === 1) {
      ctx.flow[W_PACKET_TYPE] = 0;
      ctx.flow.fill(0, W_DL_DST, W_DL_SRC + 2);
      ctx.flow[W_DL_TYPE_VLAN] = (((pt & 0xffff) << 16) | (ctx.flow[W_DL_TYPE_VLAN]! & 0xffff)) >>>
        0;
      ctx.pendingEncap = true;
      return;
    }
    ctx.reportDebug(
      "action",
      "Dropping packet as encap(ethernet) is not supported for packet type ethernet.",
    );
  }
  ctx.error = "Unsupported packet type";
}

function xlateDecap(ctx: XlateCtx): boolean {
  ctx.commit();
  const flow = ctx.flow;
  if (flow[W_PACKET_TYPE] === 0) {
    if (vlanTci(flow, 0) & VLAN_CFI) {
      ctx.reportDebug("action", "Dropping packet, cannot decap Ethernet if VLAN is present.");
      ctx.error = "Unsupported packet type";
    } else {
      flow[W_PACKET_TYPE] = ((1 << 16) | rawDlType(flow)) >>> 0;
      flow.fill(0, W_DL_DST, W_DL_SRC + 2);
      ctx.wc[W_DL_TYPE_VLAN] = (ctx.wc[W_DL_TYPE_VLAN]! | 0xffff0000) >>> 0;
    }
    return false;
  }
  const pt = flow[W_PACKET_TYPE]!;
  ctx.reportDebug(
    "action",
    `Dropping packet as the decap() does not support packet type (${pt >>> 16},0x${
      (pt & 0xffff).toString(16)
    })`,
  );
  ctx.error = "Unsupported packet type";
  return false;
}

// ---- the dispatcher ----

function setMac(ctx: XlateCtx, word: number, mac: Uint8Array): void {
  ctx.wc[word] = (ctx.wc[word]! | 0xffff) >>> 0;
  ctx.wc[word + 1] = 0xffffffff;
  ctx.flow[word] = (mac[0]! << 8) | mac[1]!;
  ctx.flow[word + 1] = ((mac[2]! << 24) | (mac[3]! << 16) | (mac[4]! << 8) | mac[5]!) >>> 0;
}

function xlateOne(
  ctx: XlateCtx,
  ofpacts: readonly Ofpact[],
  i: number,
  last: boolean,
  groupBucketAction: boolean,
): "next" | "return" | "skip-check" | "pause" | "stop" {
  const a = ofpacts[i]!;
  const flow = ctx.flow;
  const wc = ctx.wc;
  switch (a.type) {
    case "output":
      xlateOutputAction(ctx, a.port, a.maxLen, true, last, false, groupBucketAction);
      break;
    case "group":
      if (xlateGroupAction(ctx, a.groupId, last, doXlateActions)) return "return";
      break;
    case "controller":
      if (a.pause) {
        ctx.pause = a;
        triggerFreeze(ctx);
        return "pause";
      }
      xlateControllerAction(ctx, a.maxLen, a.reason, a.controllerId, a.userdata);
      break;
    case "enqueue":
      wc[W_SKB_PRIORITY] = 0xffffffff;
      xlateEnqueue(ctx, a, last);
      break;
    case "set_vlan_vid":
      maskVlanTci(wc, 0, VLAN_VID_MASK | VLAN_CFI);
      if (vlanTci(flow, 0) & VLAN_CFI || a.pushVlanIfNeeded) {
        const tpid = vlanTpid(flow, 0) || 0x8100;
        setVlan(flow, 0, tpid, (vlanTci(flow, 0) & ~VLAN_VID_MASK) | a.vlanVid | VLAN_CFI);
      }
      break;
    case "set_vlan_pcp":
      maskVlanTci(wc, 0, VLAN_PCP_MASK | VLAN_CFI);
      if (vlanTci(flow, 0) & VLAN_CFI || a.pushVlanIfNeeded) {
        const tpid = vlanTpid(flow, 0) || 0x8100;
        setVlan(
          flow,
          0,
          tpid,
          (vlanTci(flow, 0) & ~VLAN_PCP_MASK) | (a.vlanPcp << VLAN_PCP_SHIFT) | VLAN_CFI,
        );
      }
      break;
    case "strip_vlan":
      popVlan(flow, wc);
      break;
    case "push_vlan":
      pushVlanUninit(flow, wc);
      setVlan(flow, 0, a.ethertype, VLAN_CFI);
      break;
    case "set_eth_src":
      setMac(ctx, W_DL_SRC, a.mac);
      break;
    case "set_eth_dst":
      setMac(ctx, W_DL_DST, a.mac);
      break;
    case "set_ipv4_src":
      if (rawDlType(flow) === ETH_TYPE_IP) {
        maskNwProto(flow, wc);
        wc[W_NW_SRC] = 0xffffffff;
        flow[W_NW_SRC] = a.ipv4 >>> 0;
      }
      break;
    case "set_ipv4_dst":
      if (rawDlType(flow) === ETH_TYPE_IP) {
        maskNwProto(flow, wc);
        wc[W_NW_DST] = 0xffffffff;
        flow[W_NW_DST] = a.ipv4 >>> 0;
      }
      break;
    case "set_ip_dscp":
      if (isIpAny(flow)) {
        maskNwProto(flow, wc);
        wc[W_NW_MISC] = (wc[W_NW_MISC]! | (IP_DSCP_MASK << 16)) >>> 0;
        setNwTos(flow, (nwTos(flow) & ~IP_DSCP_MASK) | a.dscp);
      }
      break;
    case "set_ip_ecn":
      if (isIpAny(flow)) {
        maskNwProto(flow, wc);
        wc[W_NW_MISC] = (wc[W_NW_MISC]! | (IP_ECN_MASK << 16)) >>> 0;
        setNwTos(flow, (nwTos(flow) & ~IP_ECN_MASK) | a.ecn);
      }
      break;
    case "set_ip_ttl":
      if (isIpAny(flow)) {
        maskNwProto(flow, wc);
        wc[W_NW_MISC] = (wc[W_NW_MISC]! | 0x0000ff00) >>> 0;
        setNwTtl(flow, a.ttl);
      }
      break;
    case "set_l4_src_port":
      if (isIpAny(flow) && !(nwFrag(flow) & FLOW_NW_FRAG_LATER)) {
        maskNwProto(flow, wc);
        maskTpSrc(wc);
        flow[W_TP] = (((a.port & 0xffff) << 16) | (flow[W_TP]! & 0xffff)) >>> 0;
      }
      break;
    case "set_l4_dst_port":
      if (isIpAny(flow) && !(nwFrag(flow) & FLOW_NW_FRAG_LATER)) {
        maskNwProto(flow, wc);
        maskTpDst(wc);
        flow[W_TP] = ((flow[W_TP]! & 0xffff0000) | (a.port & 0xffff)) >>> 0;
      }
      break;
    case "resubmit":
      xlateResubmit(ctx, a, last, doXlateActions);
      return "skip-check";
    case "goto_table":
      xlateTableAction(
        ctx,
        flow[W_IN_PORT]! & 0xffff,
        a.tableId,
        true,
        true,
        false,
        last,
        doXlateActions,
      );
      return "skip-check";
    case "set_tunnel":
      flow[W_TUN_ID] = Number((a.tunId >> 32n) & 0xffffffffn);
      flow[W_TUN_ID + 1] = Number(a.tunId & 0xffffffffn);
      break;
    case "set_queue":
      wc[W_SKB_PRIORITY] = 0xffffffff;
      flow[W_SKB_PRIORITY] = a.queueId >>> 0;
      break;
    case "pop_queue":
      wc[W_SKB_PRIORITY] = 0xffffffff;
      if (flow[W_SKB_PRIORITY] !== ctx.origSkbPriority) {
        flow[W_SKB_PRIORITY] = ctx.origSkbPriority;
        ctx.report(
          "detail",
          `queue = ${ctx.origSkbPriority ? "0x" + ctx.origSkbPriority.toString(16) : "0"}`,
        );
      }
      break;
    case "reg_move":
      subfieldCopy(ctx, a.src, a.dst);
      reportSubfield(ctx, a.dst, formatSubfield(a.dst));
      break;
    case "set_field":
      if (prereqsOk(a.field, flow, wc)) {
        if (a.field.id >= IP_SRC_ID) maskNwProto(flow, wc);
        maskFieldMasked(wc, a.field, a.mask);
        setFlowValueMasked(flow, a.field, a.value, a.mask);
      } else {
        ctx.report("warn", `unmet prerequisites for ${a.field.name}, set_field ignored`);
      }
      break;
    case "stack_push":
      stackPush(ctx, a.subfield);
      break;
    case "stack_pop":
      if (stackPop(ctx, a.subfield)) reportSubfield(ctx, a.subfield, formatSubfield(a.subfield));
      else ctx.reportError("stack underflow");
      break;
    case "push_mpls":
      composeMplsPush(ctx, a);
      break;
    case "pop_mpls":
      composeMplsPop(ctx, a.ethertype);
      break;
    case "set_mpls_label":
      setLseBits(ctx, MPLS_LABEL_MASK, (a.label << 12) >>> 0);
      break;
    case "set_mpls_tc":
      setLseBits(ctx, MPLS_TC_MASK, (a.tc & 7) << 9);
      break;
    case "set_mpls_ttl":
      setLseBits(ctx, MPLS_TTL_MASK, a.ttl & 0xff);
      break;
    case "dec_mpls_ttl":
      if (composeDecMplsTtl(ctx)) return "return";
      break;
    case "dec_nsh_ttl":
      ctx.report("warn", "NSH decrement TTL exception");
      return "return";
    case "dec_ttl":
      maskNwProto(flow, wc);
      wc[W_NW_MISC] = (wc[W_NW_MISC]! | 0x0000ff00) >>> 0;
      if (composeDecTtl(ctx, a)) return "return";
      break;
    case "note":
      break;
    case "multipath": {
      const hash = flowHashFields(flow, a.fields, a.basis);
      const link = multipathAlgorithm(hash, a.algorithm, a.maxLink + 1, a.arg);
      maskHashFields(flow, wc, a.fields);
      regLoad(ctx, a.dst, link);
      reportSubfield(ctx, a.dst, formatSubfield(a.dst));
      break;
    }
    case "bundle":
      xlateBundle(ctx, a, last, groupBucketAction);
      break;
    case "output_reg":
      xlateOutputReg(ctx, a, last, groupBucketAction);
      break;
    case "output_trunc":
      xlateOutputTrunc(ctx, a.port, a.maxLen, last, groupBucketAction);
      break;
    case "learn":
      xlateLearn(ctx, a);
      break;
    case "conjunction":
      ctx.reportError("executing no-op conjunction action");
      break;
    case "exit":
      ctx.exit = true;
      break;
    case "unroll_xlate":
      ctx.tableId = a.ruleTableId;
      ctx.ruleCookie = a.ruleCookie;
      ctx.report(
        "thaw",
        `restored state: table=${a.ruleTableId}, cookie=${
          a.ruleCookie ? "0x" + a.ruleCookie.toString(16) : "0"
        }`,
      );
      break;
    case "fin_timeout":
      maskNwProto(flow, wc);
      if (ctx.rule) {
        ctx.finTimeouts.push({
          rule: ctx.rule,
          idleTimeout: a.idleTimeout,
          hardTimeout: a.hardTimeout,
        });
      }
      break;
    case "delete_field":
      ctx.report("detail", `delete ${a.field.name}`);
      break;
    case "clear_actions":
      reportActionSet(ctx, "was");
      ctx.actionSet = [];
      flow[W_ACTSET_OUTPUT] = OFPP_UNSET;
      ctx.actionSetHasGroup = false;
      break;
    case "write_actions":
      writeActions(ctx, a.actions);
      reportActionSet(ctx, "is");
      break;
    case "write_metadata": {
      const hi = Number((a.mask >> 32n) & 0xffffffffn);
      const lo = Number(a.mask & 0xffffffffn);
      const vhi = Number((a.metadata >> 32n) & 0xffffffffn);
      const vlo = Number(a.metadata & 0xffffffffn);
      flow[W_METADATA] = ((flow[W_METADATA]! & ~hi) | (vhi & hi)) >>> 0;
      flow[W_METADATA + 1] = ((flow[W_METADATA + 1]! & ~lo) | (vlo & lo)) >>> 0;
      break;
    }
    case "meter":
      // xlate_meter_action: the datapath meter flow-mod checking put into the action.
      if (a.providerMeterId !== 0xffffffff) ctx.emit({ type: "meter", id: a.providerMeterId });
      break;
    case "sample":
      break;
    case "clone":
      cloneXlateActions(ctx, a.actions, last, false);
      break;
    case "encap":
      xlateEncap(ctx, a);
      break;
    case "decap":
      xlateDecap(ctx);
      break;
    case "ct":
      composeConntrack(ctx, a, last);
      break;
    case "ct_clear":
      if (ctx.conntracked) {
        ctx.conntracked = false;
        clearConntrack(flow);
        ctx.emit({ type: "ct_clear" });
      }
      break;
    case "nat":
      ctx.ctNatAction = a;
      break;
    case "debug_recirc":
      triggerFreeze(ctx);
      return "pause";
    case "debug_slow":
      ctx.slow |= SLOW_ACTION;
      break;
    case "check_pkt_larger":
      checkPktLarger(ctx, a, ofpacts.slice(i + 1));
      return "stop";
  }
  return "next";
}

/** do_xlate_actions. */
export function doXlateActions(
  ctx: XlateCtx,
  ofpacts: readonly Ofpact[],
  isLastAction: boolean,
  groupBucketAction: boolean,
): void {
  if (!ofpacts.length) {
    ctx.report("action", "drop");
    return;
  }
  let exit = false;
  const n = ofpacts.length;
  for (let i = 0; i < n; i++) {
    const a = ofpacts[i]!;
    const last = isLastAction && i === n - 1 && !ctx.actionSet.length;
    if (ctx.error !== "OK") break;
    recircForMpls(ctx, a);
    if (ctx.exit || exit) {
      if (ctx.freezing) freezeUnrollActions(ctx, ofpacts, i);
      break;
    }
    if (ctx.trace) ctx.report("action", ctx.formatActions([a]));
    const r = xlateOne(ctx, ofpacts, i, last, groupBucketAction);
    if (r === "return") return;
    if (r === "skip-check") continue;
    if (r === "stop") exit = true;
    const next = r === "pause" ? i + 1 : i;
    if (ctx.error === "OK" && ctx.exit && ctx.frozenActions.length === 0) {
      freezeUnrollActions(ctx, ofpacts, next);
      break;
    }
  }
}

setOutputHooks({ doActions: doXlateActions, cloneActions: cloneXlateActions });

export { unwildcardSubfield };
