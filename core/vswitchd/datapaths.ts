// The datapaths of the switch daemon: one Backer (shared userspace datapath plus the slow-path
// binding) per datapath type, created when the first bridge of that type appears and destroyed
// with the last, and the periodic work they need — polling netdevs for frames, revalidating the
// megaflow cache every 500 ms of daemon time (min of max-idle and max-revalidator) and at once
// after any change that may alter translations, then expiring OpenFlow rules whose timeouts
// passed (upstream does that right after each revalidator dump, when statistics are fresh).
// Owns the backers and their timers; knows bridges only as Ofprotos registered with a backer.

import { backerDatapath, type NetdevDatapath } from "../datapath/dpif.ts";
import { useWorkerDatapath } from "../datapath/dpif_remote.ts";
import { cancelTimer, setTimer, timeMsec } from "../net/timeval.ts";
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
  /** other_config:max-revalidator: dumps come every min(max-idle, this) ms. */
  maxRevalidator = REVALIDATE_INTERVAL;
  #interval = REVALIDATE_INTERVAL;
  /** A change asked for revalidation; it runs as soon as the current work is done. */
  #revalidationDue = false;
  #revalidationTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the last revalidation ended and what it cost (ms, performance.now()). */
  #lastRevalidationEnd = 0;
  #lastRevalidationCost = 0;

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
      backer.onNeedRevalidate = () => this.#scheduleRevalidation();
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

  configure(flowLimit: number, maxIdle: number, maxRevalidator = this.maxRevalidator): void {
    this.flowLimit = flowLimit;
    this.maxIdle = maxIdle;
    this.maxRevalidator = maxRevalidator;
    for (const backer of this.backers.values()) {
      backer.flowLimit = flowLimit;
      backer.maxIdle = maxIdle;
    }
    // The revalidator sleeps min(max-idle, max-revalidator) between dumps.
    const interval = Math.max(1, Math.min(maxIdle, maxRevalidator));
    if (interval !== this.#interval) {
      this.#interval = interval;
      this.#stopRevalidator?.();
      this.#stopRevalidator = undefined;
      if (this.backers.size) this.#ensureTimer();
    }
  }

  /**
   * The revalidator sleeps until min(max-idle, max-revalidator) after its last dump started,
   * whatever woke it for that dump; a warp past several periods wakes it once, as it wakes
   * upstream's thread once.
   */
  #ensureTimer(): void {
    if (this.#stopRevalidator) return;
    const handle = setTimer(this.#interval, () => {
      this.#stopRevalidator = undefined;
      if (!this.paused) this.revalidate(false);
      this.#ensureTimer();
    });
    this.#stopRevalidator = () => cancelTimer(handle);
  }

  /**
   * udpif_revalidate: a change (flow table, MAC table, ports) wakes the revalidator at once,
   * not at its next period; several changes in a row cost one dump. (Upstream's revalidator
   * thread races with the main loop here: whether the ovs-ofctl that made the change has hung
   * up yet, and so whether it still counts as a connection wanting table misses, varies from
   * run to run. Running right after the current task is the usual outcome.) Commands that show
   * datapath state run a due revalidation first (settle), so they never see it pending.
   */
  #scheduleRevalidation(): void {
    this.#revalidationDue = true;
    if (this.#revalidationTimer !== undefined) return;
    // Changes that keep coming (new MACs under traffic) would otherwise buy one full dump each:
    // the next one waits as long as the last one took, so revalidation takes at most half of
    // the main thread, as upstream's runs on a thread of its own beside the handlers.
    const wait = Math.max(
      0,
      this.#lastRevalidationEnd + this.#lastRevalidationCost - performance.now(),
    );
    this.#revalidationTimer = setTimeout(() => {
      this.#revalidationTimer = undefined;
      this.#runDueRevalidation();
    }, wait);
  }

  #runDueRevalidation(): void {
    if (!this.#revalidationDue || this.paused || this.backers.size === 0) return;
    this.revalidate(false);
  }

  /**
   * Finishes pending work before a command answers: frames waiting on ports, then a
   * revalidation that a change asked for (upstream's revalidator would have run by then).
   */
  settle(): void {
    this.poll();
    this.#runDueRevalidation();
  }

  /** revalidator/resume: a revalidation asked for while paused runs now. */
  resume(): void {
    this.paused = false;
    this.#runDueRevalidation();
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
    for (const backer of this.backers.values()) {
      total += backer.datapath.runUntilIdle();
      // ofproto-dpif's run(): a MAC that NORMAL learned or moved (or one that expired) makes
      // cached floods stale at once, not at the next periodic dump.
      for (const ofproto of backer.bridges) {
        if (ofproto.macLearning.run()) ofproto.invalidate();
      }
    }
    return total;
  }

  /** One revalidator round on every backer, then the post-dump work. */
  revalidate(force: boolean): void {
    this.#revalidationDue = false;
    if (this.#stopRevalidator) {
      this.#stopRevalidator();
      this.#stopRevalidator = undefined;
      this.#ensureTimer();
    }
    const start = performance.now();
    this.poll();
    for (const backer of this.backers.values()) backer.revalidate(force);
    this.afterRevalidate?.();
    this.#lastRevalidationEnd = performance.now();
    this.#lastRevalidationCost = this.#lastRevalidationEnd - start;
  }

  /** Marks every backer's translations stale (tables, ports or MACs changed). */
  invalidate(): void {
    for (const backer of this.backers.values()) backer.needRevalidate = true;
  }

  close(): void {
    this.#stopRevalidator?.();
    this.#stopRevalidator = undefined;
    if (this.#revalidationTimer !== undefined) clearTimeout(this.#revalidationTimer);
    this.#revalidationTimer = undefined;
    for (const backer of this.backers.values()) backer.datapath.destroy();
    this.backers.clear();
  }
}
