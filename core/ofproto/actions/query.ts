// Questions asked of an action list as a whole: does it output to a port or a group (the
// out_port / out_group filters of flow deletes and stats), are two lists equal, which meter
// does it use, and what an OpenFlow 1.1+ action set executes as (upstream's
// ofpacts_execute_action_set). Nested lists (clone, ct, write_actions) are looked into as upstream
// flattens them. Also the OpenFlow action and instruction bitmaps of features replies. Pure.

import { OFP10, OFP11, OFP13, OFP14 } from "../fields.ts";
import { OFPP_CONTROLLER } from "../port_text.ts";
import type { InstructionType, Ofpact, OfpactType } from "./types.ts";
import { instructionOf } from "./verify.ts";

/** Every action, with nested ones right after their container (OFPACT_FOR_EACH_FLATTENED). */
export function* flattened(ofpacts: readonly Ofpact[]): Generator<Ofpact> {
  for (const a of ofpacts) {
    yield a;
    if (a.type === "clone" || a.type === "ct" || a.type === "write_actions") {
      yield* flattened(a.actions);
    }
  }
}

/** upstream's ofpacts_output_to_port. */
export function ofpactsOutputToPort(ofpacts: readonly Ofpact[], port: number): boolean {
  for (const a of flattened(ofpacts)) {
    if (a.type === "output" && a.port === port) return true;
    if (a.type === "enqueue" && a.port === port) return true;
    if (a.type === "controller" && port === OFPP_CONTROLLER) return true;
  }
  return false;
}

/** upstream's ofpacts_output_to_group. */
export function ofpactsOutputToGroup(ofpacts: readonly Ofpact[], groupId: number): boolean {
  for (const a of flattened(ofpacts)) {
    if (a.type === "group" && a.groupId === groupId) return true;
  }
  return false;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    return a.length === b.length && a.every((x, i) => x === b[i]);
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (
    typeof a === "object" && typeof b === "object" && a !== null && b !== null &&
    !Array.isArray(a) && !Array.isArray(b) && !(a instanceof Uint8Array) &&
    !(b instanceof Uint8Array)
  ) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.length !== kb.length) return false;
    const ra = a as Record<string, unknown>;
    const rb = b as Record<string, unknown>;
    return ka.every((k) => k in rb && deepEqual(ra[k], rb[k]));
  }
  return false;
}

/**
 * upstream's ofpacts_equal: the same actions with the same parameters, including how they came
 * in (NXAST_REG_LOAD vs Set-Field ...) and what checking noted about the match.
 */
export function ofpactsEqual(a: readonly Ofpact[], b: readonly Ofpact[]): boolean {
  return deepEqual(a, b);
}

/** upstream's ofpacts_get_meter: the meter of the meter instruction, or 0. */
export function ofpactsGetMeter(ofpacts: readonly Ofpact[]): number {
  for (const a of ofpacts) {
    if (a.type === "meter") return a.meterId;
    if (instructionOf(a, 0) !== "meter") break;
  }
  return 0;
}

const ACTION_SET_SLOTS: readonly OfpactType[] = [
  "strip_vlan",
  "pop_mpls",
  "decap",
  "encap",
  "push_mpls",
  "push_vlan",
  "dec_ttl",
  "dec_mpls_ttl",
  "dec_nsh_ttl",
];

const ACTION_SET_FINAL: readonly OfpactType[] = ["ct", "ct_clear", "resubmit", "output", "group"];

const ACTION_SET_SET_OR_MOVE: ReadonlySet<OfpactType> = new Set([
  "set_field",
  "reg_move",
  "set_eth_dst",
  "set_eth_src",
  "set_ip_dscp",
  "set_ip_ecn",
  "set_ip_ttl",
  "set_ipv4_dst",
  "set_ipv4_src",
  "set_l4_dst_port",
  "set_l4_src_port",
  "set_mpls_label",
  "set_mpls_tc",
  "set_mpls_ttl",
  "set_queue",
  "set_tunnel",
  "set_vlan_pcp",
  "set_vlan_vid",
]);

/**
 * upstream's ofpacts_execute_action_set: the action list an action set (accumulated by
 * write_actions) runs as: the last of each "slot" action in OpenFlow's order, every set/move in
 * order, then the highest-priority final action (group over output over resubmit over ct_clear
 * over ct). Nothing runs when there is no final action.
 */
export function executeActionSet(actionSet: readonly Ofpact[]): Ofpact[] {
  const slots = new Map<OfpactType, Ofpact>();
  const setOrMove: Ofpact[] = [];
  let final: Ofpact | undefined;
  let finalRank = -1;
  for (const a of actionSet) {
    if (ACTION_SET_SLOTS.includes(a.type)) {
      slots.set(a.type, a);
    } else if (ACTION_SET_FINAL.includes(a.type)) {
      const rank = ACTION_SET_FINAL.indexOf(a.type);
      if (rank >= finalRank) {
        final = a;
        finalRank = rank;
      }
    } else if (ACTION_SET_SET_OR_MOVE.has(a.type)) {
      setOrMove.push(a);
    }
  }
  if (!final) return [];
  const out: Ofpact[] = [];
  for (const t of ACTION_SET_SLOTS) {
    const a = slots.get(t);
    if (a) out.push(a);
  }
  return [...out, ...setOrMove, final];
}

const OF10_ACTIONS: readonly [OfpactType, number][] = [
  ["output", 0],
  ["set_vlan_vid", 1],
  ["set_vlan_pcp", 2],
  ["strip_vlan", 3],
  ["set_eth_src", 4],
  ["set_eth_dst", 5],
  ["set_ipv4_src", 6],
  ["set_ipv4_dst", 7],
  ["set_ip_dscp", 8],
  ["set_l4_src_port", 9],
  ["set_l4_dst_port", 10],
  ["enqueue", 11],
];

const OF11_ACTIONS: readonly [OfpactType, number][] = [
  ["output", 0],
  ["set_vlan_vid", 1],
  ["set_vlan_pcp", 2],
  ["set_eth_src", 3],
  ["set_eth_dst", 4],
  ["set_ipv4_src", 5],
  ["set_ipv4_dst", 6],
  ["set_ip_dscp", 7],
  ["set_ip_ecn", 8],
  ["set_l4_src_port", 9],
  ["set_l4_dst_port", 10],
  ["set_mpls_label", 13],
  ["set_mpls_tc", 14],
  ["set_mpls_ttl", 15],
  ["dec_mpls_ttl", 16],
  ["push_vlan", 17],
  ["strip_vlan", 18],
  ["push_mpls", 19],
  ["pop_mpls", 20],
  ["set_queue", 21],
  ["group", 22],
  ["set_ip_ttl", 23],
  ["dec_ttl", 24],
];

const OF12_ACTIONS: readonly [OfpactType, number][] = [
  ["output", 0],
  ["set_mpls_ttl", 15],
  ["dec_mpls_ttl", 16],
  ["push_vlan", 17],
  ["strip_vlan", 18],
  ["push_mpls", 19],
  ["pop_mpls", 20],
  ["set_queue", 21],
  ["group", 22],
  ["set_ip_ttl", 23],
  ["dec_ttl", 24],
  ["set_field", 25],
];

function actionMap(version: number): readonly [OfpactType, number][] {
  return version === OFP10 ? OF10_ACTIONS : version === OFP11 ? OF11_ACTIONS : OF12_ACTIONS;
}

/** upstream's ofpact_bitmap_to_openflow: the OFPAT_* bitmap for a set of action types. */
export function actionBitmapToOpenflow(types: ReadonlySet<OfpactType>, version: number): number {
  let bitmap = 0;
  for (const [t, bit] of actionMap(version)) if (types.has(t)) bitmap |= 1 << bit;
  return bitmap >>> 0;
}

/** upstream's ofpact_bitmap_from_openflow. */
export function actionBitmapFromOpenflow(bitmap: number, version: number): Set<OfpactType> {
  const out = new Set<OfpactType>();
  for (const [t, bit] of actionMap(version)) if (bitmap & (1 << bit)) out.add(t);
  return out;
}

const INSTRUCTION_CODES: readonly [InstructionType, number][] = [
  ["goto_table", 1],
  ["write_metadata", 2],
  ["write_actions", 3],
  ["apply_actions", 4],
  ["clear_actions", 5],
  ["meter", 6],
];

/** upstream's ovsinst_bitmap_to_openflow (meter exists only in OpenFlow 1.3 and 1.4). */
export function instructionBitmapToOpenflow(
  insts: ReadonlySet<InstructionType>,
  version: number,
): number {
  let bitmap = 0;
  for (const [t, bit] of INSTRUCTION_CODES) {
    if (t === "meter" && version !== OFP13 && version !== OFP14) continue;
    if (insts.has(t)) bitmap |= 1 << bit;
  }
  return bitmap >>> 0;
}

/** upstream's ovsinst_bitmap_from_openflow. */
export function instructionBitmapFromOpenflow(
  bitmap: number,
  version: number,
): Set<InstructionType> {
  const out = new Set<InstructionType>();
  for (const [t, bit] of INSTRUCTION_CODES) {
    if (t === "meter" && version !== OFP13 && version !== OFP14) continue;
    if (bitmap & (1 << bit)) out.add(t);
  }
  return out;
}
