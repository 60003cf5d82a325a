// What a learn action does when a packet hits it (upstream's learn_execute and learn_mask): the
// flow it adds or modifies — match from the flow_mod_specs' match specs, actions from their loads
// and outputs (after a fin_timeout when the learn asks for one), and its table, priority,
// timeouts, cookie and flags — and which bits of the packet's flow the decision looked at.
//
// Promises: pure functions of the learn action and the flow words; the flow mod is described,
// not sent (the caller, translation, queues it as upstream's xlate does).

import { addEthernetPrereq, getField, setFieldInMatch } from "../field_set.ts";
import { Match } from "../match.ts";
import { readSubfield, unwildcardSubfield } from "../subfield.ts";
import { OFPP_ALL, OFPP_FLOOD, OFPP_IN_PORT, OFPP_LOCAL, OFPP_MAX } from "../port_text.ts";
import { getBits, putBits } from "./field_wire.ts";
import { makeRegLoad } from "./set_field.ts";
import {
  NX_LEARN_DST_LOAD,
  NX_LEARN_DST_MATCH,
  NX_LEARN_DST_OUTPUT,
  NX_LEARN_F_SEND_FLOW_REM,
  NX_LEARN_SRC_FIELD,
  type Ofpact,
  type OfpactOf,
} from "./types.ts";

/** The flow mod a learn action composes (OFPFC_MODIFY_STRICT of `match` in `tableId`). */
export interface LearnedFlow {
  tableId: number;
  priority: number;
  idleTimeout: number;
  hardTimeout: number;
  /** The new cookie (upstream's new_cookie; all ones means "leave the cookie alone"). */
  cookie: bigint;
  /** Whether the learned flow sends a flow-removed message (OFPUTIL_FF_SEND_FLOW_REM). */
  sendFlowRem: boolean;
  match: Match;
  ofpacts: Ofpact[];
}

/** upstream's learn_execute: the flow `learn` adds for a packet whose flow is `flow`. */
export function learnExecute(learn: OfpactOf<"learn">, flow: Uint32Array): LearnedFlow {
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
    let value: bigint;
    if (spec.srcType === NX_LEARN_SRC_FIELD && spec.src) {
      value = readSubfield(flow, spec.src);
    } else {
      value = spec.imm ? getBits(spec.imm, 0, spec.nBits) : 0n;
    }
    const dst = spec.dst;
    if (spec.dstType === NX_LEARN_DST_MATCH && dst) {
      const current = getField(match, dst.field);
      putBits(current.value, dst.ofs, dst.nBits, value);
      putBits(current.mask, dst.ofs, dst.nBits, (1n << BigInt(dst.nBits)) - 1n);
      setFieldInMatch(match, dst.field, current.value, current.mask);
      addEthernetPrereq(match, dst.field);
    } else if (spec.dstType === NX_LEARN_DST_LOAD && dst) {
      ofpacts.push(makeRegLoad(dst, value));
    } else if (spec.dstType === NX_LEARN_DST_OUTPUT) {
      // Only a value that fits a port number outputs, and only to a real or flooding port.
      if (spec.nBits <= 16 || value >> 16n === 0n) {
        const port = Number(value & 0xffffn);
        if (
          port < OFPP_MAX || port === OFPP_IN_PORT || port === OFPP_FLOOD ||
          port === OFPP_LOCAL || port === OFPP_ALL
        ) {
          ofpacts.push({ type: "output", port, maxLen: 0 });
        }
      }
    }
  }
  return {
    tableId: learn.tableId,
    priority: learn.priority,
    idleTimeout: learn.idleTimeout,
    hardTimeout: learn.hardTimeout,
    cookie: learn.cookie,
    sendFlowRem: (learn.flags & NX_LEARN_F_SEND_FLOW_REM) !== 0,
    match,
    ofpacts,
  };
}

/** upstream's learn_mask: marks in `mask` every flow bit the learn action reads. */
export function learnMask(learn: OfpactOf<"learn">, mask: Uint32Array): void {
  for (const spec of learn.specs) {
    if (spec.srcType === NX_LEARN_SRC_FIELD && spec.src) unwildcardSubfield(mask, spec.src);
  }
}
