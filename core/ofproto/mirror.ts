// Port mirrors of one bridge (upstream's ofproto/ofproto-dpif-mirror.c, the "mbridge"): up to
// 32 mirrors, each with the bundles it selects as sources and destinations, the VLANs it
// selects, its output (a bundle, or a VLAN) and snaplen, its bit number (the first free one
// when it is created), the mask of mirrors sharing its output (dup_mirrors), and the packets
// and bytes it has sent. Keeps the bundles' srcMirrors / dstMirrors / mirrorOut bits and the
// bridge's index → mirror map, which is what translation reads (xlate/mirror.ts).
//
// Promises: a mirror keyed by the same client key keeps its bit across reconfigurations; an
// unchanged configuration changes nothing; a mirror whose output bundle went away is destroyed
// (as upstream's mbridge_unregister_bundle does), one whose selected bundles went away only
// loses them — and that, like upstream, flushes the bridge's MAC table on the next `run()`.
// Performs no I/O and reads no database.

import { vlogModule } from "../net/vlog.ts";
import type { XlateBundle, XlateMirror } from "./xlate/view.ts";

const log = vlogModule("ofproto_dpif_mirror");

export const MAX_MIRRORS = 32;

/** A bundle as mirrors see it: its three mirror masks are theirs to set. */
export interface MirrorBundle extends XlateBundle {
  srcMirrors: number;
  dstMirrors: number;
  mirrorOut: number;
}

/** What the mirrors need of their bridge. */
export interface MirrorBridge {
  readonly mirrors: Map<number, XlateMirror>;
  bundles(): readonly MirrorBundle[];
  /** Cached translations may be stale. */
  invalidate(): void;
  readonly macLearning: { flush(): void };
}

export interface MirrorSettings {
  name: string;
  srcs: readonly MirrorBundle[];
  dsts: readonly MirrorBundle[];
  /** select_vlan, or undefined for every VLAN. */
  srcVlans: ReadonlySet<number> | undefined;
  outBundle: MirrorBundle | undefined;
  /** output_vlan (ignored when there is an output bundle). */
  outVlan: number;
  snaplen: number;
}

class Mirror implements XlateMirror {
  srcs = new Set<MirrorBundle>();
  dsts = new Set<MirrorBundle>();
  vlans: ReadonlySet<number> | undefined = undefined;
  outBundle: MirrorBundle | undefined = undefined;
  outVlan = -1;
  snaplen = 0;
  dupMirrors = 0;
  packets = 0;
  bytes = 0;

  constructor(readonly index: number, readonly key: string) {}

  /** mirror_update_stats, for the packets a translation sent here. */
  credit(packets: number, bytes: number): void {
    this.packets += packets;
    this.bytes += bytes;
  }
}

function sameSet<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

function sameVlans(a: ReadonlySet<number> | undefined, b: ReadonlySet<number> | undefined) {
  if (!a || !b) return a === b;
  return sameSet(a, b);
}

export class Mirrors {
  readonly #slots: (Mirror | undefined)[] = new Array(MAX_MIRRORS).fill(undefined);
  #needRevalidate = false;

  constructor(readonly bridge: MirrorBridge) {}

  #lookup(key: string): Mirror | undefined {
    return this.#slots.find((m) => m?.key === key);
  }

  /**
   * mirror_set: creates or reconfigures the mirror `key`. Returns "EFBIG" when all 32 bits are
   * taken and "EINVAL" when the output bundle is not the bridge's (the mirror is then gone).
   */
  set(key: string, s: MirrorSettings): "ok" | "EFBIG" | "EINVAL" {
    let mirror = this.#lookup(key);
    if (!mirror) {
      const index = this.#slots.findIndex((m) => m === undefined);
      if (index < 0) {
        log.warn(`maximum of ${MAX_MIRRORS} port mirrors reached, cannot create ${s.name}`);
        return "EFBIG";
      }
      mirror = new Mirror(index, key);
      this.#slots[index] = mirror;
    }
    const bundles = new Set(this.bridge.bundles());
    let out: MirrorBundle | undefined;
    let outVlan = s.outVlan;
    if (s.outBundle) {
      if (!bundles.has(s.outBundle)) {
        this.destroy(key);
        return "EINVAL";
      }
      out = s.outBundle;
      outVlan = -1;
    }
    const srcs = new Set(s.srcs.filter((b) => bundles.has(b)));
    const dsts = new Set(s.dsts.filter((b) => bundles.has(b)));
    if (
      sameSet(srcs, mirror.srcs) && sameSet(dsts, mirror.dsts) &&
      sameVlans(mirror.vlans, s.srcVlans) && mirror.outBundle === out &&
      mirror.outVlan === outVlan && mirror.snaplen === s.snaplen
    ) {
      return "ok";
    }
    mirror.srcs = srcs;
    mirror.dsts = dsts;
    mirror.vlans = s.srcVlans ? new Set(s.srcVlans) : undefined;
    mirror.outBundle = out;
    mirror.outVlan = outVlan;
    mirror.snaplen = s.snaplen;
    const bit = (1 << mirror.index) >>> 0;
    for (const b of this.bridge.bundles()) {
      b.srcMirrors = srcs.has(b) ? (b.srcMirrors | bit) >>> 0 : (b.srcMirrors & ~bit) >>> 0;
      b.dstMirrors = dsts.has(b) ? (b.dstMirrors | bit) >>> 0 : (b.dstMirrors & ~bit) >>> 0;
      b.mirrorOut = out === b ? (b.mirrorOut | bit) >>> 0 : (b.mirrorOut & ~bit) >>> 0;
    }
    this.bridge.mirrors.set(mirror.index, mirror);
    this.#updateDups();
    this.bridge.invalidate();
    return "ok";
  }

  /** mirror_destroy. */
  destroy(key: string): void {
    const mirror = this.#lookup(key);
    if (!mirror) return;
    const keep = ~((1 << mirror.index) >>> 0);
    for (const b of this.bridge.bundles()) {
      b.srcMirrors = (b.srcMirrors & keep) >>> 0;
      b.dstMirrors = (b.dstMirrors & keep) >>> 0;
      b.mirrorOut = (b.mirrorOut & keep) >>> 0;
    }
    this.#slots[mirror.index] = undefined;
    this.bridge.mirrors.delete(mirror.index);
    this.#updateDups();
    this.bridge.invalidate();
  }

  /**
   * Catches up with bundles that went away since the last call (upstream does this when each
   * bundle is unregistered): a mirror that output to one is destroyed, the others forget it.
   */
  forgetRemovedBundles(): void {
    const bundles = new Set(this.bridge.bundles());
    for (const mirror of this.#slots) {
      if (!mirror) continue;
      if (mirror.outBundle && !bundles.has(mirror.outBundle)) {
        this.destroy(mirror.key);
        continue;
      }
      for (const set of [mirror.srcs, mirror.dsts]) {
        for (const b of [...set]) {
          if (!bundles.has(b)) {
            set.delete(b);
            this.#needRevalidate = true;
          }
        }
      }
    }
  }

  /** mirror_get_stats: packets and bytes sent, or undefined for an unknown mirror. */
  stats(key: string): { packets: number; bytes: number } | undefined {
    const m = this.#lookup(key);
    return m ? { packets: m.packets, bytes: m.bytes } : undefined;
  }

  /** The keys of the mirrors that exist. */
  keys(): string[] {
    return this.#slots.filter((m): m is Mirror => m !== undefined).map((m) => m.key);
  }

  /** ofproto-dpif's run: a selection that lost bundles flushes the MAC table once. */
  run(): void {
    if (!this.#needRevalidate) return;
    this.#needRevalidate = false;
    this.bridge.macLearning.flush();
    this.bridge.invalidate();
  }

  /** mirror_update_dups. */
  #updateDups(): void {
    for (const m of this.#slots) if (m) m.dupMirrors = (1 << m.index) >>> 0;
    for (let i = 0; i < MAX_MIRRORS; i++) {
      const m1 = this.#slots[i];
      if (!m1) continue;
      for (let j = i + 1; j < MAX_MIRRORS; j++) {
        const m2 = this.#slots[j];
        if (m2 && m1.outBundle === m2.outBundle && m1.outVlan === m2.outVlan) {
          m1.dupMirrors = (m1.dupMirrors | (1 << j)) >>> 0;
          m2.dupMirrors = (m2.dupMirrors | m1.dupMirrors) >>> 0;
        }
      }
    }
  }
}
