// ovs-ofctl's command table in upstream's order (list-commands prints it so), the help text, and
// the runner: argument counts and --read-only checked with upstream's messages, then the handler.
// The commands themselves live in the sibling files by concern.

import { OFP_PORT } from "../../net/stream.ts";
import { ovsLogdir, ovsRundir } from "../../net/dirs.ts";
import { formatVersionBitmapNames } from "../msg/protocol.ts";
import { DEFAULT_VERSIONS } from "../vconn_wire.ts";
import { MANY, type OfctlCommand } from "./command.ts";
import { OfctlExit, OfctlFatal } from "./config.ts";
import type { OfctlSession } from "./session.ts";
import { SWITCH_COMMANDS } from "./switch_commands.ts";
import { OFFLINE_COMMANDS } from "./offline_commands.ts";
import { MONITOR_COMMANDS } from "./monitor.ts";
import { METER_COMMANDS } from "./meter_commands.ts";
import { FLOW_COMMANDS } from "./flow_commands.ts";
import { GROUP_COMMANDS } from "./group_commands.ts";
import { FLOW_DIFF_COMMANDS } from "./flow_diff.ts";
import { TABLE_MOD_COMMANDS } from "./table_mod.ts";
import { BUNDLE_COMMANDS } from "./bundle.ts";
import { PCAP_COMMANDS } from "./pcap_commands.ts";

/** Upstream's all_commands[] order, which list-commands shows. */
const ORDER = [
  "show",
  "monitor",
  "snoop",
  "dump-desc",
  "dump-tables",
  "dump-table-features",
  "dump-table-desc",
  "dump-flows",
  "dump-aggregate",
  "queue-stats",
  "queue-get-config",
  "add-flow",
  "add-flows",
  "mod-flows",
  "del-flows",
  "replace-flows",
  "diff-flows",
  "add-meter",
  "mod-meter",
  "del-meter",
  "del-meters",
  "dump-meter",
  "dump-meters",
  "meter-stats",
  "meter-features",
  "packet-out",
  "dump-ports",
  "dump-ports-desc",
  "mod-port",
  "mod-table",
  "get-frags",
  "set-frags",
  "probe",
  "ping",
  "benchmark",
  "dump-ipfix-bridge",
  "dump-ipfix-flow",
  "ct-flush-zone",
  "ct-flush",
  "ofp-parse",
  "ofp-parse-pcap",
  "add-group",
  "add-groups",
  "mod-group",
  "del-groups",
  "insert-buckets",
  "remove-buckets",
  "dump-groups",
  "dump-group-stats",
  "dump-group-features",
  "bundle",
  "add-tlv-map",
  "del-tlv-map",
  "dump-tlv-map",
  "help",
  "list-commands",
  "parse-flow",
  "parse-flows",
  "parse-group",
  "parse-nx-match",
  "parse-nxm",
  "parse-oxm",
  "parse-actions",
  "parse-instructions",
  "parse-ofp10-match",
  "parse-ofp11-match",
  "parse-pcap",
  "check-vlan",
  "print-error",
  "encode-error-reply",
  "ofp-print",
  "encode-hello",
  "parse-key-value",
  "compose-packet",
  "parse-packet",
];

const BUILTIN: readonly OfctlCommand[] = [
  {
    name: "help",
    usage: undefined,
    minArgs: 0,
    maxArgs: MANY,
    readOnly: true,
    run: (session) => {
      session.io.out(usage(session.config.program));
      return Promise.reject(new OfctlExit(0));
    },
  },
  {
    name: "list-commands",
    usage: undefined,
    minArgs: 0,
    maxArgs: MANY,
    readOnly: true,
    run: (session) => {
      session.io.out(listCommands());
      return Promise.resolve();
    },
  },
];

const BY_NAME = new Map<string, OfctlCommand>(
  [
    ...SWITCH_COMMANDS,
    ...OFFLINE_COMMANDS,
    ...MONITOR_COMMANDS,
    ...METER_COMMANDS,
    ...FLOW_COMMANDS,
    ...GROUP_COMMANDS,
    ...FLOW_DIFF_COMMANDS,
    ...TABLE_MOD_COMMANDS,
    ...BUNDLE_COMMANDS,
    ...PCAP_COMMANDS,
    ...BUILTIN,
  ].map((c) => [c.name, c]),
);

/** The commands in upstream's order (those we have). */
export function allCommands(): OfctlCommand[] {
  const known = ORDER.flatMap((name) => BY_NAME.get(name) ?? []);
  const extra = [...BY_NAME.values()].filter((c) => !ORDER.includes(c.name));
  return [...known, ...extra];
}

export function listCommands(): string {
  let out = "The available commands are:\n";
  for (const c of allCommands()) out += `  ${c.name.padEnd(23)} ${c.usage ?? ""}\n`;
  return out;
}

/** Runs the command named by words[0] with upstream's argument checks. */
export async function runCommand(session: OfctlSession, words: string[]): Promise<void> {
  const name = words[0];
  if (name === undefined) throw new OfctlFatal("missing command name; use --help for help");
  const command = BY_NAME.get(name);
  if (!command) throw new OfctlFatal(`unknown command '${name}'; use --help for help`);
  const n = words.length - 1;
  if (n < command.minArgs) {
    throw new OfctlFatal(`'${name}' command requires at least ${command.minArgs} arguments`);
  }
  if (n > command.maxArgs) {
    throw new OfctlFatal(`'${name}' command takes at most ${command.maxArgs} arguments`);
  }
  if (!command.readOnly && session.config.readOnly) {
    throw new OfctlFatal(`'${name}' command does not work in read only mode`);
  }
  await command.run(session, words);
}

/** The --help text. */
export function usage(program: string): string {
  return `${program}: OpenFlow switch management utility
usage: ${program} [OPTIONS] COMMAND [ARG...]

For OpenFlow switches:
  show SWITCH                 show OpenFlow information
  dump-desc SWITCH            print switch description
  dump-tables SWITCH          print table stats
  dump-table-features SWITCH  print table features
  dump-table-desc SWITCH      print table description (OF1.4+)
  mod-port SWITCH IFACE ACT   modify port behavior
  mod-table SWITCH MOD        modify flow table behavior
      OF1.1/1.2 MOD: controller, continue, drop
      OF1.4+ MOD: evict, noevict, vacancy:low,high, novacancy
  get-frags SWITCH            print fragment handling behavior
  set-frags SWITCH FRAG_MODE  set fragment handling behavior
      FRAG_MODE: normal, drop, reassemble, nx-match
  dump-ports SWITCH [PORT]    print port statistics
  dump-ports-desc SWITCH [PORT]  print port descriptions
  dump-flows SWITCH [FLOW]    print all flow entries, or those matching FLOW
  dump-aggregate SWITCH [FLOW]  print aggregate flow statistics
  queue-stats SWITCH [PORT [QUEUE]]  dump queue stats
  add-flow SWITCH FLOW        add flow described by FLOW
  add-flows SWITCH FILE       add flows from FILE
  mod-flows SWITCH FLOW       modify actions of matching FLOWs
  del-flows SWITCH [FLOW]     delete matching FLOWs
  replace-flows SWITCH FILE   replace flows with those in FILE
  diff-flows SOURCE1 SOURCE2  compare flows from two sources
  packet-out SWITCH "in_port=PORT packet=HEX actions=..."
                              execute actions on a packet
  monitor SWITCH [MISSLEN] [invalid_ttl] [watch:[...]]
                              print packets received from SWITCH
  snoop SWITCH                snoop on SWITCH and its controller
  add-group SWITCH GROUP      add group described by GROUP
  add-groups SWITCH FILE      add groups from FILE
  [--may-create] mod-group SWITCH GROUP   modify specific group
  del-groups SWITCH [GROUP]   delete matching GROUPs
  insert-buckets SWITCH [GROUP] add buckets to GROUP
  remove-buckets SWITCH [GROUP] remove buckets from GROUP
  dump-group-features SWITCH  print group features
  dump-groups SWITCH [GROUP]  print group description
  dump-group-stats SWITCH [GROUP]  print group statistics
  queue-get-config SWITCH [PORT]  print queue config for PORT
  add-meter SWITCH METER      add meter described by METER
  mod-meter SWITCH METER      modify specific METER
  del-meters SWITCH [METER]   delete meters matching METER
  dump-meters SWITCH [METER]  print METER configuration
  meter-stats SWITCH [METER]  print meter statistics
  meter-features SWITCH       print meter features
  dump-tlv-map SWITCH         print TLV option mappings
  dump-ipfix-bridge SWITCH    print ipfix stats of bridge
  dump-ipfix-flow SWITCH      print flow ipfix of a bridge
  ct-flush-zone SWITCH ZONE   flush conntrack entries in ZONE

For OpenFlow switches and controllers:
  probe TARGET                probe whether TARGET is up
  ping TARGET [N]             latency of N-byte echos
  benchmark TARGET N COUNT    bandwidth of COUNT N-byte echos
SWITCH or TARGET is an active OpenFlow connection method, a bridge name
(${ovsRundir()}/BRIDGE.mgmt) or the path of a socket.

Other commands:
  ofp-parse FILE              print messages read from FILE

Active OpenFlow connection methods:
  tcp:HOST[:PORT]         PORT (default: ${OFP_PORT}) at remote HOST
  ssl:HOST[:PORT]         SSL PORT (default: ${OFP_PORT}) at remote HOST
  unix:FILE               Unix domain socket named FILE
PKI configuration (required to use SSL):
  -p, --private-key=FILE  file with private key
  -c, --certificate=FILE  file with certificate for private key
  -C, --ca-cert=FILE      file with peer CA certificate

Daemon options (monitor and snoop):
  --detach                run in the background once connected
  --no-chdir              stay in the current directory when detached
  --pidfile[=FILE]        write a pidfile (default: ${ovsRundir()}/${program}.pid)
  --overwrite-pidfile     with --pidfile, start even if already running

OpenFlow version options:
  -V, --version           display version information
  -O, --protocols         set allowed OpenFlow versions
                          (default: ${formatVersionBitmapNames(DEFAULT_VERSIONS)})

Logging options:
  -vSPEC, --verbose=SPEC  set log levels
  -v, --verbose           log everything everywhere
  --log-file[=FILE]       log to FILE (default: ${ovsLogdir()}/${program}.log)

Other options:
  --strict                    use strict match for flow commands
  --read-only                 do not execute read/write commands
  --readd                     replace flows that haven't changed
  -F, --flow-format=FORMAT    force particular flow format
  -P, --packet-in-format=FRMT force particular packet in format
  -m, --more                  be more verbose printing OpenFlow
  --timestamp                 (monitor, snoop) print timestamps
  -t, --timeout=SECS          give up after SECS seconds
  --sort[=field]              sort in ascending order
  --rsort[=field]             sort in descending order
  --names                     show port names instead of numbers
  --no-names                  show port numbers, but not names
  --unixctl=SOCKET            set control socket name
  --color[=always|never|auto] control use of color in output
  -h, --help                  display this help message
  -V, --version               display version information
`;
}
