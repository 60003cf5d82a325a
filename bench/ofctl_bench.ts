// bench/ofctl: 100k flows (a realistic mix of L2, IPv4/IPv6, L4, register and ARP matches with
// output, rewrite, resubmit, goto_table, conntrack, load/move and controller actions) through
// `ovs-ofctl add-flows FILE` and then `ovs-ofctl dump-flows`, four ways in one run: the real
// ovs-ofctl against the real ovs-vswitchd, the real tool against ours, our tool against the real
// switch, and ours against ours. Each switch is started fresh, as tests/support/switch.ts starts
// them (dummy datapath, br0 with ports p1..p3). Prints seconds per step and the ratio to the real
// pair (lower is better), and checks that every pair dumps the same number of flows.
//
// Usage: deno run -A bench/ofctl_bench.ts [--flows N] [--only real-real,ours-ours,...]
//        [--protocol OpenFlow13]

import { addPorts, startSwitch, type Switch, type Which } from "../tests/support/switch.ts";

function option(name: string): string | undefined {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}

const N = Number(option("--flows") ?? 100_000);
const only = option("--only")?.split(",");
const protocol = option("--protocol");
const MAIN = new URL("../main.ts", import.meta.url).pathname;

const hex2 = (x: number) => (x & 0xff).toString(16).padStart(2, "0");
const mac = (i: number) => `02:00:${hex2(i >> 24)}:${hex2(i >> 16)}:${hex2(i >> 8)}:${hex2(i)}`;
const ip = (i: number) => `10.${(i >> 16) & 0xff}.${(i >> 8) & 0xff}.${i & 0xff}`;

/** Flow `i` of the mix: ten shapes in turn over four tables, distinct by address or port. */
export function benchFlow(i: number): string {
  const table = i % 4;
  const head = `table=${table},priority=${100 + (i % 900)},cookie=0x${(i + 1).toString(16)}`;
  switch (i % 10) {
    case 0:
      return `${head},in_port=${1 + (i % 3)},dl_src=${mac(i)},dl_dst=${mac(i + 7)},` +
        `actions=output:${1 + ((i + 1) % 3)}`;
    case 1:
      return `${head},ip,nw_src=${ip(i)},nw_dst=10.200.0.0/16,actions=mod_nw_tos:16,output:2`;
    case 2:
      return `${head},tcp,nw_dst=${ip(i)},tp_dst=${1 + (i % 65000)},` +
        `actions=set_field:${ip(i + 1)}->ip_dst,output:3`;
    case 3:
      return `${head},udp,in_port=2,nw_src=${ip(i)},tp_src=${i % 60000},` +
        `actions=mod_vlan_vid:${1 + (i % 4000)},output:1`;
    case 4:
      return `${head},dl_vlan=${1 + (i % 4000)},dl_dst=${mac(i)},` +
        `actions=strip_vlan,resubmit(,${(table + 1) % 4})`;
    case 5:
      return `${head},tcp6,ipv6_src=2001:db8::${(i & 0xffff).toString(16)}:${(i >> 16)},` +
        `tp_dst=80,actions=ct(commit,zone=5),output:1`;
    case 6:
      return `${head},reg0=0x${i.toString(16)},metadata=0x${(i * 3).toString(16)}/0xffff,` +
        `actions=load:0x${(i & 0xff).toString(16)}->NXM_NX_REG1[0..7],` +
        `move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[]` + (table < 3 ? `,goto_table:${table + 1}` : "");
    case 7:
      return `${head},arp,arp_tpa=${ip(i)},arp_op=1,actions=controller(max_len=128)`;
    case 8:
      return `${head},icmp,nw_src=${ip(i)},icmp_type=8,actions=dec_ttl,output:2`;
    default:
      return `${head},tcp,nw_src=${ip(i)},tcp_flags=+syn-ack,actions=drop`;
  }
}

interface Figures {
  add: number;
  dump: number;
  flows: number;
}

async function timed(
  sw: Switch,
  tool: Which,
  args: string[],
): Promise<{ seconds: number; stdout: string }> {
  const started = performance.now();
  const result = tool === "ours"
    ? await sw.tool("ovs-ofctl", args, { ours: true })
    : await sw.tool("ovs-ofctl", args);
  const seconds = (performance.now() - started) / 1000;
  if (result.code !== 0) throw new Error(`ovs-ofctl ${args[0]}: ${result.stderr}`);
  return { seconds, stdout: result.stdout };
}

async function measure(tool: Which, switchKind: Which, file: string): Promise<Figures> {
  const sw = await startSwitch(switchKind, addPorts("br0", 1, 2, 3));
  try {
    const options = protocol ? ["-O", protocol] : [];
    const add = await timed(sw, tool, [...options, "add-flows", "br0", file]);
    const dump = await timed(sw, tool, [...options, "dump-flows", "br0"]);
    const flows = dump.stdout.split("\n").filter((line) => line.includes("actions=")).length;
    return { add: add.seconds, dump: dump.seconds, flows };
  } finally {
    await sw.stop();
  }
}

const file = await Deno.makeTempFile({ prefix: "ofctl-bench-", suffix: ".flows" });
await Deno.writeTextFile(file, Array.from({ length: N }, (_, i) => benchFlow(i)).join("\n") + "\n");

const PAIRS: ReadonlyArray<readonly [Which, Which]> = [
  ["real", "real"],
  ["real", "ours"],
  ["ours", "real"],
  ["ours", "ours"],
];
const results: { label: string; figures: Figures }[] = [];
for (const [tool, switchKind] of PAIRS) {
  const label = `${tool}-${switchKind}`;
  if (only && !only.includes(label)) continue;
  const figures = await measure(tool, switchKind, file);
  results.push({ label, figures });
  console.error(`${label}: add ${figures.add.toFixed(2)} s, dump ${figures.dump.toFixed(2)} s`);
}
await Deno.remove(file);

const base = results.find((r) => r.label === "real-real")?.figures;
const ratio = (a: number, b: number | undefined) => (b ? `${(a / b).toFixed(2)}x` : "-");
console.log(
  `${N} flows${protocol ? ` (${protocol})` : ""}: ovs-ofctl add-flows FILE, then dump-flows` +
    ` (seconds; ratio to real tool + real switch, lower is better)`,
);
console.log(
  "tool -> switch".padEnd(18) + "add-flows".padStart(11) + "ratio".padStart(8) +
    "dump-flows".padStart(12) + "ratio".padStart(8) + "total".padStart(9) + "ratio".padStart(8) +
    "flows".padStart(9),
);
for (const { label, figures } of results) {
  const total = figures.add + figures.dump;
  console.log(
    label.replace("-", " -> ").padEnd(18) + figures.add.toFixed(2).padStart(11) +
      ratio(figures.add, base?.add).padStart(8) + figures.dump.toFixed(2).padStart(12) +
      ratio(figures.dump, base?.dump).padStart(8) + total.toFixed(2).padStart(9) +
      ratio(total, base ? base.add + base.dump : undefined).padStart(8) +
      String(figures.flows).padStart(9),
  );
}
const counts = new Set(results.map((r) => r.figures.flows));
if (counts.size > 1) console.log(`warning: the pairs dumped different numbers of flows`);
void MAIN;
