// The NORMAL action: a learning L2 switch with VLANs (upstream's xlate_normal and its helpers
// input_vid_is_valid, xvlan_input_translate / xvlan_output_translate, output_normal,
// xlate_normal_flood, is_admissible, is_gratuitous_arp, update_learning_table). The packet's
// VLAN inside the bridge follows from the input bundle's VLAN mode; frames a port must not accept
// are dropped; the source MAC is learned per (VLAN, MAC) when side effects are allowed; a known
// destination gets one output (never back out the input bundle), an unknown one is flooded to
// every floodable bundle in the VLAN in bundle creation order, each output tagged or untagged for
// its bundle; bundles that are mirror outputs carry nothing else. A bond (XlateBond) decides
// which member sends and whether a member may receive. Multicast snooping is not modelled.

import {
  ETH_TYPE_ARP,
  ETH_TYPE_VLAN_8021Q,
  FLOW_WORDS,
  VLAN_CFI,
  VLAN_PCP_MASK,
  VLAN_VID_MASK,
  W_ARP_OP,
  W_DL_DST,
  W_DL_SRC,
  W_IN_PORT,
  W_NW_DST,
  W_NW_SRC,
  W_PACKET_TYPE,
} from "../../datapath/flow.ts";
import { formatMac, macFromWords } from "../mac_learning.ts";
import type { XlateCtx } from "./context.ts";
import { type BondRecirc, composeOutput } from "./output.ts";
import type { XlateBundle, XlatePort } from "./view.ts";
import {
  ethTypeVlan,
  maskVlanTci,
  rawDlType,
  setVlan,
  vlanTci,
  vlanTpid,
  XW_VLAN2,
} from "./xflow.ts";

const OFPP_CONTROLLER = 0xfffd;
const OFPP_NONE = 0xffff;
const ARP_OP_REQUEST = 1;
const ARP_OP_REPLY = 2;

/** The bundle of packets a controller sends with in_port NONE or CONTROLLER. */
const OFPP_NONE_BUNDLE: XlateBundle = {
  name: "OFPP_NONE",
  vlanMode: "trunk",
  vlan: -1,
  trunks: undefined,
  cvlans: undefined,
  qinqEthtype: ETH_TYPE_VLAN_8021Q,
  priorityTags: "never",
  floodable: true,
  protected: false,
  ports: [],
  srcMirrors: 0,
  dstMirrors: 0,
  mirrorOut: 0,
};

/** One VLAN header as NORMAL sees it (upstream's xvlan_single). */
interface VlanHdr {
  tpid: number;
  vid: number;
  pcp: number;
}

/** Two headers, outermost first (upstream's struct xvlan). */
export type XVlan = [VlanHdr, VlanHdr];

export function newXVlan(): XVlan {
  return [{ tpid: 0, vid: 0, pcp: 0 }, { tpid: 0, vid: 0, pcp: 0 }];
}

function copyXVlan(dst: XVlan, src: XVlan): void {
  for (let i = 0; i < 2; i++) {
    dst[i]!.tpid = src[i]!.tpid;
    dst[i]!.vid = src[i]!.vid;
    dst[i]!.pcp = src[i]!.pcp;
  }
}

function popXVlan(x: XVlan): void {
  x[0].tpid = x[1].tpid;
  x[0].vid = x[1].vid;
  x[0].pcp = x[1].pcp;
  x[1].tpid = x[1].vid = x[1].pcp = 0;
}

function pushXVlanUninit(x: XVlan): void {
  x[1].tpid = x[0].tpid;
  x[1].vid = x[0].vid;
  x[1].pcp = x[0].pcp;
  x[0].tpid = x[0].vid = x[0].pcp = 0;
}

export function extractXVlan(ctx: XlateCtx, x: XVlan): void {
  for (const h of x) h.tpid = h.vid = h.pcp = 0;
  for (let i = 0; i < 2; i++) {
    const tpid = vlanTpid(ctx.flow, i);
    const tci = vlanTci(ctx.flow, i);
    if (!ethTypeVlan(tpid) || !(tci & VLAN_CFI)) break;
    x[i]!.tpid = tpid;
    x[i]!.vid = tci & VLAN_VID_MASK;
    x[i]!.pcp = tci & VLAN_PCP_MASK;
  }
}

function putXVlan(ctx: XlateCtx, x: XVlan, priorityTags: XlateBundle["priorityTags"]): void {
  for (let i = 0; i < 2; i++) {
    const h = x[i]!;
    let tci = h.vid | (h.pcp & VLAN_PCP_MASK);
    let tpid = vlanTpid(ctx.flow, i);
    if (tci || (priorityTags === "always" && h.tpid)) {
      tci |= VLAN_CFI;
      tpid = h.tpid ? h.tpid : ETH_TYPE_VLAN_8021Q;
    }
    setVlan(ctx.flow, i, tpid, tci);
  }
}

function trunksVlan(b: XlateBundle, vlan: number): boolean {
  return b.vlanMode !== "access" && (!b.trunks || b.trunks.has(vlan));
}

function allowsCvlan(b: XlateBundle, vlan: number): boolean {
  return !b.cvlans || b.cvlans.has(vlan);
}

export function includesVlan(b: XlateBundle, x: XVlan): boolean {
  switch (b.vlanMode) {
    case "access":
      return x[0].vid === b.vlan && x[1].vid === 0;
    case "trunk":
    case "native-untagged":
    case "native-tagged":
      return trunksVlan(b, x[0].vid);
    case "dot1q-tunnel":
      return x[0].vid === b.vlan && allowsCvlan(b, x[1].vid);
  }
}

/** input_vid_is_valid. */
export function inputVidIsValid(ctx: XlateCtx, vid: number, b: XlateBundle): boolean {
  if (b === OFPP_NONE_BUNDLE) return true;
  switch (b.vlanMode) {
    case "access":
      if (vid) {
        ctx.reportError(
          `dropping VLAN ${vid} tagged packet received on port ${b.name} configured as VLAN ${b.vlan} access port`,
        );
        return false;
      }
      return true;
    case "native-untagged":
    case "native-tagged":
    case "trunk":
      // A native VLAN port always carries its native VLAN untagged.
      if (b.vlanMode !== "trunk" && !vid) return true;
      if (!trunksVlan(b, vid)) {
        ctx.reportError(
          `dropping VLAN ${vid} packet received on port ${b.name} not configured for trunking VLAN ${vid}`,
        );
        return false;
      }
      return true;
    case "dot1q-tunnel":
      if (!allowsCvlan(b, vid)) {
        ctx.reportError(
          `dropping VLAN ${vid} packet received on dot1q-tunnel port ${b.name} that excludes this VLAN`,
        );
        return false;
      }
      return true;
  }
}

export function inputTranslate(b: XlateBundle, input: XVlan, x: XVlan): void {
  switch (b.vlanMode) {
    case "access":
      for (const h of x) h.tpid = h.vid = h.pcp = 0;
      x[0].tpid = input[0].tpid ? input[0].tpid : ETH_TYPE_VLAN_8021Q;
      x[0].vid = b.vlan;
      x[0].pcp = input[0].pcp;
      return;
    case "trunk":
      copyXVlan(x, input);
      return;
    case "native-untagged":
    case "native-tagged":
      copyXVlan(x, input);
      if (!input[0].vid) {
        x[0].tpid = input[0].tpid ? input[0].tpid : ETH_TYPE_VLAN_8021Q;
        x[0].vid = b.vlan;
        x[0].pcp = input[0].pcp;
      }
      return;
    case "dot1q-tunnel":
      copyXVlan(x, input);
      pushXVlanUninit(x);
      x[0].tpid = b.qinqEthtype;
      x[0].vid = b.vlan;
      x[0].pcp = 0;
      return;
  }
}

function outputTranslate(b: XlateBundle, x: XVlan, out: XVlan): void {
  switch (b.vlanMode) {
    case "access":
      for (const h of out) h.tpid = h.vid = h.pcp = 0;
      return;
    case "trunk":
    case "native-tagged":
      copyXVlan(out, x);
      return;
    case "native-untagged":
      copyXVlan(out, x);
      if (x[0].vid === b.vlan) popXVlan(out);
      return;
    case "dot1q-tunnel":
      copyXVlan(out, x);
      popXVlan(out);
      return;
  }
}

/**
 * output_normal: one output to `out` — its only port, or the bond member the bond chooses (or a
 * recirculation, for balance-tcp) — tagged as `out` wants.
 */
export function outputNormal(ctx: XlateCtx, out: XlateBundle, x: XVlan): void {
  if (out.vlanMode === "dot1q-tunnel" && out.cvlans) {
    ctx.wc[XW_VLAN2] = (ctx.wc[XW_VLAN2]! | 0xffff) >>> 0;
  }
  const outX = newXVlan();
  outputTranslate(out, x, outX);
  if (out.priorityTags !== "never") outX[0].pcp = vlanTci(ctx.flow, 0) & VLAN_PCP_MASK;
  if (!out.ports.length) return;
  let port: XlatePort | undefined = out.ports[0];
  let bondRecirc: BondRecirc | undefined;
  if (out.bond) {
    const r = out.bond.recirculation(ctx.mayLearn);
    // With recirculation the member is chosen afterwards, so nothing here is matched on.
    if (r && r.recircId) bondRecirc = { ...r, lbOutput: out.bond.useLbOutput };
    port = out.bond.chooseOutput(ctx.flow, bondRecirc ? undefined : ctx.wc, outX[0].vid);
    if (!port) return;
    // Without recirculation the bond balances by what translations report (bond_account).
    const bond = out.bond;
    if (!bondRecirc && bond.account) {
      const flow = ctx.flow.slice(0, FLOW_WORDS);
      const vid = outX[0].vid;
      ctx.statsSinks.push((_packets, bytes) => bond.account!(flow, vid, bytes));
    }
  }
  if (!port) return;
  const f = ctx.flow;
  const saved0 = vlanTci(f, 0);
  const savedTpid0 = vlanTpid(f, 0);
  const saved1 = f[XW_VLAN2]!;
  putXVlan(ctx, outX, out.priorityTags);
  composeOutput(ctx, port.ofport, true, false, false, bondRecirc);
  setVlan(f, 0, savedTpid0, saved0);
  f[XW_VLAN2] = saved1;
}

/** is_gratuitous_arp (un-wildcarding what it examines). */
function isGratuitousArp(ctx: XlateCtx): boolean {
  const f = ctx.flow;
  if (rawDlType(f) !== ETH_TYPE_ARP) return false;
  const wc = ctx.wc;
  wc[W_DL_DST] = (wc[W_DL_DST]! | 0xffff) >>> 0;
  wc[W_DL_DST + 1] = 0xffffffff;
  if ((f[W_DL_DST]! & 0xffff) !== 0xffff || f[W_DL_DST + 1] !== 0xffffffff) return false;
  wc[W_ARP_OP] = (wc[W_ARP_OP]! | 0xffff) >>> 0;
  const op = f[W_ARP_OP]! & 0xffff;
  if (op === ARP_OP_REPLY) return true;
  if (op === ARP_OP_REQUEST) {
    wc[W_NW_SRC] = 0xffffffff;
    wc[W_NW_DST] = 0xffffffff;
    return f[W_NW_SRC] === f[W_NW_DST];
  }
  return false;
}

const RESERVED_MACS = new Set<number>([
  0x00e02b000000,
  0x00e02b000004,
  0x00e02b000006,
  0x01000c000000,
  0x01000ccccccc,
  0x01000ccccccd,
  0x01000ccdcdcd,
  0x01000cccccc0,
  0x01000cccccc1,
  0x01000cccccc2,
  0x01000cccccc3,
  0x01000cccccc4,
  0x01000cccccc5,
  0x01000cccccc6,
  0x01000cccccc7,
]);
for (let i = 0; i < 16; i++) RESERVED_MACS.add(0x0180c2000000 + i);

/** eth_addr_is_reserved. */
export function isReservedMac(mac: number): boolean {
  return RESERVED_MACS.has(mac);
}

/** xlate_normal_flood. */
function normalFlood(ctx: XlateCtx, inBundle: XlateBundle, x: XVlan): void {
  for (const b of ctx.bridge.bundles()) {
    if (b !== inBundle && includesVlan(b, x) && b.floodable && !b.mirrorOut) {
      outputNormal(ctx, b, x);
    }
  }
}

/** The input bundle (lookup_input_bundle): a port's, or OFPP_NONE's for controller packets. */
export function inputBundle(
  ctx: XlateCtx,
): { bundle: XlateBundle; port: XlatePort | undefined } | undefined {
  const inPort = ctx.flow[W_IN_PORT]! & 0xffff;
  const port = ctx.bridge.port(inPort);
  if (port && port.bundle) return { bundle: port.bundle, port };
  if (inPort === OFPP_CONTROLLER || inPort === OFPP_NONE) {
    return { bundle: OFPP_NONE_BUNDLE, port };
  }
  ctx.reportError(`received packet on unknown port ${inPort}`);
  return undefined;
}

/** xlate_normal. */
export function xlateNormal(ctx: XlateCtx): void {
  const f = ctx.flow;
  const wc = ctx.wc;
  wc[W_DL_SRC] = (wc[W_DL_SRC]! | 0xffff) >>> 0;
  wc[W_DL_SRC + 1] = 0xffffffff;
  wc[W_DL_DST] = (wc[W_DL_DST]! | 0xffff) >>> 0;
  wc[W_DL_DST + 1] = 0xffffffff;
  maskVlanTci(wc, 0, VLAN_VID_MASK | VLAN_CFI);

  const input = inputBundle(ctx);
  if (!input) {
    ctx.report("warn", "no input bundle, dropping");
    return;
  }
  const inBundle = input.bundle;

  if (ethTypeVlan(rawDlType(f)) && !(vlanTci(f, 0) & VLAN_CFI)) {
    if (ctx.packet) {
      ctx.reportError(
        `dropping packet with partial VLAN tag received on port ${inBundle.name}`,
      );
    }
    ctx.report("warn", "partial VLAN tag, dropping");
    return;
  }

  if (inBundle.mirrorOut) {
    if (ctx.packet) {
      ctx.reportError(
        `dropping packet received on port ${inBundle.name}, which is reserved exclusively for mirroring`,
      );
    }
    ctx.report("warn", "input port is mirror output port, dropping");
    return;
  }

  const inX = newXVlan();
  extractXVlan(ctx, inX);
  if (!inputVidIsValid(ctx, inX[0].vid, inBundle)) {
    ctx.report("warn", "disallowed VLAN VID for this input port, dropping");
    return;
  }
  const x = newXVlan();
  inputTranslate(inBundle, inX, x);
  const vlan = x[0].vid;

  const dst = macFromWords(f, W_DL_DST);
  if (input.port && !ctx.bridge.forwardBpdu && isReservedMac(dst)) {
    ctx.report("detail", "packet has reserved destination MAC, dropping");
    return;
  }

  const src = macFromWords(f, W_DL_SRC);
  const ml = ctx.bridge.macLearning;
  if (input.port && inBundle.bond) {
    switch (inBundle.bond.admissibility(input.port, dst)) {
      case "accept":
        break;
      case "drop":
        ctx.report("detail", "bonding refused admissibility, dropping");
        return;
      case "drop-if-moved": {
        const moved = ml.lookup(src, vlan);
        if (
          moved && moved.port !== inBundle && (!isGratuitousArp(ctx) || ml.isGratArpLocked(moved))
        ) {
          ctx.report("detail", "SLB bond thinks this packet looped back, dropping");
          return;
        }
        break;
      }
    }
  }

  const isGratArp = isGratuitousArp(ctx);
  if (ctx.mayLearn && f[W_PACKET_TYPE] === 0 && input.port) {
    if (
      inBundle !== OFPP_NONE_BUNDLE &&
      ml.update(src, vlan, isGratArp, inBundle.bond !== undefined, inBundle)
    ) {
      ctx.reportDebug(
        "detail",
        () => `learned that ${formatMac(src)} is on port ${inBundle.name} in VLAN ${vlan}`,
      );
    }
  }
  if (inBundle !== OFPP_NONE_BUNDLE) {
    ctx.normalLearns.push({ bundle: inBundle, mac: src, vlan, isGratArp });
  }

  const entry = ml.lookup(dst, vlan);
  const macBundle = entry?.port;
  if (macBundle) {
    const known = ctx.bridge.bundles().includes(macBundle);
    if (known && macBundle.mirrorOut) {
      ctx.report("warn", "learned port is a mirror port, dropping");
      return;
    }
    if (known && macBundle !== inBundle) {
      ctx.report("detail", "forwarding to learned port");
      outputNormal(ctx, macBundle, x);
    } else if (!known) {
      ctx.report("warn", "learned port is unknown, dropping");
    } else {
      ctx.report("detail", "learned port is input port, dropping");
    }
  } else {
    ctx.report("detail", "no learned MAC for destination, flooding");
    normalFlood(ctx, inBundle, x);
  }
}
