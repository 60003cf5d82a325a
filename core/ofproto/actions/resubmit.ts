// The resubmit action, all four forms: `resubmit:PORT` and `resubmit([PORT],[TABLE][,ct])`, as
// NXAST_RESUBMIT, NXAST_RESUBMIT_TABLE and NXAST_RESUBMIT_TABLE_CT (the last looks up with the
// connection tracking original-direction tuple).
//
// Promises: upstream's text, bytes and checks; an action read as NXAST_RESUBMIT is written back
// as NXAST_RESUBMIT, anything else (including text) as NXAST_RESUBMIT_TABLE.

import { OfpError, ParseError } from "../errors.ts";
import { isCtValid, matchView } from "./check_util.ts";
import { formatPort, OFPP_IN_PORT, parsePort } from "../port_text.ts";
import { formatTable, tableFromString } from "../table_names.ts";
import type { ActionKind, Family, Parser } from "./kind.ts";
import { finishRaw, nx, putRaw, type RawDef, startRaw } from "./raw.ts";

/** C's strsep on "," over the whole argument: the pieces, with undefined once exhausted. */
function strsep(arg: string): (index: number) => string | undefined {
  const parts = arg.split(",");
  return (i) => parts[i];
}

const parseResubmit: Parser = (arg, ps) => {
  const piece = strsep(arg);
  let inPort = OFPP_IN_PORT;
  const inPortText = piece(0);
  if (inPortText) {
    const port = parsePort(inPortText, ps.portMap);
    if (port === undefined) throw new ParseError(`${inPortText}: resubmit to unknown port`);
    inPort = port;
  }
  let tableId = 255;
  const tableText = piece(1);
  if (tableText) {
    const table = tableFromString(tableText, ps.tableMap);
    if (table === undefined) throw new ParseError(`${tableText}: resubmit to unknown table`);
    tableId = table;
  }
  let withCtOrig = false;
  const ctText = piece(2);
  if (ctText) {
    if (ctText !== "ct") throw new ParseError(`${ctText}: unknown parameter`);
    withCtOrig = true;
  }
  if (inPort === OFPP_IN_PORT && tableId === 255) {
    throw new ParseError(`at least one "in_port" or "table" must be specified on resubmit`);
  }
  return { type: "resubmit", inPort, tableId, withCtOrig, raw: undefined };
};

const resubmit: ActionKind<"resubmit"> = {
  name: "resubmit",
  format(a, fc) {
    if (a.inPort !== OFPP_IN_PORT && a.tableId === 255) {
      return `resubmit:${formatPort(a.inPort, fc.portMap)}`;
    }
    let s = "resubmit(";
    if (a.inPort !== OFPP_IN_PORT) s += formatPort(a.inPort, fc.portMap);
    s += ",";
    if (a.tableId !== 255) s += formatTable(a.tableId, fc.tableMap);
    if (a.withCtOrig) s += ",ct";
    return s + ")";
  },
  encode(a, version, w) {
    if (a.tableId === 0xff && a.raw === "resubmit") {
      putRaw(w, version, "NXAST_RAW_RESUBMIT", a.inPort);
    } else {
      const id = a.withCtOrig ? "NXAST_RAW_RESUBMIT_TABLE_CT" : "NXAST_RAW_RESUBMIT_TABLE";
      const start = startRaw(w, version, id);
      w.u16(a.inPort).u8(a.tableId);
      finishRaw(w, start, 16);
    }
  },
  check(a, cc) {
    if (a.withCtOrig && !isCtValid(matchView(cc))) {
      throw new OfpError("OFPBAC_MATCH_INCONSISTENT");
    }
  },
};

function decodeTable(bytes: Uint8Array, withCtOrig: boolean) {
  if (bytes[13] || bytes[14] || bytes[15]) throw new OfpError("OFPBAC_BAD_ARGUMENT");
  return {
    type: "resubmit" as const,
    inPort: (bytes[10]! << 8) | bytes[11]!,
    tableId: bytes[12]!,
    withCtOrig,
    raw: withCtOrig ? "resubmit_table_ct" as const : "resubmit_table" as const,
  };
}

const raws: RawDef[] = [
  {
    id: "NXAST_RAW_RESUBMIT",
    spots: [nx(1, 6, 1)],
    body: { kind: "int", bytes: 2 },
    decode: ({ arg }) => ({
      type: "resubmit",
      inPort: arg,
      tableId: 0xff,
      withCtOrig: false,
      raw: "resubmit",
    }),
  },
  {
    id: "NXAST_RAW_RESUBMIT_TABLE",
    spots: [nx(1, 6, 14)],
    body: { kind: "struct", size: 16, variable: false },
    decode: ({ bytes }) => decodeTable(bytes, false),
  },
  {
    id: "NXAST_RAW_RESUBMIT_TABLE_CT",
    spots: [nx(1, 6, 44)],
    body: { kind: "struct", size: 16, variable: false },
    decode: ({ bytes }) => decodeTable(bytes, true),
  },
];

export const resubmitFamily: Family = {
  kinds: { resubmit },
  keywords: { resubmit: parseResubmit },
  raws,
};
