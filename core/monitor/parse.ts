// Reads the text replies of the switch's control commands that the live monitor shows:
// `bridge/dump-flows BR` (OpenFlow flows with counters), `fdb/show BR` (the MAC table),
// `dpif/show` (datapaths with hit/miss and their bridges' ports), `upcall/show` (the megaflow
// count against its limit) and `dpctl/dump-flows` (megaflows). The formats are upstream's
// (ofproto.c flow_stats_ds, ofproto-dpif.c, ofproto-dpif-upcall.c, dpctl.c), which our
// ovs-vswitchd prints too. Pure functions: a line that does not fit is returned in `unparsed`,
// never guessed at and never thrown over.

/** One OpenFlow flow of `bridge/dump-flows`. */
export interface OpenFlowFlow {
  table: number;
  priority: number;
  /** The match without its priority, as ovs-ofctl prints it ("" matches everything). */
  match: string;
  actions: string;
  packets: number;
  bytes: number;
  /** Seconds since the flow was added. */
  duration: number;
}

/** Parsed lines plus those that did not fit the format. */
export interface Parsed<T> {
  items: T[];
  unparsed: string[];
}

const DEFAULT_PRIORITY = 32768;
const FLOW_HEAD =
  /^(?:table_id=(\d+), )?duration=(\d+)s, n_packets=(\d+), n_bytes=(\d+), (?:n_offload_packets=\d+, n_offload_bytes=\d+, )?/;

function lines(text: string): string[] {
  return text.split("\n").filter((line) => line.trim() !== "");
}

/** The flows of `bridge/dump-flows BR` (hidden flows of table 254 included, as the daemon lists them). */
export function parseBridgeFlows(text: string): Parsed<OpenFlowFlow> {
  const items: OpenFlowFlow[] = [];
  const unparsed: string[] = [];
  for (const line of lines(text)) {
    const head = FLOW_HEAD.exec(line);
    // A match never contains "actions=", so its first occurrence ends the match.
    const actionsAt = head ? line.indexOf("actions=", head[0].length) : -1;
    if (!head || actionsAt < 0) {
      unparsed.push(line);
      continue;
    }
    let match = line.slice(head[0].length, actionsAt).replace(/,$/, "").trim();
    let priority = DEFAULT_PRIORITY;
    const explicit = /^priority=(\d+)(?:,|$)/.exec(match);
    if (explicit) {
      priority = Number(explicit[1]);
      match = match.slice(explicit[0].length);
    }
    items.push({
      table: Number(head[1] ?? 0),
      priority,
      match,
      actions: line.slice(actionsAt + "actions=".length),
      duration: Number(head[2]),
      packets: Number(head[3]),
      bytes: Number(head[4]),
    });
  }
  return { items, unparsed };
}

/** One learned (or static) MAC of `fdb/show BR`. */
export interface MacEntry {
  port: string;
  vlan: number;
  mac: string;
  /** Seconds since last seen, or null for a static entry. */
  age: number | null;
}

const FDB_LINE = /^\s*(\S+)\s+(\d+)\s+([0-9a-f]{2}(?::[0-9a-f]{2}){5})\s+(\d+|static)\s*$/i;

/** The entries of `fdb/show BR` (its header line is skipped). */
export function parseFdb(text: string): Parsed<MacEntry> {
  const items: MacEntry[] = [];
  const unparsed: string[] = [];
  for (const line of lines(text)) {
    if (/^\s*port\s+VLAN\s+MAC\s+Age\s*$/.test(line)) continue;
    const m = FDB_LINE.exec(line);
    if (!m) {
      unparsed.push(line);
      continue;
    }
    items.push({
      port: m[1] as string,
      vlan: Number(m[2]),
      mac: (m[3] as string).toLowerCase(),
      age: m[4] === "static" ? null : Number(m[4]),
    });
  }
  return { items, unparsed };
}

/** One port of a bridge as `dpif/show` lists it. */
export interface DpifPort {
  name: string;
  ofport: number;
  /** The datapath's port number, or null when the port has none. */
  dpPort: number | null;
  type: string;
  /** The netdev's configuration ("key=value, ..."), "" when it has none. */
  config: string;
}

/** One datapath of `dpif/show`, with the bridges on it. */
export interface DpifDatapath {
  name: string;
  hit: number;
  missed: number;
  bridges: { name: string; ports: DpifPort[] }[];
}

const DPIF_HEAD = /^(\S+): hit:(\d+) missed:(\d+)$/;
const DPIF_BRIDGE = /^ {2}(\S+):$/;
const DPIF_PORT = /^ {4}(\S+) (\d+)\/(\d+|none): \(([^:)]*)(?:: (.*))?\)$/;

/** The datapaths, bridges and ports of `dpif/show`. */
export function parseDpifShow(text: string): Parsed<DpifDatapath> {
  const items: DpifDatapath[] = [];
  const unparsed: string[] = [];
  for (const line of lines(text)) {
    const current = items[items.length - 1];
    const bridge = current?.bridges[current.bridges.length - 1];
    let m: RegExpExecArray | null;
    if ((m = DPIF_HEAD.exec(line))) {
      items.push({ name: m[1] as string, hit: Number(m[2]), missed: Number(m[3]), bridges: [] });
    } else if (current && (m = DPIF_BRIDGE.exec(line))) {
      current.bridges.push({ name: m[1] as string, ports: [] });
    } else if (bridge && (m = DPIF_PORT.exec(line))) {
      bridge.ports.push({
        name: m[1] as string,
        ofport: Number(m[2]),
        dpPort: m[3] === "none" ? null : Number(m[3]),
        type: m[4] as string,
        config: m[5] ?? "",
      });
    } else {
      unparsed.push(line);
    }
  }
  return { items, unparsed };
}

/** One datapath's flow statistics from `upcall/show`. */
export interface UpcallStats {
  datapath: string;
  flows: number;
  average: number;
  maximum: number;
  limit: number;
  /** The last flow dump's duration in milliseconds. */
  dumpDuration: number;
  /** Megaflows held by each revalidator thread. */
  revalidatorKeys: number[];
}

const UPCALL_FLOWS =
  /^ {2}flows\s*: \(current (\d+)\) \(avg (\d+)\) \(max (\d+)\) \(limit (\d+)\)$/;

/** The per-datapath statistics of `upcall/show`. */
export function parseUpcallShow(text: string): Parsed<UpcallStats> {
  const items: UpcallStats[] = [];
  const unparsed: string[] = [];
  for (const line of lines(text)) {
    const current = items[items.length - 1];
    let m: RegExpExecArray | null;
    if ((m = /^(\S+):$/.exec(line))) {
      items.push({
        datapath: m[1] as string,
        flows: 0,
        average: 0,
        maximum: 0,
        limit: 0,
        dumpDuration: 0,
        revalidatorKeys: [],
      });
    } else if (current && (m = UPCALL_FLOWS.exec(line))) {
      current.flows = Number(m[1]);
      current.average = Number(m[2]);
      current.maximum = Number(m[3]);
      current.limit = Number(m[4]);
    } else if (current && (m = /^ {2}dump duration : (-?\d+)ms$/.exec(line))) {
      current.dumpDuration = Number(m[1]);
    } else if (current && (m = /^ {2}\d+: \(keys (\d+)\)$/.exec(line))) {
      current.revalidatorKeys.push(Number(m[1]));
    } else if (!current || !/^ {2}(ufid enabled|offloaded flows) ?:/.test(line)) {
      unparsed.push(line);
    }
  }
  return { items, unparsed };
}

/** One megaflow of `dpctl/dump-flows`. */
export interface Megaflow {
  /** The flow key with its mask, as the datapath prints it (ufid first when shown). */
  key: string;
  packets: number;
  bytes: number;
  /** Seconds since last used, or null for never. */
  used: number | null;
  /** TCP flags seen ("" when none printed). */
  flags: string;
  actions: string;
}

const MEGAFLOW_TAIL =
  /^, packets:(\d+), bytes:(\d+), used:(?:([0-9.]+)s|never)(?:, flags:([^,]*))?(?:, offloaded:[^,]*)?(?:, dp:[^,]*)?, actions:(.*?)(?:, dp-extra-info:.*)?$/;

/** The megaflows of `dpctl/dump-flows` ("flow-dump from ..." headers are skipped). */
export function parseDatapathFlows(text: string): Parsed<Megaflow> {
  const items: Megaflow[] = [];
  const unparsed: string[] = [];
  for (const line of lines(text)) {
    if (line.startsWith("flow-dump from ")) continue;
    const tailAt = line.indexOf(", packets:");
    const m = tailAt < 0 ? null : MEGAFLOW_TAIL.exec(line.slice(tailAt));
    if (!m) {
      unparsed.push(line);
      continue;
    }
    items.push({
      key: line.slice(0, tailAt),
      packets: Number(m[1]),
      bytes: Number(m[2]),
      used: m[3] === undefined ? null : Number(m[3]),
      flags: m[4] ?? "",
      actions: m[5] as string,
    });
  }
  return { items, unparsed };
}
