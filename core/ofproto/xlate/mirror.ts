// Port mirroring (upstream's mirror_packet and mirror_ingress_packet): a packet received on a
// bundle that some mirror selects as a source, or sent on one selected as a destination, is
// also sent to the mirror's output — a bundle (tagged for it as NORMAL would) or, for an output
// VLAN, every bundle in that VLAN that is not itself a mirror output. Each output gets a packet
// once per translation (mirrors sharing an output count as one), and a mirror with a snaplen
// truncates what it sends. Mirror statistics are the caller's (the result lists no mirrors).

import { VLAN_CFI, VLAN_VID_MASK, W_DL_DST } from "../../datapath/flow.ts";
import { macFromWords } from "../mac_learning.ts";
import type { XlateCtx } from "./context.ts";
import {
  extractXVlan,
  includesVlan,
  inputBundle,
  inputTranslate,
  inputVidIsValid,
  isReservedMac,
  newXVlan,
  outputNormal,
} from "./normal.ts";
import type { XlateBundle, XlateMirror } from "./view.ts";
import { maskVlanTci } from "./xflow.ts";

/** mirror_packet: `mirrors` are the candidate mirrors of `bundle` (ingress or egress). */
export function mirrorPacket(ctx: XlateCtx, bundle: XlateBundle, mirrors: number): void {
  const inX = newXVlan();
  extractXVlan(ctx, inX);
  if (!inputVidIsValid(ctx, inX[0].vid, bundle)) return;
  const x = newXVlan();
  inputTranslate(bundle, inX, x);

  const bridge = ctx.bridge;
  mirrors &= ~ctx.mirrors;
  // The mirrors really sent to, for their statistics (upstream's used_mirrors).
  let used: XlateMirror[] | undefined;
  while (mirrors) {
    const bit = mirrors & -mirrors;
    const m = bridge.mirror(31 - Math.clz32(bit));
    if (!m) {
      mirrors &= ~bit;
      continue;
    }
    if (m.vlans) maskVlanTci(ctx.wc, 0, VLAN_CFI | VLAN_VID_MASK);
    if (m.vlans && !m.vlans.has(x[0].vid)) {
      mirrors &= ~bit;
      continue;
    }
    (used ??= []).push(m);
    // Recorded before the outputs, so that they do not mirror to the same place again.
    ctx.mirrors = (ctx.mirrors | m.dupMirrors) >>> 0;
    ctx.mirrorSnaplen = m.snaplen;
    if (m.outBundle) {
      if (bridge.bundles().includes(m.outBundle)) outputNormal(ctx, m.outBundle, x);
    } else if (x[0].vid !== m.outVlan && !isReservedMac(macFromWords(ctx.flow, W_DL_DST))) {
      const oldVid = x[0].vid;
      x[0].vid = m.outVlan;
      for (const b of bridge.bundles()) {
        if (includesVlan(b, x) && !b.mirrorOut) outputNormal(ctx, b, x);
      }
      x[0].vid = oldVid;
    }
    mirrors &= ~ctx.mirrors;
    ctx.mirrorSnaplen = 0;
  }
  if (used) {
    const sent = used;
    ctx.statsSinks.push((packets, bytes) => {
      for (const m of sent) m.credit?.(packets, bytes);
    });
  }
}

/** mirror_ingress_packet: the mirrors selecting the input bundle as a source. */
export function mirrorIngressPacket(ctx: XlateCtx): void {
  if (!ctx.bridge.hasMirrors) return;
  const input = inputBundle(ctx);
  if (input) mirrorPacket(ctx, input.bundle, input.bundle.srcMirrors);
}
