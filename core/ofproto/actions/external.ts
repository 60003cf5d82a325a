// The seam between the actions code and the shared OpenFlow text and header modules: port
// numbers and names (port_text.ts), subfield references (subfield.ts), NXM/OXM headers and
// entries (nxm_header.ts), and table numbers and names (kept here: no shared module has them).
// Every action family imports these from here and from nowhere else.
//
// Promises: parsing throws ParseError with upstream's text, decoding throws OfpError; formats are
// upstream's (ofputil_format_port, ofputil_format_table, mf_format_subfield).

import { type Field } from "../fields.ts";
import {
  codeFor,
  lookupHeader,
  nxmHeader32 as sharedNxmHeader32,
  pullEntry as sharedPullEntry,
  pullFieldHeader as sharedPullFieldHeader,
  putEntry as sharedPutEntry,
  putFieldHeader as sharedPutFieldHeader,
} from "../nxm_header.ts";
import { jsonUnquote, parsePort, quoteName } from "../port_text.ts";
import { fieldByOwnName, parseFieldName } from "../subfield.ts";
import type { WireReader, WireWriter } from "../wire.ts";
import { strToUint } from "./text.ts";

export {
  formatPort,
  OFPP_ALL,
  OFPP_ANY,
  OFPP_CONTROLLER,
  OFPP_FLOOD,
  OFPP_IN_PORT,
  OFPP_LOCAL,
  OFPP_MAX,
  OFPP_NONE,
  OFPP_NORMAL,
  OFPP_TABLE,
  OFPP_UNSET,
  portFromOfp11,
  PortMap,
  portToOfp11,
} from "../port_text.ts";
export { formatSubfield, parseSubfield, parseSubfieldPrefix } from "../subfield.ts";
export type { Subfield } from "../subfield.ts";

import type { PortMap } from "../port_text.ts";

/** upstream's ofputil_port_from_string (undefined when `s` names no port). */
export function portFromString(s: string, portMap?: PortMap): number | undefined {
  return parsePort(s, portMap);
}

/** Table names (ovs-ofctl --names): number <-> name. */
export interface TableMap {
  nameOf(table: number): string | undefined;
  numberOf(name: string): number | undefined;
}

/** upstream's ofputil_table_from_string: 0..255, or a name from `tableMap`. */
export function tableFromString(s: string, tableMap?: TableMap): number | undefined {
  if (s.startsWith("-")) return undefined;
  const n = strToUint(s, 10);
  if (n !== undefined) return n > 255 ? undefined : n;
  if (!tableMap) return undefined;
  let name: string | undefined = s;
  if (s.startsWith('"')) {
    name = s.length > 1 && s.endsWith('"') ? jsonUnquote(s.slice(1, -1)) : undefined;
  }
  if (name === undefined) return undefined;
  const number = tableMap.numberOf(name);
  return number === undefined || number === 255 ? undefined : number;
}

/** upstream's ofputil_format_table. */
export function formatTable(table: number, tableMap?: TableMap): string {
  const name = tableMap?.nameOf(table);
  return name !== undefined ? quoteName(name) : String(table);
}

/** upstream's mf_from_name: a field by its own name or extra name, as set_field takes it. */
export function fieldFromName(name: string): Field | undefined {
  return fieldByOwnName(name);
}

/** upstream's mf_parse_field: a whole field by NXM/OXM name or own name. */
export function parseField(s: string): Field {
  return parseFieldName(s);
}

/**
 * The 32-bit NXM/OXM header of `f` preferring NXM (upstream's mf_nxm_header), or 0 when it has
 * none or only an experimenter one.
 */
export function nxmHeader32(f: Field): number {
  return sharedNxmHeader32(f);
}

/** upstream's mf_from_nxm_header for a 32-bit header: the field, or undefined. */
export function fieldFromHeader32(header: number): Field | undefined {
  const h = header >>> 0;
  const found = lookupHeader({
    oxmClass: h >>> 16,
    field: (h >>> 9) & 0x7f,
    hasMask: (h & 0x100) !== 0,
    length: h & 0xff,
    experimenter: 0,
  });
  return found.code?.field;
}

/**
 * upstream's nx_put_header / nx_put_mff_header: the header of `f` for `version` (0 = NXM). A
 * field with no header at all gets upstream's all-zero header (which reads back as a malformed
 * NXM_OF_IN_PORT), so that such actions fail where upstream's fail.
 */
export function putFieldHeader(w: WireWriter, f: Field, version: number, masked = false): void {
  if (!codeFor(f, version)) {
    w.u32(0);
    return;
  }
  sharedPutFieldHeader(w, f, version, masked);
}

/** upstream's nx_put_entry: header, value and (when given and not all ones) mask. */
export function putEntry(
  w: WireWriter,
  f: Field,
  version: number,
  value: Uint8Array,
  mask?: Uint8Array,
): void {
  if (!codeFor(f, version)) {
    // Upstream writes class 0, field 0 with the value's length (see putFieldHeader).
    const masked = mask !== undefined && !mask.every((b) => b === 0xff);
    w.u32((masked ? 0x100 : 0) | ((masked ? 2 : 1) * f.nBytes));
    w.bytes(value);
    if (masked) w.bytes(mask);
    return;
  }
  sharedPutEntry(w, f, version, value, mask);
}

/** upstream's nx_pull_header with no mask allowed, as reg_move, stack and friends read it. */
export function pullFieldHeader(r: WireReader): Field {
  return sharedPullFieldHeader(r).field;
}

/** upstream's nx_pull_header allowing a mask bit (learn2's result_dst). */
export function pullFieldHeaderMasked(r: WireReader): { field: Field; hasMask: boolean } {
  const p = sharedPullFieldHeader(r, true);
  return { field: p.field, hasMask: p.masked };
}

/**
 * upstream's nx_pull_entry as actions call it (is_action): header, value and, when
 * `allowMask`, an optional mask (all ones when absent).
 */
export function pullEntry(
  r: WireReader,
  allowMask: boolean,
): { field: Field; value: Uint8Array; mask: Uint8Array } {
  const e = sharedPullEntry(r, { isAction: true, allowMask });
  if (!e.field) throw new Error("unreachable: action entries always name a field");
  return { field: e.field, value: e.value, mask: e.mask };
}
