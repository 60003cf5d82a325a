// A test bed of network namespaces joined by veth pairs, for tests (and bench/) that send real
// traffic: namespaces playing hosts, veth pairs whose host-side ends a switch (or a netdev under
// test) uses, commands run inside a namespace (ping, iperf3, ethtool), and parsers for ping RTTs
// and iperf3's JSON. Names are unique per process and bed, so tests run in parallel; `destroy`
// removes everything the bed made, and beds still alive when the process unloads are removed
// then too, so a failing test leaves nothing behind. Needs root and `ip netns` (`needNetns`).
// Traffic stays inside the veths and namespaces made here.

import { run, type RunResult } from "./run.ts";
import { firstReason, hasProgram, needRoot, type SkipReason } from "./skip.ts";

let netnsChecked: SkipReason | null = null;

/** The reason network tests cannot run here (not root, no iproute2, no namespaces), if any. */
export function needNetns(): SkipReason {
  if (netnsChecked !== null) return netnsChecked;
  netnsChecked = firstReason(
    needRoot(),
    hasProgram("ip") ? undefined : "needs ip (iproute2)",
    probeNetns(),
  );
  return netnsChecked;
}

function probeNetns(): SkipReason {
  if (Deno.uid() !== 0 || !hasProgram("ip")) return undefined;
  const name = `ovsprobe${Deno.pid}`;
  let last = "";
  // The first `ip netns add` on a machine mounts /run/netns; processes racing for that can see
  // a spurious failure, so a few tries are made before calling namespaces unavailable.
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const add = new Deno.Command("ip", { args: ["netns", "add", name], stderr: "piped" })
        .outputSync();
      if (add.code === 0) {
        new Deno.Command("ip", { args: ["netns", "del", name], stderr: "null" }).outputSync();
        return undefined;
      }
      last = new TextDecoder().decode(add.stderr).trim();
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    new Deno.Command("sleep", { args: [String(0.05 * (attempt + 1))] }).outputSync();
  }
  return `network namespaces unavailable (ip netns add: ${last})`;
}

/** The reason tests needing a TAP device cannot run, if any. */
export function needTun(): SkipReason {
  const reason = needNetns();
  if (reason) return reason;
  try {
    Deno.statSync("/dev/net/tun");
    return undefined;
  } catch {
    return "needs /dev/net/tun";
  }
}

/** One veth pair: `host` stays in this process's namespace, `peer` lives in `ns` (if any). */
export interface Veth {
  host: string;
  peer: string;
  ns: string | undefined;
}

export interface VethOptions {
  /** Namespace for the peer end; undefined keeps both ends here. */
  ns?: string;
  /** An IPv4 address with prefix for the peer ("10.0.0.2/24"). */
  address?: string;
  mtu?: number;
  /** Keep IPv6 on (default off: no router solicitations or MLD reports on the wire). */
  ipv6?: boolean;
}

const liveBeds = new Set<NetTestBed>();

/** Two random base-36 characters. */
function randomTag(): string {
  return Math.floor(Math.random() * 1296).toString(36).padStart(2, "0");
}
let unloadHooked = false;
let bedSerial = 0;

function hookUnload(): void {
  if (unloadHooked) return;
  unloadHooked = true;
  globalThis.addEventListener("unload", () => {
    for (const bed of liveBeds) bed.destroySync();
  });
}

export class NetTestBed {
  private readonly namespaces: string[] = [];
  private readonly links: string[] = [];
  private readonly children = new Set<Deno.ChildProcess>();
  private serial = 0;
  /** A short tag unique to this process and bed, in every name the bed makes. */
  readonly tag: string;

  private constructor() {
    // Test modules run with --parallel share one process (one pid): a random part keeps their
    // beds apart.
    this.tag = `${Deno.pid.toString(36)}${randomTag()}${(bedSerial++).toString(36)}`;
    liveBeds.add(this);
    hookUnload();
  }

  static create(): NetTestBed {
    return new NetTestBed();
  }

  /** A fresh interface name (at most 15 characters) ending in `hint`. */
  name(hint = ""): string {
    const base = `o${this.tag}${(this.serial++).toString(36)}`;
    return (base + hint).slice(0, 15);
  }

  /** Runs `ip args` here; throws with its stderr when it fails. */
  async ip(...args: string[]): Promise<string> {
    return must(await run("ip", args), `ip ${args.join(" ")}`);
  }

  /** Runs a command inside namespace `ns`. */
  exec(ns: string, command: string, args: string[]): Promise<RunResult> {
    return run("ip", ["netns", "exec", ns, command, ...args]);
  }

  /** Creates a namespace with loopback up; returns its name. */
  async addNamespace(hint = "ns"): Promise<string> {
    const name = `ovst-${this.tag}-${this.serial++}-${hint}`;
    // Retried for the same /run/netns mount race as the probe.
    for (let attempt = 0;; attempt++) {
      const r = await run("ip", ["netns", "add", name]);
      if (r.code === 0) break;
      if (attempt >= 4) throw new Error(`ip netns add ${name} failed: ${r.stderr.trim()}`);
      await new Promise((resolve) => setTimeout(resolve, 50 * (attempt + 1)));
    }
    this.namespaces.push(name);
    await this.ip("-n", name, "link", "set", "lo", "up");
    return name;
  }

  /**
   * Creates a veth pair: the host end here (down, no IPv6), the peer end in `ns` (up, with
   * `address`) or here too (down, when no namespace is given).
   */
  async addVeth(options: VethOptions = {}): Promise<Veth> {
    const host = this.name("h");
    const peer = options.ns ? "eth0" : this.name("p");
    const tmpPeer = options.ns ? this.name("p") : peer;
    await this.ip("link", "add", host, "type", "veth", "peer", "name", tmpPeer);
    this.links.push(host);
    if (!options.ipv6) disableIpv6(host);
    if (options.mtu) await this.ip("link", "set", host, "mtu", String(options.mtu));
    if (!options.ns) {
      if (!options.ipv6) disableIpv6(peer);
      if (options.mtu) await this.ip("link", "set", peer, "mtu", String(options.mtu));
      return { host, peer, ns: undefined };
    }
    const ns = options.ns;
    await this.ip("link", "set", tmpPeer, "netns", ns, "name", peer);
    if (!options.ipv6) {
      await this.exec(ns, "sysctl", ["-qw", `net.ipv6.conf.${peer}.disable_ipv6=1`]);
    }
    if (options.mtu) await this.ip("-n", ns, "link", "set", peer, "mtu", String(options.mtu));
    if (options.address) await this.ip("-n", ns, "addr", "add", options.address, "dev", peer);
    await this.ip("-n", ns, "link", "set", peer, "up");
    return { host, peer, ns };
  }

  /** Brings a host-side link up or down. */
  async setLink(name: string, up: boolean): Promise<void> {
    await this.ip("link", "set", name, up ? "up" : "down");
  }

  /** Remembers a link made outside the bed (a tap, a bridge) so `destroy` deletes it. */
  adopt(link: string): void {
    this.links.push(link);
  }

  /**
   * Turns a device's offloads (tso gso gro tx rx) off or back on with ethtool, in `ns` or here.
   * Returns false when ethtool is missing.
   */
  async setOffloads(device: string, on: boolean, ns?: string): Promise<boolean> {
    if (!hasProgram("ethtool")) return false;
    const state = on ? "on" : "off";
    const args = ["-K", device];
    for (const feature of ["tso", "gso", "gro", "tx", "rx"]) args.push(feature, state);
    const r = ns ? await this.exec(ns, "ethtool", args) : await run("ethtool", args);
    return r.code === 0;
  }

  /** Pings `address` from `ns`; the per-packet RTTs in milliseconds and the counts. */
  async ping(
    ns: string,
    address: string,
    options: { count?: number; interval?: number; size?: number; deadline?: number } = {},
  ): Promise<PingResult> {
    const args = ["-n", "-c", String(options.count ?? 3), "-i", String(options.interval ?? 0.2)];
    if (options.size !== undefined) args.push("-s", String(options.size));
    args.push("-w", String(options.deadline ?? 10), address);
    const r = await this.exec(ns, "ping", args);
    return parsePing(r.stdout);
  }

  /**
   * Starts `iperf3 -s` in `ns` (undefined: here, bound to `bind`) for one test, then it exits;
   * resolves once it listens.
   */
  async iperf3Server(
    ns: string | undefined,
    port = 5201,
    bind?: string,
  ): Promise<{ stop(): Promise<void> }> {
    const server = ["iperf3", "-s", "-1", "-p", String(port), ...(bind ? ["-B", bind] : [])];
    const [command, ...args] = ns ? ["ip", "netns", "exec", ns, ...server] : server;
    const child = new Deno.Command(command!, { args, stdout: "piped", stderr: "piped" }).spawn();
    this.children.add(child);
    // Listening shows as a socket; poll briefly for it.
    for (let i = 0; i < 100; i++) {
      const ssArgs = ["-Htln", `sport = :${port}`];
      const ss = ns ? await this.exec(ns, "ss", ssArgs) : await run("ss", ssArgs);
      if (ss.stdout.trim()) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    return {
      stop: async () => {
        try {
          child.kill("SIGTERM");
        } catch { /* already gone */ }
        await child.output().catch(() => undefined);
        this.children.delete(child);
      },
    };
  }

  /** Runs an iperf3 client in `ns` against `server`; the parsed summary. */
  async iperf3(
    ns: string,
    server: string,
    options: {
      seconds?: number;
      port?: number;
      udp?: boolean;
      bitrate?: string;
      length?: number;
      reverse?: boolean;
    } = {},
  ): Promise<Iperf3Result> {
    const args = ["-c", server, "-J", "-t", String(options.seconds ?? 2)];
    if (options.reverse) args.push("-R");
    args.push("-p", String(options.port ?? 5201));
    if (options.udp) args.push("-u", "-b", options.bitrate ?? "1G");
    if (options.length) args.push("-l", String(options.length));
    const r = await this.exec(ns, "iperf3", args);
    return parseIperf3(r.stdout);
  }

  /** Deletes every namespace and link the bed made, and stops its processes. */
  async destroy(): Promise<void> {
    for (const child of this.children) {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await child.output().catch(() => undefined);
    }
    this.children.clear();
    for (const link of this.links.splice(0)) await run("ip", ["link", "del", link]);
    for (const ns of this.namespaces.splice(0)) await run("ip", ["netns", "del", ns]);
    liveBeds.delete(this);
  }

  /** As `destroy`, synchronously (for the process's unload). */
  destroySync(): void {
    for (const child of this.children) {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
    }
    const quiet = { stdout: "null", stderr: "null" } as const;
    for (const link of this.links.splice(0)) {
      new Deno.Command("ip", { args: ["link", "del", link], ...quiet }).outputSync();
    }
    for (const ns of this.namespaces.splice(0)) {
      new Deno.Command("ip", { args: ["netns", "del", ns], ...quiet }).outputSync();
    }
    liveBeds.delete(this);
  }
}

/** Runs `fn` with a fresh bed, destroyed afterwards whatever happens. */
export async function withTestBed<T>(fn: (bed: NetTestBed) => Promise<T>): Promise<T> {
  const bed = NetTestBed.create();
  try {
    return await fn(bed);
  } finally {
    await bed.destroy();
  }
}

function disableIpv6(device: string): void {
  try {
    Deno.writeTextFileSync(`/proc/sys/net/ipv6/conf/${device}/disable_ipv6`, "1");
  } catch { /* no IPv6 in this kernel: nothing to quiet */ }
}

function must(r: RunResult, what: string): string {
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

export interface PingResult {
  transmitted: number;
  received: number;
  /** Per-reply round trip times, ms, in arrival order. */
  rtts: number[];
}

/** Parses ping's output (per-reply "time=" fields and the statistics line). */
export function parsePing(text: string): PingResult {
  const rtts = [...text.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
  const stats = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(text);
  return {
    transmitted: stats ? Number(stats[1]) : 0,
    received: stats ? Number(stats[2]) : rtts.length,
    rtts,
  };
}

/** The `q`-quantile (0..1) of `values` (nearest rank); NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

export interface Iperf3Result {
  /** Receiver-side throughput (TCP), or the UDP summary's. */
  bitsPerSecond: number;
  /** TCP retransmissions seen by the sender. */
  retransmits: number;
  /** UDP: datagrams sent and lost. */
  packets: number;
  lostPackets: number;
  /** iperf3's error text, when it failed. */
  error: string | undefined;
}

/** Parses `iperf3 -J` output. */
export function parseIperf3(json: string): Iperf3Result {
  const empty: Iperf3Result = {
    bitsPerSecond: 0,
    retransmits: 0,
    packets: 0,
    lostPackets: 0,
    error: undefined,
  };
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    return { ...empty, error: json.trim() || "no output" };
  }
  const get = (o: unknown, ...path: string[]): unknown => {
    let v = o;
    for (const k of path) {
      if (typeof v !== "object" || v === null) return undefined;
      v = (v as Record<string, unknown>)[k];
    }
    return v;
  };
  const num = (v: unknown) => (typeof v === "number" ? v : 0);
  const error = get(doc, "error");
  const received = get(doc, "end", "sum_received", "bits_per_second");
  const udp = get(doc, "end", "sum");
  return {
    bitsPerSecond: num(received) || num(get(udp, "bits_per_second")),
    retransmits: num(get(doc, "end", "sum_sent", "retransmits")),
    packets: num(get(udp, "packets")),
    lostPackets: num(get(udp, "lost_packets")),
    error: typeof error === "string" ? error : undefined,
  };
}
