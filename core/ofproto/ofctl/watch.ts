// The `watch:[SPEC...]` argument of `ovs-ofctl monitor` (upstream's parse_flow_monitor_request):
// which flow table changes to report (!initial, !add, !delete, !modify, !actions, !abbrev, !own),
// filtered by table, out_port, out_group and match fields, turned into one flow monitor request
// message. Monitor ids count from 0 per process, as upstream's. Errors are OfctlFatal or
// ParseError with upstream's texts.

import { ParseError } from "../errors.ts";
import { Match } from "../match.ts";
import { finishMatchParse, parseMatchItem } from "../match_text.ts";
import { parseKeyValues } from "../key_value.ts";
import { OFPG_ANY } from "../msg/group_stats.ts";
import {
  encodeFlowMonitorRequest,
  type FlowMonitorRequest,
  OFPFMC_ADD,
  OFPFMF_ADD,
  OFPFMF_INITIAL,
  OFPFMF_INSTRUCTIONS,
  OFPFMF_MODIFY,
  OFPFMF_NO_ABBREV,
  OFPFMF_ONLY_OWN,
  OFPFMF_REMOVED,
} from "../msg/monitor.ts";
import { protocolsToString } from "../msg/protocol.ts";
import { allocXid } from "../msg/raw.ts";
import { fieldByName } from "../fields.ts";
import { OFPP_NONE } from "../port_text.ts";
import { P_ANY, P_OF10_ANY } from "../protocols.ts";
import { OfctlFatal } from "./config.ts";
import type { OfctlSession } from "./session.ts";
import { atoi } from "./switch_commands.ts";

let nextMonitorId = 0;

const NEGATIONS: Record<string, number> = {
  "!initial": OFPFMF_INITIAL,
  "!add": OFPFMF_ADD,
  "!delete": OFPFMF_REMOVED,
  "!modify": OFPFMF_MODIFY,
  "!actions": OFPFMF_INSTRUCTIONS,
  "!abbrev": OFPFMF_NO_ABBREV,
  "!own": OFPFMF_ONLY_OWN,
};

/** Parses a watch specification; throws ParseError with upstream's text. */
export function parseWatch(
  text: string,
  names: {
    ports?: import("../port_text.ts").PortMap | undefined;
    tables?: { numberOf(name: string): number | undefined } | undefined;
  },
): { request: FlowMonitorRequest; usable: number } {
  const request: FlowMonitorRequest = {
    id: nextMonitorId++,
    command: OFPFMC_ADD,
    flags: OFPFMF_INITIAL | OFPFMF_ADD | OFPFMF_REMOVED | OFPFMF_MODIFY | OFPFMF_ONLY_OWN |
      OFPFMF_INSTRUCTIONS,
    outPort: OFPP_NONE,
    outGroup: OFPG_ANY,
    tableId: 0xff,
    match: new Match(),
  };
  const ctx = { portMap: names.ports, usableProtocols: P_ANY };
  for (const { key, value } of parseKeyValues(text)) {
    const negation = NEGATIONS[key];
    if (negation !== undefined) {
      request.flags &= ~negation;
      continue;
    }
    const isField = fieldByName(key) !== undefined;
    if (parseMatchItem(request.match, key, value, ctx)) {
      if (isField && !(ctx.usableProtocols & P_OF10_ANY)) {
        throw new ParseError(`${key}: match field is not supported for flow monitor`);
      }
      continue;
    }
    if (!value) throw new ParseError(`${text}: field ${key} missing value`);
    if (key === "table") {
      const table = /^\d+$/.test(value) && Number(value) <= 255
        ? Number(value)
        : names.tables?.numberOf(value);
      if (table === undefined) throw new ParseError(`unknown table "${value}"`);
      request.tableId = table;
    } else if (key === "out_port") {
      request.outPort = atoi(value) & 0xffff;
    } else if (key === "out_group") {
      request.outGroup = atoi(value) >>> 0;
    } else {
      throw new ParseError(`${text}: unknown keyword ${key}`);
    }
  }
  finishMatchParse(request.match, ctx);
  return { request, usable: ctx.usableProtocols };
}

/** The flow monitor request message for `monitor ... watch:TEXT` on switch `name`. */
export async function watchRequest(
  session: OfctlSession,
  name: string,
  text: string,
  version: number,
): Promise<Uint8Array> {
  const ports = await session.portsToAccept(name);
  const tables = await session.tablesToAccept(name);
  const { request, usable } = parseWatch(text, { ports, tables });
  const allowed = session.config.allowedProtocols;
  if (!(usable & allowed)) {
    throw new OfctlFatal(
      `none of the usable flow formats (${
        protocolsToString(usable)
      }) is among the allowed flow formats (${protocolsToString(allowed)})`,
    );
  }
  return encodeFlowMonitorRequest([request], version, allocXid());
}
