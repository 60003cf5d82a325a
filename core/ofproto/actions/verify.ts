// upstream's ofpacts_verify: the rules every action list must follow whether it was parsed or
// decoded. Instructions in their canonical order (meter, apply_actions, clear_actions,
// write_actions, write_metadata, goto_table), each at most once and only where allowed;
// conjunction only alongside note; nat only inside ct; ct's nested actions only ct_mark and
// ct_label changes (and nat); meter never nested.
//
// Promises: returns nothing or throws a VerifyError carrying both upstream's error name (for the
// wire) and its message (for the text parser). Pure.

import { OfpError } from "../errors.ts";
import { OFP15 } from "../fields.ts";
import type { Outer } from "./kind.ts";
import { ofpactName } from "./registry.ts";
import { INSTRUCTION_ORDER, type InstructionType, type Ofpact } from "./types.ts";

/** A verification failure: `errorName` for decoders, `message` for the text parser. */
export class VerifyError extends OfpError {
  constructor(name: string, readonly text: string) {
    super(name, text);
  }
}

/** upstream's ovs_instruction_type_from_ofpact_type. */
export function instructionOf(a: Ofpact, version: number): InstructionType {
  switch (a.type) {
    case "meter":
      return version >= OFP15 ? "apply_actions" : "meter";
    case "clear_actions":
    case "write_actions":
    case "write_metadata":
    case "goto_table":
      return a.type;
    default:
      return "apply_actions";
  }
}

/** The destination field an action writes, if any (upstream's ofpact_get_mf_dst). */
function dstField(a: Ofpact) {
  if (a.type === "set_field") return a.field;
  if (a.type === "reg_move") return a.dst.field;
  return undefined;
}

function requiresCt(name: string): boolean {
  return name === "ct_mark" || name === "ct_label";
}

function verifyNested(a: Ofpact, outer: Outer): void {
  const f = dstField(a);
  if (f && requiresCt(f.name) && outer !== "ct") {
    throw new VerifyError("OFPBAC_BAD_SET_ARGUMENT", "cannot set CT fields outside of ct action");
  }
  if (a.type === "nat") {
    if (outer !== "ct") {
      throw new VerifyError(
        "OFPBAC_BAD_SET_ARGUMENT",
        `Cannot have NAT action outside of "ct" action`,
      );
    }
    return;
  }
  if (!outer) return;
  const unsupported = () =>
    new VerifyError(
      "OFPBAC_BAD_ARGUMENT",
      `${ofpactName(outer)} action doesn't support nested action ${ofpactName(a.type)}`,
    );
  if (outer === "ct") {
    if (!f) throw unsupported();
    if (!requiresCt(f.name)) {
      throw new VerifyError(
        "OFPBAC_BAD_ARGUMENT",
        `${ofpactName(outer)} action doesn't support nested modification of ${f.name}`,
      );
    }
  }
  if (a.type === "meter") throw unsupported();
}

/**
 * Checks `actions` against upstream's rules. `allowed` are the instructions that may appear;
 * `version` only chooses error codes (and whether meter is an action).
 */
export function verifyActions(
  actions: readonly Ofpact[],
  version: number,
  allowed: ReadonlySet<InstructionType>,
  outer: Outer,
): void {
  let inst: InstructionType = "meter";
  for (let i = 0; i < actions.length; i++) {
    const a = actions[i]!;
    if (a.type === "conjunction") {
      for (const b of actions) {
        if (b.type !== "conjunction" && b.type !== "note") {
          throw new VerifyError(
            "NXBAC_BAD_CONJUNCTION",
            `"conjunction" actions may be used along with "note" but not any other kind of ` +
              `action (such as the "${ofpactName(b.type)}" action used here)`,
          );
        }
      }
      return;
    }
    verifyNested(a, outer);
    const next = instructionOf(a, version);
    const nextRank = INSTRUCTION_ORDER.indexOf(next);
    const rank = INSTRUCTION_ORDER.indexOf(inst);
    if (i > 0 && (inst === "apply_actions" ? nextRank < rank : nextRank <= rank)) {
      if (next === inst) {
        throw new VerifyError(
          "OFPBAC_UNSUPPORTED_ORDER",
          `duplicate ${inst} instruction not allowed, for OpenFlow 1.1+ compatibility`,
        );
      }
      throw new VerifyError(
        "OFPBAC_UNSUPPORTED_ORDER",
        `invalid instruction ordering: ${next} must appear before ${inst}, for OpenFlow 1.1+ ` +
          `compatibility`,
      );
    }
    if (!allowed.has(next)) {
      if (next === "meter" && version >= OFP15) {
        throw new VerifyError("OFPBAC_BAD_TYPE", `${next} action not allowed here`);
      }
      throw new VerifyError("OFPBIC_UNSUP_INST", `${next} instruction not allowed here`);
    }
    inst = next;
  }
}

export const ALL_INSTRUCTIONS: ReadonlySet<InstructionType> = new Set(INSTRUCTION_ORDER);
export const ACTIONS_ONLY: ReadonlySet<InstructionType> = new Set(["apply_actions", "meter"]);
export const APPLY_ONLY: ReadonlySet<InstructionType> = new Set(["apply_actions"]);
