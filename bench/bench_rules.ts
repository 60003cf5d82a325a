// The OpenFlow rules bench/switch.sh (--rules N) and bench/upcall_bench.ts add: N-1 rules at
// priority 100 that the benches' traffic (10.x addresses) never matches, above the bridge's own
// NORMAL flow, so each switch's lookup has a full table to get through. One rule per line, for
// `ovs-ofctl add-flows`.

/** The rules to add so that the bridge holds `total` OpenFlow rules with its NORMAL flow. */
export function benchRules(total: number): string {
  const lines: string[] = [];
  for (let i = 1; i < total; i++) {
    lines.push(`priority=100,ip,nw_src=192.168.${i >> 8}.${i & 0xff},actions=drop`);
  }
  return lines.join("\n") + "\n";
}

/** How many rules the run wants: OVS_BENCH_RULES, default 1 (the NORMAL flow alone). */
export function benchRuleCount(): number {
  return Number(Deno.env.get("OVS_BENCH_RULES") ?? "1");
}
