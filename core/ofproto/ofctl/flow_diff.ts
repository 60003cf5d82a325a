// replace-flows and diff-flows (upstream's flow table entries, "fte"): flows from a file and from
// a switch side by side, keyed as a classifier keys rules (table, priority, exact match), so that
// replace-flows sends only the deletes and adds that make the switch equal the file, and
// diff-flows prints "-" and "+" lines for what differs (exit status 2). Versions compare as
// upstream compares them: cookie, timeouts, importance, table and the actions' text; flags are
// ignored (a switch cannot report them).

import { parseFlowText } from "../msg/flow_text.ts";
import {
  encodeFlowMod,
  type FlowMod,
  OFPFC_ADD,
  OFPFC_DELETE_STRICT,
  OFPFC_MODIFY,
  OFPFC_MODIFY_STRICT,
  OFPUTIL_FF_EMERG,
  OFPUTIL_FF_SEND_FLOW_REM,
} from "../msg/flow_mod.ts";
import { preprocessedLines } from "../msg/flow_text.ts";
import { OFPG_ANY } from "../msg/group_stats.ts";
import { formatOfpacts, type Ofpact } from "../msg/ofpacts.ts";
import { allocXid } from "../msg/raw.ts";
import type { FlowStatsRequest } from "../msg/flow_stats.ts";
import { ParseError } from "../errors.ts";
import { Match } from "../match.ts";
import { formatMatch } from "../match_text.ts";
import { OFPP_ANY, type PortMap } from "../port_text.ts";
import { P_ANY, type Protocols } from "../protocols.ts";
import type { Vconn } from "../vconn.ts";
import { OFPBF_ATOMIC, OFPBF_ORDERED } from "../msg/bundle.ts";
import { bundleTransact } from "./bundle.ts";
import { OfctlExit, OfctlFatal } from "./config.ts";
import type { OfctlCommand } from "./command.ts";
import { dumpFlows } from "./flow_commands.ts";
import { errnoText } from "./offline_commands.ts";
import { type OfctlSession, run, type TableMap } from "./session.ts";

interface FteVersion {
  cookie: bigint;
  idleTimeout: number;
  hardTimeout: number;
  importance: number;
  flags: number;
  ofpacts: Ofpact[];
  tableId: number;
}

interface Fte {
  match: Match;
  priority: number;
  versions: [FteVersion | undefined, FteVersion | undefined];
}

/** The flows of both sides, per table, in the order first seen (upstream's order is a hash's). */
class FlowTables {
  readonly #tables = new Map<number, Map<string, Fte>>();
  portMap: PortMap | undefined;
  tableMap: TableMap | undefined;

  insert(match: Match, priority: number, version: FteVersion, index: 0 | 1): void {
    let table = this.#tables.get(version.tableId);
    if (!table) {
      table = new Map();
      this.#tables.set(version.tableId, table);
    }
    const key = `${priority}/${match.flow.join(",")}/${match.mask.join(",")}`;
    const fte = table.get(key) ?? { match, priority, versions: [undefined, undefined] };
    fte.versions[index] = version;
    table.set(key, fte);
  }

  *entries(): Generator<Fte> {
    for (const id of [...this.#tables.keys()].sort((a, b) => a - b)) {
      yield* this.#tables.get(id)!.values();
    }
  }
}

function versionsEqual(a: FteVersion, b: FteVersion): boolean {
  return a.cookie === b.cookie && a.idleTimeout === b.idleTimeout &&
    a.hardTimeout === b.hardTimeout && a.importance === b.importance &&
    a.tableId === b.tableId && formatOfpacts(a.ofpacts) === formatOfpacts(b.ofpacts);
}

function formatVersion(tables: FlowTables, fte: Fte, index: 0 | 1): string {
  const version = fte.versions[index];
  if (!version) return "";
  let s = version.tableId ? `table=${version.tableId} ` : "";
  s += formatMatch(fte.match, { priority: fte.priority, portMap: tables.portMap });
  if (version.cookie) s += ` cookie=0x${version.cookie.toString(16)}`;
  if (version.idleTimeout) s += ` idle_timeout=${version.idleTimeout}`;
  if (version.hardTimeout) s += ` hard_timeout=${version.hardTimeout}`;
  if (version.importance) s += ` importance=${version.importance}`;
  return s + " actions=" + formatOfpacts(version.ofpacts, { portMap: tables.portMap }) + "\n";
}

async function readFlowsFromFile(
  session: OfctlSession,
  fileName: string,
  tables: FlowTables,
  index: 0 | 1,
): Promise<Protocols> {
  let contents: string;
  try {
    contents = new TextDecoder().decode(await session.io.readInput(fileName));
  } catch (error) {
    throw new OfctlFatal(`${fileName}: open (${errnoText(error)})`);
  }
  let usable: Protocols = P_ANY;
  for (const { text, lineNumber } of preprocessedLines(contents)) {
    let parsed: { fm: FlowMod; usable: Protocols };
    try {
      parsed = parseFlowText(text, OFPFC_ADD, {
        portMap: tables.portMap,
        tableMap: tables.tableMap,
      });
    } catch (error) {
      if (error instanceof ParseError) {
        throw new OfctlFatal(`${fileName}:${lineNumber}: ${error.message}`);
      }
      throw error;
    }
    usable &= parsed.usable;
    const fm = parsed.fm;
    tables.insert(fm.match, fm.priority, {
      cookie: fm.newCookie,
      idleTimeout: fm.idleTimeout,
      hardTimeout: fm.hardTimeout,
      importance: fm.importance,
      flags: fm.flags & (OFPUTIL_FF_SEND_FLOW_REM | OFPUTIL_FF_EMERG),
      ofpacts: fm.ofpacts,
      tableId: fm.tableId !== 0xff ? fm.tableId : 0,
    }, index);
  }
  return usable;
}

async function readFlowsFromSwitch(
  vconn: Vconn,
  protocol: Protocols,
  tables: FlowTables,
  index: 0 | 1,
): Promise<void> {
  const fsr: FlowStatsRequest = {
    aggregate: false,
    match: new Match(),
    cookie: 0n,
    cookieMask: 0n,
    outPort: OFPP_ANY,
    outGroup: OFPG_ANY,
    tableId: 0xff,
  };
  const flows = await run(dumpFlows(vconn, fsr, protocol), "dump flows");
  for (const fs of flows) {
    tables.insert(fs.match, fs.priority, {
      cookie: fs.cookie,
      idleTimeout: fs.idleTimeout,
      hardTimeout: fs.hardTimeout,
      importance: fs.importance,
      flags: 0,
      ofpacts: fs.ofpacts,
      tableId: fs.tableId,
    }, index);
  }
}

function flowModFor(fte: Fte, index: 0 | 1, command: number, protocol: Protocols): Uint8Array {
  const version = fte.versions[index]!;
  const withActions = command === OFPFC_ADD || command === OFPFC_MODIFY ||
    command === OFPFC_MODIFY_STRICT;
  const fm: FlowMod = {
    match: fte.match,
    priority: fte.priority,
    cookie: 0n,
    cookieMask: 0n,
    newCookie: version.cookie,
    modifyCookie: true,
    tableId: version.tableId,
    command,
    idleTimeout: version.idleTimeout,
    hardTimeout: version.hardTimeout,
    importance: version.importance,
    bufferId: 0xffffffff,
    outPort: OFPP_ANY,
    outGroup: OFPG_ANY,
    flags: version.flags,
    ofpacts: withActions ? version.ofpacts : [],
  };
  return encodeFlowMod(fm, protocol, allocXid());
}

async function replaceFlows(session: OfctlSession, argv: string[]): Promise<void> {
  const FILE = 0;
  const SWITCH = 1;
  const tables = new FlowTables();
  tables.portMap = await session.portsToAccept(argv[1]!);
  tables.tableMap = await session.tablesToAccept(argv[1]!);
  const usable = await readFlowsFromFile(session, argv[2]!, tables, FILE);
  const opened = await session.openVconn(argv[1]!);
  const vconn = opened.vconn;
  const protocol = await session.setProtocolForFlowDump(vconn, opened.protocol, usable);
  await readFlowsFromSwitch(vconn, protocol, tables, SWITCH);

  const requests: Uint8Array[] = [];
  const entries = [...tables.entries()];
  for (const fte of entries) {
    if (fte.versions[SWITCH] && !fte.versions[FILE]) {
      requests.push(flowModFor(fte, SWITCH, OFPFC_DELETE_STRICT, protocol));
    }
  }
  for (const fte of entries) {
    const fileVersion = fte.versions[FILE];
    const switchVersion = fte.versions[SWITCH];
    if (
      fileVersion &&
      (session.config.readd || !switchVersion || !versionsEqual(switchVersion, fileVersion))
    ) {
      requests.push(flowModFor(fte, FILE, OFPFC_ADD, protocol));
    }
  }
  if (session.config.bundle) {
    await bundleTransact(session, vconn, requests, OFPBF_ORDERED | OFPBF_ATOMIC);
  } else {
    await session.transactNoReply(vconn, requests);
  }
  vconn.close();
}

async function isFile(source: string): Promise<boolean> {
  if (source.startsWith("/") || source.startsWith(".")) return true;
  if (source.includes(":")) return false;
  try {
    await Deno.stat(source);
    return true;
  } catch {
    return false;
  }
}

async function readFlowsFromSource(
  session: OfctlSession,
  source: string,
  tables: FlowTables,
  index: 0 | 1,
): Promise<void> {
  if (await isFile(source)) {
    await readFlowsFromFile(session, source, tables, index);
    return;
  }
  const opened = await session.openVconn(source);
  const protocol = await session.setProtocolForFlowDump(opened.vconn, opened.protocol, P_ANY);
  await readFlowsFromSwitch(opened.vconn, protocol, tables, index);
  opened.vconn.close();
  tables.portMap ??= await session.portsToShow(source);
}

async function diffFlows(session: OfctlSession, argv: string[]): Promise<void> {
  const tables = new FlowTables();
  await readFlowsFromSource(session, argv[1]!, tables, 0);
  await readFlowsFromSource(session, argv[2]!, tables, 1);
  let differences = false;
  let out = "";
  for (const fte of tables.entries()) {
    const [a, b] = fte.versions;
    if (!a || !b || !versionsEqual(a, b)) {
      const aText = formatVersion(tables, fte, 0);
      const bText = formatVersion(tables, fte, 1);
      if (aText) out += "-" + aText;
      if (bText) out += "+" + bText;
      differences = true;
    }
  }
  session.io.out(out);
  if (differences) throw new OfctlExit(2);
}

export const FLOW_DIFF_COMMANDS: readonly OfctlCommand[] = [
  {
    name: "replace-flows",
    usage: "switch file",
    minArgs: 2,
    maxArgs: 2,
    readOnly: false,
    run: replaceFlows,
  },
  {
    name: "diff-flows",
    usage: "source1 source2",
    minArgs: 2,
    maxArgs: 2,
    readOnly: false,
    run: diffFlows,
  },
];
