// ofp-print: any OpenFlow message's bytes to the exact text upstream's ofp_to_string gives —
// the header line "NAME (OF1.x) (xid=0x..):", multipart flags, the message's own text, the
// "***decode error: NAME***" line and hex dump for messages that do not decode, and the texts
// for empty, short, truncated and overlong buffers.
//
// Promises: never throws for any input bytes (a formatter's OfpError becomes the decode-error
// text; anything else is a bug and propagates); the per-message formatters live next to their
// codecs and are registered here by message type. Verbosity follows upstream (5 and up adds
// the hex dump of every message).

import { OfpError } from "../errors.ts";
import { decodeErrorMessage } from "../ofp_errors.ts";
import { hexDump, printable } from "./hexdump.ts";
import type { PortNames, TableNames } from "./ports.ts";
import {
  decodeRawPartial,
  isStat,
  isStatRequest,
  multipartFlags,
  OFPSF_REPLY_MORE,
  pullRaw,
  type RawInfo,
  type RawMessage,
} from "./raw.ts";
import { FORMATTERS } from "./print_table.ts";

export interface PrintOptions {
  portNames?: PortNames;
  tableNames?: TableNames;
  verbosity?: number;
}

/** What a message formatter gets: the decoded headers, the options, and the text so far. */
export interface PrintContext {
  readonly raw: RawMessage;
  readonly portNames: PortNames | undefined;
  readonly tableNames: TableNames | undefined;
  readonly verbosity: number;
  /** Appends text. */
  put(text: string): void;
}

/**
 * A message formatter: appends the message's text after the header; throws OfpError when the
 * message does not decode (text appended before the throw is kept, as upstream keeps it).
 */
export type Formatter = (ctx: PrintContext) => void;

function versionText(version: number): string {
  if (version === 1) return "";
  if (version >= 2 && version <= 6) return ` (OF1.${version - 1})`;
  return ` (OF 0x${version.toString(16).padStart(2, "0")})`;
}

/** " (OF1.3) (xid=0x5):" for a message's version and xid (upstream's ofp_print_version). */
export function formatVersionXid(version: number, xid: number): string {
  return `${versionText(version)} (xid=0x${(xid >>> 0).toString(16)}):`;
}

function headerText(data: Uint8Array, info: RawInfo): string {
  const xid = ((data[4]! << 24) | (data[5]! << 16) | (data[6]! << 8) | data[7]!) >>> 0;
  return info.name + formatVersionXid(data[0]!, xid);
}

function statsFlagsText(data: Uint8Array): string {
  let flags = multipartFlags(data);
  if (!flags) return "";
  let s = " flags=";
  const version = data[0]!;
  if ((!isStatRequest(version, data[1]!) || version >= 4) && flags & OFPSF_REPLY_MORE) {
    s += "[more]";
    flags &= ~OFPSF_REPLY_MORE;
  }
  if (flags) s += `[***unknown flags 0x${flags.toString(16).padStart(4, "0")}***]`;
  return s;
}

function chompSpace(s: string): string {
  return s.endsWith(" ") ? s.slice(0, -1) : s;
}

function addNewline(s: string): string {
  return s.length && !s.endsWith("\n") ? s + "\n" : s;
}

/** The text of the OpenFlow message in `data` (upstream's ofp_to_string). */
export function ofpToString(data: Uint8Array, options: PrintOptions = {}): string {
  const len = data.length;
  if (!len) return "OpenFlow message is empty\n";
  if (len < 8) return `OpenFlow packet too short (only ${len} bytes):\n` + hexDump(data);
  const length = (data[2]! << 8) | data[3]!;
  if (length > len) {
    let s = "";
    try {
      const info = decodeRawPartial(data, len);
      s += headerText(data, info) + "\n";
    } catch (e) {
      if (!(e instanceof OfpError)) throw e;
    }
    return s + `(***truncated to ${len} bytes from ${length}***)\n` + hexDump(data);
  }
  if (length < len) {
    return `(***only uses ${length} bytes out of ${len}***)\n` + hexDump(data);
  }
  const verbosity = options.verbosity ?? 0;
  let s = "";
  let error: OfpError | undefined;
  let raw: RawMessage | undefined;
  try {
    raw = pullRaw(data);
  } catch (e) {
    if (!(e instanceof OfpError)) throw e;
    error = e;
  }
  if (raw) {
    s = headerText(data, raw.info);
    const headerLen = s.length;
    if (isStat(raw.version, data[1]!)) s += statsFlagsText(data);
    const ctx: PrintContext = {
      raw,
      portNames: options.portNames,
      tableNames: options.tableNames,
      verbosity,
      put(text: string) {
        s += text;
      },
    };
    try {
      const formatter = FORMATTERS[raw.info.type];
      if (formatter) formatter(ctx);
    } catch (e) {
      if (!(e instanceof OfpError)) throw e;
      error = e;
    }
    if (error) {
      if (s.length > headerLen) s = addNewline(chompSpace(s));
      else s += " ";
      s += `***decode error: ${error.errorName}***\n`;
    } else {
      s = chompSpace(s);
    }
  } else if (error) {
    s += `***decode error: ${error.errorName}***\n`;
  }
  if (verbosity >= 5 || error) s = addNewline(s) + hexDump(data);
  return addNewline(s);
}

/** The body of an OFPT_ERROR's text (upstream's ofperr_msg_format). */
export function formatErrorMessage(ctx: PrintContext): void {
  const decoded = decodeErrorMessage(ctx.raw.data);
  if (!decoded) throw new OfpError("OFPBRC_BAD_LEN");
  ctx.put(` ${decoded.name}\n`);
  if (decoded.name === "OFPHFC_INCOMPATIBLE" || decoded.name === "OFPHFC_EPERM") {
    ctx.put(printable(decoded.payload));
  } else {
    const opts: PrintOptions = { verbosity: 1 };
    if (ctx.portNames) opts.portNames = ctx.portNames;
    if (ctx.tableNames) opts.tableNames = ctx.tableNames;
    ctx.put(ofpToString(decoded.payload, opts));
  }
}
