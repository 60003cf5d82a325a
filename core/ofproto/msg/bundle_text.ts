// Bundle files (upstream's parse_ofp_bundle_file and ofputil_encode_bundle_msgs in
// lib/ofp-bundle.c): each line a flow mod ("flow ..."), group mod ("group ...") or packet-out
// ("packet-out ..."), the first token naming which by prefix, then encoded for one protocol.
//
// Errors are thrown as ParseError "FILE:LINE: error" with upstream's texts.

import { ParseError } from "../errors.ts";
import { P_ANY, type Protocols } from "../protocols.ts";
import { encodeFlowMod, type FlowMod } from "./flow_mod.ts";
import {
  FLOW_CMD_ANY,
  type FlowTextOptions,
  parseFlowModStr,
  preprocessedLines,
} from "./flow_text.ts";
import { encodeGroupMod, type GroupMod } from "./group.ts";
import { GROUP_CMD_ANY, parseGroupModStr } from "./group_text.ts";
import { encodePacketOut, type PacketOut } from "./packet.ts";
import { parsePacketOutStr } from "./packet_out_text.ts";
import { protocolToVersion } from "./protocol.ts";
import { allocXid } from "./raw.ts";

/** One message of a bundle file (upstream's struct ofputil_bundle_msg). */
export type BundleMsg =
  | { type: "flow"; fm: FlowMod }
  | { type: "group"; gm: GroupMod }
  | { type: "packet-out"; po: PacketOut };

function parseLine(text: string, opts: FlowTextOptions): { bm: BundleMsg; usable: Protocols } {
  let i = 0;
  while (i < text.length && " \t\r\n".includes(text[i]!)) i++;
  let end = i;
  while (end < text.length && !", \t\r\n".includes(text[end]!)) end++;
  const token = text.slice(i, end);
  const rest = text.slice(end);
  if ("flow".startsWith(token)) {
    const r = parseFlowModStr(rest, FLOW_CMD_ANY, opts);
    return { bm: { type: "flow", fm: r.fm }, usable: r.usable };
  } else if ("group".startsWith(token)) {
    const r = parseGroupModStr(rest, GROUP_CMD_ANY, opts);
    return { bm: { type: "group", gm: r.gm }, usable: r.usable };
  } else if ("packet-out".startsWith(token)) {
    const r = parsePacketOutStr(rest, opts);
    return { bm: { type: "packet-out", po: r.po }, usable: r.usable };
  }
  throw new ParseError(`Unsupported bundle message type: ${token}`);
}

/**
 * upstream's parse_ofp_bundle_file over a file's `contents` (`fileName` for errors): the
 * messages and the protocols that can carry them all.
 */
export function parseBundleFile(
  contents: string,
  fileName: string,
  opts: FlowTextOptions = {},
): { bms: BundleMsg[]; usable: Protocols } {
  let usable: Protocols = P_ANY;
  const bms: BundleMsg[] = [];
  for (const { text, lineNumber } of preprocessedLines(contents)) {
    try {
      const r = parseLine(text, opts);
      bms.push(r.bm);
      usable &= r.usable;
    } catch (e) {
      if (e instanceof ParseError) throw new ParseError(`${fileName}:${lineNumber}: ${e.message}`);
      throw e;
    }
  }
  return { bms, usable };
}

/** upstream's ofputil_encode_bundle_msgs: each message for `protocol`, with fresh xids. */
export function encodeBundleMsgs(
  bms: readonly BundleMsg[],
  protocol: Protocols,
  xids: () => number = allocXid,
): Uint8Array[] {
  const version = protocolToVersion(protocol);
  return bms.map((bm) => {
    switch (bm.type) {
      case "flow":
        return encodeFlowMod(bm.fm, protocol, xids());
      case "group":
        return encodeGroupMod(bm.gm, version, xids());
      case "packet-out":
        return encodePacketOut(bm.po, version, xids());
    }
  });
}
