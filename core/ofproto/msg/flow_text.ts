// Flow text (upstream's parse_ofp_str, parse_ofp_flow_mod_str, parse_ofp_flow_mod_file and
// parse_ofp_flow_stats_request_str in lib/ofp-flow.c): the `[command] key=value,...
// actions=...` syntax of add-flow/mod-flows/del-flows/dump-flows into a FlowMod or a flow stats
// request plus the protocols able to carry it, with upstream's error texts; the line
// preprocessing of flow files; and ovs-ofctl's protocol choice and `parse-flows` output.
//
// Errors are thrown as ParseError carrying upstream's message (what ovs-ofctl prints after
// "ovs-ofctl: "). Match items go to match_text.ts, actions to ofpacts.ts.

import { OfpError, ParseError } from "../errors.ts";
import { Match } from "../match.ts";
import { finishMatchParse, newMatchParseContext, parseMatchItem } from "../match_text.ts";
import { normalizeMatch } from "../match_normalize.ts";
import { nextKeyValue } from "../key_value.ts";
import {
  P_ANY,
  P_NXM_OF11_UP,
  P_OF10_NXM,
  P_OF10_NXM_TID,
  P_OF10_STD,
  P_OF10_STD_TID,
  P_OF11_UP,
  P_OF12_UP,
  P_OF13_UP,
  P_TID,
  type Protocols,
} from "../protocols.ts";
import { strToU16, strToU64, strToUint } from "../actions/text.ts";
import { tableFromString } from "../table_names.ts";
import {
  encodeFlowMod,
  type FlowMod,
  OFP_DEFAULT_PRIORITY,
  OFPFC_ADD,
  OFPFC_DELETE,
  OFPFC_DELETE_STRICT,
  OFPFC_MODIFY,
  OFPFC_MODIFY_STRICT,
  OFPUTIL_FF_CHECK_OVERLAP,
  OFPUTIL_FF_NO_BYT_COUNTS,
  OFPUTIL_FF_NO_PKT_COUNTS,
  OFPUTIL_FF_RESET_COUNTS,
  OFPUTIL_FF_SEND_FLOW_REM,
  UINT64_MAX,
} from "./flow_mod.ts";
import type { FlowStatsRequest } from "./flow_stats.ts";
import { OFPG_ALL, OFPG_ANY } from "./group_stats.ts";
import { checkOfpacts, parseInstructions } from "./ofpacts.ts";
import { OFPP_ANY, OFPP_MAX, parsePort, type PortNames, type TableNames } from "./ports.ts";
import { protocolsToString, protocolToString, protocolToVersion } from "./protocol.ts";
import { ofpToString } from "./print.ts";
import { allocXid } from "./raw.ts";
import { extractActions } from "./packet_out_text.ts";

/** `command` for parsing a flow stats request's text (upstream's -1). */
export const FLOW_CMD_STATS = -1;
/** `command` for text that may begin with its command name (upstream's -2). */
export const FLOW_CMD_ANY = -2;

/** Port and table names for parsing (ovs-ofctl --names). */
export interface FlowTextOptions {
  portMap?: PortNames | undefined;
  tableMap?: TableNames | undefined;
}

const F_OUT_PORT = 1 << 0;
const F_ACTIONS = 1 << 1;
const F_IMPORTANCE = 1 << 2;
const F_TIMEOUT = 1 << 3;
const F_PRIORITY = 1 << 4;
const F_FLAGS = 1 << 5;

const COMMAND_NAMES: readonly (readonly [string, number])[] = [
  ["add", OFPFC_ADD],
  ["delete", OFPFC_DELETE],
  ["delete_strict", OFPFC_DELETE_STRICT],
  ["modify", OFPFC_MODIFY],
  ["modify_strict", OFPFC_MODIFY_STRICT],
];

/** upstream's ofputil_group_from_string: "any", "all" or a 32-bit decimal number. */
export function groupFromString(s: string): number | undefined {
  const l = s.toLowerCase();
  if (l === "any") return OFPG_ANY;
  if (l === "all") return OFPG_ALL;
  return strToUint(s, 10);
}

function fieldsFor(command: number): number {
  switch (command) {
    case FLOW_CMD_STATS:
    case OFPFC_DELETE:
      return F_OUT_PORT;
    case OFPFC_ADD:
      return F_ACTIONS | F_TIMEOUT | F_PRIORITY | F_FLAGS | F_IMPORTANCE;
    case OFPFC_DELETE_STRICT:
      return F_OUT_PORT | F_PRIORITY;
    case OFPFC_MODIFY:
    case OFPFC_MODIFY_STRICT:
      return F_ACTIONS | F_TIMEOUT | F_PRIORITY | F_FLAGS;
    default:
      throw new RangeError(`bad flow command ${command}`);
  }
}

/** A flow mod with upstream's parse defaults for `command`. */
export function defaultFlowMod(command: number): FlowMod {
  const modify = command === OFPFC_MODIFY || command === OFPFC_MODIFY_STRICT;
  return {
    match: new Match(),
    priority: OFP_DEFAULT_PRIORITY,
    cookie: 0n,
    cookieMask: 0n,
    newCookie: modify ? UINT64_MAX : 0n,
    modifyCookie: false,
    tableId: 0xff,
    command,
    idleTimeout: 0,
    hardTimeout: 0,
    importance: 0,
    bufferId: 0xffffffff,
    outPort: OFPP_ANY,
    outGroup: OFPG_ANY,
    flags: 0,
    ofpacts: [],
  };
}

/**
 * The command name at the start of `text` (upstream's -2 handling): the first token selects
 * the first of `names` it is a prefix of, the empty token included; otherwise `fallback`, the
 * token then left in place. Returns the command and the rest of the text.
 */
export function takeCommandName(
  text: string,
  names: readonly (readonly [string, number])[],
  fallback: number,
): { command: number; rest: string } {
  let i = 0;
  while (i < text.length && " \t\r\n".includes(text[i]!)) i++;
  let end = i;
  while (end < text.length && !", \t\r\n".includes(text[end]!)) end++;
  const token = text.slice(i, end);
  for (const [name, command] of names) {
    if (name.startsWith(token)) return { command, rest: text.slice(end) };
  }
  return { command: fallback, rest: text.slice(i) };
}

/**
 * upstream's parse_ofp_str: `text` as a flow mod of `command` (an OFPFC_* value,
 * FLOW_CMD_STATS or FLOW_CMD_ANY). Returns the flow mod and the protocols that can carry it;
 * throws ParseError with upstream's text.
 */
export function parseFlowText(
  text: string,
  command: number,
  opts: FlowTextOptions = {},
): { fm: FlowMod; usable: Protocols } {
  let usable: Protocols = P_ANY;
  let string = text;
  if (command === FLOW_CMD_ANY) {
    const t = takeCommandName(string, COMMAND_NAMES, OFPFC_ADD);
    command = t.command;
    string = t.rest;
  }
  const fields = fieldsFor(command);
  const fm = defaultFlowMod(command);

  let actText: string | undefined;
  if (fields & F_ACTIONS) {
    // Everything from the first "action" on is the actions' part.
    const x = extractActions(string);
    if (x.actions === undefined) throw new ParseError("must specify an action");
    actText = x.actions;
    string = x.head;
  }

  const match = fm.match;
  const mctx = newMatchParseContext(opts.portMap);
  let pos = 0;
  for (;;) {
    const kv = nextKeyValue(string, pos);
    if (!kv) break;
    pos = kv.next;
    const { key: name, value } = kv.item;
    if (fields & F_FLAGS) {
      if (name === "send_flow_rem") {
        fm.flags |= OFPUTIL_FF_SEND_FLOW_REM;
        continue;
      } else if (name === "check_overlap") {
        fm.flags |= OFPUTIL_FF_CHECK_OVERLAP;
        continue;
      } else if (name === "reset_counts") {
        fm.flags |= OFPUTIL_FF_RESET_COUNTS;
        usable &= P_OF12_UP;
        continue;
      } else if (name === "no_packet_counts") {
        fm.flags |= OFPUTIL_FF_NO_PKT_COUNTS;
        usable &= P_OF13_UP;
        continue;
      } else if (name === "no_byte_counts") {
        fm.flags |= OFPUTIL_FF_NO_BYT_COUNTS;
        usable &= P_OF13_UP;
        continue;
      }
    }
    if (parseMatchItem(match, name, value, mctx)) continue;
    if (!value) throw new ParseError(`field ${name} missing value`);
    if (name === "table") {
      const t = tableFromString(value, opts.tableMap);
      if (t === undefined) throw new ParseError(`unknown table "${value}"`);
      fm.tableId = t;
      if (t !== 0xff) usable &= P_TID;
    } else if (fields & F_OUT_PORT && name === "out_port") {
      const p = parsePort(value, opts.portMap);
      if (p === undefined) throw new ParseError(`${value} is not a valid OpenFlow port`);
      fm.outPort = p;
    } else if (fields & F_OUT_PORT && name === "out_group") {
      usable &= P_OF11_UP;
      const g = groupFromString(value);
      if (g === undefined) throw new ParseError(`${value} is not a valid OpenFlow group`);
      fm.outGroup = g;
    } else if (fields & F_PRIORITY && name === "priority") {
      fm.priority = strToU16(value, name);
    } else if (fields & F_TIMEOUT && name === "idle_timeout") {
      fm.idleTimeout = strToU16(value, name);
    } else if (fields & F_TIMEOUT && name === "hard_timeout") {
      fm.hardTimeout = strToU16(value, name);
    } else if (fields & F_IMPORTANCE && name === "importance") {
      fm.importance = strToU16(value, name);
    } else if (name === "cookie") {
      const slash = value.indexOf("/");
      if (slash >= 0) {
        if (command === OFPFC_ADD) throw new ParseError("flow additions cannot use a cookie mask");
        fm.cookie = strToU64(value.slice(0, slash));
        fm.cookieMask = strToU64(value.slice(slash + 1));
        if (fm.cookieMask !== 0n) usable &= P_NXM_OF11_UP;
      } else {
        if (command !== OFPFC_ADD && command !== OFPFC_MODIFY && command !== OFPFC_MODIFY_STRICT) {
          throw new ParseError(
            `cannot set cookie (to match on a cookie, specify a mask, e.g. cookie=${value}/-1)`,
          );
        }
        fm.newCookie = strToU64(value);
        fm.modifyCookie = true;
      }
    } else if (
      name === "duration" || name === "n_packets" || name === "n_bytes" ||
      name === "idle_age" || name === "hard_age"
    ) {
      // Ignored, so that dump-flows output can be fed back.
    } else {
      throw new ParseError(`unknown keyword ${name}`);
    }
  }
  finishMatchParse(match, mctx);
  usable &= mctx.usableProtocols;
  if (
    !fm.cookieMask && fm.newCookie === UINT64_MAX &&
    (command === OFPFC_MODIFY || command === OFPFC_MODIFY_STRICT)
  ) {
    fm.newCookie = 0n;
  }
  if (actText !== undefined) {
    const parsed = parseInstructions(actText, { portMap: opts.portMap, tableMap: opts.tableMap });
    usable &= parsed.usable;
    let err: string | undefined;
    try {
      usable &= checkOfpacts(parsed.ofpacts, {
        match,
        maxPorts: OFPP_MAX,
        tableId: fm.tableId,
        nTables: 255,
      });
      if (!usable) err = "OFPBAC_MATCH_INCONSISTENT";
    } catch (e) {
      if (!(e instanceof OfpError)) throw e;
      err = e.errorName;
    }
    if (err) throw new ParseError(`actions are invalid with specified match (${err})`);
    fm.ofpacts = parsed.ofpacts;
  }
  return { fm, usable };
}

/**
 * upstream's parse_ofp_flow_mod_str: parseFlowText, then a normalized copy of the match so that
 * non-normalized flows get logged (the flow mod itself keeps the match as written).
 */
export function parseFlowModStr(
  text: string,
  command: number,
  opts: FlowTextOptions = {},
): { fm: FlowMod; usable: Protocols } {
  const r = parseFlowText(text, command, opts);
  normalizeMatch(r.fm.match.clone(), { log: true });
  return r;
}

/** One line of a flow, group or bundle file as ds_get_preprocessed_line returns it. */
export interface PreprocessedLine {
  text: string;
  /** 1-based number of the line in the file. */
  lineNumber: number;
}

/**
 * upstream's ds_get_preprocessed_line over a whole file: lines split at "\n", everything from
 * "#" dropped, lines of only spaces, tabs (and newlines) skipped.
 */
export function preprocessedLines(contents: string): PreprocessedLine[] {
  const out: PreprocessedLine[] = [];
  const lines = contents.split("\n");
  if (lines.length && lines[lines.length - 1] === "") lines.pop();
  lines.forEach((line, i) => {
    const hash = line.indexOf("#");
    const text = hash >= 0 ? line.slice(0, hash) : line;
    if (/[^ \t\n]/.test(text)) out.push({ text, lineNumber: i + 1 });
  });
  return out;
}

/**
 * upstream's parse_ofp_flow_mod_file over the file's `contents` (named `fileName` in errors,
 * "-" for stdin): every line a flow mod; each line narrows the usable protocols. A bad line
 * throws ParseError "FILE:LINE: error".
 */
export function parseFlowModFile(
  contents: string,
  fileName: string,
  command: number,
  opts: FlowTextOptions = {},
): { fms: FlowMod[]; usable: Protocols } {
  let usable: Protocols = P_ANY;
  const fms: FlowMod[] = [];
  for (const { text, lineNumber } of preprocessedLines(contents)) {
    try {
      const r = parseFlowModStr(text, command, opts);
      fms.push(r.fm);
      usable &= r.usable;
    } catch (e) {
      if (e instanceof ParseError) throw new ParseError(`${fileName}:${lineNumber}: ${e.message}`);
      throw e;
    }
  }
  return { fms, usable };
}

/**
 * upstream's parse_ofp_flow_stats_request_str: a match with optional table, out_port,
 * out_group and cookie/mask; the table-id extension is not needed for stats requests.
 */
export function parseFlowStatsRequestStr(
  text: string,
  aggregate: boolean,
  opts: FlowTextOptions = {},
): { fsr: FlowStatsRequest; usable: Protocols } {
  const r = parseFlowText(text, FLOW_CMD_STATS, opts);
  let usable = r.usable;
  if (usable & P_OF10_STD_TID) usable |= P_OF10_STD;
  if (usable & P_OF10_NXM_TID) usable |= P_OF10_NXM;
  const fm = r.fm;
  return {
    fsr: {
      aggregate,
      match: fm.match,
      cookie: fm.cookie,
      cookieMask: fm.cookieMask,
      outPort: fm.outPort,
      outGroup: fm.outGroup,
      tableId: fm.tableId,
    },
    usable,
  };
}

/**
 * ovs-ofctl's choice among `usable` protocols given the `allowed` ones: the lowest-numbered
 * protocol in both, or undefined when there is none ("no usable protocol").
 */
export function chooseProtocol(usable: Protocols, allowed: Protocols): Protocols | undefined {
  const both = usable & allowed;
  if (!both) return undefined;
  return both & -both;
}

/** What `ovs-ofctl parse-flow(s)` prints, and the fatal error it ends with, if any. */
export interface ParseFlowsOutput {
  stdout: string;
  /** "no usable protocol" when nothing allowed can carry the flows. */
  fatal?: string;
}

/**
 * upstream's ofctl_parse_flows__: "usable protocols: ..." and "chosen protocol: ...", then each
 * flow mod encoded with the chosen protocol (fresh xids) and printed at `verbosity`.
 */
export function formatParseFlows(
  fms: readonly FlowMod[],
  usable: Protocols,
  allowed: Protocols,
  verbosity = 0,
  xids: () => number = allocXid,
): ParseFlowsOutput {
  let stdout = `usable protocols: ${protocolsToString(usable)}\n`;
  const protocol = chooseProtocol(usable, allowed);
  if (protocol === undefined) return { stdout, fatal: "no usable protocol" };
  stdout += `chosen protocol: ${protocolToString(protocol)}\n`;
  for (const fm of fms) {
    stdout += ofpToString(encodeFlowMod(fm, protocol, xids()), { verbosity });
  }
  return { stdout };
}

/** The OpenFlow version a chosen protocol encodes with (for parse-group's "chosen version"). */
export function chosenVersion(protocol: Protocols): number {
  return protocolToVersion(protocol);
}
