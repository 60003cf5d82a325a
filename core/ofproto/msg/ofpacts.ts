// The one seam between the message codecs and the actions module (core/ofproto/actions):
// every message that carries actions or instructions (flow mod, flow stats, packet out, group
// buckets, packet-in continuations, flow monitor updates) reaches them through these
// functions, so that the actions module's API is named in one place only. Adds the length
// checks upstream's ofpacts_pull_* make on the enclosing message before decoding.
//
// Promises: decoders throw OfpError with upstream's names; encoders append to a WireWriter;
// the formatter is upstream's ofpacts_format.

import {
  type ActionFormatOptions as ActionsFormatOptions,
  type ActionParseContext,
  checkActions,
  decodeActions,
  decodeInstructions,
  type DecodeOptions,
  encodeActions,
  encodeInstructions,
  formatActions,
  type Ofpact,
  parseActions,
} from "../actions/mod.ts";
import { OfpError } from "../errors.ts";
import { OFP10 } from "../fields.ts";
import type { Match } from "../match.ts";
import type { PortMap } from "../port_text.ts";
import type { Protocols } from "../protocols.ts";
import type { WireReader, WireWriter } from "../wire.ts";
import type { TableNames } from "./ports.ts";
import { RateLimit, vlogModule } from "../../net/vlog.ts";

const log = vlogModule("ofp_actions");
const rl = new RateLimit(1, 5);

export type { Ofpact };

export interface ActionFormatOptions {
  portMap?: PortMap | undefined;
  tableMap?: TableNames | undefined;
}

export interface ActionCheckOptions {
  match: Match;
  maxPorts: number;
  tableId: number;
  nTables: number;
}

/**
 * ofpacts_pull_openflow_actions: `len` bytes of actions at `r` (OFPBRC_BAD_LEN when `len` is
 * not a multiple of 8 or exceeds what is left). `len` may be negative or huge, as upstream's
 * unsigned arithmetic makes it, and then fails the same way.
 */
export function pullActions(
  r: WireReader,
  len: number,
  version: number,
  options: DecodeOptions = {},
): Ofpact[] {
  checkActionsLength(r, len);
  return decodeActions(r.bytes(len), version, options);
}

function checkActionsLength(r: WireReader, len: number): void {
  if (len < 0 || len % 8 !== 0) {
    log.rateLimited(
      rl,
      "warn",
      `OpenFlow message actions length ${len >>> 0} is not a multiple of 8`,
    );
    throw new OfpError("OFPBRC_BAD_LEN");
  }
  if (len > r.remaining) {
    log.rateLimited(
      rl,
      "warn",
      `OpenFlow message actions length ${len} exceeds remaining message length (${r.remaining})`,
    );
    throw new OfpError("OFPBRC_BAD_LEN");
  }
}

/** ofpacts_pull_openflow_instructions (actions for OpenFlow 1.0; OFPBIC_BAD_LEN for 1.1+). */
export function pullInstructions(
  r: WireReader,
  len: number,
  version: number,
  options: DecodeOptions = {},
): Ofpact[] {
  if (version === OFP10) {
    // OpenFlow 1.0 carries instructions as Nicira actions: the actions' checks, every
    // instruction allowed.
    checkActionsLength(r, len);
    return decodeInstructions(r.bytes(len), version, options);
  }
  if (len < 0 || len % 8 !== 0) {
    log.rateLimited(
      rl,
      "warn",
      `OpenFlow message instructions length ${len >>> 0} is not a multiple of 8`,
    );
    throw new OfpError("OFPBIC_BAD_LEN");
  }
  if (len > r.remaining) {
    log.rateLimited(
      rl,
      "warn",
      `OpenFlow message instructions length ${len} exceeds remaining message length ` +
        `(${r.remaining})`,
    );
    throw new OfpError("OFPBIC_BAD_LEN");
  }
  return decodeInstructions(r.bytes(len), version, options);
}

/** ofpacts_put_openflow_instructions. */
export function putInstructions(w: WireWriter, ofpacts: readonly Ofpact[], version: number) {
  w.bytes(encodeInstructions(ofpacts, version));
}

/** ofpacts_put_openflow_actions. */
export function putActions(w: WireWriter, ofpacts: readonly Ofpact[], version: number) {
  w.bytes(encodeActions(ofpacts, version));
}

function formatOptions(opts: ActionFormatOptions): ActionsFormatOptions {
  const o: ActionsFormatOptions = {};
  if (opts.portMap) o.portMap = opts.portMap;
  if (opts.tableMap) o.tableMap = opts.tableMap;
  return o;
}

/** ofpacts_format. */
export function formatOfpacts(ofpacts: readonly Ofpact[], opts: ActionFormatOptions = {}): string {
  return formatActions(ofpacts, formatOptions(opts));
}

function parseContext(opts: ActionFormatOptions, instructions: boolean): ActionParseContext {
  const c: ActionParseContext = { instructions };
  if (opts.portMap) c.portMap = opts.portMap;
  if (opts.tableMap) c.tableMap = opts.tableMap;
  return c;
}

/** ofpacts_parse_instructions: the actions and the protocols that can carry them. */
export function parseInstructions(
  text: string,
  opts: ActionFormatOptions = {},
): { ofpacts: Ofpact[]; usable: Protocols } {
  return parseActions(text, parseContext(opts, true));
}

/** ofpacts_parse_actions (no instructions allowed). */
export function parseActionList(
  text: string,
  opts: ActionFormatOptions = {},
): { ofpacts: Ofpact[]; usable: Protocols } {
  return parseActions(text, parseContext(opts, false));
}

/** ofpacts_check: throws OfpError; returns the protocols the actions leave usable with the match. */
export function checkOfpacts(ofpacts: Ofpact[], opts: ActionCheckOptions): Protocols {
  return checkActions(ofpacts, opts.match, {
    maxPorts: opts.maxPorts,
    tableId: opts.tableId,
    nTables: opts.nTables,
  });
}

/** ofpacts_check_consistency for `protocol`: throws OfpError when inconsistent. */
export function checkOfpactsConsistency(
  ofpacts: Ofpact[],
  protocol: Protocols,
  opts: ActionCheckOptions,
): void {
  checkActions(ofpacts, opts.match, {
    maxPorts: opts.maxPorts,
    tableId: opts.tableId,
    nTables: opts.nTables,
    usable: protocol,
  });
}
