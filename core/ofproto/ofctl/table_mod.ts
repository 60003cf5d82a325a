// `ovs-ofctl mod-table SWITCH TABLE SETTING` (upstream's parse_ofp_table_mod and ofctl_mod_table):
// table-miss behaviour (1.1/1.2), eviction and vacancy events (1.4+, keeping the settings not
// being changed by first reading the table description), and table names (1.3+, through a
// table features request that repeats every table, or one OFPTFC15_MODIFY in 1.5).

import { ParseError } from "../errors.ts";
import { OfpError } from "../errors.ts";
import { formatVersionBitmapNames } from "../msg/protocol.ts";
import { allocXid, multipartMore, pullRaw } from "../msg/raw.ts";
import { ofpToString } from "../msg/print.ts";
import {
  decodeTableFeatures,
  defaultTableMod,
  encodeTableFeaturesRequest,
  encodeTableMod,
  OFPTT_ALL,
  type TableFeatures,
  type TableMod,
} from "../msg/table.ts";
import { pullTableDesc, type TableDesc } from "../msg/table_stats.ts";
import { encodeEmpty } from "../msg/hello.ts";
import { WireReader } from "../wire.ts";
import type { Vconn } from "../vconn.ts";
import { messageXid } from "../vconn_wire.ts";
import { allowedVersions, OfctlExit, OfctlFatal } from "./config.ts";
import type { OfctlCommand } from "./command.ts";
import { type OfctlSession, run, type TableMap } from "./session.ts";
import { parseCInt } from "./switch_commands.ts";

const V11_12 = (1 << 2) | (1 << 3);
const V14_15 = (1 << 5) | (1 << 6);
const V13_15 = (1 << 4) | V14_15;
const MAX_TABLE_NAME = 32;

function tableFromText(text: string, map: TableMap | undefined): number | undefined {
  const n = parseCInt(text);
  if (n !== undefined) return n >= 0 && n <= 255 ? n : undefined;
  return map?.numberOf(text);
}

/** parse_ofp_table_vacancy: "vacancy:DOWN,UP". */
function parseVacancy(tm: TableMod, setting: string): void {
  const parts = setting.split(":").slice(1).join(":").split(",").filter((p) => p !== "");
  const down = parts[0];
  if (down === undefined) throw new ParseError("Vacancy down value missing");
  const d = parseCInt(down);
  if (d === undefined || d < 0 || d > 100) {
    throw new ParseError(`Invalid vacancy down value "${down}"`);
  }
  const up = parts[1];
  if (up === undefined) throw new ParseError("Vacancy up value missing");
  const u = parseCInt(up);
  if (u === undefined || u < 0 || u > 100) throw new ParseError(`Invalid vacancy up value "${up}"`);
  if (d > u) {
    throw new ParseError(
      "Invalid vacancy range, vacancy up should be greater than vacancy down (OFPBPC_BAD_VALUE)",
    );
  }
  tm.tableVacancy.vacancyDown = d;
  tm.tableVacancy.vacancyUp = u;
}

/** upstream's parse_ofp_table_mod: the table mod, a new name if renaming, usable versions. */
export function parseTableMod(
  tableText: string,
  setting: string,
  map: TableMap | undefined,
): { tm: TableMod; name: string | undefined; usableVersions: number } {
  let tableId: number;
  if (tableText.toLowerCase() === "all") tableId = OFPTT_ALL;
  else {
    const t = tableFromText(tableText, map);
    if (t === undefined) throw new ParseError(`unknown table "${tableText}"`);
    tableId = t;
  }
  const tm = defaultTableMod(tableId);
  let name: string | undefined;
  let usableVersions: number;
  const colon = setting.indexOf(":");
  const head = colon < 0 ? setting : setting.slice(0, colon);
  if (setting === "controller") {
    tm.miss = "controller";
    usableVersions = V11_12;
  } else if (setting === "continue") {
    tm.miss = "continue";
    usableVersions = V11_12;
  } else if (setting === "drop") {
    tm.miss = "drop";
    usableVersions = V11_12;
  } else if (setting === "evict") {
    tm.eviction = "on";
    usableVersions = V14_15;
  } else if (setting === "noevict") {
    tm.eviction = "off";
    usableVersions = V14_15;
  } else if ("vacancy".startsWith(head)) {
    // Upstream compares only up to the ':' (strncmp), so "v:..." and even "" count.
    tm.vacancy = "on";
    usableVersions = V14_15;
    parseVacancy(tm, setting);
  } else if (setting === "novacancy") {
    tm.vacancy = "off";
    usableVersions = V14_15;
  } else if (tableId !== OFPTT_ALL && setting.startsWith("name:")) {
    name = setting.slice(5);
    usableVersions = V13_15;
  } else {
    throw new ParseError(`invalid table_mod setting ${setting}`);
  }
  if (tableId === 0xfe && tm.miss === "continue") {
    throw new ParseError("last table's flow miss handling can not be continue");
  }
  return { tm, name, usableVersions };
}

/** The table description of `tm.tableId`, to keep what mod-table does not change. */
async function fetchTableDesc(session: OfctlSession, vconn: Vconn, tm: TableMod): Promise<void> {
  const request = encodeEmpty("OFPST14_TABLE_DESC_REQUEST", vconn.version, allocXid());
  const xid = messageXid(request);
  await run(vconn.sendBlock(request), "failed to send packet to switch");
  let td: TableDesc | undefined;
  let found = false;
  for (let done = false; !done;) {
    const reply = await run(vconn.recv(), "OpenFlow packet receive failed");
    if (messageXid(reply) !== xid) continue;
    let raw;
    try {
      raw = pullRaw(reply);
      if (raw.info.type !== "TABLE_DESC_REPLY") throw new OfpError("OFPBRC_BAD_TYPE");
    } catch (error) {
      if (!(error instanceof OfpError)) throw error;
      throw new OfctlFatal(
        `received bad reply: ${ofpToString(reply, { verbosity: session.config.verbosity + 1 })}`,
      );
    }
    done = !multipartMore(reply);
    if (found) continue;
    const r = new WireReader(reply, raw.bodyOffset);
    try {
      for (let next = pullTableDesc(r, raw.version); next; next = pullTableDesc(r, raw.version)) {
        td = next;
        if (next.tableId === tm.tableId) {
          found = true;
          break;
        }
      }
    } catch (error) {
      if (!(error instanceof OfpError)) throw error;
    }
  }
  if (!td) return;
  if (tm.eviction !== "default") {
    tm.vacancy = td.vacancy;
    tm.tableVacancy.vacancyDown = td.tableVacancy.vacancyDown;
    tm.tableVacancy.vacancyUp = td.tableVacancy.vacancyUp;
  } else if (tm.vacancy !== "default") {
    tm.eviction = td.eviction;
    tm.evictionFlags = td.evictionFlags;
  }
}

/** Every table's features, then the request that renames `tableId` (change_table_name). */
async function changeTableName(
  session: OfctlSession,
  vconn: Vconn,
  tableId: number,
  newName: string,
): Promise<void> {
  const version = vconn.version;
  const request = encodeTableFeaturesRequest(version, allocXid());
  const xid = messageXid(request);
  await run(vconn.sendBlock(request), "failed to send packet to switch");
  const tables = new Map<number, TableFeatures>();
  for (let more = true; more;) {
    let reply: Uint8Array;
    do reply = await run(vconn.recv(), "OpenFlow receive failed"); while (
      messageXid(reply) !== xid
    );
    try {
      if (pullRaw(reply).info.type !== "TABLE_FEATURES_STATS_REPLY") {
        throw new OfpError("OFPBRC_BAD_TYPE");
      }
      for (const tf of decodeTableFeatures(reply)) tables.set(tf.tableId, tf);
    } catch (error) {
      if (!(error instanceof OfpError)) throw error;
      throw new OfctlFatal(
        `received bad reply: ${ofpToString(reply, { verbosity: session.config.verbosity + 1 })}`,
      );
    }
    more = multipartMore(reply);
  }
  const table = tables.get(tableId);
  if (!table) throw new OfctlFatal(`switch does not have table ${tableId}`);
  table.name = new TextDecoder().decode(
    new TextEncoder().encode(newName).subarray(0, MAX_TABLE_NAME - 1),
  );
  let changes: TableFeatures[];
  if (version >= 6) {
    table.command = "modify";
    table.anyProperties = false;
    changes = [table];
  } else {
    changes = [...tables.keys()].sort((a, b) => a - b).map((id) => tables.get(id)!);
  }
  const requests = splitTableFeatures(version, changes);
  const replies = await run(vconn.transactMultipart(requests), `talking to ${vconn.name}`);
  for (const reply of replies) {
    let type: string;
    try {
      type = pullRaw(reply).info.type;
    } catch (error) {
      if (!(error instanceof OfpError)) throw error;
      throw new OfctlFatal(`decode error: ${error.errorName}`);
    }
    if (type === "ERROR") {
      session.io.err(ofpToString(reply, { verbosity: session.config.verbosity + 1 }));
      throw new OfctlExit(1);
    }
  }
}

/** Table features requests carrying `features`, split at 64 kB with "more" on all but the last. */
function splitTableFeatures(version: number, features: readonly TableFeatures[]): Uint8Array[] {
  const HEADER = 16;
  const xid = allocXid();
  const bodies = features.map((tf) =>
    encodeTableFeaturesRequest(version, xid, [tf]).subarray(HEADER)
  );
  const messages: Uint8Array[] = [];
  let current: Uint8Array[] = [];
  let size = HEADER;
  const flush = () => {
    const head = encodeTableFeaturesRequest(version, xid).subarray(0, HEADER);
    const message = new Uint8Array(size);
    message.set(head);
    let at = HEADER;
    for (const body of current) {
      message.set(body, at);
      at += body.length;
    }
    message[2] = size >> 8;
    message[3] = size & 0xff;
    messages.push(message);
    current = [];
    size = HEADER;
  };
  for (const body of bodies) {
    if (size + body.length > 0xffff && current.length) flush();
    current.push(body);
    size += body.length;
  }
  flush();
  for (const message of messages.slice(0, -1)) message[11] = message[11]! | 1;
  return messages;
}

async function modTable(session: OfctlSession, argv: string[]): Promise<void> {
  const tableMap = await session.tablesToAccept(argv[1]!);
  const { tm, name, usableVersions } = parseTableMod(argv[2]!, argv[3]!, tableMap);
  const allowed = allowedVersions(session.config);
  if (!(allowed & usableVersions)) {
    throw new OfctlFatal(
      `table_mod '${argv[3]}' requires one of the OpenFlow versions ${
        formatVersionBitmapNames(usableVersions)
      }`,
    );
  }
  session.config.allowedVersions = allowed & usableVersions;
  const { vconn } = await session.openVconn(argv[1]!);
  if (name !== undefined) {
    await changeTableName(session, vconn, tm.tableId, name);
  } else if (allowed & V14_15) {
    if (tm.tableId === OFPTT_ALL) {
      for (let i = 0; i < 0xfe; i++) {
        tm.tableId = i;
        await fetchTableDesc(session, vconn, tm);
        await session.transactNoReply(vconn, encodeTableMod(tm, vconn.version, allocXid()));
      }
    } else {
      await fetchTableDesc(session, vconn, tm);
      await session.transactNoReply(vconn, encodeTableMod(tm, vconn.version, allocXid()));
    }
  } else {
    await session.transactNoReply(vconn, encodeTableMod(tm, vconn.version, allocXid()));
  }
  vconn.close();
}

export const TABLE_MOD_COMMANDS: readonly OfctlCommand[] = [
  {
    name: "mod-table",
    usage: "switch mod",
    minArgs: 3,
    maxArgs: 3,
    readOnly: false,
    run: modTable,
  },
];
