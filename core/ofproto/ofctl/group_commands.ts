// ovs-ofctl's group commands (add-group, add-groups, mod-group, del-groups, insert-buckets,
// remove-buckets, dump-groups, dump-group-stats, dump-group-features) and parse-group, as
// upstream's ovs-ofctl.c: parse with the name maps, open in a protocol the group mod can use,
// send each with its own barrier (or all in one bundle with --bundle).

import { vlogModule } from "../../net/vlog.ts";
import {
  encodeGroupMod,
  type GroupMod,
  OFPGC11_ADD,
  OFPGC11_ADD_OR_MOD,
  OFPGC11_DELETE,
  OFPGC11_MODIFY,
  OFPGC15_INSERT_BUCKET,
  OFPGC15_REMOVE_BUCKET,
} from "../msg/group.ts";
import {
  encodeGroupDescRequest,
  encodeGroupFeaturesRequest,
  encodeGroupStatsRequest,
  OFPG_ALL,
} from "../msg/group_stats.ts";
import {
  formatParseGroup,
  GROUP_CMD_ANY,
  parseGroupModFile,
  parseGroupModStr,
} from "../msg/group_text.ts";
import { groupFromString } from "../msg/flow_text.ts";
import { OFPBF_ATOMIC, OFPBF_ORDERED } from "../msg/bundle.ts";
import { protocolToVersion } from "../msg/protocol.ts";
import { allocXid } from "../msg/raw.ts";
import { P_OF13_UP, type Protocols } from "../protocols.ts";
import { bundleTransact } from "./bundle.ts";
import { OfctlFatal } from "./config.ts";
import type { OfctlCommand } from "./command.ts";
import { readFlowFile } from "./flow_commands.ts";
import { encodeOrDie, type OfctlSession } from "./session.ts";

const groupLog = vlogModule("ofp_group");

async function groupModsToSwitch(
  session: OfctlSession,
  remote: string,
  gms: readonly GroupMod[],
  usable: Protocols,
): Promise<void> {
  if (session.config.bundle) {
    const { vconn, protocol } = await session.openVconnForFlowMod(remote, usable & P_OF13_UP);
    const version = protocolToVersion(protocol);
    const requests = gms.map((gm) => encodeOrDie(() => encodeGroupMod(gm, version, allocXid())));
    await bundleTransact(session, vconn, requests, OFPBF_ORDERED | OFPBF_ATOMIC);
    vconn.close();
    return;
  }
  const { vconn, protocol } = await session.openVconnForFlowMod(remote, usable);
  const version = protocolToVersion(protocol);
  for (const gm of gms) {
    await session.transactNoReply(
      vconn,
      encodeOrDie(() => encodeGroupMod(gm, version, allocXid())),
    );
  }
  vconn.close();
}

async function groupModFile(session: OfctlSession, argv: string[], command: number) {
  const name = argv[1]!;
  const portMap = await session.portsToAccept(name);
  const tableMap = await session.tablesToAccept(name);
  const contents = await readFlowFile(session, argv[2]!);
  const { gms, usable } = parseGroupModFile(
    contents,
    argv[2]!,
    command === OFPGC11_ADD ? GROUP_CMD_ANY : command,
    { portMap, tableMap },
  );
  await groupModsToSwitch(session, name, gms, usable);
}

async function groupMod(session: OfctlSession, argv: string[], command: number): Promise<void> {
  if (argv.length > 2 && argv[2] === "-") return await groupModFile(session, argv, command);
  const name = argv[1]!;
  const portMap = await session.portsToAccept(name);
  const tableMap = await session.tablesToAccept(name);
  const { gm, usable } = parseGroupModStr(argv[2] ?? "", command, { portMap, tableMap });
  await groupModsToSwitch(session, name, [gm], usable);
}

async function dumpGroupStats(session: OfctlSession, argv: string[]): Promise<void> {
  const name = argv[1]!;
  const portMap = await session.portsToAccept(name);
  const tableMap = await session.tablesToAccept(name);
  const { gm } = parseGroupModStr(argv[2] ?? "", OFPGC11_DELETE, { portMap, tableMap });
  const { vconn } = await session.openVconn(name);
  await session.dumpTransaction(
    vconn,
    encodeGroupStatsRequest(vconn.version, gm.groupId, allocXid()),
  );
  vconn.close();
}

async function dumpGroups(session: OfctlSession, argv: string[]): Promise<void> {
  const { vconn } = await session.openVconn(argv[1]!);
  let groupId = OFPG_ALL;
  if (argv.length >= 3) {
    const parsed = groupFromString(argv[2]!);
    if (parsed === undefined) {
      groupLog.warn(
        `${
          argv[2]
        } is not a valid group ID.  (Valid group IDs are 32-bit nonnegative integers or the keywords ANY or ALL.)`,
      );
    } else groupId = parsed;
  }
  await session.dumpTransaction(vconn, encodeGroupDescRequest(vconn.version, groupId, allocXid()));
  vconn.close();
}

async function dumpGroupFeatures(session: OfctlSession, argv: string[]): Promise<void> {
  const { vconn } = await session.openVconn(argv[1]!);
  await session.dumpTransaction(vconn, encodeGroupFeaturesRequest(vconn.version, allocXid()));
  vconn.close();
}

function parseGroup(session: OfctlSession, argv: string[]): Promise<void> {
  const { gm, usable } = parseGroupModStr(argv[1]!, OFPGC11_ADD);
  const result = formatParseGroup(
    gm,
    usable,
    session.config.allowedProtocols,
    session.config.verbosity,
  );
  session.io.out(result.stdout);
  if (result.fatal) throw new OfctlFatal(result.fatal);
  return Promise.resolve();
}

const rw = (
  name: string,
  usage: string | undefined,
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

export const GROUP_COMMANDS: readonly OfctlCommand[] = [
  rw("add-group", "switch group", 1, 2, (s, a) => groupMod(s, a, OFPGC11_ADD)),
  rw("add-groups", "switch file", 2, 2, (s, a) => groupModFile(s, a, OFPGC11_ADD)),
  rw(
    "mod-group",
    "switch group",
    1,
    2,
    (s, a) => groupMod(s, a, s.config.mayCreate ? OFPGC11_ADD_OR_MOD : OFPGC11_MODIFY),
  ),
  rw("del-groups", "switch [group]", 1, 2, (s, a) => groupMod(s, a, OFPGC11_DELETE)),
  rw("insert-buckets", "switch [group]", 1, 2, (s, a) => groupMod(s, a, OFPGC15_INSERT_BUCKET)),
  rw("remove-buckets", "switch [group]", 1, 2, (s, a) => groupMod(s, a, OFPGC15_REMOVE_BUCKET)),
  ro("dump-groups", "switch [group]", 1, 2, dumpGroups),
  ro("dump-group-stats", "switch [group]", 1, 2, dumpGroupStats),
  ro("dump-group-features", "switch", 1, 1, dumpGroupFeatures),
  rw("parse-group", undefined, 1, 1, parseGroup),
];
