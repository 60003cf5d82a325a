// OpenFlow 1.1+ instructions as actions of the model, all four forms: meter (an instruction in
// 1.3 and 1.4, an action in 1.5+), clear_actions, write_actions(ACTIONS), write_metadata and
// goto_table; apply_actions is implicit (every other action). In OpenFlow 1.0 write_metadata
// and goto_table fall back to Nicira extensions (NXAST_WRITE_METADATA, NXAST_RESUBMIT_TABLE).
// The instruction list framing itself (ordering, apply_actions grouping) is in codec.ts.
//
// Promises: upstream's text, bytes and checks.

import { OfpError, ParseError } from "../errors.ts";
import { OFP10, OFP13, OFP14, OFP15 } from "../fields.ts";
import { P_NXM_OF11_UP, P_OF13_UP } from "../protocols.ts";
import { WireWriter } from "../wire.ts";
import { OFPP_IN_PORT } from "../port_text.ts";
import { formatTable, tableFromString } from "../table_names.ts";
import type { ActionKind, Family } from "./kind.ts";
import { finishRaw, isAllZeros, nx, of, putRaw, type RawDef, startRaw } from "./raw.ts";
import { hexAlt, strToU32, strToU64 } from "./text.ts";

/** OFPIT_* instruction type codes. */
export const OFPIT11_GOTO_TABLE = 1;
export const OFPIT11_WRITE_METADATA = 2;
export const OFPIT11_WRITE_ACTIONS = 3;
export const OFPIT11_APPLY_ACTIONS = 4;
export const OFPIT11_CLEAR_ACTIONS = 5;
export const OFPIT13_METER = 6;
export const OFPIT11_EXPERIMENTER = 0xffff;

const OFPM13_MAX = 0xffff0000;

/**
 * Writes an actions-carrying instruction around `body` (already encoded actions), or nothing
 * when there are none (upstream's ofpacts_update_instruction_actions deletes empty ones).
 */
export function putActionsInstruction(w: WireWriter, type: number, body: Uint8Array): void {
  if (!body.length) return;
  w.u16(type).u16(8 + body.length).zeros(4).bytes(body);
}

const meter: ActionKind<"meter"> = {
  name: "meter",
  format: (a) => `meter:${a.meterId}`,
  encode(a, version, w) {
    if (version === OFP13 || version === OFP14) {
      w.u16(OFPIT13_METER).u16(8).u32(a.meterId);
    } else if (version >= OFP15) {
      putRaw(w, version, "OFPAT_RAW15_METER", a.meterId);
    }
  },
  check(a) {
    if (a.meterId === 0 || a.meterId > OFPM13_MAX) {
      throw new OfpError("OFPMMFC_INVALID_METER");
    }
  },
};

const clearActions: ActionKind<"clear_actions"> = {
  name: "clear_actions",
  format: () => "clear_actions",
  encode(_a, version, w) {
    if (version > OFP10) w.u16(OFPIT11_CLEAR_ACTIONS).u16(8).zeros(4);
  },
  check() {},
};

const writeActions: ActionKind<"write_actions"> = {
  name: "write_actions",
  format: (a, fc) => `write_actions(${fc.formatList(a.actions)})`,
  encode(a, version, w, ec) {
    if (version > OFP10) {
      const body = new WireWriter();
      ec.encodeList(a.actions, version, body);
      putActionsInstruction(w, OFPIT11_WRITE_ACTIONS, body.finish());
    }
  },
  check(a, cc) {
    // An action set's consistency cannot be checked, so usable protocols are left alone.
    cc.checkNested(a.actions, false);
  },
};

const writeMetadata: ActionKind<"write_metadata"> = {
  name: "write_metadata",
  format(a) {
    let s = `write_metadata:${hexAlt(a.metadata)}`;
    if (a.mask !== 0xffffffffffffffffn) s += `/${hexAlt(a.mask)}`;
    return s;
  },
  encode(a, version, w) {
    if (version === OFP10) {
      const start = startRaw(w, version, "NXAST_RAW_WRITE_METADATA");
      w.zeros(6).u64(a.metadata).u64(a.mask);
      finishRaw(w, start, 32);
    } else {
      w.u16(OFPIT11_WRITE_METADATA).u16(24).zeros(4).u64(a.metadata).u64(a.mask);
    }
  },
  check() {},
};

const gotoTable: ActionKind<"goto_table"> = {
  name: "goto_table",
  format: (a, fc) => `goto_table:${formatTable(a.tableId, fc.tableMap)}`,
  encode(a, version, w) {
    if (version === OFP10) {
      const start = startRaw(w, version, "NXAST_RAW_RESUBMIT_TABLE");
      w.u16(OFPP_IN_PORT).u8(a.tableId);
      finishRaw(w, start, 16);
    } else {
      w.u16(OFPIT11_GOTO_TABLE).u16(8).u8(a.tableId).zeros(3);
    }
  },
  check(a, cc) {
    if (
      (cc.tableId !== 255 && a.tableId <= cc.tableId) ||
      (cc.nTables !== 255 && a.tableId >= cc.nTables)
    ) {
      throw new OfpError("OFPBIC_BAD_TABLE_ID");
    }
  },
};

const raws: RawDef[] = [
  {
    id: "OFPAT_RAW15_METER",
    spots: [of(6, 6, 29)],
    body: { kind: "int", bytes: 4 },
    decode: ({ arg }) => ({ type: "meter", meterId: arg, providerMeterId: 0xffffffff }),
  },
  {
    id: "NXAST_RAW_WRITE_METADATA",
    spots: [nx(1, 6, 22)],
    body: { kind: "struct", size: 32, variable: false },
    decode({ bytes, body }) {
      if (!isAllZeros(bytes, 10, 16)) throw new OfpError("NXBRC_MUST_BE_ZERO");
      body.skip(6);
      const metadata = body.u64();
      return { type: "write_metadata", metadata, mask: body.u64() };
    },
  },
];

export const instructionsFamily: Family = {
  kinds: {
    meter,
    clear_actions: clearActions,
    write_actions: writeActions,
    write_metadata: writeMetadata,
    goto_table: gotoTable,
  },
  keywords: {
    meter(arg, ps) {
      ps.usable &= P_OF13_UP;
      return { type: "meter", meterId: strToU32(arg), providerMeterId: 0 };
    },
    clear_actions: () => ({ type: "clear_actions" }),
    write_actions: (arg, ps) => ({
      type: "write_actions",
      actions: ps.parseNested(arg, "write_actions", false),
    }),
    write_metadata(arg, ps) {
      ps.usable &= P_NXM_OF11_UP;
      const slash = arg.indexOf("/");
      let mask = 0xffffffffffffffffn;
      let value = arg;
      if (slash >= 0) {
        mask = strToU64(arg.slice(slash + 1));
        value = arg.slice(0, slash);
      }
      return { type: "write_metadata", metadata: strToU64(value), mask };
    },
    goto_table(arg, ps) {
      const tableId = tableFromString(arg, ps.tableMap);
      if (tableId === undefined) throw new ParseError(`unknown table "${arg}"`);
      return { type: "goto_table", tableId };
    },
  },
  raws,
};
