// ovs-ofctl's commands that read or set a switch's own state: show, dump-desc, dump-tables,
// dump-table-features, dump-table-desc, dump-ports, dump-ports-desc, mod-port, get-frags,
// set-frags, queue-stats, queue-get-config, probe, ping, benchmark and the small Nicira
// extensions (IPFIX statistics, conntrack flush, TLV map dump). Each follows upstream's
// ovs-ofctl.c step for step, including when it opens extra connections, because that decides the
// xids it prints.

import { OfpError } from "../errors.ts";
import { allocXid, finishMessage, multipartMore, pullRaw, startMessage } from "../msg/raw.ts";
import { encodeEchoRequest, encodeEmpty } from "../msg/hello.ts";
import { featuresReplyHasPorts, fragFromString, type FragHandling } from "../msg/switch.ts";
import { encodePortDescRequest, encodePortMod, type PhyPort, type PortMod } from "../msg/port.ts";
import { encodePortStatsRequest } from "../msg/port_stats.ts";
import { encodeQueueGetConfigRequest, encodeQueueStatsRequest, OFPQ_ALL } from "../msg/queue.ts";
import { ofpToString } from "../msg/print.ts";
import {
  decodeTableFeatures,
  encodeTableFeaturesRequest,
  type TableFeatures,
} from "../msg/table.ts";
import {
  formatTableFeatures,
  formatTableFeaturesFinish,
  newDittoState,
} from "../msg/table_text.ts";
import { OFPP_ANY, OFPP_MAX, OFPP_NONE } from "../port_text.ts";
import { messageXid } from "../vconn_wire.ts";
import { OfctlFatal } from "./config.ts";
import type { OfctlCommand } from "./command.ts";
import { type OfctlSession, run } from "./session.ts";

const OFP14 = 0x05;

async function show(session: OfctlSession, argv: string[]): Promise<void> {
  const name = argv[1]!;
  const { vconn } = await session.openVconn(name);
  const version = vconn.version;
  const request = encodeEmpty("OFPT_FEATURES_REQUEST", version, allocXid());
  const reply = await run(vconn.transact(request), `talking to ${name}`);
  const hasPorts = featuresReplyHasPorts(reply);
  session.io.out(ofpToString(reply, { verbosity: session.config.verbosity + 1 }));
  if (!hasPorts) {
    await session.dumpTransaction(vconn, encodePortDescRequest(version, OFPP_ANY, allocXid()));
  }
  await session.dumpTrivialTransaction(name, "OFPT_GET_CONFIG_REQUEST");
  vconn.close();
}

function trivial(raw: string) {
  return (session: OfctlSession, argv: string[]) => session.dumpTrivialTransaction(argv[1]!, raw);
}

async function dumpTableFeatures(session: OfctlSession, argv: string[]): Promise<void> {
  const { vconn } = await session.openVconn(argv[1]!);
  let request: Uint8Array;
  try {
    request = encodeTableFeaturesRequest(vconn.version, allocXid());
  } catch (error) {
    if (error instanceof TypeError) throw new OfctlFatal(error.message);
    throw error;
  }
  const xid = messageXid(request);
  await run(vconn.sendBlock(request), "failed to send packet to switch");
  const ditto = newDittoState();
  let prev: TableFeatures | undefined;
  let text = "";
  for (let done = false; !done;) {
    const reply = await run(vconn.recv(), "OpenFlow packet receive failed");
    if (messageXid(reply) !== xid) continue;
    let type: string;
    try {
      type = pullRaw(reply).info.type;
    } catch (error) {
      if (!(error instanceof OfpError)) throw error;
      throw new OfctlFatal(`decode error: ${error.errorName}`);
    }
    if (type === "ERROR") {
      session.io.out(ofpToString(reply, { verbosity: session.config.verbosity + 1 }));
      done = true;
    } else if (type === "TABLE_FEATURES_STATS_REPLY") {
      done = !multipartMore(reply);
      let tables: TableFeatures[];
      try {
        tables = decodeTableFeatures(reply);
      } catch (error) {
        if (!(error instanceof OfpError)) throw error;
        throw new OfctlFatal(`decode error: ${error.errorName}`);
      }
      for (const tf of tables) {
        text += formatTableFeatures(tf, prev, undefined, undefined, ditto);
        prev = tf;
      }
    } else {
      throw new OfctlFatal(
        `received bad reply: ${
          ofpToString(reply, await session.showOptions(argv[1]!, session.config.verbosity + 1))
        }`,
      );
    }
  }
  text += formatTableFeaturesFinish(ditto);
  session.io.out((text.startsWith("\n") ? text.slice(1) : text) + "\n");
  vconn.close();
}

async function dumpTableDesc(session: OfctlSession, argv: string[]): Promise<void> {
  const { vconn } = await session.openVconn(argv[1]!);
  if (vconn.version < OFP14) {
    throw new OfctlFatal("dump-table-desc needs OpenFlow 1.4 or later ('-O OpenFlow14')");
  }
  await session.dumpTransaction(
    vconn,
    encodeEmpty("OFPST14_TABLE_DESC_REQUEST", vconn.version, allocXid()),
  );
  vconn.close();
}

async function dumpPorts(session: OfctlSession, argv: string[]): Promise<void> {
  const { vconn } = await session.openVconn(argv[1]!);
  const port = argv.length > 2 ? await session.portNumber(argv[1]!, argv[2]!) : OFPP_ANY;
  await session.dumpTransaction(vconn, encodePortStatsRequest(vconn.version, port, allocXid()));
  vconn.close();
}

async function dumpPortsDesc(session: OfctlSession, argv: string[]): Promise<void> {
  const { vconn } = await session.openVconn(argv[1]!);
  const port = argv.length > 2 ? await session.portNumber(argv[1]!, argv[2]!) : OFPP_ANY;
  await session.dumpTransaction(vconn, encodePortDescRequest(vconn.version, port, allocXid()));
  vconn.close();
}

/** A port number as upstream's str_to_uint takes it, or undefined. */
function portNumberText(text: string): number | undefined {
  if (!/^[+-]?\d+$/.test(text.trim())) return undefined;
  const n = Number(text.trim());
  return n >= 0 && n <= 0xffffffff ? n & 0xffff : undefined;
}

/** The description of port `portName` (a name or number) on `vconnName`. */
async function fetchPort(
  session: OfctlSession,
  vconnName: string,
  portName: string,
): Promise<PhyPort> {
  const number = portNumberText(portName) ?? OFPP_NONE;
  const { vconn } = await session.openVconn(vconnName);
  let found: PhyPort | undefined;
  for await (const port of session.ports(vconn)) {
    if (found) continue; // drain the rest of the replies, as upstream's iterator does
    if (number !== OFPP_NONE ? port.portNo === number : port.name === portName) found = port;
  }
  vconn.close();
  if (!found) throw new OfctlFatal(`${vconnName}: couldn't find port \`${portName}'`);
  return found;
}

const PORT_FLAGS: readonly [string, number, boolean][] = [
  ["up", 1 << 0, false],
  ["down", 1 << 0, true],
  ["stp", 1 << 1, false],
  ["receive", 1 << 2, false],
  ["receive-stp", 1 << 3, false],
  ["flood", 1 << 4, false],
  ["forward", 1 << 5, false],
  ["packet-in", 1 << 6, false],
];

async function modPort(session: OfctlSession, argv: string[]): Promise<void> {
  const pp = await fetchPort(session, argv[1]!, argv[2]!);
  const pm: PortMod = { portNo: pp.portNo, hwAddr: pp.hwAddr, config: 0, mask: 0, advertise: 0 };
  const action = argv[3]!;
  let command = action;
  let not = false;
  if (action.toLowerCase().startsWith("no-")) {
    command = action.slice(3);
    not = true;
  } else if (action.toLowerCase().startsWith("no")) {
    command = action.slice(2);
    not = true;
  }
  const flag = PORT_FLAGS.find(([name]) => name === command.toLowerCase());
  if (!flag) throw new OfctlFatal(`unknown mod-port command '${action}'`);
  pm.mask = flag[1];
  pm.config = flag[2] !== not ? flag[1] : 0;
  const { vconn } = await session.openVconn(argv[1]!);
  await session.transactNoReply(vconn, encodePortMod(pm, vconn.version, allocXid()));
  vconn.close();
}

async function getFrags(session: OfctlSession, argv: string[]): Promise<void> {
  const { vconn } = await session.openVconn(argv[1]!);
  const config = await session.fetchSwitchConfig(vconn);
  session.io.out(config.frag + "\n");
  vconn.close();
}

async function setFrags(session: OfctlSession, argv: string[]): Promise<void> {
  const frag: FragHandling | undefined = fragFromString(argv[2]!);
  if (!frag) throw new OfctlFatal(`${argv[2]}: unknown fragment handling mode`);
  const { vconn } = await session.openVconn(argv[1]!);
  let config = await session.fetchSwitchConfig(vconn);
  if (frag !== config.frag) {
    config.frag = frag;
    await session.setSwitchConfig(vconn, config);
    config = await session.fetchSwitchConfig(vconn);
    if (frag !== config.frag) {
      throw new OfctlFatal(
        `${
          argv[1]
        }: setting fragment handling mode failed (this switch probably doesn't support mode "${frag}")`,
      );
    }
  }
  vconn.close();
}

/** C's atoi: leading digits, 0 when there are none. */
export function atoi(text: string): number {
  const match = /^\s*([+-]?\d+)/.exec(text);
  return match ? Number(match[1]) | 0 : 0;
}

function isAll(text: string | undefined): boolean {
  return text === undefined || text === "" || text.toLowerCase() === "all";
}

async function queueStats(session: OfctlSession, argv: string[]): Promise<void> {
  const { vconn } = await session.openVconn(argv[1]!);
  const port = isAll(argv[2]) ? OFPP_ANY : await session.portNumber(argv[1]!, argv[2]!);
  const queue = isAll(argv[3]) ? OFPQ_ALL : atoi(argv[3]!) >>> 0;
  await session.dumpTransaction(
    vconn,
    encodeQueueStatsRequest(vconn.version, { port, queue }, allocXid()),
  );
  vconn.close();
}

async function queueGetConfig(session: OfctlSession, argv: string[]): Promise<void> {
  const name = argv[1]!;
  const port = await session.portNumber(name, argv[2] ?? "any");
  const queueName = argv[3] ?? "all";
  const queue = queueName.toLowerCase() === "all" ? OFPQ_ALL : atoi(queueName) >>> 0;
  const { vconn } = await session.openVconn(name);
  const version = vconn.version;
  if (port === OFPP_ANY && version === 0x01) {
    // OpenFlow 1.0 asks port by port; a second connection carries the questions.
    const { vconn: vconn2 } = await session.openVconn(name);
    for await (const pp of session.ports(vconn)) {
      if (pp.portNo < OFPP_MAX) {
        await session.dumpTransaction(
          vconn2,
          encodeQueueGetConfigRequest(vconn2.version, pp.portNo, queue, allocXid()),
        );
      }
    }
    vconn2.close();
  } else {
    await session.dumpTransaction(
      vconn,
      encodeQueueGetConfigRequest(version, port, queue, allocXid()),
    );
  }
  vconn.close();
}

async function probe(session: OfctlSession, argv: string[]): Promise<void> {
  const { vconn } = await session.openVconn(argv[1]!);
  const reply = await run(
    vconn.transact(encodeEchoRequest(vconn.version, 0)),
    `talking to ${argv[1]}`,
  );
  if (reply.length !== 8) throw new OfctlFatal("reply does not match request");
  vconn.close();
}

const MAX_PAYLOAD = 65535 - 8;

async function ping(session: OfctlSession, argv: string[]): Promise<void> {
  const payload = argv.length > 2 ? atoi(argv[2]!) >>> 0 : 64;
  if (payload > MAX_PAYLOAD) {
    throw new OfctlFatal(`payload must be between 0 and ${MAX_PAYLOAD} bytes`);
  }
  const { vconn } = await session.openVconn(argv[1]!);
  for (let i = 0; i < 10; i++) {
    const body = crypto.getRandomValues(new Uint8Array(payload));
    const request = encodeEchoRequest(vconn.version, allocXid(), body);
    const start = performance.now();
    const reply = await run(vconn.transact(request.slice()), "transact");
    const elapsed = performance.now() - start;
    let ok = false;
    try {
      const raw = pullRaw(reply);
      const replyBody = reply.subarray(raw.bodyOffset);
      ok = raw.info.type === "ECHO_REPLY" && replyBody.length === payload &&
        replyBody.every((b, j) => b === body[j]);
    } catch (error) {
      if (!(error instanceof OfpError)) throw error;
    }
    if (!ok) {
      const verbosity = session.config.verbosity + 2;
      session.io.out("Reply does not match request.  Request:\n");
      session.io.out(ofpToString(request, { verbosity }));
      session.io.out("Reply:\n");
      session.io.out(ofpToString(reply, { verbosity }));
    }
    session.io.out(
      `${reply.length - 8} bytes from ${argv[1]}: xid=${
        messageXid(reply).toString(16).padStart(8, "0")
      } time=${elapsed.toFixed(1)} ms\n`,
    );
  }
  vconn.close();
}

async function benchmark(session: OfctlSession, argv: string[]): Promise<void> {
  const payload = atoi(argv[2]!) >>> 0;
  if (payload > MAX_PAYLOAD) {
    throw new OfctlFatal(`payload must be between 0 and ${MAX_PAYLOAD} bytes`);
  }
  const size = 8 + payload;
  const count = atoi(argv[3]!);
  session.io.out(
    `Sending ${count} packets * ${size} bytes (with header) = ${
      (count * size) >>> 0
    } bytes total\n`,
  );
  const { vconn } = await session.openVconn(argv[1]!);
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const request = encodeEchoRequest(vconn.version, allocXid(), new Uint8Array(payload));
    await run(vconn.transact(request), "transact");
  }
  const duration = performance.now() - start;
  vconn.close();
  session.io.out(
    `Finished in ${duration.toFixed(1)} ms (${(count / (duration / 1000)).toFixed(0)} packets/s) (${
      (count * size / (duration / 1000)).toFixed(0)
    } bytes/s)\n`,
  );
}

async function ctFlushZone(session: OfctlSession, argv: string[]): Promise<void> {
  const text = argv[2]!;
  const zone = parseCInt(text);
  if (zone === undefined || zone < 0 || zone > 65535) {
    throw new OfctlFatal(`invalid zone_id "${text}"`);
  }
  const { vconn } = await session.openVconn(argv[1]!);
  const w = startMessage("NXT_CT_FLUSH_ZONE", vconn.version, allocXid());
  w.zeros(6).u16(zone);
  await session.transactNoReply(vconn, finishMessage(w));
  vconn.close();
}

/** C's strtol with base 0 over the whole string (str_to_int), or undefined. */
export function parseCInt(text: string): number | undefined {
  const t = text.trim();
  let match = /^([+-]?)0[xX]([0-9a-fA-F]+)$/.exec(t);
  if (match) return (match[1] === "-" ? -1 : 1) * parseInt(match[2]!, 16);
  match = /^([+-]?)0([0-7]*)$/.exec(t);
  if (match) return (match[1] === "-" ? -1 : 1) * (match[2] ? parseInt(match[2], 8) : 0);
  match = /^[+-]?[1-9]\d*$/.exec(t);
  return match ? Number(t) : undefined;
}

export const SWITCH_COMMANDS: readonly OfctlCommand[] = [
  { name: "show", usage: "switch", minArgs: 1, maxArgs: 1, readOnly: true, run: show },
  {
    name: "dump-desc",
    usage: "switch",
    minArgs: 1,
    maxArgs: 1,
    readOnly: true,
    run: trivial("OFPST_DESC_REQUEST"),
  },
  {
    name: "dump-tables",
    usage: "switch",
    minArgs: 1,
    maxArgs: 1,
    readOnly: true,
    run: trivial("OFPST_TABLE_REQUEST"),
  },
  {
    name: "dump-table-features",
    usage: "switch",
    minArgs: 1,
    maxArgs: 1,
    readOnly: true,
    run: dumpTableFeatures,
  },
  {
    name: "dump-table-desc",
    usage: "switch",
    minArgs: 1,
    maxArgs: 1,
    readOnly: true,
    run: dumpTableDesc,
  },
  {
    name: "queue-stats",
    usage: "switch [port [queue]]",
    minArgs: 1,
    maxArgs: 3,
    readOnly: true,
    run: queueStats,
  },
  {
    name: "queue-get-config",
    usage: "switch [port [queue]]",
    minArgs: 1,
    maxArgs: 3,
    readOnly: true,
    run: queueGetConfig,
  },
  {
    name: "dump-ports",
    usage: "switch [port]",
    minArgs: 1,
    maxArgs: 2,
    readOnly: true,
    run: dumpPorts,
  },
  {
    name: "dump-ports-desc",
    usage: "switch [port]",
    minArgs: 1,
    maxArgs: 2,
    readOnly: true,
    run: dumpPortsDesc,
  },
  {
    name: "mod-port",
    usage: "switch iface act",
    minArgs: 3,
    maxArgs: 3,
    readOnly: false,
    run: modPort,
  },
  { name: "get-frags", usage: "switch", minArgs: 1, maxArgs: 1, readOnly: true, run: getFrags },
  {
    name: "set-frags",
    usage: "switch frag_mode",
    minArgs: 2,
    maxArgs: 2,
    readOnly: false,
    run: setFrags,
  },
  { name: "probe", usage: "target", minArgs: 1, maxArgs: 1, readOnly: true, run: probe },
  { name: "ping", usage: "target [n]", minArgs: 1, maxArgs: 2, readOnly: true, run: ping },
  {
    name: "benchmark",
    usage: "target n count",
    minArgs: 3,
    maxArgs: 3,
    readOnly: true,
    run: benchmark,
  },
  {
    name: "dump-ipfix-bridge",
    usage: "switch",
    minArgs: 1,
    maxArgs: 1,
    readOnly: true,
    run: trivial("NXST_IPFIX_BRIDGE_REQUEST"),
  },
  {
    name: "dump-ipfix-flow",
    usage: "switch",
    minArgs: 1,
    maxArgs: 1,
    readOnly: true,
    run: trivial("NXST_IPFIX_FLOW_REQUEST"),
  },
  {
    name: "ct-flush-zone",
    usage: "switch zone",
    minArgs: 2,
    maxArgs: 2,
    readOnly: true,
    run: ctFlushZone,
  },
  {
    name: "dump-tlv-map",
    usage: "switch",
    minArgs: 1,
    maxArgs: 1,
    readOnly: true,
    run: trivial("NXT_TLV_TABLE_REQUEST"),
  },
];
