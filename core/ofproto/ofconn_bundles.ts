// OpenFlow bundles (upstream's ofproto/bundles.c and do_bundle_commit): a connection opens a
// bundle, adds flow-mods, group-mods, port-mods and packet-outs to it (each decoded and checked
// when added, so bad ones are refused at once), and commits them as one: every change applies or,
// when one fails, none does — the failing message's error goes back referring to its
// BUNDLE_ADD_MESSAGE, then OFPBFC_MSG_FAILED for the commit. Port-mods are not atomic, so an
// atomic bundle that holds one fails, as upstream's.

import { OfpError } from "./errors.ts";
import {
  decodeBundleAdd,
  decodeBundleCtrl,
  encodeBundleCtrlReply,
  OFPBCT_CLOSE_REPLY,
  OFPBCT_CLOSE_REQUEST,
  OFPBCT_COMMIT_REPLY,
  OFPBCT_COMMIT_REQUEST,
  OFPBCT_DISCARD_REPLY,
  OFPBCT_DISCARD_REQUEST,
  OFPBCT_OPEN_REPLY,
  OFPBCT_OPEN_REQUEST,
  OFPBF_ATOMIC,
} from "./msg/bundle.ts";
import { decodeFlowMod, type FlowMod } from "./msg/flow_mod.ts";
import { decodeGroupMod, type GroupMod } from "./msg/group.ts";
import { decodePacketOut } from "./msg/packet.ts";
import { decodePortMod, type PortMod } from "./msg/port.ts";
import { encodeErrorReply } from "./ofp_errors.ts";
import type { HandlerContext } from "./ofconn_handlers.ts";
import { rejectSecondary } from "./ofconn_handlers.ts";
import { checkSwitchResources, packetOut } from "./ofconn_flows.ts";

const OFPP_MAX = 0xff00;

type Entry =
  | { kind: "flow"; fm: FlowMod; message: Uint8Array }
  | { kind: "group"; gm: GroupMod; message: Uint8Array }
  | { kind: "port"; pm: PortMod; message: Uint8Array }
  | { kind: "packet"; inner: Uint8Array; message: Uint8Array };

interface Bundle {
  flags: number;
  closed: boolean;
  entries: Entry[];
}

const bundlesOf = new WeakMap<object, Map<number, Bundle>>();

function bundles(ctx: HandlerContext): Map<number, Bundle> {
  let map = bundlesOf.get(ctx.conn);
  if (!map) bundlesOf.set(ctx.conn, map = new Map());
  return map;
}

function commit(ctx: HandlerContext, bundle: Bundle): void {
  const { ofproto, meters } = ctx.host;
  let failing: Entry | undefined;
  try {
    ofproto.tables.transaction(() => {
      const groups = ofproto.groups;
      const run = () => {
        for (const entry of bundle.entries) {
          failing = entry;
          switch (entry.kind) {
            case "flow":
              checkSwitchResources(ofproto, meters, entry.fm.ofpacts);
              ofproto.tables.apply(entry.fm);
              break;
            case "group":
              groups?.apply(entry.gm);
              break;
            case "port":
              if (bundle.flags & OFPBF_ATOMIC) throw new OfpError("OFPBFC_MSG_FAILED");
              ctx.host.modPort(entry.pm, ctx.conn);
              break;
            case "packet":
              break;
          }
        }
        failing = undefined;
      };
      if (groups) groups.transaction(run);
      else run();
    });
  } catch (error) {
    if (failing) {
      const name = error instanceof OfpError ? error.errorName : "OFPBRC_EPERM";
      ctx.reply(encodeErrorReply(name, failing.message));
    }
    throw new OfpError("OFPBFC_MSG_FAILED");
  }
  ofproto.invalidate();
  const now = ctx.host.now();
  for (const entry of bundle.entries) {
    if (entry.kind === "flow") ctx.conn.reportFlowMod(entry.fm.command, now);
  }
  ctx.host.flowsChanged?.(ctx.conn);
  // Packet-outs run after the changes they were bundled with are in place.
  for (const entry of bundle.entries) {
    if (entry.kind === "packet") packetOut(ctx, entry.inner);
  }
}

function handleBundleControl(ctx: HandlerContext): void {
  rejectSecondary(ctx.conn);
  const bc = decodeBundleCtrl(ctx.message);
  const map = bundles(ctx);
  const bundle = map.get(bc.bundleId);
  let replyType: number;
  switch (bc.type) {
    case OFPBCT_OPEN_REQUEST:
      if (bundle) {
        map.delete(bc.bundleId);
        throw new OfpError("OFPBFC_BAD_ID");
      }
      map.set(bc.bundleId, { flags: bc.flags, closed: false, entries: [] });
      replyType = OFPBCT_OPEN_REPLY;
      break;
    case OFPBCT_CLOSE_REQUEST:
      if (!bundle) throw new OfpError("OFPBFC_BAD_ID");
      if (bundle.closed) {
        map.delete(bc.bundleId);
        throw new OfpError("OFPBFC_BUNDLE_CLOSED");
      }
      if (bundle.flags !== bc.flags) {
        map.delete(bc.bundleId);
        throw new OfpError("OFPBFC_BAD_FLAGS");
      }
      bundle.closed = true;
      replyType = OFPBCT_CLOSE_REPLY;
      break;
    case OFPBCT_COMMIT_REQUEST:
      if (!bundle) throw new OfpError("OFPBFC_BAD_ID");
      map.delete(bc.bundleId);
      if (bundle.flags !== bc.flags) throw new OfpError("OFPBFC_BAD_FLAGS");
      commit(ctx, bundle);
      replyType = OFPBCT_COMMIT_REPLY;
      break;
    case OFPBCT_DISCARD_REQUEST:
      if (!bundle) throw new OfpError("OFPBFC_BAD_ID");
      map.delete(bc.bundleId);
      replyType = OFPBCT_DISCARD_REPLY;
      break;
    default:
      throw new OfpError("OFPBFC_BAD_TYPE");
  }
  ctx.reply(
    encodeBundleCtrlReply(ctx.message, { bundleId: bc.bundleId, type: replyType, flags: 0 }),
  );
}

function handleBundleAdd(ctx: HandlerContext): void {
  rejectSecondary(ctx.conn);
  const { add, type } = decodeBundleAdd(ctx.message);
  const { ofproto } = ctx.host;
  const inner = add.msg;
  let entry: Entry;
  switch (type) {
    case "FLOW_MOD":
      entry = {
        kind: "flow",
        fm: decodeFlowMod(inner, {
          protocol: ctx.conn.protocol,
          maxPort: OFPP_MAX,
          maxTable: ofproto.nTables,
        }),
        message: ctx.message,
      };
      break;
    case "GROUP_MOD":
      entry = { kind: "group", gm: decodeGroupMod(inner), message: ctx.message };
      break;
    case "PORT_MOD":
      entry = { kind: "port", pm: decodePortMod(inner), message: ctx.message };
      break;
    case "PACKET_OUT":
      decodePacketOut(inner);
      entry = { kind: "packet", inner, message: ctx.message };
      break;
    default:
      throw new OfpError("OFPBFC_MSG_UNSUP");
  }
  const map = bundles(ctx);
  const bundle = map.get(add.bundleId);
  if (!bundle) {
    map.set(add.bundleId, { flags: add.flags, closed: false, entries: [entry] });
  } else if (bundle.closed) {
    map.delete(add.bundleId);
    throw new OfpError("OFPBFC_BUNDLE_CLOSED");
  } else if (bundle.flags !== add.flags) {
    map.delete(add.bundleId);
    throw new OfpError("OFPBFC_BAD_FLAGS");
  } else {
    bundle.entries.push(entry);
  }
}

export const BUNDLE_HANDLERS: [string, (ctx: HandlerContext) => void][] = [
  ["BUNDLE_CONTROL", handleBundleControl],
  ["BUNDLE_ADD_MESSAGE", handleBundleAdd],
];
