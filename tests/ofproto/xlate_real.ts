// Drives the real Open vSwitch for translation's differential tests: one ovsdb-server and one
// `ovs-vswitchd --enable-dummy` in a private directory, and the same switch a scenario describes
// built there with the real ovs-vsctl / ovs-ofctl (one ovs-vsctl call per port, so that port
// and bundle order are the creation order, as in the fixture), then ofproto/trace through the
// real ovs-appctl. Test-only.

import { startOvsdbServer, type TestServer } from "../support/ovsdb.ts";
import { run } from "../support/run.ts";

export interface ScenarioPort {
  bridge?: string;
  name: string;
  ofport: number;
  /** Extra `ovs-vsctl` column settings for the Port row ("tag=10", "trunks=10,12" ...). */
  portArgs?: string[];
  /** Extra settings for the Interface row. */
  ifaceArgs?: string[];
  /** For patch ports: the peer's interface name. */
  peer?: string;
  /** QoS queues with a DSCP (Queue dscp column): queue id → DSCP. */
  queueDscp?: Record<number, number>;
}

/** A Mirror row on br0. */
export interface ScenarioMirror {
  name: string;
  selectAll?: boolean;
  srcPorts?: string[];
  dstPorts?: string[];
  selectVlans?: number[];
  outPort?: string;
  outVlan?: number;
  snaplen?: number;
}

export interface Scenario {
  name: string;
  /** Bridges besides br0 (br0 always exists). */
  bridges?: string[];
  /** Settings for br0 (e.g. "fail-mode=standalone"). */
  bridgeArgs?: string[];
  ports: ScenarioPort[];
  /** ovs-ofctl add-flows text per bridge. */
  flows?: Record<string, string>;
  /** The OpenFlow version flows are added with (ovs-ofctl -O); OpenFlow10 by default. */
  ofVersion?: "OpenFlow10" | "OpenFlow12" | "OpenFlow13" | "OpenFlow15";
  /** ovs-ofctl add-group lines per bridge. */
  groups?: Record<string, string[]>;
  /**
   * Arguments of each ofproto/trace (or of ofproto/trace-packet-out, named first). "$RECIRC" in
   * an argument stands for the last recirculation id the previous trace's actions mention.
   */
  traces: string[][];
  /** ovs-ofctl mod-port commands: [bridge, port, action]. */
  modPorts?: [string, string, string][];
  /** ovs-ofctl set-frags br0 MODE. */
  frags?: "normal" | "drop" | "reassemble" | "nx-match";
  /** br0's mirrors, created after the ports. */
  mirrors?: ScenarioMirror[];
  /** Prefix-tree fields of br0's table 0 (a Flow_Table row's prefixes). */
  prefixes?: string[];
  /** ovs-ofctl -O OpenFlow11 mod-table br0 TABLE MISS. */
  tableMiss?: [number | "all", "drop" | "continue" | "controller"][];
}

/** A trace whose first argument is this runs ofproto/trace-packet-out instead. */
export const PACKET_OUT = "ofproto/trace-packet-out";

const VSWITCHD_ARGS = [
  "--enable-dummy",
  "--disable-system",
  "--disable-system-route",
  "--detach",
  "--no-chdir",
  "--pidfile",
  "--log-file",
  "-vconsole:off",
];

export class RealSwitch {
  /**
   * The last build's mirror names in the order the bridge numbered them: the Bridge's mirrors
   * column is sorted by UUID, which is random, and each new mirror takes the first free index.
   */
  mirrorOrder: string[] = [];

  private constructor(readonly server: TestServer) {}

  static async start(): Promise<RealSwitch> {
    const server = await startOvsdbServer("real");
    const init = await run("ovs-vsctl", ["--no-wait", "init"], server.env);
    if (init.code) throw new Error(init.stderr);
    const started = await run("ovs-vswitchd", VSWITCHD_ARGS, server.env);
    if (started.code) throw new Error(started.stderr);
    return new RealSwitch(server);
  }

  async stop(): Promise<void> {
    await run("ovs-appctl", ["-t", "ovs-vswitchd", "exit"], this.server.env);
    await this.server.stop();
  }

  async vsctl(args: string[]): Promise<string> {
    const r = await run("ovs-vsctl", ["--timeout=10", ...args], this.server.env);
    if (r.code) throw new Error(`ovs-vsctl ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  }

  async ofctl(args: string[], stdin?: string): Promise<string> {
    const r = await run("ovs-ofctl", args, this.server.env, stdin);
    if (r.code) throw new Error(`ovs-ofctl ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  }

  async appctl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return await run("ovs-appctl", args, this.server.env);
  }

  /** Builds the scenario's switch from scratch (previous bridges are deleted). */
  async build(s: Scenario): Promise<void> {
    const existing = (await this.vsctl(["list-br"])).split("\n").filter((x) => x);
    for (const br of existing) await this.vsctl(["del-br", br]);
    for (const br of ["br0", ...(s.bridges ?? [])]) {
      await this.vsctl([
        "add-br",
        br,
        "--",
        "set",
        "bridge",
        br,
        "datapath-type=dummy",
        "fail-mode=secure",
        ...(br === "br0" ? s.bridgeArgs ?? [] : []),
        "protocols=[OpenFlow10,OpenFlow11,OpenFlow12,OpenFlow13,OpenFlow14,OpenFlow15]",
      ]);
    }
    for (const p of s.ports) {
      const br = p.bridge ?? "br0";
      if (p.name === br) {
        // The bridge's own (LOCAL) port exists already: only its settings change.
        if (p.portArgs?.length) await this.vsctl(["set", "port", p.name, ...p.portArgs]);
        continue;
      }
      const iface = p.peer ? ["type=patch", `options:peer=${p.peer}`] : ["type=dummy"];
      await this.vsctl([
        "add-port",
        br,
        p.name,
        ...(p.portArgs && p.portArgs.length ? ["--", "set", "port", p.name, ...p.portArgs] : []),
        "--",
        "set",
        "interface",
        p.name,
        ...iface,
        `ofport_request=${p.ofport}`,
        ...(p.ifaceArgs ?? []),
      ]);
    }
    for (const p of s.ports) {
      if (!p.queueDscp) continue;
      const queues = Object.entries(p.queueDscp);
      const args = [
        "set",
        "port",
        p.name,
        "qos=@qos",
        "--",
        "--id=@qos",
        "create",
        "QoS",
        "type=linux-htb",
        `queues=${queues.map(([q]) => `${q}=@q${q}`).join(",")}`,
      ];
      for (const [q, dscp] of queues) {
        args.push("--", `--id=@q${q}`, "create", "Queue", `dscp=${dscp}`);
      }
      await this.vsctl(args);
    }
    if (s.mirrors?.length) {
      const args = [
        "set",
        "bridge",
        "br0",
        `mirrors=${s.mirrors.map((_, i) => `@m${i}`).join(",")}`,
      ];
      const ports = new Set<string>();
      for (const m of s.mirrors) {
        for (const p of [...(m.srcPorts ?? []), ...(m.dstPorts ?? []), m.outPort ?? ""]) {
          if (p) ports.add(p);
        }
      }
      const ref = (p: string) => `@p_${p.replace(/[^A-Za-z0-9]/g, "_")}`;
      for (const p of ports) args.push("--", `--id=${ref(p)}`, "get", "port", p);
      s.mirrors.forEach((m, i) => {
        args.push("--", `--id=@m${i}`, "create", "mirror", `name=${m.name}`);
        if (m.selectAll) args.push("select_all=true");
        if (m.srcPorts?.length) args.push(`select_src_port=${m.srcPorts.map(ref).join(",")}`);
        if (m.dstPorts?.length) args.push(`select_dst_port=${m.dstPorts.map(ref).join(",")}`);
        if (m.selectVlans?.length) args.push(`select_vlan=${m.selectVlans.join(",")}`);
        if (m.outPort) args.push(`output_port=${ref(m.outPort)}`);
        if (m.outVlan !== undefined) args.push(`output_vlan=${m.outVlan}`);
        if (m.snaplen !== undefined) args.push(`snaplen=${m.snaplen}`);
      });
      await this.vsctl(args);
      const names = new Map<string, string>();
      const rows = await this.vsctl(["--bare", "--columns=_uuid,name", "list", "mirror"]);
      const words = rows.split(/\s+/).filter((w) => w);
      for (let i = 0; i + 1 < words.length; i += 2) names.set(words[i]!, words[i + 1]!);
      this.mirrorOrder = [...names.keys()].sort().map((u) => names.get(u)!);
    } else {
      this.mirrorOrder = [];
    }
    if (s.prefixes) {
      await this.vsctl([
        "set",
        "bridge",
        "br0",
        "flow_tables:0=@t0",
        "--",
        "--id=@t0",
        "create",
        "Flow_Table",
        "name=t0",
        `prefixes=${s.prefixes.join(",")}`,
      ]);
    }
    for (const [br, groups] of Object.entries(s.groups ?? {})) {
      for (const g of groups) await this.ofctl(["-O", "OpenFlow15", "add-group", br, g]);
    }
    for (const [br, text] of Object.entries(s.flows ?? {})) {
      const file = `${this.server.dir}/flows-${br}.txt`;
      await Deno.writeTextFile(file, text);
      await this.ofctl(["-O", s.ofVersion ?? "OpenFlow10", "add-flows", br, file]);
    }
    for (const [br, port, action] of s.modPorts ?? []) {
      await this.ofctl(["mod-port", br, port, action]);
    }
    if (s.frags) await this.ofctl(["set-frags", "br0", s.frags]);
    for (const [table, miss] of s.tableMiss ?? []) {
      await this.ofctl(["-O", "OpenFlow11", "mod-table", "br0", String(table), miss]);
    }
  }

  /**
   * ovs-appctl ofproto/trace ARGS (or, when ARGS starts with "ofproto/trace-packet-out", that
   * command): the reply text, or the error text.
   */
  async trace(args: string[]): Promise<{ ok: boolean; text: string }> {
    const command = args[0] === PACKET_OUT ? [] : ["ofproto/trace"];
    const r = await this.appctl([...command, ...args]);
    if (r.code === 0) return { ok: true, text: r.stdout };
    // ovs-appctl adds its own line after the daemon's error text.
    return { ok: false, text: r.stderr.replace(/ovs-appctl: .*: server returned an error\n$/, "") };
  }
}
