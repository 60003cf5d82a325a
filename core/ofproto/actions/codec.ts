// Actions and instructions on the wire, for every OpenFlow version (upstream's
// ofpacts_put_openflow_actions / _instructions and ofpacts_pull_openflow_actions /
// _instructions): an action list is each action's encoding in turn; an OpenFlow 1.1+ instruction
// list groups consecutive plain actions into one Apply-Actions instruction and writes the others
// (meter, clear_actions, write_actions, write_metadata, goto_table) as themselves. Decoding
// identifies each action through raw.ts, lets its family decode it, and verifies the list.
//
// Promises: encodings are byte for byte upstream's; decoding throws OfpError with upstream's
// name for every malformed input it recognises, and never anything else.

import { OfpError } from "../errors.ts";
import { OFP10, OFP15 } from "../fields.ts";
import { WireReader, WireWriter } from "../wire.ts";
import type { EncodeContext, Outer } from "./kind.ts";
import {
  OFPIT11_APPLY_ACTIONS,
  OFPIT11_CLEAR_ACTIONS,
  OFPIT11_EXPERIMENTER,
  OFPIT11_GOTO_TABLE,
  OFPIT11_WRITE_ACTIONS,
  OFPIT11_WRITE_METADATA,
  OFPIT13_METER,
  putActionsInstruction,
} from "./instructions.ts";
import { bodyReader, type DecodeOptions, pullRaw } from "./raw.ts";
import { hexDump } from "../msg/hexdump.ts";
import { actionsWarn, actionsWarnAlways } from "./log.ts";
import { kindOf } from "./registry.ts";
import type { InstructionType, Ofpact } from "./types.ts";
import {
  ACTIONS_ONLY,
  ALL_INSTRUCTIONS,
  APPLY_ONLY,
  instructionOf,
  verifyActions,
  VerifyError,
} from "./verify.ts";

export type { DecodeOptions };

const encodeContext: EncodeContext = { encodeList: encodeInto };

function encodeInto(ofpacts: readonly Ofpact[], version: number, w: WireWriter): void {
  for (const a of ofpacts) kindOf(a).encode(a, version, w, encodeContext);
}

/**
 * upstream's ofpacts_put_openflow_actions: an action list for `version` (OpenFlow 1.0's, or the
 * contents of a 1.1+ Apply-Actions instruction or group bucket).
 */
export function encodeActions(ofpacts: readonly Ofpact[], version: number): Uint8Array {
  const w = new WireWriter();
  encodeInto(ofpacts, version, w);
  return w.finish();
}

/**
 * upstream's ofpacts_put_openflow_instructions: OpenFlow 1.1+ instructions (for 1.0, the action
 * list with write_metadata and goto_table as Nicira extensions).
 */
export function encodeInstructions(ofpacts: readonly Ofpact[], version: number): Uint8Array {
  if (version === OFP10) return encodeActions(ofpacts, version);
  const w = new WireWriter();
  for (let i = 0; i < ofpacts.length;) {
    const a = ofpacts[i]!;
    if (instructionOf(a, version) === "apply_actions") {
      const body = new WireWriter();
      while (i < ofpacts.length && instructionOf(ofpacts[i]!, version) === "apply_actions") {
        const b = ofpacts[i++]!;
        kindOf(b).encode(b, version, body, encodeContext);
      }
      putActionsInstruction(w, OFPIT11_APPLY_ACTIONS, body.finish());
    } else {
      kindOf(a).encode(a, version, w, encodeContext);
      i++;
    }
  }
  return w.finish();
}

// ---- decoding ----

/** upstream's ofpacts_decode: every action in `bytes`, unverified. */
function decodeList(bytes: Uint8Array, version: number, options: DecodeOptions): Ofpact[] {
  const out: Ofpact[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    try {
      const { inst, length, arg, arg64 } = pullRaw(bytes, offset, version);
      const action = bytes.subarray(offset, offset + length);
      out.push(inst.def.decode({
        bytes: action,
        body: bodyReader(action, inst),
        arg,
        arg64,
        version,
        options,
        decodeNested: (nested, outer) => pullActions(nested, version, APPLY_ONLY, outer, options),
      }));
      offset += length;
    } catch (e) {
      if (e instanceof OfpError) {
        actionsWarn(
          `bad action at offset ${offset} (${e.errorName}):\n` +
            hexDump(bytes, 0, false).replace(/\n$/, ""),
        );
      }
      throw e;
    }
  }
  return out;
}

/** upstream's ofpacts_pull_openflow_actions__. */
function pullActions(
  bytes: Uint8Array,
  version: number,
  allowed: ReadonlySet<InstructionType>,
  outer: Outer,
  options: DecodeOptions,
): Ofpact[] {
  if (bytes.length % 8) {
    actionsWarn(`OpenFlow message actions length ${bytes.length} is not a multiple of 8`);
    throw new OfpError("OFPBRC_BAD_LEN");
  }
  const ofpacts = decodeList(bytes, version, options);
  verified(ofpacts, version, allowed, outer);
  return ofpacts;
}

/** verifyActions, logging the failure as upstream does when it has nowhere to report it. */
function verified(
  ofpacts: Ofpact[],
  version: number,
  allowed: ReadonlySet<InstructionType>,
  outer: Outer,
): void {
  try {
    verifyActions(ofpacts, version, allowed, outer);
  } catch (e) {
    if (e instanceof VerifyError) actionsWarnAlways(e.text);
    throw e;
  }
}

/**
 * upstream's ofpacts_pull_openflow_actions: an action list (OpenFlow 1.0 actions, or the
 * contents of an Apply-Actions instruction or group bucket). Throws OfpError.
 */
export function decodeActions(
  bytes: Uint8Array,
  version: number,
  options: DecodeOptions = {},
): Ofpact[] {
  return pullActions(bytes, version, ACTIONS_ONLY, undefined, options);
}

/** Instruction layouts: type code, fixed size or minimum (extensible) size. */
const INSTRUCTIONS: ReadonlyMap<number, { type: InstructionType; size: number; ext: boolean }> =
  new Map([
    [OFPIT13_METER, { type: "meter", size: 8, ext: false }],
    [OFPIT11_APPLY_ACTIONS, { type: "apply_actions", size: 8, ext: true }],
    [OFPIT11_CLEAR_ACTIONS, { type: "clear_actions", size: 8, ext: false }],
    [OFPIT11_WRITE_ACTIONS, { type: "write_actions", size: 8, ext: true }],
    [OFPIT11_WRITE_METADATA, { type: "write_metadata", size: 24, ext: false }],
    [OFPIT11_GOTO_TABLE, { type: "goto_table", size: 8, ext: false }],
  ]);

/** upstream's action_set_classify != ACTION_SLOT_INVALID. */
const NOT_IN_ACTION_SET: ReadonlySet<Ofpact["type"]> = new Set([
  "bundle",
  "clear_actions",
  "clone",
  "nat",
  "controller",
  "enqueue",
  "exit",
  "unroll_xlate",
  "fin_timeout",
  "goto_table",
  "learn",
  "conjunction",
  "meter",
  "multipath",
  "note",
  "output_reg",
  "output_trunc",
  "pop_queue",
  "sample",
  "stack_pop",
  "stack_push",
  "write_actions",
  "write_metadata",
  "debug_recirc",
  "debug_slow",
  "check_pkt_larger",
  "delete_field",
]);

/** Whether `a` may be in an OpenFlow 1.1+ action set (write_actions). */
export function isAllowedInActionSet(a: Ofpact): boolean {
  return !NOT_IN_ACTION_SET.has(a.type);
}

/** upstream's decode_openflow11_instructions: each instruction's bytes, by type. */
function splitInstructions(
  bytes: Uint8Array,
  version: number,
): Map<InstructionType, Uint8Array> {
  const found = new Map<InstructionType, Uint8Array>();
  const r = new WireReader(bytes, 0, bytes.length, "OFPBIC_BAD_LEN");
  let left = bytes.length / 8;
  while (left > 0) {
    const type = r.peekU16();
    const len = r.peekU16(2);
    if (len % 8 || len < 8 || len / 8 > left) break;
    if (type === OFPIT11_EXPERIMENTER) throw new OfpError("OFPBIC_BAD_EXPERIMENTER");
    const info = INSTRUCTIONS.get(type);
    if (!info) throw new OfpError("OFPBIC_UNKNOWN_INST");
    if (info.ext ? len < info.size : len !== info.size) throw new OfpError("OFPBIC_BAD_LEN");
    // In OpenFlow 1.5 meter is an action, not an instruction.
    if (info.type === "meter" && version >= OFP15) throw new OfpError("OFPBIC_UNKNOWN_INST");
    if (found.has(info.type)) throw new OfpError("OFPBIC_DUP_INST");
    found.set(info.type, r.bytes(len));
    left -= len / 8;
  }
  if (left) {
    actionsWarn(`bad instruction format at offset ${bytes.length - left * 8}`);
    throw new OfpError("OFPBIC_BAD_LEN");
  }
  return found;
}

/**
 * upstream's ofpacts_pull_openflow_instructions: an instruction list (for OpenFlow 1.0, an action
 * list that may include write_metadata and goto_table's extensions). Throws OfpError.
 */
export function decodeInstructions(
  bytes: Uint8Array,
  version: number,
  options: DecodeOptions = {},
): Ofpact[] {
  {
    if (version === OFP10) {
      return pullActions(bytes, version, ALL_INSTRUCTIONS, undefined, options);
    }
    if (bytes.length % 8) {
      actionsWarn(`OpenFlow message instructions length ${bytes.length} is not a multiple of 8`);
      throw new OfpError("OFPBIC_BAD_LEN");
    }
    const insts = splitInstructions(bytes, version);
    const out: Ofpact[] = [];
    const meter = insts.get("meter");
    if (meter) {
      const v = new DataView(meter.buffer, meter.byteOffset, meter.length);
      out.push({ type: "meter", meterId: v.getUint32(4), providerMeterId: 0xffffffff });
    }
    const apply = insts.get("apply_actions");
    if (apply) out.push(...decodeList(apply.subarray(8), version, options));
    if (insts.get("clear_actions")) out.push({ type: "clear_actions" });
    const write = insts.get("write_actions");
    if (write) {
      const actions = decodeList(write.subarray(8), version, options);
      for (const a of actions) {
        if (!isAllowedInActionSet(a)) {
          actionsWarn("disallowed action in action set");
          throw new OfpError("OFPBAC_BAD_TYPE");
        }
      }
      out.push({ type: "write_actions", actions });
    }
    const metadata = insts.get("write_metadata");
    if (metadata) {
      const v = new DataView(metadata.buffer, metadata.byteOffset, metadata.length);
      out.push({ type: "write_metadata", metadata: v.getBigUint64(8), mask: v.getBigUint64(16) });
    }
    const gotoTable = insts.get("goto_table");
    if (gotoTable) out.push({ type: "goto_table", tableId: gotoTable[4]! });
    verified(out, version, ALL_INSTRUCTIONS, undefined);
    return out;
  }
}
