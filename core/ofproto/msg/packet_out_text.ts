// Packet-out text (upstream's parse_ofp_packet_out_str in lib/ofp-packet.c): the
// `in_port=...,packet=HEX,[packet_type=(NS,TYPE)],[pipeline fields],actions=...` syntax of
// `ovs-ofctl packet-out` into a PacketOut and the protocols able to carry it.
//
// Errors are thrown as ParseError with upstream's message.

import { ParseError } from "../errors.ts";
import { W_PACKET_TYPE } from "../../datapath/flow.ts";
import { field } from "../fields.ts";
import { addEthernetPrereq, numberToBytes, setFieldInMatch } from "../field_set.ts";
import { parseFieldValue } from "../field_text.ts";
import { nextKeyValue } from "../key_value.ts";
import { Match } from "../match.ts";
import { fieldByOwnName } from "../subfield.ts";
import { P_ANY, type Protocols } from "../protocols.ts";
import { strtoullLoose } from "../actions/text.ts";
import type { FlowTextOptions } from "./flow_text.ts";
import { parseActionList } from "./ofpacts.ts";
import { isPipelineField, type PacketOut } from "./packet.ts";
import { OFPP_CONTROLLER, OFPP_LOCAL, OFPP_MAX, OFPP_NONE, parsePort } from "./ports.ts";

const IN_PORT = field("in_port");

function setInPort(m: Match, port: number): void {
  setFieldInMatch(m, IN_PORT, numberToBytes(port, 2));
}

/**
 * upstream's ofp_extract_actions: the text before the first "action" and, when an "=" follows
 * it, the actions after that "=".
 */
export function extractActions(text: string): { head: string; actions: string | undefined } {
  const at = text.indexOf("action");
  if (at < 0) return { head: text, actions: undefined };
  const eq = text.indexOf("=", at + 1);
  return { head: text.slice(0, at), actions: eq >= 0 ? text.slice(eq + 1) : undefined };
}

/**
 * upstream's eth_from_hex: hex digit pairs (blanks, dots and newlines between pairs ignored)
 * forming at least an Ethernet header.
 */
export function ethFromHex(hex: string): Uint8Array {
  const out: number[] = [];
  let i = 0;
  for (;;) {
    while (i < hex.length && " .\t\r\n".includes(hex[i]!)) i++;
    const pair = hex.slice(i, i + 2);
    if (!/^[0-9a-fA-F]{2}$/.test(pair)) break;
    out.push(parseInt(pair, 16));
    i += 2;
  }
  if (i < hex.length) throw new ParseError("Trailing garbage in packet data");
  if (out.length < 14) throw new ParseError("Packet data too short for Ethernet");
  return new Uint8Array(out);
}

/**
 * upstream's parse_ofp_packet_out_str: `text` as a packet-out. Returns it and the protocols that
 * can carry it; throws ParseError.
 */
export function parsePacketOutStr(
  text: string,
  opts: FlowTextOptions = {},
): { po: PacketOut; usable: Protocols } {
  let usable: Protocols = P_ANY;
  const po: PacketOut = {
    packet: new Uint8Array(),
    bufferId: 0xffffffff,
    flowMetadata: new Match(),
    ofpacts: [],
  };
  const md = po.flowMetadata;
  setInPort(md, OFPP_CONTROLLER);
  const { head, actions } = extractActions(text);
  let packet: Uint8Array | undefined;
  let pos = 0;
  for (;;) {
    const kv = nextKeyValue(head, pos);
    if (!kv) break;
    pos = kv.next;
    const { key: name, value } = kv.item;
    if (!value) throw new ParseError(`field ${name} missing value`);
    if (name === "in_port") {
      const port = parsePort(value, opts.portMap);
      if (port === undefined) throw new ParseError(`${value} is not a valid OpenFlow port`);
      if (
        port > OFPP_MAX && port !== OFPP_LOCAL && port !== OFPP_NONE && port !== OFPP_CONTROLLER
      ) {
        throw new ParseError(`${value} is not a valid OpenFlow port for PACKET_OUT`);
      }
      setInPort(md, port);
    } else if (name === "packet_type") {
      const comma = value.indexOf(",");
      if (comma < 0) throw new ParseError(`${name}(${value}) can't be interpreted`);
      const ns = Number(strtoullLoose(value.slice(0, comma)) & 0xffffffffn);
      const type = Number(strtoullLoose(value.slice(comma + 1)) & 0xffffffffn);
      md.flow[W_PACKET_TYPE] = (((ns << 16) >>> 0) | type) >>> 0;
      md.mask[W_PACKET_TYPE] = 0xffffffff;
    } else if (name === "packet") {
      try {
        packet = ethFromHex(value);
      } catch (e) {
        if (e instanceof ParseError) throw new ParseError(`${name}: ${e.message}`);
        throw e;
      }
    } else {
      const f = fieldByOwnName(name);
      if (!f) throw new ParseError(`unknown keyword ${name}`);
      const parsed = parseFieldValue(f, value, opts.portMap);
      usable &= setFieldInMatch(md, f, parsed.value, parsed.mask);
      addEthernetPrereq(md, f);
      if (!isPipelineField(f.name)) {
        throw new ParseError(`${name} is not a valid pipeline field for PACKET_OUT`);
      }
    }
  }
  if (!packet || !packet.length) throw new ParseError("must specify packet");
  if (actions !== undefined) {
    const parsed = parseActionList(actions, { portMap: opts.portMap, tableMap: opts.tableMap });
    usable &= parsed.usable;
    po.ofpacts = parsed.ofpacts;
  }
  po.packet = packet;
  return { po, usable };
}
