// The table of faces: each upstream program this one can be, its short aliases, a one-line
// summary for `ovs --help`, and how to load its cmd/ module. A face whose module is not written
// yet has no loader and names the issue that builds it, so calling it fails loudly instead of
// pretending. Loaders import by a computed specifier: Deno walks every literal dynamic import
// when a program starts, so literal ones made each tool (ovs-vsctl, run once per command) load
// the whole program's module graph first; a compiled binary must therefore be built with
// `--include cmd/` (deno.json's compile task does).

/** Imports cmd/`file`, by a specifier Deno does not follow ahead of time (see above). */
function loadFace(file: string): Promise<FaceModule> {
  return import(new URL(file, import.meta.url).href);
}

/** What every cmd/ module exports. `program` is the upstream name it runs as. */
export interface FaceModule {
  main(args: string[], program: string): Promise<number>;
}

export interface Face {
  /** Upstream program name (or `start`/`monitor` for our own faces). */
  name: string;
  aliases: string[];
  summary: string;
  /** Whether install-links writes an executable of this name. */
  upstreamTool: boolean;
  load: (() => Promise<FaceModule>) | undefined;
  /** Where the face is planned, for faces not built yet. */
  plannedIn: string;
}

export const FACES: readonly Face[] = [
  {
    name: "ovsdb-server",
    aliases: ["dbserver"],
    summary: "the configuration database server (RFC 7047 JSON-RPC)",
    upstreamTool: true,
    load: () => loadFace("ovsdb_server.ts"),
    plannedIn: "issue 3, OVSDB",
  },
  {
    name: "ovs-vswitchd",
    aliases: ["vswitchd"],
    summary: "the switch daemon: bridges, OpenFlow, the datapath",
    upstreamTool: true,
    load: () => loadFace("vswitchd.ts"),
    plannedIn: "issue 6, ovs-vswitchd on the dummy datapath",
  },
  {
    name: "ovs-vsctl",
    aliases: ["vsctl"],
    summary: "configure the switch through its database",
    upstreamTool: true,
    load: () => loadFace("vsctl.ts"),
    plannedIn: "issue 4, ovs-vsctl",
  },
  {
    name: "ovs-ofctl",
    aliases: ["ofctl"],
    summary: "administer OpenFlow switches",
    upstreamTool: true,
    load: () => loadFace("ofctl.ts"),
    plannedIn: "issues 5 and 7, OpenFlow and ovs-ofctl",
  },
  {
    name: "ovs-dpctl",
    aliases: ["dpctl"],
    summary: "administer the datapath and its cached flows",
    upstreamTool: true,
    load: () => loadFace("dpctl.ts"),
    plannedIn: "issue 6, ovs-vswitchd and the datapath",
  },
  {
    name: "ovs-appctl",
    aliases: ["appctl"],
    summary: "send commands to a running daemon",
    upstreamTool: true,
    load: () => loadFace("appctl.ts"),
    plannedIn: "",
  },
  {
    name: "ovsdb-tool",
    aliases: ["dbtool"],
    summary: "offline work on database files",
    upstreamTool: true,
    load: () => loadFace("ovsdb_tool.ts"),
    plannedIn: "issue 3, OVSDB",
  },
  {
    name: "ovsdb-client",
    aliases: ["dbclient"],
    summary: "query and monitor a running database server",
    upstreamTool: true,
    load: () => loadFace("ovsdb_client.ts"),
    plannedIn: "issue 3, OVSDB",
  },
  {
    name: "ovs-testcontroller",
    aliases: ["testcontroller"],
    summary: "a simple OpenFlow controller (L2 learning)",
    upstreamTool: true,
    load: () => loadFace("testcontroller.ts"),
    plannedIn: "issue 9, controllers",
  },
  {
    name: "start",
    aliases: [],
    summary: "embedded mode: database server and switch in one process",
    upstreamTool: false,
    load: () => loadFace("start.ts"),
    plannedIn: "issue 9, `ovs start`",
  },
  {
    name: "monitor",
    aliases: [],
    summary: "live web page of tables, flows and the datapath",
    upstreamTool: false,
    load: () => loadFace("monitor.ts"),
    plannedIn: "issue 9, the live monitor",
  },
];

/** The face called `name`: its upstream name, an alias, or the name without `ovs-`. */
export function findFace(name: string): Face | undefined {
  if (name === "") return undefined;
  return FACES.find((f) => f.name === name || f.aliases.includes(name) || f.name === `ovs-${name}`);
}
