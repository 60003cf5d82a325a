// The datapaths of the switch daemon: one Backer (shared userspace datapath plus the slow-path
// binding) per datapath type, created when the first bridge of that type appears and destroyed
// with the last, and the periodic work they need — polling netdevs for frames, revalidating the
// megaflow cache every 500 ms of daemon time, then expiring OpenFlow rules whose timeouts passed
// (upstream does that right after each revalidator dump, when statistics are fresh). Owns the
// backers and their timers; knows bridges only as Ofprotos registered with a backer.

import { backerDatapath, type NetdevDatapath } from "../datapath/dpif.ts";
import { useWorkerDatapath } from "../datapath/dpif_remote.ts";
import { setPeriodic, timeMsec } from "../net/timeval.ts";
import { vlogModule } from "../net/vlog.ts";
import { Backer, type BackerHooks, REVALIDATE_INTERVAL } from "../ofproto/ofproto_dpif.ts";
import { RecircTable } from "../ofproto/xlate/rid.ts";

const log = vlogModule("ofproto_dpif");

/** Which datapath serves a bridge of `datapathType` ("system" is served by netdev here). */
export function backerType(datapathType: string): string {
  return datapathType === "dummy" ? "dummy" : "netdev";
}

export class Datapaths {
  readonly backers = new Map<string, Backer>();
  /** One recirculation table for the process, as upstream's. */
  readonly recirc = new RecircTable();
  /** revalidator/pause: no periodic revalidation until resumed. */
  paused = false;
  readonly #hooks: BackerHooks;
  #stopRevalidator: (() => void) | undefined;
  /** Called after each revalidation with fresh statistics (rule expiry and the like). */
  afterRevalidate: (() => void) | undefined;
  flowLimit: number | undefined;
  maxIdle: number | undefined;

  constructor(hooks: BackerHooks) {
    this.#hooks = hooks;
  }

  backer(datapathType: string): Backer {
    const type = backerType(datapathType);
    let backer = this.backers.get(type);
    if (!backer) {
      // The netdev datapath's fast path runs in a Worker, as upstream's in PMD threads.
      if (type === "netdev") useWorkerDatapath();
      const datapath: NetdevDatapath = backerDatapath(type, { clock: timeMsec });
      backer = new Backer(datapath, timeMsec, this.#hooks, this.recirc);
      if (this.flowLimit !== undefined) backer.flowLimit = this.flowLimit;
      if (this.maxIdle !== undefined) backer.maxIdle = this.maxIdle;
      this.backers.set(type, backer);
      log.info(`${datapath.fullName}: datapath created`);
      this.#ensureTimer();
    }
    return backer;
  }

  /** Drops backers no bridge uses any more. */
  prune(): void {
    for (const [type, backer] of [...this.backers]) {
      if (backer.bridges.size === 0) {
        backer.datapath.destroy();
        this.backers.delete(type);
      }
    }
    if (this.backers.size === 0) {
      this.#stopRevalidator?.();
      this.#stopRevalidator = undefined;
    }
  }

  configure(flowLimit: number, maxIdle: number): void {
    this.flowLimit = flowLimit;
    this.maxIdle = maxIdle;
    for (const backer of this.backers.values()) {
      backer.flowLimit = flowLimit;
      backer.maxIdle = maxIdle;
    }
  }

  #ensureTimer(): void {
    if (this.#stopRevalidator) return;
    this.#stopRevalidator = setPeriodic(REVALIDATE_INTERVAL, () => {
      if (!this.paused) this.revalidate(false);
    });
  }

  #pollScheduled = false;

  /** Polls soon (once), after the current task: frames arrived on some port. */
  schedulePoll(): void {
    if (this.#pollScheduled) return;
    this.#pollScheduled = true;
    queueMicrotask(() => {
      this.#pollScheduled = false;
      this.poll();
    });
  }

  /** Receives and forwards whatever frames are waiting on any port. */
  poll(): number {
    let total = 0;
    for (const backer of this.backers.values()) total += backer.datapath.runUntilIdle();
    return total;
  }

  /** One revalidator round on every backer, then the post-dump work. */
  revalidate(force: boolean): void {
    this.poll();
    for (const backer of this.backers.values()) backer.revalidate(force);
    this.afterRevalidate?.();
  }

  /** Marks every backer's translations stale (tables, ports or MACs changed). */
  invalidate(): void {
    for (const backer of this.backers.values()) backer.needRevalidate = true;
  }

  close(): void {
    this.#stopRevalidator?.();
    this.#stopRevalidator = undefined;
    for (const backer of this.backers.values()) backer.datapath.destroy();
    this.backers.clear();
  }
}
