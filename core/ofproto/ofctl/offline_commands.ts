// ovs-ofctl's commands that need no switch: ofp-print, ofp-parse, encode-hello, print-error,
// encode-error-reply, parse-key-value, and the round-trip checks upstream's tests drive through
// stdin (parse-nxm, parse-oxm, parse-actions, parse-instructions, parse-ofp10-match,
// parse-ofp11-match). Each reads and prints exactly as upstream's ovs-ofctl.c, including its
// line preprocessing ("#" comments, blank lines) and its error texts.

import { OfpError } from "../errors.ts";
import { Match } from "../match.ts";
import { formatMatch, OFP_DEFAULT_PRIORITY } from "../match_text.ts";
import { normalizeMatch } from "../match_normalize.ts";
import { pullNxMatch, pullOxmMatch, putNxMatch, putOxmMatch } from "../nx_match.ts";
import { nxMatchFromString, nxMatchToString } from "../nxm_header.ts";
import {
  matchFromOfp10,
  matchToOfp10,
  OFP10_MATCH_LEN,
  pullOfp10Match,
  putOfp10Match,
} from "../ofp10_match.ts";
import {
  matchFromOfp11,
  matchToOfp11,
  OFPMT11_STANDARD_LENGTH,
  readOfp11Match,
  writeOfp11Match,
} from "../ofp11_match.ts";
import { encodeErrorReply, errorDomainName, errorTriplet, isErrorName } from "../ofp_errors.ts";
import { parseKeyValues } from "../key_value.ts";
import { WireReader, WireWriter } from "../wire.ts";
import { encodeHello } from "../vconn_wire.ts";
import { ofpToString } from "../msg/print.ts";
import { protocolsFromVersion, versionFromString } from "../msg/protocol.ts";
import {
  checkOfpactsConsistency,
  formatOfpacts,
  pullActions,
  pullInstructions,
  putActions,
  putInstructions,
} from "../msg/ofpacts.ts";
import { allocXid } from "../msg/raw.ts";
import { packetToString } from "../msg/packet_text.ts";
import { FLOW_CMD_STATS, parseFlowText } from "../msg/flow_text.ts";
import { fieldByName } from "../fields.ts";
import { OFPP_MAX } from "../port_text.ts";
import { OfctlFatal } from "./config.ts";

import { MANY, type OfctlCommand } from "./command.ts";
import type { OfctlSession } from "./session.ts";
import { atoi, parseCInt } from "./switch_commands.ts";

/** Bytes from hex digit pairs, skipping " .\t\r\n" between them (ofpbuf_put_hex). */
export function parseHex(text: string): { bytes: Uint8Array; rest: string } {
  const out: number[] = [];
  let i = 0;
  for (;;) {
    while (i < text.length && " .\t\r\n".includes(text[i]!)) i++;
    const pair = text.slice(i, i + 2);
    if (!/^[0-9a-fA-F]{2}$/.test(pair)) break;
    out.push(parseInt(pair, 16));
    i += 2;
  }
  return { bytes: new Uint8Array(out), rest: text.slice(i) };
}

/** Hex for tools that refuse anything after the digits. */
function hexOrFatal(text: string, complaint = "Trailing garbage in hex data"): Uint8Array {
  const { bytes, rest } = parseHex(text);
  if (rest !== "") throw new OfctlFatal(complaint);
  return bytes;
}

/** The lines of a file split as C's line reader sees them. */
export function inputLines(data: Uint8Array): string[] {
  const text = new TextDecoder().decode(data);
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** ds_get_preprocessed_line: comments cut at "#", blank lines skipped; with line numbers. */
export function preprocessedLines(data: Uint8Array): { line: string; number: number }[] {
  const out: { line: string; number: number }[] = [];
  inputLines(data).forEach((raw, i) => {
    const hash = raw.indexOf("#");
    const line = hash < 0 ? raw : raw.slice(0, hash);
    if (/[^ \t\n]/.test(line)) out.push({ line, number: i + 1 });
  });
  return out;
}

/**
 * ds_get_test_line: lines starting with "#" are echoed, blank ones print an empty line; the rest
 * (comments cut) are handed to `each`.
 */
async function forEachTestLine(
  session: OfctlSession,
  each: (line: string) => void | Promise<void>,
): Promise<void> {
  for (const raw of inputLines(await session.io.readInput("-"))) {
    if (raw.startsWith("#")) {
      session.io.out(raw + "\n");
      continue;
    }
    const hash = raw.indexOf("#");
    const line = hash < 0 ? raw : raw.slice(0, hash);
    if (!/[^ \t\n]/.test(line)) {
      session.io.out("\n");
      continue;
    }
    await each(line);
  }
}

/** upstream's print_differences: byte-by-byte changes between two encodings. */
function differences(prefix: string, a: Uint8Array, b: Uint8Array): string {
  let out = "";
  const hex = (x: number) => x.toString(16).padStart(2, "0");
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) out += `${prefix}${String(i).padStart(2)}: ${hex(a[i]!)} -> ${hex(b[i]!)}\n`;
  }
  for (let i = a.length; i < b.length; i++) {
    out += `${prefix}${String(i).padStart(2)}: (none) -> ${hex(b[i]!)}\n`;
  }
  for (let i = b.length; i < a.length; i++) {
    out += `${prefix}${String(i).padStart(2)}: ${hex(a[i]!)} -> (none)\n`;
  }
  return out;
}

async function ofpPrint(session: OfctlSession, argv: string[]): Promise<void> {
  const verbosity = argv.length > 2 ? atoi(argv[2]!) : 2;
  let packet: Uint8Array;
  if (argv[1] === "-") {
    const input = await session.io.readInput("-");
    if (session.config.raw) packet = input;
    else {
      const lines = new TextDecoder().decode(input).split("\n");
      if (input.length === 0) throw new OfctlFatal("Failed to read stdin");
      packet = hexOrFatal(lines[0]!, "trailing garbage following hex bytes");
    }
  } else {
    packet = hexOrFatal(argv[1]!, "trailing garbage following hex bytes");
  }
  session.io.out(ofpToString(packet, { verbosity }));
}

async function ofpParse(session: OfctlSession, argv: string[]): Promise<void> {
  const filename = argv[1]!;
  const data = await session.io.readInput(filename).catch((error) => {
    throw new OfctlFatal(`${filename}: open (${errnoText(error)})`);
  });
  let offset = 0;
  while (offset < data.length) {
    if (data.length - offset < 8) {
      throw new OfctlFatal(`${filename}: unexpected end of file mid-message`);
    }
    const length = (data[offset + 2]! << 8) | data[offset + 3]!;
    if (length < 8) {
      throw new OfctlFatal(`${filename}: ${length}-byte message is too short for OpenFlow`);
    }
    if (data.length - offset < length) {
      throw new OfctlFatal(`${filename}: unexpected end of file mid-message`);
    }
    session.io.out(
      ofpToString(data.subarray(offset, offset + length), {
        verbosity: session.config.verbosity + 2,
      }),
    );
    offset += length;
  }
}

/** The OS text of a failed file read, as strerror prints it. */
export function errnoText(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "No such file or directory";
  if (error instanceof Deno.errors.PermissionDenied) return "Permission denied";
  if (error instanceof Deno.errors.IsADirectory) return "Is a directory";
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\(os error \d+\).*$/, "");
}

/** upstream's ovs_hex_dump (util.c), which differs from ds_put_hex_dump in its spacing. */
export function ovsHexDump(data: Uint8Array, offset = 0, ascii = false): string {
  let out = "";
  let ofs = offset;
  let pos = 0;
  while (pos < data.length) {
    const start = ofs % 16;
    const end = Math.min(16, start + data.length - pos);
    let line = (ofs - start).toString(16).padStart(8, "0") + " " + "   ".repeat(start);
    for (let i = start; i < end; i++) {
      line += (i === 8 ? "-" : " ") + data[pos + i - start]!.toString(16).padStart(2, "0");
    }
    if (ascii) {
      line += " " + "   ".repeat(16 - end) + "|" + " ".repeat(start);
      for (let i = start; i < end; i++) {
        const c = data[pos + i - start]!;
        line += c >= 32 && c < 127 ? String.fromCharCode(c) : ".";
      }
      line += " ".repeat(16 - end) + "|";
    }
    out += line + "\n";
    pos += end - start;
    ofs += end - start;
  }
  return out;
}

function encodeHelloCommand(session: OfctlSession, argv: string[]): Promise<void> {
  const bitmap = (parseCLong(argv[1]!) ?? 0) >>> 0;
  if (bitmap <= 1) {
    // Upstream aborts on an assertion here; so do we, with its words and status.
    throw new OfctlFatal(
      "../lib/ofp-msgs.c:1317: assertion version >= info->min_version && version <= info->max_version failed in raw_instance_get()",
      134,
    );
  }
  const hello = encodeHello(bitmap, allocXid());
  session.io.out(ovsHexDump(hello));
  session.io.out(ofpToString(hello, { verbosity: session.config.verbosity }));
  return Promise.resolve();
}

/** C's strtol(text, NULL, 0): the longest valid prefix, 0 when there is none. */
function parseCLong(text: string): number | undefined {
  const m = /^\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)/.exec(text);
  if (!m) return 0;
  const digits = m[2]!;
  const value = /^0[xX]/.test(digits)
    ? parseInt(digits.slice(2), 16)
    : digits.startsWith("0")
    ? parseInt(digits, 8) || 0
    : Number(digits);
  return m[1] === "-" ? -value : value;
}

function printError(session: OfctlSession, argv: string[]): Promise<void> {
  const name = argv[1]!;
  if (!isErrorName(name)) throw new OfctlFatal(`unknown error "${name}"`);
  for (let version = 0; version <= 255; version++) {
    const domain = errorDomainName(version);
    if (!domain) continue;
    const t = errorTriplet(name, version);
    if (!t) continue;
    const vendor = t.vendor ? `0x${t.vendor.toString(16)}` : "0";
    session.io.out(`${domain}: vendor ${vendor}, type ${t.type}, code ${t.code}\n`);
  }
  return Promise.resolve();
}

function encodeErrorReplyCommand(session: OfctlSession, argv: string[]): Promise<void> {
  const name = argv[1]!;
  if (!isErrorName(name)) throw new OfctlFatal(`unknown error "${name}"`);
  const request = hexOrFatal(argv[2]!);
  if (request.length < 8) throw new OfctlFatal("Request too short");
  if (request.length !== ((request[2]! << 8) | request[3]!)) {
    throw new OfctlFatal("Request size inconsistent");
  }
  session.io.out(ovsHexDump(encodeErrorReply(name, request)));
  return Promise.resolve();
}

function parseKeyValueCommand(session: OfctlSession, argv: string[]): Promise<void> {
  for (const arg of argv.slice(1)) {
    const items = parseKeyValues(arg);
    session.io.out(
      items.map((kv) => (kv.value ? `${kv.key}=${kv.value}` : kv.key)).join(", ") + "\n",
    );
  }
  return Promise.resolve();
}

async function parseNxmLines(session: OfctlSession, oxm: boolean, version: number) {
  await forEachTestLine(session, (line) => {
    const raw = nxMatchFromString(line);
    let input: Uint8Array;
    let matchLen: number;
    if (oxm) {
      const w = new WireWriter();
      w.u16(1).u16(4 + raw.length).bytes(raw).padTo(8);
      input = w.finish();
      matchLen = 4 + raw.length;
    } else {
      const w = new WireWriter();
      w.bytes(raw).padTo(8);
      input = w.finish();
      matchLen = raw.length;
    }
    const strict = session.config.strict;
    let match: Match;
    const cookie = { cookie: 0n, mask: 0n };
    try {
      const r = new WireReader(input);
      match = oxm ? pullOxmMatch(r, { strict }) : pullNxMatch(r, matchLen, { strict }, cookie);
    } catch (error) {
      if (!(error instanceof OfpError)) throw error;
      session.io.out(`nx_pull_match() returned error ${error.errorName}\n`);
      return;
    }
    const w = new WireWriter();
    const len = oxm
      ? putOxmMatch(w, match, version)
      : putNxMatch(w, match, cookie.cookie, cookie.mask);
    const out = w.finish();
    session.io.out(nxMatchToString(oxm ? out.subarray(4, len) : out.subarray(0, len)) + "\n");
    if (session.config.verbosity > 0) session.io.out(ovsHexDump(out));
  });
}

async function parseOxm(session: OfctlSession, argv: string[]): Promise<void> {
  const version = versionFromString(argv[1]!);
  if (version < 3) throw new OfctlFatal(`${argv[1]}: not a valid version for OXM`);
  await parseNxmLines(session, true, version);
}

async function parseActionsLines(
  session: OfctlSession,
  versionText: string,
  instructions: boolean,
) {
  const version = versionFromString(versionText);
  if (!version) throw new OfctlFatal(`${versionText}: not a valid OpenFlow version`);
  for (const { line } of preprocessedLines(await session.io.readInput("-"))) {
    let actionsText = line;
    let tableId: string | undefined;
    const comma = line.indexOf(",");
    if (comma >= 0) {
      tableId = line.slice(0, comma);
      actionsText = line.slice(comma + 1);
    }
    const input = hexOrFatal(actionsText);
    let ofpacts;
    try {
      const r = new WireReader(input);
      ofpacts = instructions
        ? pullInstructions(r, input.length, version)
        : pullActions(r, input.length, version);
      if (instructions) {
        checkOfpactsConsistency(ofpacts, protocolsFromVersion(version), {
          match: new Match(),
          maxPorts: OFPP_MAX,
          tableId: tableId !== undefined ? atoi(tableId) : 0,
          nTables: 255,
        });
      }
    } catch (error) {
      if (!(error instanceof OfpError)) throw error;
      session.io.out(
        `bad ${versionText} ${instructions ? "instructions" : "actions"}: ${error.errorName}\n\n`,
      );
      continue;
    }
    session.io.out("actions=" + formatOfpacts(ofpacts, {}) + "\n");
    const w = new WireWriter();
    if (instructions) putInstructions(w, ofpacts, version);
    else putActions(w, ofpacts, version);
    session.io.out(differences("", input, w.finish()) + "\n");
  }
}

async function parseOfp10Match(session: OfctlSession): Promise<void> {
  for (const { line } of preprocessedLines(await session.io.readInput("-"))) {
    const expected = parseHex(line.replaceAll("x", "0"));
    if (expected.rest !== "") throw new OfctlFatal("Trailing garbage in hex data");
    if (expected.bytes.length !== OFP10_MATCH_LEN) {
      throw new OfctlFatal(`Input is ${expected.bytes.length} bytes, expected ${OFP10_MATCH_LEN}`);
    }
    // Don't-care nibbles get random values, to prove they are ignored.
    const randomized = line.replace(
      /x/g,
      () => "0123456789abcdef"[Math.floor(Math.random() * 16)]!,
    );
    const input = parseHex(randomized);
    if (input.rest !== "") throw new OfctlFatal("Trailing garbage in hex data");
    const match = matchFromOfp10(pullOfp10Match(new WireReader(input.bytes)));
    session.io.out(formatMatch(match, { priority: OFP_DEFAULT_PRIORITY }) + "\n");
    const out = new WireWriter();
    putOfp10Match(out, matchToOfp10(match));
    const encoded = out.finish();
    let text = differences("", expected.bytes, encoded);
    normalizeMatch(match);
    const normal = new WireWriter();
    putOfp10Match(normal, matchToOfp10(match));
    text += differences("normal: ", encoded, normal.finish());
    session.io.out(text + "\n");
  }
}

async function parseOfp11Match(session: OfctlSession): Promise<void> {
  for (const { line } of preprocessedLines(await session.io.readInput("-"))) {
    const input = hexOrFatal(line);
    if (input.length !== OFPMT11_STANDARD_LENGTH) {
      throw new OfctlFatal(`Input is ${input.length} bytes, expected ${OFPMT11_STANDARD_LENGTH}`);
    }
    let match: Match;
    try {
      match = matchFromOfp11(readOfp11Match(new WireReader(input)));
    } catch (error) {
      if (!(error instanceof OfpError)) throw error;
      session.io.out(`bad ofp11_match: ${error.errorName}\n\n`);
      continue;
    }
    session.io.out(formatMatch(match, { priority: OFP_DEFAULT_PRIORITY }) + "\n");
    const out = new WireWriter();
    writeOfp11Match(out, matchToOfp11(match));
    session.io.out(differences("", input, out.finish()) + "\n");
  }
}

function hex4(n: number): string {
  return (n & 0xffff).toString(16).padStart(4, "0");
}

/**
 * `check-vlan TCI MASK`: a VLAN match through text, NXM, OXM, OpenFlow 1.0 and 1.1 and back,
 * each step's result printed as upstream's test command prints it.
 */
function checkVlan(session: OfctlSession, argv: string[]): Promise<void> {
  const field = fieldByName("vlan_tci")!;
  const tciOf = (m: Match) => {
    const v = m.value(field);
    const k = m.maskOf(field);
    return { tci: (v[0]! << 8) | v[1]!, mask: (k[0]! << 8) | k[1]! };
  };
  const hexArg = (t: string) => (parseInt(t, 16) || 0) & 0xffff;
  const match = new Match();
  const tci = hexArg(argv[1]!);
  const mask = hexArg(argv[2]!);
  match.set(
    field,
    new Uint8Array([tci >> 8, tci & 0xff]),
    new Uint8Array([mask >> 8, mask & 0xff]),
  );
  const text = formatMatch(match, { priority: OFP_DEFAULT_PRIORITY });
  let out = `${text} -> `;
  const parsed = parseFlowText(text, FLOW_CMD_STATS).fm.match;
  const p = tciOf(parsed);
  out += `${hex4(p.tci)}/${hex4(p.mask)}\n`;

  const nxm = new WireWriter();
  const nxmLen = putNxMatch(nxm, match);
  const nxmBytes = nxm.finish();
  out += `NXM: ${nxMatchToString(nxmBytes.subarray(0, nxmLen))} -> `;
  try {
    const back = tciOf(pullNxMatch(new WireReader(nxmBytes), nxmLen));
    out += `${hex4(back.tci)}/${hex4(back.mask)}\n`;
  } catch (error) {
    if (!(error instanceof OfpError)) throw error;
    out += `${error.errorName}\n`;
  }

  const oxm = new WireWriter();
  const oxmLen = putOxmMatch(oxm, match, 3);
  const oxmBytes = oxm.finish();
  out += `OXM: ${nxMatchToString(oxmBytes.subarray(4, oxmLen))} -> `;
  try {
    const back = tciOf(pullOxmMatch(new WireReader(oxmBytes)));
    const vid = back.tci & 0x1fff;
    const vidMask = back.mask & 0x1fff;
    out += `${hex4(vid)}/${hex4(vidMask)},`;
    out += vid && back.mask >> 13 ? `${String(back.tci >> 13).padStart(2, "0")}\n` : "--\n";
  } catch (error) {
    if (!(error instanceof OfpError)) throw error;
    out += `${error.errorName}\n`;
  }

  const of10 = matchToOfp10(match);
  const from10 = tciOf(matchFromOfp10(of10));
  out += `OF1.0: ${hex4(of10.dlVlan)}/${(of10.wildcards & (1 << 1)) ? 1 : 0},${
    (of10.dlVlanPcp & 0xff).toString(16).padStart(2, "0")
  }/${(of10.wildcards & (1 << 20)) ? 1 : 0} -> ${hex4(from10.tci)}/${hex4(from10.mask)}\n`;

  const of11 = matchToOfp11(match);
  const from11 = tciOf(matchFromOfp11(of11));
  out += `OF1.1: ${hex4(of11.dlVlan)}/${(of11.wildcards & (1 << 1)) ? 1 : 0},${
    (of11.dlVlanPcp & 0xff).toString(16).padStart(2, "0")
  }/${(of11.wildcards & (1 << 2)) ? 1 : 0} -> ${hex4(from11.tci)}/${hex4(from11.mask)}\n`;
  session.io.out(out);
  return Promise.resolve();
}

/** `parse-packet`: the frame on standard input as ofp-print shows packet data. */
async function parsePacket(session: OfctlSession): Promise<void> {
  const data = await session.io.readInput("-");
  session.io.out(packetToString(data.subarray(0, 65535)));
}

function command(
  name: string,
  minArgs: number,
  maxArgs: number,
  run: (session: OfctlSession, argv: string[]) => Promise<void>,
): OfctlCommand {
  return { name, usage: undefined, minArgs, maxArgs, readOnly: false, run };
}

export const OFFLINE_COMMANDS: readonly OfctlCommand[] = [
  { name: "ofp-parse", usage: "file", minArgs: 1, maxArgs: 1, readOnly: false, run: ofpParse },
  command("parse-nx-match", 0, 0, (s) => parseNxmLines(s, false, 0)),
  command("parse-nxm", 0, 0, (s) => parseNxmLines(s, false, 0)),
  command("parse-oxm", 1, 1, parseOxm),
  command("parse-actions", 1, 1, (s, argv) => parseActionsLines(s, argv[1]!, false)),
  command("parse-instructions", 1, 1, (s, argv) => parseActionsLines(s, argv[1]!, true)),
  command("parse-ofp10-match", 0, 0, parseOfp10Match),
  command("parse-ofp11-match", 0, 0, parseOfp11Match),
  command("print-error", 1, 1, printError),
  command("encode-error-reply", 2, 2, encodeErrorReplyCommand),
  command("ofp-print", 1, 2, ofpPrint),
  command("encode-hello", 1, 1, encodeHelloCommand),
  command("parse-key-value", 1, MANY, parseKeyValueCommand),
  command("check-vlan", 2, 2, checkVlan),
  {
    name: "parse-packet",
    usage: undefined,
    minArgs: 0,
    maxArgs: 0,
    readOnly: true,
    run: parsePacket,
  },
];

export { parseCInt };
