// Sets of action kinds as OpenFlow advertises them (upstream's ofpact bitmaps): the OFPACT_*
// kinds in upstream's order (a bitmap's bit n is kind n), their names, and the per-version map
// between a kind and the OFPAT_* bit a features reply or table features message uses. Used by
// the features reply of OpenFlow 1.0 and by table features. Pure data.

/** OFPACT_* kinds in upstream's enum order, with the name each prints as. */
export const OFPACT_KINDS: readonly (readonly [string, string])[] = [
  ["OUTPUT", "output"],
  ["GROUP", "group"],
  ["CONTROLLER", "controller"],
  ["ENQUEUE", "enqueue"],
  ["OUTPUT_REG", "output_reg"],
  ["BUNDLE", "bundle"],
  ["SET_FIELD", "set_field"],
  ["SET_VLAN_VID", "set_vlan_vid"],
  ["SET_VLAN_PCP", "set_vlan_pcp"],
  ["STRIP_VLAN", "strip_vlan"],
  ["PUSH_VLAN", "push_vlan"],
  ["SET_ETH_SRC", "mod_dl_src"],
  ["SET_ETH_DST", "mod_dl_dst"],
  ["SET_IPV4_SRC", "mod_nw_src"],
  ["SET_IPV4_DST", "mod_nw_dst"],
  ["SET_IP_DSCP", "mod_nw_tos"],
  ["SET_IP_ECN", "mod_nw_ecn"],
  ["SET_IP_TTL", "mod_nw_ttl"],
  ["SET_L4_SRC_PORT", "mod_tp_src"],
  ["SET_L4_DST_PORT", "mod_tp_dst"],
  ["REG_MOVE", "move"],
  ["STACK_PUSH", "push"],
  ["STACK_POP", "pop"],
  ["DEC_TTL", "dec_ttl"],
  ["SET_MPLS_LABEL", "set_mpls_label"],
  ["SET_MPLS_TC", "set_mpls_tc"],
  ["SET_MPLS_TTL", "set_mpls_ttl"],
  ["DEC_MPLS_TTL", "dec_mpls_ttl"],
  ["PUSH_MPLS", "push_mpls"],
  ["POP_MPLS", "pop_mpls"],
  ["DEC_NSH_TTL", "dec_nsh_ttl"],
  ["DELETE_FIELD", "delete_field"],
  ["ENCAP", "encap"],
  ["DECAP", "decap"],
  ["SET_TUNNEL", "set_tunnel"],
  ["SET_QUEUE", "set_queue"],
  ["POP_QUEUE", "pop_queue"],
  ["FIN_TIMEOUT", "fin_timeout"],
  ["RESUBMIT", "resubmit"],
  ["LEARN", "learn"],
  ["CONJUNCTION", "conjunction"],
  ["MULTIPATH", "multipath"],
  ["NOTE", "note"],
  ["EXIT", "exit"],
  ["SAMPLE", "sample"],
  ["UNROLL_XLATE", "unroll_xlate"],
  ["CT", "ct"],
  ["CT_CLEAR", "ct_clear"],
  ["NAT", "nat"],
  ["OUTPUT_TRUNC", "output_trunc"],
  ["CLONE", "clone"],
  ["CHECK_PKT_LARGER", "check_pkt_larger"],
  ["DEBUG_RECIRC", "debug_recirc"],
  ["DEBUG_SLOW", "debug_slow"],
  ["METER", "meter"],
  ["CLEAR_ACTIONS", "clear_actions"],
  ["WRITE_ACTIONS", "write_actions"],
  ["WRITE_METADATA", "write_metadata"],
  ["GOTO_TABLE", "goto_table"],
];

const INDEX = new Map(OFPACT_KINDS.map(([k], i) => [k, i]));

/** The bit of OFPACT kind `kind` ("OUTPUT") in an ofpact bitmap. */
export function ofpactBit(kind: string): bigint {
  const i = INDEX.get(kind);
  if (i === undefined) throw new TypeError(`unknown action kind ${kind}`);
  return 1n << BigInt(i);
}

const OF10_MAP: readonly (readonly [string, number])[] = [
  ["OUTPUT", 0],
  ["SET_VLAN_VID", 1],
  ["SET_VLAN_PCP", 2],
  ["STRIP_VLAN", 3],
  ["SET_ETH_SRC", 4],
  ["SET_ETH_DST", 5],
  ["SET_IPV4_SRC", 6],
  ["SET_IPV4_DST", 7],
  ["SET_IP_DSCP", 8],
  ["SET_L4_SRC_PORT", 9],
  ["SET_L4_DST_PORT", 10],
  ["ENQUEUE", 11],
];

const OF11_MAP: readonly (readonly [string, number])[] = [
  ["OUTPUT", 0],
  ["SET_VLAN_VID", 1],
  ["SET_VLAN_PCP", 2],
  ["SET_ETH_SRC", 3],
  ["SET_ETH_DST", 4],
  ["SET_IPV4_SRC", 5],
  ["SET_IPV4_DST", 6],
  ["SET_IP_DSCP", 7],
  ["SET_IP_ECN", 8],
  ["SET_L4_SRC_PORT", 9],
  ["SET_L4_DST_PORT", 10],
  ["SET_MPLS_LABEL", 13],
  ["SET_MPLS_TC", 14],
  ["SET_MPLS_TTL", 15],
  ["DEC_MPLS_TTL", 16],
  ["PUSH_VLAN", 17],
  ["STRIP_VLAN", 18],
  ["PUSH_MPLS", 19],
  ["POP_MPLS", 20],
  ["SET_QUEUE", 21],
  ["GROUP", 22],
  ["SET_IP_TTL", 23],
  ["DEC_TTL", 24],
];

const OF12_MAP: readonly (readonly [string, number])[] = [
  ["OUTPUT", 0],
  ["SET_MPLS_TTL", 15],
  ["DEC_MPLS_TTL", 16],
  ["PUSH_VLAN", 17],
  ["STRIP_VLAN", 18],
  ["PUSH_MPLS", 19],
  ["POP_MPLS", 20],
  ["SET_QUEUE", 21],
  ["GROUP", 22],
  ["SET_IP_TTL", 23],
  ["DEC_TTL", 24],
  ["SET_FIELD", 25],
];

function mapFor(version: number): readonly (readonly [string, number])[] {
  return version === 1 ? OF10_MAP : version === 2 ? OF11_MAP : OF12_MAP;
}

/** An ofpact bitmap → the OFPAT_* bitmap of `version`. */
export function ofpactBitmapToOpenflow(bitmap: bigint, version: number): number {
  let out = 0;
  for (const [kind, bit] of mapFor(version)) if (bitmap & ofpactBit(kind)) out |= 1 << bit;
  return out >>> 0;
}

/** An OFPAT_* bitmap of `version` → an ofpact bitmap. */
export function ofpactBitmapFromOpenflow(bitmap: number, version: number): bigint {
  let out = 0n;
  for (const [kind, bit] of mapFor(version)) if (bitmap & (1 << bit)) out |= ofpactBit(kind);
  return out;
}

/** Names of the kinds in `bitmap`, space-separated, or "<none>" (ofpact_bitmap_format). */
export function formatOfpactBitmap(bitmap: bigint): string {
  if (!bitmap) return "<none>";
  const names: string[] = [];
  for (let i = 0; i < 64; i++) {
    if (bitmap & (1n << BigInt(i))) names.push(OFPACT_KINDS[i]?.[1] ?? "<unknown>");
  }
  return names.join(" ");
}
