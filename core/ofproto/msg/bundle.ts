// Bundles (upstream's ofp-bundle): bundle control (open/close/commit/discard requests and
// replies, atomic/ordered flags) and bundle add, which wraps another message, in their
// OpenFlow 1.4 and ONF 1.3 forms, with their texts.
//
// Promises: a bundle add's inner message must have the outer version and xid and a sane length
// (OFPBFC_BAD_VERSION, OFPBFC_MSG_BAD_XID, OFPBFC_MSG_BAD_LEN), and be bundlable: port mod,
// flow mod, group mod or packet out (OFPBFC_MSG_UNSUP otherwise), as upstream.

import { OfpError } from "../errors.ts";
import { OFP13 } from "../fields.ts";
import { WireReader } from "../wire.ts";
import { finishMessage, pullRaw, startMessage, typeName } from "./raw.ts";
import { bitNames, hexAlt } from "./text_util.ts";
import { RateLimit, vlogModule } from "../../net/vlog.ts";

const log = vlogModule("ofp_bundle");
const rl = new RateLimit(1, 5);

export const OFPBCT_OPEN_REQUEST = 0;
export const OFPBCT_OPEN_REPLY = 1;
export const OFPBCT_CLOSE_REQUEST = 2;
export const OFPBCT_CLOSE_REPLY = 3;
export const OFPBCT_COMMIT_REQUEST = 4;
export const OFPBCT_COMMIT_REPLY = 5;
export const OFPBCT_DISCARD_REQUEST = 6;
export const OFPBCT_DISCARD_REPLY = 7;

export const OFPBF_ATOMIC = 1 << 0;
export const OFPBF_ORDERED = 1 << 1;

const CTRL_TYPES = [
  "OPEN_REQUEST",
  "OPEN_REPLY",
  "CLOSE_REQUEST",
  "CLOSE_REPLY",
  "COMMIT_REQUEST",
  "COMMIT_REPLY",
  "DISCARD_REQUEST",
  "DISCARD_REPLY",
];

export interface BundleCtrl {
  bundleId: number;
  type: number;
  flags: number;
}

export function decodeBundleCtrl(msg: Uint8Array): BundleCtrl {
  const raw = pullRaw(msg);
  const r = new WireReader(msg, raw.bodyOffset);
  return { bundleId: r.u32(), type: r.u16(), flags: r.u16() };
}

/** A bundle control request (1.3 uses the ONF extension; 1.0-1.2 have none: TypeError). */
export function encodeBundleCtrl(bc: BundleCtrl, version: number, xid: number): Uint8Array {
  if (version < OFP13) throw new TypeError("bundles need OpenFlow 1.3 or later");
  const raw = version === OFP13 ? "ONFT13_BUNDLE_CONTROL" : "OFPT14_BUNDLE_CONTROL";
  const w = startMessage(raw, version, xid);
  w.u32(bc.bundleId).u16(bc.type).u16(bc.flags);
  return finishMessage(w);
}

/** The reply to bundle control request `request`. */
export function encodeBundleCtrlReply(request: Uint8Array, bc: BundleCtrl): Uint8Array {
  const raw = pullRaw(request);
  return encodeBundleCtrl(bc, raw.version, raw.xid);
}

const flagName = (b: number) =>
  b === OFPBF_ATOMIC ? "atomic" : b === OFPBF_ORDERED ? "ordered" : undefined;

export function formatBundleCtrl(bc: BundleCtrl): string {
  return `\n bundle_id=${hexAlt(bc.bundleId)} type=${CTRL_TYPES[bc.type] ?? ""} flags=` +
    bitNames(bc.flags, flagName, " ");
}

export interface BundleAdd {
  bundleId: number;
  flags: number;
  /** The inner message (exactly its length). */
  msg: Uint8Array;
}

const BUNDLABLE = new Set(["PORT_MOD", "FLOW_MOD", "GROUP_MOD", "PACKET_OUT"]);

/** Decodes a bundle add; returns it and the inner message's type. */
export function decodeBundleAdd(msg: Uint8Array): { add: BundleAdd; type: string } {
  const raw = pullRaw(msg);
  const r = new WireReader(msg, raw.bodyOffset);
  const bundleId = r.u32();
  r.skip(2);
  const flags = r.u16();
  if (r.remaining < 8) throw new OfpError("OFPBFC_MSG_BAD_LEN");
  const inner = msg.subarray(r.offset);
  if (inner[0] !== raw.version) throw new OfpError("OFPBFC_BAD_VERSION");
  const innerLen = (inner[2]! << 8) | inner[3]!;
  if (innerLen < 8 || innerLen > inner.length) throw new OfpError("OFPBFC_MSG_BAD_LEN");
  const innerXid = ((inner[4]! << 24) | (inner[5]! << 16) | (inner[6]! << 8) | inner[7]!) >>> 0;
  if (innerXid !== raw.xid) throw new OfpError("OFPBFC_MSG_BAD_XID");
  const innerMsg = inner.subarray(0, innerLen);
  let type: string;
  try {
    type = pullRaw(innerMsg).info.type;
  } catch (e) {
    if (!(e instanceof OfpError)) throw e;
    log.rateLimited(
      rl,
      "warn",
      `OFPT14_BUNDLE_ADD_MESSAGE contained message is unparsable (${e.errorName})`,
    );
    throw new OfpError("OFPBFC_MSG_UNSUP");
  }
  if (!BUNDLABLE.has(type)) {
    log.rateLimited(
      rl,
      "warn",
      `${typeName(type)} message not allowed inside OFPT14_BUNDLE_ADD_MESSAGE`,
    );
    throw new OfpError("OFPBFC_MSG_UNSUP");
  }
  return { add: { bundleId, flags, msg: innerMsg }, type };
}

/** A bundle add carrying `add.msg` (with the inner message's xid). */
export function encodeBundleAdd(add: BundleAdd, version: number): Uint8Array {
  const m = add.msg;
  const xid = ((m[4]! << 24) | (m[5]! << 16) | (m[6]! << 8) | m[7]!) >>> 0;
  const raw = version === OFP13 ? "ONFT13_BUNDLE_ADD_MESSAGE" : "OFPT14_BUNDLE_ADD_MESSAGE";
  const w = startMessage(raw, version, xid);
  w.u32(add.bundleId).u16(0).u16(add.flags).bytes(m);
  return finishMessage(w);
}

/** The head of a bundle add's text; the caller appends the inner message's text. */
export function formatBundleAddHead(add: BundleAdd): string {
  return `\n bundle_id=${hexAlt(add.bundleId)} flags=` + bitNames(add.flags, flagName, " ") + "\n";
}
