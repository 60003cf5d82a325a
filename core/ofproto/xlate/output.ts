// Output (upstream's xlate_output_action, compose_output_action__, flood_packets,
// patch_port_output, xlate_enqueue_action, xlate_output_reg_action, xlate_output_trunc_action
// and xlate_bundle_action): what each port number means (IN_PORT, TABLE, NORMAL, FLOOD, ALL,
// CONTROLLER, LOCAL, ordinary ports), when output is skipped (the input port, NO_FWD,
// protected-to-protected, unknown ports), committing pending header changes right before each
// datapath output, and patch ports, whose peer bridge's tables translate on in the same
// datapath. FLOOD and ALL visit ports in upstream's hmap order.

import {
  W_ACTSET_OUTPUT,
  W_DL_DST,
  W_DL_SRC,
  W_DL_TYPE_VLAN,
  W_IN_PORT,
  W_METADATA,
  W_NW_MISC,
  W_PACKET_TYPE,
  W_REGS,
  W_SKB_PRIORITY,
  W_TUN_GBP,
  W_TUN_ID,
  W_VLAN_TPID,
} from "../../datapath/flow.ts";
import {
  type OfpactOf,
  OFPR_ACTION,
  OFPR_ACTION_SET,
  OFPR_GROUP,
  OFPR_PACKET_OUT,
} from "../actions/types.ts";
import type { XlateCtx } from "./context.ts";
import { finishFreezing, xlateControllerAction } from "./freeze.ts";
import { hashInt, hmapOrder } from "./hash.ts";
import { mirrorPacket } from "./mirror.ts";
import { xlateNormal } from "./normal.ts";
import { readSubfieldValue, regLoad, reportSubfield, unwildcardSubfield } from "./subfields.ts";
import { type ActionsXlator, OFPP_UNSET, xlateActionSet, xlateTableAction } from "./table.ts";
import {
  PC_NO_FLOOD,
  PC_NO_FWD,
  PC_NO_RECV,
  PC_NO_RECV_STP,
  type XlateBridge,
  type XlatePort,
} from "./view.ts";
import { bundleExecute } from "./selection.ts";
import {
  clearConntrack,
  IP_DSCP_MASK,
  isStp,
  nwTos,
  rawDlType,
  setNwTos,
  XW_VLAN2,
} from "./xflow.ts";
import { SLOW_LACP } from "./commit.ts";
import { formatSubfield } from "../subfield.ts";

export const OFPP_IN_PORT = 0xfff8;
export const OFPP_TABLE = 0xfff9;
export const OFPP_NORMAL = 0xfffa;
export const OFPP_FLOOD = 0xfffb;
export const OFPP_ALL = 0xfffc;
export const OFPP_CONTROLLER = 0xfffd;
export const OFPP_LOCAL = 0xfffe;
export const OFPP_NONE = 0xffff;
export const OFPP_MAX = 0xff00;

/** The hooks output needs from the action translator (breaking an import cycle). */
export interface OutputHooks {
  doActions: ActionsXlator;
  cloneActions: ActionsXlator;
}

let hooks: OutputHooks | undefined;

export function setOutputHooks(h: OutputHooks): void {
  hooks = h;
}

function theHooks(): OutputHooks {
  if (!hooks) throw new Error("xlate output hooks not installed");
  return hooks;
}

const hashOrderCache = new WeakMap<readonly XlatePort[], XlatePort[]>();

/** The bridge's ports in upstream's xbridge->xports hmap order. */
export function portsInHashOrder(bridge: XlateBridge): readonly XlatePort[] {
  const ports = bridge.ports();
  let order = hashOrderCache.get(ports);
  if (!order) {
    order = hmapOrder(ports, (p) => hashInt(p.ofport & 0xffff, 0));
    hashOrderCache.set(ports, order);
  }
  return order;
}

function inPort(ctx: XlateCtx): number {
  return ctx.flow[W_IN_PORT]! & 0xffff;
}

/** xlate_flow_is_protected. */
function isProtected(ctx: XlateCtx, out: XlatePort): boolean {
  const inp = ctx.bridge.port(inPort(ctx));
  return !!(inp && inp.bundle && out.bundle && inp.bundle.protected && out.bundle.protected);
}

/** check_output_prerequisites (no STP/RSTP in this switch: those checks always pass). */
function outputAllowed(ctx: XlateCtx, port: XlatePort | undefined): port is XlatePort {
  if (!port) {
    ctx.report("warn", "Nonexistent output port");
    return false;
  }
  if (port.config & PC_NO_FWD) {
    ctx.report("detail", "OFPPC_NO_FWD set, skipping output");
    return false;
  }
  if (ctx.mirrorSnaplen !== 0 && port.odpPort === undefined) {
    ctx.report("warn", "Mirror truncate to ODPP_NONE, skipping output");
    return false;
  }
  if (isProtected(ctx, port)) {
    ctx.report("warn", "Flow is between protected ports, skipping output.");
    return false;
  }
  return true;
}

/** may_receive. */
export function mayReceive(ctx: XlateCtx, port: XlatePort): boolean {
  return !(port.config & (isStp(ctx.flow) ? PC_NO_RECV_STP : PC_NO_RECV));
}

/** The slow-protocols Ethertype (ETH_TYPE_LACP). */
const ETH_TYPE_LACP = 0x8809;

/**
 * process_special: a packet for one of the slow path's own protocols on `port` — LACP on a
 * bundle that runs it — is handed to that protocol instead of the tables. Returns true when it
 * was (the flow is then slow-pathed).
 */
export function processSpecial(ctx: XlateCtx, port: XlatePort | undefined): boolean {
  const lacp = port?.bundle?.lacp;
  if (!port || !lacp || rawDlType(ctx.flow) !== ETH_TYPE_LACP) return false;
  if (ctx.packet) lacp.processPacket(port, ctx.packet);
  ctx.slow |= SLOW_LACP;
  return true;
}

/** A balance-tcp bond's recirculation, which takes the place of an output (xlate_bond_recirc). */
export interface BondRecirc {
  readonly recircId: number;
  readonly hashBasis: number;
  readonly lbOutput: boolean;
}

/** OVS_HASH_ALG_L4. */
const HASH_ALG_L4 = 0;

/** compose_output_action__. */
export function composeOutput(
  ctx: XlateCtx,
  ofport: number,
  checkStp: boolean,
  isLastAction: boolean,
  truncate: boolean,
  bondRecirc?: BondRecirc,
): void {
  void checkStp;
  const port = ctx.bridge.port(ofport);
  if (!outputAllowed(ctx, port)) return;
  if (port.peer) {
    if (truncate) ctx.reportError("Cannot truncate output to patch port");
    patchPortOutput(ctx, port, port.peer.bridge, port.peer.port, isLastAction);
    return;
  }
  const flow = ctx.flow;
  const savedTypeVlan = flow[W_DL_TYPE_VLAN]!;
  const savedTpid = flow[W_VLAN_TPID]!;
  const savedVlan2 = flow[XW_VLAN2]!;
  const savedMisc = flow[W_NW_MISC]!;
  const d0 = flow[W_DL_DST]!;
  const d1 = flow[W_DL_DST + 1]!;
  const s0 = flow[W_DL_SRC]!;
  const s1 = flow[W_DL_SRC + 1]!;
  const pt = flow[W_PACKET_TYPE]!;
  const queueDscp = port.queueDscp;
  if (queueDscp && queueDscp.size) {
    // A queue with a DSCP rewrites the packet's DSCP on the way out of this port.
    ctx.wc[W_SKB_PRIORITY] = 0xffffffff;
    const dscp = queueDscp.get(flow[W_SKB_PRIORITY]!);
    if (dscp !== undefined) {
      ctx.wc[W_NW_MISC] = (ctx.wc[W_NW_MISC]! | IP_DSCP_MASK << 16) >>> 0;
      setNwTos(flow, (nwTos(flow) & ~IP_DSCP_MASK) | dscp);
    }
  }
  if (port.odpPort !== undefined) {
    ctx.commit();
    if (bondRecirc?.lbOutput) {
      ctx.emit({ type: "lb_output", bond: bondRecirc.recircId });
    } else if (bondRecirc) {
      ctx.emit({ type: "hash", alg: HASH_ALG_L4, basis: bondRecirc.hashBasis });
      ctx.emit({ type: "recirc", id: bondRecirc.recircId });
    } else {
      if (ctx.mirrorSnaplen > 0 && ctx.mirrorSnaplen < 0xffff) {
        ctx.emit({ type: "trunc", maxLen: ctx.mirrorSnaplen });
      }
      ctx.emit({ type: "output", port: port.odpPort });
    }
  }
  if (ctx.bridge.hasMirrors && port.bundle) mirrorPacket(ctx, port.bundle, port.bundle.dstMirrors);
  flow[W_DL_TYPE_VLAN] = savedTypeVlan;
  flow[W_VLAN_TPID] = savedTpid;
  flow[XW_VLAN2] = savedVlan2;
  flow[W_NW_MISC] = savedMisc;
  flow[W_DL_DST] = d0;
  flow[W_DL_DST + 1] = d1;
  flow[W_DL_SRC] = s0;
  flow[W_DL_SRC + 1] = s1;
  flow[W_PACKET_TYPE] = pt;
}

/** compose_output_action. */
export function composeOutputAction(
  ctx: XlateCtx,
  ofport: number,
  isLastAction: boolean,
  truncate: boolean,
): void {
  composeOutput(ctx, ofport, true, isLastAction, truncate);
}

/** patch_port_output: translation continues in the peer bridge, as if received there. */
export function patchPortOutput(
  ctx: XlateCtx,
  inDev: XlatePort,
  peerBridge: XlateBridge,
  outDev: XlatePort,
  isLastAction: boolean,
): void {
  const flow = ctx.flow;
  const oldFlow = ctx.save(flow);
  const oldWc = ctx.save(ctx.wc);
  const oldConntracked = ctx.conntracked;
  const oldWasMpls = ctx.wasMpls;
  const oldStack = ctx.stack;
  const oldStackBytes = ctx.stackBytes;
  const oldActionSet = ctx.actionSet;
  const oldTrace = ctx.trace;
  const oldBridge = ctx.bridge;

  ctx.stack = [];
  ctx.stackBytes = 0;
  ctx.actionSet = [];
  flow[W_IN_PORT] = outDev.ofport;
  flow[W_METADATA] = 0;
  flow[W_METADATA + 1] = 0;
  flow.fill(0, W_TUN_ID, W_TUN_GBP + 1);
  ctx.wc.fill(0, W_TUN_ID, W_TUN_GBP + 1);
  flow.fill(0, W_REGS, W_REGS + 16);
  flow[W_ACTSET_OUTPUT] = OFPP_UNSET;
  ctx.conntracked = false;
  clearConntrack(flow);
  ctx.trace = ctx.report("bridge", `bridge("${peerBridge.name}")`);
  // Each bridge's mirrors see the packet once, whatever the other bridge mirrored.
  const oldMirrors = ctx.mirrors;
  const independentMirrors = peerBridge !== ctx.bridge;
  if (independentMirrors) ctx.mirrors = 0;
  ctx.bridge = peerBridge;

  if (!processSpecial(ctx, outDev) && mayReceive(ctx, outDev)) {
    const h = theHooks();
    xlateTableAction(ctx, outDev.ofport, 0, true, true, false, isLastAction, h.cloneActions);
    if (!ctx.freezing) xlateActionSet(ctx, h.doActions);
    if (ctx.freezing) finishFreezing(ctx);
  }

  // The patch netdevs count what crosses them (out of one, into the other), now and whenever
  // the megaflow's statistics come in.
  const txStats = inDev.vportStats;
  const rxStats = outDev.vportStats;
  if (txStats && rxStats) {
    ctx.statsSinks.push((packets, bytes) => {
      txStats.txPackets += packets;
      txStats.txBytes += bytes;
      rxStats.rxPackets += packets;
      rxStats.rxBytes += bytes;
    });
  }

  ctx.trace = oldTrace;
  if (independentMirrors) ctx.mirrors = oldMirrors;
  flow.set(oldFlow);
  ctx.bridge = oldBridge;
  ctx.actionSet = oldActionSet;
  ctx.stack = oldStack;
  ctx.stackBytes = oldStackBytes;
  for (let w = W_TUN_ID; w <= W_TUN_GBP; w++) ctx.wc[w] = oldWc[w]!;
  ctx.release();
  ctx.release();
  ctx.wasMpls = oldWasMpls;
  ctx.conntracked = oldConntracked;
  ctx.exit = false;
  ctx.error = "OK";
}

/** flood_packets: every port but the input one (FLOOD also skips NO_FLOOD ports). */
function floodPackets(ctx: XlateCtx, all: boolean, isLastAction: boolean): void {
  const ports = portsInHashOrder(ctx.bridge);
  const input = inPort(ctx);
  let last: XlatePort | undefined;
  for (const port of ports) {
    if (port.ofport === input) continue;
    if (all || !(port.config & PC_NO_FLOOD)) {
      if (last) composeOutput(ctx, last.ofport, !all, false, false);
      last = port;
    }
  }
  if (last) composeOutput(ctx, last.ofport, !all, isLastAction, false);
}

/** xlate_output_action. */
export function xlateOutputAction(
  ctx: XlateCtx,
  port: number,
  controllerLen: number,
  mayPacketIn: boolean,
  isLastAction: boolean,
  truncate: boolean,
  groupBucketAction: boolean,
): void {
  switch (port) {
    case OFPP_IN_PORT:
      composeOutputAction(ctx, inPort(ctx), isLastAction, truncate);
      break;
    case OFPP_TABLE:
      xlateTableAction(
        ctx,
        inPort(ctx),
        0,
        mayPacketIn,
        true,
        false,
        false,
        theHooks().doActions,
      );
      break;
    case OFPP_NORMAL:
      xlateNormal(ctx);
      break;
    case OFPP_FLOOD:
      floodPackets(ctx, false, isLastAction);
      break;
    case OFPP_ALL:
      floodPackets(ctx, true, isLastAction);
      break;
    case OFPP_CONTROLLER:
      xlateControllerAction(
        ctx,
        controllerLen,
        ctx.inPacketOut
          ? OFPR_PACKET_OUT
          : groupBucketAction
          ? OFPR_GROUP
          : ctx.inActionSet
          ? OFPR_ACTION_SET
          : OFPR_ACTION,
        0,
        undefined,
      );
      break;
    case OFPP_NONE:
      break;
    default:
      if (port !== inPort(ctx)) composeOutputAction(ctx, port, isLastAction, truncate);
      else ctx.reportInfo("skipping output to input port");
  }
}

/** xlate_output_reg_action. */
export function xlateOutputReg(
  ctx: XlateCtx,
  a: OfpactOf<"output_reg">,
  isLastAction: boolean,
  groupBucketAction: boolean,
): void {
  const port = readSubfieldValue(ctx.flow, a.src);
  if (port <= 0xffffn) {
    ctx.report("detail", `output port is ${port}`);
    unwildcardSubfield(ctx.wc, a.src);
    xlateOutputAction(ctx, Number(port), a.maxLen, false, isLastAction, false, groupBucketAction);
  } else {
    ctx.report("warn", `output port ${port} is out of range`);
  }
}

const RESERVED_NAMES: Record<number, string> = {
  [OFPP_IN_PORT]: "IN_PORT",
  [OFPP_TABLE]: "TABLE",
  [OFPP_NORMAL]: "NORMAL",
  [OFPP_FLOOD]: "FLOOD",
  [OFPP_ALL]: "ALL",
  [OFPP_CONTROLLER]: "CONTROLLER",
  [OFPP_LOCAL]: "LOCAL",
  [OFPP_NONE]: "ANY",
};

function portName(port: number): string {
  return RESERVED_NAMES[port] ?? String(port);
}

/** xlate_output_trunc_action. */
export function xlateOutputTrunc(
  ctx: XlateCtx,
  port: number,
  maxLen: number,
  isLastAction: boolean,
  groupBucketAction: boolean,
): void {
  switch (port) {
    case OFPP_TABLE:
    case OFPP_NORMAL:
    case OFPP_FLOOD:
    case OFPP_ALL:
    case OFPP_CONTROLLER:
    case OFPP_NONE:
      ctx.report("warn", `output_trunc does not support port: ${portName(port)}`);
      return;
  }
  if (port === inPort(ctx)) {
    ctx.reportInfo("skipping output to input port");
    return;
  }
  const xport = ctx.bridge.port(port);
  if (!xport || xport.odpPort === undefined) {
    ctx.reportError(`output_trunc does not support patch port ${portName(port)}`);
    return;
  }
  ctx.emit({ type: "trunc", maxLen });
  xlateOutputAction(ctx, port, 0, false, isLastAction, true, groupBucketAction);
}

/** xlate_enqueue_action (queues map to skb_priority one to one on this datapath). */
export function xlateEnqueue(
  ctx: XlateCtx,
  a: OfpactOf<"enqueue">,
  isLastAction: boolean,
): void {
  let port = a.port;
  if (port === OFPP_IN_PORT) port = inPort(ctx);
  else if (port === inPort(ctx)) return;
  const old = ctx.flow[W_SKB_PRIORITY]!;
  ctx.flow[W_SKB_PRIORITY] = a.queue >>> 0;
  composeOutputAction(ctx, port, isLastAction, false);
  ctx.flow[W_SKB_PRIORITY] = old;
}

/** member_enabled_cb of the bundle action. */
function memberEnabled(bridge: XlateBridge, port: number): boolean {
  switch (port) {
    case OFPP_IN_PORT:
    case OFPP_TABLE:
    case OFPP_NORMAL:
    case OFPP_FLOOD:
    case OFPP_ALL:
    case OFPP_NONE:
      return true;
    case OFPP_CONTROLLER:
      return false;
    default:
      return bridge.port(port)?.mayEnable ?? false;
  }
}

/** xlate_bundle_action (bundle and bundle_load). */
export function xlateBundle(
  ctx: XlateCtx,
  a: OfpactOf<"bundle">,
  isLastAction: boolean,
  groupBucketAction: boolean,
): void {
  const bridge = ctx.bridge;
  const port = bundleExecute(
    a.algorithm,
    a.fields,
    a.basis,
    a.members,
    ctx.flow,
    ctx.wc,
    (p) => memberEnabled(bridge, p),
  );
  if (a.dst) {
    regLoad(ctx, a.dst, port);
    reportSubfield(ctx, a.dst, formatSubfield(a.dst));
  } else {
    xlateOutputAction(ctx, port, 0, false, isLastAction, false, groupBucketAction);
  }
}
