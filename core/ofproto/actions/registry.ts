// The table of every action kind: merges the families' kinds, keywords and raw wire actions, and
// registers the raw actions with raw.ts once. Everything that dispatches on an action's type
// (format, encode, check, names) looks it up here.
//
// Promises: every Ofpact type has exactly one kind (checked at start-up), every keyword one
// parser, every (vendor, type, version) one raw action.

import { bundleMultipathFamily } from "./bundle_multipath.ts";
import { cloneFamily } from "./clone.ts";
import { ctFamily } from "./ct.ts";
import { encapFamily } from "./encap.ts";
import { instructionsFamily } from "./instructions.ts";
import type { ActionKind, Family, KindTable, Parser } from "./kind.ts";
import { l2l4Family } from "./l2l4.ts";
import { learnFamily } from "./learn.ts";
import { metaFamily } from "./meta.ts";
import { mplsFamily } from "./mpls.ts";
import { outputFamily } from "./output.ts";
import { registerRaws } from "./raw.ts";
import { resubmitFamily } from "./resubmit.ts";
import { setFieldFamily } from "./set_field.ts";
import type { Ofpact, OfpactType } from "./types.ts";
import { vlanFamily } from "./vlan.ts";

const FAMILIES: readonly Family[] = [
  outputFamily,
  vlanFamily,
  l2l4Family,
  setFieldFamily,
  mplsFamily,
  metaFamily,
  resubmitFamily,
  learnFamily,
  bundleMultipathFamily,
  ctFamily,
  cloneFamily,
  encapFamily,
  instructionsFamily,
];

const kinds: Partial<Record<OfpactType, unknown>> = {};
const keywords = new Map<string, Parser>();
for (const family of FAMILIES) {
  for (const [type, kind] of Object.entries(family.kinds)) {
    if (type in kinds) throw new RangeError(`action kind ${type} defined twice`);
    kinds[type as OfpactType] = kind;
  }
  for (const [keyword, parser] of Object.entries(family.keywords)) {
    if (keywords.has(keyword)) throw new RangeError(`action keyword ${keyword} defined twice`);
    keywords.set(keyword, parser);
  }
  registerRaws(family.raws);
}

const ALL_TYPES: readonly OfpactType[] = [
  "output",
  "group",
  "controller",
  "enqueue",
  "output_reg",
  "bundle",
  "set_field",
  "set_vlan_vid",
  "set_vlan_pcp",
  "strip_vlan",
  "push_vlan",
  "set_eth_src",
  "set_eth_dst",
  "set_ipv4_src",
  "set_ipv4_dst",
  "set_ip_dscp",
  "set_ip_ecn",
  "set_ip_ttl",
  "set_l4_src_port",
  "set_l4_dst_port",
  "reg_move",
  "stack_push",
  "stack_pop",
  "dec_ttl",
  "set_mpls_label",
  "set_mpls_tc",
  "set_mpls_ttl",
  "dec_mpls_ttl",
  "push_mpls",
  "pop_mpls",
  "dec_nsh_ttl",
  "delete_field",
  "encap",
  "decap",
  "set_tunnel",
  "set_queue",
  "pop_queue",
  "fin_timeout",
  "resubmit",
  "learn",
  "conjunction",
  "multipath",
  "note",
  "exit",
  "sample",
  "unroll_xlate",
  "ct",
  "ct_clear",
  "nat",
  "output_trunc",
  "clone",
  "check_pkt_larger",
  "debug_recirc",
  "debug_slow",
  "meter",
  "clear_actions",
  "write_actions",
  "write_metadata",
  "goto_table",
];
for (const t of ALL_TYPES) if (!(t in kinds)) throw new RangeError(`action kind ${t} missing`);

/** Every kind, by type. */
export const KINDS = kinds as KindTable;

/** The kind of `a` (typed loosely: callers pass `a` back to it). */
export function kindOf(a: Ofpact): ActionKind<OfpactType> {
  return KINDS[a.type] as unknown as ActionKind<OfpactType>;
}

/** upstream's ofpact_name. */
export function ofpactName(type: OfpactType): string {
  return KINDS[type].name;
}

/** The parser for keyword `key` (matched without regard to case, as upstream does). */
export function parserFor(key: string): Parser | undefined {
  return keywords.get(key.toLowerCase());
}
