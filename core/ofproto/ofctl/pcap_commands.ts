// ovs-ofctl's packet commands: parse-pcap (the flow of each frame of pcap files), ofp-parse-pcap
// (OpenFlow messages reassembled from the TCP streams of a capture, upstream's tcp_reader) and
// compose-packet (a frame built from an exact flow). The flow text they print is ofproto/trace's
// flow_format, loaded only when one of them runs.

import { FLOW_WORDS } from "../../datapath/flow.ts";
import { extractFlow } from "../../datapath/flow_extract.ts";
import { composeFlow, DEFAULT_L7_LENGTH } from "../../datapath/flow_compose.ts";
import { Packet } from "../../datapath/packet.ts";
import {
  PcapError,
  pcapGlobalHeader,
  PcapReader,
  type PcapRecord,
  wallClockMicros,
} from "../../datapath/pcap.ts";
import { formatTime, vlogModule } from "../../net/vlog.ts";
import { ofpToString } from "../msg/print.ts";
import { OfctlExit, OfctlFatal } from "./config.ts";
import { MANY, type OfctlCommand } from "./command.ts";
import { errnoText, ovsHexDump } from "./offline_commands.ts";
import type { OfctlSession } from "./session.ts";
import { atoi } from "./switch_commands.ts";

const pcapLog = vlogModule("pcap");

/**
 * The flow text helpers of ofproto/trace, loaded only by the commands that print flows, so that
 * every other command starts without the translation modules. (A compiled binary has them
 * through ovs-vswitchd, which imports them.)
 */
interface FlowText {
  formatFlow(flow: Uint32Array): string;
  newXFlow(): Uint32Array;
  parseExactFlow(text: string): Uint32Array;
}

async function flowText(): Promise<FlowText> {
  // Computed specifiers: Deno loads every literal dynamic import when the program starts.
  const load = (file: string) => import(new URL(file, import.meta.url).href);
  const [format, xflow, trace] = await Promise.all([
    load("../xlate/trace_format.ts"),
    load("../xlate/xflow.ts"),
    load("../xlate/trace.ts"),
  ]);
  return {
    formatFlow: format.formatFlow,
    newXFlow: xflow.newXFlow,
    parseExactFlow: trace.parseExactFlow,
  };
}

/**
 * `parse-pcap FILE...`: the flow of every frame in each pcap file (in_port ANY), as upstream's
 * flow_print. A file that fails is reported and the exit status is its errno, as upstream's.
 */
async function parsePcap(session: OfctlSession, argv: string[]): Promise<void> {
  let status = 0;
  for (const name of argv.slice(1)) {
    let data: Uint8Array;
    try {
      data = await session.io.readInput(name);
    } catch (error) {
      status = error instanceof Deno.errors.NotFound ? 2 : 13;
      pcapLog.warn(`${name}: failed to open pcap file for reading (${errnoText(error)})`);
      session.io.err(`${session.config.program}: ${name}: open failed (${errnoText(error)})\n`);
      continue;
    }
    const { formatFlow, newXFlow } = await flowText();
    const reader = new PcapReader();
    reader.push(data);
    const packet = new Packet();
    const words = new Uint32Array(FLOW_WORDS);
    for (;;) {
      let record;
      try {
        record = reader.next();
      } catch (error) {
        if (!(error instanceof PcapError)) throw error;
        pcapLog.warn(error.message);
        status = 71;
        session.io.err(`${session.config.program}: ${name}: read failed (Protocol error)\n`);
        break;
      }
      if (!record) break;
      packet.setFrame(record.frame);
      packet.inPort = 0xffff;
      extractFlow(packet, words);
      const flow = newXFlow();
      flow.set(words);
      session.io.out(formatFlow(flow) + "\n");
    }
  }
  if (status) throw new OfctlExit(status);
}

/**
 * `compose-packet [--pcap] FLOW`: the frame flow_compose makes of an exact flow, in hex (or as a
 * pcap file on stdout), checked by extracting the flow back.
 */
async function composePacket(session: OfctlSession, argv: string[]): Promise<void> {
  const { formatFlow, newXFlow, parseExactFlow } = await flowText();
  if (session.config.pcap && session.config.stdoutIsTty) {
    throw new OfctlFatal(
      "not writing pcap data to stdout; redirect to a file or pipe to tcpdump instead (Operation not permitted)",
    );
  }
  if (argv.length > 2) {
    throw new OfctlFatal("compose-packet: an explicit L7 payload is not supported in this build");
  }
  let flow1: Uint32Array;
  try {
    flow1 = parseExactFlow(argv[1]!);
  } catch (error) {
    // parse_ofp_exact_flow's errors (xlate's TraceError) carry upstream's text.
    if (error instanceof Error && error.constructor.name === "TraceError") {
      throw new OfctlFatal(error.message);
    }
    throw error;
  }
  const packet = new Packet();
  packet.reset();
  composeFlow(packet, flow1, DEFAULT_L7_LENGTH);
  const frame = packet.frame().slice();
  if (session.config.pcap) {
    const record = new Uint8Array(16);
    const v = new DataView(record.buffer);
    const micros = wallClockMicros();
    const sec = Math.floor(micros / 1e6);
    v.setUint32(0, sec, true);
    v.setUint32(4, micros - sec * 1e6, true);
    v.setUint32(8, frame.length, true);
    v.setUint32(12, frame.length, true);
    session.io.outBytes(pcapGlobalHeader());
    session.io.outBytes(record);
    session.io.outBytes(frame);
  } else {
    session.io.out(ovsHexDump(frame));
  }
  const words = new Uint32Array(FLOW_WORDS);
  packet.setFrame(frame);
  extractFlow(packet, words);
  const flow2 = newXFlow();
  flow2.set(words);
  flow2[0] = 0xffff;
  if (flow1.some((w, i) => w !== flow2[i])) {
    const x1 = newXFlow();
    x1.set(flow1.subarray(0, x1.length));
    session.io.err(
      `specified and extracted flows differ:\nspecified: ${formatFlow(x1)}\nextracted: ${
        formatFlow(flow2)
      }`,
    );
    throw new OfctlExit(1);
  }
}

/** The TCP streams of a capture, reassembled in order as upstream's tcp_reader does. */
class TcpReader {
  readonly #streams = new Map<string, { seq: number; payload: Uint8Array }>();

  /** The stream's unread bytes when `frame` adds to it, else undefined. */
  run(seg: TcpSegment): { payload: Uint8Array; consume(n: number): void } | undefined {
    const key = seg.key;
    let stream = this.#streams.get(key);
    if (!stream) {
      if (!(seg.flags & TCP_SYN) && !seg.data.length) return undefined;
      stream = {
        seq: seg.flags & TCP_SYN ? (seg.seq + 1) >>> 0 : seg.seq,
        payload: new Uint8Array(),
      };
      this.#streams.set(key, stream);
    }
    if (seg.flags & TCP_SYN || !stream.seq) {
      stream.payload = new Uint8Array();
      stream.seq = (seg.seq + 1) >>> 0;
      return undefined;
    }
    if (seg.flags & (TCP_FIN | TCP_RST)) {
      this.#streams.delete(key);
      return undefined;
    }
    if (seg.seq !== stream.seq) return undefined;
    const joined = new Uint8Array(stream.payload.length + seg.data.length);
    joined.set(stream.payload);
    joined.set(seg.data, stream.payload.length);
    stream.payload = joined;
    stream.seq = (stream.seq + seg.data.length) >>> 0;
    const s = stream;
    return {
      get payload() {
        return s.payload;
      },
      consume(n) {
        s.payload = s.payload.subarray(n);
      },
    };
  }
}

const TCP_FIN = 0x01;
const TCP_SYN = 0x02;
const TCP_RST = 0x04;

interface TcpSegment {
  key: string;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  seq: number;
  flags: number;
  data: Uint8Array;
}

function ipText(b: Uint8Array, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

/** The TCP segment an IPv4 Ethernet frame carries (VLAN tags skipped), or undefined. */
function tcpSegment(frame: Uint8Array): TcpSegment | undefined {
  let at = 12;
  let type = (frame[at]! << 8) | frame[at + 1]!;
  while ((type === 0x8100 || type === 0x88a8) && frame.length >= at + 6) {
    at += 4;
    type = (frame[at]! << 8) | frame[at + 1]!;
  }
  at += 2;
  if (type !== 0x0800 || frame.length < at + 20) return undefined;
  const ihl = (frame[at]! & 0x0f) * 4;
  const totalLength = (frame[at + 2]! << 8) | frame[at + 3]!;
  if (ihl < 20 || totalLength < ihl || frame.length < at + totalLength) return undefined;
  if ((((frame[at + 6]! << 8) | frame[at + 7]!) & 0x1fff) !== 0) return undefined;
  if (frame[at + 9] !== 6) return undefined;
  const l4 = at + ihl;
  const end = at + totalLength;
  if (end - l4 < 20) return undefined;
  const tcpLength = (frame[l4 + 12]! >> 4) * 4;
  if (tcpLength < 20 || end - l4 < tcpLength) return undefined;
  const src = ipText(frame, at + 12);
  const dst = ipText(frame, at + 16);
  const srcPort = (frame[l4]! << 8) | frame[l4 + 1]!;
  const dstPort = (frame[l4 + 2]! << 8) | frame[l4 + 3]!;
  return {
    key: `${src}:${srcPort}>${dst}:${dstPort}`,
    src,
    dst,
    srcPort,
    dstPort,
    seq: ((frame[l4 + 4]! << 24) | (frame[l4 + 5]! << 16) | (frame[l4 + 6]! << 8) |
      frame[l4 + 7]!) >>> 0,
    flags: frame[l4 + 13]! & 0x3f,
    data: frame.subarray(l4 + tcpLength, end),
  };
}

/** `ofp-parse-pcap PCAP [PORT...]`: the OpenFlow messages of a capture's TCP streams. */
async function ofpParsePcap(session: OfctlSession, argv: string[]): Promise<void> {
  const name = argv[1]!;
  let data: Uint8Array;
  try {
    data = await session.io.readInput(name);
  } catch (error) {
    pcapLog.warn(`${name}: failed to open pcap file for reading (${errnoText(error)})`);
    throw new OfctlFatal(`${name}: open failed (${errnoText(error)})`);
  }
  const ports = argv.slice(2).map(atoi);
  const isOpenflowPort = (port: number) =>
    ports.length ? ports.includes(port) : port === 6653 || port === 6633;
  const reader = new PcapReader();
  reader.push(data);
  const tcp = new TcpReader();
  let first = true;
  let out = "";
  for (;;) {
    let record: PcapRecord | undefined;
    try {
      record = reader.next();
    } catch (error) {
      if (!(error instanceof PcapError)) throw error;
      pcapLog.warn(error.message);
      break;
    }
    if (!record) break;
    const seg = tcpSegment(record.frame);
    if (!seg || !(isOpenflowPort(seg.srcPort) || isOpenflowPort(seg.dstPort))) continue;
    const stream = tcp.run(seg);
    if (!stream) continue;
    while (stream.payload.length >= 8) {
      const length = (stream.payload[2]! << 8) | stream.payload[3]!;
      if (stream.payload.length < length || length < 8) break;
      if (!first) out += "\n";
      first = false;
      if (session.config.timestamp) {
        out += formatTime("%H:%M:%S.### ", new Date(record.when), true);
      }
      out += `${seg.src}.${seg.srcPort} > ${seg.dst}.${seg.dstPort}:\n`;
      out += ofpToString(stream.payload.slice(0, length), {
        verbosity: session.config.verbosity + 1,
      });
      stream.consume(length);
    }
  }
  session.io.out(out);
}

export const PCAP_COMMANDS: readonly OfctlCommand[] = [
  {
    name: "ofp-parse-pcap",
    usage: "pcap",
    minArgs: 1,
    maxArgs: MANY,
    readOnly: false,
    run: ofpParsePcap,
  },
  {
    name: "parse-pcap",
    usage: undefined,
    minArgs: 1,
    maxArgs: MANY,
    readOnly: false,
    run: parsePcap,
  },
  {
    name: "compose-packet",
    usage: undefined,
    minArgs: 1,
    maxArgs: 2,
    readOnly: true,
    run: composePacket,
  },
];
