// ovs-ofctl's meter commands (add-meter, mod-meter, del-meter(s), dump-meter(s), meter-stats,
// meter-features) and the Nicira table extensions beside them (add-tlv-map, del-tlv-map,
// ct-flush), as upstream's ovs-ofctl.c: parse first, then open the switch in a protocol the
// request can use, then send and wait on a barrier or print the replies.

import { OfpError } from "../errors.ts";
import { encodeCtFlush, newCtMatch, parseCtTuple } from "../msg/ct.ts";
import {
  encodeMeterMod,
  encodeMeterRequest,
  type MeterMod,
  type MeterRequestType,
  OFPM13_ALL,
  OFPMC13_ADD,
  OFPMC13_DELETE,
  OFPMC13_MODIFY,
  parseMeterMod,
} from "../msg/meter.ts";
import { allocXid } from "../msg/raw.ts";
import {
  encodeTlvTableMod,
  NXTTMC_ADD,
  NXTTMC_CLEAR,
  NXTTMC_DELETE,
  parseTlvTableMod,
} from "../msg/tlv_table.ts";
import { protocolToVersion } from "../msg/protocol.ts";
import { P_OF13_UP } from "../protocols.ts";
import { ParseError } from "../errors.ts";
import { OfctlFatal } from "./config.ts";
import type { OfctlCommand } from "./command.ts";
import type { OfctlSession } from "./session.ts";

async function meterMod(
  session: OfctlSession,
  bridge: string,
  text: string | undefined,
  command: number,
) {
  let mm: MeterMod;
  let usable: number;
  if (text !== undefined) {
    ({ mm, usable } = parseMeterMod(text, command));
  } else {
    usable = P_OF13_UP;
    mm = { command, meter: { meterId: OFPM13_ALL, flags: 0, bands: [] } };
  }
  const { vconn, protocol } = await session.openVconnForFlowMod(bridge, usable);
  await session.transactNoReply(
    vconn,
    encodeMeterMod(mm, protocolToVersion(protocol), allocXid()),
  );
  vconn.close();
}

async function meterRequest(
  session: OfctlSession,
  bridge: string,
  text: string | undefined,
  type: MeterRequestType,
) {
  let meterId = OFPM13_ALL;
  let usable = P_OF13_UP;
  if (text !== undefined) {
    const parsed = parseMeterMod(text, -1);
    meterId = parsed.mm.meter.meterId;
    usable = parsed.usable;
  }
  const { vconn, protocol } = await session.openVconnForFlowMod(bridge, usable);
  await session.dumpTransaction(
    vconn,
    encodeMeterRequest(protocolToVersion(protocol), type, meterId, allocXid()),
  );
  vconn.close();
}

async function tlvMod(session: OfctlSession, argv: string[], command: number): Promise<void> {
  const parsed = parseTlvTableMod(command, argv[2] ?? "");
  if ("error" in parsed) throw new ParseError(parsed.error);
  const { vconn, protocol } = await session.openVconnForFlowMod(argv[1]!, parsed.usable);
  await session.transactNoReply(
    vconn,
    encodeTlvTableMod(parsed.ttm, protocolToVersion(protocol), allocXid()),
  );
  vconn.close();
}

async function ctFlush(session: OfctlSession, argv: string[]): Promise<void> {
  let args = argv.length - 2;
  let zone: number | undefined;
  if (args && argv[2]!.startsWith("zone=")) {
    const m = /^zone=(\d+)/.exec(argv[2]!);
    if (!m || Number(m[1]) > 65535) throw new OfctlFatal("Failed to parse zone");
    zone = Number(m[1]);
    args--;
  }
  const match = newCtMatch();
  const state = { ipProto: match.ipProto, l3Type: match.l3Type };
  for (let i = 0; i < 2 && args; i++) {
    const arg = argv[argv.length - args]!;
    if (arg) {
      const error = parseCtTuple(i ? match.reply : match.orig, arg, state);
      if (error !== undefined) throw new OfctlFatal(`Failed to parse ct-tuple: ${error}`);
    }
    args--;
  }
  match.ipProto = state.ipProto;
  match.l3Type = state.l3Type;
  const { vconn } = await session.openVconn(argv[1]!);
  let message: Uint8Array;
  try {
    message = encodeCtFlush(match, zone, vconn.version, allocXid());
  } catch (error) {
    if (error instanceof OfpError) throw new OfctlFatal(error.message);
    throw error;
  }
  await session.transactNoReply(vconn, message);
  vconn.close();
}

const rw = (
  name: string,
  usage: string,
  minArgs: number,
  maxArgs: number,
  run: (s: OfctlSession, argv: string[]) => Promise<void>,
): OfctlCommand => ({ name, usage, minArgs, maxArgs, readOnly: false, run });

const ro = (
  name: string,
  usage: string,
  minArgs: number,
  maxArgs: number,
  run: (s: OfctlSession, argv: string[]) => Promise<void>,
): OfctlCommand => ({ name, usage, minArgs, maxArgs, readOnly: true, run });

export const METER_COMMANDS: readonly OfctlCommand[] = [
  rw("add-meter", "switch meter", 2, 2, (s, a) => meterMod(s, a[1]!, a[2], OFPMC13_ADD)),
  rw("mod-meter", "switch meter", 2, 2, (s, a) => meterMod(s, a[1]!, a[2], OFPMC13_MODIFY)),
  rw("del-meter", "switch meter", 1, 2, (s, a) => meterMod(s, a[1]!, a[2], OFPMC13_DELETE)),
  rw("del-meters", "switch", 1, 2, (s, a) => meterMod(s, a[1]!, a[2], OFPMC13_DELETE)),
  ro("dump-meter", "switch meter", 1, 2, (s, a) => meterRequest(s, a[1]!, a[2], "config")),
  ro("dump-meters", "switch", 1, 2, (s, a) => meterRequest(s, a[1]!, a[2], "config")),
  ro("meter-stats", "switch [meter]", 1, 2, (s, a) => meterRequest(s, a[1]!, a[2], "stats")),
  ro("meter-features", "switch", 1, 1, (s, a) => meterRequest(s, a[1]!, undefined, "features")),
  ro("ct-flush", "switch [zone=N] [ct-orig-tuple [ct-reply-tuple]]", 1, 4, ctFlush),
  ro("add-tlv-map", "switch map", 2, 2, (s, a) => tlvMod(s, a, NXTTMC_ADD)),
  ro(
    "del-tlv-map",
    "switch [map]",
    1,
    2,
    (s, a) => tlvMod(s, a, a.length > 2 ? NXTTMC_DELETE : NXTTMC_CLEAR),
  ),
];
