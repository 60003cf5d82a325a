// Actions as text, exactly as upstream's ofpacts_format prints them in `actions=` of dump-flows
// lines and ofp-print: each action's own format, comma-separated, or "drop" for none.

import type { PortMap } from "../port_text.ts";
import type { TableMap } from "../table_names.ts";
import type { FormatContext } from "./kind.ts";
import { kindOf } from "./registry.ts";
import type { Ofpact } from "./types.ts";

export interface ActionFormatOptions {
  portMap?: PortMap;
  tableMap?: TableMap;
}

/** upstream's ofpacts_format. */
export function formatActions(
  ofpacts: readonly Ofpact[],
  options: ActionFormatOptions = {},
): string {
  const fc: FormatContext = {
    portMap: options.portMap,
    tableMap: options.tableMap,
    formatList: (actions) => formatWith(actions, fc),
  };
  return formatWith(ofpacts, fc);
}

function formatWith(ofpacts: readonly Ofpact[], fc: FormatContext): string {
  if (!ofpacts.length) return "drop";
  return ofpacts.map((a) => kindOf(a).format(a, fc)).join(",");
}
