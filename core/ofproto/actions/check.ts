// Consistency of actions with the flow they belong to (upstream's ofpacts_check and
// ofpacts_check_consistency): output ports within the switch's range, table ids after the
// current table, fields' prerequisites met by the match (as changed by earlier actions such as
// push_mpls or set_field of vlan_tci), and the protocols that tolerate the rest — an action that
// does not fit the match (pop_mpls on a non-MPLS flow) is acceptable only in OpenFlow 1.0.
//
// Promises: never changes the caller's match; may annotate the actions (set_vlan_vid's and
// set_field's flowHasVlan, mod_tp_*'s flowIpProto) as upstream does, which the encoders then use.
// Throws OfpError with upstream's name.

import { OfpError } from "../errors.ts";
import type { Match } from "../match.ts";
import { P_ANY, type Protocols } from "../protocols.ts";
import type { CheckContext } from "./kind.ts";
import { kindOf } from "./registry.ts";
import type { Ofpact } from "./types.ts";

export interface ActionCheckOptions {
  /** Port numbers at or above this are invalid output ports (upstream's max_ports). */
  maxPorts: number;
  /** The table the actions' flow is in (255: none, as for packet-outs). */
  tableId: number;
  /** The number of tables (255: no limit). */
  nTables: number;
  /**
   * The protocols the actions must be expressible in (upstream's ofpacts_check_consistency):
   * when any of them cannot express the actions with this match, OFPBAC_MATCH_INCONSISTENT.
   */
  usable?: Protocols;
}

function checkList(ofpacts: Ofpact[], cc: CheckContext): void {
  // The checks change the flow as the actions would; later actions and the caller see it back
  // as it was.
  const saved = cc.flow.slice();
  const savedVlan2 = cc.vlan2;
  cc.usable = P_ANY;
  try {
    for (const a of ofpacts) kindOf(a).check(a, cc);
  } finally {
    cc.flow.set(saved);
    cc.vlan2 = savedVlan2;
  }
}

/**
 * upstream's ofpacts_check: throws OfpError when `ofpacts` are invalid with `match` on this
 * switch; returns the protocols that can express them with this match.
 */
export function checkActions(
  ofpacts: Ofpact[],
  match: Match,
  options: ActionCheckOptions,
): Protocols {
  const cc: CheckContext = {
    flow: match.flow.slice(),
    mask: match.mask,
    vlan2: 0,
    maxPorts: options.maxPorts,
    tableId: options.tableId,
    nTables: options.nTables,
    usable: P_ANY,
    checkNested(actions, foldUsable) {
      const outer = cc.usable;
      checkList(actions, cc);
      cc.usable = foldUsable ? outer & cc.usable : outer;
    },
  };
  checkList(ofpacts, cc);
  if (options.usable !== undefined && options.usable & ~cc.usable) {
    throw new OfpError("OFPBAC_MATCH_INCONSISTENT");
  }
  return cc.usable;
}
