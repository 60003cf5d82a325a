// The control commands ovs-vswitchd serves about its bridges and datapaths, with upstream's
// names, arguments, replies and error texts: netdev-dummy/* (with --enable-dummy), dpctl/*,
// dpif/show, dpif/dump-dps, dpif/dump-flows, ofproto/list, ofproto/trace,
// ofproto/trace-packet-out, fdb/*, revalidator/*, upcall/show. Each is a thin adapter from
// arguments to the module that owns the work; the texts are those modules' (dpctl's, trace's,
// the MAC table's) or, for the few composed here, upstream's format.

import { dpctlUnixctl } from "../datapath/dpctl.ts";
import { ODP_FLOW_CODEC } from "../datapath/dpctl_common.ts";
import { formatFlowStats } from "../datapath/dpctl_flows.ts";
import { formatDpActions } from "../datapath/dp_actions.ts";
import {
  dummyConnStateCommand,
  dummyReceiveCommand,
  dummySetAdminStateCommand,
} from "../datapath/netdev_dummy.ts";
import { formatOdpFlow } from "../datapath/odp_key.ts";
import { registerUnixctl, UnixctlError } from "../net/unixctl.ts";
import { timeMsec } from "../net/timeval.ts";
import { parseMac } from "../ofproto/mac_learning.ts";
import { formatActions } from "../ofproto/actions/mod.ts";
import { formatMatch } from "../ofproto/match_text.ts";
import type { OfBundle, Ofproto } from "../ofproto/ofproto.ts";
import type { Backer } from "../ofproto/ofproto_dpif.ts";
import { formatPort } from "../ofproto/port_text.ts";
import { ofprotoTrace, ofprotoTracePacketOut, type TraceHost } from "../ofproto/xlate/trace.ts";
import type { XlateBridge } from "../ofproto/xlate/view.ts";
import type { Datapaths } from "./datapaths.ts";
import { hash2Words } from "../ofproto/xlate/hash.ts";
import { registerLinkCommands } from "./link_commands.ts";

/** The userspace datapath's non-PMD thread id and upcall's number of ukey maps. */
const NON_PMD_CORE_ID = 0xffffffff;
const N_UMAPS = 512;

/** What the commands need of the daemon. */
export interface CommandHost {
  readonly datapaths: Datapaths;
  /** Every bridge, by name. */
  ofprotos(): Map<string, Ofproto>;
  /** Runs pending datapath work (frames just injected, say) before a reply. */
  settle(): void;
  /** A bridge's datapath type as its Bridge row says ("system" for ""). */
  datapathType?(bridge: string): string | undefined;
  /** Applies a flow-mod a learn action made during a trace. */
  learn?: TraceHost["onLearn"];
}

function sortedNames(host: CommandHost): string[] {
  return [...host.ofprotos().keys()].sort();
}

function ofprotoNamed(host: CommandHost, name: string): Ofproto {
  const ofproto = host.ofprotos().get(name);
  if (!ofproto) throw new UnixctlError("no such bridge");
  return ofproto;
}

function backerOf(host: CommandHost, ofproto: Ofproto): Backer | undefined {
  for (const backer of host.datapaths.backers.values()) {
    if (backer.bridges.has(ofproto)) return backer;
  }
  return undefined;
}

/** The name ofputil_port_to_string gives a bundle's first port (for fdb/show). */
function bundlePortName(bundle: OfBundle | undefined): string {
  const port = bundle?.ports[0];
  return port ? formatPort(port.ofport) : "";
}

function traceHost(host: CommandHost): TraceHost {
  const datapathView = (backer: Backer) => ({
    portNames: () => backer.portNames(),
    portByOdp: (odp: number) => {
      const binding = backer.portByOdp(odp);
      return binding
        ? { bridge: binding.ofproto as XlateBridge, ofport: binding.port.ofport }
        : undefined;
    },
  });
  const backerOfBridge = (bridge: XlateBridge): Backer | undefined => {
    for (const backer of host.datapaths.backers.values()) {
      if (backer.bridges.has(bridge as Ofproto)) return backer;
    }
    return undefined;
  };
  const anyBacker = [...host.datapaths.backers.values()][0];
  return {
    bridgeByName: (name) => host.ofprotos().get(name),
    bridgeByUuid: (uuid) => {
      for (const backer of host.datapaths.backers.values()) {
        const found = backer.bridgeByUuid(uuid);
        if (found) return found;
      }
      return undefined;
    },
    datapathByType: (type) => {
      const backer = host.datapaths.backers.get(type === "system" ? "netdev" : type);
      return backer ? datapathView(backer) : undefined;
    },
    defaultDatapath: () => {
      const all = [...host.datapaths.backers.values()];
      return all.length === 1 ? datapathView(all[0]!) : undefined;
    },
    datapathOf: (bridge) => datapathView(backerOfBridge(bridge) ?? anyBacker!),
    recirc: host.datapaths.recirc,
    now: timeMsec,
    ...(host.learn ? { onLearn: host.learn } : {}),
  };
}

/** dpif/show: every datapath, its hit/missed counters, each bridge's ports sorted by name. */
function dpifShow(host: CommandHost): string {
  let out = "";
  const backers = [...host.datapaths.backers.values()].sort((a, b) =>
    a.datapath.fullName.localeCompare(b.datapath.fullName)
  );
  for (const backer of backers) {
    const stats = backer.datapath.getStats();
    out += `${backer.datapath.fullName}: hit:${stats.hit} missed:${stats.missed}\n`;
    const ofprotos = [...backer.bridges].sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0
    );
    for (const ofproto of ofprotos) {
      out += `  ${ofproto.name}:\n`;
      const ports = [...ofproto.ports()].sort((a, b) =>
        a.name < b.name ? -1 : a.name > b.name ? 1 : 0
      );
      for (const port of ports) {
        const dp = port.odpPort === undefined
          ? undefined
          : backer.datapath.portByNumber(port.odpPort);
        out += `    ${port.name} ${port.ofport}/${port.odpPort ?? "none"}: (${
          dp ? dp.netdev.type : port.type
        }`;
        const config = dp ? dp.netdev.getConfig() : new Map<string, string>();
        // get_patch_config: a patch port's netdev reports its configured peer.
        if (!dp && port.patchPeer !== undefined) config.set("peer", port.patchPeer);
        const keys = [...config.keys()].sort();
        keys.forEach((key, i) => out += `${i ? "," : ":"} ${key}=${config.get(key)}`);
        out += ")\n";
      }
    }
  }
  return out;
}

function dpifDumpFlows(host: CommandHost, args: string[]): string {
  const ofproto = ofprotoNamed(host, args[args.length - 1]!);
  const backer = backerOf(host, ofproto);
  if (!backer) return "";
  let verbose = false;
  let names: boolean | undefined;
  for (const arg of args.slice(0, -1)) {
    if (arg === "-m") verbose = true;
    else if (arg === "--names") names = true;
    else if (arg === "--no-names") names = false;
  }
  const useNames = names ?? verbose;
  const portNames = new Map<number, string>();
  if (useNames) { for (const p of backer.datapath.portList()) portNames.set(p.portNo, p.name); }
  const portName = useNames ? (n: number) => portNames.get(n) : undefined;
  const now = timeMsec();
  let out = "";
  for (const flow of backer.flowsOf(ofproto)) {
    if (verbose) out += `ufid:${flow.ufid} `;
    out += formatOdpFlow(flow.key, flow.mask, { ...(portName ? { portName } : {}), verbose });
    out += `, ${formatFlowStats(flow.stats, now)}, actions:`;
    out += formatDpActions(flow.actions, portName ? { portName } : {});
    out += "\n";
  }
  return out;
}

/** bridge/dump-flows: every rule of every table, hidden ones included (flow_stats_ds). */
function bridgeDumpFlows(ofproto: Ofproto, offloadStats: boolean): string {
  const now = timeMsec();
  let out = "";
  // Hidden rules too: ofproto-dpif's internal table 254 is listed like any other.
  for (const rule of ofproto.tables.rules()) {
    if (rule.tableId !== 0) out += `table_id=${rule.tableId}, `;
    out += `duration=${Math.floor((now - rule.created) / 1000)}s, `;
    out += `n_packets=${rule.packetCount}, n_bytes=${rule.byteCount}, `;
    if (offloadStats) out += "n_offload_packets=0, n_offload_bytes=0, ";
    out += formatMatch(rule.match, { priority: rule.priority });
    out += `,actions=${formatActions(rule.ofpacts)}\n`;
  }
  return out;
}

/**
 * The thread ids upstream's ovsthread_id_self gives each datapath's revalidators: every dpif
 * starts conntrack's two cleanup threads, the first one also RCU's, then its handlers (as many
 * as the cores left by the revalidators) and its revalidators (a quarter of the cores, plus one).
 */
const revalidatorIds = new WeakMap<Backer, number[]>();
let threadsStarted = 0;

function revalidatorThreads(backer: Backer): number[] {
  let ids = revalidatorIds.get(backer);
  if (!ids) {
    const cores = Math.max(navigator.hardwareConcurrency || 1, 2);
    const nRevalidators = Math.floor(cores / 4) + 1;
    const nHandlers = Math.max(cores - nRevalidators, 1);
    threadsStarted += threadsStarted === 0 ? 3 : 2;
    threadsStarted += nHandlers;
    ids = Array.from({ length: nRevalidators }, (_, i) => threadsStarted + 1 + i);
    threadsStarted += nRevalidators;
    revalidatorIds.set(backer, ids);
  }
  return ids;
}

/** upcall_unixctl_show. The dummy datapath offloads nothing, so no "offloaded flows" line. */
function upcallShow(host: CommandHost): string {
  let out = "";
  for (const backer of host.datapaths.backers.values()) {
    out += `${backer.datapath.fullName}:\n`;
    out +=
      `  flows         : (current ${backer.nFlows()}) (avg ${backer.avgFlows}) (max ${backer.maxFlows}) (limit ${backer.dynamicFlowLimit})\n`;
    out += `  dump duration : ${backer.dumpDuration}ms\n`;
    out += `  ufid enabled : true\n\n`;
    // Ukeys live in 512 maps by hash_2words(ufid's first word, pmd id); revalidator i owns the
    // maps i, i + n, i + 2n ...
    const threads = revalidatorThreads(backer);
    const counts = threads.map(() => 0);
    for (const ufid of backer.ukeyIds()) {
      const map = (hash2Words(parseInt(ufid.slice(0, 8), 16) >>> 0, NON_PMD_CORE_ID) >>> 0) %
        N_UMAPS;
      counts[map % threads.length]!++;
    }
    threads.forEach((id, i) => out += `  ${id}: (keys ${counts[i]})\n`);
  }
  return out;
}

export function registerVswitchdCommands(host: CommandHost, enableDummy: boolean): void {
  if (enableDummy) {
    registerUnixctl(
      "netdev-dummy/receive",
      "name [--qid queue_id] packet|flow [--len packet_len]",
      2,
      Infinity,
      (args) => {
        try {
          const reply = dummyReceiveCommand(args);
          // The frames are switched before the reply; the revalidation they may call for
          // (a MAC learned) runs as upstream's thread would, soon, not before this reply.
          host.datapaths.poll();
          return reply;
        } catch (error) {
          throw new UnixctlError(error instanceof Error ? error.message : String(error));
        }
      },
    );
    registerUnixctl("netdev-dummy/set-admin-state", "[netdev] up|down", 1, 2, (args) => {
      try {
        return dummySetAdminStateCommand(args);
      } catch (error) {
        throw new UnixctlError(error instanceof Error ? error.message : String(error));
      }
    });
    registerUnixctl("netdev-dummy/conn-state", "[netdev]", 0, 1, (args) => {
      try {
        return dummyConnStateCommand(args);
      } catch (error) {
        throw new UnixctlError(error instanceof Error ? error.message : String(error));
      }
    });
  }

  const dpctl = (name: string) => (args: string[]) => {
    host.settle();
    const result = dpctlUnixctl([name, ...args], {
      programName: "ovs-vswitchd",
      codec: ODP_FLOW_CODEC,
      now: timeMsec,
    });
    if (result.error) throw new UnixctlError(result.text);
    return result.text;
  };
  for (
    const [name, usage, min, max] of [
      ["show", "[-s] [DP...]", 0, Infinity],
      ["dump-dps", "", 0, 0],
      ["dump-flows", "[-m] [--names] [DP] [filter=..] [type=..] [pmd=..]", 0, Infinity],
      ["add-flow", "[DP] FLOW ACTIONS", 2, 3],
      ["add-flows", "[DP] FILE", 1, 2],
      ["mod-flow", "[DP] FLOW ACTIONS", 2, 3],
      ["mod-flows", "[DP] FILE", 1, 2],
      ["del-flow", "[DP] FLOW", 1, 2],
      ["del-flows", "[DP] [FILE]", 0, 2],
      ["get-flow", "[DP] ufid:UFID", 1, 2],
    ] as const
  ) {
    registerUnixctl(`dpctl/${name}`, usage, min, max, dpctl(name));
  }

  registerUnixctl("dpif/show", "", 0, 0, () => {
    host.settle();
    return dpifShow(host);
  });
  // get_ofprotos: "TYPE@NAME", sorted.
  registerUnixctl("dpif/dump-dps", "", 0, 0, () => {
    const names: string[] = [];
    for (const [name, ofproto] of host.ofprotos()) {
      const type = host.datapathType?.(name) ?? backerOf(host, ofproto)?.type ?? "system";
      names.push(`${type}@${name}`);
    }
    return names.sort().map((n) => `${n}\n`).join("");
  });
  registerUnixctl("dpif/dump-flows", "[-m] [--names | --no-names] bridge", 1, Infinity, (args) => {
    host.settle();
    return dpifDumpFlows(host, args);
  });
  registerUnixctl("ofproto/list", "", 0, 0, () => sortedNames(host).map((n) => `${n}\n`).join(""));

  const trace = (fn: typeof ofprotoTrace) => (args: string[]) => {
    host.settle();
    const reply = fn(traceHost(host), args);
    if (!reply.ok) throw new UnixctlError(reply.error);
    return reply.text;
  };
  registerUnixctl(
    "ofproto/trace",
    "{[dp_name] odp_flow | bridge br_flow} [OPTIONS...] [-generate|packet]",
    1,
    Infinity,
    trace(ofprotoTrace),
  );
  registerUnixctl(
    "ofproto/trace-packet-out",
    "[-consistent] {[dp_name] odp_flow | bridge br_flow} [OPTIONS...] [-generate|packet] actions",
    2,
    Infinity,
    trace(ofprotoTracePacketOut),
  );

  registerUnixctl("fdb/flush", "[bridge]", 0, 1, (args) => {
    const targets = args.length ? [ofprotoNamed(host, args[0]!)] : [...host.ofprotos().values()];
    for (const ofproto of targets) {
      ofproto.macLearning.flush();
      ofproto.invalidate();
    }
    return "table successfully flushed";
  });
  registerUnixctl("fdb/show", "bridge", 1, 1, (args) => {
    host.settle();
    return ofprotoNamed(host, args[0]!).macLearning.formatFdbShow((bundle) =>
      bundlePortName(bundle as OfBundle)
    );
  });
  registerUnixctl("fdb/stats-clear", "[bridge]", 0, 1, (args) => {
    const targets = args.length ? [ofprotoNamed(host, args[0]!)] : [...host.ofprotos().values()];
    for (const ofproto of targets) ofproto.macLearning.clearStatistics();
    return "statistics successfully cleared";
  });
  registerUnixctl("fdb/stats-show", "bridge", 1, 1, (args) => {
    return ofprotoNamed(host, args[0]!).macLearning.formatStatsShow(args[0]!);
  });
  registerUnixctl("fdb/add", "bridge port vlan mac", 4, 4, (args) => {
    const ofproto = ofprotoNamed(host, args[0]!);
    const mac = parseMac(args[3]!);
    if (mac === undefined) throw new UnixctlError("bad MAC address");
    const port = ofproto.portByName(args[1]!);
    if (!port || !port.bundle) {
      throw new UnixctlError("software error, odp port is present but no ofp port");
    }
    const vlan = parseInt(args[2]!, 10) || 0;
    let note = "";
    const existing = ofproto.macLearning.lookup(mac, vlan);
    const old = existing?.port as OfBundle | undefined;
    if (existing && old && (old.name !== args[1] || !existing.isStatic)) {
      note = `Overriding already existing ${existing.isStatic ? "static" : "dynamic"} entry on ${
        bundlePortName(old)
      }\n`;
    }
    ofproto.macLearning.addStatic(mac, vlan, port.bundle);
    ofproto.invalidate();
    return note;
  });
  registerUnixctl("fdb/del", "bridge vlan mac", 3, 3, (args) => {
    const ofproto = ofprotoNamed(host, args[0]!);
    const mac = parseMac(args[2]!);
    if (mac === undefined) throw new UnixctlError("bad MAC address");
    if (!ofproto.macLearning.deleteStatic(mac, parseInt(args[1]!, 10) || 0)) {
      throw new UnixctlError("could not find static mac entry\n");
    }
    ofproto.invalidate();
    return "";
  });

  registerUnixctl("revalidator/wait", "", 0, 0, () => {
    if (!host.datapaths.paused) host.datapaths.revalidate(false);
    return "";
  });
  registerUnixctl("revalidator/purge", "", 0, 0, () => {
    for (const backer of host.datapaths.backers.values()) backer.purge();
    return "";
  });
  registerUnixctl("revalidator/pause", "", 0, 0, () => {
    host.datapaths.paused = true;
    return "";
  });
  registerUnixctl("revalidator/resume", "", 0, 0, () => {
    host.datapaths.resume();
    return "";
  });
  registerUnixctl("upcall/show", "", 0, 0, () => upcallShow(host));
  registerLinkCommands(host); // lacp/*, bond/*, dpif-netdev/bond-show (link_commands.ts)
  registerUnixctl("bridge/dump-flows", "[--offload-stats] bridge", 1, 2, (args) => {
    const ofproto = host.ofprotos().get(args[args.length - 1]!);
    if (!ofproto) throw new UnixctlError("Unknown bridge");
    host.settle();
    return bridgeDumpFlows(ofproto, args.includes("--offload-stats"));
  });
}
