// Flow, group and other message text differentials: our parsers (core/ofproto/msg/*_text.ts)
// against the real `ovs-ofctl parse-flow`, `parse-flows FILE` and `parse-group` with and without
// -O/-F: the same "usable protocols" and "chosen protocol"/"chosen version" lines, the same
// message text, the same error text and exit status. Inputs are our own corpus plus the flow and
// group strings of upstream's tests, read at run time.

import assert from "node:assert/strict";
import { ParseError } from "../../core/ofproto/errors.ts";
import { vlogSetConsoleEnabled } from "../../core/net/vlog.ts";
import { P_ANY, type Protocols } from "../../core/ofproto/protocols.ts";
import {
  formatParseFlows,
  parseFlowModFile,
  parseFlowModStr,
  preprocessedLines,
} from "../../core/ofproto/msg/flow_text.ts";
import { formatParseGroup, parseGroupModStr } from "../../core/ofproto/msg/group_text.ts";
import { OFPFC_ADD } from "../../core/ofproto/msg/flow_mod.ts";
import { OFPGC11_ADD } from "../../core/ofproto/msg/group.ts";
import {
  protocolsFromString,
  protocolsFromVersion,
  versionsFromString,
} from "../../core/ofproto/msg/protocol.ts";
import { testIf } from "../support/skip.ts";
import {
  fatalLines,
  NEED_OFCTL,
  needUpstream,
  runOfctl,
  runOfctlMany,
  type RunResult,
  upstreamFlowStrings,
  upstreamGroupStrings,
} from "./msg_support.ts";
import { FLOW_CORPUS, GROUP_CORPUS } from "./msg_text_corpus.ts";

vlogSetConsoleEnabled(false);

/** Flows whose fields or actions belong to modules other than the message code, not yet there. */
const OWNED_ELSEWHERE = /tun_metadata|nsh_|erspan|debug_slow|debug_recirc|dec_nsh_ttl|ovs-p/;

/** ovs-ofctl's allowed protocols for its options: -O versions (default 1.0), then -F. */
function allowedFor(options: string[]): Protocols {
  let versions = 1 << 1;
  let allowed = P_ANY;
  for (let i = 0; i < options.length; i += 2) {
    if (options[i] === "-O") versions = versionsFromString(options[i + 1]!);
    if (options[i] === "-F") allowed = protocolsFromString(options[i + 1]!);
  }
  let fromVersions = 0;
  for (let v = 1; v <= 6; v++) if (versions & (1 << v)) fromVersions |= protocolsFromVersion(v);
  return allowed & fromVersions;
}

interface Outcome {
  stdout: string;
  fatal: string[];
  code: number;
}

function counter(): () => number {
  let xid = 1;
  return () => xid++;
}

function ours(run: () => { stdout: string; fatal?: string }): Outcome {
  try {
    const r = run();
    return r.fatal
      ? { stdout: r.stdout, fatal: [`ovs-ofctl: ${r.fatal}`], code: 1 }
      : { stdout: r.stdout, fatal: [], code: 0 };
  } catch (e) {
    if (e instanceof ParseError) return { stdout: "", fatal: [`ovs-ofctl: ${e.message}`], code: 1 };
    throw e;
  }
}

function compare(label: string, real: RunResult, mine: Outcome, failures: string[]): void {
  const realOutcome = { stdout: real.stdout, fatal: fatalLines(real.stderr), code: real.code };
  try {
    assert.deepEqual(mine, realOutcome);
  } catch {
    failures.push(
      `${label}\n--- real\n${JSON.stringify(realOutcome, null, 1)}\n--- ours\n` +
        JSON.stringify(mine, null, 1),
    );
  }
}

const FLOW_MODES = [[], ["-O", "OpenFlow11"], ["-O", "OpenFlow13"], ["-O", "OpenFlow15"], [
  "-F",
  "nxm",
]];

async function flowDifferential(flows: readonly string[]): Promise<void> {
  const failures: string[] = [];
  let checked = 0;
  // Parse errors do not depend on -O/-F: after the first mode, only flows that parsed are rerun.
  let todo = flows;
  for (const mode of FLOW_MODES) {
    const real = await runOfctlMany(mode, todo.map((f) => ["parse-flow", f]));
    const allowed = allowedFor(mode);
    todo.forEach((flow, i) => {
      const mine = ours(() => {
        const { fm, usable } = parseFlowModStr(flow, OFPFC_ADD);
        return formatParseFlows([fm], usable, allowed, 0, counter());
      });
      compare(`parse-flow ${mode.join(" ")} ${JSON.stringify(flow)}`, real[i]!, mine, failures);
      checked++;
    });
    todo = todo.filter((_, i) => real[i]!.stdout.startsWith("usable protocols:"));
  }
  assert.deepEqual(failures, [], `${failures.length} of ${checked}`);
}

testIf(
  NEED_OFCTL,
  "our flow corpus parses as ovs-ofctl parse-flow parses it, in every mode",
  () => flowDifferential(FLOW_CORPUS.filter((f) => !OWNED_ELSEWHERE.test(f))),
);

testIf(
  needUpstream("ovs-ofctl.at", "learn.at", "ofp-actions.at"),
  "the flows of upstream's tests parse as ovs-ofctl parse-flow parses them, in every mode",
  () => {
    const files: string[] = [];
    for (const e of Deno.readDirSync("/work/upstream/tests")) {
      if (e.name.endsWith(".at")) files.push(e.name);
    }
    const flows = upstreamFlowStrings(files.sort()).filter((f) => !OWNED_ELSEWHERE.test(f));
    assert.ok(flows.length > 150, `${flows.length} flows`);
    return flowDifferential(flows);
  },
);

async function parseFlowsFile(contents: string, mode: string[], failures: string[]) {
  const file = await Deno.makeTempFile({ suffix: ".flows" });
  try {
    await Deno.writeTextFile(file, contents);
    const real = await runOfctl([...mode, "parse-flows", file]);
    const mine = ours(() => {
      const { fms, usable } = parseFlowModFile(contents, file, OFPFC_ADD);
      return formatParseFlows(fms, usable, allowedFor(mode), 0, counter());
    });
    compare(`parse-flows ${mode.join(" ")} of\n${contents}`, real, mine, failures);
  } finally {
    await Deno.remove(file);
  }
}

testIf(
  NEED_OFCTL,
  "flow files parse as ovs-ofctl parse-flows parses them, line numbers and all",
  async () => {
    const failures: string[] = [];
    const good = [
      "# a comment line",
      "",
      "   ",
      "\ttcp,tp_dst=80 actions=output:1   # and a trailing comment",
      "in_port=1,actions=drop",
      "priority=10,ip,nw_src=10.0.0.0/8,actions=mod_nw_tos:4,output:2",
      "cookie=0x5,table=1,actions=resubmit(,2)",
      "#",
      "udp,tp_src=53,idle_timeout=10,actions=controller",
    ];
    const files = [
      good.join("\n") + "\n",
      good.join("\n"),
      [...good.slice(0, 5), "foo=bar,actions=drop", ...good.slice(5)].join("\n") + "\n",
      [...good, "reset_counts,actions=drop"].join("\n") + "\n",
      [...good, "ipv6,tp_dst=80,actions=drop", "metadata=1,actions=drop"].join("\n") + "\n",
      "\n# nothing but comments\n\n",
      "in_port=1\n",
      "actions=drop\r\n",
    ];
    for (const contents of files) {
      for (const mode of FLOW_MODES) await parseFlowsFile(contents, mode, failures);
    }
    assert.deepEqual(failures, []);
  },
);

Deno.test("flow file preprocessing drops comments and blank lines but keeps line numbers", () => {
  assert.deepEqual(preprocessedLines("# c\n\n a=1 # x\n\t\nb=2"), [
    { text: " a=1 ", lineNumber: 3 },
    { text: "b=2", lineNumber: 5 },
  ]);
  assert.throws(
    () => parseFlowModFile("actions=drop\n\nfoo=1,actions=drop\n", "f.txt", OFPFC_ADD),
    (e: unknown) => e instanceof ParseError && e.message === "f.txt:3: unknown keyword foo",
  );
});

const GROUP_MODES = [[], ["-O", "OpenFlow11"], ["-O", "OpenFlow13"], ["-O", "OpenFlow15"], [
  "-O",
  "OpenFlow10,OpenFlow15",
]];

async function groupDifferential(groups: readonly string[]): Promise<void> {
  const failures: string[] = [];
  for (const mode of GROUP_MODES) {
    const real = await runOfctlMany(mode, groups.map((g) => ["parse-group", g]));
    const allowed = allowedFor(mode);
    groups.forEach((g, i) => {
      const mine = ours(() => {
        const { gm, usable } = parseGroupModStr(g, OFPGC11_ADD);
        return formatParseGroup(gm, usable, allowed, 0, counter());
      });
      compare(`parse-group ${mode.join(" ")} ${JSON.stringify(g)}`, real[i]!, mine, failures);
    });
  }
  assert.deepEqual(failures, [], `${failures.length} of ${groups.length * GROUP_MODES.length}`);
}

testIf(
  NEED_OFCTL,
  "our group corpus parses as ovs-ofctl parse-group parses it, in every mode",
  () => groupDifferential(GROUP_CORPUS),
);

testIf(
  needUpstream("ofproto.at", "ovs-ofctl.at"),
  "the groups of upstream's tests parse as ovs-ofctl parse-group parses them",
  () => {
    const files: string[] = [];
    for (const e of Deno.readDirSync("/work/upstream/tests")) {
      if (e.name.endsWith(".at")) files.push(e.name);
    }
    const groups = upstreamGroupStrings(files.sort());
    assert.ok(groups.length > 30, `${groups.length} groups`);
    return groupDifferential(groups);
  },
);
