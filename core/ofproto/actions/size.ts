// How many bytes upstream's in-memory form of an action takes (struct ofpact_* on a 64-bit
// build, padded to 8). Upstream limits a parsed action list, and some single actions, to 65535
// bytes of this form and reports "input too big" beyond; we count the same way so that the same
// inputs are refused. Nothing else depends on these numbers.

import type { Ofpact } from "./types.ts";

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

const FIXED: Partial<Record<Ofpact["type"], number>> = {
  output: 16,
  group: 8,
  enqueue: 16,
  output_reg: 24,
  output_trunc: 16,
  set_vlan_vid: 8,
  set_vlan_pcp: 8,
  strip_vlan: 8,
  push_vlan: 8,
  set_eth_src: 16,
  set_eth_dst: 16,
  set_ipv4_src: 8,
  set_ipv4_dst: 8,
  set_ip_dscp: 8,
  set_ip_ecn: 8,
  set_ip_ttl: 8,
  set_l4_src_port: 8,
  set_l4_dst_port: 8,
  reg_move: 40,
  stack_push: 24,
  stack_pop: 24,
  set_mpls_label: 8,
  set_mpls_tc: 8,
  set_mpls_ttl: 8,
  dec_mpls_ttl: 8,
  push_mpls: 8,
  pop_mpls: 8,
  dec_nsh_ttl: 8,
  delete_field: 16,
  decap: 8,
  set_tunnel: 16,
  set_queue: 8,
  pop_queue: 8,
  fin_timeout: 8,
  resubmit: 16,
  conjunction: 16,
  multipath: 40,
  exit: 8,
  sample: 32,
  unroll_xlate: 16,
  ct_clear: 8,
  nat: 48,
  check_pkt_larger: 32,
  debug_recirc: 8,
  debug_slow: 8,
  meter: 16,
  clear_actions: 8,
  write_metadata: 24,
  goto_table: 8,
};

/** upstream's OFPACT_ALIGN(ofpact->len) for `a`. */
export function ofpactSize(a: Ofpact): number {
  const fixed = FIXED[a.type];
  if (fixed !== undefined) return fixed;
  switch (a.type) {
    case "controller":
      return align8(24 + a.userdata.length);
    case "bundle":
      return align8(40 + 4 * a.members.length);
    case "set_field":
      return 16 + 2 * align8(a.field.nBytes);
    case "dec_ttl":
      return align8(8 + 2 * a.ids.length);
    case "encap":
      return 16 +
        a.props.reduce((n, p) => n + (p.kind === "nsh_md_type" ? 8 : 8 + align8(p.data.length)), 0);
    case "learn":
      return 48 + a.specs.reduce((n, s) => n + 40 + (s.imm ? align8(s.imm.length) : 0), 0);
    case "note":
      return align8(16 + a.data.length);
    case "ct":
      return 32 + listSize(a.actions);
    case "clone":
    case "write_actions":
      return 8 + listSize(a.actions);
    default:
      return 8;
  }
}

export function listSize(actions: readonly Ofpact[]): number {
  let n = 0;
  for (const a of actions) n += ofpactSize(a);
  return n;
}
