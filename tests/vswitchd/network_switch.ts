// Our whole switch on real devices, for network tests and bench/switch.sh: our ovsdb-server and
// ovs-vswitchd (no dummy datapath) in a private directory, bridges of datapath_type=netdev whose
// system ports are the host ends of veth pairs into namespaces, driven with the real ovs-vsctl,
// ovs-ofctl and ovs-appctl (which talk to our daemons as to upstream's). Hosts are namespaces
// with one address each in a subnet unique to this process. `stop` ends the daemons; the test
// bed (tests/support/netns.ts) removes namespaces and links.

import { NetTestBed } from "../support/netns.ts";
import { startOvsdbServer, type TestServer } from "../support/ovsdb.ts";
import { alive, run, runOvs, type RunResult, waitFor } from "../support/run.ts";
import { firstReason, needPrograms, type SkipReason } from "../support/skip.ts";
import { needTun } from "../support/netns.ts";
import { sysAvailable } from "../../core/datapath/sys_socket.ts";

/** Why the whole switch cannot run on real devices here, if it cannot. */
export function needNetworkSwitch(): SkipReason {
  return firstReason(
    sysAvailable() ? undefined : "needs FFI and libc",
    needTun(),
    needPrograms("ovsdb-tool", "ovs-vsctl", "ovs-ofctl", "ovs-appctl", "ping"),
  );
}

export interface Host {
  ns: string;
  /** The host-side veth end: the switch's system port. */
  port: string;
  ip: string;
}

export interface NetSwitch {
  bed: NetTestBed;
  server: TestServer;
  /** The first three octets of this switch's subnet. */
  subnet: string;
  vsctl(...args: string[]): Promise<string>;
  ofctl(...args: string[]): Promise<string>;
  appctl(...args: string[]): Promise<string>;
  /** A namespace on a veth whose host end is not yet on any bridge; address subnet.`n`/24. */
  addHost(n: number): Promise<Host>;
  /**
   * Adds bridge `name` (netdev datapath, fail mode standalone and no controller, so the switch
   * installs `priority=0 actions=NORMAL` itself) with `hosts`' ports.
   */
  addBridge(name: string, hosts: Host[]): Promise<void>;
  log(): Promise<string>;
  stop(): Promise<void>;
}

function expectOk(what: string, r: RunResult): string {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

let switches = 0;

/**
 * A whole switch on the netdev datapath owns the host's one `ovs-netdev` tap device (upstream's
 * name, the same for ours and Debian's), so the test files that start one take turns through
 * this lock; it is released when the switch stops, or by the kernel if the process dies.
 */
const DATAPATH_LOCK = "/tmp/ovs-deno-netdev-datapath.lock";

async function lockDatapath(): Promise<Deno.FsFile> {
  const file = await Deno.open(DATAPATH_LOCK, { create: true, write: true });
  await file.lock(true);
  return file;
}

function unlockDatapath(file: Deno.FsFile): void {
  try {
    file.unlockSync();
  } finally {
    file.close();
  }
}

/**
 * Starts the daemons, ours or (for comparisons) Debian's ovsdb-server and ovs-vswitchd, with no
 * bridge yet.
 */
export async function startNetSwitch(which: "ours" | "real" = "ours"): Promise<NetSwitch> {
  const lock = await lockDatapath();
  const bed = NetTestBed.create();
  let server: TestServer;
  try {
    server = await startOvsdbServer(which);
  } catch (e) {
    unlockDatapath(lock);
    throw e;
  }
  const env = server.env;
  const serial = switches++;
  const subnet = `10.${100 + ((Deno.pid >> 8) % 40)}.${(Deno.pid + serial * 17) % 250}`;
  const stopDaemons = async () => {
    const pid = (await Deno.readTextFile(`${server.dir}/ovs-vswitchd.pid`).catch(() => "")).trim();
    await run("ovs-appctl", ["-t", "ovs-vswitchd", "exit"], env);
    // The next switch can open the datapath's tap device only once this process has gone.
    if (pid) await waitFor(() => !alive(Number(pid)), 5000).catch(() => undefined);
    await server.stop().catch(() => undefined);
  };
  try {
    expectOk("ovs-vsctl init", await run("ovs-vsctl", ["--no-wait", "init"], env));
    const daemonArgs = ["--detach", "--no-chdir", "--pidfile", "--log-file", "-vconsole:off"];
    expectOk(
      `${which} ovs-vswitchd`,
      which === "ours"
        ? await runOvs(["ovs-vswitchd", ...daemonArgs], env)
        : await run("ovs-vswitchd", daemonArgs, env),
    );
  } catch (e) {
    await stopDaemons();
    await bed.destroy();
    unlockDatapath(lock);
    throw e;
  }
  const tool = async (name: string, args: string[]) =>
    expectOk(`${name} ${args.join(" ")}`, await run(name, args, env));
  const sw: NetSwitch = {
    bed,
    server,
    subnet,
    vsctl: (...args) => tool("ovs-vsctl", ["--timeout=20", ...args]),
    ofctl: (...args) => tool("ovs-ofctl", args),
    appctl: (...args) => tool("ovs-appctl", args),
    async addHost(n) {
      const ns = await bed.addNamespace(`h${n}`);
      const veth = await bed.addVeth({ ns, address: `${subnet}.${n}/24` });
      // The host's own stack sees the port's frames too (AF_PACKET does not divert them, as
      // the kernel datapath would): keep it from answering ARP for its addresses there.
      await Deno.writeTextFile(`/proc/sys/net/ipv4/conf/${veth.host}/arp_ignore`, "1");
      await bed.setLink(veth.host, true);
      return { ns, port: veth.host, ip: `${subnet}.${n}` };
    },
    async addBridge(name, hosts) {
      bed.adopt(name);
      const args = ["add-br", name, "--", "set", "bridge", name, "datapath_type=netdev"];
      for (const host of hosts) args.push("--", "add-port", name, host.port);
      await sw.vsctl(...args);
      // A port the switch could not open says why in its Interface row.
      for (const port of [name, ...hosts.map((h) => h.port)]) {
        const error = (await sw.vsctl("get", "interface", port, "error")).trim();
        if (error !== "[]") throw new Error(`interface ${port}: ${error}`);
      }
    },
    log: () => Deno.readTextFile(`${server.dir}/ovs-vswitchd.log`).catch(() => ""),
    async stop() {
      try {
        await stopDaemons();
        await bed.destroy();
      } finally {
        unlockDatapath(lock);
      }
    },
  };
  return sw;
}

/** Megaflow lines of `ovs-appctl dpctl/dump-flows` that contain every one of `parts`. */
export function flowLines(dump: string, ...parts: string[]): string[] {
  return dump.split("\n").filter((line) => line && parts.every((p) => line.includes(p)));
}

/** The `packets:N` counter of a dump-flows line. */
export function packetsOf(line: string): number {
  const m = /packets:(\d+)/.exec(line);
  return m ? Number(m[1]) : NaN;
}
