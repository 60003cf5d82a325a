// bench/classifier: the OpenFlow classifier with 1k, 10k and 100k rules of a realistic mix of
// masks — exact TCP 5-tuples, IPv4 destination (and some source) prefixes of every length, and
// in_port+dl_dst L2 rules — measuring inserts/s, lookups/s with and without wildcard tracking (the
// former is what every upcall does), and removals/s; then the largest size again with exact
// 5-tuples only (one mask), which shows the cost per subtable. Also matches parsed/s with the project's
// match text parser when it is present (ovs-ofctl's full flow syntax has no parser yet).
//
// Rates are per second of this process's CPU time, so that a busy machine skews them less.
//
// Usage: deno run -A bench/classifier_bench.ts [--quick]

import { cpuUsage } from "node:process";
import { FLOW_WORDS, type FlowWords } from "../core/datapath/flow.ts";
import { Classifier, ClsRule } from "../core/ofproto/classifier.ts";
import { field, writeFieldNumber } from "../core/ofproto/fields.ts";
import { Match } from "../core/ofproto/match.ts";

const quick = Deno.args.includes("--quick");
const SIZES = quick ? [1000, 10000] : [1000, 10000, 100000];
const LOOKUPS = quick ? 100_000 : 400_000;

let seed = 0x2545f491;
function random(limit: number): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % limit;
}

const F = {
  inPort: field("in_port"),
  packetType: field("packet_type"),
  dlType: field("dl_type"),
  dlDst: field("dl_dst"),
  nwProto: field("nw_proto"),
  nwSrc: field("ip_src"),
  nwDst: field("ip_dst"),
  tpSrc: field("tcp_src"),
  tpDst: field("tcp_dst"),
};

function set(m: Match, f: typeof F.inPort, value: number, mask = 0xffffffff): void {
  writeFieldNumber(m.mask, f, mask);
  writeFieldNumber(m.flow, f, value & mask);
}

function prefixMask(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

/** Addresses over 64 /8s, denser in a few /16s, so that prefixes nest and lookups hit. */
function address(): number {
  const second = random(4) === 0 ? random(256) : random(16);
  return (((1 + random(64)) << 24) | (second << 16) | (random(256) << 8) | random(256)) >>> 0;
}

function ruleMatch(kind: number): Match {
  const m = new Match();
  if (kind < 2) {
    // Exact 5-tuple.
    set(m, F.packetType, 0);
    set(m, F.dlType, 0x0800);
    set(m, F.nwProto, 6);
    set(m, F.nwSrc, address());
    set(m, F.nwDst, address());
    set(m, F.tpSrc, 1024 + random(60000));
    set(m, F.tpDst, [22, 80, 443, 8080][random(4)]!);
  } else if (kind < 4) {
    // A route-like prefix, sometimes with a source prefix.
    set(m, F.packetType, 0);
    set(m, F.dlType, 0x0800);
    set(m, F.nwDst, address(), prefixMask(8 + random(25)));
    if (random(3) === 0) set(m, F.nwSrc, address(), prefixMask([8, 16, 24][random(3)]!));
  } else {
    // L2: in_port + dl_dst.
    set(m, F.inPort, 1 + random(48));
    set(m, F.packetType, 0);
    m.mask[F.dlDst.word] = 0xffff;
    m.mask[F.dlDst.word + 1] = 0xffffffff;
    m.flow[F.dlDst.word] = 0x5054;
    m.flow[F.dlDst.word + 1] = random(1 << 20);
  }
  return m;
}

function buildRules(n: number, exactOnly: boolean): ClsRule<number>[] {
  const rules: ClsRule<number>[] = [];
  for (let i = 0; i < n; i++) {
    rules.push(new ClsRule(ruleMatch(exactOnly ? 0 : random(5)), random(65536), i));
  }
  return rules;
}

function buildFlows(rules: readonly ClsRule<number>[]): FlowWords[] {
  const flows: FlowWords[] = [];
  for (let i = 0; i < 4096; i++) {
    const flow = new Uint32Array(FLOW_WORDS);
    if (i % 2 === 0) {
      // Near a rule: its values, other fields random.
      flow.set(rules[random(rules.length)]!.match.flow);
    }
    if (flow[F.inPort.word] === 0) writeFieldNumber(flow, F.inPort, 1 + random(48));
    writeFieldNumber(flow, F.dlType, 0x0800);
    writeFieldNumber(flow, F.nwProto, 6);
    if (flow[F.nwSrc.word] === 0) writeFieldNumber(flow, F.nwSrc, address());
    if (flow[F.nwDst.word] === 0 || i % 4 === 2) writeFieldNumber(flow, F.nwDst, address());
    if (flow[F.tpSrc.word] === 0) writeFieldNumber(flow, F.tpSrc, 1024 + random(60000));
    flows.push(flow);
  }
  return flows;
}

/** CPU milliseconds used by this process so far. */
function cpuMs(): number {
  const { user, system } = cpuUsage();
  return (user + system) / 1000;
}

function rate(count: number, ms: number): string {
  const perSecond = count / (ms / 1000);
  return perSecond >= 1e6
    ? `${(perSecond / 1e6).toFixed(2)} M/s`
    : `${(perSecond / 1e3).toFixed(0)} k/s`;
}

interface Row {
  rules: string;
  subtables: number;
  inserts: string;
  lookups: string;
  lookupsWc: string;
  removals: string;
  hitRate: string;
}

function measure(n: number, exactOnly = false): Row {
  const rules = buildRules(n, exactOnly);
  const cls = new Classifier<number>();
  let t = cpuMs();
  for (const r of rules) cls.insert(r);
  const insertMs = cpuMs() - t;
  const flows = buildFlows(rules);
  const wc = new Uint32Array(FLOW_WORDS);
  let hits = 0;
  for (let i = 0; i < 50_000; i++) cls.lookup(flows[i & 4095]!, wc);
  t = cpuMs();
  for (let i = 0; i < LOOKUPS; i++) if (cls.lookup(flows[i & 4095]!)) hits++;
  const lookupMs = cpuMs() - t;
  t = cpuMs();
  for (let i = 0; i < LOOKUPS; i++) {
    wc.fill(0);
    cls.lookup(flows[i & 4095]!, wc);
  }
  const lookupWcMs = cpuMs() - t;
  const subtables = cls.subtableCount;
  t = cpuMs();
  for (const r of rules) cls.remove(r);
  const removeMs = cpuMs() - t;
  return {
    rules: exactOnly ? `${n} exact` : String(n),
    subtables,
    inserts: rate(n, insertMs),
    lookups: rate(LOOKUPS, lookupMs),
    lookupsWc: rate(LOOKUPS, lookupWcMs),
    removals: rate(n, removeMs),
    hitRate: `${Math.round((100 * hits) / LOOKUPS)}%`,
  };
}

async function parseRate(): Promise<string> {
  try {
    const { parseMatch } = await import("../core/ofproto/match_text.ts");
    const texts: string[] = [];
    for (let i = 0; i < 1000; i++) {
      texts.push(
        `tcp,in_port=${1 + random(48)},nw_src=10.${random(16)}.${random(256)}.${random(256)},` +
          `nw_dst=10.${random(16)}.0.0/16,tp_src=${1024 + random(60000)},tp_dst=80`,
      );
    }
    for (const text of texts) parseMatch(text);
    const n = quick ? 20_000 : 100_000;
    const t = cpuMs();
    for (let i = 0; i < n; i++) parseMatch(texts[i % 1000]!);
    return rate(n, cpuMs() - t);
  } catch (error) {
    return `skipped (${error instanceof Error ? error.message : String(error)})`;
  }
}

const rows = [...SIZES.map((n) => measure(n)), measure(SIZES[SIZES.length - 1]!, true)];
const header = ["rules", "subtables", "inserts", "lookups", "lookups+wc", "removals", "hits"];
const table = [
  header,
  ...rows.map((r) => [
    r.rules,
    String(r.subtables),
    r.inserts,
    r.lookups,
    r.lookupsWc,
    r.removals,
    r.hitRate,
  ]),
];
const widths = header.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
for (const row of table) console.log(row.map((cell, i) => cell.padStart(widths[i]!)).join("  "));
console.log(`match text parsing (5-tuple + prefix matches): ${await parseRate()}`);
console.log("full flow syntax (matches with actions): no parser in the tree yet, not measured");
