// Test helpers for the match differential tests: run the real ovs-ofctl over many inputs with as
// few processes as possible, and reproduce on our side what `ovs-ofctl parse-flow` does with a
// flow's match (parse, choose a protocol, encode, decode, format). The pipeline here is test
// scaffolding mirroring ovs-ofctl's flow-mod path; the code under test is in core/ofproto.

import { Match } from "../../core/ofproto/match.ts";
import {
  finishMatchParse,
  formatMatch,
  newMatchParseContext,
  parseMatchItem,
} from "../../core/ofproto/match_text.ts";
import { nextKeyValue } from "../../core/ofproto/key_value.ts";
import {
  P_ANY,
  P_ANY_OXM,
  P_OF10_NXM,
  P_OF10_NXM_TID,
  P_OF10_STD,
  P_OF10_STD_TID,
  P_OF11_STD,
  P_OF12_OXM,
  P_OF13_OXM,
  P_OF14_OXM,
  P_OF15_OXM,
} from "../../core/ofproto/protocols.ts";
import { WireReader, WireWriter } from "../../core/ofproto/wire.ts";
import { decodeOfp10Match, encodeOfp10Match } from "../../core/ofproto/ofp10_match.ts";
import { encodeOfp11Match, pullOfp11Match } from "../../core/ofproto/ofp11_match.ts";
import { pullNxMatch, pullOxmMatch, putNxMatch, putOxmMatch } from "../../core/ofproto/nx_match.ts";
import { normalizeMatch } from "../../core/ofproto/match_normalize.ts";
import { OfpError, ParseError } from "../../core/ofproto/errors.ts";
import {
  W_CT_IPV6_DST,
  W_CT_IPV6_SRC,
  W_CT_NW_DST,
  W_CT_NW_SRC,
  W_DL_TYPE_VLAN,
} from "../../core/datapath/flow.ts";

const SINGLE_NAMES: Record<number, string> = {
  [P_OF10_NXM]: "NXM-table_id",
  [P_OF10_NXM_TID]: "NXM+table_id",
  [P_OF10_STD]: "OpenFlow10-table_id",
  [P_OF10_STD_TID]: "OpenFlow10+table_id",
  [P_OF11_STD]: "OpenFlow11",
  [P_OF12_OXM]: "OXM-OpenFlow12",
  [P_OF13_OXM]: "OXM-OpenFlow13",
  [P_OF14_OXM]: "OXM-OpenFlow14",
  [P_OF15_OXM]: "OXM-OpenFlow15",
};

/** ofputil_protocols_to_string, for comparing "usable protocols:" lines. */
export function protocolsToString(protocols: number): string {
  if (!protocols) return "none";
  const abbrevs: Array<[number, string]> = [
    [P_ANY, "any"],
    [P_OF10_STD | P_OF10_STD_TID, "OpenFlow10"],
    [P_OF10_NXM | P_OF10_NXM_TID, "NXM"],
    [P_ANY_OXM, "OXM"],
  ];
  const out: string[] = [];
  let rest = protocols;
  while (rest) {
    const abbrev = abbrevs.find(([bits]) => (rest & bits) === bits);
    if (abbrev) {
      out.push(abbrev[1]);
      rest &= ~abbrev[0];
      continue;
    }
    const bit = rest & -rest;
    out.push(SINGLE_NAMES[bit] ?? `0x${bit.toString(16)}`);
    rest &= ~bit;
  }
  return out.join(",");
}

/** Encodes with `protocol`, decodes as the receiving end would, and formats. */
export function wireRoundTrip(m: Match, protocol: number): Match {
  const w = new WireWriter();
  if (protocol & (P_OF10_STD | P_OF10_STD_TID)) {
    encodeOfp10Match(w, m);
    const back = decodeOfp10Match(new WireReader(w.finish()));
    normalizeMatch(back);
    return back;
  }
  if (protocol & (P_OF10_NXM | P_OF10_NXM_TID)) {
    const len = putNxMatch(w, m);
    return pullNxMatch(new WireReader(w.finish()), len);
  }
  if (protocol === P_OF11_STD) {
    encodeOfp11Match(w, m);
    return pullOfp11Match(new WireReader(w.finish())).match;
  }
  const version = { [P_OF12_OXM]: 3, [P_OF13_OXM]: 4, [P_OF14_OXM]: 5, [P_OF15_OXM]: 6 }[protocol];
  if (!version) throw new RangeError(`no wire form for protocol ${protocol}`);
  putOxmMatch(w, m, version);
  return pullOxmMatch(new WireReader(w.finish()));
}

/** Parses the match part of a flow as ovs-ofctl's flow-mod parser does (no actions). */
export function parseFlowMatch(text: string): { match: Match; usable: number } {
  const ctx = newMatchParseContext();
  const m = new Match();
  let pos = 0;
  for (;;) {
    const r = nextKeyValue(text, pos);
    if (!r) break;
    pos = r.next;
    const { key, value } = r.item;
    if (parseMatchItem(m, key, value, ctx)) continue;
    if (!value) throw new ParseError(`field ${key} missing value`);
    throw new ParseError(`unknown keyword ${key}`);
  }
  finishMatchParse(m, ctx);
  return { match: m, usable: ctx.usableProtocols };
}

/** ofputil_decode_flow_mod's conntrack tuple check (a flow-mod rule, not a match rule). */
function ctTupleInconsistent(m: Match): boolean {
  const dlType = m.flow[W_DL_TYPE_VLAN]! >>> 16;
  const v4 = m.mask[W_CT_NW_SRC] || m.mask[W_CT_NW_DST];
  let v6 = false;
  for (let i = 0; i < 4; i++) if (m.mask[W_CT_IPV6_SRC + i] || m.mask[W_CT_IPV6_DST + i]) v6 = true;
  return (!!v4 && dlType !== 0x0800) || (v6 && dlType !== 0x86dd);
}

/**
 * Our version of what `ovs-ofctl [-O version] parse-flow "MATCH actions=drop"` prints, as lines
 * without the message prefix: "usable protocols: ...", "chosen protocol: ...", and the match
 * (or "***decode error: NAME***"), or a single "ovs-ofctl: error" line.
 */
export function ourParseFlow(matchText: string, allowed = P_ANY): string[] {
  let parsed: { match: Match; usable: number };
  try {
    // ovs-ofctl cuts the flow at "actions", so the match keeps the blank before it.
    parsed = parseFlowMatch(matchText + " ");
  } catch (e) {
    if (e instanceof ParseError) return [`ovs-ofctl: ${e.message}`];
    throw e;
  }
  const { match, usable } = parsed;
  if (!usable) {
    return ["ovs-ofctl: actions are invalid with specified match (OFPBAC_MATCH_INCONSISTENT)"];
  }
  const out = [`usable protocols: ${protocolsToString(usable)}`];
  if (!(usable & allowed)) return [...out, "ovs-ofctl: no usable protocol"];
  const protocol = (usable & allowed) & -(usable & allowed);
  out.push(`chosen protocol: ${SINGLE_NAMES[protocol]}`);
  try {
    const back = wireRoundTrip(match, protocol);
    if (ctTupleInconsistent(back)) throw new OfpError("OFPBAC_MATCH_INCONSISTENT");
    out.push(formatMatch(back));
  } catch (e) {
    if (e instanceof OfpError) out.push(`***decode error: ${e.errorName}***`);
    else throw e;
  }
  return out;
}

/** Runs `cmd` with `input` on stdin; returns stdout and stderr. */
export async function run(
  cmd: string[],
  input = "",
): Promise<{ stdout: string; stderr: string; code: number }> {
  const child = new Deno.Command(cmd[0]!, {
    args: cmd.slice(1),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Collect the output while writing: a large reply would otherwise fill the pipe and stall
  // the writer.
  const output = child.output();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input));
  await writer.close();
  const out = await output;
  return {
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
    code: out.code,
  };
}

const PARSE_FLOW_LOOP = `
while IFS= read -r line; do
  printf '@@%s\\n' "$line"
  ovs-ofctl "$@" parse-flow "$line actions=drop" 2>&1
done`;

/**
 * The real `ovs-ofctl parse-flow` for each match (one process per match, as each error aborts),
 * in `parallel` shell loops. Lines are reduced to what ourParseFlow returns: logs dropped, the
 * message prefix and actions stripped, decode errors without their hex dump.
 */
export async function realParseFlow(
  matches: string[],
  ofctlArgs: string[] = [],
  parallel = 2,
): Promise<Map<string, string[]>> {
  const chunks: string[][] = Array.from({ length: parallel }, () => []);
  matches.forEach((m, i) => chunks[i % parallel]!.push(m));
  const results = await Promise.all(
    chunks.map((chunk) =>
      run(["bash", "-c", PARSE_FLOW_LOOP, "loop", ...ofctlArgs], chunk.join("\n") + "\n")
    ),
  );
  const map = new Map<string, string[]>();
  for (const { stdout } of results) {
    let current: string[] | undefined;
    for (const line of stdout.split("\n")) {
      if (line.startsWith("@@")) {
        current = [];
        map.set(line.slice(2), current);
        continue;
      }
      if (!current || !line || /\|(WARN|INFO|DBG)\|/.test(line) || /^[0-9a-f]{8} {2}/.test(line)) {
        continue;
      }
      const decodeError = line.match(/\*\*\*decode error: (\S+)\*\*\*/);
      if (decodeError) {
        current.push(`***decode error: ${decodeError[1]}***`);
        continue;
      }
      const flowMod = line.match(/^\S*FLOW_MOD .*?: ADD ?(.*?) ?actions=drop$/);
      current.push(flowMod ? flowMod[1]! : line);
    }
  }
  return map;
}

/**
 * The real `ovs-ofctl parse-flows` over many matches at once: the "usable protocols" and "chosen
 * protocol" lines, then one match text (or decode error) per flow.
 */
export async function realParseFlows(
  matches: string[],
  ofctlArgs: string[],
): Promise<{ header: string[]; flows: string[] }> {
  const file = await Deno.makeTempFile({ suffix: ".flows" });
  try {
    await Deno.writeTextFile(file, matches.map((m) => `${m} actions=drop\n`).join(""));
    const { stdout, stderr, code } = await run(["ovs-ofctl", ...ofctlArgs, "parse-flows", file]);
    if (code !== 0) throw new Error(`ovs-ofctl parse-flows failed: ${stderr}`);
    const lines = stdout.split("\n");
    const header = lines.filter((l) => /^(usable|chosen) protocols?:/.test(l));
    const flows = lines.filter((l) => l.includes("FLOW_MOD")).map((l) => {
      const decodeError = l.match(/\*\*\*decode error: (\S+)\*\*\*/);
      if (decodeError) return `***decode error: ${decodeError[1]}***`;
      return l.match(/: ADD ?(.*?) ?actions=drop$/)?.[1] ?? l;
    });
    return { header, flows };
  } finally {
    await Deno.remove(file);
  }
}
