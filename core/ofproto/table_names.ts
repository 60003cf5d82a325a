// OpenFlow table numbers and names in text (upstream's ofputil_table_from_string and
// ofputil_format_table): 0 through 255, or a name from the switch's table map (ovs-ofctl
// --names). Parsing logs what upstream's ofp_table module logs for a negative or too-large number
// and returns undefined for any table it cannot read; the callers word the error.

import { vlogModule } from "../net/vlog.ts";
import { jsonUnquote, quoteName } from "./port_text.ts";
import { strToUint } from "./text_scan.ts";

const log = vlogModule("ofp_table");

/** Table names (ovs-ofctl --names): number <-> name. */
export interface TableMap {
  nameOf(table: number): string | undefined;
  numberOf(name: string): number | undefined;
}

/** ofputil_table_from_string: 0..255, or a name from `tableMap`. */
export function tableFromString(s: string, tableMap?: TableMap): number | undefined {
  if (s.startsWith("-")) {
    log.warn(`Negative value ${s} is not a valid table number.`);
    return undefined;
  }
  const n = strToUint(s, 10);
  if (n !== undefined) {
    if (n > 255) {
      log.warn(`table ${n} is outside the supported range 0 through 255`);
      return undefined;
    }
    return n;
  }
  if (!tableMap) return undefined;
  let name: string | undefined = s;
  if (s.startsWith('"')) {
    name = s.length > 1 && s.endsWith('"') ? jsonUnquote(s.slice(1, -1)) : undefined;
  }
  if (name === undefined) return undefined;
  const number = tableMap.numberOf(name);
  return number === undefined || number === 255 ? undefined : number;
}

/** ofputil_format_table: the table's name from `tableMap` (quoted as needed), else its number. */
export function formatTable(table: number, tableMap?: TableMap): string {
  const name = tableMap?.nameOf(table);
  return name !== undefined ? quoteName(name) : String(table);
}
