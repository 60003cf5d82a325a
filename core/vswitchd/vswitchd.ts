// The switch daemon's main loop, apart from its command line so that the ovs-vswitchd face and
// embedded mode (`ovs start`) run the same code: an IDL on the Open_vSwitch database holding the
// `ovs_vswitchd` lock, reconciliation of bridges whenever the replica changes, the status
// transaction that acknowledges each configuration (cur_cfg) and refreshes interface statistics
// every five seconds, the datapaths with their revalidator, and the daemon's control commands.
// Promises: reconciliations never overlap; a transaction the server refuses as stale is redone on
// the fresh replica; `ready` resolves once the first configuration has been applied and
// acknowledged, which is when upstream's daemon lets its --detach parent exit. While the database
// is away the switch keeps forwarding with its last configuration.

import { Idl } from "../db/idl.ts";
import { IdlTransaction } from "../db/idl_txn.ts";
import { registerUnixctl, UnixctlError } from "../net/unixctl.ts";
import { registerMemoryReporter } from "../net/unixctl_builtins.ts";
import { setPeriodic, timeMsec, timeStop, timeWarp } from "../net/timeval.ts";
import { programVersion } from "../net/version.ts";
import { vlogModule } from "../net/vlog.ts";
import { type BridgeListener, Bridges, type VswitchdOptions } from "./bridge.ts";
import { registerVswitchdCommands } from "./commands.ts";
import { Datapaths } from "./datapaths.ts";
import type { Ofproto } from "../ofproto/ofproto.ts";
import type { PacketInDescription } from "../ofproto/xlate/packet_in.ts";
import type { LearnedFlow } from "../ofproto/xlate/context.ts";
import type { ControllerStatus } from "../ofproto/connmgr.ts";
import { OpenflowServices } from "./openflow.ts";

export type { VswitchdOptions } from "./bridge.ts";

const log = vlogModule("bridge");
const LOCK = "ovs_vswitchd";
/** other_config:stats-update-interval's default. */
const STATS_INTERVAL = 5000;

/** What OpenFlow connection management plugs in (connmgr). */
export interface SwitchServices extends BridgeListener {
  packetIn?(ofproto: Ofproto, packetIn: PacketInDescription): void;
  learn?(fm: LearnedFlow): boolean;
  /** Runs after each revalidation (flow expiry, fail-open checks). */
  afterRevalidate?(): void;
  /** Controller rows' status, by bridge name and target. */
  controllerStatus?(): Map<string, Map<string, ControllerStatus>>;
  close?(): void;
}

/** `time/stop` and `time/warp`, which upstream serves when dummy devices are enabled. */
function registerTimeCommands(afterWarp: () => void): void {
  registerUnixctl("time/stop", "", 0, 0, () => {
    timeStop();
    return "";
  });
  registerUnixctl("time/warp", "[large_msecs] msecs", 1, 2, (args) => {
    const total = args.length > 1 ? Number(args[0]) : 0;
    const step = Number(args.length > 1 ? args[1] : args[0]);
    if (!Number.isInteger(step) || step <= 0 || !Number.isInteger(total) || total < 0) {
      throw new UnixctlError("invalid MSECS");
    }
    timeWarp(total > 0 ? total : step, step);
    afterWarp();
    return "warped";
  });
}

export class Vswitchd {
  readonly bridges: Bridges;
  readonly datapaths: Datapaths;
  readonly idl: Idl;
  /** Resolves once the first configuration has been applied and acknowledged. */
  readonly ready: Promise<void>;
  #markReady: () => void = () => {};
  #isReady = false;
  #announced = false;
  #running = false;
  #again = false;
  #statsDue = false;
  #lastSeqno = -1;
  #stopStats: (() => void) | undefined;
  readonly #services: SwitchServices;

  constructor(
    remote: string,
    options: VswitchdOptions,
    readonly program = "ovs-vswitchd",
    services: SwitchServices = new OpenflowServices(),
  ) {
    this.#services = services;
    this.datapaths = new Datapaths({
      packetIn: (ofproto, pin) => services.packetIn?.(ofproto, pin),
      learn: (fm) => services.learn?.(fm) ?? false,
    });
    this.datapaths.afterRevalidate = () => {
      const now = timeMsec();
      for (const bridge of this.bridges.bridges.values()) bridge.running.ofproto.run(now);
      services.afterRevalidate?.();
    };
    this.bridges = new Bridges(options, this.datapaths, services);
    // LACP and bonds change status columns between reconfigurations (bundle_protocols.ts).
    this.bridges.onStatusChanged = () =>
      void this.#reconfigure(true).catch((error) =>
        log.err(`status update failed: ${error instanceof Error ? error.message : String(error)}`)
      );
    this.idl = new Idl(remote, "Open_vSwitch", { lock: LOCK });
    this.ready = new Promise((resolve) => (this.#markReady = resolve));
    if (options.enableDummy) registerTimeCommands(() => this.datapaths.poll());
    registerVswitchdCommands({
      datapaths: this.datapaths,
      ofprotos: () => {
        const map = new Map<string, Ofproto>();
        for (const [name, bridge] of this.bridges.bridges) map.set(name, bridge.running.ofproto);
        return map;
      },
      settle: () => this.datapaths.settle(),
      datapathType: (name) => this.bridges.bridges.get(name)?.datapathType,
      learn: (fm) => services.learn?.(fm) ?? false,
    }, options.enableDummy);
    registerMemoryReporter(() => {
      let ports = 0;
      let rules = 0;
      for (const bridge of this.bridges.bridges.values()) {
        ports += bridge.interfaces.size;
        for (const table of bridge.running.ofproto.tables.tables) rules += table.count;
      }
      return { bridges: this.bridges.bridges.size, ports, rules };
    });
    this.idl.onChange = () => {
      if (this.idl.seqno === this.#lastSeqno) return;
      this.#lastSeqno = this.idl.seqno;
      queueMicrotask(() =>
        void this.#reconfigure().catch((error) => {
          log.err(
            `reconfiguration failed: ${
              error instanceof Error ? error.stack ?? error.message : String(error)
            }`,
          );
        })
      );
    };
  }

  start(): void {
    this.idl.start();
    this.#stopStats = setPeriodic(STATS_INTERVAL, () => {
      this.#statsDue = true;
      void this.#reconfigure();
    });
  }

  close(): void {
    this.#stopStats?.();
    this.#services.close?.();
    this.bridges.close();
    this.idl.close();
  }

  /** Controller rows: is_connected, role and status, as upstream's refresh_controller_status. */
  #writeControllerStatus(txn: IdlTransaction): void {
    const statuses = this.#services.controllerStatus?.();
    if (!statuses) return;
    for (const [name, bridge] of this.bridges.bridges) {
      const row = this.idl.row("Bridge", bridge.uuid);
      const byTarget = statuses.get(name);
      if (!row || !byTarget) continue;
      for (const key of row.columns.get("controller")?.keys ?? []) {
        const controller = this.idl.row("Controller", String(key));
        if (!controller) continue;
        const target = controller.columns.get("target")?.keys[0];
        const status = typeof target === "string" ? byTarget.get(target) : undefined;
        if (!status) continue;
        const write = (column: string, keys: (string | boolean)[], values: string[] | null) => {
          const current = controller.columns.get(column);
          const same = current && current.keys.length === keys.length &&
            current.keys.every((k, i) => k === keys[i]) &&
            (values === null || (current.values ?? []).every((v, i) => v === values[i]));
          if (!same) txn.write("Controller", controller.uuid, column, { keys, values });
        };
        write("is_connected", [status.isConnected], null);
        write("role", [status.role], null);
        const keys = [...status.status.keys()].sort();
        write("status", keys, keys.map((k) => status.status.get(k)!));
      }
    }
  }

  /** `statusOnly`: just write the status back (LACP or a bond changed it), no reconciliation. */
  async #reconfigure(statusOnly = false): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    try {
      do {
        this.#again = false;
        if (!this.idl.synced || !this.idl.hasLock) break;
        if (!this.#announced) {
          log.info(programVersion(this.program));
          this.#announced = true;
        }
        if (!statusOnly) this.bridges.reconcile(this.idl);
        // A further pass (asked for while this one ran) reconciles.
        statusOnly = false;
        this.datapaths.poll();
        const txn = new IdlTransaction(this.idl);
        txn.assertLock(LOCK);
        const withStatistics = this.#statsDue;
        this.#statsDue = false;
        this.bridges.writeStatus(this.idl, txn, withStatistics);
        this.#writeControllerStatus(txn);
        const result = await txn.commit();
        if (result.status === "try again") this.#again = true;
        else if (result.status === "error") log.warn(`status update failed: ${result.error}`);
        if (!this.#isReady && (result.status === "success" || result.status === "unchanged")) {
          this.#isReady = true;
          this.#markReady();
        }
      } while (this.#again);
    } finally {
      this.#running = false;
    }
  }
}
