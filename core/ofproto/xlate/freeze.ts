// Freezing translation and the controller action (upstream's xlate_controller_action,
// put_controller_user_action, finish_freezing, compose_recirculate_and_fork,
// freeze_unroll_actions and recirc_for_mpls): what state goes under a recirculation ID, which
// actions are saved to run after thawing (with unroll_xlate markers that restore the table id
// and cookie a later packet-in reports), and the datapath actions that carry the ID — a
// userspace(controller(...)) action or recirc(ID), preceded by hash(...) for dp_hash groups.

import { encodeUserCookie, type UserActionCookie } from "../../datapath/user_cookie.ts";
import { type Ofpact, OFPR_ACTION, OFPR_EXPLICIT_MISS } from "../actions/types.ts";
import { field } from "../fields.ts";
import { OFPP_NONE, type XlateCtx } from "./context.ts";
import { frozenMetadataFromFlow, type FrozenState } from "./rid.ts";

const METADATA_FIELD = field("metadata");
/** Fields from ip_src on are layer 3 or higher (upstream's mf_is_l3_or_higher). */
const IP_SRC_ID = field("ip_src").id;

/** A frozen state for the current point of translation. */
function frozenState(
  ctx: XlateCtx,
  tableId: number,
  withActions: boolean,
  userdata: Uint8Array | undefined,
): FrozenState {
  return {
    tableId,
    bridgeUuid: ctx.bridge.uuid,
    metadata: frozenMetadataFromFlow(ctx.flow),
    stack: ctx.stack.map((e) => ({ value: e.value, bytes: e.bytes })),
    mirrors: ctx.mirrors,
    conntracked: ctx.conntracked,
    wasMpls: ctx.wasMpls,
    xportOfport: withActions ? ctx.xportOfport : undefined,
    ofpacts: withActions ? ctx.frozenActions : [],
    actionSet: withActions ? ctx.actionSet.slice() : [],
    userdata: userdata && userdata.length ? userdata : undefined,
  };
}

/** put_controller_user_action: the userspace action whose cookie describes a packet-in. */
export function putControllerUserAction(
  ctx: XlateCtx,
  dontSend: boolean,
  continuation: boolean,
  recircId: number,
  maxLen: number,
  reason: number,
  controllerId: number,
): void {
  const cookie: UserActionCookie = {
    type: "controller",
    ofpInPort: OFPP_NONE,
    ofprotoUuid: ctx.bridge.uuid,
    dontSend,
    continuation,
    reason,
    recircId,
    ruleCookie: ctx.ruleCookie,
    controllerId,
    maxLen,
  };
  ctx.emit({ type: "userspace", pid: 0, userdata: encodeUserCookie(cookie) });
}

/** xlate_controller_action. */
export function xlateControllerAction(
  ctx: XlateCtx,
  maxLen: number,
  reason: number,
  controllerId: number,
  userdata: Uint8Array | undefined,
): void {
  ctx.commit();
  if (reason === OFPR_ACTION && ctx.rule && ctx.rule.isTableMiss) reason = OFPR_EXPLICIT_MISS;
  const id = ctx.recirc.alloc(frozenState(ctx, ctx.tableId, false, userdata));
  ctx.recircIds.push(id);
  const dontSend = !ctx.mayLearn && !ctx.keepsCache;
  putControllerUserAction(ctx, dontSend, false, id, maxLen, reason, controllerId);
}

/**
 * finish_freezing__: freezes under an ID and emits what carries it (a continuation's userspace
 * action, or recirc preceded by hash when a dp_hash group asked). Returns the ID, or 0.
 */
export function finishFreezingAt(ctx: XlateCtx, tableId: number): number {
  const pause = ctx.pause;
  const id = ctx.recirc.alloc(
    frozenState(ctx, tableId, true, pause ? pause.userdata : undefined),
  );
  ctx.recircIds.push(id);
  if (pause) {
    if (!ctx.mayLearn && !ctx.keepsCache) return 0;
    putControllerUserAction(ctx, false, true, id, pause.maxLen, pause.reason, pause.controllerId);
  } else {
    if (ctx.recircUpdateDpHash) {
      ctx.emit({ type: "hash", alg: ctx.dpHashAlg, basis: ctx.dpHashBasis });
    }
    ctx.emit({ type: "recirc", id });
  }
  cancelFreeze(ctx);
  return id;
}

/** finish_freezing. */
export function finishFreezing(ctx: XlateCtx): void {
  ctx.commit();
  finishFreezingAt(ctx, 0);
}

/** ctx_cancel_freeze. */
export function cancelFreeze(ctx: XlateCtx): void {
  if (ctx.freezing) {
    ctx.freezing = false;
    ctx.recircUpdateDpHash = false;
    ctx.frozenActions = [];
    ctx.frozenUnroll = undefined;
    ctx.pause = undefined;
  }
}

export function triggerFreeze(ctx: XlateCtx): void {
  ctx.exit = true;
  ctx.freezing = true;
}

export function triggerRecirculateWithHash(ctx: XlateCtx, alg: number, basis: number): void {
  ctx.exit = true;
  ctx.freezing = true;
  ctx.recircUpdateDpHash = true;
  ctx.dpHashAlg = alg;
  ctx.dpHashBasis = basis;
}

/** freeze_put_unroll_xlate. */
function putUnroll(ctx: XlateCtx): void {
  const u = ctx.frozenUnroll;
  if (!u || ctx.tableId !== u.ruleTableId || ctx.ruleCookie !== u.ruleCookie) {
    const unroll: Ofpact = {
      type: "unroll_xlate",
      ruleTableId: ctx.tableId,
      ruleCookie: ctx.ruleCookie,
    };
    ctx.frozenActions.push(unroll);
    ctx.frozenUnroll = unroll;
  }
}

/** freeze_unroll_actions: saves `ofpacts[from..]` to run after thawing. */
export function freezeUnrollActions(
  ctx: XlateCtx,
  ofpacts: readonly Ofpact[],
  from: number,
): void {
  for (let i = from; i < ofpacts.length; i++) {
    const a = ofpacts[i]!;
    switch (a.type) {
      case "output_reg":
      case "output_trunc":
      case "group":
      case "output":
      case "controller":
      case "dec_mpls_ttl":
      case "dec_nsh_ttl":
      case "dec_ttl":
        putUnroll(ctx);
        break;
      case "resubmit":
        if (a.tableId === 0xff) putUnroll(ctx);
        break;
      case "goto_table":
        ctx.frozenActions.push({
          type: "resubmit",
          inPort: 0xfff8,
          tableId: a.tableId,
          withCtOrig: false,
          raw: undefined,
        });
        continue;
      case "write_metadata": {
        const value = new Uint8Array(8);
        const mask = new Uint8Array(8);
        for (let b = 0; b < 8; b++) {
          value[b] = Number((a.metadata >> BigInt(56 - 8 * b)) & 0xffn);
          mask[b] = Number((a.mask >> BigInt(56 - 8 * b)) & 0xffn);
        }
        ctx.frozenActions.push({
          type: "set_field",
          field: METADATA_FIELD,
          value,
          mask,
          raw: undefined,
          flowHasVlan: false,
        });
        continue;
      }
      case "note":
      case "conjunction":
        continue;
      default:
        break;
    }
    ctx.frozenActions.push(a);
  }
}

/** Actions that never need the headers beyond MPLS, so no recirculation after an MPLS pop. */
const NO_RECIRC_AFTER_MPLS = new Set([
  "output",
  "output_trunc",
  "enqueue",
  "output_reg",
  "set_vlan_vid",
  "set_vlan_pcp",
  "set_eth_src",
  "set_eth_dst",
  "set_tunnel",
  "set_queue",
  "group",
]);

/** recirc_for_mpls: freezes before an action that needs the L3+ fields an MPLS pop hid. */
export function recircForMpls(ctx: XlateCtx, a: Ofpact): void {
  if (ctx.exit || !ctx.wasMpls) return;
  if (NO_RECIRC_AFTER_MPLS.has(a.type)) return;
  if (a.type === "set_field" && a.field.id < IP_SRC_ID) return;
  triggerFreeze(ctx);
}

export { OFPP_NONE };
