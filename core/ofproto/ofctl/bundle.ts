// Atomic changes through an OpenFlow 1.3+ bundle, as upstream's vconn_bundle_transact and
// ovs-ofctl's bundle_transact: open, add every message, a barrier to collect errors, then commit
// (or discard when something failed), printing "Error NAME for: MESSAGE" for each failure. Owns
// nothing between runs.

import { vlogModule } from "../../net/vlog.ts";
import { OfpError } from "../errors.ts";
import { decodeErrorMessage } from "../ofp_errors.ts";
import {
  type BundleCtrl,
  decodeBundleCtrl,
  encodeBundleAdd,
  encodeBundleCtrl,
  OFPBCT_COMMIT_REQUEST,
  OFPBCT_DISCARD_REQUEST,
  OFPBCT_OPEN_REQUEST,
  OFPBF_ATOMIC,
  OFPBF_ORDERED,
} from "../msg/bundle.ts";
import { encodeBarrierRequest } from "../msg/hello.ts";
import { ofpToString } from "../msg/print.ts";
import { allocXid, pullRaw } from "../msg/raw.ts";
import type { Vconn } from "../vconn.ts";
import { VconnError } from "../vconn_error.ts";
import { messageXid } from "../vconn_wire.ts";
import { allowedVersions, OfctlFatal } from "./config.ts";
import type { OfctlSession } from "./session.ts";
import type { OfctlCommand } from "./command.ts";
import { readFlowFile } from "./flow_commands.ts";
import { encodeBundleMsgs, parseBundleFile } from "../msg/bundle_text.ts";
import { protocolsFromVersionBitmap, protocolsToVersionBitmap } from "../msg/protocol.ts";
import { P_OF13_UP, P_OF14_OXM } from "../protocols.ts";

const log = vlogModule("vconn");

/** The request failed in a way that is a protocol error (upstream's EPROTO). */
const EPROTO = new VconnError("EPROTO");

function replyValid(reply: Uint8Array, request: BundleCtrl, errors: Uint8Array[]): boolean {
  let type: string;
  try {
    type = pullRaw(reply).info.type;
  } catch (error) {
    if (error instanceof OfpError) return false;
    throw error;
  }
  if (type === "ERROR") {
    errors.push(reply);
    return false;
  }
  if (type !== "BUNDLE_CONTROL") return false;
  const bc = decodeBundleCtrl(reply);
  return bc.bundleId === request.bundleId && bc.type === request.type + 1;
}

async function control(
  vconn: Vconn,
  bc: BundleCtrl,
  type: number,
  errors: Uint8Array[],
): Promise<void> {
  bc.type = type;
  const request = encodeBundleCtrl(bc, vconn.version, allocXid());
  const reply = await vconn.transact(request, errors);
  if (!replyValid(reply, bc, errors)) throw EPROTO;
}

/** Errors already received, without waiting (vconn_recv_error). */
function drainErrors(vconn: Vconn, errors: Uint8Array[]): void {
  for (let reply = vconn.tryRecv(); reply; reply = vconn.tryRecv()) {
    let type: string | undefined;
    try {
      type = pullRaw(reply).info.type;
    } catch (error) {
      if (!(error instanceof OfpError)) throw error;
    }
    if (type === "ERROR") errors.push(reply);
    else {
      log.dbg(
        `${vconn.name}: received unexpected reply with xid ${
          messageXid(reply).toString(16).padStart(8, "0")
        }`,
      );
    }
  }
}

/** vconn_bundle_transact: throws VconnError (EPROTO when the switch reported errors). */
async function bundleTransactRaw(
  vconn: Vconn,
  requests: readonly Uint8Array[],
  flags: number,
  errors: Uint8Array[],
): Promise<void> {
  const bc: BundleCtrl = { bundleId: 0, type: 0, flags };
  await control(vconn, bc, OFPBCT_OPEN_REQUEST, errors);
  let failure: VconnError | undefined;
  try {
    for (const request of requests) {
      await vconn.sendBlock(encodeBundleAdd({ bundleId: 0, flags, msg: request }, vconn.version));
      drainErrors(vconn, errors);
    }
    const barrier = encodeBarrierRequest(vconn.version, allocXid());
    vconn.send(barrier);
    await vconn.recvXid(messageXid(barrier), errors);
    if (errors.length) failure = EPROTO;
  } catch (error) {
    if (!(error instanceof VconnError)) throw error;
    failure = error;
  }
  if (!failure) {
    await control(vconn, bc, OFPBCT_COMMIT_REQUEST, errors);
    return;
  }
  try {
    await control(vconn, bc, OFPBCT_DISCARD_REQUEST, errors);
  } catch (error) {
    if (!(error instanceof VconnError)) throw error;
  }
  throw failure;
}

/**
 * ovs-ofctl's bundle_transact: runs the bundle, prints each error with the message it was for
 * (stderr), and dies "talking to X (...)" on failure.
 */
export async function bundleTransact(
  session: OfctlSession,
  vconn: Vconn,
  requests: readonly Uint8Array[],
  flags: number,
): Promise<void> {
  const errors: Uint8Array[] = [];
  let failure: VconnError | undefined;
  try {
    await bundleTransactRaw(vconn, requests, flags, errors);
  } catch (error) {
    if (!(error instanceof VconnError)) throw error;
    failure = error;
  }
  let next = 0;
  for (const error of errors) {
    const decoded = decodeErrorMessage(error);
    if (!decoded) {
      session.io.err("***decode error***");
      continue;
    }
    // The failing message: found in the requests (in order, as the switch answers them), or the
    // likely truncated copy the error carries.
    let message = decoded.payload;
    const xid = messageXid(error);
    let found = false;
    for (let i = next; i < requests.length; i++) {
      if (messageXid(requests[i]!) === xid) {
        message = requests[i]!;
        next = i + 1;
        found = true;
        break;
      }
    }
    // A search that ran off the end starts again from the first request next time.
    if (!found) next = 0;
    session.io.err(
      `Error ${decoded.name} for: ` +
        ofpToString(message, await session.showOptions(vconn.name, session.config.verbosity + 1)),
    );
  }
  if (failure) throw new OfctlFatal(`talking to ${vconn.name} (${failure.message})`);
}

/** `ovs-ofctl bundle SWITCH FILE`: the file's flow, group and packet-out messages, atomically. */
async function bundleCommand(session: OfctlSession, argv: string[]): Promise<void> {
  const name = argv[1]!;
  const portMap = await session.portsToAccept(name);
  const tableMap = await session.tablesToAccept(name);
  const contents = await readFlowFile(session, argv[2]!);
  const { bms, usable } = parseBundleFile(contents, argv[2]!, { portMap, tableMap });
  const config = session.config;
  if (!(allowedVersions(config) & protocolsToVersionBitmap(P_OF13_UP))) {
    // Bundles need 1.3+; like upstream, quietly allow 1.4 and nothing that cannot bundle.
    let raw = config.allowedVersions | protocolsToVersionBitmap(P_OF14_OXM);
    raw &= protocolsToVersionBitmap(P_OF13_UP);
    config.allowedVersions = raw;
    config.allowedProtocols = protocolsFromVersionBitmap(allowedVersions(config));
  }
  const { vconn, protocol } = await session.openVconnForFlowMod(name, usable & P_OF13_UP);
  const requests = encodeBundleMsgs(bms, protocol);
  await bundleTransact(session, vconn, requests, OFPBF_ORDERED | OFPBF_ATOMIC);
  vconn.close();
}

export const BUNDLE_COMMANDS: readonly OfctlCommand[] = [
  {
    name: "bundle",
    usage: "switch file",
    minArgs: 2,
    maxArgs: 2,
    readOnly: false,
    run: bundleCommand,
  },
];
