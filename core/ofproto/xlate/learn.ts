// The learn action (upstream's learn_mask, learn_execute and xlate_learn_action): the flow-mod a
// learn action describes for the packet at hand — its match built from the specs' match
// destinations, its load and output actions, priority, cookie, timeouts and flags — the wildcard
// bits its source fields add to the megaflow, and its trace note. The flow-mod is handed to the
// caller (which adds it to the table) only when side effects are allowed or the translation is
// kept; otherwise the action is ignored with upstream's warning.

import { FLOW_WORDS } from "../../datapath/flow.ts";
import {
  NX_LEARN_DST_LOAD,
  NX_LEARN_DST_MATCH,
  NX_LEARN_DST_OUTPUT,
  NX_LEARN_F_DELETE_LEARNED,
  NX_LEARN_F_SEND_FLOW_REM,
  NX_LEARN_F_WRITE_RESULT,
  NX_LEARN_SRC_FIELD,
  type Ofpact,
  type OfpactOf,
  type Subfield,
} from "../actions/types.ts";
import { addEthernetPrereq, getField, setFieldInMatch } from "../field_set.ts";
import { Match } from "../match.ts";
import { formatSubfield } from "../subfield.ts";
import type { LearnedFlow, XlateCtx } from "./context.ts";
import { readSubfieldValue, regLoad, reportSubfield, unwildcardSubfield } from "./subfields.ts";

const OFPP_MAX = 0xff00;
const OFPP_IN_PORT = 0xfff8;
const OFPP_FLOOD = 0xfffb;
const OFPP_ALL = 0xfffc;
const OFPP_LOCAL = 0xfffe;

function setBits(bytes: Uint8Array, ofs: number, nBits: number, value: bigint): void {
  for (let i = 0; i < nBits; i++) {
    const bit = ofs + i;
    const byte = bytes.length - 1 - (bit >>> 3);
    if (byte < 0) break;
    const m = 1 << (bit & 7);
    if ((value >> BigInt(i)) & 1n) bytes[byte] = bytes[byte]! | m;
    else bytes[byte] = bytes[byte]! & ~m;
  }
}

/** mf_write_subfield on a match: the subfield's bits matched against `value`. */
function writeSubfieldMatch(m: Match, sf: Subfield, value: bigint): void {
  const { value: v, mask } = getField(m, sf.field);
  setBits(v, sf.ofs, sf.nBits, value);
  setBits(mask, sf.ofs, sf.nBits, (1n << BigInt(sf.nBits)) - 1n);
  setFieldInMatch(m, sf.field, v, mask);
}

function immValue(imm: Uint8Array | undefined): bigint {
  let v = 0n;
  if (imm) { for (const b of imm) v = (v << 8n) | BigInt(b); }
  return v;
}

/** learn_mask. */
export function learnMask(ctx: XlateCtx, learn: OfpactOf<"learn">): void {
  for (const spec of learn.specs) {
    if (spec.srcType === NX_LEARN_SRC_FIELD && spec.src) unwildcardSubfield(ctx.wc, spec.src);
  }
}

/** learn_execute: the flow-mod `learn` asks for, given the current flow. */
export function learnExecute(ctx: XlateCtx, learn: OfpactOf<"learn">): LearnedFlow {
  const match = new Match();
  const ofpacts: Ofpact[] = [];
  if (learn.finIdleTimeout || learn.finHardTimeout) {
    ofpacts.push({
      type: "fin_timeout",
      idleTimeout: learn.finIdleTimeout,
      hardTimeout: learn.finHardTimeout,
    });
  }
  for (const spec of learn.specs) {
    const value = spec.srcType === NX_LEARN_SRC_FIELD && spec.src
      ? readSubfieldValue(ctx.flow, spec.src)
      : immValue(spec.imm);
    switch (spec.dstType) {
      case NX_LEARN_DST_MATCH:
        if (spec.dst) {
          writeSubfieldMatch(match, spec.dst, value);
          addEthernetPrereq(match, spec.dst.field);
        }
        break;
      case NX_LEARN_DST_LOAD:
        if (spec.dst) {
          const f = spec.dst.field;
          const v = new Uint8Array(f.nBytes);
          const m = new Uint8Array(f.nBytes);
          setBits(v, spec.dst.ofs, spec.nBits, value);
          setBits(m, spec.dst.ofs, spec.nBits, (1n << BigInt(spec.nBits)) - 1n);
          ofpacts.push({
            type: "set_field",
            field: f,
            value: v,
            mask: m,
            raw: "reg_load",
            flowHasVlan: false,
          });
        }
        break;
      case NX_LEARN_DST_OUTPUT:
        if (spec.nBits <= 16 || value <= 0xffffn) {
          const port = Number(value & 0xffffn);
          if (
            port < OFPP_MAX || port === OFPP_IN_PORT || port === OFPP_FLOOD ||
            port === OFPP_LOCAL || port === OFPP_ALL
          ) {
            ofpacts.push({ type: "output", port, maxLen: 0 });
          }
        }
        break;
    }
  }
  return {
    bridge: ctx.bridge,
    tableId: learn.tableId,
    priority: learn.priority,
    matchFlow: match.flow.slice(0, FLOW_WORDS),
    matchMask: match.mask.slice(0, FLOW_WORDS),
    cookie: learn.cookie,
    idleTimeout: learn.idleTimeout,
    hardTimeout: learn.hardTimeout,
    sendFlowRem: (learn.flags & NX_LEARN_F_SEND_FLOW_REM) !== 0,
    deleteLearned: (learn.flags & NX_LEARN_F_DELETE_LEARNED) !== 0,
    limit: learn.limit,
    ofpacts,
  };
}

function traceText(ctx: XlateCtx, fm: LearnedFlow): string {
  let s = `table=${fm.tableId} `;
  if (ctx.formatter) s += ctx.formatter.match(fm.matchFlow, fm.matchMask, ctx.bridge);
  if (s.endsWith(" ")) s = s.slice(0, -1);
  s += ` priority=${fm.priority}`;
  if (fm.cookie) s += ` cookie=0x${fm.cookie.toString(16)}`;
  if (fm.idleTimeout) s += ` idle=${fm.idleTimeout}`;
  if (fm.hardTimeout) s += ` hard=${fm.hardTimeout}`;
  if (fm.sendFlowRem) s += " send_flow_rem";
  s += ` actions=${ctx.formatActions(fm.ofpacts)}`;
  return s;
}

/** xlate_learn_action. */
export function xlateLearn(ctx: XlateCtx, learn: OfpactOf<"learn">): void {
  learnMask(ctx, learn);
  if (!ctx.keepsCache && !ctx.mayLearn) {
    ctx.report("warn", "suppressing side effects, so learn action ignored");
    return;
  }
  const fm = learnExecute(ctx, learn);
  if (ctx.trace) ctx.report("detail", traceText(ctx, fm));
  let success = true;
  if (ctx.mayLearn) {
    success = ctx.onLearn ? ctx.onLearn(fm) : true;
    ctx.learned.push(fm);
  } else {
    ctx.learned.push(fm);
  }
  if (learn.flags & NX_LEARN_F_WRITE_RESULT && learn.resultDst) {
    regLoad(ctx, learn.resultDst, success ? 1 : 0);
    reportSubfield(ctx, learn.resultDst, formatSubfield(learn.resultDst));
  }
  if (ctx.trace && !success) ctx.report("detail", "Limit exceeded, learn failed");
}
