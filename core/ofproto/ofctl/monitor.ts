// `ovs-ofctl monitor` and `snoop`: connect, configure what the switch should send (miss_send_len,
// invalid_ttl, flow monitors, the packet-in format), then print every message received on stderr
// until told to stop, as a daemon with its control socket (upstream's monitor_vconn). The unixctl
// commands upstream's tests drive it with are here: exit, ofctl/send, ofctl/packet-out,
// ofctl/barrier, ofctl/set-output-file, ofctl/block, ofctl/unblock. With --detach the daemon is a
// re-executed child, so connecting happens there; standard error is kept (daemon_save_fd) so
// `2>FILE` collects the output.

import { Daemon, type DaemonConfig } from "../../net/daemon.ts";
import { registerUnixctl, UnixctlError } from "../../net/unixctl.ts";
import { formatTime } from "../../net/vlog.ts";
import { OfpError } from "../errors.ts";
import { encodeBarrierRequest, encodeEchoReply } from "../msg/hello.ts";
import { encodeSetPacketInFormat, type PacketInFormat } from "../msg/connection.ts";
import { decodePacketIn, encodeResume } from "../msg/packet.ts";
import { ofpToString } from "../msg/print.ts";
import { formatVersionBitmapNames } from "../msg/protocol.ts";
import { allocXid, pullRaw } from "../msg/raw.ts";
import { type Vconn } from "../vconn.ts";
import { VconnError } from "../vconn_error.ts";
import { allowedVersions, OfctlExit, OfctlFatal } from "./config.ts";
import type { OfctlCommand } from "./command.ts";
import { type OfctlSession, run } from "./session.ts";
import { atoi } from "./switch_commands.ts";
import { parseHex } from "./offline_commands.ts";
import { watchRequest } from "./watch.ts";
import { packetOutMessage } from "./flow_commands.ts";

const OF10_TO_12 = (1 << 1) | (1 << 2) | (1 << 3);

function messageType(message: Uint8Array): string | undefined {
  try {
    return pullRaw(message).info.type;
  } catch (error) {
    if (error instanceof OfpError) return undefined;
    throw error;
  }
}

async function setPacketInFormat(
  session: OfctlSession,
  vconn: Vconn,
  format: PacketInFormat,
  mustSucceed: boolean,
): Promise<boolean> {
  const request = encodeSetPacketInFormat(format, vconn.version, allocXid());
  if (mustSucceed) {
    await session.transactNoReply(vconn, request);
    return true;
  }
  const reply = await run(vconn.transactNoReply(request), `talking to ${vconn.name}`);
  return reply === undefined;
}

async function setInvalidTtlToController(session: OfctlSession, vconn: Vconn): Promise<void> {
  let config = await session.fetchSwitchConfig(vconn);
  if (config.invalidTtlToController) return;
  config.invalidTtlToController = true;
  await session.setSwitchConfig(vconn, config);
  config = await session.fetchSwitchConfig(vconn);
  if (!config.invalidTtlToController) {
    throw new OfctlFatal(
      "setting invalid_ttl_to_controller failed (this switch probably doesn't support this flag)",
    );
  }
}

/** Starts daemon life for monitor and snoop: pidfile, control socket, --detach. */
async function startDaemon(session: OfctlSession): Promise<Daemon | number> {
  const daemon: DaemonConfig = session.config.daemon;
  daemon.saveStderr = true;
  if (session.config.unixctlPath !== undefined) daemon.unixctl = session.config.unixctlPath;
  return await Daemon.start(daemon, [session.config.program], session.config.args);
}

async function monitor(session: OfctlSession, argv: string[]): Promise<void> {
  if (argv.slice(2).includes("invalid_ttl")) {
    if (!(allowedVersions(session.config) & OF10_TO_12)) {
      throw new OfctlFatal(
        `invalid_ttl requires one of the OpenFlow versions ${
          formatVersionBitmapNames(OF10_TO_12)
        } but none is enabled (use -O)`,
      );
    }
    session.config.allowedVersions = allowedVersions(session.config) & OF10_TO_12;
  }
  const daemon = await startDaemon(session);
  if (typeof daemon === "number") throw new OfctlExit(daemon);
  try {
    const { vconn } = await session.openVconn(argv[1]!);
    let resume = false;
    for (const arg of argv.slice(2)) {
      if (/^[0-9]/.test(arg)) {
        const config = await session.fetchSwitchConfig(vconn);
        config.missSendLen = atoi(arg) & 0xffff;
        await session.setSwitchConfig(vconn, config);
      } else if (arg === "invalid_ttl") {
        await setInvalidTtlToController(session, vconn);
      } else if (arg.startsWith("watch:")) {
        const request = await watchRequest(session, argv[1]!, arg.slice(6), vconn.version);
        if (session.config.verbosity) {
          session.io.out(ofpToString(request, { verbosity: session.config.verbosity + 2 }));
        }
        await session.dumpTransaction(vconn, request);
      } else if (arg === "resume") {
        resume = true;
        const config = await session.fetchSwitchConfig(vconn);
        config.missSendLen = 0xffff;
        await session.setSwitchConfig(vconn, config);
      } else {
        throw new OfctlFatal(`${arg}: unsupported "monitor" argument`);
      }
    }
    const preferred = session.config.packetInFormat;
    if (preferred !== undefined) {
      await setPacketInFormat(session, vconn, preferred, true);
    } else if (!await setPacketInFormat(session, vconn, "nxt_packet_in2", false)) {
      if (vconn.version === 0x01) await setPacketInFormat(session, vconn, "nxt_packet_in", false);
    }
    await monitorVconn(session, daemon, vconn, true, resume);
  } finally {
    await daemon.stop();
  }
}

async function snoop(session: OfctlSession, argv: string[]): Promise<void> {
  // The snoop socket does not answer port or table queries, so names are off.
  session.config.useNames = false;
  const daemon = await startDaemon(session);
  if (typeof daemon === "number") throw new OfctlExit(daemon);
  try {
    const { vconn } = await session.openVconn(argv[1]!, "snoop");
    await monitorVconn(session, daemon, vconn, false, false);
  } finally {
    await daemon.stop();
  }
}

/** A hex OpenFlow message for ofctl/send, or upstream's complaint. */
function openflowFromHex(hex: string): Uint8Array | string {
  const { bytes, rest } = parseHex(hex);
  if (rest !== "") return "Trailing garbage in hex data";
  if (bytes.length < 8) return "Message too short for OpenFlow";
  if (bytes.length !== ((bytes[2]! << 8) | bytes[3]!)) {
    return "Message size does not match length in OpenFlow header";
  }
  return bytes;
}

async function monitorVconn(
  session: OfctlSession,
  daemon: Daemon,
  vconn: Vconn,
  replyToEcho: boolean,
  resumeContinuations: boolean,
): Promise<void> {
  const name = vconn.name;
  const verbosity = session.config.verbosity;
  let blocked = false;
  let unblock: (() => void) | undefined;
  let barrierWaiter: ((text: string) => void) | undefined;

  registerUnixctl("ofctl/send", "OFMSG...", 1, Number.MAX_SAFE_INTEGER, async (args) => {
    let reply = "";
    let ok = true;
    for (const hex of args) {
      const message = openflowFromHex(hex);
      if (typeof message === "string") {
        reply += message + "\n";
        ok = false;
        continue;
      }
      session.io.err("send: " + ofpToString(message, await session.showOptions(name, verbosity)));
      try {
        await vconn.sendBlock(message);
        reply += "sent\n";
      } catch (error) {
        if (!(error instanceof VconnError)) throw error;
        reply += error.message + "\n";
        ok = false;
      }
    }
    if (!ok) throw new UnixctlError(reply);
    return reply;
  });
  registerUnixctl(
    "ofctl/packet-out",
    '"in_port=<port> packet=<hex data> actions=..."',
    1,
    1,
    async (args) => {
      const result = await packetOutMessage(session, name, args[0]!, vconn.version);
      if (typeof result === "string") throw new UnixctlError(result + "\n");
      session.io.err(ofpToString(result, await session.showOptions(name, verbosity)));
      try {
        await vconn.sendBlock(result);
      } catch (error) {
        if (!(error instanceof VconnError)) throw error;
        throw new UnixctlError(error.message + "\n");
      }
      return "";
    },
  );
  registerUnixctl("ofctl/barrier", "", 0, 0, () => {
    if (barrierWaiter) throw new UnixctlError("already waiting for barrier reply");
    try {
      vconn.send(encodeBarrierRequest(vconn.version, allocXid()));
    } catch (error) {
      if (!(error instanceof VconnError)) throw error;
      throw new UnixctlError(error.message);
    }
    return new Promise<string>((resolve) => {
      barrierWaiter = resolve;
    });
  });
  registerUnixctl("ofctl/set-output-file", "FILE", 1, 1, (args) => {
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(args[0]!, { write: true, create: true, truncate: true, mode: 0o666 });
    } catch (error) {
      throw new UnixctlError(
        error instanceof Error ? error.message.replace(/ \(os error.*$/, "") : String(error),
      );
    }
    const encoder = new TextEncoder();
    session.io = {
      ...session.io,
      err(text) {
        const bytes = encoder.encode(text);
        let offset = 0;
        while (offset < bytes.length) offset += file.writeSync(bytes.subarray(offset));
      },
    };
    return "";
  });
  registerUnixctl("ofctl/block", "", 0, 0, () => {
    if (blocked) return "already blocking";
    blocked = true;
    return "";
  });
  registerUnixctl("ofctl/unblock", "", 0, 0, () => {
    if (!blocked) return "already unblocked";
    blocked = false;
    unblock?.();
    return "";
  });
  daemon.ready();

  let exiting = false;
  daemon.exitRequested.then(() => {
    exiting = true;
    unblock?.();
  });

  for (;;) {
    if (exiting) break;
    if (blocked) {
      await new Promise<void>((resolve) => {
        unblock = resolve;
      });
      unblock = undefined;
      continue;
    }
    const next = await Promise.race([
      vconn.recv().then((m) => ({ message: m }), (e: unknown) => ({ error: e })),
      daemon.exitRequested.then(() => ({ exit: true as const })),
    ]);
    if ("exit" in next) break;
    if ("error" in next) {
      if (next.error instanceof VconnError) {
        throw new OfctlFatal(`vconn_recv (${next.error.message})`);
      }
      throw next.error;
    }
    const message = next.message;
    if (session.config.timestamp) {
      session.io.err(formatTime("%Y-%m-%d %H:%M:%S.###: ", new Date(), true));
    }
    session.io.err(ofpToString(message, await session.showOptions(name, verbosity + 2)));
    switch (messageType(message)) {
      case "BARRIER_REPLY":
        if (barrierWaiter) {
          barrierWaiter("");
          barrierWaiter = undefined;
        }
        break;
      case "ECHO_REQUEST":
        if (replyToEcho) {
          await run(vconn.sendBlock(encodeEchoReply(message)), "failed to send echo reply");
        }
        break;
      case "PACKET_IN":
        if (resumeContinuations) await resume(session, vconn, message);
        break;
    }
  }
  vconn.close();
}

async function resume(session: OfctlSession, vconn: Vconn, message: Uint8Array): Promise<void> {
  let pin;
  try {
    pin = decodePacketIn(message);
  } catch (error) {
    if (!(error instanceof OfpError)) throw error;
    session.io.err(`decoding packet-in failed: ${error.errorName}`);
    return;
  }
  if (!pin.continuation.length) return;
  const reply = encodeResume(pin, vconn.version, allocXid());
  session.io.err(
    "send: " +
      ofpToString(reply, await session.showOptions(vconn.name, session.config.verbosity + 2)),
  );
  await run(vconn.sendBlock(reply), "failed to send NXT_RESUME");
}

export const MONITOR_COMMANDS: readonly OfctlCommand[] = [
  {
    name: "monitor",
    usage: "switch [misslen] [invalid_ttl] [watch:[...]]",
    minArgs: 1,
    maxArgs: 3,
    readOnly: true,
    run: monitor,
  },
  { name: "snoop", usage: "switch", minArgs: 1, maxArgs: 1, readOnly: true, run: snoop },
];
