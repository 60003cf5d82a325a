// The switch daemon's main loop, apart from its command line so that the ovs-vswitchd face and
// embedded mode (`ovs start`) run the same code: an IDL on the Open_vSwitch database holding the
// `ovs_vswitchd` lock, reconciliation of bridges whenever the replica changes, and the status
// transaction that acknowledges each configuration (cur_cfg). Promises: reconciliations never
// overlap; a transaction the server refuses as stale is redone on the fresh replica; `ready`
// resolves once the first configuration has been applied and acknowledged, which is when
// upstream's daemon lets its --detach parent exit.

import { Idl } from "../db/idl.ts";
import { IdlTransaction } from "../db/idl_txn.ts";
import { registerUnixctl, UnixctlError } from "../net/unixctl.ts";
import { registerMemoryReporter } from "../net/unixctl_builtins.ts";
import { timeStop, timeWarp } from "../net/timeval.ts";
import { programVersion } from "../net/version.ts";
import { vlogModule } from "../net/vlog.ts";
import { Bridges, type VswitchdOptions } from "./bridge.ts";

const log = vlogModule("bridge");
const LOCK = "ovs_vswitchd";

/** `time/stop` and `time/warp`, which upstream serves when dummy devices are enabled. */
function registerTimeCommands(): void {
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
    return "warped";
  });
}

export class Vswitchd {
  readonly bridges: Bridges;
  readonly idl: Idl;
  /** Resolves once the first configuration has been applied and acknowledged. */
  readonly ready: Promise<void>;
  #markReady: () => void = () => {};
  #isReady = false;
  #announced = false;
  #running = false;
  #again = false;
  #lastSeqno = -1;

  constructor(remote: string, options: VswitchdOptions, readonly program = "ovs-vswitchd") {
    this.bridges = new Bridges(options);
    this.idl = new Idl(remote, "Open_vSwitch", { lock: LOCK });
    this.ready = new Promise((resolve) => (this.#markReady = resolve));
    if (options.enableDummy) registerTimeCommands();
    registerMemoryReporter(() => {
      let ports = 0;
      for (const bridge of this.bridges.bridges.values()) ports += bridge.interfaces.size;
      return { bridges: this.bridges.bridges.size, ports };
    });
    this.idl.onChange = () => {
      if (this.idl.seqno === this.#lastSeqno) return;
      this.#lastSeqno = this.idl.seqno;
      queueMicrotask(() => void this.#reconfigure());
    };
  }

  start(): void {
    this.idl.start();
  }

  close(): void {
    this.idl.close();
  }

  async #reconfigure(): Promise<void> {
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
        this.bridges.reconcile(this.idl);
        const txn = new IdlTransaction(this.idl);
        txn.assertLock(LOCK);
        this.bridges.writeStatus(this.idl, txn);
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
