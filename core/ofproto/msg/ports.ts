// Port and table numbers as the message codecs and printers use them: the port helpers of
// ../port_text.ts (reserved names, the OpenFlow 1.1+ mapping, name maps) re-exported under one
// roof, plus table names, which port_text does not cover. No state.

export {
  formatPort,
  jsonQuote,
  nameNeedsQuotes,
  OFPP11_MAX,
  OFPP11_OFFSET,
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
  parsePort,
  portFromOfp11,
  PortMap,
  portToOfp11,
  quoteName,
  reservedPortName,
} from "../port_text.ts";
import { type PortMap, quoteName } from "../port_text.ts";

/** Port names for printing and parsing (ovs-ofctl's --names). */
export type PortNames = PortMap;

/** Table names for printing and parsing (ovs-ofctl's --names); a PortMap serves. */
export interface TableNames {
  nameOf(table: number): string | undefined;
  numberOf(name: string): number | undefined;
}

/** A table id as upstream prints it (ofputil_format_table). */
export function formatTable(table: number, names?: TableNames): string {
  const name = names?.nameOf(table);
  return name !== undefined ? quoteName(name) : String(table);
}
