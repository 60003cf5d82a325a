// What the switch says about itself over OpenFlow, as upstream's ofproto does: the description
// strings (OFPST_DESC), the features reply's fields (capabilities, the action bitmap), and each
// flow table's features (query_tables: name, limits, the fields it can match, mask and write,
// the instructions and actions it supports, its next tables). Pure functions of the Ofproto.

import { FIELDS } from "./fields.ts";
import type { SwitchDesc, SwitchFeatures } from "./msg/switch.ts";
import {
  OFPUTIL_C_ARP_MATCH_IP,
  OFPUTIL_C_BUNDLES,
  OFPUTIL_C_FLOW_STATS,
  OFPUTIL_C_GROUP_STATS,
  OFPUTIL_C_PORT_STATS,
  OFPUTIL_C_QUEUE_STATS,
  OFPUTIL_C_TABLE_STATS,
} from "./msg/switch.ts";
import { emptyTableFeatures, type TableFeatures } from "./msg/table.ts";
import type { Ofproto } from "./ofproto.ts";
import { OVS_VERSION } from "../net/version.ts";
import { TBL_INTERNAL } from "./xlate/view.ts";

/** The number of OVS instruction types (meter, apply, clear, write, write-metadata, goto). */
const N_INSTRUCTIONS = 6;
const GOTO_TABLE_BIT = 5;
/** Every ofpact type this switch implements, as one bitmap (upstream: all of N_OFPACTS). */
const ALL_OFPACTS = (1n << 64n) - 1n;

function fieldBitmap(test: (f: (typeof FIELDS)[number]) => boolean): bigint {
  let bm = 0n;
  for (const f of FIELDS) if ((f.nxm || f.oxm) && test(f)) bm |= 1n << BigInt(f.id);
  return bm;
}

const MATCHABLE = fieldBitmap(() => true);
const MASKABLE = fieldBitmap((f) => f.maskable);
const WRITABLE = fieldBitmap((f) => f.writable);

/** The visible tables: all but ofproto's internal one. */
export function visibleTables(ofproto: Ofproto): number {
  return ofproto.nTables - 1;
}

export function switchDesc(dpDesc = "None"): SwitchDesc {
  return {
    manufacturer: "Nicira, Inc.",
    hardware: "Open vSwitch",
    software: OVS_VERSION,
    serialNum: "None",
    dpDesc,
  };
}

export function switchFeatures(ofproto: Ofproto): SwitchFeatures {
  return {
    datapathId: ofproto.datapathId,
    nBuffers: 0,
    nTables: visibleTables(ofproto),
    auxiliaryId: 0,
    capabilities: OFPUTIL_C_FLOW_STATS | OFPUTIL_C_TABLE_STATS | OFPUTIL_C_PORT_STATS |
      OFPUTIL_C_QUEUE_STATS | OFPUTIL_C_GROUP_STATS | OFPUTIL_C_BUNDLES |
      OFPUTIL_C_ARP_MATCH_IP,
    ofpacts: ALL_OFPACTS,
  };
}

/** One table's features (upstream's query_tables, with ofproto-dpif's additions). */
export function tableFeatures(ofproto: Ofproto, tableId: number): TableFeatures {
  const f = emptyTableFeatures(tableId);
  const table = ofproto.tables.tables[tableId]!;
  f.name = table.name;
  f.metadataMatch = 0xffffffffffffffffn;
  f.metadataWrite = 0xffffffffffffffffn;
  f.missConfig = table.miss;
  f.maxEntries = Math.min(1000000, table.maxFlows);
  f.anyProperties = true;
  let next = 0n;
  for (let j = tableId + 1; j < ofproto.nTables; j++) {
    if (j !== TBL_INTERNAL) next |= 1n << BigInt(j);
  }
  let instructions = (1 << N_INSTRUCTIONS) - 1;
  if (next === 0n) instructions &= ~(1 << GOTO_TABLE_BIT);
  const actions = { ofpacts: ALL_OFPACTS, setFields: WRITABLE };
  f.nonmiss = { next, instructions, write: actions, apply: { ...actions } };
  f.miss = { next, instructions, write: { ...actions }, apply: { ...actions } };
  f.match = MATCHABLE;
  f.mask = MASKABLE;
  f.wildcard = MATCHABLE;
  return f;
}
